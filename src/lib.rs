//! # recofuse (WebAssembly facade)
//!
//! The thin wasm-bindgen layer between a storefront's JavaScript and [`recofuse_core`]. It converts JS
//! values once, calls the engine, converts errors once (a JS `Error` with a stable `code`), reads the clock
//! (`Date.now()`) and the device's random source for the engine, and keeps the shopper's history in
//! browser storage ([`storage`]). It knows nothing of ranking.
//!
//! ```js
//! import init, { Reranker } from "recofuse";
//! await init();
//! const r = await Reranker.fromUrl("/models/store.bundle", { namespace: "shop" });
//! r.record({ item: "sku-42", kind: "click" });
//! const ranked = r.rerank(["sku-1", "sku-42", "sku-7"], { explain: true });
//! ```
#![warn(missing_docs)]

use std::cell::{Cell, RefCell, RefMut};
use std::collections::BTreeMap;
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Uint8Array};
use recofuse_core::{Engine, Event, History, Profile, Recovery, Signal};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};

pub mod convert;
pub mod error;
pub mod integrity;
mod output;
pub mod storage;

use error::{codes, describe, FacadeError};
use output::set;
use storage::{Storage, StorageError};

/// A profile older than this is rebuilt even if the history did not change, so that time decay stays
/// current on long-lived pages.
const PROFILE_MAX_AGE_MS: f64 = 60_000.0;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** Kind of interaction, in increasing order of intent. */
export type EventKind = "view" | "click" | "cart" | "purchase";
/** Where the history is kept: `auto` tries IndexedDB, then localStorage, then memory. */
export type StorageBackend = "auto" | "indexeddb" | "localstorage" | "memory";
/** A score column of the engine. */
export type SignalName = "itemcf" | "seq" | "usercf" | "embedding" | "content" | "popularity" | "server" | "neural";
/** Fusion method (default: the bundle's). */
export type FusionMethod = "simple" | "weighted" | "comb-sum" | "comb-mnz" | "comb-max" | "rrf" | "borda" | "stacking";
/** Per-column normalisation (default: the bundle's). */
export type Normalization = "none" | "min-max" | "max" | "sum" | "z-score" | "rank" | "borda";
/** Stable error codes found in `error.code`. */
export type ErrorCode =
  | "BUNDLE_TRUNCATED" | "BUNDLE_BAD_HEADER" | "BUNDLE_UNSUPPORTED_VERSION" | "BUNDLE_MISSING_SECTION"
  | "BUNDLE_SHAPE" | "BUNDLE_INDEX_OUT_OF_RANGE" | "BUNDLE_NON_FINITE" | "BUNDLE_CHECKSUM" | "BUNDLE_INVALID"
  | "INVALID_INPUT" | "UNKNOWN_ITEM" | "HISTORY_UNREADABLE"
  | "BAD_ARGUMENT" | "STORAGE_UNAVAILABLE" | "STORAGE_QUOTA" | "STORAGE_FAILED" | "FETCH_FAILED"
  | "INTEGRITY_MISMATCH" | "RANDOM_UNAVAILABLE" | "BUSY";
/** Every error thrown by recofuse is an `Error` with a stable `code` (and `status` for FETCH_FAILED). */
export interface RecofuseError extends Error { code: ErrorCode; status?: number; }

