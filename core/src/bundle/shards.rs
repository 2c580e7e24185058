//! Bundle format 2: a small head plus the item rows in shards, fetched on demand (see the
//! [module documentation](super) and docs/design.md, "Stores of any size").
//!
//! The head is a format-1 container with `format_version` `"2"`: the configurations, the vocabularies,
//! the prototypes (their preferences name items by [`fnv1a64`] id hash, `prototypes.refs`), the deep
//! model without its item rows, the popular items (`popular.ids`, `popular.score`) and the shard
//! directory (`shards.len` U64 `[S]`, `shards.sha256` U8 `[S, 32]`; shard `s` starts where shard
//! `s - 1` ends, shard 0 right after the head). Each shard is a container (`format` =
//! `"recofuse-shard"`) of the rows of the items whose id hashes to it (`fnv1a64(id) % S`): the
//! format-1 per-item tensors, with item-CF and transition columns naming items through the shard's
//! own table of id hashes (`refs`, U64), and the deep model's item rows (`rows.neural`).

use std::sync::Arc;

use super::container::{self, Dtype};
use super::decode::{missing, Opened, Reader};
use super::encode::{self, Writer};
use super::EncodeOptions;
use crate::error::{Error, Result};
use crate::model::{Csr, EmbeddingData, Embeddings, Items, Model, Popularity, StringTable};
use crate::tensor::Tensor;

/// `__metadata__["format"]` of a shard.
pub const SHARD_FORMAT: &str = "recofuse-shard";

/// How many popular items the head lists (for `recommend` before any row is loaded).
pub const POPULAR: usize = 200;

/// The 64-bit FNV-1a hash of an item id: which shard holds the item (`hash % shards`), and how rows
/// name other items.
///
/// ```
/// use recofuse_core::bundle::fnv1a64;
/// assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
/// assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
/// ```
pub fn fnv1a64(id: &[u8]) -> u64 {
    id.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// One entry of the shard directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardInfo {
    /// Offset of the shard's first byte in the single-file bundle.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// SHA-256 of the shard's bytes.
    pub sha256: [u8; 32],
}

/// The rows of one shard, verified and decoded ([`Head::shard`]).
#[derive(Debug, Clone)]
pub struct Shard {
    index: usize,
    /// The shard's items and their rows; CSR columns of `item_cf` and `transitions` index `refs`.
    rows: Model,
    refs: Tensor<u64>,
    neural: Tensor<f32>,
    /// Each row's item index in the trainer's model (the assembled model keeps that order).
    order: Tensor<u32>,
}

impl Shard {
    /// Which shard this is.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Number of items in the shard.
    pub fn len(&self) -> usize {
        self.rows.items.len()
    }

    /// Whether the shard holds no item.
    pub fn is_empty(&self) -> bool {
        self.rows.items.is_empty()
    }
}

/// The head of a format-2 bundle: everything but the item rows, and where to find them.
#[derive(Debug, Clone)]
pub struct Head {
    /// The model without items: configurations, vocabularies, prototypes (columns index `proto_refs`),
    /// the deep model without item rows; `Some` empty sections say which sections the rows carry.
    base: Model,
    proto_refs: Tensor<u64>,
    popular: Vec<(String, f32)>,
    shards: Vec<ShardInfo>,
    items: usize,
    len: usize,
    sha256: String,
}

impl Head {
    /// Reads and verifies the head at the start of `bytes` (the head alone, or the head followed by any
    /// part of its shards): container, format, version 2, the head's checksum, its tensors.
    pub fn decode(bytes: &[u8]) -> Result<Head> {
        let opened = super::decode::open(bytes)?;
        if opened.version != 2 {
            return Err(Error::UnsupportedVersion { found: "1".into(), supported: "2 (a bundle in pieces)".into() });
        }
        let head = bytes.get(..opened.container.end).unwrap_or(bytes);
        Head::from_opened(&opened, head)
    }

