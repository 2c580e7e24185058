//! The one error type of the engine.

use thiserror::Error;

/// Everything that can go wrong in `recofuse-core`.
///
/// Each variant names what is wrong with typed fields; [`Error::code`] gives a stable, machine-readable
/// code (the facade copies it into the JavaScript `Error.code` property).
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The bundle ends before a part that its header promises.
    #[error("bundle truncated in {section}: needed {needed} bytes, {available} available")]
    Truncated {
        /// Which part was being read (`"header length"`, `"header"`, a tensor name).
        section: String,
        /// Bytes required.
        needed: u64,
        /// Bytes present.
        available: u64,
    },
    /// The safetensors header is not valid (bad JSON, bad dtype, overlapping or misordered offsets...).
    #[error("bad bundle header: {reason}")]
    BadHeader {
        /// What is wrong.
        reason: String,
    },
    /// The bundle's format version is not one this engine reads.
    #[error("unsupported bundle format version {found} (this engine reads {supported})")]
    UnsupportedVersion {
        /// Version found in `__metadata__`.
        found: String,
        /// Versions supported.
        supported: String,
    },
    /// A required tensor is absent.
    #[error("bundle section {section} is missing")]
    MissingSection {
        /// Tensor or metadata key.
        section: String,
    },
    /// A tensor has the wrong dtype or shape.
    #[error("bundle section {section} has the wrong shape or dtype: expected {expected}, found {found}")]
    Shape {
        /// Tensor name.
        section: String,
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },
    /// An index stored in a section points outside its target.
    #[error("bundle section {section}: index {index} at position {position} is out of range (bound {bound})")]
    IndexOutOfRange {
        /// Tensor name.
        section: String,
        /// Position inside the tensor.
        position: u64,
        /// The offending value.
        index: u64,
        /// The exclusive upper bound.
        bound: u64,
    },
    /// A float stored in a section is NaN or infinite.
    #[error("bundle section {section}: value at position {position} is not finite")]
    NonFinite {
        /// Tensor name (or metadata key).
        section: String,
        /// Position inside the tensor.
        position: u64,
    },
    /// The payload's SHA-256 does not match the one recorded in `__metadata__`.
    #[error("bundle checksum mismatch: header says {expected}, payload hashes to {actual}")]
    ChecksumMismatch {
        /// Hex digest recorded in the header.
        expected: String,
        /// Hex digest of the payload actually present.
        actual: String,
    },
    /// Any other inconsistency inside the bundle (a bad UTF-8 id, duplicate ids, bad metadata JSON...).
    #[error("invalid bundle section {section}: {reason}")]
    InvalidSection {
        /// Tensor name or metadata key.
        section: String,
        /// What is wrong.
        reason: String,
    },
    /// A configuration or request value is invalid (negative weight, unknown method name, NaN parameter...).
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// The parameter.
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// An item id is not in the bundle where a known item is required (e.g. `similar`).
    #[error("unknown item id {}", crate::json::Quoted(.id))]
    UnknownItem {
        /// The id asked for.
        id: String,
    },
    /// Serialised history could not be read at all (unknown version or unreadable header).
    /// Corrupt *records* do not produce this error: they are dropped and reported.
    #[error("history cannot be read: {reason}")]
    History {
        /// What is wrong.
        reason: String,
    },
}

/// Declares [`Error::code`] and [`Error::CODES`] from one list: the match is exhaustive, so a new variant
/// cannot be left out of `CODES` (the facade checks its JavaScript error table against `CODES`).
macro_rules! codes {
    ($($variant:ident => $code:literal,)*) => {
        impl Error {
            /// A stable, machine-readable code for this error, e.g. `"BUNDLE_TRUNCATED"`.
            ///
            /// ```
            /// use recofuse_core::Error;
            /// let e = Error::UnknownItem { id: "sku-1".into() };
            /// assert_eq!(e.code(), "UNKNOWN_ITEM");
            /// assert!(Error::CODES.contains(&e.code()));
            /// ```
            pub fn code(&self) -> &'static str {
                match self {
                    $(Error::$variant { .. } => $code,)*
                }
            }

            /// Every code [`Error::code`] can return, in the order of the variants.
            pub const CODES: &'static [&'static str] = &[$($code),*];
        }
    };
}

codes! {
    Truncated => "BUNDLE_TRUNCATED",
    BadHeader => "BUNDLE_BAD_HEADER",
    UnsupportedVersion => "BUNDLE_UNSUPPORTED_VERSION",
    MissingSection => "BUNDLE_MISSING_SECTION",
    Shape => "BUNDLE_SHAPE",
    IndexOutOfRange => "BUNDLE_INDEX_OUT_OF_RANGE",
    NonFinite => "BUNDLE_NON_FINITE",
    ChecksumMismatch => "BUNDLE_CHECKSUM",
    InvalidSection => "BUNDLE_INVALID",
    InvalidInput => "INVALID_INPUT",
    UnknownItem => "UNKNOWN_ITEM",
    History => "HISTORY_UNREADABLE",
}

impl Error {
    /// Shorthand for [`Error::InvalidInput`].
    pub fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput { what: what.into(), reason: reason.into() }
    }

    /// Shorthand for [`Error::InvalidSection`].
    pub fn section(section: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidSection { section: section.into(), reason: reason.into() }
    }
}

/// Result alias of the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;
