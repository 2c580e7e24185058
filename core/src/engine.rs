//! The [`Engine`]: a validated model plus the rerank pipeline.
//!
//! candidate ids -> item indices -> each scorer fills its column -> normalisation per column ->
//! fusion -> business rules -> deterministic order (ties by input position, unknown ids last).

use crate::config::{Method, Normalization};
use crate::error::{Error, Result};
use crate::history::History;
use crate::model::{Csr, Model, StringTable};
use crate::signal::{Columns, PerSignal};

/// What to do with out-of-stock candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StockRule {
    /// Rank them like any other.
    #[default]
    Ignore,
    /// Rank them after every in-stock candidate.
    Demote,
    /// Remove them (reported in [`Ranking::filtered`]).
    Filter,
}

/// Per-request options. `Options::default()` uses the bundle's fusion configuration and returns every
/// candidate.
#[derive(Debug, Clone, Default)]
pub struct Options<'a> {
    /// The server's own scores, one per candidate (NaN or infinite values count as missing).
    pub server_scores: Option<&'a [f32]>,
    /// Return only the first `k` (all when `None`).
    pub k: Option<usize>,
    /// Override of the bundle's fusion method.
    pub method: Option<Method>,
    /// Override of the bundle's normalisation.
    pub normalization: Option<Normalization>,
    /// Override of the bundle's weights (one per signal, finite, >= 0).
    pub weights: Option<Vec<f32>>,
    /// Remove candidates already in the history (reported in [`Ranking::excluded_seen`]).
    pub exclude_seen: bool,
    /// In-stock rule.
    pub stock: StockRule,
    /// Pinned items: `(item id, 0-based slot)`; a pin whose id is not among the candidates is ignored.
    pub pins: Vec<(String, usize)>,
    /// MMR diversity: `Some(lambda)` with lambda in [0, 1] (1 = relevance only).
    pub diversity: Option<f32>,
    /// Fill [`Ranked::contributions`].
    pub explain: bool,
}

/// One ranked candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    /// Position of the candidate in the input list.
    pub position: usize,
    /// Item index in the bundle (`None` for an unknown id).
    pub item: Option<u32>,
    /// Fused score (`None` when no signal had anything to say).
    pub score: Option<f32>,
    /// Per-signal contribution to the fused score when `explain` was asked. For the linear methods
    /// (simple, weighted, CombSUM, CombMNZ, RRF, Borda) the present contributions sum to the score;
    /// for CombMAX the maximum column carries the score; for stacking they are logit terms summing to
    /// `score - bias`.
    pub contributions: Option<PerSignal<Option<f32>>>,
    /// Whether a pin placed this candidate.
    pub pinned: bool,
}

/// The result of a rerank.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ranking {
    /// Ranked candidates, best first (at most `k`).
    pub items: Vec<Ranked>,
    /// Input positions removed by the in-stock filter.
    pub filtered: Vec<usize>,
    /// Input positions removed because already seen (`exclude_seen`).
    pub excluded_seen: Vec<usize>,
    /// Input positions whose id is not in the bundle (still ranked, after the known ones).
    pub unknown: Vec<usize>,
}

/// The shopper's history digested against a model: decayed item weights, recent sequence, seen set,
/// attribute profile. Build it with [`Engine::profile`] when the history changes; reuse it across reranks.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub(crate) inner: crate::scorers::ProfileData,
}

impl Profile {
    /// The digested data (what the scorers read).
    pub fn data(&self) -> &crate::scorers::ProfileData {
        &self.inner
    }
}

/// A validated model ready to rerank.
#[derive(Debug, Clone)]
pub struct Engine {
    model: Model,
    index: IdIndex,
    derived: Derived,
}

/// The id -> item index map: open addressing with linear probing over `(tag, index)` slots (at most
/// half full), keyed by the ids stored once in the model's [`StringTable`] (no copy of the strings).
/// The hash mixes 8-byte words with multiplications (see `IdIndex::hash`; the ids are the store's
/// own, so flooding resistance is not needed), the top bits choose the slot and the low 32 bits are
/// the tag that rejects almost every other id in the probe sequence without reading its bytes.
#[derive(Debug, Clone, Default)]
pub(crate) struct IdIndex {
    /// `(tag, item index)`; `index == EMPTY` marks a free slot.
    slots: Vec<(u32, u32)>,
    /// `64 - log2(slots.len())`.
    shift: u32,
}

