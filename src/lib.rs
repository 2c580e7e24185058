//! # recofuse (WebAssembly facade)
//!
//! The thin wasm-bindgen layer between a storefront's JavaScript and [`recofuse_core`]. It converts JS
//! values once, calls the engine, converts errors once (a [`RecofuseError`] with a stable `code`), reads
//! the clock (`Date.now()`) and the device's random source for the engine, and keeps the shopper's history
//! in browser storage. It knows nothing of ranking.
//!
//! ```js
//! import init, { Reranker, RecofuseError } from "recofuse";
//! await init();
//! const r = await Reranker.fromUrl("/models/store.bundle", { namespace: "shop" });
//! r.record({ item: "sku-42", kind: "click" });
//! const ranked = r.rerank(["sku-1", "sku-42", "sku-7"], { explain: true, stock: "demote" });
//! ```
//!
//! One module per job, each the one place for it:
//!
//! | module | job |
//! |---|---|
//! | [`types`] (and `src/types.d.ts`) | the TypeScript declarations and the Rust handles typed by them |
//! | [`error`] | the table of error codes, [`FacadeError`], the `RecofuseError` class |
//! | [`convert`] | JS arguments -> Rust (ids, counts, URLs, bytes, events, typed fields) |
//! | [`options`] | the option objects: their keys and their parsing |
//! | `output` | Rust results -> JS objects (their JavaScript side is `src/glue.js`) |
//! | [`load`] | the bundle: download, integrity, validation |
//! | [`persist`] | the history on the device: load, repair, background writes, quota recovery |
//! | [`storage`] | the key/value backends (IndexedDB, localStorage, memory) |
//! | [`integrity`] | SHA-256 and Subresource-Integrity strings |
//! | [`experiment`] | A/B experiments: arms, outcome counters, randomised-response reports (issue 18) |
//!
//! [`Reranker`] only strings them together. `tests/contract.rs` checks `src/types.d.ts` and the README's
//! tables against [`error::ERROR_CODES`] and the key lists of [`options`].
#![warn(missing_docs)]

use std::cell::{Cell, Ref, RefCell};
use std::rc::Rc;

use recofuse_core::{Engine, Event, Profile};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

pub mod candidates;
pub mod convert;
pub mod error;
pub mod experiment;
pub mod freed;
pub mod integrity;
#[cfg(feature = "pieces")]
pub mod lazy;
/// Without the `pieces` feature: the same calls, for a reranker that never has shards.
#[cfg(not(feature = "pieces"))]
#[path = "lazy_off.rs"]
pub mod lazy;
pub mod load;
pub mod options;
mod output;
pub mod persist;
pub mod storage;
pub mod types;

pub use candidates::CandidateSet;
pub use error::RecofuseError;
use error::{FacadeError, Result};
use experiment::RfLab;
use load::BundleMeta;
use persist::HistoryStore;
use storage::Storage;
pub use types::*;

/// Time decay is computed at the clock rounded down to a multiple of this (one minute): a profile is
/// rebuilt when the history changes or the minute does, so decay stays current on long-lived pages and
/// the scores are a function of the history and the clock only.
const PROFILE_MAX_AGE_MS: f64 = 60_000.0;

#[cfg(feature = "debug-panic-hook")]
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The digested history, when it was built, and the history generation it was built from.
struct CachedProfile {
    profile: Profile,
    built_ms: f64,
    generation: u64,
}

/// A reranker: one validated bundle plus the shopper's history under one namespace.
///
/// Create it with `Reranker.fromUrl` or `Reranker.fromBytes`; call `free()` when done.
#[wasm_bindgen]
pub struct Reranker {
    /// Boxed: the JS object and the futures of the constructors move one pointer, not the engine.
    inner: Box<Inner>,
}

/// What a [`Reranker`] holds.
struct Inner {
    /// Replaced when shards of a bundle in pieces arrive (see [`lazy`]).
    engine: RefCell<Engine>,
    meta: BundleMeta,
    history: Rc<HistoryStore>,
    profile: RefCell<Option<CachedProfile>>,
    /// This reranker's serial: a [`CandidateSet`] resolved by another is resolved again (renewed when
    /// the engine is rebuilt with new shards).
    epoch: Cell<u64>,
    /// The shards of a bundle in pieces loaded with `lazy: true`.
    lazy: Option<Rc<lazy::Lazy>>,
    /// The A/B experiments (issue 18).
    lab: RfLab,
}

