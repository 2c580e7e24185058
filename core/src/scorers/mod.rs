//! The scorers: one small module per signal behind the [`Scorer`] trait, dispatched through the closed
//! enum [`AnyScorer`]. Each fills a caller-owned column of `Option<f32>`, one entry per candidate:
//! `None` means the scorer has nothing to say about that candidate (unknown id, cold start, signal not
//! in the bundle), never a silent 0.0.

mod content;
mod embedding;
mod itemcf;
mod neural;
mod popularity;
mod seq;
mod server;
mod usercf;

pub use content::Content;
pub use embedding::Embedding;
pub use itemcf::ItemCf;
pub use neural::Neural;
pub use popularity::PopularityPrior;
pub use seq::Sequential;
pub use server::ServerScore;
pub use usercf::UserCf;

pub(crate) use content::ItemAttrs;
pub(crate) use popularity::prior as popularity_prior;

use std::borrow::Cow;

use crate::config::FusionConfig;
use crate::engine::{Engine, Options, Ranked, Ranking, StockRule};
use crate::error::{Error, Result};
use crate::history::History;
use crate::signal::{Columns, Signal};

/// Everything a scorer may read for one request.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The engine (model and derived data).
    pub engine: &'a Engine,
    /// The digested history.
    pub profile: &'a ProfileData,
    /// The server's scores, one per candidate, when the page passed them.
    pub server_scores: Option<&'a [f32]>,
}

/// A scorer: fills `out[i]` for candidate `candidates[i]` (`None` = unknown id).
pub trait Scorer {
    /// The column this scorer fills.
    fn signal(&self) -> Signal;
    /// Fills `out` (same length as `candidates`; every entry starts as `None`).
    fn score(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [Option<f32>]);

    /// The same column "dense", as the rerank pipeline consumes it: `out[i]` is the value of
    /// [`Scorer::score`] when it is `Some` and finite, NaN otherwise (missing). `out` has the length
    /// of `candidates`; every entry must be written. The default goes through [`Scorer::score`]; the
    /// built-in scorers fill the dense column directly (and derive `score` from it).
    fn score_dense(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [f32]) {
        let mut col = vec![None; candidates.len()];
        self.score(ctx, candidates, &mut col);
        for (o, v) in out.iter_mut().zip(col.iter().copied().chain(std::iter::repeat(None))) {
            *o = crate::fusion::value_or_nan(v);
        }
    }
}

/// [`Scorer::score`] from [`Scorer::score_dense`] (NaN = missing), for the built-in scorers.
pub(crate) fn score_via_dense(
    scorer: &impl Scorer,
    ctx: &Context<'_>,
    candidates: &[Option<u32>],
    out: &mut [Option<f32>],
) {
    let mut dense = vec![f32::NAN; candidates.len()];
    scorer.score_dense(ctx, candidates, &mut dense);
    for (o, x) in out.iter_mut().zip(dense) {
        *o = x.is_finite().then_some(x);
    }
}

/// The closed set of scorers, one per [`Signal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnyScorer {
    /// Item-based CF.
    ItemCf(ItemCf),
    /// Sequential transitions.
    Seq(Sequential),
    /// User-based CF through prototypes.
    UserCf(UserCf),
    /// Embedding similarity.
    Embedding(Embedding),
    /// Content/attribute affinity.
    Content(Content),
    /// Popularity and trend.
    Popularity(PopularityPrior),
    /// The server's score.
    Server(ServerScore),
    /// The deep sequential model.
    Neural(Neural),
}

impl AnyScorer {
    /// Every scorer, in [`Signal::ALL`] order.
    pub const ALL: [AnyScorer; Signal::COUNT] = [
        AnyScorer::ItemCf(ItemCf),
        AnyScorer::Seq(Sequential),
        AnyScorer::UserCf(UserCf),
        AnyScorer::Embedding(Embedding),
        AnyScorer::Content(Content),
        AnyScorer::Popularity(PopularityPrior),
        AnyScorer::Server(ServerScore),
        AnyScorer::Neural(Neural),
    ];

