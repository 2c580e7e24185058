//! A small JSON reader and writer, just what the engine needs (the safetensors header, the fusion and
//! scoring configurations, history records), without pulling `serde_json` into the WebAssembly build.
//!
//! * [`parse`] / [`parse_bytes`] read [RFC 8259](https://www.rfc-editor.org/rfc/rfc8259) JSON into a
//!   [`Value`]. They never panic, limit nesting to [`MAX_DEPTH`] and report a typed [`Error::Syntax`]
//!   with the byte position of the problem. Strings must be valid UTF-8; `\u` escapes may encode
//!   surrogate pairs but not lone surrogates; numbers must be finite as `f64`.
//! * [`ToJson`] writes compact JSON: strings escaped like `serde_json` does (`"`, `\`, control
//!   characters; everything else verbatim), numbers as the shortest correctly rounded decimal that reads
//!   back exactly ([`write_f64`]: plain notation like Rust's `Display`, integral values without a
//!   fraction, no `core::fmt` float code), non-finite numbers as `null`. [`ObjectWriter`] writes an object field by
//!   field.
//! * [`Value::get`], [`Value::as_u64`], ... and the `req_*` helpers read typed fields, the latter with a
//!   [`Error::Field`] naming the field. [`struct_fields`] picks the known fields of an object the way a
//!   serde derive does (unknown fields ignored, a duplicated known field is an error).
//!
//! The module is split by job: [`parse`] (the reader), `value` (typed access to a parsed [`Value`]),
//! `write` ([`ToJson`] and the writers), `number` (shortest round-trip float formatting and correctly
//! rounded decimal reading, without `core::fmt`'s float code or the standard library's parse tables).
//!
//! Objects keep their fields in document order, duplicates included; [`Value::get`] returns the last
//! occurrence of a key (what `serde_json` keeps).
//!
//! ```
//! use recofuse_core::json::{self, ToJson, Value};
//!
//! let v = json::parse(r#"{"name": "caf\u00e9 \ud83d\ude00", "dims": [5, 8], "ok": true}"#).unwrap();
//! assert_eq!(v.get("name").and_then(Value::as_str), Some("café 😀"));
//! assert_eq!(v.get("dims").and_then(Value::as_array).map(|d| d.len()), Some(2));
//! assert_eq!(v.to_json(), r#"{"name":"café 😀","dims":[5,8],"ok":true}"#);
//! assert_eq!(json::parse(&v.to_json()).unwrap(), v);
//!
//! let err = json::parse("[1, 2").unwrap_err();
//! assert_eq!(err.to_string(), "unexpected end of input at byte 5");
//! ```

use std::fmt;

mod number;
mod parse;
mod value;
mod write;

pub use number::{write_f32, write_f64, Num};
pub use parse::{parse, parse_bytes};
pub use value::{field_error, required, struct_fields};
pub use write::{write_str, Dims, ObjectWriter, Quoted, ToJson};

/// Deepest nesting of arrays and objects [`parse`] accepts (`serde_json`'s default limit too).
pub const MAX_DEPTH: usize = 128;

/// Largest integer every `f64` up to which is exact (2^53); the limit of [`Value::as_u64`].
pub const MAX_SAFE_INTEGER: u64 = 1 << 53;

/// `Result` with a JSON [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number (always finite when parsed).
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object: fields in document order (duplicates kept; [`Value::get`] finds the last one).
    Object(Vec<(String, Value)>),
}

/// What is wrong with a JSON text (see [`Error::Syntax`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxError {
    /// The text ends inside a value.
    UnexpectedEnd,
    /// Something else than what the grammar allows here; the payload names what was expected.
    Expected(&'static str),
    /// A backslash followed by a character that is not an escape.
    InvalidEscape,
    /// A `\u` escape without four hex digits.
    InvalidUnicodeEscape,
    /// A `\u` escape of a surrogate that is not part of a pair.
    LoneSurrogate,
    /// A raw control character (U+0000 to U+001F) inside a string.
    ControlCharacter,
    /// A malformed number (leading zero, missing digits...).
    InvalidNumber,
    /// A number too large for an `f64`.
    NumberOutOfRange,
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Something after the value (other than whitespace).
    TrailingCharacters,
    /// The bytes are not UTF-8.
    InvalidUtf8,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            SyntaxError::UnexpectedEnd => "unexpected end of input",
            SyntaxError::Expected(what) => return write!(f, "expected {what}"),
            SyntaxError::InvalidEscape => "invalid escape",
            SyntaxError::InvalidUnicodeEscape => "invalid \\u escape",
            SyntaxError::LoneSurrogate => "lone surrogate in \\u escape",
            SyntaxError::ControlCharacter => "control character in string",
            SyntaxError::InvalidNumber => "invalid number",
            SyntaxError::NumberOutOfRange => "number out of range",
            SyntaxError::TooDeep => "nesting too deep",
            SyntaxError::TrailingCharacters => "trailing characters",
            SyntaxError::InvalidUtf8 => "invalid UTF-8",
        };
        f.write_str(s)
    }
}

/// A JSON error: bad syntax (from [`parse`]) or a field of the wrong shape (from the typed readers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The text is not JSON.
    Syntax {
        /// What is wrong.
        kind: SyntaxError,
        /// Byte offset of the problem in the input.
        pos: usize,
    },
    /// A value does not have the type or range a reader expects.
    Field {
        /// The field (a path such as `"fusion.rrf_k"`).
        field: String,
        /// What was expected, e.g. `"a number"`.
        expected: String,
    },
    /// A required field is absent.
    Missing {
        /// The field.
        field: String,
    },
    /// A field appears more than once.
    Duplicate {
        /// The field.
        field: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Syntax { kind, pos } => write!(f, "{kind} at byte {pos}"),
            Error::Field { field, expected } => write!(f, "{field}: expected {expected}"),
            Error::Missing { field } => write!(f, "missing field {field}"),
            Error::Duplicate { field } => write!(f, "duplicate field {field}"),
        }
    }
}

impl std::error::Error for Error {}