impl std::fmt::Debug for Reranker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reranker").field("namespace", &self.inner.history.namespace()).finish_non_exhaustive()
    }
}

impl Reranker {
    /// Loads a bundle from bytes with parsed options and a given storage (Rust-side constructor; tests use
    /// it to inject a [`Storage`] such as [`Storage::memory_with_quota`]).
    pub async fn load(bytes: Vec<u8>, options: options::LoadOptions, storage: Option<Storage>) -> Result<Reranker> {
        let bundle_experiments = experiment::bundle_experiments(&bytes);
        let (engine, meta) = load::open(bytes, options.integrity.as_deref())?;
        Reranker::with_engine(engine, meta, options, storage, None, bundle_experiments).await
    }

    /// Opens the history for a validated engine (and, for a bundle in pieces, its shards).
    async fn with_engine(
        engine: Engine,
        meta: BundleMeta,
        options: options::LoadOptions,
        storage: Option<Storage>,
        lazy: Option<Rc<lazy::Lazy>>,
        bundle_experiments: js_sys::Array,
    ) -> Result<Reranker> {
        let storage = match storage {
            Some(s) => s,
            None => Storage::open(options.storage).await?,
        };
        let capacity = engine.model().scoring.history_capacity;
        let outcomes = storage.get(&format!("{}/outcomes", options.namespace)).await.ok().flatten();
        let target = storage.js_target();
        let history = HistoryStore::open(storage, options.namespace, capacity).await;
        let lab = RfLab::new(history.namespace(), outcomes, bundle_experiments.clone().into(), &target);
        let inner = Inner {
            engine: RefCell::new(engine),
            meta,
            history,
            profile: RefCell::new(None),
            epoch: Cell::new(candidates::next_epoch()),
            lazy,
            lab,
        };
        let reranker = Reranker { inner: Box::new(inner) };
        // The bundle's experiments (`fusion.experiments`), the first one current; invalid ones are skipped
        // (`experiment({ name })` then says why).
        if bundle_experiments.length() > 0 {
            if let Ok(seed) = reranker.inner.history.ab_seed() {
                for spec in bundle_experiments.iter().rev() {
                    let _ = reranker.enrol(&spec, seed);
                }
            }
        }
        Ok(reranker)
    }

    /// Assigns this device to an arm of `spec` (validating every arm's options) and makes it current.
    fn enrol(&self, spec: &JsValue, seed: u32) -> Result<JsValue> {
        let lab = &self.inner.lab;
        let got = lab.define(spec, seed);
        if let Some(message) = got.as_string() {
            return Err(FacadeError::bad_argument(message));
        }
        let all: js_sys::Array = got.unchecked_into();
        for arm_options in all.iter().skip(1) {
            options::rerank_options(Some(&arm_options), None, &self.engine())?;
        }
        let assignment = all.get(0);
        lab.enter(&assignment);
        Ok(assignment)
    }

    /// Writes the experiments' new outcome rows in the background (failures are kept by the lab; the
    /// rows stay in memory).
    fn save_outcomes(&self) -> Result<()> {
        self.inner.lab.save(&self.inner.history.storage()?.js_target());
        Ok(())
    }

    /// `Reranker.fromUrl` for Rust callers (the JavaScript one also makes a freed instance throw `FREED`,
    /// see [`freed`]).
    pub async fn from_url(url: UrlArg, options: Option<LoadOptionsArg>) -> Result<Reranker, JsValue> {
        let url = convert::url(&url)?;
        let options = options::load_options(options.as_ref().map(|o| o.as_ref()))?;
        #[cfg(feature = "pieces")]
        if options.lazy {
            return Ok(lazy::load(url, options).await?);
        }
        #[cfg(not(feature = "pieces"))]
        if options.lazy {
            return Err(
                FacadeError::bad_argument("lazy: true needs the package built with the `pieces` feature").into()
            );
        }
        let bytes = load::fetch_bytes(&url).await?;
        Ok(Reranker::load(bytes, options, None).await?)
    }

