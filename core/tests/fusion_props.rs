//! Property tests: every normalisation and fusion method against a naive reference implementation
//! written separately here (straightforward loops, `f64`, quadratic ranks), plus structural
//! properties (determinism, permutation equivariance, contributions, weight 0, renormalisation) and
//! the business rules against naive versions.

// The reference is written as plain index loops on purpose (easy to check against the formulas).
#![allow(clippy::needless_range_loop)]

use std::cmp::Ordering;

use proptest::prelude::*;
use recofuse_core::config::{FusionConfig, Method, Normalization, Stacking};
use recofuse_core::fusion::{fuse, normalize, ordinal_ranks, Fused, FusionPlan};
use recofuse_core::rules::{apply_pins, mmr, order};
use recofuse_core::signal::{Columns, Signal};

// ---------------------------------------------------------------- reference implementation

/// 1-based rank: 1 + number of present values strictly better (total order, descending), or equal
/// and earlier.
fn ref_ranks(col: &[Option<f32>]) -> Vec<Option<usize>> {
    let present = |v: &Option<f32>| v.filter(|x| x.is_finite());
    let mut out = vec![None; col.len()];
    for i in 0..col.len() {
        let Some(xi) = present(&col[i]) else { continue };
        let mut r = 1;
        for j in 0..col.len() {
            if let Some(xj) = present(&col[j]) {
                match xj.total_cmp(&xi) {
                    Ordering::Greater => r += 1,
                    Ordering::Equal if j < i => r += 1,
                    _ => {}
                }
            }
        }
        out[i] = Some(r);
    }
    out
}

fn ref_normalize(kind: Normalization, col: &[Option<f32>]) -> Vec<Option<f64>> {
    let vals: Vec<f64> = col.iter().flatten().filter(|x| x.is_finite()).map(|x| f64::from(*x)).collect();
    let n = vals.len() as f64;
    let mut min = f64::INFINITY;
    let mut max = f64::NEG_INFINITY;
    let mut sum = 0.0;
    for &x in &vals {
        min = min.min(x);
        max = max.max(x);
        sum += x;
    }
    let ranks = ref_ranks(col);
    let min_max = |x: f64| if max > min { (x - min) / (max - min) } else { 1.0 };
    let mut out = Vec::new();
    for (i, v) in col.iter().enumerate() {
        let Some(x) = v.filter(|x| x.is_finite()).map(f64::from) else {
            out.push(None);
            continue;
        };
        let y = match kind {
            Normalization::None => x,
            Normalization::MinMax => min_max(x),
            Normalization::Max => {
                if max > 0.0 {
                    x / max
                } else {
                    min_max(x)
                }
            }
            Normalization::Sum => {
                let mut shifted = 0.0;
                for &z in &vals {
                    shifted += z - min;
                }
                if max > min {
                    (x - min) / shifted
                } else {
                    1.0 / n
                }
            }
            Normalization::ZScore => {
                let mean = sum / n;
                let mut var = 0.0;
                for &z in &vals {
                    var += (z - mean) * (z - mean);
                }
                let std = (var / n).sqrt();
                if max > min {
                    (x - mean) / std
                } else {
                    0.0
                }
            }
            Normalization::Rank => {
                let r = ranks[i].unwrap() as f64;
                (n - r + 1.0) / n
            }
            Normalization::Borda => {
                let r = ranks[i].unwrap() as f64;
                if n > 1.0 {
                    (n - r) / (n - 1.0)
                } else {
                    1.0
                }
            }
        };
        out.push(Some(y));
    }
    out
}

