//! The model bundle: one versioned binary file holding a whole [`Model`], readable by other ecosystems.
//!
//! # Format (version 1)
//! A [safetensors](https://huggingface.co/docs/safetensors) container: an 8-byte little-endian header
//! length `N`, `N` bytes of JSON header (padded with spaces so that the data starts at a multiple of 8),
//! then the raw little-endian tensors, back to back, ordered by decreasing element size so that every
//! tensor is aligned for its dtype. The official Python package reads it:
//!
//! ```python
//! from safetensors.numpy import load_file
//! tensors = load_file("store.bundle")   # {"items.price": array([...], dtype=float32), ...}
//! ```
//!
//! | tensor | dtype | shape | content |
//! |---|---|---|---|
//! | `items.ids.bytes`, `items.ids.offsets` | U8, U32 | `[bytes]`, `[n+1]` | item ids (string table) |
//! | `items.category_names.*`, `items.brand_names.*` | U8, U32 | | vocabularies (string tables) |
//! | `items.categories.ptr`, `.idx` (`.w` optional) | U32, U16/U32 (F16/F32) | `[n+1]`, `[nnz]` | categories per item (CSR) |
//! | `items.brand` | U32 | `[n]` | brand index or `0xFFFFFFFF` |
//! | `items.price`, `items.flags` | F32, U8 | `[n]` | price, flag bits |
//! | `items.term_names.*`, `items.terms.ptr`, `.idx`, `.w` | U8, U32; U32, U16/U32, F16/F32 | | text vocabulary and TF-IDF vector per item (optional, together) |
//! | `popularity.count`, `popularity.trend` | F32 | `[n]` | popularity prior |
//! | `itemcf.ptr`, `.idx`, `.w` | U32, U16/U32, F16/F32 | `[n+1]`, `[nnz]`, `[nnz]` | item-item neighbours (optional) |
//! | `transitions.ptr`, `.idx`, `.w` | same | | item-to-next-item transitions (optional) |
//! | `embeddings.f32` / `embeddings.f16` / `embeddings.i8` + `embeddings.scale` | F32 / F16 / I8 + F32 | `[n, d]` (+ `[n]`) | item vectors (optional) |
//! | `prototypes.ptr`, `.idx`, `.w`, `prototypes.sizes` | U32, U16/U32, F16/F32, U32 | `[p+1]`, `[nnz]`, `[nnz]`, `[p]` | prototype users (optional) |
//!
//! `__metadata__` (all strings): `format` = `"recofuse-bundle"`, `format_version` = `"1"`, `scorers` (comma
//! list of the signals the bundle can feed), `sha256` (lowercase hex SHA-256 of the whole file, length prefix,
//! header and data, with the 64 digits of this value read as ASCII `0`s: it covers everything but itself;
//! the writer puts it as `"sha256":"<hex>"`, and a bundle whose value is the hash of the data only, as
//! written before issue 16, is an [`Error::InvalidSection`](crate::Error::InvalidSection) asking for a
//! rebuild), `fusion` and `scoring` (JSON of [`FusionConfig`](crate::FusionConfig) and
//! [`ScoringConfig`](crate::ScoringConfig)), `items` (count), `embedding_dim`,
//! `prototypes.min_cluster_size`, and `info.<key>` for each entry of [`Model::info`].
//!
//! With [`EncodeOptions::compact`] (the default), CSR column indices are stored as U16 when they all fit
//! and CSR weights as F16 when they all fit (finite, |w| <= 65504); the reader widens those into memory.
//! Every other tensor whose stored dtype equals its in-memory type is used in place, without a copy.
//!
//! # Format 2: a bundle in pieces
//! [`encode_sharded`] writes a small head (a container as above with `format_version` `"2"`, the
//! configurations, vocabularies, prototypes, the deep model without item rows, the popular items and
//! the shard directory with each shard's length and SHA-256) followed by the item rows in shards, an
//! item in shard `fnv1a64(id) % S` ([`fnv1a64`]); see [`Head`]. [`decode`] reads a whole single-file
//! format-2 bundle (every shard verified); [`Head::decode`], [`Head::shard`] and [`Head::assemble`]
//! read the head alone and then any shards, for a page that fetches only what it needs. The head's
//! `sha256` covers the head; each shard is checked against the directory.
//!
//! # Validation
//! [`decode`] checks everything once, in this order, and stops at the first problem with a typed
//! [`Error`](crate::Error): length prefix and header size ([`Error::Truncated`](crate::Error::Truncated)),
//! header JSON and entries ([`Error::BadHeader`](crate::Error::BadHeader)), tensor layout (gaps, overlaps:
//! `BadHeader`; a buffer shorter than the header promises: `Truncated` naming the tensor), format name
//! (`BadHeader`) and version ([`Error::UnsupportedVersion`](crate::Error::UnsupportedVersion)), checksum
//! ([`Error::ChecksumMismatch`](crate::Error::ChecksumMismatch)), tensor dtypes and ranks
//! ([`Error::Shape`](crate::Error::Shape), [`Error::MissingSection`](crate::Error::MissingSection)), then
//! [`validate`]: sizes, index bounds, finite values, configurations.

