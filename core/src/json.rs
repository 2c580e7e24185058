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

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

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

/// Parses a JSON text (one value, surrounded by optional whitespace).
pub fn parse(text: &str) -> Result<Value, Error> {
    let mut p = Parser { s: text, b: text.as_bytes(), pos: 0 };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.pos < p.b.len() {
        return Err(p.err(SyntaxError::TrailingCharacters));
    }
    Ok(v)
}

/// Parses JSON bytes: [`parse`] after checking they are UTF-8 ([`SyntaxError::InvalidUtf8`] otherwise).
pub fn parse_bytes(bytes: &[u8]) -> Result<Value, Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(text),
        Err(e) => Err(Error::Syntax { kind: SyntaxError::InvalidUtf8, pos: e.valid_up_to() }),
    }
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, kind: SyntaxError) -> Error {
        Error::Syntax { kind, pos: self.pos }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `c` (after whitespace) or fails expecting `what`.
    fn expect(&mut self, c: u8, what: &'static str) -> Result<(), Error> {
        self.ws();
        match self.peek() {
            Some(x) if x == c => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(self.err(SyntaxError::Expected(what))),
            None => Err(self.err(SyntaxError::UnexpectedEnd)),
        }
    }

    fn literal(&mut self, word: &'static str, v: Value) -> Result<Value, Error> {
        let end = self.pos + word.len();
        match self.b.get(self.pos..end) {
            Some(w) if w == word.as_bytes() => {
                self.pos = end;
                Ok(v)
            }
            // A prefix of the word cut by the end of the input.
            _ if word.as_bytes().starts_with(&self.b[self.pos..]) => {
                self.pos = self.b.len();
                Err(self.err(SyntaxError::UnexpectedEnd))
            }
            _ => Err(self.err(SyntaxError::Expected("a value"))),
        }
    }

    /// A value starting at `pos` (whitespace already skipped), `depth` containers deep.
    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        match self.peek() {
            None => Err(self.err(SyntaxError::UnexpectedEnd)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Value::Number),
            Some(b'[') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err(SyntaxError::TooDeep));
                }
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                loop {
                    self.ws();
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Value::Array(items));
                        }
                        Some(_) => return Err(self.err(SyntaxError::Expected("',' or ']'"))),
                        None => return Err(self.err(SyntaxError::UnexpectedEnd)),
                    }
                }
            }
            Some(b'{') => {
                if depth >= MAX_DEPTH {
                    return Err(self.err(SyntaxError::TooDeep));
                }
                self.pos += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Value::Object(fields));
                }
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b'"') => {}
                        Some(_) => return Err(self.err(SyntaxError::Expected("a string key"))),
                        None => return Err(self.err(SyntaxError::UnexpectedEnd)),
                    }
                    let key = self.string()?;
                    self.expect(b':', "':'")?;
                    self.ws();
                    let v = self.value(depth + 1)?;
                    fields.push((key, v));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Value::Object(fields));
                        }
                        Some(_) => return Err(self.err(SyntaxError::Expected("',' or '}'"))),
                        None => return Err(self.err(SyntaxError::UnexpectedEnd)),
                    }
                }
            }
            Some(_) => Err(self.err(SyntaxError::Expected("a value"))),
        }
    }

    /// A string; `pos` is on the opening quote.
    fn string(&mut self) -> Result<String, Error> {
        self.pos += 1;
        let mut out = String::new();
        let mut start = self.pos;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err(SyntaxError::UnexpectedEnd));
            };
            match c {
                b'"' | b'\\' => {
                    // ASCII bytes are always character boundaries of the (valid UTF-8) input, so `get`
                    // always gives the text (unlike indexing, it keeps `core::str`'s slice-panic
                    // formatting out of the WebAssembly module).
                    out.push_str(self.s.get(start..self.pos).unwrap_or_default());
                    self.pos += 1;
                    if c == b'"' {
                        return Ok(out);
                    }
                    self.escape(&mut out)?;
                    start = self.pos;
                }
                0..=0x1f => return Err(self.err(SyntaxError::ControlCharacter)),
                _ => self.pos += 1,
            }
        }
    }

    /// The escape after a backslash (`pos` is just after it).
    fn escape(&mut self, out: &mut String) -> Result<(), Error> {
        let Some(c) = self.peek() else {
            return Err(self.err(SyntaxError::UnexpectedEnd));
        };
        let simple = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let at = self.pos - 1;
                self.pos += 1;
                let hi = self.hex4()?;
                let code = match hi {
                    0xD800..=0xDBFF => {
                        // A high surrogate must be followed by an escaped low surrogate.
                        if self.b.get(self.pos..self.pos + 2) != Some(b"\\u") {
                            return Err(Error::Syntax { kind: SyntaxError::LoneSurrogate, pos: at });
                        }
                        self.pos += 2;
                        let lo = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&lo) {
                            return Err(Error::Syntax { kind: SyntaxError::LoneSurrogate, pos: at });
                        }
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return Err(Error::Syntax { kind: SyntaxError::LoneSurrogate, pos: at }),
                    _ => hi,
                };
                // Every code point outside the surrogate range is a char.
                let ch = char::from_u32(code).ok_or(Error::Syntax { kind: SyntaxError::LoneSurrogate, pos: at })?;
                out.push(ch);
                return Ok(());
            }
            _ => return Err(self.err(SyntaxError::InvalidEscape)),
        };
        self.pos += 1;
        out.push(simple);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                None => return Err(self.err(SyntaxError::UnexpectedEnd)),
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                Some(_) => return Err(self.err(SyntaxError::InvalidUnicodeEscape)),
            };
            v = v * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let from = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - from
    }

    /// A number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<f64, Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        match self.digits() {
            0 if self.pos == self.b.len() => return Err(self.err(SyntaxError::UnexpectedEnd)),
            0 => return Err(self.err(SyntaxError::InvalidNumber)),
            n if n > 1 && self.b[int_start] == b'0' => {
                return Err(Error::Syntax { kind: SyntaxError::InvalidNumber, pos: int_start })
            }
            _ => {}
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err(if self.pos == self.b.len() {
                    SyntaxError::UnexpectedEnd
                } else {
                    SyntaxError::InvalidNumber
                }));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err(if self.pos == self.b.len() {
                    SyntaxError::UnexpectedEnd
                } else {
                    SyntaxError::InvalidNumber
                }));
            }
        }
        decimal_to_f64(&self.b[start..self.pos])
            .ok_or(Error::Syntax { kind: SyntaxError::NumberOutOfRange, pos: start })
    }
}

