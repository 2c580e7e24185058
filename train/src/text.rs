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

/// One record of a delimited file: its first line (1-based) and its fields, or why it could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based line on which the record starts.
    pub line: usize,
    /// The fields, surrounding whitespace trimmed; `Err` names what was wrong with the record.
    pub fields: std::result::Result<Vec<String>, String>,
}

impl Delim {
    /// Every non-blank record of `text`. One-character delimiters are read by the `csv` crate (RFC 4180:
    /// double-quoted fields may hold the delimiter, `""` and line breaks); whitespace and `::` files are
    /// split per line. Records may have different numbers of fields; the caller checks.
    pub fn records(self, text: &str) -> Vec<Record> {
        let Delim::Char(c) = self else {
            return text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(n, l)| Record { line: n + 1, fields: Ok(self.split(l)) })
                .collect();
        };
        let Ok(sep) = u8::try_from(c) else {
            return vec![Record { line: 1, fields: Err(format!("delimiter {c:?} is not one byte")) }];
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(sep)
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut out = Vec::new();
        let mut record = csv::StringRecord::new();
        // The reader's own line counter starts a record before the blank lines it skips; count the
        // lines up to the record's first byte instead (incrementally: records come in order).
        let bytes = text.as_bytes();
        let (mut seen, mut line) = (0usize, 1usize);
        let mut line_at = |at: u64| {
            let mut at = usize::try_from(at).unwrap_or(bytes.len()).min(bytes.len());
            while at < bytes.len() && matches!(bytes[at], b'\n' | b'\r') {
                at += 1;
            }
            line += bytes[seen.min(at)..at].iter().filter(|&&b| b == b'\n').count();
            seen = seen.max(at);
            line
        };
        loop {
            let start = reader.position().byte();
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let line = line_at(record.position().map_or(start, csv::Position::byte));
                    if record.len() == 1 && record[0].is_empty() {
                        continue; // a line of blanks
                    }
                    out.push(Record { line, fields: Ok(record.iter().map(str::to_string).collect()) });
                }
                Err(e) => {
                    let line = line_at(e.position().map_or(start, csv::Position::byte));
                    out.push(Record { line, fields: Err(e.to_string()) });
                    if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                        break; // the reader cannot resynchronise after an I/O or parser error
                    }
                }
            }
        }
        out
    }
}

/// Splits one line on `sep` with [`Delim::records`]' rules (a quoted field cannot span lines here).
fn split_quoted(line: &str, sep: char) -> Vec<String> {
    match Delim::Char(sep).records(line).into_iter().next() {
        Some(Record { fields: Ok(f), .. }) => f,
        _ => vec![line.trim().to_string()],
    }
}

/// Whether a field reads as a number.
pub fn is_number(s: &str) -> bool {
    !s.is_empty() && s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Parses a time field into milliseconds since the epoch (UTC): a number (Unix seconds when below 1e11,
/// otherwise milliseconds) or an ISO-8601 / RFC 3339 date or date-time read by the `jiff` crate:
/// `2020-01-31`, `2020-01-31T12:00`, `2020-01-31T12:00:00.5Z`, `2020-01-31 12:00:00+02:00` (also
/// `+0200`, `+02`, `-05:00`). A time without an offset is read as UTC; an offset is applied (`12:00+02:00`
/// is 10:00 UTC). Anything else (trailing text, 31 February, hour 25) is `None`; never panics.
pub fn parse_time_ms(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(x) = s.parse::<f64>() {
        if !x.is_finite() {
            return None;
        }
        return Some(if x.abs() < 1e11 { x * 1000.0 } else { x });
    }
    // jiff reads an offset-less date-time as a civil time; it must start with a digit (`+002020-...`
    // extended years are not timestamps a log writes).
    if !s.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let ts = match s.parse::<jiff::Timestamp>() {
        Ok(ts) => ts,
        Err(_) => {
            if s.contains(['+', 'Z', 'z']) || s.get(10..).is_some_and(|t| t.contains('-')) {
                return None; // an offset jiff refused: never read it as UTC
            }
            let dt = s.parse::<jiff::civil::DateTime>().ok()?;
            dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp()
        }
    };
    let ms = ts.as_millisecond();
    let below_ms = ts.as_nanosecond() - i128::from(ms) * 1_000_000;
    Some(ms as f64 + below_ms as f64 / 1e6)
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

    #[test]
    fn records_follow_rfc_4180_with_line_numbers() {
        let text = "id,title\n\n1,\"Staples, 1000\"\n2,\"A \"\"quoted\"\" name\non two lines\"\n   \n3,last\n";
        let got = Delim::Char(',').records(text);
        let lines: Vec<usize> = got.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![1, 3, 4, 7], "blank lines skipped, a record starts where its first line is");
        let fields: Vec<Vec<String>> = got.into_iter().map(|r| r.fields.unwrap_or_default()).collect();
        assert_eq!(fields[1], vec!["1", "Staples, 1000"]);
        assert_eq!(fields[2], vec!["2", "A \"quoted\" name\non two lines"]);
        assert_eq!(fields[3], vec!["3", "last"]);
        // Whitespace files keep their per-line numbering.
        let ws = Delim::Whitespace.records("u i 1\n\nv j 2\n");
        assert_eq!(ws.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 3]);
    }

    #[test]
    fn dates_are_validated_as_calendar_dates() {
        assert_eq!(parse_time_ms("2020-02-29"), Some(1_582_934_400_000.0));
        for bad in ["2021-02-29", "2020-02-31", "2020-04-31", "2020-01-31T24:00:01", "2020-01-31T12:00:00+2:00"] {
            assert_eq!(parse_time_ms(bad), None, "{bad}");
        }
        assert_eq!(
            parse_time_ms("2020-01-31T12:00:00.250+00:00"),
            parse_time_ms("2020-01-31T12:00:00Z").map(|t| t + 250.0)
        );
        assert_eq!(parse_time_ms("2020-01-31t12:00z"), parse_time_ms("2020-01-31T12:00:00Z"));
    }
}