    /// `Reranker.fromBytes` for Rust callers (see [`Reranker::from_url`]).
    pub async fn from_bytes(bytes: BytesArg, options: Option<LoadOptionsArg>) -> Result<Reranker, JsValue> {
        let options = options::load_options(options.as_ref().map(|o| o.as_ref()))?;
        let bytes = convert::bytes(&bytes)?;
        Ok(Reranker::load(bytes, options, None).await?)
    }

    /// The engine (Rust-side access for tests and tools); for a bundle in pieces, rebuilt first with the
    /// shards that arrived.
    pub fn engine(&self) -> Ref<'_, Engine> {
        self.sync_lazy();
        self.inner.engine.borrow()
    }

    /// For a bundle in pieces: rebuilds the engine from the shards present when new ones arrived (the
    /// profile is rebuilt and candidate sets are resolved again, as item indices changed).
    fn sync_lazy(&self) {
        let Some(l) = &self.inner.lazy else { return };
        let (Ok(mut engine), Ok(mut profile)) =
            (self.inner.engine.try_borrow_mut(), self.inner.profile.try_borrow_mut())
        else {
            return;
        };
        if let Some(model) = l.take_model() {
            if let Ok(e) = Engine::new(model) {
                *engine = e;
                *profile = None;
                self.inner.epoch.set(candidates::next_epoch());
            }
        }
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        self.inner.history.namespace()
    }

    /// The storage in use (Rust-side access for tests).
    pub fn storage(&self) -> Result<Storage> {
        self.inner.history.storage()
    }

    /// Runs `f` with the engine and a profile of the current history, rebuilding the profile when the
    /// history or the minute changed.
    fn with_profile<T>(&self, f: impl FnOnce(&Engine, &Profile) -> T) -> Result<T> {
        // The profile is built at the clock rounded down to the minute, so that it is a function of the
        // history and the clock alone: two instances with the same events give the same bits whenever each
        // last reranked (issue 16).
        let now = (js_sys::Date::now() / PROFILE_MAX_AGE_MS).floor() * PROFILE_MAX_AGE_MS;
        let engine = self.engine();
        let mut cache = self.inner.profile.try_borrow_mut().map_err(|_| FacadeError::busy())?;
        self.inner.history.with_history(|history, generation| {
            let fresh = cache.as_ref().is_some_and(|c| c.generation == generation && c.built_ms == now);
            if !fresh {
                *cache = Some(CachedProfile { profile: engine.profile(history, now), built_ms: now, generation });
            }
        })?;
        match &*cache {
            Some(c) => Ok(f(&engine, &c.profile)),
            None => Err(FacadeError::busy()),
        }
    }

    /// Reranks an array of ids or a [`CandidateSet`]; returns the array the positions refer to.
    fn rerank_impl(&self, ids: &JsValue, options: Option<&JsValue>) -> Result<(js_sys::Array, recofuse_core::Ranking)> {
        let engine = &self.engine();
        let (src, ids, set) = match candidates::lookup(ids)? {
            Some(d) if d.epoch == self.inner.epoch.get() => (d.src.clone(), None, Some(d)),
            // A set from another reranker: its indices mean nothing here, so its ids are resolved again.
            Some(d) => (d.src.clone(), Some(convert::candidates(&d.src)?), None),
            None => (ids.clone().unchecked_into(), Some(convert::candidates(ids)?), None),
        };
        let n = ids.as_ref().map_or_else(|| set.as_ref().map_or(0, |d| d.set.len()), Vec::len);
        let options = self.inner.lab.options(options.unwrap_or(&JsValue::UNDEFINED));
        let input = options::rerank_options(Some(&options), Some(n), engine)?;
        let opts = input.options(false);
        let ranking = self.with_profile(|engine, profile| match (&ids, &set) {
            (None, Some(d)) => engine.rerank_set(profile, &d.set, &opts),
            (ids, _) => engine.rerank(profile, ids.as_deref().unwrap_or(&[]), &opts),
        })??;
        Ok((src, ranking))
    }
}

#[wasm_bindgen]
impl Reranker {
    /// Downloads a bundle (`fetch`, no credentials changes, nothing but the URL is sent), checks its HTTP
    /// status (`FETCH_FAILED`, with `status`) and optional `integrity` (`INTEGRITY_MISMATCH`), validates it
    /// (`BUNDLE_*` codes) and opens the history storage.
    #[wasm_bindgen(js_name = fromUrl)]
    pub async fn from_url_js(url: UrlArg, options: Option<LoadOptionsArg>) -> Result<freed::RerankerObject, JsValue> {
        Ok(freed::guard(Reranker::from_url(url, options).await?))
    }

