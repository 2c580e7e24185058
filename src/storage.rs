//! Where the shopper's history lives on the device: a small string key/value [`Storage`] with three
//! backends, tried in this order by [`StoragePreference::Auto`]:
//!
//! 1. **IndexedDB**: database `recofuse`, object store `kv`, out-of-line string keys
//!    (`<namespace>/history`, `<namespace>/ab`, ...), string values.
//! 2. **localStorage**: the same keys prefixed with `recofuse:`.
//! 3. **memory**: a map shared by every instance of the module for the life of the page (or Node process);
//!    used where neither is available (Node, some private modes, sandboxed frames raising
//!    `SecurityError`).
//!
//! Nothing here knows what the values mean; [`crate::persist`] decides what to store.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode};

use recofuse_core::history::{HISTORY_MAGIC, HISTORY_VERSION};

use crate::error::{codes, describe, FacadeError};

/// Name of the IndexedDB database.
pub const IDB_NAME: &str = "recofuse";
/// Name of the IndexedDB object store.
pub const IDB_STORE: &str = "kv";
/// Prefix of localStorage keys.
pub const LOCAL_PREFIX: &str = "recofuse:";

/// Which backend a [`Storage`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// IndexedDB.
    IndexedDb,
    /// `window.localStorage`.
    LocalStorage,
    /// In-memory map (lost on reload).
    Memory,
}

impl Backend {
    /// Stable name used by `storageInfo().backend`: `indexeddb`, `localstorage`, `memory`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::IndexedDb => "indexeddb",
            Backend::LocalStorage => "localstorage",
            Backend::Memory => "memory",
        }
    }
}

/// The `storage` load option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StoragePreference {
    /// IndexedDB, else localStorage, else memory; never fails.
    #[default]
    Auto,
    /// IndexedDB or a `STORAGE_UNAVAILABLE` error.
    IndexedDb,
    /// localStorage or a `STORAGE_UNAVAILABLE` error.
    LocalStorage,
    /// Memory only (nothing is written to the device).
    Memory,
}

impl StoragePreference {
    /// Every preference, in the order of the `StorageBackend` type.
    pub const ALL: [StoragePreference; 4] = [
        StoragePreference::Auto,
        StoragePreference::IndexedDb,
        StoragePreference::LocalStorage,
        StoragePreference::Memory,
    ];

    /// The name of the `storage` option: `auto`, `indexeddb`, `localstorage` or `memory`.
    pub fn name(self) -> &'static str {
        match self {
            StoragePreference::Auto => "auto",
            StoragePreference::IndexedDb => "indexeddb",
            StoragePreference::LocalStorage => "localstorage",
            StoragePreference::Memory => "memory",
        }
    }

    /// Parses one of the names of [`StoragePreference::name`].
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "auto" => Some(StoragePreference::Auto),
            "indexeddb" => Some(StoragePreference::IndexedDb),
            "localstorage" => Some(StoragePreference::LocalStorage),
            "memory" => Some(StoragePreference::Memory),
            _ => None,
        }
    }
}

/// Why a storage operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageError {
    /// The backend is out of space (`QuotaExceededError`).
    Quota,
    /// Any other failure, described.
    Failed(String),
}

impl StorageError {
    /// The stable code reported for this error (`STORAGE_QUOTA` or `STORAGE_FAILED`).
    pub fn code(&self) -> &'static str {
        match self {
            StorageError::Quota => codes::STORAGE_QUOTA,
            StorageError::Failed(_) => codes::STORAGE_FAILED,
        }
    }
}

impl std::fmt::Display for StorageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageError::Quota => f.write_str("storage quota exceeded"),
            StorageError::Failed(why) => write!(f, "storage failed: {why}"),
        }
    }
}

impl From<StorageError> for FacadeError {
    fn from(e: StorageError) -> Self {
        FacadeError::new(e.code(), e.to_string())
    }
}

/// A memory map with an optional byte quota (sum of key and value lengths), to exercise the quota
/// recovery where no real backend can be filled on demand. A few keys at most (history, A/B bucket), so
/// a vector searched in order (smaller in the WebAssembly module than a hash or B-tree map).
#[derive(Debug, Default)]
struct MemoryMap {
    entries: Vec<(String, String)>,
    quota: Option<usize>,
}

impl MemoryMap {
    fn used_without(&self, key: &str) -> usize {
        self.entries.iter().filter(|(k, _)| k.as_str() != key).map(|(k, v)| k.len() + v.len()).sum()
    }