use std::collections::BTreeMap;

use crate::error::Result;
use crate::json::{ObjectWriter, ToJson};
use crate::model::Model;

mod container;
mod decode;
mod encode;
#[cfg(feature = "pieces")]
mod shards;
mod validate;

#[cfg(feature = "pieces")]
pub use shards::{fnv1a64, Head, Shard, ShardInfo, POPULAR, SHARD_FORMAT};

/// Value of `__metadata__["format"]`.
pub const FORMAT: &str = "recofuse-bundle";
/// The format version this engine writes and reads (`__metadata__["format_version"]`).
pub const FORMAT_VERSION: u32 = 1;

/// How [`encode`] writes a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Store CSR column indices as U16 and CSR weights as F16 where that is lossless for indices and
    /// in range for weights (default `true`). Weights lose precision (11-bit mantissa).
    pub compact: bool,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions { compact: true }
    }
}

/// Writes a model as a bundle, after [`validate`] accepted it.
///
/// ```
/// use recofuse_core::bundle::{decode, encode, EncodeOptions};
/// use recofuse_core::model::{Model, StringTable};
///
/// let mut model = Model::default();
/// model.items.ids = StringTable::from_strs(["sku-1", "sku-2"]);
/// model.items.categories.ptr = vec![0, 0, 0].into();
/// model.items.brand = vec![u32::MAX; 2].into();
/// model.items.price = vec![9.5, 0.0].into();
/// model.items.flags = vec![3, 1].into();
/// model.popularity.count = vec![1.0, 2.0].into();
/// model.popularity.trend = vec![0.0, 0.5].into();
///
/// let bytes = encode(&model, &EncodeOptions::default()).unwrap();
/// assert_eq!(&bytes[8..10], b"{\"");               // a safetensors container
/// assert_eq!(decode(bytes).unwrap(), model);
/// ```
pub fn encode(model: &Model, options: &EncodeOptions) -> Result<Vec<u8>> {
    validate(model)?;
    encode::encode(model, options)
}

/// Writes a model as a bundle like [`encode`], with `experiments` added to its fusion config as
/// `fusion.experiments` (issue 18): a JSON array of A/B experiments `{ "name", "arms": [{ "name",
/// "weight"?, "options"? }] }`. The engine ignores the key; the WebAssembly package enrols each device in
/// them (see its `experiment()`), so a store ships a test with a bundle and no code change. Text that is
/// not a JSON array is [`crate::Error::Invalid`]; the experiments' shape is checked by the package.
///
/// ```
/// use recofuse_core::bundle::{decode, encode_with_experiments, EncodeOptions};
/// # use recofuse_core::model::{Model, StringTable};
/// # let mut model = Model::default();
/// # model.items.ids = StringTable::from_strs(["sku-1"]);
/// # model.items.categories.ptr = vec![0, 0].into();
/// # model.items.brand = vec![u32::MAX].into();
/// # model.items.price = vec![0.0].into();
/// # model.items.flags = vec![1].into();
/// # model.popularity.count = vec![1.0].into();
/// # model.popularity.trend = vec![0.0].into();
/// let exps = r#"[{"name": "fusion-vs-store", "arms": [{"name": "store"}, {"name": "fused"}]}]"#;
/// let bytes = encode_with_experiments(&model, &EncodeOptions::default(), exps).unwrap();
/// assert!(String::from_utf8_lossy(&bytes[..2000.min(bytes.len())]).contains("fusion-vs-store"));
/// assert_eq!(decode(bytes).unwrap(), model);
/// assert!(encode_with_experiments(&model, &EncodeOptions::default(), "{}").is_err());
/// ```
pub fn encode_with_experiments(model: &Model, options: &EncodeOptions, experiments: &str) -> Result<Vec<u8>> {
    let not_array = |why: String| crate::Error::invalid("fusion.experiments", why);
    let parsed = crate::json::parse(experiments).map_err(|e| not_array(e.to_string()))?;
    if parsed.as_array().is_none() {
        return Err(not_array("not a JSON array".to_string()));
    }
    validate(model)?;
    encode::encode_with(model, options, Some(experiments.trim()))
}

/// Writes a model without validating it first. Only for tests that need a corrupt bundle with a valid
/// checksum; use [`encode`].
#[doc(hidden)]
pub fn encode_unchecked(model: &Model, options: &EncodeOptions) -> Result<Vec<u8>> {
    encode::encode(model, options)
}