impl Value {
    /// The last field named `key` of an object (`None` for other values).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(x) => Some(*x),
            _ => None,
        }
    }

    /// The number as a non-negative integer, if it is one exactly and at most [`MAX_SAFE_INTEGER`]
    /// (beyond that an `f64` cannot tell neighbouring integers apart).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(x) if *x >= 0.0 && x.fract() == 0.0 && *x <= MAX_SAFE_INTEGER as f64 => Some(*x as u64),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The fields in document order, if this is an object.
    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// [`Value::as_bool`], or an [`Error::Field`] naming `field`.
    pub fn req_bool(&self, field: &str) -> Result<bool, Error> {
        self.as_bool().ok_or_else(|| field_error(field, "a boolean"))
    }

    /// [`Value::as_f64`], or an [`Error::Field`] naming `field`.
    pub fn req_f64(&self, field: &str) -> Result<f64, Error> {
        self.as_f64().ok_or_else(|| field_error(field, "a number"))
    }

    /// The number rounded to the nearest `f32` (as `serde` does; values beyond the `f32` range become
    /// infinite), or an [`Error::Field`] naming `field`.
    pub fn req_f32(&self, field: &str) -> Result<f32, Error> {
        self.req_f64(field).map(|x| x as f32)
    }

    /// [`Value::as_u64`], or an [`Error::Field`] naming `field`.
    pub fn req_u64(&self, field: &str) -> Result<u64, Error> {
        self.as_u64().ok_or_else(|| field_error(field, "an integer >= 0"))
    }

    /// [`Value::as_u64`] as a `usize`, or an [`Error::Field`] naming `field`.
    pub fn req_usize(&self, field: &str) -> Result<usize, Error> {
        self.as_u64().and_then(|x| usize::try_from(x).ok()).ok_or_else(|| field_error(field, "an integer >= 0"))
    }

    /// [`Value::as_str`], or an [`Error::Field`] naming `field`.
    pub fn req_str(&self, field: &str) -> Result<&str, Error> {
        self.as_str().ok_or_else(|| field_error(field, "a string"))
    }

    /// [`Value::as_array`], or an [`Error::Field`] naming `field`.
    pub fn req_array(&self, field: &str) -> Result<&[Value], Error> {
        self.as_array().ok_or_else(|| field_error(field, "an array"))
    }

    /// [`Value::as_object`], or an [`Error::Field`] naming `field`.
    pub fn req_object(&self, field: &str) -> Result<&[(String, Value)], Error> {
        self.as_object().ok_or_else(|| field_error(field, "an object"))
    }

    /// An array of numbers as `f32`s (see [`Value::req_f32`]).
    pub fn req_f32_vec(&self, field: &str) -> Result<Vec<f32>, Error> {
        self.req_array(field)?.iter().map(|x| x.req_f32(field)).collect()
    }
}