    /// The scorer of a signal.
    pub fn of(signal: Signal) -> AnyScorer {
        AnyScorer::ALL[signal.index()]
    }

    /// Whether this scorer certainly has nothing to say about any candidate of the request (its
    /// signal is not in the bundle, the history gave it nothing, no server scores were passed), so
    /// that the pipeline can skip the column. `false` does not promise a present value.
    pub(crate) fn absent(&self, ctx: &Context<'_>) -> bool {
        let (m, p) = (ctx.engine.model(), ctx.profile);
        match self {
            AnyScorer::ItemCf(_) => p.itemcf.is_none(),
            AnyScorer::Seq(_) => p.seq.is_none(),
            AnyScorer::UserCf(_) => p.usercf.is_none(),
            AnyScorer::Embedding(_) => m.embeddings.is_none() || p.user_vector.is_none(),
            AnyScorer::Content(_) => p.content.is_none(),
            AnyScorer::Popularity(_) => false,
            AnyScorer::Server(_) => ctx.server_scores.is_none(),
            AnyScorer::Neural(_) => m.neural.is_none() || p.neural.is_none(),
        }
    }
}

impl Scorer for AnyScorer {
    fn signal(&self) -> Signal {
        match self {
            AnyScorer::ItemCf(s) => s.signal(),
            AnyScorer::Seq(s) => s.signal(),
            AnyScorer::UserCf(s) => s.signal(),
            AnyScorer::Embedding(s) => s.signal(),
            AnyScorer::Content(s) => s.signal(),
            AnyScorer::Popularity(s) => s.signal(),
            AnyScorer::Server(s) => s.signal(),
            AnyScorer::Neural(s) => s.signal(),
        }
    }

    fn score(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [Option<f32>]) {
        match self {
            AnyScorer::ItemCf(s) => s.score(ctx, candidates, out),
            AnyScorer::Seq(s) => s.score(ctx, candidates, out),
            AnyScorer::UserCf(s) => s.score(ctx, candidates, out),
            AnyScorer::Embedding(s) => s.score(ctx, candidates, out),
            AnyScorer::Content(s) => s.score(ctx, candidates, out),
            AnyScorer::Popularity(s) => s.score(ctx, candidates, out),
            AnyScorer::Server(s) => s.score(ctx, candidates, out),
            AnyScorer::Neural(s) => s.score(ctx, candidates, out),
        }
    }

    fn score_dense(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [f32]) {
        match self {
            AnyScorer::ItemCf(s) => s.score_dense(ctx, candidates, out),
            AnyScorer::Seq(s) => s.score_dense(ctx, candidates, out),
            AnyScorer::UserCf(s) => s.score_dense(ctx, candidates, out),
            AnyScorer::Embedding(s) => s.score_dense(ctx, candidates, out),
            AnyScorer::Content(s) => s.score_dense(ctx, candidates, out),
            AnyScorer::Popularity(s) => s.score_dense(ctx, candidates, out),
            AnyScorer::Server(s) => s.score_dense(ctx, candidates, out),
            AnyScorer::Neural(s) => s.score_dense(ctx, candidates, out),
        }
    }
}

/// A sparse accumulator over item indices: dense values plus the list of touched indices, so that
/// building and reading are O(touched) after one O(items) allocation.
#[derive(Debug, Clone, Default)]
pub struct Accumulator {
    values: Vec<f32>,
    touched: Vec<u32>,
    /// Whether some value is not finite (a sum that overflowed, a NaN weight): only then do the
    /// readers have to test each value they copy.
    nonfinite: bool,
}

impl Accumulator {
    fn new(items: usize) -> Self {
        Accumulator { values: vec![0.0; items], touched: Vec::new(), nonfinite: false }
    }

