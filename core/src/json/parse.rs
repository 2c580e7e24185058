//! The JSON reader: RFC 8259 text into a [`Value`], never panicking, with the byte position of the
//! first problem.

use super::number::decimal_to_f64;
use super::{Error, SyntaxError, Value, MAX_DEPTH};

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
