//! The shopper's history on the device: the in-memory [`History`] that every call sees at once, and its
//! copy in [`Storage`], written in the background. Loading repairs what it can (corrupt records dropped,
//! an unreadable blob moved aside); a full disk halves what is written, then moves to memory, and the
//! whole history is written back when space returns. Nothing here
//! throws for a storage problem that it can recover from: it is reported in [`Status::last_error`].
//!
//! Keys, under the namespace: `<ns>/history` (the encoded history), `<ns>/history.corrupt` (an unreadable
//! blob moved aside), `<ns>/ab` (the A/B seed), `<ns>/paused` (`"1"` while paused).

use std::cell::{Cell, RefCell, RefMut};
use std::future::Future;
use std::rc::Rc;

use js_sys::Promise;
use recofuse_core::json::ToJson;
use recofuse_core::{Event, History, Recovery};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{spawn_local, JsFuture};

use crate::error::{codes, FacadeError, Result};
use crate::storage::{Storage, StorageError};

/// Mutable state. Never borrowed across an `.await` or a call into page code.
struct State {
    storage: Storage,
    history: History,
    /// Events recorded here and not yet appended to storage, oldest first (at most the capacity).
    pending: Vec<Event>,
    /// Bumped by every change of `history` (so that a cache derived from it knows it is stale).
    generation: u64,
    paused: bool,
    ab_seed: Option<u32>,
    /// Most events written to storage (halved on a quota error).
    persist_limit: usize,
    /// The backend given up for memory after a second quota error: written again when space returns.
    home: Option<Storage>,
    /// When (`Date.now()`) a background write next tries to give back what a quota error took away
    /// (`flush()` always tries).
    retry_at: f64,
    last_error: Option<(&'static str, String)>,
    recovered: Recovery,
    moved_aside: Option<String>,
}

/// The history of one namespace, in memory and in storage. Shared (`Rc`) with its background writes.
pub struct HistoryStore {
    namespace: String,
    state: RefCell<State>,
    /// A history write is in flight.
    writing: Cell<bool>,
    /// The history changed while a write was in flight.
    dirty: Cell<bool>,
    /// Resolves when the last history write started is done: writes run one after the other, so that two
    /// (the background one and `flush()`) never append the same pending events.
    tail: RefCell<Option<Promise>>,
}

/// The storage state, for `storageInfo()`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Status<'a> {
    /// Backend name (`indexeddb`, `localstorage`, `memory`).
    pub backend: &'static str,
    /// Code and message of the last storage problem.
    pub last_error: Option<&'a (&'static str, String)>,
    /// What loading had to repair.
    pub recovered: &'a Recovery,
    /// Key an unreadable history was moved to.
    pub moved_aside: Option<&'a str>,
    /// Events in memory.
    pub events: usize,
    /// Most events kept in memory.
    pub capacity: usize,
    /// Most events written to storage.
    pub persisted_capacity: usize,
    /// Whether recording is paused.
    pub paused: bool,
}

impl Drop for HistoryStore {
    fn drop(&mut self) {
        // Runs once no background write holds the store any more.
        if let Ok(s) = self.state.try_borrow() {
            s.storage.close();
        }
    }
}

impl HistoryStore {
    /// Loads the history, A/B seed and pause flag of `namespace` from `storage` (never fails: problems are
    /// reported in [`Status`]).
    pub async fn open(storage: Storage, namespace: String, capacity: usize) -> Rc<HistoryStore> {
        let loaded = load_history(&storage, &namespace, capacity).await;
        let ab_seed = match storage.get(&format!("{namespace}/ab")).await {
            Ok(Some(s)) => s.trim().parse::<u32>().ok(),
            _ => None,
        };
        let paused = matches!(storage.get(&format!("{namespace}/paused")).await, Ok(Some(s)) if s == "1");
        let state = State {
            storage,
            history: loaded.history,
            pending: Vec::new(),
            generation: 0,
            paused,
            ab_seed,
            persist_limit: capacity,
            home: None,
            retry_at: 0.0,
            last_error: loaded.last_error,
            recovered: loaded.recovered,
            moved_aside: loaded.moved_aside,
        };
        Rc::new(HistoryStore {
            namespace,
            state: RefCell::new(state),
            writing: Cell::new(false),
            dirty: Cell::new(false),
            tail: RefCell::new(None),
        })
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The storage in use.
    pub fn storage(&self) -> Result<Storage> {
        Ok(self.state()?.storage.clone())
    }

    fn state(&self) -> Result<RefMut<'_, State>> {
        self.state.try_borrow_mut().map_err(|_| FacadeError::busy())
    }