/// Reference fusion: per candidate, per signal, in plain loops.
/// Returns (scores, contributions) with contributions as f64.
#[allow(clippy::type_complexity)]
fn ref_fuse(cfg: &FusionConfig, cols: &Columns) -> (Vec<Option<f64>>, Vec<[Option<f64>; Signal::COUNT]>) {
    let len = cols.len();
    let w: Vec<f64> = Signal::ALL.iter().map(|s| f64::from(cfg.weights[s.index()])).collect();
    let active: Vec<bool> = w.iter().map(|&w| w > 0.0).collect();
    let rank_based = matches!(cfg.method, Method::Rrf | Method::Borda);
    let norm: Vec<Vec<Option<f64>>> = Signal::ALL
        .iter()
        .map(|&s| if rank_based { vec![None; len] } else { ref_normalize(cfg.normalization, cols.column(s)) })
        .collect();
    let ranks: Vec<Vec<Option<usize>>> = Signal::ALL.iter().map(|&s| ref_ranks(cols.column(s))).collect();
    let total_w: f64 = (0..Signal::COUNT).filter(|&s| active[s]).map(|s| w[s]).sum();
    let total_m = active.iter().filter(|a| **a).count() as f64;

    let mut scores = Vec::new();
    let mut parts = Vec::new();
    for i in 0..len {
        let present: Vec<usize> = (0..Signal::COUNT)
            .filter(|&s| active[s] && cols.column(Signal::ALL[s])[i].is_some_and(|x| x.is_finite()))
            .collect();
        let mut p = [None; Signal::COUNT];
        if present.is_empty() {
            scores.push(None);
            parts.push(p);
            continue;
        }
        let x = |s: usize| norm[s][i].unwrap();
        let score = match cfg.method {
            Method::Simple => {
                let m = if cfg.renormalize_missing { present.len() as f64 } else { total_m };
                let mut sum = 0.0;
                for &s in &present {
                    sum += x(s);
                    p[s] = Some(x(s) / m);
                }
                sum / m
            }
            Method::Weighted => {
                let d = if cfg.renormalize_missing { present.iter().map(|&s| w[s]).sum() } else { total_w };
                let mut sum = 0.0;
                for &s in &present {
                    sum += w[s] * x(s);
                    p[s] = Some(w[s] * x(s) / d);
                }
                sum / d
            }
            Method::CombSum => {
                let mut sum = 0.0;
                for &s in &present {
                    sum += w[s] * x(s);
                    p[s] = Some(w[s] * x(s));
                }
                sum
            }
            Method::CombMnz => {
                let count = present.iter().filter(|&&s| x(s) > 0.0).count() as f64;
                let mut sum = 0.0;
                for &s in &present {
                    sum += w[s] * x(s);
                    p[s] = Some(w[s] * x(s) * count);
                }
                sum * count
            }
            Method::CombMax => {
                let mut best = present[0];
                for &s in &present {
                    if w[s] * x(s) > w[best] * x(best) {
                        best = s;
                    }
                }
                for &s in &present {
                    p[s] = Some(if s == best { w[s] * x(s) } else { 0.0 });
                }
                w[best] * x(best)
            }
            Method::Rrf => {
                let k = f64::from(cfg.rrf_k);
                let mut sum = 0.0;
                for &s in &present {
                    let t = w[s] / (k + ranks[s][i].unwrap() as f64);
                    sum += t;
                    p[s] = Some(t);
                }
                sum
            }
            Method::Borda => {
                let n = len as f64;
                let mut sum = 0.0;
                for &s in &present {
                    let t = w[s] * (n - ranks[s][i].unwrap() as f64 + 1.0) / n;
                    sum += t;
                    p[s] = Some(t);
                }
                sum
            }
            Method::Stacking => {
                let st = &cfg.stacking;
                let mut z = f64::from(st.bias);
                for s in 0..Signal::COUNT {
                    let (xs, flag) = if present.contains(&s) { (x(s), 1.0) } else { (0.0, 0.0) };
                    let t = f64::from(st.coef[s]) * xs + f64::from(st.present_coef[s]) * flag;
                    z += t;
                    if flag > 0.0 {
                        p[s] = Some(t);
                    }
                }
                z
            }
        };
        scores.push(Some(score));
        parts.push(p);
    }
    (scores, parts)
}