/** Options of `Reranker.fromUrl` and `Reranker.fromBytes`. */
export interface LoadOptions {
  /** History namespace (default "default"); history is kept per namespace, across bundle versions. */
  namespace?: string;
  /** Storage backend (default "auto"). An explicit backend that is unavailable throws STORAGE_UNAVAILABLE. */
  storage?: StorageBackend;
  /** Subresource-Integrity hash of the bundle file, "sha256-<base64>"; a mismatch throws INTEGRITY_MISMATCH. */
  integrity?: string;
}
/** An interaction to record. */
export interface RecordEvent {
  item: string | number;
  kind: EventKind | "add-to-cart";
  /** Milliseconds since the Unix epoch (default `Date.now()`). */
  ts?: number;
}
/** A pinned item: placed at `position` (0-based) if it is among the candidates. */
export interface Pin { item: string | number; position: number; }
/** Options of `recommend` (all optional; defaults come from the bundle). */
export interface RecommendOptions {
  /** Return only the first k. */
  k?: number;
  method?: FusionMethod;
  normalization?: Normalization;
  /** Override some of the bundle's weights (>= 0; 0 switches a signal off). */
  weights?: Partial<Record<SignalName, number>>;
  /** Add per-signal `contributions` to each result. */
  explain?: boolean;
  /** Drop items already in the history (default: false for rerank, true for recommend). */
  excludeSeen?: boolean;
  /** Remove out-of-stock items (reported in `filtered`). */
  inStockOnly?: boolean;
  /** Rank out-of-stock items after every in-stock one. */
  demoteOutOfStock?: boolean;
  pins?: Pin[];
  /** MMR diversity lambda in [0, 1] (1 = relevance only). */
  diversity?: number;
}
/** Options of `rerank` and `rerankDetailed`. */
export interface RerankOptions extends RecommendOptions {
  /** The server's scores, one per candidate (length must match; NaN/null = no score). */
  serverScores?: Float32Array | ArrayLike<number | null>;
}
/** Per-signal contributions to a fused score (`null`: the signal had nothing to say). */
export type Contributions = Record<SignalName, number | null>;
/** One ranked candidate. */
export interface RankedItem {
  item: string;
  /** Fused score; null when no signal scored the item (e.g. unknown ids). */
  score: number | null;
  /** Whether a pin placed the item. */
  pinned: boolean;
  /** Only with `explain: true`. */
  contributions?: Contributions;
}
/** The full result of a rerank: nothing is dropped without being reported. */
export interface RerankResult {
  ranked: RankedItem[];
  /** Removed by `inStockOnly`. */
  filtered: string[];
  /** Removed by `excludeSeen`. */
  excludedSeen: string[];
  /** Ids the bundle does not know (still ranked, after the known ones). */
  unknown: string[];
}
/** An item with a score. */
export interface ScoredItem { item: string; score: number; }
/** One recorded interaction. */
export interface HistoryEvent { item: string; kind: EventKind; ts: number; }
/** The JSON document returned by `exportHistory()`. */
export interface HistoryExport { format: "recofuse-history-export"; version: 1; namespace: string; exportedAt: number; events: HistoryEvent[]; }
/** What loading the history had to repair. */
export interface StorageRecovery {
  /** Corrupt records dropped (the rest was kept and rewritten cleaned). */
  dropped: number;
  /** Why, for the first few. */
  reasons: string[];
  /** Key the unreadable history blob was moved to, if it was. */
  movedAside: string | null;
}
/** State of the history storage. */
export interface StorageInfo {
  backend: "indexeddb" | "localstorage" | "memory";
  /** Code of the last storage problem (e.g. "STORAGE_QUOTA"), or null. */
  lastError: ErrorCode | null;
  /** Its message, or null. */
  lastErrorMessage: string | null;
  recovered: StorageRecovery;
  /** Events in memory. */
  events: number;
  /** Most events kept. */
  capacity: number;
  /** Most events written to storage (halved after a quota error). */
  persistedCapacity: number;
  paused: boolean;
}
/** Description of the loaded bundle. */
export interface BundleInfo {
  formatVersion: number;
  items: number;
  /** Signals the bundle can feed. */
  scorers: SignalName[];
  /** Hex SHA-256 of the bundle's data section (from its header, verified). */
  sha256: string;
  /** Subresource-Integrity hash of the whole file, usable as the `integrity` option. */
  integrity: string;
  /** Size of the bundle in bytes. */
  bytes: number;
  /** The bundle's default fusion. */
  fusion: { method: FusionMethod; normalization: Normalization; weights: Record<SignalName, number> };
  /** Provenance written by the trainer. */
  info: Record<string, string>;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `LoadOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "LoadOptions")]
    pub type LoadOptionsArg;
    /// `RecordEvent` in TypeScript.
    #[wasm_bindgen(typescript_type = "RecordEvent")]
    pub type RecordEventArg;
    /// `RerankOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "RerankOptions")]
    pub type RerankOptionsArg;
    /// `RecommendOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "RecommendOptions")]
    pub type RecommendOptionsArg;
    /// The candidate list in TypeScript.
    #[wasm_bindgen(typescript_type = "ReadonlyArray<string | number>")]
    pub type CandidatesArg;
    /// An item id in TypeScript.
    #[wasm_bindgen(typescript_type = "string | number")]
    pub type ItemIdArg;
    /// Bundle bytes in TypeScript.
    #[wasm_bindgen(typescript_type = "Uint8Array | ArrayBuffer")]
    pub type BytesArg;
    /// `RankedItem[]` in TypeScript.
    #[wasm_bindgen(typescript_type = "RankedItem[]")]
    pub type RankedList;
    /// `RerankResult` in TypeScript.
    #[wasm_bindgen(typescript_type = "RerankResult")]
    pub type RerankResult;
    /// `ScoredItem[]` in TypeScript.
    #[wasm_bindgen(typescript_type = "ScoredItem[]")]
    pub type ScoredList;
    /// `HistoryEvent[]` in TypeScript.
    #[wasm_bindgen(typescript_type = "HistoryEvent[]")]
    pub type HistoryList;
    /// `StorageInfo` in TypeScript.
    #[wasm_bindgen(typescript_type = "StorageInfo")]
    pub type StorageInfoObject;
    /// `BundleInfo` in TypeScript.
    #[wasm_bindgen(typescript_type = "BundleInfo")]
    pub type BundleInfoObject;
    /// `Promise<void>` in TypeScript.
    #[wasm_bindgen(typescript_type = "Promise<void>")]
    pub type VoidPromise;

    /// The global `fetch` (window, worker or Node).
    #[wasm_bindgen(catch, js_name = fetch)]
    fn global_fetch(url: &str) -> Result<Promise, JsValue>;
}

