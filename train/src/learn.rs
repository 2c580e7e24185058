//! Fusion learned, not guessed: k-fold cross-validation over validation users chooses the
//! normalisation and the weights of the weighted average; the other methods get their weights tuned on
//! the same users; the stacking meta-model (logistic regression over normalised columns plus presence
//! flags) is trained on out-of-fold data.
//!
//! To keep this fast, each user's engine columns are reduced to a *pool*: the union of the top
//! candidates of every column plus the target, with the normalised values (statistics over the whole
//! column, as the engine computes them) and the ordinal ranks over the whole column. Fused scores are
//! then computed on the pool by core's fusion methods (`recofuse_core::fusion`), with the engine's
//! arithmetic (the figures in the report are computed by the engine itself on the test targets).

use rayon::prelude::*;
use recofuse_core::config::Stacking;
use recofuse_core::fusion::{
    borda_term, comb_max, comb_mnz, comb_sum, normalize, ordinal_ranks, rrf_term, simple_mean, stacking, weighted_mean,
    FusionInput,
};
use recofuse_core::signal::Columns;
use recofuse_core::{FusionConfig, Method, Normalization, Signal};
use serde::Serialize;

/// Normalisations considered by cross-validation.
pub const NORMS: [Normalization; 4] =
    [Normalization::MinMax, Normalization::Max, Normalization::ZScore, Normalization::Sum];

const S: usize = Signal::COUNT;

/// One validation user reduced to a pool of candidates.
#[derive(Debug, Clone)]
pub struct PoolUser {
    /// Pool items (candidate positions = item indices), ascending.
    items: Vec<u32>,
    /// Position of the target in `items`, if the target is a candidate (not in the history).
    target: Option<usize>,
    /// Number of candidates (all items).
    n_cand: usize,
    /// `norm[k][s * P + j]`: normalised value of signal `s` (normalisation `NORMS[k]`) for pool item `j`.
    norm: Vec<Vec<Option<f32>>>,
    /// Ordinal rank over the whole column, per signal and pool item (`s * P + j`).
    ranks: Vec<Option<u32>>,
    /// Raw values (used by normalisation `None`-free paths and the presence flags).
    present: Vec<bool>,
    /// The user this pool belongs to: every pool of one user falls in the same cross-validation fold.
    group: usize,
}

impl PoolUser {
    /// Sets the user (fold group) of this pool; pools default to their position in the list.
    pub fn with_group(mut self, group: usize) -> Self {
        self.group = group;
        self
    }
}

/// Builds a pool from a user's columns: the union of the `per_column` best unseen candidates of each
/// signal, `random` random unseen candidates, and the target.
pub fn pool(cols: &Columns, seen: &[u32], target: u32, per_column: usize, random: usize) -> PoolUser {
    let n = cols.len();
    let mut items: Vec<u32> = Vec::new();
    for s in Signal::ALL {
        let c = cols.column(s);
        if !c.iter().any(Option::is_some) {
            continue;
        }
        items.extend(crate::metrics::top_k(c, per_column, seen).into_iter().map(|i| i as u32));
    }
    // Random unseen candidates as well: easy negatives for the stacking model, and a check that a
    // setting does not lift the long tail above the pool (which a pool of top items alone would hide).
    let mut rng = recofuse_testkit::SplitMix64::new(u64::from(target) ^ ((seen.len() as u64) << 32));
    for _ in 0..random.min(n) {
        let i = rng.below(n) as u32;
        if seen.binary_search(&i).is_err() {
            items.push(i);
        }
    }
    let target_ok = seen.binary_search(&target).is_err() && (target as usize) < n;
    if target_ok {
        items.push(target);
    }
    items.sort_unstable();
    items.dedup();
    let p = items.len();
    let target = if target_ok { items.binary_search(&target).ok() } else { None };
    let mut norm = vec![vec![None; S * p]; NORMS.len()];
    let mut ranks = vec![None; S * p];
    let mut present = vec![false; S * p];
    for s in Signal::ALL {
        let c = cols.column(s);
        if !c.iter().any(Option::is_some) {
            continue;
        }
        for (k, nk) in NORMS.iter().enumerate() {
            let v = normalize(*nk, c);
            for (j, &i) in items.iter().enumerate() {
                norm[k][s.index() * p + j] = v[i as usize];
            }
        }
        let r = ordinal_ranks(c);
        for (j, &i) in items.iter().enumerate() {
            ranks[s.index() * p + j] = r[i as usize];
            present[s.index() * p + j] = c[i as usize].is_some_and(f32::is_finite);
        }
    }
    PoolUser { items, target, n_cand: n, norm, ranks, present, group: usize::MAX }
}

