//! The rerank pipeline after the id lookup: each scorer kernel fills its column, fusion, business
//! rules, order; and the "similar items" list.

use std::borrow::Cow;

use super::{Engine, Options, Ranked, Ranking, StockRule};
use crate::config::FusionConfig;
use crate::error::{Error, Result};
use crate::profile::Profile;
use crate::scorers;
use crate::signal::{Columns, Signal};

/// Whether `signal`'s scorer certainly has nothing to say about any candidate of the request (its
/// section is not in the bundle, the history gave it nothing, no server scores were passed), so that
/// the pipeline can skip the column. `false` does not promise a present value.
fn absent(engine: &Engine, profile: &Profile, signal: Signal, server_scores: Option<&[f32]>) -> bool {
    let m = engine.model();
    match signal {
        Signal::ItemCf => profile.itemcf.is_none(),
        Signal::Seq => profile.seq.is_none(),
        Signal::UserCf => profile.usercf.is_none(),
        Signal::Embedding => m.embeddings.is_none() || profile.user_vector.is_none(),
        Signal::Content => profile.content.is_none(),
        Signal::Popularity => false,
        Signal::Server => server_scores.is_none(),
        Signal::Neural => m.neural.is_none() || profile.neural.is_none(),
    }
}

/// Fills `out` (one value per candidate, NaN = missing) with `signal`'s column: the scorer kernel of
/// the signal on the engine's model parts and the profile.
pub(super) fn fill_column(
    engine: &Engine,
    profile: &Profile,
    signal: Signal,
    candidates: &[Option<u32>],
    server_scores: Option<&[f32]>,
    out: &mut [f32],
) {
    let (m, d) = (engine.model(), engine.derived());
    match signal {
        Signal::ItemCf => scorers::accumulated_column(profile.itemcf.as_ref(), candidates, out),
        Signal::Seq => scorers::accumulated_column(profile.seq.as_ref(), candidates, out),
        Signal::UserCf => scorers::accumulated_column(profile.usercf.as_ref(), candidates, out),
        Signal::Embedding => match (&m.embeddings, &profile.user_vector) {
            (Some(e), Some(u)) => {
                let q = profile.user_vector_i16.as_ref().map(|(q, s)| (&q[..], *s));
                scorers::embedding_column(e, &d.embedding_norms, u, q, candidates, out);
            }
            _ => out.fill(f32::NAN),
        },
        Signal::Content => match &profile.content {
            Some(cp) => scorers::content_column(&m.items, &d.attrs, &m.scoring, cp, candidates, out),
            None => out.fill(f32::NAN),
        },
        Signal::Popularity => scorers::popularity_column(&d.popularity, candidates, out),
        Signal::Server => scorers::server_column(server_scores.unwrap_or(&[]), out),
        Signal::Neural => match (&m.neural, &profile.neural) {
            (Some(nm), Some(u)) => scorers::neural_column(nm, u, candidates, out),
            _ => out.fill(f32::NAN),
        },
    }
}

/// Fills every column for the candidates.
pub(super) fn fill_columns(
    engine: &Engine,
    profile: &Profile,
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
fn fill_dense(
    engine: &Engine,
    profile: &Profile,
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
    // Item-CF, sequential and user-CF columns are copies of accumulated values: when the three are
    // wanted and present, one pass fills them (what `accumulated_column` would). Native builds only:
    // on wasm32 the module size matters more than the saved loop.
    const GATHERED: [Signal; 3] = [Signal::ItemCf, Signal::Seq, Signal::UserCf];
    let mut gathered = match (&profile.itemcf, &profile.seq, &profile.usercf) {
        (Some(a), Some(b), Some(c)) if !cfg!(target_arch = "wasm32") && GATHERED.into_iter().all(&wanted) => {
            Some(scorers::accumulated_columns3([a, b, c], candidates))
        }
        _ => None,
    };
    let mut out = Vec::with_capacity(Signal::COUNT);
    for signal in Signal::ALL {
        if !wanted(signal) {
            continue;
        }
        let k = GATHERED.iter().position(|&s| s == signal);
        if let Some(col) = gathered.as_mut().zip(k).and_then(|(g, k)| g.get_mut(k)) {
            out.push((signal, std::mem::take(col)));
            continue;
        }
        // A column the request certainly has nothing in is left empty (no allocation, no scoring;
        // fusion treats an empty column as absent for every candidate).
        if absent(engine, profile, signal, server_scores) {
            out.push((signal, Vec::new()));
            continue;
        }
        let mut values = vec![f32::NAN; candidates.len()];
        fill_column(engine, profile, signal, candidates, server_scores, &mut values);
        // Every kernel writes NaN instead of a non-finite score.
        debug_assert!(values.iter().all(|v| v.is_finite() || v.is_nan()));
        out.push((signal, values));
    }
    Ok(out)
}

/// The fusion configuration of a request: the bundle's (validated at load, borrowed), or a copy with
/// the request's overrides, validated.
fn effective_fusion<'e>(engine: &'e Engine, options: &Options<'_>) -> Result<Cow<'e, FusionConfig>> {
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
pub(super) fn rank(
    engine: &Engine,
    profile: &Profile,
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
    let fallback = unscored_fallback(engine, &fused.scores, candidates, options.server_scores);
    let mut order = if fallback.is_empty() {
        crate::rules::top_k(&fused.scores, &tiers, pool_size, REMOVED)
    } else {
        let (scores, tiers) = crate::rules::with_fallback(&fused.scores, &fallback, &tiers, REMOVED);
        crate::rules::top_k(&scores, &tiers, pool_size, REMOVED)
    };
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

/// The order of the candidates no signal scored (a shopper without history, a weight-0 signal): the
/// store's scores when the page passed them, popularity otherwise (issue 17: never the arbitrary input
/// order). Empty, at no cost, when every candidate has a fused score.
fn unscored_fallback(
    engine: &Engine,
    scores: &[Option<f32>],
    candidates: &[Option<u32>],
    server_scores: Option<&[f32]>,
) -> Vec<f32> {
    if scores.iter().all(Option::is_some) {
        return Vec::new();
    }
    let mut out = vec![f32::NAN; candidates.len()];
    match server_scores {
        Some(s) => scorers::server_column(s, &mut out),
        None => scorers::popularity_column(&engine.derived().popularity, candidates, &mut out),
    }
    out
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
pub(super) fn similar(engine: &Engine, i: u32, n: usize) -> Vec<(u32, f32)> {
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
