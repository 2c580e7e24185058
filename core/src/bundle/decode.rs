//! Bundle bytes -> model, and the header-level [`inspect`](super::inspect).

use std::collections::BTreeMap;
use std::sync::Arc;

use bytemuck::Pod;
use half::f16;

use super::container::{self, Container, Dtype, Entry, SortedMap};
use super::{Summary, TensorInfo, FORMAT, FORMAT_VERSION};
use crate::config::{FusionConfig, ScoringConfig};
use crate::error::{Error, Result};
use crate::model::{Csr, EmbeddingData, Embeddings, Items, Model, Popularity, Prototypes, StringTable};
use crate::sha256::sha256_hex;
use crate::tensor::Tensor;

/// Prefix of the metadata keys that carry [`Model::info`].
const INFO_PREFIX: &str = "info.";

/// A container whose format, version and checksum were checked.
pub(super) struct Opened {
    pub(super) container: Container,
    pub(super) sha256: String,
    /// 1, or 2 for the head of a bundle in pieces (then `container.end` is the head's length).
    pub(super) version: u32,
}

/// Container, format name, version, checksum: the checks shared by `decode` and `inspect`. The
/// checksum of a format-2 head covers the head only (its shards have their own, in its directory).
pub(super) fn open(bytes: &[u8]) -> Result<Opened> {
    let container = container::parse_prefix(bytes)?;
    let meta = &container.metadata;
    let version: u32 = if meta.get("format_version").is_some_and(|v| v == "2") { 2 } else { 1 };
    if version == 1 && container.end < bytes.len() {
        return Err(Error::BadHeader {
            reason: format!("{} trailing bytes after the last tensor", bytes.len() - container.end),
        });
    }
    let bytes = bytes.get(..container.end).unwrap_or(bytes);
    match meta.get("format") {
        Some(f) if f == FORMAT => {}
        Some(f) => {
            return Err(Error::BadHeader {
                reason: format!("not a recofuse bundle: format is {}", crate::json::Quoted(f)),
            })
        }
        None => return Err(Error::BadHeader { reason: "not a recofuse bundle: no __metadata__.format".into() }),
    }
    let found = meta.get("format_version").ok_or_else(|| missing("format_version"))?;
    if found != &FORMAT_VERSION.to_string() && version != 2 {
        return Err(Error::UnsupportedVersion { found: found.clone(), supported: format!("{FORMAT_VERSION}, 2") });
    }
    let expected = meta.get("sha256").ok_or_else(|| missing("sha256"))?;
    let actual = match container::checksum_field(bytes, container.data_start) {
        Some(at) => container::checksum(bytes, at),
        None => return Err(Error::section("__metadata__.sha256", "not written as \"sha256\":\"<64 hex digits>\"")),
    };
    if !expected.eq_ignore_ascii_case(&actual) {
        let data = bytes.get(container.data_start..).unwrap_or(&[]);
        if expected.eq_ignore_ascii_case(&sha256_hex(data)) {
            return Err(Error::section(
                "__metadata__.sha256",
                "this checksum covers the tensor data only (bundles written before issue 16), so the header \
                 is unchecked: rebuild the bundle with the current `recofuse train`",
            ));
        }
        return Err(Error::ChecksumMismatch { expected: expected.clone(), actual });
    }
    if let Some(list) = meta.get("scorers") {
        if let Some(bad) = list.split(',').find(|x| !x.is_empty() && crate::Signal::from_name(x).is_none()) {
            return Err(Error::section("__metadata__.scorers", format!("unknown scorer {}", crate::json::Quoted(bad))));
        }
    }
    Ok(Opened { container, sha256: actual, version })
}

pub(super) fn missing(section: &str) -> Error {
    Error::MissingSection { section: section.to_string() }
}

