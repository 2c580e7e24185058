//! Writing a bundle in pieces (format 2, issue 15): a head plus item rows in shards, either as one
//! file (a page fetches the head and then shards with HTTP Range requests) or as a head file plus one
//! file per shard (`<out>.<s>`, for hosts without Range support). See `recofuse_core::bundle::Head`.

use std::path::{Path, PathBuf};

use recofuse_core::bundle::{encode, encode_sharded, EncodeOptions};
use recofuse_core::Model;

use crate::{Result, TrainError};

/// How the pieces are laid out on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One file: the head, then every shard (fetched with Range requests).
    Single,
    /// The head in the named file, shard `s` in `<file>.<s>`.
    Files,
}

impl Layout {
    /// `"single"` or `"files"`.
    pub fn parse(s: &str) -> Result<Layout> {
        match s {
            "single" => Ok(Layout::Single),
            "files" => Ok(Layout::Files),
            other => Err(TrainError::Invalid(format!("--layout wants single or files, got {other:?}"))),
        }
    }
}

/// Target size of one shard (raw bytes): about what one product click should cost on the wire.
pub const TARGET_SHARD_BYTES: usize = 24 * 1024;

/// The number of shards for a model whose format-1 bundle has `bundle_bytes` bytes: the power of two
/// that keeps shards near [`TARGET_SHARD_BYTES`] (at least 1).
///
/// ```
/// use recofuse_train::shard::auto_shards;
/// assert_eq!(auto_shards(1_000), 1);
/// assert_eq!(auto_shards(2_000_000), 128);
/// ```
pub fn auto_shards(bundle_bytes: usize) -> usize {
    bundle_bytes.div_ceil(TARGET_SHARD_BYTES).max(1).next_power_of_two()
}

/// The path of shard `s` in the [`Layout::Files`] layout.
pub fn shard_path(out: &Path, s: usize) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(format!(".{s}"));
    PathBuf::from(name)
}

/// What [`write`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Number of shards.
    pub shards: usize,
    /// Bytes of the head.
    pub head_bytes: usize,
    /// Bytes of all the shards together.
    pub shard_bytes: usize,
    /// Files written.
    pub files: Vec<PathBuf>,
}

/// Writes `model` as a format-2 bundle at `out` with `shards` shards (`0` = [`auto_shards`]).
pub fn write(model: &Model, out: &Path, shards: usize, layout: Layout) -> Result<Written> {
    let opts = EncodeOptions::default();
    let shards = if shards == 0 { auto_shards(encode(model, &opts)?.len()) } else { shards };
    let parts = encode_sharded(model, shards, &opts)?;
    let mut files = vec![out.to_path_buf()];
    match layout {
        Layout::Single => write_file(out, &parts.concat())?,
        Layout::Files => {
            write_file(out, &parts[0])?;
            for (s, p) in parts[1..].iter().enumerate() {
                let path = shard_path(out, s);
                write_file(&path, p)?;
                files.push(path);
            }
        }
    }
    Ok(Written { shards, head_bytes: parts[0].len(), shard_bytes: parts[1..].iter().map(Vec::len).sum(), files })
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| TrainError::io(parent, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| TrainError::io(path, e))
}