    fn add(&mut self, i: u32, x: f32) {
        if let Some(v) = self.values.get_mut(i as usize) {
            if *v == 0.0 && x != 0.0 {
                self.touched.push(i);
            }
            *v += x;
            self.nonfinite |= !v.is_finite();
        }
    }

    /// Whether every value is finite. A sum that stopped being finite stays flagged, rightly:
    /// adding anything to ±∞ or NaN never gives a finite value again.
    pub(crate) fn all_finite(&self) -> bool {
        !self.nonfinite
    }

    /// The accumulated value at item `i` (0 when untouched or out of range).
    pub fn get(&self, i: u32) -> f32 {
        self.values.get(i as usize).copied().unwrap_or(0.0)
    }

    /// Every item's accumulated value (index = item), as a slice: what the hot loops take once,
    /// since through the `Vec` its pointer and length would be reloaded for every candidate (the
    /// compiler cannot tell that writing the output column leaves them unchanged).
    pub(crate) fn values(&self) -> &[f32] {
        &self.values
    }

    /// Whether nothing was accumulated.
    pub fn is_empty(&self) -> bool {
        self.touched.is_empty()
    }
}

/// The digested history (see [`crate::Profile`]).
#[derive(Debug, Clone, Default)]
pub struct ProfileData {
    /// Known history items with their summed decayed, event-weighted weight, sorted by item index.
    pub weights: Vec<(u32, f32)>,
    /// Most recent distinct known items, newest first (at most `scoring.seq_recent`).
    pub recent: Vec<u32>,
    /// Every known item in the history, sorted (for `exclude_seen`).
    pub seen: Vec<u32>,
    /// Ids in the history that the bundle does not know (still count as seen).
    pub seen_unknown: Vec<String>,
    /// Item-CF sums over the history.
    pub itemcf: Option<Accumulator>,
    /// Transition sums over the recent sequence.
    pub seq: Option<Accumulator>,
    /// Prototype-preference sums over the nearest prototypes.
    pub usercf: Option<Accumulator>,
    /// Unit-length user vector in embedding space.
    pub user_vector: Option<Vec<f32>>,
    /// For int8 embeddings: `user_vector` quantised to i16 with its scale (see
    /// [`crate::model::quantize_i16`]), computed once per profile rather than once per rerank.
    pub user_vector_i16: Option<(Vec<i16>, f32)>,
    /// Category affinity (index = category, sums to 1), brand affinity, median price of the history.
    pub content: Option<content::ContentProfile>,
    /// The deep model's user vector over the most recent history items.
    pub neural: Option<Vec<f32>>,
}

impl ProfileData {
    /// Digests `history` at `now_ms` against the engine's model.
    pub fn build(engine: &Engine, history: &History, now_ms: f64) -> ProfileData {
        let model = engine.model();
        let cfg = &model.scoring;
        let mut events: Vec<(u32, f32)> = Vec::new();
        let mut seen_unknown: Vec<String> = Vec::new();
        let mut recent: Vec<u32> = Vec::new();
        for e in history.events().rev() {
            match engine.item_index(&e.item) {
                Some(i) => {
                    let w = cfg.event_weights[e.kind.index()] * e.decay(now_ms, cfg.half_life_days);
                    events.push((i, w));
                    if recent.len() < cfg.seq_recent && !recent.contains(&i) {
                        recent.push(i);
                    }
                }
                None => {
                    if !seen_unknown.contains(&e.item) {
                        seen_unknown.push(e.item.clone());
                    }
                }
            }
        }
        // Per item, the sum of its events' weights, newest first (the stable sort keeps that order).
        crate::sort::sort_by_key(&mut events, |&(i, _)| i);
        let mut weights: Vec<(u32, f32)> = Vec::new();
        for (i, w) in events {
            if weights.last().map(|&(j, _)| j) != Some(i) {
                weights.push((i, 0.0));
            }
            if let Some((_, s)) = weights.last_mut() {
                *s += w;
            }
        }
        weights.retain(|&(_, w)| w.is_finite());
        let seen: Vec<u32> = weights.iter().map(|&(i, _)| i).collect();
        let mut p = ProfileData { weights, recent, seen, seen_unknown, ..ProfileData::default() };
        if !p.weights.is_empty() {
            p.itemcf = itemcf::accumulate(engine, &p);
            p.seq = seq::accumulate(engine, &p);
            p.usercf = usercf::accumulate(engine, &p);
            p.user_vector = embedding::user_vector(engine, &p);
            p.user_vector_i16 = embedding::quantized(engine, p.user_vector.as_deref());
            p.content = content::profile(engine, &p);
            p.neural = neural::user_vector(engine, history);
        }
        p
    }