#[cfg(feature = "debug-panic-hook")]
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// Header facts about the loaded bundle, for `bundleInfo()`.
#[derive(Debug, Clone)]
struct BundleMeta {
    format_version: u32,
    items: usize,
    scorers: Vec<String>,
    sha256: String,
    integrity: String,
    bytes: usize,
    info: BTreeMap<String, String>,
}

/// Mutable per-instance state. Never borrowed across an `.await` or a call into page code.
struct State {
    storage: Storage,
    history: History,
    /// The digested history and the time it was built; `None` when the history changed since.
    profile: Option<(Profile, f64)>,
    paused: bool,
    ab_seed: Option<u32>,
    /// Most events written to storage (halved on a quota error).
    persist_limit: usize,
    last_error: Option<(&'static str, String)>,
    recovered: Recovery,
    moved_aside: Option<String>,
}

struct Inner {
    engine: Engine,
    namespace: String,
    meta: BundleMeta,
    state: RefCell<State>,
    /// A history write is in flight.
    writing: Cell<bool>,
    /// The history changed while a write was in flight.
    dirty: Cell<bool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Runs once no background write holds the instance any more.
        if let Ok(s) = self.state.try_borrow() {
            s.storage.close();
        }
    }
}

impl Inner {
    fn state(&self) -> Result<RefMut<'_, State>, FacadeError> {
        self.state
            .try_borrow_mut()
            .map_err(|_| FacadeError::new(codes::BUSY, "recofuse was called re-entrantly from one of its own calls"))
    }

    fn key(&self, suffix: &str) -> String {
        format!("{}/{suffix}", self.namespace)
    }

    fn report(&self, code: &'static str, message: String) {
        if let Ok(mut s) = self.state.try_borrow_mut() {
            s.last_error = Some((code, message));
        }
    }
}

/// The history text to store: the newest `limit` events.
fn snapshot(s: &State) -> String {
    if s.history.len() > s.persist_limit {
        let mut h = s.history.clone();
        h.set_capacity(s.persist_limit);
        h.encode()
    } else {
        s.history.encode()
    }
}

