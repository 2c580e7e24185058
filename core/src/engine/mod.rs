//! The [`Engine`]: a validated model plus the rerank pipeline.
//!
//! candidate ids -> item indices ([`index`]) -> each scorer kernel fills its column -> normalisation
//! per column -> fusion -> business rules -> deterministic order (ties by input position, unknown ids
//! last) ([`pipeline`]).

mod index;
mod pipeline;

use index::IdIndex;

use crate::config::{Method, Normalization};
use crate::error::{Error, Result};
use crate::history::History;
use crate::model::Model;
use crate::profile::Profile;
use crate::scorers::Derived;
use crate::signal::{Columns, PerSignal, Signal};

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

/// Candidates resolved once to item indices by [`Engine::candidate_set`], to be reranked many times with
/// [`Engine::rerank_set`] (a shelf reranked after every click pays for the id lookups once). The result
/// of `rerank_set` is the result of [`Engine::rerank`] on the same ids. A set belongs to the engine that
/// resolved it: indices mean nothing to another model (the wasm facade re-resolves a set used with a
/// different bundle).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CandidateSet {
    /// Item index per input position (`None` for an id the bundle does not know).
    items: Vec<Option<u32>>,
    /// The unknown ids with their positions (pins may name them).
    unknown: Vec<(usize, String)>,
}

impl CandidateSet {
    /// The item index per input position (`None` for an unknown id).
    pub fn items(&self) -> &[Option<u32>] {
        &self.items
    }

    /// Number of candidates.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no candidates.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A validated model ready to rerank.
#[derive(Debug, Clone)]
pub struct Engine {
    model: Model,
    index: IdIndex,
    derived: Derived,
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
        Profile::build(&self.model, &self.derived, |id| self.item_index(id), history, now_ms)
    }

    /// Fills one column per signal for the candidates (by item index; `None` = unknown id).
    pub fn columns(
        &self,
        profile: &Profile,
        candidates: &[Option<u32>],
        server_scores: Option<&[f32]>,
    ) -> Result<Columns> {
        pipeline::fill_columns(self, profile, candidates, server_scores)
    }

    /// Fills `out` with one signal's column for the candidates, as that scorer alone fills it (dense:
    /// NaN where it has nothing to say; every other value finite). `out` and `candidates` have the same
    /// length; server scores beyond `candidates` are ignored, candidates beyond them get NaN. What the
    /// pipeline fuses is the same column ([`Engine::columns`] holds them all).
    ///
    /// ```
    /// use recofuse_core::{Engine, History, Signal};
    /// let engine = Engine::new(recofuse_testkit::catalog(50, 1)).unwrap();
    /// let profile = engine.profile(&History::new(10), 0.0);
    /// let mut out = [0.0; 2];
    /// engine.score_column(&profile, Signal::Popularity, &[Some(3), None], None, &mut out);
    /// assert!(out[0].is_finite() && out[1].is_nan());
    /// ```
    pub fn score_column(
        &self,
        profile: &Profile,
        signal: Signal,
        candidates: &[Option<u32>],
        server_scores: Option<&[f32]>,
        out: &mut [f32],
    ) {
        pipeline::fill_column(self, profile, signal, candidates, server_scores, out);
    }

    /// Reranks candidates given by id.
    pub fn rerank<S: AsRef<str>>(&self, profile: &Profile, candidates: &[S], options: &Options<'_>) -> Result<Ranking> {
        let idx = self.index.resolve(&self.model.items.ids, candidates);
        let pins = resolve_pins(&options.pins, |id| candidates.iter().position(|c| c.as_ref() == id));
        pipeline::rank(self, profile, &idx, options, &pins)
    }

    /// Resolves candidate ids once (see [`CandidateSet`]).
    ///
    /// ```
    /// use recofuse_core::{Engine, History, Options};
    /// let engine = Engine::new(recofuse_testkit::catalog(50, 1)).unwrap();
    /// let profile = engine.profile(&History::new(10), 0.0);
    /// let ids = ["item-3", "nope", "item-7"];
    /// let set = engine.candidate_set(&ids);
    /// assert_eq!(set.items()[1], None);
    /// let opts = Options::default();
    /// assert_eq!(engine.rerank_set(&profile, &set, &opts), engine.rerank(&profile, &ids, &opts));
    /// ```
    pub fn candidate_set<S: AsRef<str>>(&self, ids: &[S]) -> CandidateSet {
        let items = self.index.resolve(&self.model.items.ids, ids);
        let unknown = items
            .iter()
            .zip(ids)
            .enumerate()
            .filter(|(_, (i, _))| i.is_none())
            .map(|(p, (_, id))| (p, id.as_ref().to_string()))
            .collect();
        CandidateSet { items, unknown }
    }

    /// Reranks a [`CandidateSet`] resolved by this engine: the same result as [`Engine::rerank`] on its
    /// ids, without looking them up again.
    pub fn rerank_set(&self, profile: &Profile, set: &CandidateSet, options: &Options<'_>) -> Result<Ranking> {
        // An id names one item, so the first candidate with its index is the first with that id.
        let pins = resolve_pins(&options.pins, |id| match self.item_index(id) {
            Some(i) => set.items.iter().position(|c| *c == Some(i)),
            None => set.unknown.iter().find(|(_, u)| u == id).map(|(p, _)| *p),
        });
        pipeline::rank(self, profile, &set.items, options, &pins)
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
        pipeline::rank(self, profile, candidates, options, &pins)
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
        Ok(pipeline::similar(self, i, n))
    }
}

/// Resolves `(id, slot)` pins to `(candidate position, slot)`; ids not among the candidates are ignored.
fn resolve_pins(pins: &[(String, usize)], position_of: impl Fn(&str) -> Option<usize>) -> Vec<(usize, usize)> {
    pins.iter().filter_map(|(id, slot)| position_of(id).map(|p| (p, *slot))).collect()
}