    /// Whether item `i` is in the history.
    pub fn has_seen(&self, i: u32) -> bool {
        self.seen.binary_search(&i).is_ok()
    }
}

/// Fills every column for the candidates.
pub(crate) fn fill_columns(
    engine: &Engine,
    profile: &ProfileData,
    candidates: &[Option<u32>],
    server_scores: Option<&[f32]>,
) -> Result<Columns> {
    let dense = fill_dense(engine, profile, candidates, server_scores, |_| true)?;
    let mut cols = Columns::new(candidates.len());
    for (signal, values) in dense {
        for (o, x) in cols.column_mut(signal).iter_mut().zip(values) {
            *o = (!x.is_nan()).then_some(x);
        }
    }
    Ok(cols)
}

/// The columns of the signals `wanted` selects, dense (NaN = missing, every other value finite), in
/// [`Signal::ALL`] order: what [`fill_columns`] fills, without the `Option` per value.
pub(crate) fn fill_dense(
    engine: &Engine,
    profile: &ProfileData,
    candidates: &[Option<u32>],
    server_scores: Option<&[f32]>,
    wanted: impl Fn(Signal) -> bool,
) -> Result<Vec<(Signal, Vec<f32>)>> {
    if let Some(s) = server_scores {
        if s.len() != candidates.len() {
            return Err(Error::invalid(
                "server_scores",
                format!("{} scores for {} candidates; pass one per candidate", s.len(), candidates.len()),
            ));
        }
    }
    let ctx = Context { engine, profile, server_scores };
    // Item-CF, sequential and user-CF columns are copies of accumulated values: when the three are
    // wanted and present, one pass fills them (what their `score_dense` would). Native builds only:
    // on wasm32 the module size matters more than the saved loop.
    const GATHERED: [Signal; 3] = [Signal::ItemCf, Signal::Seq, Signal::UserCf];
    let mut gathered = match (&profile.itemcf, &profile.seq, &profile.usercf) {
        (Some(a), Some(b), Some(c)) if !cfg!(target_arch = "wasm32") && GATHERED.into_iter().all(&wanted) => {
            Some(itemcf::fill_three([a, b, c], candidates))
        }
        _ => None,
    };
    let mut out = Vec::with_capacity(Signal::COUNT);
    for scorer in AnyScorer::ALL {
        if !wanted(scorer.signal()) {
            continue;
        }
        let k = GATHERED.iter().position(|&s| s == scorer.signal());
        if let Some(col) = gathered.as_mut().zip(k).and_then(|(g, k)| g.get_mut(k)) {
            out.push((scorer.signal(), std::mem::take(col)));
            continue;
        }
        // A column the request certainly has nothing in is left empty (no allocation, no scoring;
        // fusion treats an empty column as absent for every candidate).
        if scorer.absent(&ctx) {
            out.push((scorer.signal(), Vec::new()));
            continue;
        }
        let mut values = vec![f32::NAN; candidates.len()];
        scorer.score_dense(&ctx, candidates, &mut values);
        // Every built-in `score_dense` writes NaN instead of a non-finite score (the default one
        // through `value_or_nan`, `itemcf::fill_from` for the accumulators, the others explicitly).
        debug_assert!(values.iter().all(|v| v.is_finite() || v.is_nan()));
        out.push((scorer.signal(), values));
    }
    Ok(out)
}

