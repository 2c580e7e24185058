//! The trainer's readers on hostile input (issue 16): every file becomes rows or a typed error naming the
//! file; none panics. Inputs are generated from a fixed seed: lines built from pieces that exercise the
//! parsers' edges (multi-byte characters where byte slicing would cut them, quotes, delimiters, dates with
//! offsets, numbers out of range, BOMs, blank lines, JSON fragments).
use std::path::PathBuf;

use recofuse_train::catalog::read_catalog;
use recofuse_train::data::{read_interactions, ReadOptions};
use recofuse_train::storefront::read_years;
use recofuse_train::text::parse_time_ms;

const PIECES: &[&str] = &[
    "u1",
    "i2",
    "42",
    "-7",
    "1e400",
    "NaN",
    "3.5",
    "2020-01-31T12:00é1",
    "2020-01-31T12:00:00+02:00",
    "2020-01-31",
    "\t",
    ",",
    ";",
    " ",
    "|",
    "\"",
    "\"\"",
    "é",
    "😀",
    "\u{feff}",
    "\\",
    "{",
    "}",
    "[",
    "]",
    ":",
    "\"id\"",
    "\"title\"",
    "user_id:token",
    "item_id:token",
    "timestamp:float",
    "rating",
    "\r",
    "",
];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn file(rng: &mut Rng) -> String {
    let mut text = String::new();
    // A plausible header half of the time, so that the row parsers are reached.
    if rng.pick(2) == 0 {
        text.push_str(["user_id\titem_id\ttimestamp\n", "user,item,rating,time\n", "{\"id\":\"a\"}\n"][rng.pick(3)]);
    }
    for _ in 0..rng.pick(12) {
        for _ in 0..rng.pick(8) {
            text.push_str(PIECES[rng.pick(PIECES.len())]);
        }
        text.push('\n');
    }
    text
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("recofuse-readers-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn every_reader_turns_every_input_into_rows_or_an_error_naming_the_file() {
    let dir = dir();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (mut ok, mut errors) = (0, 0);
    for n in 0..400 {
        let text = file(&mut rng);
        for (ext, lenient) in [("tsv", false), ("csv", true), ("inter", false), ("jsonl", false)] {
            let path = dir.join(format!("f{n}.{ext}"));
            std::fs::write(&path, &text).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let results = [
                read_interactions(&path, &ReadOptions { format: None, lenient }).map(|_| ()),
                read_catalog(&path).map(|_| ()),
                read_years(&path).map(|_| ()),
            ];
            for r in results {
                match r {
                    Ok(()) => ok += 1,
                    Err(e) => {
                        errors += 1;
                        let m = e.to_string();
                        assert!(m.contains(&name), "error does not name the file {name}: {m}\ninput: {text:?}");
                    }
                }
            }
            let _ = std::fs::remove_file(&path);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ok > 0 && errors > 0, "the inputs reach both outcomes: {ok} ok, {errors} errors");
}

#[test]
fn times_with_offsets_and_multibyte_characters() {
    assert_eq!(parse_time_ms("2020-01-31T12:00é1"), None);
    assert_eq!(parse_time_ms("2020-01-31T12:00:00+02:00"), parse_time_ms("2020-01-31T10:00:00Z"));
    assert_eq!(parse_time_ms("2020-01-31T12:00:00-05:30"), parse_time_ms("2020-01-31T17:30:00Z"));
}

#[test]
fn a_time_with_a_multibyte_character_is_an_error_with_file_and_line() {
    let dir = dir().join("mb");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("log.tsv");
    std::fs::write(&path, "user_id\titem_id\ttimestamp\nu1\ti1\t2020-01-31T12:00:00Z\nu1\ti2\t2020-01-31T12:00é1\n")
        .unwrap();
    let err = read_interactions(&path, &ReadOptions::default()).unwrap_err().to_string();
    assert!(err.contains("log.tsv") && err.contains('3'), "{err}");
    // Lenient: the bad row is skipped, the good one kept.
    let data = read_interactions(&path, &ReadOptions { format: None, lenient: true }).unwrap();
    assert_eq!(data.skipped, 1);
    let _ = std::fs::remove_dir_all(&dir);
}