/// Writes the current history. On `QuotaExceededError`: halve the number of events written (oldest
/// dropped from storage, never from memory) and retry once; if that fails too, remove the stored copy and
/// move to the in-memory backend. Both are reported as `lastError: "STORAGE_QUOTA"`; the in-memory history
/// is never touched.
async fn persist_history(inner: &Rc<Inner>) -> Result<(), FacadeError> {
    let key = inner.key("history");
    let (storage, text) = {
        let s = inner.state()?;
        (s.storage.clone(), snapshot(&s))
    };
    match storage.set(&key, &text).await {
        Ok(()) => Ok(()),
        Err(StorageError::Quota) => {
            let text = {
                let mut s = inner.state()?;
                s.persist_limit = (s.persist_limit.min(s.history.len()) / 2).max(1);
                snapshot(&s)
            };
            let first = "storage quota exceeded; the oldest half of the stored history was dropped";
            match storage.set(&key, &text).await {
                Ok(()) => {
                    inner.report(codes::STORAGE_QUOTA, first.into());
                    Ok(())
                }
                Err(_) => {
                    let keep = [inner.key("ab"), inner.key("paused")];
                    let memory = storage.degrade_to_memory(&keep).await;
                    // No stale copy stays behind on the device (and the space is given back).
                    let _ = storage.remove(&key).await;
                    let text = {
                        let mut s = inner.state()?;
                        s.storage = memory.clone();
                        s.persist_limit = s.history.capacity();
                        snapshot(&s)
                    };
                    inner.report(
                        codes::STORAGE_QUOTA,
                        "storage quota exceeded twice; history is now kept in memory only".into(),
                    );
                    memory.set(&key, &text).await.map_err(FacadeError::from)
                }
            }
        }
        Err(e) => {
            inner.report(e.code(), e.to_string());
            Err(e.into())
        }
    }
}

/// Starts a background write unless one is running (then that one writes again when it is done).
fn schedule_persist(inner: &Rc<Inner>) {
    if inner.writing.get() {
        inner.dirty.set(true);
        return;
    }
    inner.writing.set(true);
    let inner = Rc::clone(inner);
    spawn_local(async move {
        loop {
            inner.dirty.set(false);
            // Failures are reported in storageInfo().lastError.
            let _ = persist_history(&inner).await;
            if !inner.dirty.get() {
                break;
            }
        }
        inner.writing.set(false);
    });
}

/// Writes `value` under `key` in the background (errors are reported, not thrown).
fn store_later(inner: &Rc<Inner>, key: String, value: Option<String>) {
    let inner = Rc::clone(inner);
    spawn_local(async move {
        let storage = match inner.state() {
            Ok(s) => s.storage.clone(),
            Err(_) => return,
        };
        let result = match value {
            Some(v) => storage.set(&key, &v).await,
            None => storage.remove(&key).await,
        };
        if let Err(e) = result {
            inner.report(e.code(), e.to_string());
        }
    });
}

/// What loading the stored history found.
struct Loaded {
    history: History,
    recovered: Recovery,
    moved_aside: Option<String>,
    last_error: Option<(&'static str, String)>,
}

/// Reads `<namespace>/history`. Corrupt records are dropped and the cleaned history is written back; an
/// unreadable blob (bad header, unknown version) is moved to `<namespace>/history.corrupt` and the
/// history starts empty. Never fails: problems are reported.
async fn load_history(storage: &Storage, namespace: &str, capacity: usize) -> Loaded {
    let key = format!("{namespace}/history");
    let mut out =
        Loaded { history: History::new(capacity), recovered: Recovery::default(), moved_aside: None, last_error: None };
    let text = match storage.get(&key).await {
        Ok(Some(t)) => t,
        Ok(None) => return out,
        Err(e) => {
            out.last_error = Some((e.code(), format!("could not read the stored history: {e}")));
            return out;
        }
    };
    match History::decode(&text, capacity) {
        Ok((history, recovered)) => {
            if !recovered.is_clean() {
                if let Err(e) = storage.set(&key, &history.encode()).await {
                    out.last_error = Some((e.code(), format!("could not rewrite the cleaned history: {e}")));
                }
            }
            out.history = history;
            out.recovered = recovered;
        }
        Err(err) => {
            let aside = format!("{namespace}/history.corrupt");
            let moved = storage.set(&aside, &text).await;
            let cleared = storage.remove(&key).await;
            if let Err(e) = moved.and(cleared) {
                out.last_error = Some((e.code(), format!("could not move the unreadable history aside: {e}")));
            }
            out.recovered.reasons.push(format!("{err}; the stored history was moved aside to {aside}"));
            out.moved_aside = Some(aside);
        }
    }
    out
}

/// A reranker: one validated bundle plus the shopper's history under one namespace.
///
/// Create it with `Reranker.fromUrl` or `Reranker.fromBytes`; call `free()` when done.
#[wasm_bindgen]
pub struct Reranker {
    inner: Rc<Inner>,
}

impl std::fmt::Debug for Reranker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reranker").field("namespace", &self.inner.namespace).finish_non_exhaustive()
    }
}