    fn from_opened(opened: &Opened, head: &[u8]) -> Result<Head> {
        let r = Reader { bytes: Arc::new(head.to_vec()), c: &opened.container };
        let mut base = r.model()?;
        base.info = super::decode::info(&opened.container.metadata);
        let proto_refs = if base.prototypes.is_some() { r.exact("prototypes.refs", 1)? } else { Tensor::empty() };
        let ids = r.strings("popular.ids")?;
        let score: Tensor<f32> = r.exact("popular.score", 1)?;
        if score.len() != ids.len() {
            return Err(Error::section("popular.score", "not one score per popular id"));
        }
        let popular = (0..ids.len())
            .map(|i| ids.get(i).map(|id| (id.to_string(), score.get(i).copied().unwrap_or(0.0))))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::section("popular.ids", "bad offsets or UTF-8"))?;
        let lens: Tensor<u64> = r.exact("shards.len", 1)?;
        let sums: Tensor<u8> = r.exact("shards.sha256", 2)?;
        if sums.len() != lens.len() * 32 {
            return Err(Error::section("shards.sha256", "not 32 bytes per shard"));
        }
        let mut offset = head.len() as u64;
        let mut shards = Vec::with_capacity(lens.len());
        for (&len, sum) in lens.iter().zip(sums.chunks_exact(32)) {
            let mut sha256 = [0u8; 32];
            sha256.copy_from_slice(sum);
            shards.push(ShardInfo { offset, len, sha256 });
            offset = offset.checked_add(len).ok_or_else(|| Error::section("shards.len", "sizes overflow"))?;
        }
        if shards.is_empty() {
            return Err(Error::section("shards.len", "no shard"));
        }
        let items = r.meta_int::<usize>("catalog_items")?.ok_or_else(|| missing("catalog_items"))?;
        Ok(Head { base, proto_refs, popular, shards, items, len: head.len(), sha256: opened.sha256.clone() })
    }

    /// The head's length in bytes (shard 0 starts here in a single-file bundle).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the head is empty (never: a head has a header).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of items in the whole catalog.
    pub fn items(&self) -> usize {
        self.items
    }

    /// The head's SHA-256 (lowercase hex, verified).
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The shard directory.
    pub fn shards(&self) -> &[ShardInfo] {
        &self.shards
    }

    /// The most popular items, best first, with their popularity prior.
    pub fn popular(&self) -> &[(String, f32)] {
        &self.popular
    }

    /// The shard that holds `id`'s rows (whether or not the catalog has it).
    ///
    /// ```
    /// use recofuse_core::bundle::{encode_sharded, Head};
    /// let model = recofuse_testkit::catalog(100, 3);
    /// let parts = encode_sharded(&model, 8, &Default::default()).unwrap();
    /// let head = Head::decode(&parts[0]).unwrap();
    /// let s = head.shard_of("item-7");
    /// let shard = head.shard(s, &parts[1 + s]).unwrap();
    /// assert!(shard.len() > 0);
    /// ```
    pub fn shard_of(&self, id: &str) -> usize {
        (fnv1a64(id.as_bytes()) % self.shards.len() as u64) as usize
    }

    /// Verifies shard `index`'s bytes against the directory (length, then SHA-256) and decodes it. A
    /// short shard is [`Error::Truncated`], other bytes [`Error::ChecksumMismatch`]: nothing of it is used.
    pub fn shard(&self, index: usize, bytes: &[u8]) -> Result<Shard> {
        let info = self.shards.get(index).ok_or_else(|| Error::invalid("shard", format!("no shard {index}")))?;
        let section = format!("shard {index}");
        if bytes.len() as u64 != info.len {
            return Err(Error::Truncated { section, needed: info.len, available: bytes.len() as u64 });
        }
        let actual = crate::sha256::sha256(bytes);
        if actual != info.sha256 {
            return Err(Error::ChecksumMismatch {
                expected: format!("{section}: {}", crate::sha256::hex(&info.sha256)),
                actual: crate::sha256::hex(&actual),
            });
        }
        let c = container::parse(bytes)?;
        if c.metadata.get("format").map(String::as_str) != Some(SHARD_FORMAT)
            || c.metadata.get("shard") != Some(&index.to_string())
        {
            return Err(Error::BadHeader { reason: format!("{section} is not shard {index} of this bundle") });
        }
        let r = Reader { bytes: Arc::new(bytes.to_vec()), c: &c };
        let csr = |p: &str| if r.has_csr(p) { r.csr(p, true).map(Some) } else { Ok(None) };
        let rows = Model {
            items: Items {
                ids: r.strings("items.ids")?,
                categories: r.csr("items.categories", false)?,
                brand: r.exact("items.brand", 1)?,
                price: r.exact("items.price", 1)?,
                flags: r.exact("items.flags", 1)?,
                terms: csr("items.terms")?.unwrap_or_default(),
                ..Items::default()
            },
            popularity: Popularity { count: r.exact("popularity.count", 1)?, trend: r.exact("popularity.trend", 1)? },
            item_cf: csr("itemcf")?,
            transitions: csr("transitions")?,
            embeddings: r.embeddings()?,
            ..Model::default()
        };
        let neural = if r.has("rows.neural") { r.dense("rows.neural", 2)? } else { Tensor::empty() };
        let order: Tensor<u32> = r.exact("rows.order", 1)?;
        if order.len() != rows.items.len() {
            return Err(Error::section("rows.order", "not one entry per item"));
        }
        Ok(Shard { index, rows, refs: r.exact("refs", 1)?, neural, order })
    }

    /// The model of the items in `shards` (each shard once; in any order): their rows, in the order of
    /// the trainer's model (`rows.order`), with item-CF, transition and prototype columns resolved
    /// against these items only (a column naming an item of another shard is left out). With every
    /// shard it is the trainer's model itself, which ranks exactly as its format-1 bundle. Validated.
    pub fn assemble(&self, shards: &[&Shard]) -> Result<Model> {
        let mut order: Vec<&Shard> = shards.to_vec();
        crate::sort::sort_by_key(&mut order, |s| s.index);
        order.dedup_by_key(|s| s.index);
        let base = &self.base;
        // Every loaded row, in the order of the items in the trainer's model.
        let mut rows: Vec<(u32, &Shard, usize)> = order
            .iter()
            .flat_map(|s| (0..s.len()).map(move |r| (s.order.get(r).copied().unwrap_or(u32::MAX), *s, r)))
            .collect();
        crate::sort::sort_by_key(&mut rows, |x| (x.0, x.1.index, x.2));
        let ids: Vec<&str> = rows.iter().map(|(_, s, r)| s.rows.items.ids.get(*r).unwrap_or("")).collect();
        // Id hash -> new item index, sorted for binary search.
        let mut by_hash: Vec<(u64, u32)> =
            ids.iter().enumerate().map(|(i, id)| (fnv1a64(id.as_bytes()), i as u32)).collect();
        crate::sort::sort_by_key(&mut by_hash, |p| p.0);
        let find = |h: u64| by_hash.binary_search_by_key(&h, |p| p.0).ok().and_then(|i| by_hash.get(i)).map(|p| p.1);
        let rows_of = |part: &dyn Fn(&Model) -> Option<&Csr>, resolve: &dyn Fn(&Shard, u32) -> Option<u32>| {
            rows.iter()
                .map(|(_, s, r)| {
                    let (idx, w) = part(&s.rows).map_or((&[][..], &[][..]), |c| c.row(*r));
                    let row = idx.iter().zip(w.iter().chain(std::iter::repeat(&0.0)));
                    row.filter_map(|(&i, &x)| resolve(s, i).map(|j| (j, x))).collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        };
        let by_ref = |s: &Shard, i: u32| s.refs.get(i as usize).and_then(|&h| find(h));
        let same = |_: &Shard, i: u32| Some(i);
        let mut categories = Csr::from_rows(&rows_of(&|m| Some(&m.items.categories), &same));
        categories.w = Tensor::empty();
        let terms = if base.items.term_names.is_empty() {
            Csr::default()
        } else {
            Csr::from_rows(&rows_of(&|m| Some(&m.items.terms), &same))
        };
        let pick = |f: fn(&Model) -> &Tensor<f32>| {
            rows.iter().map(|(_, s, r)| f(&s.rows).get(*r).copied().unwrap_or(f32::NAN)).collect::<Vec<_>>()
        };
        let span = |d: usize, r: usize| r * d..(r + 1) * d;
        let items = Items {
            ids: StringTable::from_strs(&ids),
            category_names: base.items.category_names.clone(),
            categories,
            brand_names: base.items.brand_names.clone(),
            brand: rows
                .iter()
                .map(|(_, s, r)| s.rows.items.brand.get(*r).copied().unwrap_or(u32::MAX))
                .collect::<Vec<_>>()
                .into(),
            price: pick(|m| &m.items.price).into(),
            flags: rows
                .iter()
                .map(|(_, s, r)| s.rows.items.flags.get(*r).copied().unwrap_or(0))
                .collect::<Vec<_>>()
                .into(),
            term_names: base.items.term_names.clone(),
            terms,
        };
        let item_cf = base.item_cf.as_ref().map(|_| Csr::from_rows(&rows_of(&|m| m.item_cf.as_ref(), &by_ref)));
        let transitions =
            base.transitions.as_ref().map(|_| Csr::from_rows(&rows_of(&|m| m.transitions.as_ref(), &by_ref)));
        let embeddings = match &base.embeddings {
            None => None,
            Some(e) => {
                let d = e.dim;
                let data = match &e.data {
                    EmbeddingData::F32(_) => EmbeddingData::F32(
                        rows.iter()
                            .flat_map(|(_, s, r)| match s.rows.embeddings.as_ref().map(|x| &x.data) {
                                Some(EmbeddingData::F32(t)) => t.get(span(d, *r)).unwrap_or(&[]).to_vec(),
                                _ => Vec::new(),
                            })
                            .collect::<Vec<_>>()
                            .into(),
                    ),
                    EmbeddingData::F16(_) => EmbeddingData::F16(
                        rows.iter()
                            .flat_map(|(_, s, r)| match s.rows.embeddings.as_ref().map(|x| &x.data) {
                                Some(EmbeddingData::F16(t)) => t.get(span(d, *r)).unwrap_or(&[]).to_vec(),
                                _ => Vec::new(),
                            })
                            .collect::<Vec<_>>()
                            .into(),
                    ),
                    EmbeddingData::I8 { .. } => {
                        let (mut values, mut scales) = (Vec::new(), Vec::new());
                        for (_, s, r) in &rows {
                            if let Some(EmbeddingData::I8 { values: v, scales: sc }) =
                                s.rows.embeddings.as_ref().map(|x| &x.data)
                            {
                                values.extend_from_slice(v.get(span(d, *r)).unwrap_or(&[]));
                                scales.push(sc.get(*r).copied().unwrap_or(f32::NAN));
                            }
                        }
                        EmbeddingData::I8 { values: values.into(), scales: scales.into() }
                    }
                };
                Some(Embeddings { dim: e.dim, data })
            }
        };
        let prototypes = base.prototypes.as_ref().map(|p| {
            let mut rows = Vec::with_capacity(p.prefs.rows());
            for r in 0..p.prefs.rows() {
                let (idx, w) = p.prefs.row(r);
                rows.push(
                    idx.iter()
                        .zip(w)
                        .filter_map(|(&i, &x)| self.proto_refs.get(i as usize).and_then(|&h| find(h)).map(|j| (j, x)))
                        .collect::<Vec<_>>(),
                );
            }
            crate::model::Prototypes { prefs: Csr::from_rows(&rows), ..p.clone() }
        });
        let neural = base.neural.as_ref().map(|m| crate::neural::NeuralModel {
            item_emb: rows
                .iter()
                .flat_map(|(_, s, r)| s.neural.get(span(m.dim, *r)).unwrap_or(&[]).iter().copied())
                .collect::<Vec<_>>()
                .into(),
            ..m.clone()
        });
        let model = Model {
            items,
            popularity: Popularity {
                count: pick(|m| &m.popularity.count).into(),
                trend: pick(|m| &m.popularity.trend).into(),
            },
            item_cf,
            transitions,
            embeddings,
            prototypes,
            neural,
            fusion: base.fusion.clone(),
            scoring: base.scoring.clone(),
            info: base.info.clone(),
        };
        super::validate(&model)?;
        Ok(model)
    }
}

/// The whole model of a single-file format-2 bundle (head and every shard, each verified).
pub(super) fn whole(opened: &Opened, bytes: &[u8]) -> Result<Model> {
    let head_bytes = bytes.get(..opened.container.end).unwrap_or(bytes);
    let head = Head::from_opened(opened, head_bytes)?;
    let mut shards = Vec::with_capacity(head.shards.len());
    for (s, info) in head.shards.iter().enumerate() {
        let section = format!("shard {s}");
        let (a, b) = (info.offset as usize, info.offset.saturating_add(info.len) as usize);
        let part =
            bytes.get(a..b).ok_or(Error::Truncated { section, needed: b as u64, available: bytes.len() as u64 })?;
        shards.push(head.shard(s, part)?);
    }
    let end = head.shards.last().map_or(head.len as u64, |i| i.offset + i.len);
    if (bytes.len() as u64) > end {
        return Err(Error::BadHeader {
            reason: format!("{} trailing bytes after the last shard", bytes.len() as u64 - end),
        });
    }
    head.assemble(&shards.iter().collect::<Vec<_>>())
}

/// Writes `model` as a format-2 bundle with `shards` shards: `[head, shard 0, …, shard S-1]` (their
/// concatenation is the single-file bundle). Fails when two ids share an [`fnv1a64`] hash.
pub(super) fn encode_sharded(model: &Model, shards: usize, options: &EncodeOptions) -> Result<Vec<Vec<u8>>> {
    super::validate(model)?;
    let s_count = shards.max(1);
    let n = model.items.len();
    let hashes: Vec<u64> = model.items.ids.iter().map(|id| fnv1a64(id.as_bytes())).collect();
    let mut sorted: Vec<(u64, usize)> = hashes.iter().copied().zip(0..).collect();
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
        let name = |i: usize| model.items.ids.get(i).unwrap_or("").to_string();
        return Err(Error::invalid(
            "items.ids",
            format!("ids {} and {} share a 64-bit FNV-1a hash: write a format-1 bundle", name(w[0].1), name(w[1].1)),
        ));
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); s_count];
    for (i, &h) in hashes.iter().enumerate() {
        members[(h % s_count as u64) as usize].push(i);
    }
    let mut out = vec![Vec::new()];
    for (s, m) in members.iter().enumerate() {
        out.push(encode_shard(model, s, m, &hashes, options)?);
    }
    // The head: the model without items, plus its own tensors.
    let mut base = Model {
        items: Items {
            category_names: model.items.category_names.clone(),
            brand_names: model.items.brand_names.clone(),
            ..Items::default()
        },
        item_cf: model.item_cf.as_ref().map(|_| Csr::from_rows(&[])),
        transitions: model.transitions.as_ref().map(|_| Csr::from_rows(&[])),
        embeddings: model.embeddings.as_ref().map(|e| Embeddings {
            dim: e.dim,
            data: match &e.data {
                EmbeddingData::F32(_) => EmbeddingData::F32(Tensor::empty()),
                EmbeddingData::F16(_) => EmbeddingData::F16(Tensor::empty()),
                EmbeddingData::I8 { .. } => EmbeddingData::I8 { values: Tensor::empty(), scales: Tensor::empty() },
            },
        }),
        neural: model.neural.as_ref().map(|m| crate::neural::NeuralModel { item_emb: Tensor::empty(), ..m.clone() }),
        fusion: model.fusion.clone(),
        scoring: model.scoring.clone(),
        info: model.info.clone(),
        ..Model::default()
    };
    base.items.categories.ptr = vec![0].into();
    let mut proto_refs = Refs::default();
    if let Some(p) = &model.prototypes {
        let mut prefs = p.prefs.clone();
        prefs.idx = prefs
            .idx
            .iter()
            .map(|&i| proto_refs.of(hashes.get(i as usize).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
            .into();
        base.prototypes = Some(crate::model::Prototypes { prefs, ..p.clone() });
    }
    let (mut w, mut meta) = encode::parts(&base, options, None);
    meta.insert("scorers".into(), encode::scorers(model).join(","));
    meta.insert("format_version".into(), "2".into());
    meta.insert("catalog_items".into(), n.to_string());
    meta.insert("shards".into(), s_count.to_string());
    meta.insert("shard_rule".into(), "fnv1a64 % shards".into());
    if model.items.terms.rows() > 0 {
        w.strings("items.term_names", &model.items.term_names);
    }
    if model.prototypes.is_some() {
        w.vec("prototypes.refs", Dtype::U64, &proto_refs.hashes);
    }
    // The popularity prior of the scorer (`scorers::popularity_prior`, a module after this one).
    let mix = model.scoring.trend_mix;
    let (count, trend) = (&model.popularity.count, &model.popularity.trend);
    let mut top: Vec<(usize, f32)> = count
        .iter()
        .zip(trend.iter())
        .map(|(&c, &t)| (1.0 - mix) * c + mix * t)
        .enumerate()
        .filter(|p| p.1.is_finite())
        .collect();
    crate::sort::smallest_k_by(&mut top, POPULAR, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    w.strings("popular.ids", &StringTable::from_strs(top.iter().map(|p| model.items.ids.get(p.0).unwrap_or(""))));
    w.vec("popular.score", Dtype::F32, &top.iter().map(|p| p.1).collect::<Vec<_>>());
    let lens: Vec<u64> = out[1..].iter().map(|b| b.len() as u64).collect();
    w.vec("shards.len", Dtype::U64, &lens);
    let sums: Vec<u8> = out[1..].iter().flat_map(|b| crate::sha256::sha256(b)).collect();
    w.push("shards.sha256", Dtype::U8, vec![s_count, 32], &sums);
    out[0] = container::write(w.out, |_| meta)?;
    Ok(out)
}

/// A table of id hashes, each once, in order of first use.
#[derive(Default)]
struct Refs {
    hashes: Vec<u64>,
    at: std::collections::HashMap<u64, u32>,
}

impl Refs {
    fn of(&mut self, h: u64) -> u32 {
        let next = self.hashes.len() as u32;
        *self.at.entry(h).or_insert_with(|| {
            self.hashes.push(h);
            next
        })
    }
}

fn encode_shard(
    model: &Model,
    s: usize,
    members: &[usize],
    hashes: &[u64],
    options: &EncodeOptions,
) -> Result<Vec<u8>> {
    let mut w = Writer { compact: options.compact, out: Vec::new() };
    let items = &model.items;
    let mut refs = Refs::default();
    let pick_u32 = |t: &[u32]| members.iter().map(|&i| t.get(i).copied().unwrap_or(0)).collect::<Vec<_>>();
    let pick_f32 = |t: &[f32]| members.iter().map(|&i| t.get(i).copied().unwrap_or(0.0)).collect::<Vec<_>>();
    let rows = |c: &Csr, map: &mut dyn FnMut(u32) -> u32| {
        let rows: Vec<Vec<(u32, f32)>> = members
            .iter()
            .map(|&i| {
                let (idx, wt) = c.row(i);
                idx.iter().zip(wt.iter().chain(std::iter::repeat(&0.0))).map(|(&j, &x)| (map(j), x)).collect()
            })
            .collect();
        Csr::from_rows(&rows)
    };
    w.strings("items.ids", &StringTable::from_strs(members.iter().map(|&i| items.ids.get(i).unwrap_or(""))));
    w.csr("items.categories", &Csr { w: Tensor::empty(), ..rows(&items.categories, &mut |j| j) }, false);
    w.vec("items.brand", Dtype::U32, &pick_u32(&items.brand));
    w.vec("items.price", Dtype::F32, &pick_f32(&items.price));
    w.vec(
        "items.flags",
        Dtype::U8,
        &members.iter().map(|&i| items.flags.get(i).copied().unwrap_or(0)).collect::<Vec<_>>(),
    );
    if items.terms.rows() > 0 {
        w.csr("items.terms", &rows(&items.terms, &mut |j| j), true);
    }
    w.vec("popularity.count", Dtype::F32, &pick_f32(&model.popularity.count));
    w.vec("popularity.trend", Dtype::F32, &pick_f32(&model.popularity.trend));
    let mut by_ref = |j: u32| refs.of(hashes.get(j as usize).copied().unwrap_or(0));
    if let Some(c) = &model.item_cf {
        w.csr("itemcf", &rows(c, &mut by_ref), true);
    }
    if let Some(c) = &model.transitions {
        w.csr("transitions", &rows(c, &mut by_ref), true);
    }
    if let Some(e) = &model.embeddings {
        let d = e.dim;
        let shape = vec![members.len(), d];
        let span = |i: usize| i * d..(i + 1) * d;
        match &e.data {
            EmbeddingData::F32(t) => {
                let v: Vec<f32> = members.iter().flat_map(|&i| t.get(span(i)).unwrap_or(&[]).iter().copied()).collect();
                w.push("embeddings.f32", Dtype::F32, shape, &v);
            }
            EmbeddingData::F16(t) => {
                let v: Vec<half::f16> =
                    members.iter().flat_map(|&i| t.get(span(i)).unwrap_or(&[]).iter().copied()).collect();
                w.push("embeddings.f16", Dtype::F16, shape, &v);
            }
            EmbeddingData::I8 { values, scales } => {
                let v: Vec<i8> =
                    members.iter().flat_map(|&i| values.get(span(i)).unwrap_or(&[]).iter().copied()).collect();
                w.push("embeddings.i8", Dtype::I8, shape, &v);
                w.vec("embeddings.scale", Dtype::F32, &pick_f32(scales));
            }
        }
    }
    if let Some(m) = &model.neural {
        let d = m.dim;
        let v: Vec<f32> =
            members.iter().flat_map(|&i| m.item_emb.get(i * d..(i + 1) * d).unwrap_or(&[]).iter().copied()).collect();
        w.dense("rows.neural", vec![members.len(), d], &v);
    }
    w.vec("refs", Dtype::U64, &refs.hashes);
    w.vec("rows.order", Dtype::U32, &members.iter().map(|&i| i as u32).collect::<Vec<_>>());
    let mut meta = std::collections::BTreeMap::new();
    meta.insert("format".to_string(), SHARD_FORMAT.to_string());
    meta.insert("shard".to_string(), s.to_string());
    container::write(w.out, |_| meta)
}
