//! Small text helpers shared by the readers: file loading with an encoding fallback, delimiter and
//! number detection, timestamp parsing.

use std::path::Path;

use crate::error::{Result, TrainError};

/// Reads a whole text file. UTF-8 is expected; a file that is not valid UTF-8 is decoded as
/// ISO-8859-1 (MovieLens' `u.item` is), which maps every byte to a character and never fails.
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| TrainError::io(path, e))?;
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.drain(..'\u{feff}'.len_utf8());
            }
            Ok(s)
        }
        Err(e) => Ok(e.into_bytes().iter().map(|&b| b as char).collect()),
    }
}

/// A field delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delim {
    /// One character (`\t`, `,`, `;`, `|`).
    Char(char),
    /// Runs of ASCII whitespace.
    Whitespace,
    /// The two characters `::` (MovieLens 1M/10M style).
    DoubleColon,
}

impl Delim {
    /// Guesses the delimiter from the first non-empty lines.
    pub fn detect<'a>(lines: impl Iterator<Item = &'a str>) -> Delim {
        let sample: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).take(20).collect();
        let Some(first) = sample.first() else { return Delim::Whitespace };
        if first.contains("::") {
            return Delim::DoubleColon;
        }
        for c in ['\t', '|', ';', ','] {
            let n = first.matches(c).count();
            if n > 0 && sample.iter().all(|l| l.matches(c).count() >= 1) {
                return Delim::Char(c);
            }
        }
        Delim::Whitespace
    }

    /// Splits a line into fields (surrounding whitespace trimmed; simple CSV quoting honoured for `,`).
    pub fn split(self, line: &str) -> Vec<String> {
        match self {
            Delim::Whitespace => line.split_ascii_whitespace().map(str::to_string).collect(),
            Delim::DoubleColon => line.split("::").map(|f| f.trim().to_string()).collect(),
            Delim::Char(c) => split_quoted(line, c),
        }
    }

    /// Human-readable name.
    pub fn name(self) -> &'static str {
        match self {
            Delim::Char('\t') => "tab",
            Delim::Char(',') => "comma",
            Delim::Char(';') => "semicolon",
            Delim::Char('|') => "pipe",
            Delim::Char(_) => "char",
            Delim::Whitespace => "whitespace",
            Delim::DoubleColon => "::",
        }
    }
}

/// Splits on `sep`, honouring double-quoted fields (`""` is an escaped quote).
fn split_quoted(line: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        if quoted {
            if ch == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(ch);
            }
        } else if ch == '"' && cur.trim().is_empty() {
            cur.clear();
            quoted = true;
        } else if ch == sep {
            out.push(cur.trim().to_string());
            cur.clear();
        } else {
            cur.push(ch);
        }
    }
    out.push(cur.trim().to_string());
    out
}

/// Whether a field reads as a number.
pub fn is_number(s: &str) -> bool {
    !s.is_empty() && s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Parses a time field into milliseconds since the epoch: a number (Unix seconds when below 1e11,
/// otherwise milliseconds) or an ISO-8601 date / date-time (`2020-01-31`, `2020-01-31T12:00:00Z`,
/// `2020-01-31 12:00:00`; a time-zone offset is ignored).
pub fn parse_time_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(x) = s.parse::<f64>() {
        if !x.is_finite() {
            return None;
        }
        return Some(if x.abs() < 1e11 { x * 1000.0 } else { x });
    }
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let (mut hh, mut mm, mut ss) = (0i64, 0i64, 0f64);
    if b.len() >= 19 && (b[10] == b'T' || b[10] == b' ') {
        hh = num(11..13)?;
        mm = num(14..16)?;
        let end = s[17..].find(|c: char| !(c.is_ascii_digit() || c == '.')).map_or(s.len(), |p| p + 17);
        ss = s.get(17..end)?.parse::<f64>().ok()?;
    }
    let days = days_from_civil(y, m, d);
    Some(((days * 86_400 + hh * 3600 + mm * 60) as f64 + ss) * 1000.0)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Normalises a header name: lowercase, RecBole type suffix (`:token`, `:float`...) removed.
pub fn header_name(s: &str) -> String {
    let s = s.trim().trim_matches('"');
    let s = s.split(':').next().unwrap_or(s);
    s.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time_ms("881250949"), Some(881_250_949_000.0));
        assert_eq!(parse_time_ms("1970-01-02"), Some(86_400_000.0));
        assert_eq!(parse_time_ms("1970-01-01T00:01:00Z"), Some(60_000.0));
        assert_eq!(parse_time_ms("soon"), None);
    }

    #[test]
    fn delimiters() {
        assert_eq!(Delim::detect(["a\tb", "c\td"].into_iter()), Delim::Char('\t'));
        assert_eq!(Delim::detect(["1 2 3", "4 5"].into_iter()), Delim::Whitespace);
        assert_eq!(Delim::Char(',').split(r#"a,"b,c",d"#), vec!["a", "b,c", "d"]);
    }
}