/// An [`Error::Field`].
pub fn field_error(field: &str, expected: impl Into<String>) -> Error {
    Error::Field { field: field.to_string(), expected: expected.into() }
}

/// The value of a required field (from [`struct_fields`]), or [`Error::Missing`] naming `field`.
pub fn required<'a>(v: Option<&'a Value>, field: &str) -> Result<&'a Value> {
    v.ok_or_else(|| Error::Missing { field: field.to_string() })
}

/// The fields `names` of the object `v` (named `what` in errors), in the order of `names`: `None` for an
/// absent field. Other fields are ignored; a field of `names` present twice is an [`Error::Duplicate`];
/// `v` not an object is an [`Error::Field`].
///
/// ```
/// use recofuse_core::json::{parse, struct_fields};
/// let v = parse(r#"{"b": 2, "zzz": null, "a": 1}"#).unwrap();
/// let [a, b, c] = struct_fields(&v, "point", ["a", "b", "c"]).unwrap();
/// assert_eq!((a.and_then(|x| x.as_u64()), b.and_then(|x| x.as_u64()), c), (Some(1), Some(2), None));
/// assert!(struct_fields(&parse(r#"{"a": 1, "a": 2}"#).unwrap(), "point", ["a"]).is_err());
/// ```
pub fn struct_fields<'a, const N: usize>(
    v: &'a Value,
    what: &str,
    names: [&str; N],
) -> Result<[Option<&'a Value>; N], Error> {
    let mut out = [None; N];
    for (k, value) in v.req_object(what)? {
        if let Some(i) = names.iter().position(|n| n == k) {
            if out[i].is_some() {
                return Err(Error::Duplicate { field: format!("{what}.{k}") });
            }
            out[i] = Some(value);
        }
    }
    Ok(out)
}

/// Writes a value as compact JSON.
pub trait ToJson {
    /// Appends the JSON of `self` to `out`.
    fn write_json(&self, out: &mut String);

    /// The JSON of `self`.
    fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }
}

/// Appends `s` as a JSON string: quoted; `"`, `\` and control characters escaped (`\n`, `\t`, ... or
/// `\u00XX`); everything else, non-ASCII included, verbatim.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // Escaped bytes are ASCII, so always character boundaries: `get` always gives the text (and,
        // unlike indexing, keeps `core::str`'s slice-panic formatting out of the WebAssembly module).
        out.push_str(s.get(start..i).unwrap_or_default());
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

/// Displays a string quoted and escaped as [`write_str`] writes it, for error messages (the engine's own
/// quoting instead of `{:?}`, whose escaping tables would otherwise reach the WebAssembly module).
///
/// ```
/// use recofuse_core::json::Quoted;
/// assert_eq!(Quoted("sku \"7\"").to_string(), r#""sku \"7\"""#);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        write_str(&mut s, self.0);
        f.write_str(&s)
    }
}

/// Displays a shape (or any list of sizes) as `[5, 8]`, for error messages (without `{:?}`).
///
/// ```
/// use recofuse_core::json::Dims;
/// assert_eq!(Dims(&[5, 8]).to_string(), "[5, 8]");
/// assert_eq!(Dims(&[]).to_string(), "[]");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Dims<'a>(pub &'a [usize]);

impl fmt::Display for Dims<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{d}")?;
        }
        f.write_str("]")
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

/// Round-trip decimal without exponent (see [`write_f64`]); `null` when not finite.
impl ToJson for f64 {
    fn write_json(&self, out: &mut String) {
        if self.is_finite() {
            write_f64(out, *self);
        } else {
            out.push_str("null");
        }
    }
}