/// Bundle bytes from a `Uint8Array` or an `ArrayBuffer`.
fn bytes_of(value: &JsValue) -> Result<Vec<u8>, FacadeError> {
    if let Some(a) = value.dyn_ref::<Uint8Array>() {
        Ok(a.to_vec())
    } else if value.is_instance_of::<js_sys::ArrayBuffer>() {
        Ok(Uint8Array::new(value).to_vec())
    } else {
        Err(FacadeError::bad_argument("bundle bytes must be a Uint8Array or an ArrayBuffer"))
    }
}

async fn fetch_bytes(url: &str) -> Result<Vec<u8>, FacadeError> {
    let failed = |why: String| FacadeError::new(codes::FETCH_FAILED, format!("could not fetch {url}: {why}"));
    let promise = global_fetch(url).map_err(|e| failed(describe(&e)))?;
    let response: web_sys::Response = JsFuture::from(promise).await.map_err(|e| failed(describe(&e)))?.unchecked_into();
    if !response.ok() {
        let mut e = failed(format!("HTTP {} {}", response.status(), response.status_text()));
        e.status = Some(response.status());
        return Err(e);
    }
    let body = response.array_buffer().map_err(|e| failed(describe(&e)))?;
    let buffer = JsFuture::from(body).await.map_err(|e| failed(describe(&e)))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

impl Reranker {
    /// Loads a bundle from bytes with parsed options and a given storage (Rust-side constructor; tests use
    /// it to inject a [`Storage`] such as [`Storage::memory_with_quota`]).
    pub async fn load(
        bytes: Vec<u8>,
        options: convert::LoadOptions,
        storage: Option<Storage>,
    ) -> Result<Reranker, FacadeError> {
        let digest = integrity::sha256(&bytes);
        if let Some(expected) = &options.integrity {
            integrity::check(expected, &digest)?;
        }
        let (engine, summary) = Engine::from_bundle_with_summary(bytes)?;
        let meta = BundleMeta {
            format_version: summary.format_version,
            items: summary.items,
            scorers: summary.scorers,
            sha256: summary.sha256,
            integrity: integrity::integrity_string(&digest),
            bytes: summary.bytes,
            info: summary.info,
        };
        let storage = match storage {
            Some(s) => s,
            None => Storage::open(options.storage).await?,
        };
        let namespace = options.namespace;
        let capacity = engine.model().scoring.history_capacity;
        let loaded = load_history(&storage, &namespace, capacity).await;
        let ab_seed = match storage.get(&format!("{namespace}/ab")).await {
            Ok(Some(s)) => s.trim().parse::<u32>().ok(),
            _ => None,
        };
        let paused = matches!(storage.get(&format!("{namespace}/paused")).await, Ok(Some(s)) if s == "1");
        let state = State {
            storage,
            history: loaded.history,
            profile: None,
            paused,
            ab_seed,
            persist_limit: capacity,
            last_error: loaded.last_error,
            recovered: loaded.recovered,
            moved_aside: loaded.moved_aside,
        };
        let inner = Inner {
            engine,
            namespace,
            meta,
            state: RefCell::new(state),
            writing: Cell::new(false),
            dirty: Cell::new(false),
        };
        Ok(Reranker { inner: Rc::new(inner) })
    }

    /// The engine (Rust-side access for tests and tools).
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.inner.namespace
    }

    /// The storage in use (Rust-side access for tests).
    pub fn storage(&self) -> Result<Storage, FacadeError> {
        Ok(self.inner.state()?.storage.clone())
    }

    /// Runs `f` with the engine and a profile of the current history, rebuilding the profile when the
    /// history changed or it is older than a minute.
    fn with_profile<T>(&self, f: impl FnOnce(&Engine, &Profile) -> T) -> Result<T, FacadeError> {
        let now = js_sys::Date::now();
        let mut s = self.inner.state()?;
        let stale = match &s.profile {
            Some((_, built)) => !(now >= *built && now - *built <= PROFILE_MAX_AGE_MS),
            None => true,
        };
        if stale {
            let profile = self.inner.engine.profile(&s.history, now);
            s.profile = Some((profile, now));
        }
        match &s.profile {
            Some((p, _)) => Ok(f(&self.inner.engine, p)),
            None => Err(FacadeError::new(codes::BUSY, "profile unavailable")),
        }
    }

    fn rerank_impl(
        &self,
        ids: &JsValue,
        options: Option<&JsValue>,
    ) -> Result<(Vec<String>, recofuse_core::Ranking), FacadeError> {
        let ids = convert::candidates(ids)?;
        let input = convert::rerank_input(options, Some(ids.len()), &self.inner.engine)?;
        let opts = input.options(false);
        let ranking = self.with_profile(|engine, profile| engine.rerank(profile, &ids, &opts))??;
        Ok((ids, ranking))
    }
}

