//! Errors at the JavaScript boundary, in one place: the table of stable codes ([`ERROR_CODES`], the
//! contract the README's error table and the TypeScript `ErrorCode` union are checked against by
//! `tests/contract.rs`), the facade's error value ([`FacadeError`]) and its one conversion into the
//! exported JavaScript class [`RecofuseError`].
//!
//! Engine errors keep the code of [`recofuse_core::Error::code`] (every one of
//! [`recofuse_core::Error::CODES`] has its row here); the facade's own failures use the constants of
//! [`codes`].

use std::cell::Cell;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// One row of the error table: a stable code, the calls that throw it and what it means (Markdown, as in
/// the README's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCodeDoc {
    /// The code, e.g. `"BAD_ARGUMENT"`.
    pub code: &'static str,
    /// The calls that throw it (`never thrown: …` for the codes only reported by `storageInfo()`).
    pub thrown_by: &'static str,
    /// What it means.
    pub meaning: &'static str,
}

/// Declares the constants of [`codes`] and the rows of [`ERROR_CODES`] from one list, so that no code
/// can exist without its documented row.
macro_rules! error_codes {
    ($($code:ident: $by:literal, $meaning:literal;)*) => {
        /// Every stable code, as a constant (the engine's too, for reference).
        pub mod codes {
            $(
                #[doc = concat!("Thrown by ", $by, ": ", $meaning, ".")]
                pub const $code: &str = stringify!($code);
            )*
        }

        /// The error table, in the README's order.
        pub const ERROR_CODES: &[ErrorCodeDoc] =
            &[$(ErrorCodeDoc { code: codes::$code, thrown_by: $by, meaning: $meaning }),*];
    };
}

error_codes! {
    BUNDLE_TRUNCATED: "`fromUrl`, `fromBytes`", "the bundle ends before a part its header promises";
    BUNDLE_BAD_HEADER: "`fromUrl`, `fromBytes`",
        "the safetensors header is not valid (JSON, dtypes, offsets, format name)";
    BUNDLE_UNSUPPORTED_VERSION: "`fromUrl`, `fromBytes`", "a bundle format version this engine does not read";
    BUNDLE_MISSING_SECTION: "`fromUrl`, `fromBytes`", "a required tensor is absent";
    BUNDLE_SHAPE: "`fromUrl`, `fromBytes`", "a tensor has the wrong dtype or shape";
    BUNDLE_INDEX_OUT_OF_RANGE: "`fromUrl`, `fromBytes`", "an index in a section points outside its target";
    BUNDLE_NON_FINITE: "`fromUrl`, `fromBytes`", "a stored float is NaN or infinite";
    BUNDLE_CHECKSUM: "`fromUrl`, `fromBytes`",
        "the file's SHA-256 (everything but the checksum itself) differs from the one in the header";
    BUNDLE_INVALID: "`fromUrl`, `fromBytes`",
        "any other inconsistency (bad UTF-8 id, duplicate ids, bad metadata)";
    INTEGRITY_MISMATCH: "`fromUrl`, `fromBytes`", "the file's SHA-256 differs from the `integrity` option";
    FETCH_FAILED: "`fromUrl`",
        "network error, or an HTTP status other than 2xx (the error's `status` property holds it)";
    STORAGE_UNAVAILABLE: "`fromUrl`, `fromBytes`",
        "`storage: \"indexeddb\"` or `\"localstorage\"` was asked for and cannot be used here";
    BAD_ARGUMENT: "any",
        "an argument of the wrong type or shape: an unexpected option key (misspelt, or `k` or `serverScores` \
         given to `recommend`), `stock` together with a deprecated alias, `serverScores` not as long as the \
         ids, ids that are not an array, a count that is not a non-negative integer, an unknown `storage`";
    INVALID_INPUT: "`record`, `rerank`, `rerankDetailed`, `recommend`",
        "an invalid value: unknown event kind, empty item id, negative weight, unknown method or `stock`, \
         diversity outside [0, 1]";
    UNKNOWN_ITEM: "`similar`", "the id is not in the bundle";
    RANDOM_UNAVAILABLE: "`abBucket`, `experiment`, `experimentReport`", "the platform has no `crypto.getRandomValues`";
    STORAGE_FAILED: "`flush`, `clearHistory`", "storage refused a write for a reason other than quota";
    BUSY: "any", "a method was called re-entrantly from inside another call of the same instance";
    FREED: "any method of a `Reranker` or `CandidateSet`, `rerank` given a freed set",
        "the instance was called after its `free()`";
    STORAGE_QUOTA: "never thrown: `storageInfo().lastError`",
        "storage was full; the stored history was halved, or moved to memory (see below)";
    HISTORY_UNREADABLE: "never thrown: `storageInfo().recovered`",
        "the stored history could not be read and was moved aside (see below)";
}