/// The fusion configuration of a request: the bundle's (validated at load, borrowed), or a copy with
/// the request's overrides, validated.
pub(crate) fn effective_fusion<'e>(engine: &'e Engine, options: &Options<'_>) -> Result<Cow<'e, FusionConfig>> {
    if options.method.is_none() && options.normalization.is_none() && options.weights.is_none() {
        return Ok(Cow::Borrowed(&engine.model().fusion));
    }
    let mut cfg = engine.model().fusion.clone();
    if let Some(m) = options.method {
        cfg.method = m;
    }
    if let Some(n) = options.normalization {
        cfg.normalization = n;
    }
    if let Some(w) = &options.weights {
        cfg.weights = w.clone();
    }
    cfg.validate()?;
    Ok(Cow::Owned(cfg))
}

/// The whole rerank pipeline after the profile: columns, fusion, rules, order. `pins` are
/// `(candidate position, slot)`, already resolved from `options.pins` by the caller.
pub(crate) fn rank(
    engine: &Engine,
    profile: &ProfileData,
    candidates: &[Option<u32>],
    options: &Options<'_>,
    pins: &[(usize, usize)],
) -> Result<Ranking> {
    let cfg = effective_fusion(engine, options)?;
    if let Some(l) = options.diversity {
        if !(l.is_finite() && (0.0..=1.0).contains(&l)) {
            return Err(Error::invalid(
                "diversity",
                format!("lambda must be in [0, 1], got {}", crate::json::Num::from(l)),
            ));
        }
    }
    // Only the columns that take part (weight > 0) are scored.
    let cols =
        fill_dense(engine, profile, candidates, options.server_scores, |s| crate::fusion::is_active(cfg.weight(s)))?;
    let fused = crate::fusion::fuse_dense(&cfg, cols, candidates.len(), options.explain);
    let items = &engine.model().items;

    // Tiers: 0 normal, 1 demoted (out of stock), 2 unknown id, REMOVED for filtered / excluded.
    const REMOVED: u8 = u8::MAX;
    let mut ranking = Ranking::default();
    let mut tiers = vec![0u8; candidates.len()];
    if !options.exclude_seen && options.stock == StockRule::Ignore {
        // No rule reads the items: only unknown ids change the tier. A plain pass (which
        // vectorises), and their positions only when there are any.
        for (c, tier) in candidates.iter().zip(tiers.iter_mut()) {
            *tier = if c.is_none() { 2 } else { 0 };
        }
        if tiers.contains(&2) {
            ranking.unknown = tiers.iter().enumerate().filter(|&(_, &t)| t == 2).map(|(pos, _)| pos).collect();
        }
    } else {
        for (pos, (c, tier)) in candidates.iter().zip(tiers.iter_mut()).enumerate() {
            match c {
                None => {
                    ranking.unknown.push(pos);
                    *tier = 2;
                }
                Some(i) => {
                    if options.exclude_seen && profile.has_seen(*i) {
                        ranking.excluded_seen.push(pos);
                        *tier = REMOVED;
                    } else if options.stock != StockRule::Ignore && !items.in_stock(*i as usize) {
                        // The stock flag is read only when a stock rule applies (Demote or Filter).
                        if options.stock == StockRule::Demote {
                            *tier = 1;
                        } else {
                            ranking.filtered.push(pos);
                            *tier = REMOVED;
                        }
                    }
                }
            }
        }
    }
    let removed = ranking.filtered.len() + ranking.excluded_seen.len();
    let kept = candidates.len() - removed;
    let k = options.k.unwrap_or(kept).min(kept);
    // MMR needs a pool larger than k to choose from.
    let pool_size = match options.diversity {
        Some(l) if l < 1.0 => k.saturating_mul(3).max(k + 50).min(kept),
        _ => k,
    };
    let mut order = crate::rules::top_k(&fused.scores, &tiers, pool_size, REMOVED);
    if let Some(lambda) = options.diversity {
        order = diversify(engine, candidates, &fused.scores, &order, lambda, k);
    }
    order.truncate(k);

    // Pins: only candidates that are present and not removed.
    let pins: Vec<(usize, usize)> =
        pins.iter().copied().filter(|&(pos, _)| tiers.get(pos).is_some_and(|&t| t != REMOVED)).collect();
    let pinned = crate::rules::apply_pins(&mut order, &pins);
    order.truncate(k);

    ranking.items = order
        .iter()
        .enumerate()
        .map(|(slot, &pos)| Ranked {
            position: pos,
            item: candidates.get(pos).copied().flatten(),
            score: fused.scores.get(pos).copied().flatten(),
            contributions: fused.contributions.as_ref().and_then(|c| c.get(pos).copied()),
            pinned: pinned.get(slot).copied().unwrap_or(false),
        })
        .collect();
    Ok(ranking)
}