#[wasm_bindgen]
impl Reranker {
    /// Downloads a bundle (`fetch`, no credentials changes, nothing but the URL is sent), checks its HTTP
    /// status (`FETCH_FAILED`, with `status`) and optional `integrity` (`INTEGRITY_MISMATCH`), validates it
    /// (`BUNDLE_*` codes) and opens the history storage.
    #[wasm_bindgen(js_name = fromUrl)]
    pub async fn from_url(url: String, options: Option<LoadOptionsArg>) -> Result<Reranker, JsValue> {
        let options = convert::load_options(options.as_ref().map(|o| o.as_ref()))?;
        let bytes = fetch_bytes(&url).await?;
        Ok(Reranker::load(bytes, options, None).await?)
    }

    /// Loads a bundle from bytes (validated once, here) and opens the history storage.
    #[wasm_bindgen(js_name = fromBytes)]
    pub async fn from_bytes(bytes: BytesArg, options: Option<LoadOptionsArg>) -> Result<Reranker, JsValue> {
        let options = convert::load_options(options.as_ref().map(|o| o.as_ref()))?;
        let bytes = bytes_of(&bytes)?;
        Ok(Reranker::load(bytes, options, None).await?)
    }

    /// Records an interaction `{ item, kind, ts? }` (`ts` defaults to `Date.now()`). The in-memory history
    /// changes at once (the next rerank sees it); storage is written in the background. Returns `false`
    /// (and records nothing) while paused. Unknown kinds throw `INVALID_INPUT`.
    pub fn record(&self, event: RecordEventArg) -> Result<bool, JsValue> {
        let input = convert::record_input(&event)?;
        let ts = input.ts.unwrap_or_else(js_sys::Date::now);
        {
            let mut s = self.inner.state()?;
            if s.paused {
                return Ok(false);
            }
            s.history.push(Event::new(input.item, input.kind, ts)).map_err(FacadeError::from)?;
            s.profile = None;
        }
        schedule_persist(&self.inner);
        Ok(true)
    }

    /// Reranks candidate ids (strings, or numbers which are stringified). Every candidate comes back
    /// (unless removed by `inStockOnly` / `excludeSeen` or cut by `k`), unknown ids last.
    pub fn rerank(&self, ids: CandidatesArg, options: Option<RerankOptionsArg>) -> Result<RankedList, JsValue> {
        let (_, ranking) = self.rerank_impl(&ids, options.as_ref().map(|o| o.as_ref()))?;
        Ok(output::ranked_list(&ranking, Some(ids.unchecked_ref()), &self.inner.engine).unchecked_into())
    }

    /// Like `rerank`, also reporting the ids that were filtered, excluded as seen, or unknown.
    #[wasm_bindgen(js_name = rerankDetailed)]
    pub fn rerank_detailed(
        &self,
        ids: CandidatesArg,
        options: Option<RerankOptionsArg>,
    ) -> Result<RerankResult, JsValue> {
        let (list, ranking) = self.rerank_impl(&ids, options.as_ref().map(|o| o.as_ref()))?;
        Ok(output::detailed(&ranking, ids.unchecked_ref(), &list, &self.inner.engine).unchecked_into())
    }

    /// The `n` best items of the whole catalog for this shopper (items already in the history are
    /// excluded unless `excludeSeen: false`).
    pub fn recommend(&self, n: f64, options: Option<RecommendOptionsArg>) -> Result<RankedList, JsValue> {
        let n = convert::count(n, "n")?;
        let input = convert::rerank_input(options.as_ref().map(|o| o.as_ref()), None, &self.inner.engine)?;
        let opts = input.options(true);
        let ranking =
            self.with_profile(|engine, profile| engine.recommend(profile, n, &opts))?.map_err(FacadeError::from)?;
        Ok(output::ranked_list(&ranking, None, &self.inner.engine).unchecked_into())
    }