    fn get(&self, key: &str) -> Option<String> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    fn remove(&mut self, key: &str) {
        self.entries.retain(|(k, _)| k != key);
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), StorageError> {
        if let Some(q) = self.quota {
            if self.used_without(key) + key.len() + value.len() > q {
                return Err(StorageError::Quota);
            }
        }
        self.remove(key);
        self.entries.push((key.to_string(), value.to_string()));
        Ok(())
    }
}

thread_local! {
    /// The page-wide memory backend (one per wasm instance).
    static SHARED_MEMORY: Rc<RefCell<MemoryMap>> = Rc::new(RefCell::new(MemoryMap::default()));
}

#[derive(Debug, Clone)]
enum Kind {
    Idb(IdbDatabase),
    Local(web_sys::Storage),
    Memory(Rc<RefCell<MemoryMap>>),
}

/// A string key/value store on one backend.
#[derive(Debug, Clone)]
pub struct Storage {
    kind: Kind,
}

impl Storage {
    /// Opens storage following `preference`. `Auto` never fails (it ends with memory); an explicit backend
    /// that cannot be used is a `STORAGE_UNAVAILABLE` error.
    pub async fn open(preference: StoragePreference) -> Result<Storage, FacadeError> {
        let unavailable = |what: &str, why: String| {
            FacadeError::new(codes::STORAGE_UNAVAILABLE, format!("{what} is not available here: {why}"))
        };
        match preference {
            StoragePreference::Memory => Ok(Storage::memory()),
            StoragePreference::IndexedDb => open_idb().await.map_err(|e| unavailable("IndexedDB", e)),
            StoragePreference::LocalStorage => open_local().map_err(|e| unavailable("localStorage", e)),
            StoragePreference::Auto => {
                if let Ok(s) = open_idb().await {
                    return Ok(s);
                }
                if let Ok(s) = open_local() {
                    return Ok(s);
                }
                Ok(Storage::memory())
            }
        }
    }

    /// The page-wide in-memory storage (shared by every instance, lost on reload).
    pub fn memory() -> Storage {
        Storage { kind: Kind::Memory(SHARED_MEMORY.with(Rc::clone)) }
    }

    /// A private in-memory storage refusing writes beyond `quota_bytes` (sum of key and value lengths)
    /// with [`StorageError::Quota`]: a test double for a full disk.
    pub fn memory_with_quota(quota_bytes: usize) -> Storage {
        let map = MemoryMap { entries: Vec::new(), quota: Some(quota_bytes) };
        Storage { kind: Kind::Memory(Rc::new(RefCell::new(map))) }
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        match self.kind {
            Kind::Idb(_) => Backend::IndexedDb,
            Kind::Local(_) => Backend::LocalStorage,
            Kind::Memory(_) => Backend::Memory,
        }
    }

    /// Reads `key`. A value that is not a string (written by someone else) is returned as its string form.
    pub async fn get(&self, key: &str) -> Result<Option<String>, StorageError> {
        match &self.kind {
            Kind::Memory(m) => Ok(m.borrow().get(key)),
            Kind::Local(s) => s.get_item(&local_key(key)).map_err(js_failure),
            Kind::Idb(db) => {
                let tx = db.transaction_with_str(IDB_STORE).map_err(js_failure)?;
                let store = tx.object_store(IDB_STORE).map_err(js_failure)?;
                let req = store.get(&JsValue::from_str(key)).map_err(js_failure)?;
                let value = await_request(&req).await?;
                if value.is_undefined() || value.is_null() {
                    Ok(None)
                } else if let Some(s) = value.as_string() {
                    Ok(Some(s))
                } else {
                    Ok(Some(js_sys::JSON::stringify(&value).ok().and_then(|s| s.as_string()).unwrap_or_default()))
                }
            }
        }
    }

    /// Writes `key`; resolves once the write is durable (IndexedDB transaction complete).
    pub async fn set(&self, key: &str, value: &str) -> Result<(), StorageError> {
        match &self.kind {
            Kind::Memory(m) => m.borrow_mut().set(key, value),
            Kind::Local(s) => s.set_item(&local_key(key), value).map_err(js_failure),
            Kind::Idb(db) => {
                let tx =
                    db.transaction_with_str_and_mode(IDB_STORE, IdbTransactionMode::Readwrite).map_err(js_failure)?;
                let store = tx.object_store(IDB_STORE).map_err(js_failure)?;
                store.put_with_key(&JsValue::from_str(value), &JsValue::from_str(key)).map_err(js_failure)?;
                await_transaction(&tx).await
            }
        }
    }