// ---------------------------------------------------------------- strategies

/// A value: often a small integer (ties), sometimes an arbitrary float, sometimes missing.
fn value() -> impl Strategy<Value = Option<f32>> {
    prop_oneof![
        2 => Just(None),
        3 => (-3i32..=3).prop_map(|x| Some(x as f32)),
        5 => (-100.0f32..100.0).prop_map(Some),
    ]
}

/// A value for long columns: many ties, both zeros, extremes.
fn long_value() -> impl Strategy<Value = Option<f32>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(-0.0f32)),
        1 => Just(Some(0.0f32)),
        1 => prop_oneof![Just(f32::MAX), Just(f32::MIN), Just(f32::MIN_POSITIVE), Just(-f32::MIN_POSITIVE)].prop_map(Some),
        3 => (-3i32..=3).prop_map(|x| Some(x as f32)),
        5 => any::<f32>().prop_map(Some),
    ]
}

/// A column: all missing (a signal with nothing to say), or values.
fn column(len: usize) -> impl Strategy<Value = Vec<Option<f32>>> {
    prop_oneof![1 => Just(vec![None; len]), 4 => proptest::collection::vec(value(), len)]
}

fn columns() -> impl Strategy<Value = Columns> {
    (0usize..30).prop_flat_map(|len| proptest::collection::vec(column(len), Signal::COUNT)).prop_map(|cols| {
        let len = cols.first().map_or(0, Vec::len);
        let mut c = Columns::new(len);
        for (s, col) in Signal::ALL.into_iter().zip(cols) {
            c.column_mut(s).copy_from_slice(&col);
        }
        c
    })
}

/// Weights: some 0 (column off), some exactly 1 (ties between columns), the rest arbitrary.
fn weights() -> impl Strategy<Value = Vec<f32>> {
    proptest::collection::vec(prop_oneof![1 => Just(0.0f32), 1 => Just(1.0f32), 3 => 0.1f32..5.0], Signal::COUNT)
}

fn stacking_model() -> impl Strategy<Value = Stacking> {
    (
        -2.0f32..2.0,
        proptest::collection::vec(-3.0f32..3.0, Signal::COUNT),
        proptest::collection::vec(-1.0f32..1.0, Signal::COUNT),
    )
        .prop_map(|(bias, coef, present_coef)| Stacking { bias, coef, present_coef })
}

fn config() -> impl Strategy<Value = FusionConfig> {
    (weights(), 1.0f32..100.0, any::<bool>(), stacking_model()).prop_map(
        |(weights, rrf_k, renormalize_missing, stacking)| FusionConfig {
            weights,
            rrf_k,
            renormalize_missing,
            stacking,
            ..FusionConfig::default()
        },
    )
}

fn with(cfg: &FusionConfig, method: Method, normalization: Normalization) -> FusionConfig {
    FusionConfig { method, normalization, ..cfg.clone() }
}

fn close(got: f32, want: f64, tol: f64) -> bool {
    (f64::from(got) - want).abs() <= tol * want.abs().max(1.0)
}

fn bits(v: &[Option<f32>]) -> Vec<Option<u32>> {
    v.iter().map(|x| x.map(f32::to_bits)).collect()
}

fn permute(cols: &Columns, perm: &[usize]) -> Columns {
    let mut out = Columns::new(cols.len());
    for s in Signal::ALL {
        let src = cols.column(s);
        for (dst, &p) in out.column_mut(s).iter_mut().zip(perm) {
            *dst = src[p];
        }
    }
    out
}