/// A fusion setting evaluated on pools.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// Method.
    pub method: Method,
    /// Index into [`NORMS`].
    pub norm: usize,
    /// Weights per signal.
    pub weights: [f32; S],
    /// RRF k.
    pub rrf_k: f32,
    /// Stacking model.
    pub stacking: Stacking,
}

impl Setting {
    /// The core's configuration of this setting.
    pub fn config(&self) -> FusionConfig {
        FusionConfig {
            normalization: NORMS[self.norm],
            method: self.method,
            weights: self.weights.to_vec(),
            rrf_k: self.rrf_k,
            renormalize_missing: true,
            stacking: self.stacking.clone(),
        }
    }
}

/// Fused scores of a pool, by core's fusion methods: the pool's columns hold values normalised over
/// the whole column (and ranks over the whole column), so the methods take them as they are (the
/// rank-based ones as the terms [`rrf_term`] / [`borda_term`] of the whole-column ranks, summed as
/// `fuse` sums them). Every setting's weights are finite and >= 0 and `renormalize_missing` is on.
fn fused(u: &PoolUser, st: &Setting) -> Vec<Option<f32>> {
    let p = u.items.len();
    let vals = &u.norm[st.norm];
    match st.method {
        Method::Rrf | Method::Borda => {
            let terms: Vec<(Signal, Vec<Option<f32>>)> = Signal::ALL
                .into_iter()
                .filter(|s| {
                    let w = st.weights[s.index()];
                    w.is_finite() && w > 0.0
                })
                .map(|s| {
                    let w = st.weights[s.index()];
                    let ranks = u.ranks.get(s.index() * p..(s.index() + 1) * p).unwrap_or(&[]);
                    let term = |r: u32| match st.method {
                        Method::Rrf => rrf_term(w, st.rrf_k, r),
                        _ => borda_term(w, u.n_cand, r),
                    };
                    (s, ranks.iter().map(|r| r.map(term)).collect())
                })
                .collect();
            let inputs: Vec<FusionInput<'_>> =
                terms.iter().map(|(signal, values)| FusionInput { signal: *signal, weight: 1.0, values }).collect();
            comb_sum(&inputs, p, false).scores
        }
        method => {
            let inputs: Vec<FusionInput<'_>> = Signal::ALL
                .into_iter()
                .map(|s| FusionInput {
                    signal: s,
                    weight: st.weights[s.index()],
                    values: vals.get(s.index() * p..(s.index() + 1) * p).unwrap_or(&[]),
                })
                .collect();
            match method {
                Method::Simple => simple_mean(&inputs, p, true, false),
                Method::Weighted => weighted_mean(&inputs, p, true, false),
                Method::CombMnz => comb_mnz(&inputs, p, false),
                Method::CombMax => comb_max(&inputs, p, false),
                Method::Stacking => stacking(&inputs, p, &st.stacking, false),
                _ => comb_sum(&inputs, p, false),
            }
            .scores
        }
    }
}

/// NDCG@10 gain of one user under a setting (rank within the pool, ties by item index).
fn user_gain(u: &PoolUser, st: &Setting) -> f64 {
    let Some(t) = u.target else { return 0.0 };
    let f = fused(u, st);
    let tv = (f[t], u.items[t] as usize);
    let rank =
        f.iter().enumerate().filter(|&(j, v)| j != t && crate::metrics::before((*v, u.items[j] as usize), tv)).count();
    crate::metrics::gain(Some(rank))
}

/// Mean NDCG@10 over the users selected by `pick`.
fn mean_ndcg(users: &[PoolUser], idx: &[usize], st: &Setting) -> f64 {
    // Gains in parallel, summed in index order: the same bits with any number of threads.
    let gains: Vec<f64> = idx.par_iter().map(|&i| user_gain(&users[i], st)).collect();
    let s: f64 = gains.iter().sum();
    s / idx.len().max(1) as f64
}