/// Writes a model as a bundle in pieces (format 2, see [`Head`]): `[head, shard 0, …, shard S-1]`
/// with `S = shards.max(1)`. Their concatenation is the single-file bundle, which [`decode`] reads
/// whole; a page can instead fetch the head and then only the shards it needs. Fails when the model is
/// invalid or two ids share an [`fnv1a64`] hash.
///
/// ```
/// use recofuse_core::bundle::{decode, encode_sharded, Head};
/// let model = recofuse_testkit::catalog(100, 3);
/// let parts = encode_sharded(&model, 4, &Default::default()).unwrap();
/// assert_eq!(parts.len(), 5);
/// let head = Head::decode(&parts[0]).unwrap();
/// assert_eq!((head.items(), head.shards().len()), (100, 4));
/// let whole = decode(parts.concat()).unwrap();
/// assert_eq!(whole.items.len(), 100);
/// ```
#[cfg(feature = "pieces")]
pub fn encode_sharded(model: &Model, shards: usize, options: &EncodeOptions) -> Result<Vec<Vec<u8>>> {
    shards::encode_sharded(model, shards, options)
}

/// Reads a bundle, validating everything once (see the [module documentation](self) for the order of
/// the checks). Tensors whose stored dtype matches their in-memory type and that are aligned are used in
/// place: they share `bytes` instead of copying it.
///
/// ```
/// use recofuse_core::bundle::decode;
/// use recofuse_core::Error;
///
/// let err = decode(vec![1, 2, 3]).unwrap_err();
/// assert!(matches!(err, Error::Truncated { ref section, .. } if section == "header length"));
/// assert_eq!(err.code(), "BUNDLE_TRUNCATED");
/// ```
pub fn decode(bytes: Vec<u8>) -> Result<Model> {
    decode::decode(bytes)
}

/// Checks a model: configurations, per-item lengths, string tables (monotone offsets, UTF-8), CSR
/// structure and index bounds, finite (and where required non-negative) values, embedding sizes,
/// prototype sizes against the k-anonymity floor. [`decode`] and [`crate::Engine::new`] call it.
///
/// ```
/// use recofuse_core::bundle::validate;
/// use recofuse_core::model::{Model, StringTable};
/// use recofuse_core::Error;
///
/// let mut model = Model::default();
/// assert!(validate(&model).is_ok());                      // the empty catalog is valid
/// model.items.ids = StringTable::from_strs(["a"]);
/// let err = validate(&model).unwrap_err();                 // but one item needs its columns
/// assert!(matches!(err, Error::Shape { .. }));
/// ```
pub fn validate(model: &Model) -> Result<()> {
    validate::validate(model)
}

/// A header-level description of a bundle (what `recofuse inspect` prints).
///
/// [`ToJson`] writes it as an object with the field names below (what `recofuse inspect --json` prints).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// `__metadata__["format_version"]`.
    pub format_version: u32,
    /// Number of items.
    pub items: usize,
    /// Signals the bundle can feed, from `__metadata__["scorers"]`.
    pub scorers: Vec<String>,
    /// Lowercase hex SHA-256 of the data buffer (verified).
    pub sha256: String,
    /// Every tensor, in file order.
    pub tensors: Vec<TensorInfo>,
    /// Provenance (`info.*` metadata, without the prefix).
    pub info: BTreeMap<String, String>,
    /// Size of the whole bundle in bytes.
    pub bytes: usize,
}

/// One tensor of a [`Summary`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// Tensor name, e.g. `"itemcf.idx"`.
    pub name: String,
    /// Stored safetensors dtype, e.g. `"U16"`.
    pub dtype: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Size in bytes.
    pub bytes: usize,
    /// Whether [`decode`] can use the tensor in place: its stored dtype is its in-memory type and its
    /// offset in the file is aligned for it (given a buffer allocated at an 8-byte boundary). False for
    /// widened tensors (U16 indices, F16 weights) and tensors this engine does not know.
    pub in_place: bool,
}

impl ToJson for Summary {
    fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        o.field("format_version", &self.format_version)
            .field("items", &self.items)
            .field("scorers", &self.scorers)
            .field("sha256", &self.sha256)
            .field("tensors", &self.tensors)
            .field("info", &self.info)
            .field("bytes", &self.bytes);
        o.finish();
    }
}

impl ToJson for TensorInfo {
    fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        o.field("name", &self.name)
            .field("dtype", &self.dtype)
            .field("shape", &self.shape)
            .field("bytes", &self.bytes)
            .field("in_place", &self.in_place);
        o.finish();
    }
}

/// Describes a bundle from its header, after checking the container, the format version and the
/// checksum (but not the tensors' contents).
///
/// ```
/// use recofuse_core::bundle::{encode, inspect};
/// use recofuse_core::Model;
///
/// let bytes = encode(&Model::default(), &Default::default()).unwrap();
/// let summary = inspect(&bytes).unwrap();
/// assert_eq!(summary.format_version, 1);
/// assert_eq!(summary.items, 0);
/// assert_eq!(summary.scorers, ["popularity", "server"]);
/// assert_eq!(summary.bytes, bytes.len());
/// ```
pub fn inspect(bytes: &[u8]) -> Result<Summary> {
    decode::inspect(bytes)
}

/// [`decode`] and [`inspect`] together, parsing the container and hashing the payload once (what a
/// loader that shows the bundle's description needs).
pub fn decode_with_summary(bytes: Vec<u8>) -> Result<(Model, Summary)> {
    decode::decode_with_summary(bytes)
}
