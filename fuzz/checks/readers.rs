//! Arbitrary files for the trainer's readers (issue 16): the first byte picks the file name (its extension
//! steers format detection) and a forced `--format` or auto-detection, the rest is the file's content.
//! `read_interactions` (strict and lenient), `read_catalog` and `read_years` must return rows or a typed
//! error that names the file, never panic. The readers take a path, so the input is written to a file in
//! a directory of this process (in `/dev/shm` when there is one, to keep the disk out of the loop).
//!
//! One place for the check: the fuzz target `readers` runs it on generated inputs, and the stable
//! replay test (`train/tests/fuzz_replay.rs`) on the seeds and crashes kept in `fuzz/seeds/readers/`.

use std::path::PathBuf;
use std::sync::OnceLock;

use recofuse_train::catalog::read_catalog;
use recofuse_train::data::{read_interactions, LogFormat, ReadOptions};
use recofuse_train::storefront::read_years;

const NAMES: [&str; 8] =
    ["log.csv", "log.tsv", "log.inter", "log.jsonl", "log.json", "u.data", "log.txt", "items.item"];
const FORMATS: [Option<LogFormat>; 6] = [
    None,
    Some(LogFormat::Table),
    Some(LogFormat::Inter),
    Some(LogFormat::Seq),
    Some(LogFormat::JsonMap),
    Some(LogFormat::JsonLines),
];

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() { "/dev/shm".into() } else { std::env::temp_dir() };
        let d = base.join(format!("recofuse-fuzz-readers-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temporary directory");
        d
    })
}

/// Runs the check on one input; panics (a finding) when a property does not hold.
pub fn check(data: &[u8]) {
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    let format = FORMATS[usize::from(pick / 8) % FORMATS.len()];
    let lenient = pick & 0x80 != 0;
    let path = dir().join(name);
    std::fs::write(&path, content).expect("write the input");
    let check = |r: Result<(), recofuse_train::error::TrainError>| {
        if let Err(e) = r {
            let m = e.to_string();
            assert!(m.contains(name), "an error that does not name the file: {m}");
        }
    };
    check(read_interactions(&path, &ReadOptions { format, lenient }).map(|_| ()));
    check(read_catalog(&path).map(|_| ()));
    check(read_years(&path).map(|_| ()));
}