/// Round-trip decimal without exponent (see [`write_f32`]); `null` when not finite.
impl ToJson for f32 {
    fn write_json(&self, out: &mut String) {
        if self.is_finite() {
            write_f32(out, *self);
        } else {
            out.push_str("null");
        }
    }
}

/// Appends `x` (finite) as a plain decimal (no exponent, like `Display` of Rust floats) that reads back
/// as exactly `x`: the correctly rounded decimal with the fewest significant digits (at most 17) that
/// this module's reader (correctly rounded, like `str::parse`) turns back into `x`. Usually the same
/// text as `Display`; never formats through `core::fmt`'s float code (about 17 KB of WebAssembly).
/// Non-finite values write `null`.
///
/// ```
/// let mut s = String::new();
/// recofuse_core::json::write_f64(&mut s, 0.1 + 0.2);
/// assert_eq!(s, "0.30000000000000004");
/// ```
pub fn write_f64(out: &mut String, x: f64) {
    write_float(out, x, 17, &|text| decimal_to_f64(text) == Some(x.abs()));
}

/// [`write_f64`] for an `f32`: the shortest correctly rounded decimal (at most 9 significant digits)
/// that reads back as exactly `x` through `f64` (`text -> f64 -> f32`, the way this crate reads `f32`
/// fields).
///
/// ```
/// let mut s = String::new();
/// recofuse_core::json::write_f32(&mut s, 0.1);
/// assert_eq!(s, "0.1");
/// ```
pub fn write_f32(out: &mut String, x: f32) {
    write_float(out, f64::from(x), 9, &|text| decimal_to_f64(text).map(|y| y as f32) == Some(x.abs()));
}

/// A float that displays as [`write_f64`] / [`write_f32`] write it, and `NaN`, `inf`, `-inf` like
/// `Display` (for error messages without `core::fmt`'s float formatting).
///
/// ```
/// use recofuse_core::json::Num;
/// assert_eq!(format!("{}", Num::from(0.1f32)), "0.1");
/// assert_eq!(format!("{}", Num::from(f64::NAN)), "NaN");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num {
    value: f64,
    single: bool,
}

impl From<f64> for Num {
    fn from(value: f64) -> Num {
        Num { value, single: false }
    }
}

impl From<f32> for Num {
    fn from(value: f32) -> Num {
        Num { value: f64::from(value), single: true }
    }
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.value;
        if x.is_nan() {
            return f.write_str("NaN");
        }
        if x.is_infinite() {
            return f.write_str(if x > 0.0 { "inf" } else { "-inf" });
        }
        let mut s = String::new();
        if self.single {
            write_f32(&mut s, x as f32);
        } else {
            write_f64(&mut s, x);
        }
        f.write_str(&s)
    }
}

/// The shared body of [`write_f64`] / [`write_f32`]: exact digits of `x`, then the shortest correct
/// rounding (1..=`max_digits` significant digits) whose text `reads_back` accepts as `|x|`.
fn write_float(out: &mut String, x: f64, max_digits: usize, reads_back: &dyn Fn(&[u8]) -> bool) {
    if !x.is_finite() {
        out.push_str("null");
        return;
    }
    if x.is_sign_negative() {
        out.push('-');
    }
    let a = x.abs();
    if a == 0.0 {
        out.push('0');
        return;
    }
    if a.fract() == 0.0 && a < 9_007_199_254_740_992.0 {
        // Integers below 2^53: exact as u64.
        let _ = write!(out, "{}", a as u64);
        return;
    }
    let (digits, point) = exact_digits(a);
    let mut text = Vec::new();
    for p in 1..=max_digits.min(digits.len()) {
        let (rounded, point) = round_digits(&digits, point, p);
        text.clear();
        plain(&mut text, &rounded, point);
        if reads_back(&text) || p == max_digits.min(digits.len()) {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&text).unwrap_or("0"));
}