/// Columns whose present values are distinct within each column (no ties), with a permutation.
fn distinct_columns_and_perm() -> impl Strategy<Value = (Columns, Vec<usize>)> {
    (1usize..25)
        .prop_flat_map(|len| {
            let col =
                (proptest::collection::vec(any::<bool>(), len), Just((0..len).collect::<Vec<_>>()).prop_shuffle());
            (proptest::collection::vec(col, Signal::COUNT), Just((0..len).collect::<Vec<usize>>()).prop_shuffle())
        })
        .prop_map(|(cols, perm)| {
            let len = perm.len();
            let mut c = Columns::new(len);
            for (s, (mask, order)) in Signal::ALL.into_iter().zip(cols) {
                for ((dst, keep), o) in c.column_mut(s).iter_mut().zip(mask).zip(order) {
                    // distinct values, different scales per signal
                    *dst = keep.then(|| (o as f32 - 7.0) * (s.index() as f32 + 0.5));
                }
            }
            (c, perm)
        })
}

const LINEAR: [Method; 7] =
    [Method::Simple, Method::Weighted, Method::CombSum, Method::CombMnz, Method::CombMax, Method::Rrf, Method::Borda];

// ---------------------------------------------------------------- checks

type Check = Result<(), TestCaseError>;

/// `got` and `want` both absent, or both present and close.
fn check_opt(got: Option<f32>, want: Option<f64>, tol: f64, what: impl Fn() -> String) -> Check {
    match (got, want) {
        (Some(g), Some(w)) => prop_assert!(close(g, w, tol), "{}: {} vs {}", what(), g, w),
        (None, None) => {}
        (g, w) => prop_assert!(false, "{}: {:?} vs {:?}", what(), g, w),
    }
    Ok(())
}

/// Every (method, normalisation) pair.
fn combos() -> impl Iterator<Item = (Method, Normalization)> {
    Method::ALL.into_iter().flat_map(|m| Normalization::ALL.into_iter().map(move |n| (m, n)))
}

fn check_against_reference(cols: &Columns, cfg: &FusionConfig) -> Check {
    for (method, normalization) in combos() {
        let cfg = with(cfg, method, normalization);
        let fused = fuse(&cfg, cols, true);
        let (want, want_parts) = ref_fuse(&cfg, cols);
        prop_assert_eq!(fused.scores.len(), cols.len());
        let parts = fused.contributions.as_ref().expect("explain asked");
        for i in 0..cols.len() {
            check_opt(fused.scores[i], want[i], 1e-4, || format!("{method:?}/{normalization:?} [{i}]"))?;
            if let Some(g) = fused.scores[i] {
                prop_assert!(g.is_finite());
            }
            if method == Method::CombMax {
                check_comb_max_parts(cols, &cfg, i, &parts[i].0, &want_parts[i], want[i])?;
                continue;
            }
            for (s, signal) in Signal::ALL.into_iter().enumerate() {
                check_opt(parts[i].0[s], want_parts[i][s], 1e-4, || {
                    format!("{method:?}/{normalization:?} [{i}] {signal:?}")
                })?;
            }
        }
    }
    Ok(())
}

/// CombMAX contributions: the same present columns as the reference, one of them carrying the score,
/// and that one reaches the maximum in the reference too. (On a tie within float rounding the
/// implementation and the reference may pick different, equally maximal, columns.)
fn check_comb_max_parts(
    cols: &Columns,
    cfg: &FusionConfig,
    i: usize,
    got: &[Option<f32>; Signal::COUNT],
    want: &[Option<f64>; Signal::COUNT],
    score: Option<f64>,
) -> Check {
    for s in 0..Signal::COUNT {
        prop_assert_eq!(got[s].is_some(), want[s].is_some(), "CombMax [{}] presence of {:?}", i, Signal::ALL[s]);
    }
    let Some(score) = score else { return Ok(()) };
    let carriers: Vec<usize> = (0..Signal::COUNT).filter(|&s| got[s].is_some_and(|x| x != 0.0)).collect();
    prop_assert!(carriers.len() <= 1, "CombMax [{}]: several carriers {:?}", i, got);
    if let Some(&s) = carriers.first() {
        let x = ref_normalize(cfg.normalization, cols.column(Signal::ALL[s]))[i].unwrap();
        let value = f64::from(cfg.weights[s]) * x;
        prop_assert!((value - score).abs() <= 1e-4 * score.abs().max(1.0), "CombMax [{}]: {} vs {}", i, value, score);
    }
    Ok(())
}