/// The in-memory dtype of a known tensor, for [`TensorInfo::in_place`].
fn memory_dtype(name: &str) -> Option<Dtype> {
    let csr_part = |n: &str| {
        ["items.categories.", "items.terms.", "itemcf.", "transitions.", "prototypes."]
            .iter()
            .find_map(|p| n.strip_prefix(p))
            .and_then(|rest| match rest {
                "ptr" | "idx" => Some(Dtype::U32),
                "w" => Some(Dtype::F32),
                _ => None,
            })
    };
    match name {
        "items.ids.bytes"
        | "items.category_names.bytes"
        | "items.brand_names.bytes"
        | "items.term_names.bytes"
        | "items.flags" => Some(Dtype::U8),
        "items.ids.offsets"
        | "items.category_names.offsets"
        | "items.term_names.offsets"
        | "items.brand_names.offsets"
        | "items.brand"
        | "prototypes.sizes" => Some(Dtype::U32),
        "items.price" | "popularity.count" | "popularity.trend" | "embeddings.f32" | "embeddings.scale" => {
            Some(Dtype::F32)
        }
        "embeddings.f16" => Some(Dtype::F16),
        n if n.starts_with("neural.") => Some(Dtype::F32),
        "embeddings.i8" => Some(Dtype::I8),
        other => csr_part(other),
    }
}

pub(crate) fn inspect(bytes: &[u8]) -> Result<Summary> {
    let opened = open(bytes)?;
    Ok(summarize(opened, bytes.len()))
}

/// The summary of an opened container of `len` bytes (no further checks).
fn summarize(Opened { container, sha256, version }: Opened, len: usize) -> Summary {
    let meta = &container.metadata;
    let items_key = if version == 2 { "catalog_items" } else { "items" };
    let mut tensors: Vec<(&String, &Entry)> = container.tensors.iter().collect();
    crate::sort::sort_by_key(&mut tensors, |(name, e)| (e.start, e.end, name.as_str()));
    let items = match meta.get(items_key).and_then(|s| s.parse().ok()) {
        Some(n) => n,
        None => container.tensors.get("items.ids.offsets").map_or(0, |e| e.len.saturating_sub(1)),
    };
    Summary {
        format_version: version,
        items,
        scorers: meta
            .get("scorers")
            .map(|s| s.split(',').filter(|x| !x.is_empty()).map(str::to_string).collect())
            .unwrap_or_default(),
        sha256,
        tensors: tensors
            .into_iter()
            .map(|(name, e)| TensorInfo {
                name: name.clone(),
                dtype: e.dtype.name().to_string(),
                shape: e.shape.clone(),
                bytes: e.end - e.start,
                in_place: memory_dtype(name) == Some(e.dtype) && e.start % e.dtype.size() == 0,
            })
            .collect(),
        info: info(meta),
        bytes: len,
    }
}

pub(super) fn info(meta: &SortedMap<String>) -> BTreeMap<String, String> {
    // Inserted one by one: `collect` into a `BTreeMap` sorts first (a whole std sort in the wasm module).
    let mut out = BTreeMap::new();
    for (k, v) in meta.iter() {
        if let Some(k) = k.strip_prefix(INFO_PREFIX) {
            out.insert(k.to_string(), v.clone());
        }
    }
    out
}

pub(crate) fn decode(bytes: Vec<u8>) -> Result<Model> {
    decode_with_summary(bytes).map(|(model, _)| model)
}

/// [`decode`] and [`inspect`] in one pass: the container is parsed and its checksum computed once.
pub(crate) fn decode_with_summary(bytes: Vec<u8>) -> Result<(Model, Summary)> {
    let len = bytes.len();
    let opened = open(&bytes)?;
    let model = if opened.version == 2 {
        pieces(&opened, &bytes)?
    } else {
        Reader { bytes: Arc::new(bytes), c: &opened.container }.model()?
    };
    super::validate(&model)?;
    Ok((model, summarize(opened, len)))
}