    /// Appends encoded history records (`lines`, one per line, their times in `times`) to the history
    /// text under `key`, keeping the newest `cap` records in time order, and returns the stored text.
    /// Atomic across tabs: one IndexedDB readwrite transaction reads, merges and writes; localStorage
    /// does the same under a Web Lock (`navigator.locks`) where there is one (without, two tabs writing in
    /// the same instant can still lose one's records); the memory map is atomic by construction. Stored
    /// records that do not parse are dropped; a stored text with another header is replaced.
    pub async fn append(&self, key: &str, lines: &str, times: &[f64], cap: usize) -> Result<String, StorageError> {
        let head = format!("{HISTORY_MAGIC} {HISTORY_VERSION}");
        let target: JsValue = match &self.kind {
            Kind::Memory(m) => {
                let merged = js_merge(m.borrow().get(key).into(), lines, times, cap, &head);
                m.borrow_mut().set(key, &merged)?;
                return Ok(merged);
            }
            Kind::Local(s) => s.into(),
            Kind::Idb(db) => db.into(),
        };
        let promise = js_append(&target, key, lines, times, cap, &head).map_err(js_failure)?;
        let text = JsFuture::from(promise).await.map_err(js_failure)?;
        Ok(text.as_string().unwrap_or_default())
    }

    /// What `src/glue.js` writes the experiments' outcomes to (issue 18): the `IDBDatabase`, the
    /// `localStorage` object, or null for the memory backends.
    pub fn js_target(&self) -> JsValue {
        match &self.kind {
            Kind::Idb(db) => db.into(),
            Kind::Local(s) => s.into(),
            Kind::Memory(_) => JsValue::NULL,
        }
    }

    /// A new connection to the same IndexedDB database (`None` for the other backends or when it cannot
    /// be opened): after the browser closed this one, e.g. because the site's data was cleared.
    pub async fn reopen(&self) -> Option<Storage> {
        match self.kind {
            Kind::Idb(_) => open_idb().await.ok(),
            _ => None,
        }
    }

    /// Removes `key` (absent keys are fine).
    pub async fn remove(&self, key: &str) -> Result<(), StorageError> {
        match &self.kind {
            Kind::Memory(m) => {
                m.borrow_mut().remove(key);
                Ok(())
            }
            Kind::Local(s) => s.remove_item(&local_key(key)).map_err(js_failure),
            Kind::Idb(db) => {
                let tx =
                    db.transaction_with_str_and_mode(IDB_STORE, IdbTransactionMode::Readwrite).map_err(js_failure)?;
                let store = tx.object_store(IDB_STORE).map_err(js_failure)?;
                store.delete(&JsValue::from_str(key)).map_err(js_failure)?;
                await_transaction(&tx).await
            }
        }
    }

    /// Closes the IndexedDB connection of this storage (and of its clones); a no-op for the other
    /// backends. Used when the owning instance is freed.
    pub fn close(&self) {
        if let Kind::Idb(db) = &self.kind {
            db.close();
        }
    }

    /// Copies `keys` from this storage into the page-wide memory storage and returns it: the fallback when
    /// this backend keeps failing.
    pub async fn degrade_to_memory(&self, keys: &[String]) -> Storage {
        let mem = Storage::memory();
        for key in keys {
            if let Ok(Some(v)) = self.get(key).await {
                // The shared memory map has no quota.
                let _ = mem.set(key, &v).await;
            }
        }
        mem
    }
}

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    /// Stored history text + new records, newest `cap` in time order (see [`Storage::append`]).
    #[wasm_bindgen(js_name = rfMerge)]
    fn js_merge(old: JsValue, lines: &str, times: &[f64], cap: usize, head: &str) -> String;
    /// [`Storage::append`] on IndexedDB or localStorage; resolves to the stored text.
    #[wasm_bindgen(js_name = rfAppend, catch)]
    fn js_append(
        target: &JsValue,
        key: &str,
        lines: &str,
        times: &[f64],
        cap: usize,
        head: &str,
    ) -> Result<Promise, JsValue>;
}

fn local_key(key: &str) -> String {
    format!("{LOCAL_PREFIX}{key}")
}