fn check_deterministic(cols: &Columns, cfg: &FusionConfig) -> Check {
    for (method, normalization) in combos() {
        let cfg = with(cfg, method, normalization);
        let a = fuse(&cfg, cols, true);
        let b = fuse(&cfg, cols, true);
        prop_assert_eq!(bits(&a.scores), bits(&b.scores));
        prop_assert_eq!(a.contributions, b.contributions);
    }
    Ok(())
}

fn check_equivariant(cols: &Columns, perm: &[usize], cfg: &FusionConfig) -> Check {
    let shuffled = permute(cols, perm);
    for (method, normalization) in combos() {
        let cfg = with(cfg, method, normalization);
        let a = fuse(&cfg, cols, false);
        let b = fuse(&cfg, &shuffled, false);
        for (j, &p) in perm.iter().enumerate() {
            check_opt(b.scores[j], a.scores[p].map(f64::from), 1e-5, || format!("{method:?}/{normalization:?} [{j}]"))?;
        }
    }
    Ok(())
}

fn check_contributions_sum(cols: &Columns, cfg: &FusionConfig) -> Check {
    for (method, normalization) in combos() {
        let cfg = with(cfg, method, normalization);
        let fused = fuse(&cfg, cols, true);
        // the linear methods (and CombMAX) sum to the score, stacking to score - bias
        let offset = if method == Method::Stacking { f64::from(cfg.stacking.bias) } else { 0.0 };
        prop_assert!(LINEAR.contains(&method) || method == Method::Stacking);
        for (score, parts) in fused.scores.iter().zip(fused.contributions.as_ref().expect("explain asked")) {
            let sum: f64 = parts.0.iter().flatten().map(|x| f64::from(*x)).sum();
            match score {
                Some(s) => prop_assert!(close(*s, sum + offset, 1e-4), "{method:?}/{normalization:?}: {s} vs {sum}"),
                None => prop_assert!(parts.0.iter().all(Option::is_none)),
            }
        }
    }
    Ok(())
}

fn check_weight_zero(cols: &Columns, cfg: &FusionConfig, s: usize, w: f32) -> Check {
    let signal = Signal::ALL[s];
    // weight 0, the column has values ...
    let mut zero = cfg.clone();
    zero.weights[s] = 0.0;
    // ... versus weight > 0, the column has nothing
    let mut absent_cols = cols.clone();
    absent_cols.column_mut(signal).fill(None);
    let mut absent = cfg.clone();
    absent.weights[s] = w;
    for (method, normalization) in combos() {
        for renormalize_missing in [true, false] {
            // Without renormalisation, simple and weighted divide by every column with a weight > 0.
            if !renormalize_missing && matches!(method, Method::Simple | Method::Weighted) {
                continue;
            }
            let a = FusionConfig { method, normalization, renormalize_missing, ..zero.clone() };
            let b = FusionConfig { method, normalization, renormalize_missing, ..absent.clone() };
            let fa = fuse(&a, cols, true);
            let fb = fuse(&b, &absent_cols, true);
            prop_assert_eq!(bits(&fa.scores), bits(&fb.scores), "{:?}/{:?}", method, normalization);
            prop_assert_eq!(fa.contributions, fb.contributions);
        }
    }
    Ok(())
}