/// Coordinate ascent over the weights (and RRF k) of a setting.
fn ascend_weights(
    users: &[PoolUser],
    idx: &[usize],
    start: &Setting,
    active: &[usize],
    rounds: usize,
) -> (Setting, f64) {
    let grid = [0.0f32, 0.1, 0.25, 0.5, 0.75, 1.0];
    let mut best = start.clone();
    let mut best_s = mean_ndcg(users, idx, &best);
    for _ in 0..rounds {
        let before = best_s;
        for &s in active {
            for &v in &grid {
                let mut c = best.clone();
                c.weights[s] = v;
                if c.weights.iter().all(|&w| w <= 0.0) {
                    continue;
                }
                let sc = mean_ndcg(users, idx, &c);
                if sc > best_s + 1e-9 {
                    best_s = sc;
                    best = c;
                }
            }
        }
        if best.method == Method::Rrf {
            for k in [5.0f32, 20.0, 60.0, 120.0] {
                let mut c = best.clone();
                c.rrf_k = k;
                let sc = mean_ndcg(users, idx, &c);
                if sc > best_s + 1e-9 {
                    best_s = sc;
                    best = c;
                }
            }
        }
        if best_s <= before + 1e-9 {
            break;
        }
    }
    (best, best_s)
}

/// One fold of the weighted-average cross-validation.
#[derive(Debug, Clone, Serialize)]
pub struct Fold {
    /// Weights chosen on the other folds, by signal name.
    pub weights: std::collections::BTreeMap<String, f32>,
    /// NDCG@10 on this fold's users.
    pub held_out_ndcg: f64,
}

/// Cross-validation result of one normalisation.
#[derive(Debug, Clone, Serialize)]
pub struct NormCv {
    /// Normalisation.
    pub normalization: String,
    /// Mean held-out NDCG@10.
    pub mean_ndcg: f64,
    /// Standard deviation of the held-out NDCG@10 across folds.
    pub std_ndcg: f64,
    /// Folds.
    pub folds: Vec<Fold>,
}

/// What fusion learning chose.
#[derive(Debug, Clone, Serialize)]
pub struct Learned {
    /// Per method: the chosen setting's config.
    #[serde(skip)]
    pub settings: Vec<Setting>,
    /// Per method name: validation NDCG@10 (out-of-fold for weighted and stacking, in-sample for the
    /// others; see docs/quality.md for why the default is not chosen on out-of-fold scores of all).
    pub valid_ndcg: std::collections::BTreeMap<String, f64>,
    /// The chosen normalisation.
    pub normalization: String,
    /// Weighted-average CV per normalisation.
    pub cv: Vec<NormCv>,
    /// Mean and standard deviation of each weight across the folds of the chosen normalisation.
    pub weight_mean_std: std::collections::BTreeMap<String, (f32, f32)>,
    /// The method with the best validation NDCG@10 (the bundle's default).
    pub default: String,
    /// Number of pools fusion was learned from (validation users times targets per user).
    pub users: usize,
    /// Number of folds.
    pub folds: usize,
}

fn weights_map(w: &[f32; S]) -> std::collections::BTreeMap<String, f32> {
    Signal::ALL.iter().map(|s| (s.name().to_string(), w[s.index()])).collect()
}