/// The exact decimal expansion of a positive finite `a`: digits (no leading zero) and the position of
/// the decimal point (`a = 0.d1d2… × 10^point`). `a = m·2^k` is `m·2^k` (k >= 0) or `m·5^-k / 10^-k`.
fn exact_digits(a: f64) -> (Vec<u8>, i64) {
    let bits = a.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let frac = bits & ((1 << 52) - 1);
    let (m, k) = if biased == 0 { (frac, -1074) } else { (frac | 1 << 52, biased - 1075) };
    let mut n = Big::from_u64(m);
    let mut e10 = 0i64;
    if k >= 0 {
        n.shl(k as u32);
    } else {
        let mut e = k.unsigned_abs();
        while e >= 13 {
            n.mul_add_small(1_220_703_125, 0); // 5^13
            e -= 13;
        }
        n.mul_add_small(5u32.pow(e as u32), 0);
        e10 = k;
    }
    // Decimal digits of n, nine at a time from the low end.
    let mut groups = Vec::new();
    while !n.0.is_empty() {
        groups.push(n.div_small(1_000_000_000));
    }
    let mut digits = Vec::new();
    for (i, g) in groups.iter().rev().enumerate() {
        let s = g.to_string();
        if i > 0 {
            digits.extend(std::iter::repeat_n(0u8, 9 - s.len()));
        }
        digits.extend(s.bytes().map(|b| b - b'0'));
    }
    let point = digits.len() as i64 + e10;
    (digits, point)
}

/// `digits` (exact, `0.d… × 10^point`) rounded to `p` significant digits, ties to even: the digits
/// (trailing zeros removed) and the new point.
fn round_digits(digits: &[u8], point: i64, p: usize) -> (Vec<u8>, i64) {
    let mut r: Vec<u8> = digits.iter().copied().take(p).collect();
    let rest = digits.get(p..).unwrap_or(&[]);
    let up = match rest.split_first() {
        Some((&d, tail)) if d > 5 || (d == 5 && tail.iter().any(|&t| t != 0)) => true,
        Some((&5, _)) => r.last().is_some_and(|&l| l % 2 == 1),
        _ => false,
    };
    let mut point = point;
    if up {
        let mut i = r.len();
        loop {
            if i == 0 {
                r.insert(0, 1);
                point += 1;
                break;
            }
            i -= 1;
            if r[i] == 9 {
                r[i] = 0;
            } else {
                r[i] += 1;
                break;
            }
        }
    }
    while r.len() > 1 && r.last() == Some(&0) {
        r.pop();
    }
    (r, point)
}

/// Writes `0.d… × 10^point` in plain notation.
fn plain(out: &mut Vec<u8>, digits: &[u8], point: i64) {
    let ascii = digits.iter().map(|d| d + b'0');
    if point <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', point.unsigned_abs() as usize));
        out.extend(ascii);
    } else if point as usize >= digits.len() {
        out.extend(ascii);
        out.extend(std::iter::repeat_n(b'0', point as usize - digits.len()));
    } else {
        let (int, fraction) = digits.split_at(point as usize);
        out.extend(int.iter().map(|d| d + b'0'));
        out.push(b'.');
        out.extend(fraction.iter().map(|d| d + b'0'));
    }
}