fn check_renormalisation(cols: &Columns, cfg: &FusionConfig) -> Check {
    let total: f64 = cfg.weights.iter().map(|w| f64::from(*w)).sum();
    for normalization in Normalization::ALL {
        let renorm = FusionConfig { method: Method::Weighted, normalization, renormalize_missing: true, ..cfg.clone() };
        let plain = FusionConfig { renormalize_missing: false, ..renorm.clone() };
        let a = fuse(&renorm, cols, false).scores;
        let b = fuse(&plain, cols, false).scores;
        let normalized: Vec<Vec<Option<f32>>> =
            Signal::ALL.iter().map(|&s| normalize(normalization, cols.column(s))).collect();
        for i in 0..cols.len() {
            // (weight, normalised value) of the present columns with a weight > 0
            let present: Vec<(f64, f64)> = Signal::ALL
                .iter()
                .filter(|s| cfg.weights[s.index()] > 0.0)
                .filter_map(|s| normalized[s.index()][i].map(|x| (f64::from(cfg.weights[s.index()]), f64::from(x))))
                .collect();
            match (a[i], b[i]) {
                (Some(x), Some(y)) => {
                    // renormalised: a weighted mean, inside the range of the present values
                    let lo = present.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
                    let hi = present.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
                    let x = f64::from(x);
                    prop_assert!(x >= lo - 1e-4 * lo.abs().max(1.0) && x <= hi + 1e-4 * hi.abs().max(1.0));
                    // not renormalised: the same weighted sum over all the weights
                    let present_w: f64 = present.iter().map(|p| p.0).sum();
                    prop_assert!(close(y, x * present_w / total, 1e-4), "{y} vs {x} * {present_w} / {total}");
                }
                (None, None) => prop_assert!(present.is_empty()),
                (x, y) => prop_assert!(false, "{:?} vs {:?}", x, y),
            }
        }
    }
    Ok(())
}

fn check_normalisations(col: &[Option<f32>]) -> Check {
    for kind in Normalization::ALL {
        let got = normalize(kind, col);
        let want = ref_normalize(kind, col);
        prop_assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            check_opt(*g, *w, 1e-5, || format!("{kind:?} [{i}]"))?;
        }
    }
    Ok(())
}

fn check_order(scores: &[Option<f32>], tiers: &[u8], k: Option<usize>) -> Check {
    let tier = |i: usize| tiers.get(i).copied().unwrap_or(0);
    let mut naive: Vec<usize> = (0..scores.len()).collect();
    naive.sort_by(|&a, &b| {
        tier(a)
            .cmp(&tier(b))
            .then(scores[a].is_none().cmp(&scores[b].is_none()))
            .then(match (scores[a], scores[b]) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                _ => Ordering::Equal,
            })
            .then(a.cmp(&b))
    });
    if let Some(k) = k {
        naive.truncate(k);
    }
    prop_assert_eq!(order(scores, tiers, k), naive);
    Ok(())
}

fn check_pins(ranked: &[usize], pins: &[(usize, usize)]) -> Check {
    // naive: dedupe by position (first pin wins), remove, then insert one by one in (slot, pin order)
    // order, each at min(slot, len) but after the previous insert (ties keep the pin order).
    let mut seen = Vec::new();
    let mut kept = Vec::new();
    for (order, &(pos, slot)) in pins.iter().enumerate() {
        if !seen.contains(&pos) {
            seen.push(pos);
            kept.push((slot, order, pos));
        }
    }
    kept.sort();
    let mut naive: Vec<usize> = ranked.iter().copied().filter(|p| !seen.contains(p)).collect();
    let unpinned = naive.len();
    let mut flags = vec![false; naive.len()];
    let mut prev: Option<usize> = None;
    for &(slot, _, pos) in &kept {
        let at = prev.map_or(slot.min(naive.len()), |p| slot.min(naive.len()).max(p + 1));
        naive.insert(at, pos);
        flags.insert(at, true);
        prev = Some(at);
    }
    let mut got = ranked.to_vec();
    let got_flags = apply_pins(&mut got, pins);
    prop_assert_eq!(&got, &naive);
    prop_assert_eq!(got_flags, flags);
    // with distinct slots all within the unpinned entries, every pin sits exactly at its slot
    let mut slots: Vec<usize> = kept.iter().map(|k| k.0).collect();
    slots.dedup();
    if slots.len() == kept.len() && kept.iter().all(|k| k.0 < unpinned) {
        for &(slot, _, pos) in &kept {
            prop_assert_eq!(got[slot], pos);
        }
    }
    Ok(())
}

