//! Errors at the JavaScript boundary: every failure reaches JS as an `Error` whose `message` is a readable
//! sentence and whose `code` property is a stable, machine-readable code.
//!
//! Engine errors keep the code of [`recofuse_core::Error::code`]; the facade adds a few of its own
//! (listed in [`codes`]). Conversion happens once, here.

use wasm_bindgen::prelude::*;

/// The facade's own error codes (engine codes come from [`recofuse_core::Error::code`]).
pub mod codes {
    /// An argument has the wrong type or shape (e.g. `serverScores` longer than the candidate list).
    pub const BAD_ARGUMENT: &str = "BAD_ARGUMENT";
    /// The storage backend that was asked for explicitly cannot be used here.
    pub const STORAGE_UNAVAILABLE: &str = "STORAGE_UNAVAILABLE";
    /// Storage refused a write for lack of space (reported in `storageInfo().lastError`, not thrown).
    pub const STORAGE_QUOTA: &str = "STORAGE_QUOTA";
    /// Storage failed for another reason (reported in `storageInfo().lastError`, or thrown by `flush`).
    pub const STORAGE_FAILED: &str = "STORAGE_FAILED";
    /// The bundle could not be downloaded (network error or HTTP status other than 2xx).
    pub const FETCH_FAILED: &str = "FETCH_FAILED";
    /// The bundle's SHA-256 does not match the `integrity` option.
    pub const INTEGRITY_MISMATCH: &str = "INTEGRITY_MISMATCH";
    /// The platform offers no cryptographic random source (needed once, for the A/B bucket).
    pub const RANDOM_UNAVAILABLE: &str = "RANDOM_UNAVAILABLE";
    /// A method was called from inside a callback of the same instance (re-entrant call).
    pub const BUSY: &str = "BUSY";
}

/// An error on its way to JavaScript: a stable code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacadeError {
    /// Stable code (an engine code or one of [`codes`]).
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

impl From<FacadeError> for JsValue {
    fn from(e: FacadeError) -> Self {
        let err = js_sys::Error::new(&e.message);
        err.set_name("RecofuseError");
        // Setting a property on a fresh Error object cannot fail; if it ever did, the error still carries
        // its message.
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.code));
        if let Some(status) = e.status {
            let _ = js_sys::Reflect::set(&err, &JsValue::from_str("status"), &JsValue::from(status));
        }
        err.into()
    }
}

/// Result type of facade internals.
pub type Result<T, E = FacadeError> = std::result::Result<T, E>;

/// Describes a thrown JS value for a message (its `message` property, or its string form).
pub fn describe(value: &JsValue) -> String {
    if let Some(s) = value.as_string() {
        return s;
    }
    if let Ok(m) = js_sys::Reflect::get(value, &JsValue::from_str("message")) {
        if let Some(s) = m.as_string() {
            let name = js_sys::Reflect::get(value, &JsValue::from_str("name")).ok().and_then(|n| n.as_string());
            return match name {
                Some(n) if !n.is_empty() => format!("{n}: {s}"),
                _ => s,
            };
        }
    }
    "unknown JavaScript error".to_string()
}