impl IdIndex {
    const EMPTY: u32 = u32::MAX;

    /// The hash of an id: its first and last 8 bytes (overlapping for ids of 9 to 15 bytes; the length
    /// is in the seed) mixed with two 64-bit multiplications, after one more round per 16 bytes in
    /// between for longer ids. Typical ids (8 to 16 bytes) cost two loads and two multiplications (no
    /// 128-bit product, which wasm32 would call a helper for). The top bits come straight from the
    /// last product; the low 32 bits get the high half folded in.
    #[inline]
    fn hash(id: &[u8]) -> u64 {
        const K0: u64 = 0x9e37_79b9_7f4a_7c15;
        const K1: u64 = 0xe703_7ed1_a0b4_28db;
        const K2: u64 = 0x8ebc_6af0_9c88_c6e3;
        #[inline]
        fn mix(a: u64, b: u64, seed: u64) -> u64 {
            let h = ((a ^ seed).wrapping_mul(K1).rotate_left(29) ^ b).wrapping_mul(K2);
            h ^ (h >> 32)
        }
        let n = id.len();
        let mut seed = K0 ^ (n as u64);
        let (a, b) = if n >= 8 {
            let mut i = 0;
            while i + 16 < n {
                seed = mix(word(id, i), word(id, i + 8), seed);
                i += 16;
            }
            (word(id, i.min(n - 8)), word(id, n - 8))
        } else if n >= 4 {
            (u64::from(half(id, 0)), u64::from(half(id, n - 4)))
        } else {
            // 0 to 3 bytes: first, middle and last (0 when empty).
            let byte = |i: usize| u64::from(id.get(i).copied().unwrap_or(0));
            ((byte(0) << 16) | (byte(n / 2) << 8) | byte(n.wrapping_sub(1)), 0)
        };
        mix(a, b, seed)
    }

    /// Builds the index of `ids` (item index = position); the first duplicate id is an error.
    fn new(ids: &StringTable) -> Result<IdIndex> {
        let n = ids.len();
        if u32::try_from(n).map_or(true, |n| n == u32::MAX) {
            return Err(Error::section("items.ids", "more than 2^32 - 1 items"));
        }
        let size = n.saturating_mul(2).max(8).next_power_of_two();
        let mut index = IdIndex { slots: vec![(0, Self::EMPTY); size], shift: 64 - size.trailing_zeros() };
        for (i, id) in ids.iter().enumerate() {
            if index.get(ids, id).is_some() {
                return Err(Error::section("items.ids", format!("duplicate item id {}", crate::json::Quoted(id))));
            }
            let h = Self::hash(id.as_bytes());
            let mask = index.slots.len() - 1;
            let mut s = (h >> index.shift) as usize;
            while let Some(slot) = index.slots.get_mut(s) {
                if slot.1 == Self::EMPTY {
                    *slot = (h as u32, i as u32);
                    break;
                }
                s = (s + 1) & mask;
            }
        }
        Ok(index)
    }

    /// The item index of `id`.
    fn get(&self, ids: &StringTable, id: &str) -> Option<u32> {
        self.get_in(&ids.bytes, &ids.offsets, id)
    }

    /// The item indices of many ids (the tables' slices taken once). Not inlined into the rerank:
    /// on its own the loop keeps more of its invariants in registers.
    #[inline(never)]
    fn resolve<S: AsRef<str>>(&self, ids: &StringTable, candidates: &[S]) -> Vec<Option<u32>> {
        let (bytes, offsets): (&[u8], &[u32]) = (&ids.bytes, &ids.offsets);
        candidates.iter().map(|c| self.get_in(bytes, offsets, c.as_ref())).collect()
    }

    #[inline]
    fn get_in(&self, bytes: &[u8], offsets: &[u32], id: &str) -> Option<u32> {
        let id = id.as_bytes();
        let h = Self::hash(id);
        let mask = self.slots.len().checked_sub(1)?;
        let mut s = (h >> self.shift) as usize;
        loop {
            let &(tag, i) = self.slots.get(s)?;
            if i == Self::EMPTY {
                return None;
            }
            if tag == h as u32 {
                let (a, b) = (offsets.get(i as usize)?, offsets.get(i as usize + 1)?);
                if bytes.get(*a as usize..*b as usize).is_some_and(|b| same_bytes(b, id)) {
                    return Some(i);
                }
            }
            s = (s + 1) & mask;
        }
    }
}

