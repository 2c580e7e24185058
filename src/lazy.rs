//! Bundles in pieces (format 2, issue 15): `fromUrl(url, { lazy: true })` fetches the head only; the
//! item rows come shard by shard, through `prepare(ids)` and in the background after `record`. The
//! fetching (Range requests batched into multipart ones, one file per shard, Cache Storage) is done by
//! `src/glue.js`; here each shard is verified against the head's directory before it is used, and the
//! engine is rebuilt from the shards present at the next call that needs it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Promise, Uint8Array};
use recofuse_core::bundle::{Head, Shard};
use recofuse_core::{Engine, Model};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::error::{codes, describe, FacadeError, Result};
use crate::load::BundleMeta;
use crate::Reranker;

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    #[wasm_bindgen(js_name = rfFetchHead)]
    fn js_fetch_head(url: &str) -> Promise;
    #[wasm_bindgen(js_name = rfFetchShards)]
    fn js_fetch_shards(url: &str, mode: &str, idx: &[u32], starts: &[f64], lens: &[f64], hexes: &str) -> Promise;
    #[wasm_bindgen(js_name = rfStoreShard)]
    fn js_store_shard(url: &str, hex: &str, bytes: &[u8]);
}

/// What was fetched at load: the head (and how shards are reached), or the whole bundle.
pub enum Fetched {
    /// A format-2 head (decoded, its length, its bytes); shards by `"range"` or `"files"`.
    Head(Box<Head>, String, usize, Vec<u8>),
    /// A whole bundle (any format): a server without Range support sent everything.
    Whole(Vec<u8>),
}

/// `fromUrl` with `lazy: true`: the head only; a server that sends the whole file instead gives a
/// reranker of the whole bundle.
pub async fn load(url: String, options: crate::options::LoadOptions) -> Result<Reranker> {
    match fetch_head(&url).await? {
        Fetched::Whole(bytes) => Reranker::load(bytes, options, None).await,
        Fetched::Head(head, mode, head_bytes, bytes) => {
            let (engine, meta) = open_head(&head, &bytes, options.integrity.as_deref())?;
            let l = Rc::new(Lazy::new(*head, url, mode, head_bytes));
            Reranker::with_engine(engine, meta, options, None, Some(l), js_sys::Array::new()).await
        }
    }
}

/// Fetches the head of the bundle at `url` (`FETCH_FAILED` on a network or HTTP error).
pub async fn fetch_head(url: &str) -> Result<Fetched> {
    let got = JsFuture::from(js_fetch_head(url)).await.map_err(|e| fetch_failed(url, &e))?;
    let got: Array = got.unchecked_into();
    let bytes = got.get(0).dyn_into::<Uint8Array>().map(|b| b.to_vec()).unwrap_or_default();
    let mode = got.get(1).as_string().unwrap_or_default();
    if mode == "whole" {
        return Ok(Fetched::Whole(bytes));
    }
    let head = Head::decode(&bytes)?;
    let len = head.len();
    let mut bytes = bytes;
    bytes.truncate(len);
    Ok(Fetched::Head(Box::new(head), mode, len, bytes))
}

/// The engine of a head without rows (every id unknown until its shard arrives) and the facts for
/// `bundleInfo()` (of the head: its checksum, its size; the item count of the whole catalog).
pub fn open_head(head: &Head, bytes: &[u8], integrity: Option<&str>) -> Result<(Engine, BundleMeta)> {
    let digest = crate::integrity::sha256(bytes);
    if let Some(expected) = integrity {
        crate::integrity::check(expected, &digest)?;
    }
    let s = recofuse_core::bundle::inspect(bytes)?;
    let engine = Engine::new(head.assemble(&[])?)?;
    let meta = BundleMeta {
        format_version: s.format_version,
        items: s.items,
        scorers: s.scorers,
        sha256: s.sha256,
        integrity: crate::integrity::integrity_string(&digest),
        bytes: s.bytes,
        info: s.info,
    };
    Ok((engine, meta))
}

fn fetch_failed(url: &str, e: &JsValue) -> FacadeError {
    FacadeError::new(codes::FETCH_FAILED, format!("could not fetch {url}: {}", describe(e)))
}