/// The whole model of a single-file format-2 bundle.
#[cfg(feature = "pieces")]
fn pieces(opened: &Opened, bytes: &[u8]) -> Result<Model> {
    super::shards::whole(opened, bytes)
}

/// Without the `pieces` feature, format 2 is not read.
#[cfg(not(feature = "pieces"))]
fn pieces(_: &Opened, _: &[u8]) -> Result<Model> {
    Err(Error::UnsupportedVersion { found: "2".into(), supported: "1 (format 2 needs the `pieces` feature)".into() })
}

/// Element types read from little-endian bytes.
pub(super) trait FromLe: Pod {
    const DTYPE: Dtype;
    fn from_le(b: &[u8]) -> Self;
}

macro_rules! from_le_impl {
    ($($t:ty => $d:expr),*) => {$(
        impl FromLe for $t {
            const DTYPE: Dtype = $d;
            fn from_le(b: &[u8]) -> Self {
                <[u8; std::mem::size_of::<$t>()]>::try_from(b).map_or(<$t>::default(), <$t>::from_le_bytes)
            }
        }
    )*};
}
from_le_impl!(u8 => Dtype::U8, i8 => Dtype::I8, u16 => Dtype::U16, u32 => Dtype::U32, u64 => Dtype::U64, f32 => Dtype::F32);

impl FromLe for f16 {
    const DTYPE: Dtype = Dtype::F16;
    fn from_le(b: &[u8]) -> Self {
        f16::from_bits(<u16 as FromLe>::from_le(b))
    }
}

/// Reads the tensors of a parsed container.
pub(super) struct Reader<'a> {
    pub(super) bytes: Arc<Vec<u8>>,
    pub(super) c: &'a Container,
}