    /// Loads a bundle from bytes (validated once, here) and opens the history storage.
    #[wasm_bindgen(js_name = fromBytes)]
    pub async fn from_bytes_js(
        bytes: BytesArg,
        options: Option<LoadOptionsArg>,
    ) -> Result<freed::RerankerObject, JsValue> {
        Ok(freed::guard(Reranker::from_bytes(bytes, options).await?))
    }

    /// Records an interaction `{ item, kind, ts? }` (`ts` defaults to `Date.now()`). The in-memory history
    /// changes at once (the next rerank sees it); storage is written in the background. Returns `false`
    /// (and records nothing) while paused. Unknown kinds throw `INVALID_INPUT`.
    pub fn record(&self, event: RecordEventArg) -> Result<bool, JsValue> {
        let input = convert::record_input(&event)?;
        let ts = input.ts.unwrap_or_else(js_sys::Date::now);
        let recorded = self.inner.history.record(Event::new(input.item.clone(), input.kind, ts))?;
        if recorded {
            self.inner.lab.event(&input.item, input.kind as u8, ts);
            self.save_outcomes()?;
            lazy::in_background(&self.inner.lazy, &input.item);
        }
        Ok(recorded)
    }

    /// Reranks candidate ids (strings, or numbers which are stringified), given as an array or as a
    /// `CandidateSet` from `candidates(ids)` (the same result). Every candidate comes back (unless
    /// removed by `stock: "filter"` / `excludeSeen` or cut by `k`), unknown ids last.
    pub fn rerank(&self, ids: CandidatesArg, options: Option<RerankOptionsArg>) -> Result<RankedList, JsValue> {
        let (src, ranking) = self.rerank_impl(&ids, options.as_ref().map(|o| o.as_ref()))?;
        Ok(output::ranked_list(&ranking, Some(&src), &self.engine()).unchecked_into())
    }

    /// Resolves candidate ids once into a `CandidateSet` to pass to `rerank`, `rerankDetailed` and
    /// `rerankTyped` many times (the array is copied; later changes to it do not affect the set).
    pub fn candidates(&self, ids: IdListArg) -> Result<CandidateSet, JsValue> {
        let list = convert::candidates(&ids)?;
        Ok(CandidateSet::new(&self.engine(), self.inner.epoch.get(), &list, ids.unchecked_ref()))
    }

    /// Like `rerank`, but returns `{ order, scores }`: `order` (a `Uint32Array`) holds the positions
    /// in the input of the ranked candidates, best first, and `scores` (a `Float32Array`) their fused
    /// scores (NaN where no signal had anything to say); no object per item. Pins, `k`, the stock rule
    /// and `excludeSeen` apply as in `rerank`; `explain: true` is `BAD_ARGUMENT` (use `rerank`).
    #[wasm_bindgen(js_name = rerankTyped)]
    pub fn rerank_typed(&self, ids: CandidatesArg, options: Option<RerankOptionsArg>) -> Result<TypedRanking, JsValue> {
        let options: Option<&JsValue> = options.as_ref().map(|o| o.as_ref());
        if let Some(o) = options.filter(|o| o.is_object()) {
            if convert::opt_bool(o, "explain")? == Some(true) {
                return Err(
                    FacadeError::bad_argument("rerankTyped has no contributions; use rerank for explain").into()
                );
            }
        }
        let (_, ranking) = self.rerank_impl(&ids, options)?;
        Ok(output::typed(&ranking).unchecked_into())
    }

    /// Like `rerank`, also reporting the ids that were filtered, excluded as seen, or unknown.
    #[wasm_bindgen(js_name = rerankDetailed)]
    pub fn rerank_detailed(
        &self,
        ids: CandidatesArg,
        options: Option<RerankOptionsArg>,
    ) -> Result<RerankResult, JsValue> {
        let (src, ranking) = self.rerank_impl(&ids, options.as_ref().map(|o| o.as_ref()))?;
        let result = output::detailed(&ranking, &src, &self.engine());
        lazy::add_pending(&result, &self.inner.lazy);
        Ok(result.unchecked_into())
    }