/// The shards of a lazily loaded bundle.
pub struct Lazy {
    head: Head,
    url: String,
    mode: String,
    shards: RefCell<Vec<Option<Shard>>>,
    /// Shards asked for and not yet arrived (or failed).
    asked: RefCell<Vec<bool>>,
    /// New shards arrived since the engine was last built.
    dirty: Cell<bool>,
    /// Bytes received: the head, then every shard (from the network or the cache).
    bytes: Cell<f64>,
    last_error: RefCell<Option<FacadeError>>,
}

impl Lazy {
    /// A lazy bundle with its head (`head_bytes` bytes received) and no shard yet.
    pub fn new(head: Head, url: String, mode: String, head_bytes: usize) -> Lazy {
        let n = head.shards().len();
        Lazy {
            head,
            url,
            mode,
            shards: RefCell::new((0..n).map(|_| None).collect()),
            asked: RefCell::new(vec![false; n]),
            dirty: Cell::new(false),
            bytes: Cell::new(head_bytes as f64),
            last_error: RefCell::new(None),
        }
    }

    /// The head.
    pub fn head(&self) -> &Head {
        &self.head
    }

    /// Whether the rows of `id` are present (its shard verified and loaded).
    pub fn has(&self, id: &str) -> bool {
        self.shards.borrow().get(self.head.shard_of(id)).is_some_and(Option::is_some)
    }