/// Learns every fusion method on the pools. `active` are the signals with a model.
pub fn learn(users: &[PoolUser], active: &[Signal], folds: usize, progress: &dyn Fn(&str)) -> Learned {
    let active_idx: Vec<usize> = active.iter().map(|s| s.index()).collect();
    let mut base_w = [0f32; S];
    for &s in &active_idx {
        base_w[s] = 1.0;
    }
    let all: Vec<usize> = (0..users.len()).collect();
    let folds = folds.clamp(2, users.len().max(2));
    let fold_of = |i: usize| match users[i].group {
        usize::MAX => i % folds,
        g => g % folds,
    };
    let mut cv = Vec::new();
    let mut best_norm = (0usize, f64::NEG_INFINITY);
    for (k, nk) in NORMS.iter().enumerate() {
        progress(&format!("fusion CV: weighted, {}", nk.name()));
        let start =
            Setting { method: Method::Weighted, norm: k, weights: base_w, rrf_k: 60.0, stacking: Stacking::default() };
        let mut fs = Vec::new();
        for f in 0..folds {
            let tr: Vec<usize> = all.iter().copied().filter(|&i| fold_of(i) != f).collect();
            let te: Vec<usize> = all.iter().copied().filter(|&i| fold_of(i) == f).collect();
            let (st, _) = ascend_weights(users, &tr, &start, &active_idx, 1);
            fs.push(Fold { weights: weights_map(&st.weights), held_out_ndcg: mean_ndcg(users, &te, &st) });
        }
        let m = fs.iter().map(|f| f.held_out_ndcg).sum::<f64>() / fs.len() as f64;
        let sd = (fs.iter().map(|f| (f.held_out_ndcg - m).powi(2)).sum::<f64>() / fs.len() as f64).sqrt();
        if m > best_norm.1 {
            best_norm = (k, m);
        }
        cv.push(NormCv { normalization: nk.name().to_string(), mean_ndcg: m, std_ndcg: sd, folds: fs });
    }
    let norm = best_norm.0;
    let mut weight_mean_std = std::collections::BTreeMap::new();
    if let Some(c) = cv.get(norm) {
        for s in Signal::ALL {
            let v: Vec<f32> = c.folds.iter().map(|f| f.weights.get(s.name()).copied().unwrap_or(0.0)).collect();
            let m = v.iter().sum::<f32>() / v.len().max(1) as f32;
            let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f32>() / v.len().max(1) as f32).sqrt();
            weight_mean_std.insert(s.name().to_string(), (m, sd));
        }
    }
    let mut valid = std::collections::BTreeMap::new();
    let mut settings = Vec::new();
    for method in Method::ALL {
        progress(&format!("fusion: {}", method.name()));
        let start = Setting { method, norm, weights: base_w, rrf_k: 60.0, stacking: Stacking::default() };
        let (st, score) = match method {
            Method::Simple => {
                let s = mean_ndcg(users, &all, &start);
                (start, s)
            }
            Method::Stacking => {
                // Its own normalisation (the meta-model wants comparable feature scales), chosen by
                // out-of-fold NDCG; then the final model on all users.
                let mut best: Option<(Setting, f64)> = None;
                for k in 0..NORMS.len() {
                    let mut oof = 0.0;
                    for f in 0..folds {
                        let tr: Vec<usize> = all.iter().copied().filter(|&i| fold_of(i) != f).collect();
                        let te: Vec<usize> = all.iter().copied().filter(|&i| fold_of(i) == f).collect();
                        let m = fit_stacking(users, &tr, k, &active_idx);
                        let st = Setting { stacking: m, norm: k, ..start.clone() };
                        oof += mean_ndcg(users, &te, &st) * te.len() as f64;
                    }
                    let oof = oof / users.len().max(1) as f64;
                    if best.as_ref().is_none_or(|b| oof > b.1) {
                        let m = fit_stacking(users, &all, k, &active_idx);
                        best = Some((Setting { stacking: m, norm: k, ..start.clone() }, oof));
                    }
                }
                best.unwrap_or((start, 0.0))
            }
            Method::Weighted => {
                let (st, _) = ascend_weights(users, &all, &start, &active_idx, 2);
                (st, best_norm.1)
            }
            _ => ascend_weights(users, &all, &start, &active_idx, 2),
        };
        valid.insert(method.name().to_string(), score);
        settings.push(st);
    }
    let default = valid
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map_or("weighted".to_string(), |(k, _)| k.clone());
    Learned {
        settings,
        valid_ndcg: valid,
        normalization: NORMS[norm].name().to_string(),
        cv,
        weight_mean_std,
        default,
        users: users.len(),
        folds,
    }
}

