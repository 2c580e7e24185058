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

/// Parses a time field into milliseconds since the epoch (UTC): a number (Unix seconds when below 1e11,
/// otherwise milliseconds) or an ISO-8601 date / date-time: `2020-01-31`, `2020-01-31T12:00`,
/// `2020-01-31T12:00:00.5Z`, `2020-01-31 12:00:00+02:00` (also `+0200`, `+02`, `-05:00`). A time without
/// an offset is read as UTC; an offset is applied (`12:00+02:00` is 10:00 UTC). Anything else, trailing
/// text included, is `None`; never panics (fields are sliced with `str::get`).
pub fn parse_time_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(x) = s.parse::<f64>() {
        if !x.is_finite() {
            return None;
        }
        return Some(if x.abs() < 1e11 { x * 1000.0 } else { x });
    }
    // Unsigned ASCII digits only (`str::parse` would also take a sign).
    let digits = |t: &str, r: std::ops::Range<usize>| -> Option<i64> {
        let d = t.get(r)?;
        if d.is_empty() || !d.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        d.parse().ok()
    };
    let (y, m, d) = (digits(s, 0..4)?, digits(s, 5..7)?, digits(s, 8..10)?);
    if s.get(4..5)? != "-" || s.get(7..8)? != "-" || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ms = days_from_civil(y, m, d) as f64 * 86_400_000.0;
    let rest = s.get(10..)?;
    if rest.is_empty() {
        return Some(ms);
    }
    let t = rest.strip_prefix(['T', 't', ' '])?;
    let (hh, mm) = (digits(t, 0..2)?, digits(t, 3..5)?);
    if t.get(2..3)? != ":" || hh > 24 || mm > 59 {
        return None;
    }
    let mut zone = t.get(5..)?;
    let mut ss = 0.0;
    if let Some(sec) = zone.strip_prefix(':') {
        let end = sec.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(sec.len());
        ss = sec.get(..end)?.parse::<f64>().ok().filter(|x| (0.0..61.0).contains(x))?;
        zone = sec.get(end..)?;
    }
    ms += ((hh * 3600 + mm * 60) as f64 + ss) * 1000.0;
    let offset_min = match zone {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = match zone.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let z = zone.get(1..)?;
            let (oh, om) = match z.len() {
                2 => (digits(z, 0..2)?, 0),
                4 => (digits(z, 0..2)?, digits(z, 2..4)?),
                5 if z.get(2..3)? == ":" => (digits(z, 0..2)?, digits(z, 3..5)?),
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 60 + om)
        }
    };
    Some(ms - offset_min as f64 * 60_000.0)
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
        assert_eq!(parse_time_ms("1970-01-01T02:01:00+02:00"), Some(60_000.0));
        assert_eq!(parse_time_ms("1970-01-01T00:00-0130"), Some(5_400_000.0));
        assert_eq!(parse_time_ms("1970-01-01 00:00:01.5"), Some(1_500.0));
        // Multi-byte characters where a byte slice would land inside one: None, never a panic.
        for bad in ["2020-01-31T12:00é1", "2020-01-31T12:0é", "2020-01-3é", "2020-01-31Té", "2020-01-31T12:00:0é"]
        {
            assert_eq!(parse_time_ms(bad), None, "{bad}");
        }
        for bad in ["2020-+1-01", "2020-01-31x", "2020-01-31T12:00+2:00", "2020-01-31T12:00 UTC", "2020-01-31T25:00"] {
            assert_eq!(parse_time_ms(bad), None, "{bad}");
        }
    }

    #[test]
    fn delimiters() {
        assert_eq!(Delim::detect(["a\tb", "c\td"].into_iter()), Delim::Char('\t'));
        assert_eq!(Delim::detect(["1 2 3", "4 5"].into_iter()), Delim::Whitespace);
        assert_eq!(Delim::Char(',').split(r#"a,"b,c",d"#), vec!["a", "b,c", "d"]);
    }
}