    /// The shards of `ids` neither present nor being fetched, each once, ascending.
    pub fn missing<S: AsRef<str>>(&self, ids: &[S]) -> Vec<usize> {
        let (shards, asked) = (self.shards.borrow(), self.asked.borrow());
        let mut out: Vec<usize> = ids
            .iter()
            .map(|id| self.head.shard_of(id.as_ref()))
            .filter(|&s| shards.get(s).is_some_and(Option::is_none) && !asked.get(s).copied().unwrap_or(true))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// `(present, total)` shards.
    pub fn counts(&self) -> (usize, usize) {
        let s = self.shards.borrow();
        (s.iter().filter(|x| x.is_some()).count(), s.len())
    }

    /// Bytes received so far (head and shards).
    pub fn bytes(&self) -> f64 {
        self.bytes.get()
    }

    /// The last shard failure (fetch, checksum, length), for `storageInfo`.
    pub fn last_error(&self) -> Option<FacadeError> {
        self.last_error.borrow().clone()
    }

    /// Fetches, verifies and keeps shards `need`; resolves with how many arrived, or rejects with the
    /// first failure (`FETCH_FAILED`, `BUNDLE_CHECKSUM`, `BUNDLE_TRUNCATED`) after keeping the others.
    pub async fn fetch(self: Rc<Self>, need: Vec<usize>) -> Result<usize> {
        if need.is_empty() {
            return Ok(0);
        }
        let dir = self.head.shards();
        let (mut idx, mut starts, mut lens, mut hexes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for &s in &need {
            if let (Some(info), Some(a)) = (dir.get(s), self.asked.borrow_mut().get_mut(s)) {
                *a = true;
                idx.push(s as u32);
                starts.push(info.offset as f64);
                lens.push(info.len as f64);
                hexes.push(recofuse_core::sha256::hex(&info.sha256));
            }
        }
        let hexes_joined = hexes.join(",");
        let got = JsFuture::from(js_fetch_shards(&self.url, &self.mode, &idx, &starts, &lens, &hexes_joined)).await;
        let got: Array = match got {
            Ok(v) => v.unchecked_into(),
            Err(e) => Array::new_with_length(idx.len() as u32).fill(&e, 0, idx.len() as u32),
        };
        let mut first_error = None;
        let mut arrived = 0;
        for (k, &s) in idx.iter().enumerate() {
            let s = s as usize;
            let part = got.get(k as u32);
            let result = match part.dyn_ref::<Uint8Array>() {
                Some(b) => {
                    let bytes = b.to_vec();
                    self.bytes.set(self.bytes.get() + bytes.len() as f64);
                    self.head.shard(s, &bytes).map_err(FacadeError::from).map(|shard| (shard, bytes))
                }
                None => Err(fetch_failed(&format!("{} (shard {s})", self.url), &part)),
            };
            if let Some(a) = self.asked.borrow_mut().get_mut(s) {
                *a = false;
            }
            match result {
                Ok((shard, bytes)) => {
                    if let Some(slot) = self.shards.borrow_mut().get_mut(s) {
                        *slot = Some(shard);
                    }
                    if let Some(hex) = hexes.get(k) {
                        js_store_shard(&self.url, hex, &bytes);
                    }
                    arrived += 1;
                    self.dirty.set(true);
                }
                Err(e) => {
                    *self.last_error.borrow_mut() = Some(e.clone());
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(arrived),
        }
    }

    /// The model of the shards present when new ones arrived since the last call (`None` otherwise).
    pub fn take_model(&self) -> Option<Model> {
        if !self.dirty.replace(false) {
            return None;
        }
        let shards = self.shards.borrow();
        let present: Vec<&Shard> = shards.iter().flatten().collect();
        match self.head.assemble(&present) {
            Ok(m) => Some(m),
            Err(e) => {
                *self.last_error.borrow_mut() = Some(e.into());
                None
            }
        }
    }
}

/// Fetches the rows of `id` in the background when they are missing (after `record`); a failure is kept
/// for `storageInfo().shards`.
pub fn in_background(lazy: &Option<Rc<Lazy>>, id: &str) {
    let Some(l) = lazy else { return };
    let need = l.missing(&[id]);
    if !need.is_empty() {
        let l = Rc::clone(l);
        wasm_bindgen_futures::spawn_local(async move {
            let _ = l.fetch(need).await;
        });
    }
}

/// Sets `pending` on a `rerankDetailed` result: the `unknown` ids whose rows are not loaded yet.
pub fn add_pending(result: &js_sys::Object, lazy: &Option<Rc<Lazy>>) {
    let pending = Array::new();
    if let Some(l) = lazy {
        if let Ok(unknown) = js_sys::Reflect::get(result, &"unknown".into()) {
            for id in Array::from(&unknown).iter() {
                if id.as_string().is_some_and(|s| !l.has(&s)) {
                    pending.push(&id);
                }
            }
        }
    }
    let _ = js_sys::Reflect::set(result, &"pending".into(), &pending);
}

/// Sets `shards` on a `storageInfo` result (null unless the bundle is in pieces).
pub fn add_info(result: &js_sys::Object, lazy: &Option<Rc<Lazy>>) {
    let value = match lazy {
        None => JsValue::NULL,
        Some(l) => {
            let o = js_sys::Object::new();
            let (present, total) = l.counts();
            let err = l.last_error();
            for (k, v) in [
                ("present", JsValue::from(present as f64)),
                ("total", JsValue::from(total as f64)),
                ("bytes", JsValue::from(l.bytes())),
                ("lastError", err.as_ref().map_or(JsValue::NULL, |e| e.code.into())),
                ("lastErrorMessage", err.as_ref().map_or(JsValue::NULL, |e| e.message.as_str().into())),
            ] {
                let _ = js_sys::Reflect::set(&o, &k.into(), &v);
            }
            o.into()
        }
    };
    let _ = js_sys::Reflect::set(result, &"shards".into(), &value);
}

/// For `recommend` on a bundle in pieces: the items present and the head's popular items (those not
/// loaded are ranked after the others).
pub fn recommend_candidates(l: &Lazy, engine: &recofuse_core::Engine) -> Vec<String> {
    let mut ids: Vec<String> = (0..engine.len() as u32).filter_map(|i| engine.item_id(i)).map(str::to_string).collect();
    ids.extend(l.head().popular().iter().filter(|(id, _)| !l.has(id)).map(|(id, _)| id.clone()));
    ids
}

#[wasm_bindgen]
impl Reranker {
    /// Fetches the rows that a rerank of `ids` needs (a bundle loaded with `lazy: true`): the shards of
    /// these ids not yet present, in one batch (Range requests into the file, at most one per shard, or one
    /// file per shard; Cache Storage first), each verified against the head before use. Resolves with the
    /// number of shards that arrived; rejects with `FETCH_FAILED`, `BUNDLE_CHECKSUM` or `BUNDLE_TRUNCATED`
    /// when one could not be used (the others are kept). Resolves with 0 for a bundle loaded whole.
    pub async fn prepare(&self, ids: crate::IdListArg) -> Result<u32, JsValue> {
        let Some(l) = self.inner.lazy.clone() else { return Ok(0) };
        let ids = crate::convert::candidates(&ids)?;
        let need = l.missing(&ids);
        let n = l.fetch(need).await;
        self.sync_lazy();
        Ok(n? as u32)
    }
}