/// Logistic regression (L2, Newton's method) on the users' pools: the target is the positive, the
/// other pool items the negatives (each user's negatives weighted to sum to its positive's weight).
/// Features: normalised value (0 when absent) and presence flag of each active signal.
fn fit_stacking(users: &[PoolUser], idx: &[usize], norm: usize, active: &[usize]) -> Stacking {
    let d = 2 * active.len() + 1;
    // Rows (features, label, weight), built once.
    let rows: Vec<(Vec<f64>, f64, f64)> = idx
        .par_iter()
        .flat_map_iter(|&i| {
            let u = &users[i];
            let p = u.items.len();
            let t = u.target;
            let wneg = 1.0 / (p.saturating_sub(1)).max(1) as f64;
            let feats = move |j: usize| {
                let mut x = Vec::with_capacity(d);
                x.push(1.0);
                for &s in active {
                    x.push(u.norm[norm][s * p + j].map_or(0.0, f64::from));
                }
                for &s in active {
                    x.push(if u.present[s * p + j] { 1.0 } else { 0.0 });
                }
                x
            };
            // Pairwise: the target against each other pool item (features are differences, so the
            // intercept drops out); the label is always "the target ranks first".
            t.into_iter().flat_map(move |t| {
                let xt = feats(t);
                (0..p).filter(move |&j| j != t).map(move |j| {
                    let x: Vec<f64> = xt.iter().zip(feats(j)).map(|(a, b)| a - b).collect();
                    (x, 1.0, wneg)
                })
            })
        })
        .collect();
    let mut beta = vec![0f64; d];
    let lambda = 1e-3 * idx.len().max(1) as f64;
    for _ in 0..10 {
        let (grad, hess) = rows
            .par_chunks(4096)
            .map(|chunk| {
                let (mut g, mut h) = (vec![0f64; d], vec![0f64; d * d]);
                for (x, y, w) in chunk {
                    let z: f64 = x.iter().zip(&beta).map(|(a, b)| a * b).sum();
                    let pr = 1.0 / (1.0 + (-z).exp());
                    let gw = w * (pr - y);
                    let hw = w * pr * (1.0 - pr);
                    for a in 0..d {
                        g[a] += gw * x[a];
                        let ha = hw * x[a];
                        if ha != 0.0 {
                            for b in a..d {
                                h[a * d + b] += ha * x[b];
                            }
                        }
                    }
                }
                (g, h)
            })
            // Chunks of a fixed size summed in chunk order (not rayon's reduce, whose tree follows the
            // thread count): the same Newton steps with any number of threads.
            .collect::<Vec<_>>()
            .into_iter()
            .fold((vec![0f64; d], vec![0f64; d * d]), |(mut g1, mut h1), (g2, h2)| {
                g1.iter_mut().zip(&g2).for_each(|(a, b)| *a += b);
                h1.iter_mut().zip(&h2).for_each(|(a, b)| *a += b);
                (g1, h1)
            });
        let mut g = grad;
        let mut h = hess;
        for a in 0..d {
            for b in 0..a {
                h[a * d + b] = h[b * d + a];
            }
            g[a] += lambda * beta[a];
            h[a * d + a] += lambda;
        }
        let Some(step) = crate::linalg::solve(&h, &g, d) else { break };
        let mut change = 0f64;
        for a in 0..d {
            beta[a] -= step[a];
            change = change.max(step[a].abs());
        }
        if change < 1e-5 {
            break;
        }
    }
    let mut m = Stacking { bias: beta[0] as f32, coef: vec![0.0; S], present_coef: vec![0.0; S] };
    for (k, &s) in active.iter().enumerate() {
        m.coef[s] = beta[1 + k] as f32;
        m.present_coef[s] = beta[1 + active.len() + k] as f32;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use recofuse_testkit::SplitMix64;

    /// On a pool holding every candidate, the pool fusion is core's `fuse` of the whole columns: bit
    /// for bit for the rank-based methods (same terms, same sums), and up to the `f32` rounding of the
    /// materialised normalised values for the others.
    #[test]
    fn pool_fusion_is_cores_fuse() {
        let mut rng = SplitMix64::new(4);
        for round in 0..30 {
            let n = 5 + rng.below(60);
            let mut cols = Columns::new(n);
            for s in Signal::ALL {
                let kind = rng.below(4);
                for v in cols.column_mut(s).iter_mut() {
                    *v = match kind {
                        0 => None,
                        1 => (rng.below(4) > 0).then(|| rng.below(5) as f32),
                        _ => (rng.below(5) > 0).then(|| rng.next_f32() * 4.0 - 1.0),
                    };
                }
            }
            let u = pool(&cols, &[], 0, n, 0);
            assert_eq!(u.items.len(), n, "round {round}: every candidate in the pool");
            for method in Method::ALL {
                for norm in 0..NORMS.len() {
                    let mut weights = [0f32; S];
                    for w in weights.iter_mut() {
                        *w = [0.0, 0.5, 1.0, 2.5][rng.below(4)];
                    }
                    let coef = (0..S).map(|_| rng.next_f32() * 2.0 - 1.0).collect();
                    let present_coef = (0..S).map(|_| rng.next_f32() - 0.5).collect();
                    let st = Setting {
                        method,
                        norm,
                        weights,
                        rrf_k: 20.0,
                        stacking: Stacking { bias: 0.25, coef, present_coef },
                    };
                    let (ours, core) = (fused(&u, &st), recofuse_core::fusion::fuse(&st.config(), &cols, false).scores);
                    for (j, (a, b)) in ours.iter().zip(&core).enumerate() {
                        let what = || format!("round {round}, {} {}, item {j}: {a:?} vs {b:?}", method.name(), norm);
                        match (a, b) {
                            (Some(a), Some(b)) if matches!(method, Method::Rrf | Method::Borda) => {
                                assert_eq!(a.to_bits(), b.to_bits(), "{}", what())
                            }
                            (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{}", what()),
                            (a, b) => assert_eq!(a, b, "{}", what()),
                        }
                    }
                }
            }
        }
    }
}