    fn key(&self, suffix: &str) -> String {
        format!("{}/{suffix}", self.namespace)
    }

    fn report(&self, code: &'static str, message: String) {
        if let Ok(mut s) = self.state.try_borrow_mut() {
            s.last_error = Some((code, message));
        }
    }

    /// Runs `f` on the history and its generation, a number that changes with every change of the
    /// history (so that what is derived from it knows when it is stale).
    pub fn with_history<T>(&self, f: impl FnOnce(&History, u64) -> T) -> Result<T> {
        let s = self.state()?;
        Ok(f(&s.history, s.generation))
    }

    /// Appends `event` unless paused (then `false`), and writes the history in the background.
    pub fn record(self: &Rc<Self>, event: Event) -> Result<bool> {
        {
            let mut s = self.state()?;
            if s.paused {
                return Ok(false);
            }
            s.history.push(event.clone())?;
            if s.pending.len() >= s.history.capacity() {
                s.pending.remove(0);
            }
            s.pending.push(event);
            s.generation += 1;
        }
        self.schedule_persist();
        Ok(true)
    }

    /// Forgets the history in memory now; the returned future removes it (and any moved-aside copy) from
    /// storage.
    pub fn clear(self: &Rc<Self>) -> Result<impl Future<Output = Result<()>>> {
        let storage = {
            let mut s = self.state()?;
            s.history.clear();
            s.pending.clear();
            s.generation += 1;
            s.recovered = Recovery::default();
            s.moved_aside = None;
            s.storage.clone()
        };
        let this = Rc::clone(self);
        Ok(async move {
            for key in [this.key("history"), this.key("history.corrupt")] {
                if let Err(e) = storage.remove(&key).await {
                    this.report(e.code(), e.to_string());
                    return Err(e.into());
                }
            }
            Ok(())
        })
    }

    /// Pauses or resumes recording (remembered in storage).
    pub fn set_paused(self: &Rc<Self>, paused: bool) -> Result<()> {
        self.state()?.paused = paused;
        self.store_later(self.key("paused"), paused.then(|| "1".to_string()));
        Ok(())
    }

    /// Whether recording is paused.
    pub fn is_paused(&self) -> Result<bool> {
        Ok(self.state()?.paused)
    }

    /// The device's A/B seed: drawn from the platform's random source on first use and stored.
    pub fn ab_seed(self: &Rc<Self>) -> Result<u32> {
        let mut s = self.state()?;
        if let Some(seed) = s.ab_seed {
            return Ok(seed);
        }
        let seed = getrandom::u32().map_err(|e| {
            FacadeError::new(codes::RANDOM_UNAVAILABLE, format!("no random source for the A/B bucket: {e}"))
        })?;
        s.ab_seed = Some(seed);
        drop(s);
        self.store_later(self.key("ab"), Some(seed.to_string()));
        Ok(seed)
    }