    /// The `n` items most similar to `item` (throws `UNKNOWN_ITEM` for an id the bundle does not know).
    pub fn similar(&self, item: ItemIdArg, n: f64) -> Result<ScoredList, JsValue> {
        let id = convert::item_id(&item, &|| "item".to_string())?;
        let n = convert::count(n, "n")?;
        let items = self.inner.engine.similar(&id, n).map_err(FacadeError::from)?;
        Ok(output::scored(&items, &self.inner.engine).unchecked_into())
    }

    /// The recorded events, oldest first.
    pub fn history(&self) -> Result<HistoryList, JsValue> {
        let s = self.inner.state()?;
        let list: Array = s.history.events().map(|e| JsValue::from(output::event(e))).collect();
        Ok(list.unchecked_into())
    }

    /// The history as a JSON document (`HistoryExport`) for the shopper to download.
    #[wasm_bindgen(js_name = exportHistory)]
    pub fn export_history(&self) -> Result<String, JsValue> {
        let events = self.history()?;
        let doc = Object::new();
        set(&doc, "format", &JsValue::from_str("recofuse-history-export"));
        set(&doc, "version", &JsValue::from(1));
        set(&doc, "namespace", &JsValue::from_str(&self.inner.namespace));
        set(&doc, "exportedAt", &JsValue::from_f64(js_sys::Date::now()));
        set(&doc, "events", &events);
        let text = js_sys::JSON::stringify_with_replacer_and_space(&doc, &JsValue::NULL, &JsValue::from(2))?;
        Ok(text.as_string().unwrap_or_default())
    }

    /// Forgets the history, in memory at once and in storage (also any history moved aside as corrupt).
    /// The A/B bucket is kept.
    #[wasm_bindgen(js_name = clearHistory)]
    pub fn clear_history(&self) -> Result<VoidPromise, JsValue> {
        let storage = {
            let mut s = self.inner.state()?;
            s.history.clear();
            s.profile = None;
            s.recovered = Recovery::default();
            s.moved_aside = None;
            s.storage.clone()
        };
        let inner = Rc::clone(&self.inner);
        let promise = future_to_promise(async move {
            for key in [inner.key("history"), inner.key("history.corrupt")] {
                if let Err(e) = storage.remove(&key).await {
                    inner.report(e.code(), e.to_string());
                    return Err(FacadeError::from(e).into());
                }
            }
            Ok(JsValue::UNDEFINED)
        });
        Ok(promise.unchecked_into())
    }

    /// Stops recording (`record` returns false) until `resume()`; remembered across reloads.
    pub fn pause(&self) -> Result<(), JsValue> {
        self.inner.state()?.paused = true;
        store_later(&self.inner, self.inner.key("paused"), Some("1".into()));
        Ok(())
    }

    /// Resumes recording.
    pub fn resume(&self) -> Result<(), JsValue> {
        self.inner.state()?.paused = false;
        store_later(&self.inner, self.inner.key("paused"), None);
        Ok(())
    }

    /// Whether recording is paused.
    #[wasm_bindgen(js_name = isPaused)]
    pub fn is_paused(&self) -> Result<bool, JsValue> {
        Ok(self.inner.state()?.paused)
    }

    /// The shopper's A/B bucket in `0..buckets` (default 2): a random 32-bit seed drawn on the device on
    /// first use, stored under `<namespace>/ab`, modulo `buckets`. Stable across reloads and bundles.
    #[wasm_bindgen(js_name = abBucket)]
    pub fn ab_bucket(&self, buckets: Option<f64>) -> Result<u32, JsValue> {
        let n = match buckets {
            None => 2,
            Some(b) => match convert::count(b, "buckets")? {
                0 => return Err(FacadeError::bad_argument("buckets must be >= 1").into()),
                n => u32::try_from(n).map_err(|_| FacadeError::bad_argument("buckets must be < 2^32"))?,
            },
        };
        let mut s = self.inner.state()?;
        let seed = match s.ab_seed {
            Some(seed) => seed,
            None => {
                let seed = getrandom::u32().map_err(|e| {
                    FacadeError::new(codes::RANDOM_UNAVAILABLE, format!("no random source for the A/B bucket: {e}"))
                })?;
                s.ab_seed = Some(seed);
                drop(s);
                store_later(&self.inner, self.inner.key("ab"), Some(seed.to_string()));
                seed
            }
        };
        Ok(seed % n)
    }