fn diversify(
    engine: &Engine,
    candidates: &[Option<u32>],
    scores: &[Option<f32>],
    pool: &[usize],
    lambda: f32,
    k: usize,
) -> Vec<usize> {
    // Relevance min-max scaled over the pool (missing scores count as the pool minimum).
    let vals: Vec<f32> = pool.iter().filter_map(|&p| scores.get(p).copied().flatten()).collect();
    let lo = vals.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = vals.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let mut relevance = vec![0f32; candidates.len()];
    for &p in pool {
        let s = scores.get(p).copied().flatten().unwrap_or(lo);
        if let Some(r) = relevance.get_mut(p) {
            *r = if lo.is_finite() { (s - lo) / span } else { 0.0 };
        }
    }
    let sim = |a: usize, b: usize| -> f32 {
        match (candidates.get(a).copied().flatten(), candidates.get(b).copied().flatten()) {
            (Some(x), Some(y)) => engine.item_similarity(x, y),
            _ => 0.0,
        }
    };
    crate::rules::mmr(pool, &relevance, &sim, lambda, k)
}

/// The `n` items most similar to item `i`: its item-CF neighbours by weight, then (to fill up) the
/// nearest items by embedding cosine, then its transitions.
pub(crate) fn similar(engine: &Engine, i: u32, n: usize) -> Vec<(u32, f32)> {
    let model = engine.model();
    let mut out: Vec<(u32, f32)> = Vec::new();
    let push_row = |out: &mut Vec<(u32, f32)>, idx: &[u32], w: &[f32]| {
        let mut row: Vec<(u32, f32)> = idx.iter().copied().zip(w.iter().copied()).collect();
        crate::sort::sort_by(&mut row, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (j, s) in row {
            if out.len() >= n {
                break;
            }
            if j != i && !out.iter().any(|&(o, _)| o == j) {
                out.push((j, s));
            }
        }
    };
    if let Some(cf) = &model.item_cf {
        let (idx, w) = cf.row(i as usize);
        push_row(&mut out, idx, w);
    }
    if out.len() < n && model.embeddings.is_some() {
        let mut row: Vec<(u32, f32)> =
            (0..engine.len() as u32).filter(|&j| j != i).map(|j| (j, engine.item_similarity(i, j))).collect();
        // Enough to fill `n` even if every already-chosen item comes back.
        let take = (n + out.len()).min(row.len());
        // Total order (the item index breaks ties).
        crate::sort::smallest_k_by(&mut row, take, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let (idx, w): (Vec<u32>, Vec<f32>) = row.into_iter().unzip();
        push_row(&mut out, &idx, &w);
    }
    if out.len() < n {
        if let Some(t) = &model.transitions {
            let (idx, w) = t.row(i as usize);
            push_row(&mut out, idx, w);
        }
    }
    out
}