    /// The `n` best items of the whole catalog for this shopper (items already in the history are
    /// excluded unless `excludeSeen: false`). Takes neither `k` nor `serverScores` (`BAD_ARGUMENT`).
    pub fn recommend(&self, n: CountArg, options: Option<RecommendOptionsArg>) -> Result<RankedList, JsValue> {
        let n = convert::count_arg(&n, "n")?;
        let options = self.inner.lab.options(options.as_ref().map_or(&JsValue::UNDEFINED, |o| o.as_ref()));
        let input = options::rerank_options(Some(&options), None, &self.engine())?;
        let opts = input.options(true);
        if let Some(l) = &self.inner.lazy {
            // A bundle in pieces: the items present and the head's popular items.
            let ids = lazy::recommend_candidates(l, &self.engine());
            let src: js_sys::Array = ids.iter().map(|s| JsValue::from(s.as_str())).collect();
            let o = recofuse_core::Options { k: Some(n), ..opts };
            let ranking =
                self.with_profile(|engine, profile| engine.rerank(profile, &ids, &o))?.map_err(FacadeError::from)?;
            return Ok(output::ranked_list(&ranking, Some(&src), &self.engine()).unchecked_into());
        }
        let ranking =
            self.with_profile(|engine, profile| engine.recommend(profile, n, &opts))?.map_err(FacadeError::from)?;
        Ok(output::ranked_list(&ranking, None, &self.engine()).unchecked_into())
    }

    /// The `n` items most similar to `item` (throws `UNKNOWN_ITEM` for an id the bundle does not know).
    pub fn similar(&self, item: ItemIdArg, n: CountArg) -> Result<ScoredList, JsValue> {
        let id = convert::item_id(&item, &|| "item".to_string())?;
        let n = convert::count_arg(&n, "n")?;
        let items = self.engine().similar(&id, n).map_err(FacadeError::from)?;
        Ok(output::scored(&items, &self.engine()).unchecked_into())
    }

    /// The recorded events, oldest first; its `experiments` property lists the A/B counters (as
    /// `experiments()` does).
    pub fn history(&self) -> Result<HistoryList, JsValue> {
        let list = self.inner.history.with_history(|h, _| output::events(h.events()))?;
        self.inner.lab.attach(&list);
        Ok(list.unchecked_into())
    }

    /// The history as a JSON document (`HistoryExport`) for the shopper to download.
    #[wasm_bindgen(js_name = exportHistory)]
    pub fn export_history(&self) -> Result<String, JsValue> {
        Ok(output::history_export(self.namespace(), self.history()?.as_ref(), js_sys::Date::now()))
    }

    /// Forgets the history and the experiments' outcome counters, in memory at once and in storage (also
    /// any history moved aside as corrupt). The A/B bucket and the arms are kept.
    #[wasm_bindgen(js_name = clearHistory)]
    pub fn clear_history(&self) -> Result<VoidPromise, JsValue> {
        let removal = self.inner.history.clear()?;
        let history = future_to_promise(async move { Ok(removal.await.map(|()| JsValue::UNDEFINED)?) });
        Ok(self.inner.lab.clear(&self.inner.history.storage()?.js_target(), &history).unchecked_into())
    }

    /// Stops recording (`record` returns false) until `resume()`; remembered across reloads.
    pub fn pause(&self) -> Result<(), JsValue> {
        Ok(self.inner.history.set_paused(true)?)
    }

    /// Resumes recording.
    pub fn resume(&self) -> Result<(), JsValue> {
        Ok(self.inner.history.set_paused(false)?)
    }

    /// Whether recording is paused.
    #[wasm_bindgen(js_name = isPaused)]
    pub fn is_paused(&self) -> Result<bool, JsValue> {
        Ok(self.inner.history.is_paused()?)
    }

    /// The shopper's A/B bucket in `0..buckets` (default 2): a random 32-bit seed drawn on the device on
    /// first use, stored under `<namespace>/ab`, modulo `buckets`. Stable across reloads and bundles.
    #[wasm_bindgen(js_name = abBucket)]
    pub fn ab_bucket(&self, buckets: Option<CountArg>) -> Result<u32, JsValue> {
        let n = match &buckets {
            None => 2,
            Some(b) => match convert::count_arg(b, "buckets")? {
                0 => return Err(FacadeError::bad_argument("buckets must be >= 1").into()),
                n => u32::try_from(n).map_err(|_| FacadeError::bad_argument("buckets must be < 2^32"))?,
            },
        };
        Ok(self.inner.history.ab_seed()? % n)
    }