fn check_mmr(rel: &[f32], lambda: f32, k: usize, seed: u64) -> Check {
    let pool: Vec<usize> = (0..rel.len()).rev().collect();
    let sim = |a: usize, b: usize| {
        if a == b {
            1.0
        } else {
            ((a as u64 * 31 + b as u64 * 17 + seed % 1000) % 101) as f32 / 100.0
        }
    };
    let picked = mmr(&pool, rel, &sim, lambda, k);
    let k = k.min(pool.len());
    prop_assert_eq!(picked.len(), k);
    let mut distinct = picked.clone();
    distinct.sort_unstable();
    distinct.dedup();
    prop_assert_eq!(distinct.len(), picked.len());
    if lambda == 1.0 {
        prop_assert_eq!(&picked[..], &pool[..k]);
    }
    if let (Some(first), true) = (picked.first(), lambda > 0.0) {
        // the first pick is the most relevant (the earliest in the pool on ties)
        let best = pool.iter().copied().reduce(|q, p| if rel[q] >= rel[p] { q } else { p });
        prop_assert_eq!(Some(*first), best);
    }
    Ok(())
}

// ---------------------------------------------------------------- properties

proptest! {
    // These loop over all 8 methods × 7 normalisations inside each case, so every combination sees
    // every case: 64 cases keep the suite fast in a debug build and still run 64 × 56 fusions each.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ordinal_ranks_of_long_columns_match_reference(col in proptest::collection::vec(long_value(), 128..260)) {
        // 128 values and more take the radix-sort path
        let got: Vec<Option<usize>> = ordinal_ranks(&col).iter().map(|r| r.map(|r| r as usize)).collect();
        prop_assert_eq!(got, ref_ranks(&col));
        check_normalisations(&col)?;
    }

    #[test]
    fn every_method_and_normalisation_matches_reference(cols in columns(), cfg in config()) {
        check_against_reference(&cols, &cfg)?;
    }

    #[test]
    fn fusion_is_deterministic(cols in columns(), cfg in config()) {
        check_deterministic(&cols, &cfg)?;
    }

    #[test]
    fn scores_are_permutation_equivariant((cols, perm) in distinct_columns_and_perm(), cfg in config()) {
        check_equivariant(&cols, &perm, &cfg)?;
    }

    #[test]
    fn contributions_sum_to_score(cols in columns(), cfg in config()) {
        check_contributions_sum(&cols, &cfg)?;
    }

    #[test]
    fn weight_zero_is_column_absent(cols in columns(), cfg in config(), s in 0..Signal::COUNT, w in 0.1f32..5.0) {
        check_weight_zero(&cols, &cfg, s, w)?;
    }
}