/// An error on its way to JavaScript: a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacadeError {
    /// Stable code (one of [`codes`]).
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// HTTP status of a failed download (`FETCH_FAILED` only), copied to the JS `status` property.
    pub status: Option<u16>,
}

impl FacadeError {
    /// An error with `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        FacadeError { code, message: message.into(), status: None }
    }

    /// A [`codes::BAD_ARGUMENT`] error.
    pub fn bad_argument(message: impl Into<String>) -> Self {
        FacadeError::new(codes::BAD_ARGUMENT, message)
    }

    /// A [`codes::BUSY`] error (an instance called from inside one of its own calls).
    pub fn busy() -> Self {
        FacadeError::new(codes::BUSY, "recofuse was called re-entrantly from one of its own calls")
    }
}

impl std::fmt::Display for FacadeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl From<recofuse_core::Error> for FacadeError {
    fn from(e: recofuse_core::Error) -> Self {
        FacadeError { code: e.code(), message: e.to_string(), status: None }
    }
}

// The thrown errors are real `Error` objects (with a `stack`) whose prototype is this class's: the first
// one makes `RecofuseError.prototype` inherit from `Error.prototype` and sets its `name` (in `src/glue.js`,
// smaller there than in Rust), so `e instanceof RecofuseError`, `e instanceof Error` and
// `e.name === "RecofuseError"` all hold. No Rust value stands behind a thrown error (its inherited `free()`
// would throw; nothing needs freeing). These lines are comments, not docs: wasm-bindgen copies a struct's
// docs into the JavaScript glue that every page downloads.
/// The class of every error recofuse throws (declared in `src/types.d.ts`).
#[wasm_bindgen(skip_typescript)]
#[derive(Debug)]
pub struct RecofuseError {
    _private: (),
}

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    /// A `RecofuseError`: `instance` is one of the class (only the first call uses it, for the prototype).
    #[wasm_bindgen(js_name = rfError)]
    fn js_error(instance: JsValue, message: &str, code: &str, status: Option<u16>) -> JsValue;
    /// What a thrown JS value says: `name: message` for errors, else its string form.
    #[wasm_bindgen(js_name = rfDescribe)]
    fn js_describe(value: &JsValue) -> String;
}

thread_local! {
    /// Whether the class's prototype has been handed to the snippet.
    static PROTOTYPE_SET: Cell<bool> = const { Cell::new(false) };
}

impl RecofuseError {
    /// The exported class itself (Rust-side access for tests, which check `e instanceof RecofuseError`).
    pub fn class() -> Option<js_sys::Function> {
        let instance = JsValue::from(RecofuseError { _private: () });
        js_sys::Reflect::get(&instance, &JsValue::from_str("constructor")).ok()?.dyn_into().ok()
    }
}

impl From<FacadeError> for JsValue {
    fn from(e: FacadeError) -> Self {
        // A throwaway instance (freed by its finalizer) hands the class's prototype to the snippet once.
        let instance = match PROTOTYPE_SET.with(|set| set.replace(true)) {
            false => JsValue::from(RecofuseError { _private: () }),
            true => JsValue::UNDEFINED,
        };
        js_error(instance, &e.message, e.code, e.status)
    }
}

/// Result type of facade internals.
pub type Result<T, E = FacadeError> = std::result::Result<T, E>;

/// Describes a thrown JS value for a message (`name: message` for an error, else its string form).
pub fn describe(value: &JsValue) -> String {
    js_describe(value)
}