impl Reader<'_> {
    pub(super) fn has(&self, name: &str) -> bool {
        self.c.tensors.contains_key(name)
    }

    /// The entry of a required tensor with rank `rank`, whose dtype is one of `dtypes`.
    fn entry(&self, name: &str, dtypes: &[Dtype], rank: usize) -> Result<&Entry> {
        let e = self.c.tensors.get(name).ok_or_else(|| missing(name))?;
        if !dtypes.contains(&e.dtype) || e.shape.len() != rank {
            let names: Vec<&str> = dtypes.iter().map(|d| d.name()).collect();
            return Err(Error::Shape {
                section: name.to_string(),
                expected: format!("{} with {rank} dimension{}", names.join(" or "), if rank == 1 { "" } else { "s" }),
                found: e.describe(),
            });
        }
        Ok(e)
    }

    fn raw(&self, e: &Entry) -> &[u8] {
        self.bytes.get(e.start..e.end).unwrap_or(&[])
    }

    /// The tensor in place when possible, else a little-endian copy. `e.dtype` must be `T::DTYPE`.
    fn load<T: FromLe>(&self, e: &Entry) -> Tensor<T> {
        Tensor::in_place(&self.bytes, e.start, e.len).unwrap_or_else(|| {
            self.raw(e).chunks_exact(std::mem::size_of::<T>()).map(T::from_le).collect::<Vec<T>>().into()
        })
    }

    pub(super) fn exact<T: FromLe>(&self, name: &str, rank: usize) -> Result<Tensor<T>> {
        let e = self.entry(name, &[T::DTYPE], rank)?;
        Ok(self.load(e))
    }

    /// U32 in place, or U16 widened.
    pub(super) fn indices(&self, name: &str) -> Result<Tensor<u32>> {
        let e = self.entry(name, &[Dtype::U32, Dtype::U16], 1)?;
        Ok(match e.dtype {
            Dtype::U16 => {
                self.raw(e).chunks_exact(2).map(|b| u32::from(<u16 as FromLe>::from_le(b))).collect::<Vec<_>>().into()
            }
            _ => self.load(e),
        })
    }

    /// F32 in place, or F16 widened.
    pub(super) fn weights(&self, name: &str) -> Result<Tensor<f32>> {
        let e = self.entry(name, &[Dtype::F32, Dtype::F16], 1)?;
        Ok(match e.dtype {
            Dtype::F16 => {
                self.raw(e).chunks_exact(2).map(|b| <f16 as FromLe>::from_le(b).to_f32()).collect::<Vec<_>>().into()
            }
            _ => self.load(e),
        })
    }

    pub(super) fn strings(&self, prefix: &str) -> Result<StringTable> {
        Ok(StringTable {
            bytes: self.exact(&format!("{prefix}.bytes"), 1)?,
            offsets: self.exact(&format!("{prefix}.offsets"), 1)?,
        })
    }

    /// Whether any tensor of the CSR section `prefix` is present.
    pub(super) fn has_csr(&self, prefix: &str) -> bool {
        ["ptr", "idx", "w"].iter().any(|p| self.has(&format!("{prefix}.{p}")))
    }

    pub(super) fn csr(&self, prefix: &str, weighted: bool) -> Result<Csr> {
        let w_name = format!("{prefix}.w");
        Ok(Csr {
            ptr: self.exact(&format!("{prefix}.ptr"), 1)?,
            idx: self.indices(&format!("{prefix}.idx"))?,
            w: if weighted || self.has(&w_name) { self.weights(&w_name)? } else { Tensor::empty() },
        })
    }

    pub(super) fn meta(&self, key: &str) -> Option<&String> {
        self.c.metadata.get(key)
    }

    /// A non-negative integer from the metadata.
    pub(super) fn meta_int<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>> {
        match self.meta(key) {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| Error::section(key, format!("{} is not a non-negative integer", crate::json::Quoted(s)))),
        }
    }

    fn config<T>(&self, key: &str, from_json: fn(&str) -> crate::json::Result<T>) -> Result<T> {
        let s = self.meta(key).ok_or_else(|| missing(key))?;
        from_json(s).map_err(|e| Error::section(key, format!("bad JSON: {e}")))
    }

    pub(super) fn embeddings(&self) -> Result<Option<Embeddings>> {
        let present: Vec<&str> =
            ["embeddings.f32", "embeddings.f16", "embeddings.i8"].into_iter().filter(|n| self.has(n)).collect();
        let name = match present.as_slice() {
            [] if self.has("embeddings.scale") => {
                return Err(Error::section("embeddings.scale", "present without embeddings.i8"));
            }
            [] => return Ok(None),
            [one] => *one,
            _ => {
                return Err(Error::section("embeddings", format!("several encodings present: {}", present.join(", "))))
            }
        };
        let (data, shape) = match name {
            "embeddings.f32" => {
                let e = self.entry(name, &[Dtype::F32], 2)?;
                (EmbeddingData::F32(self.load(e)), &e.shape)
            }
            "embeddings.f16" => {
                let e = self.entry(name, &[Dtype::F16], 2)?;
                (EmbeddingData::F16(self.load(e)), &e.shape)
            }
            _ => {
                let e = self.entry(name, &[Dtype::I8], 2)?;
                let scales = self.exact("embeddings.scale", 1)?;
                (EmbeddingData::I8 { values: self.load(e), scales }, &e.shape)
            }
        };
        let dim = shape.get(1).copied().unwrap_or(0);
        if let Some(d) = self.meta_int::<usize>("embedding_dim")? {
            if d != dim {
                return Err(Error::Shape {
                    section: name.to_string(),
                    expected: format!("{d} columns (embedding_dim)"),
                    found: crate::json::Dims(shape).to_string(),
                });
            }
        }
        Ok(Some(Embeddings { dim, data }))
    }

    /// A dense tensor of rank `rank`: F32 in place, or F16 widened.
    pub(super) fn dense(&self, name: &str, rank: usize) -> Result<Tensor<f32>> {
        let e = self.entry(name, &[Dtype::F32, Dtype::F16], rank)?;
        Ok(match e.dtype {
            Dtype::F16 => {
                self.raw(e).chunks_exact(2).map(|b| <f16 as FromLe>::from_le(b).to_f32()).collect::<Vec<_>>().into()
            }
            _ => self.load(e),
        })
    }

    /// The optional deep-model section (absent: `None`; shapes are checked by `validate`).
    fn neural(&self) -> Result<Option<crate::neural::NeuralModel>> {
        let any = self.c.tensors.iter().any(|(k, _)| k.starts_with("neural.")) || self.meta("neural.dim").is_some();
        if !any {
            return Ok(None);
        }
        let int = |key: &str| -> Result<usize> { self.meta_int::<usize>(key)?.ok_or_else(|| missing(key)) };
        let layers = int("neural.layers")?;
        if layers > 64 {
            return Err(Error::section("neural.layers", format!("{layers} layers (at most 64)")));
        }
        let mut blocks = Vec::with_capacity(layers);
        for k in 0..layers {
            blocks.push(crate::neural::NeuralBlock::from_parts(|name| {
                let rank = if name.starts_with('w') { 2 } else { 1 };
                self.dense(&format!("neural.block{k}.{name}"), rank)
            })?);
        }
        Ok(Some(crate::neural::NeuralModel {
            dim: int("neural.dim")?,
            heads: int("neural.heads")?,
            max_len: int("neural.max_len")?,
            ffn_dim: int("neural.ffn_dim")?,
            item_emb: self.dense("neural.item_emb", 2)?,
            pos_emb: self.dense("neural.pos_emb", 2)?,
            blocks,
            ln_w: self.dense("neural.ln.w", 1)?,
            ln_b: self.dense("neural.ln.b", 1)?,
        }))
    }

    pub(super) fn model(&self) -> Result<Model> {
        let fusion = self.config("fusion", FusionConfig::from_json)?;
        let scoring = self.config("scoring", ScoringConfig::from_json)?;
        let items = Items {
            ids: self.strings("items.ids")?,
            category_names: self.strings("items.category_names")?,
            categories: self.csr("items.categories", false)?,
            brand_names: self.strings("items.brand_names")?,
            brand: self.exact("items.brand", 1)?,
            price: self.exact("items.price", 1)?,
            flags: self.exact("items.flags", 1)?,
            term_names: if self.has("items.term_names.offsets") {
                self.strings("items.term_names")?
            } else {
                StringTable::default()
            },
            terms: if self.has_csr("items.terms") { self.csr("items.terms", true)? } else { Csr::default() },
        };
        if let Some(n) = self.meta_int::<usize>("items")? {
            if n != items.len() {
                return Err(Error::Shape {
                    section: "items.ids.offsets".into(),
                    expected: format!("[{}] (items = {n})", n.saturating_add(1)),
                    found: format!("[{}]", items.ids.offsets.len()),
                });
            }
        }
        let popularity =
            Popularity { count: self.exact("popularity.count", 1)?, trend: self.exact("popularity.trend", 1)? };
        let item_cf = if self.has_csr("itemcf") { Some(self.csr("itemcf", true)?) } else { None };
        let transitions = if self.has_csr("transitions") { Some(self.csr("transitions", true)?) } else { None };
        let embeddings = self.embeddings()?;
        let prototypes = if self.has_csr("prototypes") || self.has("prototypes.sizes") {
            Some(Prototypes {
                prefs: self.csr("prototypes", true)?,
                sizes: self.exact("prototypes.sizes", 1)?,
                min_cluster_size: self
                    .meta_int("prototypes.min_cluster_size")?
                    .ok_or_else(|| missing("prototypes.min_cluster_size"))?,
            })
        } else {
            None
        };
        Ok(Model {
            items,
            popularity,
            item_cf,
            transitions,
            embeddings,
            prototypes,
            neural: self.neural()?,
            fusion,
            scoring,
            info: info(&self.c.metadata),
        })
    }
}