    /// Runs `f` on the storage state.
    pub fn with_status<T>(&self, f: impl FnOnce(Status<'_>) -> T) -> Result<T> {
        let s = self.state()?;
        Ok(f(Status {
            backend: s.storage.backend().name(),
            last_error: s.last_error.as_ref(),
            recovered: &s.recovered,
            moved_aside: s.moved_aside.as_deref(),
            events: s.history.len(),
            capacity: s.history.capacity(),
            persisted_capacity: s.persist_limit,
            paused: s.paused,
        }))
    }

    /// Writes the history, the A/B seed and the pause flag now (a quota problem is recovered as the
    /// background writes recover it, and is not an error).
    pub async fn flush(self: Rc<Self>) -> Result<()> {
        self.persist_history(true).await?;
        let (storage, ab, paused) = {
            let s = self.state()?;
            (s.storage.clone(), s.ab_seed, s.paused)
        };
        if let Some(seed) = ab {
            storage.set(&self.key("ab"), &seed.to_string()).await?;
        }
        let paused_key = self.key("paused");
        if paused {
            storage.set(&paused_key, "1").await?;
        } else {
            storage.remove(&paused_key).await?;
        }
        Ok(())
    }

    /// Appends the pending events to the stored history (read, merge and write in one atomic step, so
    /// that other tabs' events are kept), then makes the in-memory history the stored one plus what was
    /// recorded meanwhile: after a write, this tab also sees the other tabs' events. On
    /// `QuotaExceededError`: halve the number of events stored (oldest dropped from storage, never from
    /// memory) and retry once; if that fails too, remove the stored copy and move to the in-memory
    /// backend. Both are reported as `lastError: "STORAGE_QUOTA"`.
    async fn persist_history(&self, write_back: bool) -> Result<()> {
        let mut done = None;
        let mine = Promise::new(&mut |resolve, _| done = Some(resolve));
        let before = self.tail.replace(Some(mine));
        if let Some(p) = before {
            let _ = JsFuture::from(p).await;
        }
        let out = match self.write_back(write_back).await {
            Ok(()) => self.append_pending().await,
            Err(e) => Err(e),
        };
        if let Some(f) = done {
            let _ = f.call0(&JsValue::NULL);
        }
        out
    }

    /// After a quota error: when `force` or the retry is due (every [`RETRY_MS`]), tries to store the
    /// whole in-memory history again, at full capacity, on the backend given up for memory (or over the
    /// halved copy), merged with what other tabs stored meanwhile (identical records are kept once). On
    /// success the instance is back on that backend, `persistedCapacity` is the capacity again and the
    /// quota error is cleared; on failure nothing changes until the next try.
    async fn write_back(&self, force: bool) -> Result<()> {
        let key = self.key("history");
        let now = js_sys::Date::now();
        let (target, lines, times, cap) = {
            let mut s = self.state()?;
            let cap = s.history.capacity();
            let target = match &s.home {
                Some(home) => home.clone(),
                None if s.persist_limit < cap => s.storage.clone(),
                None => return Ok(()),
            };
            if !force && now < s.retry_at {
                return Ok(());
            }
            s.retry_at = now + RETRY_MS;
            let (lines, times) = encode_lines(s.history.events());
            (target, lines, times, cap)
        };
        if target.append(&key, &lines, &times, cap).await.is_err() {
            return Ok(());
        }
        let stale = {
            let mut s = self.state()?;
            let stale = s.home.take().map(|_| s.storage.clone());
            s.storage = target;
            s.persist_limit = cap;
            if s.last_error.as_ref().is_some_and(|e| e.0 == codes::STORAGE_QUOTA) {
                s.last_error = None;
            }
            stale
        };
        // The copy kept in the page-wide memory map is stale now.
        if let Some(memory) = stale {
            let _ = memory.remove(&key).await;
        }
        // The pending events were written too; the next append writes them again, kept once.
        Ok(())
    }

    /// One write of [`HistoryStore::persist_history`], run after the previous one is done.
    async fn append_pending(&self) -> Result<()> {
        let key = self.key("history");
        let (mut storage, lines, times, limit) = {
            let s = self.state()?;
            let (lines, times) = encode_lines(s.pending.iter());
            (s.storage.clone(), lines, times, s.persist_limit)
        };
        let mut result = storage.append(&key, &lines, &times, limit).await;
        if matches!(result, Err(StorageError::Failed(_))) {
            // The browser closes the connection when it clears the site's storage behind the page's back:
            // open the database again (recreated empty) and retry once.
            if let Some(fresh) = storage.reopen().await {
                self.state()?.storage = fresh.clone();
                storage = fresh;
                result = storage.append(&key, &lines, &times, limit).await;
            }
        }
        let text = match result {
            Ok(t) => t,
            Err(StorageError::Quota) => {
                let limit = {
                    let mut s = self.state()?;
                    s.persist_limit = (s.persist_limit.min(s.history.len()) / 2).max(1);
                    s.persist_limit
                };
                match storage.append(&key, &lines, &times, limit).await {
                    Ok(t) => {
                        self.report(
                            codes::STORAGE_QUOTA,
                            "storage quota exceeded; the oldest half of the stored history was dropped".into(),
                        );
                        t
                    }
                    Err(_) => {
                        let keep = [self.key("ab"), self.key("paused")];
                        let memory = storage.degrade_to_memory(&keep).await;
                        // No stale copy stays behind on the device (and the space is given back).
                        let _ = storage.remove(&key).await;
                        let text = {
                            let mut s = self.state()?;
                            s.home = Some(storage.clone());
                            s.retry_at = js_sys::Date::now() + RETRY_MS;
                            s.storage = memory.clone();
                            s.persist_limit = s.history.capacity();
                            s.pending.clear();
                            s.history.encode()
                        };
                        self.report(
                            codes::STORAGE_QUOTA,
                            "storage quota exceeded twice; history is now kept in memory only".into(),
                        );
                        return Ok(memory.set(&key, &text).await?);
                    }
                }
            }
            Err(e) => {
                self.report(e.code(), e.to_string());
                return Err(e.into());
            }
        };
        let mut s = self.state()?;
        let Ok((mut merged, _)) = History::decode(&text, s.history.capacity()) else {
            return Ok(());
        };
        // Events older than everything stored that storage could not hold (quota) stay in memory.
        let oldest = merged.events().next().map_or(f64::INFINITY, |e| e.ts_ms);
        let written = times.len().min(s.pending.len());
        s.pending.drain(..written);
        let older: Vec<Event> =
            s.history.events().take_while(|e| e.ts_ms < oldest).filter(|e| !s.pending.contains(e)).cloned().collect();
        for e in older.into_iter().chain(s.pending.iter().cloned()) {
            let _ = merged.push(e);
        }
        s.history = merged;
        s.generation += 1;
        Ok(())
    }

    /// Starts a background write unless one is running (then that one writes again when it is done).
    fn schedule_persist(self: &Rc<Self>) {
        if self.writing.get() {
            self.dirty.set(true);
            return;
        }
        self.writing.set(true);
        let this = Rc::clone(self);
        spawn_local(async move {
            loop {
                this.dirty.set(false);
                // Failures are reported in storageInfo().lastError.
                let _ = this.persist_history(false).await;
                if !this.dirty.get() {
                    break;
                }
            }
            this.writing.set(false);
        });
    }

    /// Writes `value` under `key` (removes it for `None`) in the background; errors are reported.
    fn store_later(self: &Rc<Self>, key: String, value: Option<String>) {
        let this = Rc::clone(self);
        spawn_local(async move {
            let Ok(storage) = this.storage() else {
                return;
            };
            let result = match value {
                Some(v) => storage.set(&key, &v).await,
                None => storage.remove(&key).await,
            };
            if let Err(e) = result {
                this.report(e.code(), e.to_string());
            }
        });
    }
}

/// How often (ms) background writes try to give back what a quota error took away.
const RETRY_MS: f64 = 30_000.0;

/// Encoded records, one per line, and their times.
fn encode_lines<'a>(events: impl Iterator<Item = &'a Event>) -> (String, Vec<f64>) {
    let (mut lines, mut times) = (String::new(), Vec::new());
    for e in events {
        if !lines.is_empty() {
            lines.push('\n');
        }
        e.write_json(&mut lines);
        times.push(e.ts_ms);
    }
    (lines, times)
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