/// Maps a thrown JS value (usually a `DOMException`) to a [`StorageError`].
fn js_failure(value: JsValue) -> StorageError {
    let name = Reflect::get(&value, &JsValue::from_str("name")).ok().and_then(|n| n.as_string());
    if name.as_deref() == Some("QuotaExceededError") || name.as_deref() == Some("NS_ERROR_DOM_QUOTA_REACHED") {
        StorageError::Quota
    } else {
        StorageError::Failed(describe(&value))
    }
}

/// A property of the global object (`window`, `self` or `globalThis`), if present and readable.
fn global_property(name: &str) -> Result<JsValue, String> {
    let v = Reflect::get(&js_sys::global(), &JsValue::from_str(name)).map_err(|e| describe(&e))?;
    if v.is_undefined() || v.is_null() {
        Err(format!("{name} is not defined"))
    } else {
        Ok(v)
    }
}

fn open_local() -> Result<Storage, String> {
    let storage: web_sys::Storage = global_property("localStorage")?.unchecked_into();
    // Probe: some private modes expose localStorage but refuse every write.
    let probe = local_key("__probe__");
    storage.set_item(&probe, "1").map_err(|e| describe(&e))?;
    storage.remove_item(&probe).map_err(|e| describe(&e))?;
    Ok(Storage { kind: Kind::Local(storage) })
}

async fn open_idb() -> Result<Storage, String> {
    let factory: IdbFactory = global_property("indexedDB")?.unchecked_into();
    let req: IdbOpenDbRequest = factory.open_with_u32(IDB_NAME, 1).map_err(|e| describe(&e))?;
    let target = req.clone();
    let on_upgrade = Closure::<dyn FnMut(web_sys::IdbVersionChangeEvent)>::new(move |_ev| {
        // Version 0 -> 1: create the one object store. Errors surface through the open request.
        if let Ok(db) = target.result() {
            let db: IdbDatabase = db.unchecked_into();
            let _ = db.create_object_store(IDB_STORE);
        }
    });
    req.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
    let opened = await_request(&req).await;
    req.set_onupgradeneeded(None);
    drop(on_upgrade);
    let db: IdbDatabase = opened.map_err(|e| e.to_string())?.unchecked_into();
    // A database created by someone else without our store: unusable, fall back.
    if !db.object_store_names().contains(IDB_STORE) {
        db.close();
        return Err(format!("database {IDB_NAME} has no object store {IDB_STORE}"));
    }
    Ok(Storage { kind: Kind::Idb(db) })
}

/// Waits for an `IDBRequest` and returns its `result`. The promise's own resolve/reject functions are the
/// event handlers, so no Rust closure outlives the request.
async fn await_request(req: &IdbRequest) -> Result<JsValue, StorageError> {
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
    });
    let outcome = JsFuture::from(promise).await;
    req.set_onsuccess(None);
    req.set_onerror(None);
    match outcome {
        Ok(_) => req.result().map_err(js_failure),
        Err(_) => Err(request_error(req)),
    }
}

/// Waits for an `IDBTransaction` to complete (or fail).
async fn await_transaction(tx: &IdbTransaction) -> Result<(), StorageError> {
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        tx.set_oncomplete(Some(&resolve));
        tx.set_onerror(Some(&reject));
        tx.set_onabort(Some(&reject));
    });
    let outcome = JsFuture::from(promise).await;
    tx.set_oncomplete(None);
    tx.set_onerror(None);
    tx.set_onabort(None);
    match outcome {
        Ok(_) => Ok(()),
        Err(event) => {
            // The error event's target is the failed request (it bubbles); an abort carries tx.error.
            let from_request = Reflect::get(&event, &JsValue::from_str("target"))
                .ok()
                .filter(|t| t.is_instance_of::<IdbRequest>())
                .map(|t| request_error(t.unchecked_ref()));
            match from_request {
                Some(e) => Err(e),
                None => Err(match tx.error() {
                    Some(dom) => js_failure(dom.into()),
                    None => StorageError::Failed("IndexedDB transaction aborted".into()),
                }),
            }
        }
    }
}

fn request_error(req: &IdbRequest) -> StorageError {
    match req.error() {
        Ok(Some(dom)) => js_failure(dom.into()),
        Ok(None) => StorageError::Failed("IndexedDB request failed".into()),
        Err(e) => js_failure(e),
    }
}