macro_rules! int_to_json {
    ($($t:ty),*) => {$(
        impl ToJson for $t {
            fn write_json(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
int_to_json!(u32, u64, usize);

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, x) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            x.write_json(out);
        }
        out.push(']');
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

impl<T: ToJson, const N: usize> ToJson for [T; N] {
    fn write_json(&self, out: &mut String) {
        self.as_slice().write_json(out);
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

impl<T: ToJson> ToJson for BTreeMap<String, T> {
    fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        for (k, v) in self {
            o.field(k, v);
        }
        o.finish();
    }
}

impl ToJson for Value {
    fn write_json(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => b.write_json(out),
            Value::Number(x) => x.write_json(out),
            Value::String(s) => write_str(out, s),
            Value::Array(a) => a.write_json(out),
            Value::Object(fields) => {
                let mut o = ObjectWriter::new(out);
                for (k, v) in fields {
                    o.field(k, v);
                }
                o.finish();
            }
        }
    }
}

impl fmt::Display for Value {
    /// Compact JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// Writes a JSON object field by field.
///
/// ```
/// use recofuse_core::json::ObjectWriter;
/// let mut out = String::new();
/// let mut o = ObjectWriter::new(&mut out);
/// o.field("k", "view").field("t", &1.5);
/// o.finish();
/// assert_eq!(out, r#"{"k":"view","t":1.5}"#);
/// ```
pub struct ObjectWriter<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> ObjectWriter<'a> {
    /// Starts an object (writes `{`).
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        ObjectWriter { out, empty: true }
    }

    /// Writes one field.
    pub fn field<T: ToJson + ?Sized>(&mut self, key: &str, value: &T) -> &mut Self {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        write_str(self.out, key);
        self.out.push(':');
        value.write_json(self.out);
        self
    }

    /// Ends the object (writes `}`).
    pub fn finish(self) {
        self.out.push('}');
    }
}

// ---- Decimal to f64 ----
//
// `str::parse::<f64>` would do, but it links the standard library's Eisel-Lemire tables (~15 KB gzip in
// the WebAssembly module). This is the classic small alternative: Clinger's exact fast path for short
// inputs, otherwise an approximation corrected ulp by ulp with exact big-integer comparisons against the
// halfway points (Clinger's AlgorithmR). Correctly rounded (ties to even), like `str::parse`.

/// Powers of ten exactly representable as f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Significant digits kept: halfway points between doubles have at most 767 of them, so with a sticky
/// digit for the rest the rounding is exact.
const MAX_DIGITS: usize = 800;

/// The value of a number matching the JSON grammar, correctly rounded; `None` when it overflows.
fn decimal_to_f64(text: &[u8]) -> Option<f64> {
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (mantissa, exponent) = match text.iter().position(|c| matches!(c, b'e' | b'E')) {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, &[][..]),
    };
    // Significant digits (leading zeros skipped, at most MAX_DIGITS + a sticky 1) and the power of ten.
    let mut digits: Vec<u8> = Vec::new();
    let mut e10: i64 = 0;
    let mut seen_point = false;
    let mut sticky = false;
    for &c in mantissa {
        if c == b'.' {
            seen_point = true;
            continue;
        }
        let d = c.wrapping_sub(b'0');
        if seen_point {
            e10 -= 1;
        }
        if digits.is_empty() && d == 0 {
            continue;
        }
        if digits.len() < MAX_DIGITS {
            digits.push(d);
        } else {
            e10 += 1;
            sticky |= d != 0;
        }
    }
    if sticky {
        digits.push(1);
        e10 -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
        e10 += 1;
    }
    let mut exp: i64 = 0;
    let (exp_negative, exp_digits) = match exponent.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, exponent),
    };
    for &c in exp_digits {
        exp = exp.saturating_mul(10).saturating_add(i64::from(c.wrapping_sub(b'0')));
    }
    e10 = e10.saturating_add(if exp_negative { -exp } else { exp });
    let magnitude = if digits.is_empty() { 0.0 } else { positive(&digits, e10)? };
    Some(if negative { -magnitude } else { magnitude })
}

/// `digits × 10^e10` (digits without leading or trailing zeros, at least one).
fn positive(digits: &[u8], e10: i64) -> Option<f64> {
    let n = digits.len() as i64;
    // 10^(top-1) <= value < 10^top. Saturating: an exponent of 20 digits saturates `e10` at
    // `i64::MAX` or `i64::MIN`, which must still read as out of range or as 0, not wrap around.
    let top = n.saturating_add(e10);
    if top <= -324 {
        return Some(0.0);
    }
    if top > 309 {
        return None;
    }
    let e10 = e10 as i32; // |e10| < 1200 here.
                          // The first 19 digits as an integer (exact), for the fast path and the first approximation.
    let head = &digits[..digits.len().min(19)];
    let m = head.iter().fold(0u64, |m, &d| m * 10 + u64::from(d));
    let e_head = e10 + (digits.len() - head.len()) as i32;
    if digits.len() == head.len() && m < 1 << 53 && e10.unsigned_abs() <= 22 {
        // Clinger's fast path: both operands exact, one correctly rounded operation.
        let p = POW10[e10.unsigned_abs() as usize];
        return Some(if e10 < 0 { m as f64 / p } else { m as f64 * p });
    }
    // An approximation within a few ulp (scaled in two steps so the power of ten stays normal).
    let mut z =
        if e_head < -290 { m as f64 * 10f64.powi(e_head + 290) * 1e-290 } else { m as f64 * 10f64.powi(e_head) };
    // value = num / den exactly.
    let mut num = Big::from_digits(digits);
    let mut den = Big(vec![1]);
    if e10 >= 0 {
        num.mul_pow10(e10 as u32);
    } else {
        den.mul_pow10(e10.unsigned_abs());
    }
    if z.is_infinite() {
        z = f64::MAX;
    }
    for _ in 0..10_000 {
        if !z.is_finite() {
            return None; // rounded up past f64::MAX
        }
        // z = zm · 2^k, zm an integer (< 2^53).
        let bits = z.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1 << 52) - 1);
        let (zm, k) = if biased == 0 { (frac, -1074) } else { (frac | 1 << 52, biased - 1075) };
        // Over the common denominator den · 2^max(-k, 0): x = value, y = z, u = one ulp of z.
        let mut x = num.clone();
        x.shl(k.min(0).unsigned_abs());
        let mut y = den.mul(&Big::from_u64(zm));
        y.shl(k.max(0) as u32);
        let mut u = den.clone();
        u.shl(k.max(0) as u32);
        let below = x.cmp(&y) == std::cmp::Ordering::Less;
        let mut d2 = if below { y.sub(&x) } else { x.sub(&y) };
        // Twice the distance against one ulp: below half an ulp, z is the answer. Just below a power of two
        // the gap to the previous double is half as wide.
        d2.shl(if below && zm == 1 << 52 && biased > 1 { 2 } else { 1 });
        match d2.cmp(&u) {
            std::cmp::Ordering::Less => return Some(z),
            std::cmp::Ordering::Equal if zm % 2 == 0 => return Some(z),
            _ => {}
        }
        let step = if below { bits - 1 } else { bits + 1 };
        if zm == 0 && below {
            return Some(0.0);
        }
        z = f64::from_bits(step);
    }
    Some(z)
}