/// A [`FusionPlan`] fuses every method × normalisation of each loaded list with the bits of `fuse`
/// (scores and contributions), over successive loads: `a` with only the signals of `mask` loaded
/// (the others count as absent), `a` again with one column changed (the other columns are those of
/// the previous load: their rank orders are reused), then `b` (another length).
fn check_plan(a: &Columns, b: &Columns, cfg: &FusionConfig, mask: u8) -> Check {
    let loaded: Vec<Signal> = Signal::ALL.into_iter().filter(|s| mask & (1 << s.index()) != 0).collect();
    let mut only = Columns::new(a.len());
    for &s in &loaded {
        only.column_mut(s).copy_from_slice(a.column(s));
    }
    let mut changed = a.clone();
    if let Some(first) = changed.column_mut(Signal::ItemCf).first_mut() {
        *first = Some(first.map_or(0.5, |x| x + 1.0));
    }
    let mut plan = FusionPlan::new();
    for (cols, signals) in
        [(&only, &loaded[..]), (a, &Signal::ALL[..]), (&changed, &Signal::ALL[..]), (b, &Signal::ALL[..])]
    {
        plan.load(cols, signals);
        for (m, n) in combos() {
            let c = with(cfg, m, n);
            let explain = m != Method::Borda;
            let (got, want) = (plan.fuse(&c, explain), fuse(&c, cols, explain));
            prop_assert_eq!(bits(&got.scores), bits(&want.scores), "{:?} {:?} scores", m, n);
            let parts = |f: &Fused| -> Option<Vec<Vec<Option<u32>>>> {
                f.contributions.as_ref().map(|p| p.iter().map(|x| bits(&x.0)).collect())
            };
            prop_assert_eq!(parts(&got), parts(&want), "{:?} {:?} contributions", m, n);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fusion_plan_gives_the_bits_of_fuse(a in columns(), b in columns(), cfg in config(), mask in any::<u8>()) {
        check_plan(&a, &b, &cfg, mask)?;
    }
}

// Cheaper properties: proptest's default number of cases (256).
proptest! {
    #[test]
    fn missing_columns_renormalise_when_configured(cols in columns(), cfg in config()) {
        check_renormalisation(&cols, &cfg)?;
    }

    #[test]
    fn ordinal_ranks_match_reference(col in proptest::collection::vec(value(), 0..40)) {
        let got: Vec<Option<usize>> = ordinal_ranks(&col).iter().map(|r| r.map(|r| r as usize)).collect();
        prop_assert_eq!(got, ref_ranks(&col));
    }

    #[test]
    fn normalisations_match_reference(col in proptest::collection::vec(value(), 0..40)) {
        check_normalisations(&col)?;
    }

    #[test]
    fn order_matches_naive_sort(
        scores in proptest::collection::vec(score(), 0..60),
        tiers in proptest::collection::vec(0u8..3, 0..60),
        k in proptest::option::of(0usize..70),
    ) {
        check_order(&scores, &tiers, k)?;
    }

    #[test]
    fn pins_match_naive_insertion(
        ranked in ranked(),
        pins in proptest::collection::vec((0usize..25, 0usize..25), 0..8),
    ) {
        check_pins(&ranked, &pins)?;
    }

    #[test]
    fn mmr_selects_distinct_pool_entries(
        rel in proptest::collection::vec(-5.0f32..5.0, 1..30),
        lambda in 0.0f32..=1.0,
        k in 0usize..35,
        seed in any::<u64>(),
    ) {
        check_mmr(&rel, lambda, k, seed)?;
    }
}

/// A fused score for `order`: missing, tied, or arbitrary.
fn score() -> impl Strategy<Value = Option<f32>> {
    prop_oneof![1 => Just(None), 2 => (-3i32..3).prop_map(|x| Some(x as f32)), 2 => (-1.0f32..1.0).prop_map(Some)]
}

/// A ranked list: a prefix of a shuffled `0..20`.
fn ranked() -> impl Strategy<Value = Vec<usize>> {
    Just((0..20usize).collect::<Vec<_>>())
        .prop_shuffle()
        .prop_flat_map(|v| (0..=v.len()).prop_map(move |n| v[..n].to_vec()))
}

#[test]
fn reference_agrees_on_a_hand_example() {
    // guards the reference itself against a wrong formula shared with the implementation
    let mut cols = Columns::new(2);
    cols.column_mut(Signal::ItemCf).copy_from_slice(&[Some(1.0), Some(3.0)]);
    let cfg = FusionConfig { method: Method::Rrf, ..FusionConfig::default() };
    let (scores, _) = ref_fuse(&cfg, &cols);
    assert_eq!(scores, vec![Some(1.0 / (60.0 + 2.0)), Some(1.0 / (60.0 + 1.0))]);
    let Fused { scores, .. } = fuse(&cfg, &cols, false);
    assert!((f64::from(scores[0].unwrap()) - 1.0 / 62.0).abs() < 1e-7);
}