/// The 8 bytes at `i` as a little-endian word (0 when out of range).
#[inline]
fn word(b: &[u8], i: usize) -> u64 {
    b.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()).map_or(0, u64::from_le_bytes)
}

/// The 4 bytes at `i` as a little-endian word (0 when out of range).
#[inline]
fn half(b: &[u8], i: usize) -> u32 {
    b.get(i..i + 4).and_then(|w| <[u8; 4]>::try_from(w).ok()).map_or(0, u32::from_le_bytes)
}

/// `a == b`, a word at a time (short ids: cheaper than a call to `memcmp`).
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    if n <= 16 {
        // First and last word (overlapping below 16 bytes).
        return word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8);
    }
    let mut i = 0;
    while i + 8 < n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

/// Data derived once from the model at load, so that reranks stay cheap.
#[derive(Debug, Clone, Default)]
pub(crate) struct Derived {
    /// L2 norm of each item embedding (empty without embeddings).
    pub(crate) embedding_norms: Vec<f32>,
    /// Prototype preferences transposed: row = item, columns = prototypes.
    pub(crate) prototypes_by_item: Option<Csr>,
    /// L2 norm of each prototype's preference row.
    pub(crate) prototype_norms: Vec<f32>,
    /// Popularity prior per item (see `scorers::popularity::prior`).
    pub(crate) popularity: Vec<f32>,
    /// Per-item attributes for the content scorer, one record per item.
    pub(crate) attrs: Vec<crate::scorers::ItemAttrs>,
}

impl Derived {
    fn new(model: &Model) -> Derived {
        let mut d = Derived {
            popularity: crate::scorers::popularity_prior(model),
            attrs: crate::scorers::ItemAttrs::of_items(&model.items),
            ..Derived::default()
        };
        if let Some(e) = &model.embeddings {
            let mut row = vec![0f32; e.dim];
            d.embedding_norms = (0..model.items.len())
                .map(|i| if e.row_into(i, &mut row) { row.iter().map(|x| x * x).sum::<f32>().sqrt() } else { 0.0 })
                .collect();
        }
        if let Some(p) = &model.prototypes {
            let n = model.items.len();
            let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
            d.prototype_norms = (0..p.prefs.rows())
                .map(|r| {
                    let (idx, w) = p.prefs.row(r);
                    for (&c, &x) in idx.iter().zip(w) {
                        if let Some(row) = rows.get_mut(c as usize) {
                            row.push((r as u32, x));
                        }
                    }
                    w.iter().map(|x| x * x).sum::<f32>().sqrt()
                })
                .collect();
            d.prototypes_by_item = Some(Csr::from_rows(&rows));
        }
        d
    }
}

impl Engine {
    /// Validates `model` (configs, sizes, indices) and builds the id index.
    pub fn new(model: Model) -> Result<Engine> {
        crate::bundle::validate(&model)?;
        Engine::from_validated(model)
    }

    /// Builds the id index and derived data of a model that [`crate::bundle::validate`] accepted
    /// (as [`crate::bundle::decode`] guarantees), without validating it a second time.
    fn from_validated(model: Model) -> Result<Engine> {
        let index = IdIndex::new(&model.items.ids)?;
        let derived = Derived::new(&model);
        Ok(Engine { model, index, derived })
    }

    /// Decodes and validates a bundle (see [`crate::bundle::decode`]).
    pub fn from_bundle(bytes: Vec<u8>) -> Result<Engine> {
        Engine::from_validated(crate::bundle::decode(bytes)?)
    }