/// A non-negative big integer, little-endian 32-bit limbs, no trailing zero limbs.
#[derive(Clone)]
struct Big(Vec<u32>);

impl Big {
    fn from_u64(x: u64) -> Big {
        let mut b = Big(vec![x as u32, (x >> 32) as u32]);
        b.trim();
        b
    }

    fn from_digits(digits: &[u8]) -> Big {
        let mut b = Big(Vec::new());
        for chunk in digits.chunks(9) {
            let v = chunk.iter().fold(0u32, |v, &d| v * 10 + u32::from(d));
            b.mul_add_small(10u32.pow(chunk.len() as u32), v);
        }
        b
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// `self /= d`, returning the remainder (`d > 0`).
    fn div_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.0.iter_mut().rev() {
            let t = (rem << 32) | u64::from(*limb);
            *limb = (t / u64::from(d)) as u32;
            rem = t % u64::from(d);
        }
        self.trim();
        rem as u32
    }

    /// `self = self · m + a`.
    fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.0 {
            let t = u64::from(*limb) * u64::from(m) + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn mul_pow10(&mut self, mut e: u32) {
        while e >= 9 {
            self.mul_add_small(1_000_000_000, 0);
            e -= 9;
        }
        self.mul_add_small(10u32.pow(e), 0);
    }

    fn mul(&self, other: &Big) -> Big {
        let mut out = vec![0u32; self.0.len() + other.0.len()];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry = 0u64;
            for (j, &b) in other.0.iter().enumerate() {
                let t = u64::from(a) * u64::from(b) + u64::from(out[i + j]) + carry;
                out[i + j] = t as u32;
                carry = t >> 32;
            }
            out[i + other.0.len()] = carry as u32;
        }
        let mut b = Big(out);
        b.trim();
        b
    }

    fn shl(&mut self, bits: u32) {
        if self.0.is_empty() {
            return;
        }
        let (limbs, bits) = ((bits / 32) as usize, bits % 32);
        if bits > 0 {
            let mut carry = 0u32;
            for limb in &mut self.0 {
                let next = *limb >> (32 - bits);
                *limb = (*limb << bits) | carry;
                carry = next;
            }
            if carry > 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, std::iter::repeat_n(0, limbs));
    }

    fn cmp(&self, other: &Big) -> std::cmp::Ordering {
        self.0.len().cmp(&other.0.len()).then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }

    /// `self - other`, for `self >= other`.
    fn sub(&self, other: &Big) -> Big {
        let mut out = self.0.clone();
        let mut borrow = 0i64;
        for (i, limb) in out.iter_mut().enumerate() {
            let t = i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            borrow = i64::from(t < 0);
            *limb = t.rem_euclid(1 << 32) as u32;
        }
        let mut b = Big(out);
        b.trim();
        b
    }
}