    /// Where and how the history is stored, and what loading it had to repair.
    #[wasm_bindgen(js_name = storageInfo)]
    pub fn storage_info(&self) -> Result<StorageInfoObject, JsValue> {
        let info = self.inner.history.with_status(output::storage_info)?;
        lazy::add_info(&info, &self.inner.lazy);
        Ok(info.unchecked_into())
    }

    /// Writes the history, the A/B seed and the pause flag now and resolves when they are stored (rejects
    /// with `STORAGE_FAILED` if they cannot be; a quota problem is recovered as documented and does not
    /// reject). Not needed for correctness: every change is also written in the background.
    pub fn flush(&self) -> VoidPromise {
        let history = Rc::clone(&self.inner.history);
        let target = self.inner.history.storage().map_or(JsValue::NULL, |s| s.js_target());
        let history = future_to_promise(async move { Ok(history.flush().await.map(|()| JsValue::UNDEFINED)?) });
        self.inner.lab.flush(&target, &history).unchecked_into()
    }

    /// Assigns this device to an arm of an A/B experiment `{ name, arms: [{ name, weight?, options? }] }`
    /// (or `{ name }` for an experiment of the bundle's `fusion.experiments`) and makes it the current one:
    /// `rerank` and `recommend` then apply that arm's options over their own (weights merged signal by
    /// signal), and `impression`/`record` count its outcomes. The arm is a function of the device's A/B
    /// seed, the namespace and the experiment name, drawn in proportion to the weights: stable across
    /// reloads, independent between experiment names. Returns `{ experiment, arm, options }`.
    pub fn experiment(&self, spec: ExperimentSpecArg) -> Result<ExperimentAssignment, JsValue> {
        let seed = self.inner.history.ab_seed()?;
        Ok(self.enrol(&spec, seed)?.unchecked_into())
    }

    /// Counts `ids` as shown to the shopper, for each experiment this page runs (the position of a later
    /// click is read from the last impression). Returns `false` (and counts nothing) while paused or when
    /// no experiment runs.
    pub fn impression(&self, ids: IdListArg) -> Result<bool, JsValue> {
        if self.inner.history.is_paused()? {
            return Ok(false);
        }
        let counted = self.inner.lab.impression(&ids, js_sys::Date::now());
        if let Some(message) = counted.as_string() {
            return Err(FacadeError::bad_argument(message).into());
        }
        self.save_outcomes()?;
        Ok(counted.as_f64().is_some_and(|n| n > 0.0))
    }

    /// The outcome counters on this device, one object per experiment and arm.
    pub fn experiments(&self) -> ExperimentCountersList {
        self.inner.lab.counters().unchecked_into()
    }

    /// A report of experiment `name` that the page may send: the arm, the period and whether the shopper
    /// clicked, added to cart and purchased at least once, each bit passed through randomised response
    /// with `epsilon` (default 1.0; each bit is ε-locally differentially private, the report 3ε). No item
    /// ids, no counts; every call draws new noise. The library sends nothing.
    #[wasm_bindgen(js_name = experimentReport)]
    pub fn experiment_report(
        &self,
        name: ExperimentNameArg,
        options: Option<ReportOptionsArg>,
    ) -> Result<ExperimentReport, JsValue> {
        let options: JsValue = options.map_or(JsValue::UNDEFINED, Into::into);
        let report = self.inner.lab.report(&name, &options, js_sys::Date::now()).map_err(|e| {
            FacadeError::new(error::codes::RANDOM_UNAVAILABLE, format!("no random source: {}", error::describe(&e)))
        })?;
        if let Some(message) = report.as_string() {
            return Err(FacadeError::bad_argument(message).into());
        }
        Ok(report.unchecked_into())
    }

    /// Format version, item count, scorers, checksums and default fusion of the loaded bundle.
    #[wasm_bindgen(js_name = bundleInfo)]
    pub fn bundle_info(&self) -> BundleInfoObject {
        output::bundle_info(&self.inner.meta, &self.engine()).unchecked_into()
    }
}