    /// Where and how the history is stored, and what loading it had to repair.
    #[wasm_bindgen(js_name = storageInfo)]
    pub fn storage_info(&self) -> Result<StorageInfoObject, JsValue> {
        let s = self.inner.state()?;
        let obj = Object::new();
        set(&obj, "backend", &JsValue::from_str(s.storage.backend().name()));
        let (code, message) = match &s.last_error {
            Some((c, m)) => (JsValue::from_str(c), JsValue::from_str(m)),
            None => (JsValue::NULL, JsValue::NULL),
        };
        set(&obj, "lastError", &code);
        set(&obj, "lastErrorMessage", &message);
        let rec = Object::new();
        set(&rec, "dropped", &JsValue::from_f64(s.recovered.dropped as f64));
        set(&rec, "reasons", &output::strings(&s.recovered.reasons));
        set(&rec, "movedAside", &s.moved_aside.as_deref().map_or(JsValue::NULL, JsValue::from_str));
        set(&obj, "recovered", &rec);
        set(&obj, "events", &JsValue::from_f64(s.history.len() as f64));
        set(&obj, "capacity", &JsValue::from_f64(s.history.capacity() as f64));
        set(&obj, "persistedCapacity", &JsValue::from_f64(s.persist_limit as f64));
        set(&obj, "paused", &JsValue::from_bool(s.paused));
        Ok(obj.unchecked_into())
    }

    /// Writes the history, the A/B seed and the pause flag now and resolves when they are stored (rejects
    /// with `STORAGE_FAILED` if they cannot be; a quota problem is recovered as documented and does not
    /// reject). Not needed for correctness: every change is also written in the background.
    pub fn flush(&self) -> VoidPromise {
        let inner = Rc::clone(&self.inner);
        future_to_promise(async move {
            persist_history(&inner).await?;
            let (storage, ab, paused) = {
                let s = inner.state()?;
                (s.storage.clone(), s.ab_seed, s.paused)
            };
            if let Some(seed) = ab {
                storage.set(&inner.key("ab"), &seed.to_string()).await.map_err(FacadeError::from)?;
            }
            let paused_key = inner.key("paused");
            let done = if paused { storage.set(&paused_key, "1").await } else { storage.remove(&paused_key).await };
            done.map_err(FacadeError::from)?;
            Ok(JsValue::UNDEFINED)
        })
        .unchecked_into()
    }

    /// Format version, item count, scorers, checksums and default fusion of the loaded bundle.
    #[wasm_bindgen(js_name = bundleInfo)]
    pub fn bundle_info(&self) -> BundleInfoObject {
        let m = &self.inner.meta;
        let obj = Object::new();
        set(&obj, "formatVersion", &JsValue::from(m.format_version));
        set(&obj, "items", &JsValue::from_f64(m.items as f64));
        set(&obj, "scorers", &output::strings(&m.scorers));
        set(&obj, "sha256", &JsValue::from_str(&m.sha256));
        set(&obj, "integrity", &JsValue::from_str(&m.integrity));
        set(&obj, "bytes", &JsValue::from_f64(m.bytes as f64));
        let fusion_cfg = &self.inner.engine.model().fusion;
        let fusion = Object::new();
        set(&fusion, "method", &JsValue::from_str(fusion_cfg.method.name()));
        set(&fusion, "normalization", &JsValue::from_str(fusion_cfg.normalization.name()));
        let weights = Object::new();
        for s in Signal::ALL {
            set(&weights, s.name(), &JsValue::from_f64(f64::from(fusion_cfg.weight(s))));
        }
        set(&fusion, "weights", &weights);
        set(&obj, "fusion", &fusion);
        let info = Object::new();
        for (k, v) in &m.info {
            set(&info, k, &JsValue::from_str(v));
        }
        set(&obj, "info", &info);
        obj.unchecked_into()
    }
}
