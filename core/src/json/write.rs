//! The JSON writer: [`ToJson`], compact output, strings escaped as `serde_json` does.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use super::number::{write_f32, write_f64};
use super::Value;

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

/// Longest part of a string that [`Quoted`] shows, in bytes.
pub const EXCERPT_BYTES: usize = 64;

/// Displays a string quoted and escaped as [`write_str`] writes it, for error messages (the engine's own
/// quoting instead of `{:?}`, whose escaping tables would otherwise reach the WebAssembly module). A
/// string longer than [`EXCERPT_BYTES`] is cut to its first bytes (at a character boundary) followed by
/// `…(N bytes)`, so that a message never echoes a huge input.
///
/// ```
/// use recofuse_core::json::Quoted;
/// assert_eq!(Quoted("sku \"7\"").to_string(), r#""sku \"7\"""#);
/// let long = "é".repeat(1000);
/// assert_eq!(Quoted(&long).to_string(), format!("\"{}\"…(2000 bytes)", "é".repeat(32)));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut end = self.0.len().min(EXCERPT_BYTES);
        while !self.0.is_char_boundary(end) {
            end -= 1;
        }
        let mut s = String::new();
        write_str(&mut s, self.0.get(..end).unwrap_or_default());
        f.write_str(&s)?;
        if end < self.0.len() {
            write!(f, "…({} bytes)", self.0.len())?;
        }
        Ok(())
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