    /// [`Engine::from_bundle`], also returning the bundle's [`crate::bundle::Summary`] (the container
    /// is parsed and the payload hashed once).
    pub fn from_bundle_with_summary(bytes: Vec<u8>) -> Result<(Engine, crate::bundle::Summary)> {
        let (model, summary) = crate::bundle::decode_with_summary(bytes)?;
        Ok((Engine::from_validated(model)?, summary))
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    pub(crate) fn derived(&self) -> &Derived {
        &self.derived
    }

    /// Similarity of two items in `[-1, 1]`: embedding cosine when the bundle has embeddings, otherwise
    /// the Jaccard overlap of their categories (0 when neither is available or an index is out of range).
    pub fn item_similarity(&self, a: u32, b: u32) -> f32 {
        if let Some(e) = &self.model.embeddings {
            let (na, nb) = (
                self.derived.embedding_norms.get(a as usize).copied().unwrap_or(0.0),
                self.derived.embedding_norms.get(b as usize).copied().unwrap_or(0.0),
            );
            if na > 0.0 && nb > 0.0 {
                let mut row = vec![0f32; e.dim];
                if e.row_into(a as usize, &mut row) {
                    return e.dot(b as usize, &row).map_or(0.0, |d| d / (na * nb));
                }
            }
            return 0.0;
        }
        let (ca, _) = self.model.items.categories.row(a as usize);
        let (cb, _) = self.model.items.categories.row(b as usize);
        let inter = ca.iter().filter(|c| cb.contains(c)).count();
        let union = ca.len() + cb.len() - inter;
        if union == 0 {
            0.0
        } else {
            inter as f32 / union as f32
        }
    }

    /// Number of items in the catalog.
    pub fn len(&self) -> usize {
        self.model.items.len()
    }

    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.model.items.is_empty()
    }

    /// Index of an item id.
    pub fn item_index(&self, id: &str) -> Option<u32> {
        self.index.get(&self.model.items.ids, id)
    }

    /// Id of an item index.
    pub fn item_id(&self, index: u32) -> Option<&str> {
        self.model.items.ids.get(index as usize)
    }

    /// Digests a history at time `now_ms` (events with unknown ids are ignored by the scorers but
    /// still count as seen for `exclude_seen`).
    pub fn profile(&self, history: &History, now_ms: f64) -> Profile {
        Profile { inner: crate::scorers::ProfileData::build(self, history, now_ms) }
    }

    /// Fills one column per signal for the candidates (by item index; `None` = unknown id).
    pub fn columns(
        &self,
        profile: &Profile,
        candidates: &[Option<u32>],
        server_scores: Option<&[f32]>,
    ) -> Result<Columns> {
        crate::scorers::fill_columns(self, &profile.inner, candidates, server_scores)
    }

    /// Reranks candidates given by id.
    pub fn rerank<S: AsRef<str>>(&self, profile: &Profile, candidates: &[S], options: &Options<'_>) -> Result<Ranking> {
        let idx = self.index.resolve(&self.model.items.ids, candidates);
        let pins = resolve_pins(&options.pins, |id| candidates.iter().position(|c| c.as_ref() == id));
        crate::scorers::rank(self, &profile.inner, &idx, options, &pins)
    }

    /// Reranks candidates given by item index (`None` for unknown ids).
    pub fn rerank_indices(
        &self,
        profile: &Profile,
        candidates: &[Option<u32>],
        options: &Options<'_>,
    ) -> Result<Ranking> {
        let pins = resolve_pins(&options.pins, |id| {
            let i = self.item_index(id)?;
            candidates.iter().position(|c| *c == Some(i))
        });
        crate::scorers::rank(self, &profile.inner, candidates, options, &pins)
    }

    /// Recommends `n` items from the whole catalog: every item is a candidate, ranked by the same
    /// pipeline (set `exclude_seen` in `options` to leave out what the shopper already interacted with).
    /// With an empty history the personal signals are missing and the order comes from popularity
    /// (use `diversity` for a varied cold-start shelf).
    pub fn recommend(&self, profile: &Profile, n: usize, options: &Options<'_>) -> Result<Ranking> {
        if options.server_scores.is_some() {
            return Err(Error::invalid("server_scores", "recommend ranks the whole catalog; pass no server scores"));
        }
        let all: Vec<Option<u32>> = (0..self.len() as u32).map(Some).collect();
        let mut o = options.clone();
        o.k = Some(n);
        self.rerank_indices(profile, &all, &o)
    }

    /// The `n` items most similar to `id` (item-item neighbours, then embedding cosine), best first.
    pub fn similar(&self, id: &str, n: usize) -> Result<Vec<(u32, f32)>> {
        let i = self.item_index(id).ok_or_else(|| Error::UnknownItem { id: id.to_string() })?;
        Ok(crate::scorers::similar(self, i, n))
    }
}

/// Resolves `(id, slot)` pins to `(candidate position, slot)`; ids not among the candidates are ignored.
fn resolve_pins(pins: &[(String, usize)], position_of: impl Fn(&str) -> Option<usize>) -> Vec<(usize, usize)> {
    pins.iter().filter_map(|(id, slot)| position_of(id).map(|p| (p, *slot))).collect()
}
