//! Score normalisation and fusion of the signal columns.
//!
//! The pipeline is `columns -> normalize (per column) -> one fusion method -> Fused`. Every
//! normalisation and every method lives in its own small file, with the paper it comes from cited in
//! its doc comment (the layout follows ranx, without its string dispatch, assertion-based validation,
//! or silent 0.0 for missing scores).
//!
//! # Missing values
//!
//! A column holds `Option<f32>` per candidate. `None` means "this signal has nothing to say" and is
//! never turned into a score: normalisations compute their statistics over the **present** values
//! only and keep `None` as `None`; methods skip absent columns, and a candidate with no present
//! column (among the columns with a weight > 0) gets the fused score `None`. Non-finite values never
//! reach fusion (scorers produce `None` instead), but every function here treats NaN and ±∞ as
//! `None` all the same.
//!
//! # Weights
//!
//! The weight of a signal comes from [`FusionConfig::weights`] ([`Signal::ALL`] order). A weight of
//! 0 is valid and means the column takes no part in the fusion at all, for every method: it counts
//! as absent (for the renormalisation of [`weighted_mean`] and [`simple_mean`], for the count of
//! [`comb_mnz`], for the presence flags of [`stacking`]) and its contribution is reported as `None`.
//! A negative or non-finite weight (rejected by [`FusionConfig::validate`]) is treated like 0.
//!
//! # Precision
//!
//! Statistics and sums are computed in `f64` and stored as `f32`; results are clamped to the finite
//! `f32` range and `-0.0` is stored as `0.0`, so every `Some` score and contribution is finite.
//!
//! ```
//! use recofuse_core::fusion::fuse;
//! use recofuse_core::signal::Columns;
//! use recofuse_core::{FusionConfig, Method, Normalization, Signal};
//!
//! let mut columns = Columns::new(3);
//! columns.column_mut(Signal::ItemCf).copy_from_slice(&[Some(0.2), Some(0.9), None]);
//! columns.column_mut(Signal::Server).copy_from_slice(&[Some(3.0), Some(1.0), Some(2.0)]);
//!
//! let config = FusionConfig { method: Method::Rrf, normalization: Normalization::None, ..Default::default() };
//! let fused = fuse(&config, &columns, true);
//! let expected = 1.0 / (60.0 + 2.0) + 1.0 / (60.0 + 1.0); // candidate 0: 2nd in ItemCf, 1st in Server
//! assert!((fused.scores[0].unwrap() - expected).abs() < 1e-6);
//! let parts = fused.contributions.unwrap();
//! assert_eq!(parts[2][Signal::ItemCf], None); // candidate 2 has no ItemCf score
//! ```

use std::borrow::Cow;

use crate::config::{FusionConfig, Method, Normalization};
use crate::signal::{Columns, PerSignal, Signal};

mod borda;
mod comb_max;
mod comb_mnz;
mod comb_sum;
mod norm_borda;
mod norm_max;
mod norm_minmax;
mod norm_none;
mod norm_rank;
mod norm_sum;
mod norm_zscore;
mod plan;
mod rrf;
mod simple;
mod stacking;
mod weighted;

pub use borda::{borda_fuse, borda_term};
pub use comb_max::comb_max;
pub use comb_mnz::comb_mnz;
pub use comb_sum::comb_sum;
pub use norm_borda::borda_norm;
pub use norm_max::max_norm;
pub use norm_minmax::min_max_norm;
pub use norm_none::none_norm;
pub use norm_rank::rank_norm;
pub use norm_sum::sum_norm;
pub use norm_zscore::zmuv_norm;
pub use plan::FusionPlan;
pub use rrf::{rrf, rrf_term, RRF_DEFAULT_K};
pub use simple::simple_mean;
pub use stacking::stacking;
pub use weighted::weighted_mean;

/// The result of [`fuse`]: one fused score per candidate and, when asked, the per-signal
/// contributions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fused {
    /// Fused score per candidate, in input order; `None` when no column (with a weight > 0) has a
    /// score for the candidate.
    pub scores: Vec<Option<f32>>,
    /// Per candidate, per signal: `Some(term)` for the columns that took part for this candidate,
    /// `None` for absent (or weight-0) columns. Filled only when `explain` is asked. How the terms
    /// relate to the score depends on the method (see each method; for the linear ones they sum to
    /// the score).
    pub contributions: Option<Vec<PerSignal<Option<f32>>>>,
}

/// One column entering a fusion method: its signal, its weight and its values (already normalised,
/// or raw for the rank-based methods [`rrf`] and [`borda_fuse`]).
///
/// Rows beyond `values.len()` count as absent, so an empty slice is a column with nothing to say.
/// Each signal is expected at most once among the inputs of a call (a repeated signal takes part
/// twice, and its reported contribution is the last one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FusionInput<'a> {
    /// The signal this column belongs to (where its contribution is reported).
    pub signal: Signal,
    /// Its weight: finite and > 0 to take part, anything else makes the column absent.
    pub weight: f32,
    /// One value per candidate.
    pub values: &'a [Option<f32>],
}

/// Normalises one column with `kind`. `None` stays `None` (as do NaN and ±∞), and the statistics
/// (minimum, maximum, sum, mean, standard deviation, ranks, `n`) are computed over the present values
/// only. See each normalisation for its formula and degenerate cases:
/// [`none_norm`], [`min_max_norm`], [`max_norm`], [`sum_norm`], [`zmuv_norm`], [`rank_norm`],
/// [`borda_norm`].
///
/// ```
/// use recofuse_core::fusion::normalize;
/// use recofuse_core::Normalization;
///
/// let column = [Some(2.0), None, Some(4.0), Some(3.0)];
/// let out = normalize(Normalization::MinMax, &column);
/// assert_eq!(out, vec![Some(0.0), None, Some(1.0), Some(0.5)]);
/// ```
pub fn normalize(kind: Normalization, column: &[Option<f32>]) -> Vec<Option<f32>> {
    let col = prepare(Signal::ItemCf, 1.0, kind, column, column.len());
    col.values.iter().map(|&x| (!x.is_nan()).then(|| to_f32(col.map.apply(f64::from(x))))).collect()
}

/// Fuses the columns of one request with `config`: every column whose weight is > 0 is normalised
/// with `config.normalization`, then combined with `config.method`:
///
/// | method | function | score of a candidate (sums over its present columns) |
/// |---|---|---|
/// | `Simple` | [`simple_mean`] | `Σ x_s / m` |
/// | `Weighted` | [`weighted_mean`] | `Σ w_s x_s / Σ w_s` |
/// | `CombSum` | [`comb_sum`] | `Σ w_s x_s` |
/// | `CombMnz` | [`comb_mnz`] | `Σ w_s x_s × #{s : x_s > 0}` |
/// | `CombMax` | [`comb_max`] | `max_s w_s x_s` |
/// | `Rrf` | [`rrf`] | `Σ w_s / (k + r_s)` |
/// | `Borda` | [`borda_fuse`] | `Σ w_s (N - r_s + 1) / N` |
/// | `Stacking` | [`stacking`] | `bias + Σ (coef_s x_s + present_coef_s)` |
///
/// The rank-based methods (`Rrf`, `Borda`) rank the **raw** columns and ignore the normalisation:
/// every normalisation is monotone, so the ranks would be the same, except where a normalisation
/// rounds distinct raw scores to one `f32` (or flattens them, like z-score of a constant column),
/// which would turn an order into a tie broken by input position.
///
/// `config.renormalize_missing` applies to `Simple` and `Weighted`; `config.rrf_k` to `Rrf`;
/// `config.stacking` to `Stacking`. The config is expected to be validated
/// ([`FusionConfig::validate`]); if it is not, nothing panics (see each method for its fallbacks).
///
/// With `explain`, [`Fused::contributions`] holds one [`PerSignal`] per candidate.
///
/// Cost, per column with a weight > 0: one pass to read it, one for its statistics (two for sum and
/// z-score; a radix sort for rank, Borda and the rank-based methods), then one branch-free pass per
/// accumulator of the method (the score-based normalisations are folded into the method's
/// per-column coefficients, never materialised). A few vectors per column, no allocation per
/// candidate.
pub fn fuse(config: &FusionConfig, columns: &Columns, explain: bool) -> Fused {
    let len = columns.len();
    let cols = Signal::ALL.into_iter().map(|s| (s, dense(columns.column(s), len))).collect();
    fuse_dense(config, cols, len, explain)
}

/// [`fuse`] of dense columns (`len` values each, NaN = missing or non-finite), given as `(signal,
/// values)` in [`Signal::ALL`] order; the columns of inactive signals (weight 0) may be left out.
/// What the rerank pipeline calls: the scorers fill dense columns directly. Not inlined, so that
/// `scripts/rerank-instructions.sh` can count fusion on its own.
#[inline(never)]
pub(crate) fn fuse_dense(config: &FusionConfig, columns: Vec<(Signal, Vec<f32>)>, len: usize, explain: bool) -> Fused {
    let kind = column_normalization(config);
    let cols: Vec<Dense> = columns
        .into_iter()
        .filter(|&(s, _)| is_active(config.weight(s)))
        .map(|(s, mut values)| {
            // A column without any present value is kept empty: every method skips it (its loops
            // zip with the values) while it still counts among the active columns (the
            // denominators of `simple` and `weighted` without renormalisation).
            if values.iter().all(|x| x.is_nan()) {
                values.clear();
            } else {
                values.resize(len, f32::NAN);
            }
            prepare_values(s, config.weight(s), kind, values)
        })
        .collect();
    fuse_prepared(config, &cols, len, explain, &|c| Cow::Owned(rank_order(&c.values)))
}

/// The normalisation the columns get before `config.method`: none for the rank-based methods (see
/// [`fuse`]), `config.normalization` otherwise.
fn column_normalization(config: &FusionConfig) -> Normalization {
    if matches!(config.method, Method::Rrf | Method::Borda) {
        Normalization::None
    } else {
        config.normalization
    }
}

/// `config.method` over prepared columns (every active signal once, in [`Signal::ALL`] order);
/// `order` gives the [`rank_order`] of a column's values, for the rank-based methods.
fn fuse_prepared<'o>(
    config: &FusionConfig,
    cols: &[Dense<'_>],
    len: usize,
    explain: bool,
    order: &dyn Fn(&Dense<'_>) -> Cow<'o, [usize]>,
) -> Fused {
    match config.method {
        Method::Simple => simple::simple_dense(cols, len, config.renormalize_missing, explain),
        Method::Weighted => weighted::weighted_dense(cols, len, config.renormalize_missing, explain),
        Method::CombSum => comb_sum::comb_sum_dense(cols, len, explain),
        Method::CombMnz => comb_mnz::comb_mnz_dense(cols, len, explain),
        Method::CombMax => comb_max::comb_max_dense(cols, len, explain),
        Method::Rrf => rrf::rrf_dense(cols, len, config.rrf_k, explain, order),
        Method::Borda => borda::borda_dense(cols, len, explain, order),
        Method::Stacking => stacking::stacking_dense(cols, len, &config.stacking, explain),
    }
}

/// Ordinal ranks of a column: 1 for the highest score (by [`f32::total_cmp`], descending), ties
/// broken by input position (the earlier candidate gets the better rank), `None` (and NaN, ±∞) stays
/// `None` and takes no rank. Ranks of the present values are exactly `1..=n`.
///
/// ```
/// use recofuse_core::fusion::ordinal_ranks;
/// let ranks = ordinal_ranks(&[Some(0.5), None, Some(0.9), Some(0.5)]);
/// assert_eq!(ranks, vec![Some(2), None, Some(1), Some(3)]);
/// ```
pub fn ordinal_ranks(column: &[Option<f32>]) -> Vec<Option<u32>> {
    let mut out = vec![None; column.len()];
    for (r, pos) in rank_order(&dense(column, column.len())).into_iter().enumerate() {
        if let Some(slot) = out.get_mut(pos) {
            *slot = Some(u32::try_from(r + 1).unwrap_or(u32::MAX));
        }
    }
    out
}

// ------------------------------------------------------------------------------------------------
// Internals. Columns are handled "dense": a `Vec<f32>` per column with NaN for an absent value, so
// the hot loops are branch-free (absent values are frequent and unpredictable) and vectorisable.

/// A column ready for a method: signal, weight (> 0), values (NaN = absent, exactly `len` of them,
/// or none at all for a column absent for every candidate) and the affine normalisation still to
/// apply to them. The score-based normalisations are never materialised: the methods fold the map
/// into their per-column coefficients.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Dense<'a> {
    pub signal: Signal,
    pub w: f64,
    /// Owned, or borrowed from a [`FusionPlan`] that prepared the column once for many fusions.
    pub values: Cow<'a, [f32]>,
    pub map: Affine,
}

impl Dense<'_> {
    /// A column whose values are final (identity map).
    pub(crate) fn plain(signal: Signal, w: f64, values: Vec<f32>) -> Dense<'static> {
        Dense { signal, w, values: Cow::Owned(values), map: Affine::IDENTITY }
    }

    /// The normalised value of a stored value (NaN stays NaN).
    #[inline]
    pub(crate) fn y(&self, x: f32) -> f64 {
        self.map.apply(f64::from(x))
    }
}

/// A column as `len` values, NaN for absent or non-finite ones (and for rows beyond the column).
pub(crate) fn dense(column: &[Option<f32>], len: usize) -> Vec<f32> {
    let mut out: Vec<f32> = column.iter().take(len).map(|v| value_or_nan(*v)).collect();
    out.resize(len, f32::NAN);
    out
}

/// The active inputs (weight finite and > 0) as dense columns, in [`Signal::ALL`] order (stable).
pub(crate) fn dense_of(inputs: &[FusionInput<'_>], len: usize) -> Vec<Dense<'static>> {
    let mut cols: Vec<Dense<'static>> = inputs
        .iter()
        .filter(|c| is_active(c.weight))
        .map(|c| Dense::plain(c.signal, f64::from(c.weight), dense(c.values, len)))
        .collect();
    crate::sort::sort_any_by(&mut cols, |a, b| a.signal.cmp(&b.signal));
    cols
}

/// Prepares one column for the methods: dense values plus the normalisation (an affine map for the
/// score-based normalisations, materialised values for the rank-based ones).
pub(crate) fn prepare(
    signal: Signal,
    weight: f32,
    kind: Normalization,
    column: &[Option<f32>],
    len: usize,
) -> Dense<'static> {
    prepare_values(signal, weight, kind, dense(column, len))
}

/// [`prepare`] of a column already dense (NaN = absent, every other value finite).
pub(crate) fn prepare_values(signal: Signal, weight: f32, kind: Normalization, values: Vec<f32>) -> Dense<'static> {
    let w = f64::from(weight);
    match score_map(kind, &values) {
        Some(map) => Dense { signal, w, values: Cow::Owned(values), map },
        None => Dense::plain(signal, w, rank_normalized(kind, &rank_order(&values), values.len())),
    }
}

/// The affine map of a score-based normalisation of a dense column (the identity when nothing is
/// present: every value is NaN already); `None` for the rank-based ones ([`rank_normalized`]).
fn score_map(kind: Normalization, values: &[f32]) -> Option<Affine> {
    let map = match kind {
        Normalization::None => Some(Affine::IDENTITY),
        Normalization::MinMax => norm_minmax::min_max_map(values),
        Normalization::Max => norm_max::max_map(values),
        Normalization::Sum => norm_sum::sum_map(values),
        Normalization::ZScore => norm_zscore::zmuv_map(values),
        Normalization::Rank | Normalization::Borda => return None,
    };
    Some(map.unwrap_or(Affine::IDENTITY))
}

/// The values of a rank-based normalisation (`Rank` or `Borda`; the others give their ranks as
/// `Rank`) of a column of `len` values whose [`rank_order`] is `order`.
fn rank_normalized(kind: Normalization, order: &[usize], len: usize) -> Vec<f32> {
    if kind == Normalization::Borda {
        norm_borda::borda_values(order, len)
    } else {
        norm_rank::rank_values(order, len)
    }
}

/// Positions of the present values, best first: score descending by [`f32::total_cmp`], ties by
/// position.
pub(crate) fn rank_order(values: &[f32]) -> Vec<usize> {
    if u32::try_from(values.len()).is_err() {
        // More than 2^32 candidates (64-bit targets only): a comparison sort on wide keys.
        let mut keys: Vec<(u32, usize)> =
            values.iter().enumerate().filter(|(_, x)| !x.is_nan()).map(|(i, x)| (desc_key(*x), i)).collect();
        crate::sort::sort(&mut keys);
        return keys.into_iter().map(|(_, i)| i).collect();
    }
    // (descending key, position), in position order.
    let keys: Vec<(u64, u32)> =
        values.iter().zip(0u32..).filter(|(x, _)| !x.is_nan()).map(|(x, i)| (u64::from(desc_key(*x)), i)).collect();
    let sorted = if keys.len() < 128 {
        let mut keys = keys;
        crate::sort::sort(&mut keys); // unique keys (the position is part of them): deterministic
        keys
    } else {
        radix_sort(keys)
    };
    sorted.into_iter().map(|(_, i)| i as usize).collect()
}

/// Stable LSD radix sort by the first field (8 bits per pass, the eight histograms counted in one
/// read; passes where every key shares the digit, such as the high bytes of a 32-bit key, are
/// skipped): equal keys keep their order, i.e. the position order of [`rank_order`] and
/// [`crate::rules::order`].
pub(crate) fn radix_sort(mut src: Vec<(u64, u32)>) -> Vec<(u64, u32)> {
    // Digits by shifts (not through a byte array indexed by the pass, which at opt-level "z" is
    // spilled to memory for every element).
    let mut counts = [[0u32; 256]; 8];
    for &(k, _) in &src {
        let mut k = k;
        for c in &mut counts {
            c[(k & 0xff) as usize] += 1;
            k >>= 8;
        }
    }
    let n = u32::try_from(src.len()).unwrap_or(u32::MAX);
    let mut dst = vec![(0u64, 0u32); src.len()];
    for (pass, c) in counts.iter().enumerate() {
        if c.contains(&n) {
            continue;
        }
        let mut next = [0u32; 256];
        let mut total = 0;
        for (n, &c) in next.iter_mut().zip(c) {
            *n = total;
            total += c;
        }
        let shift = 8 * pass as u32;
        for &(k, i) in &src {
            let slot = &mut next[((k >> shift) & 0xff) as usize];
            if let Some(d) = dst.get_mut(*slot as usize) {
                *d = (k, i);
            }
            *slot += 1;
        }
        std::mem::swap(&mut src, &mut dst);
    }
    src
}

/// For the rank-based methods: the dense column (`len` values) of `term(rank)` (1-based ordinal rank
/// from the column's [`rank_order`]), NaN where absent.
pub(crate) fn rank_terms(order: &[usize], len: usize, term: impl Fn(f64) -> f32) -> Vec<f32> {
    let mut out = vec![f32::NAN; len];
    for (r, &pos) in order.iter().enumerate() {
        if let Some(slot) = out.get_mut(pos) {
            *slot = term(r as f64 + 1.0);
        }
    }
    out
}

/// For the rank-based normalisations: the dense column (`len` values) of `term(rank, n)`
/// (1-based ordinal rank among the `n` present values, from the column's [`rank_order`]), NaN where
/// absent.
pub(crate) fn rank_values_with(order: &[usize], len: usize, term: impl Fn(f64, f64) -> f64) -> Vec<f32> {
    let n = order.len() as f64;
    let mut out = vec![f32::NAN; len];
    for (r, &pos) in order.iter().enumerate() {
        if let Some(slot) = out.get_mut(pos) {
            *slot = to_f32(term(r as f64 + 1.0, n));
        }
    }
    out
}

/// A key whose ascending unsigned order is the **descending** [`f32::total_cmp`] order of `x`.
pub(crate) fn desc_key(x: f32) -> u32 {
    let b = x.to_bits();
    // Ascending total order: flip all bits of negatives, set the sign bit of positives.
    let asc = if b & 0x8000_0000 != 0 { !b } else { b | 0x8000_0000 };
    !asc
}

/// The value if present and finite, NaN otherwise.
#[inline]
pub(crate) fn value_or_nan(v: Option<f32>) -> f32 {
    let x = v.unwrap_or(f32::NAN);
    if x.is_finite() {
        x
    } else {
        f32::NAN
    }
}

/// Whether a weight makes its column take part.
#[inline]
pub(crate) fn is_active(weight: f32) -> bool {
    weight.is_finite() && weight > 0.0
}

/// `f64 -> f32`, clamped to the finite range, NaN as 0, `-0.0` as `0.0`.
#[inline]
pub(crate) fn to_f32(x: f64) -> f32 {
    let y = x as f32; // saturates to ±∞ out of range
    if y.is_finite() {
        y + 0.0
    } else if x > 0.0 {
        f32::MAX
    } else if x < 0.0 {
        f32::MIN
    } else {
        0.0
    }
}

/// Lanes of the reductions below: independent accumulators break the dependency chains and let the
/// compiler vectorise (the combination order is fixed, so the results are deterministic).
const LANES: usize = 16;

/// Minimum and maximum of the present values of a dense column (`None` when none is present).
pub(crate) fn min_max(values: &[f32]) -> Option<(f64, f64)> {
    // `if x < lo { x } else { lo }`: a comparison with NaN (absent) is false, so it keeps the
    // accumulator, and in this shape (four named lanes) it compiles to one `minps` per 4 values.
    // `f32::min` ignores NaN as well but must also handle a NaN accumulator (3 more instructions
    // per 4 values); arrays of lanes make LLVM's SLP vectoriser emit shuffles. The result is the
    // same set minimum (up to the sign of a zero, which no normalisation map tells apart).
    #[inline(always)]
    fn below(x: f32, lo: f32) -> f32 {
        if x < lo {
            x
        } else {
            lo
        }
    }
    #[inline(always)]
    fn above(x: f32, hi: f32) -> f32 {
        if x > hi {
            x
        } else {
            hi
        }
    }
    let [mut l0, mut l1, mut l2, mut l3] = [f32::INFINITY; 4];
    let [mut h0, mut h1, mut h2, mut h3] = [f32::NEG_INFINITY; 4];
    let mut chunks = values.chunks_exact(4);
    for chunk in &mut chunks {
        if let &[a, b, c, d] = chunk {
            (l0, l1, l2, l3) = (below(a, l0), below(b, l1), below(c, l2), below(d, l3));
            (h0, h1, h2, h3) = (above(a, h0), above(b, h1), above(c, h2), above(d, h3));
        }
    }
    let (mut min, mut max) = (l0.min(l1).min(l2.min(l3)), h0.max(h1).max(h2.max(h3)));
    for &x in chunks.remainder() {
        min = below(x, min);
        max = above(x, max);
    }
    (min <= max).then_some((f64::from(min), f64::from(max)))
}

/// `(n, Σ f(x))` over the present values of a dense column, `f` in `f64`.
pub(crate) fn count_sum(values: &[f32], f: impl Fn(f64) -> f64) -> (usize, f64) {
    let (mut n, mut sum) = ([0usize; LANES], [0.0f64; LANES]);
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for ((&x, n), s) in chunk.iter().zip(&mut n).zip(&mut sum) {
            let ok = !x.is_nan();
            *n += usize::from(ok);
            *s += if ok { f(f64::from(x)) } else { 0.0 };
        }
    }
    let (mut n, mut sum) = (n.iter().sum::<usize>(), sum.iter().sum::<f64>());
    for &x in chunks.remainder() {
        let ok = !x.is_nan();
        n += usize::from(ok);
        sum += if ok { f(f64::from(x)) } else { 0.0 };
    }
    (n, sum)
}

/// `x' = (x - shift) / div + offset`: the form of every score-based normalisation. A degenerate
/// column is `div = ∞, offset = constant`. NaN (absent) maps to NaN. Dividing (rather than
/// multiplying by the reciprocal) keeps the end points exact: min-max maps the maximum to exactly 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Affine {
    /// Subtracted first.
    pub shift: f64,
    /// Then divided by (> 0, possibly ∞).
    pub div: f64,
    /// Then added.
    pub offset: f64,
}

impl Affine {
    /// `x' = x` (exactly).
    pub(crate) const IDENTITY: Affine = Affine { shift: 0.0, div: 1.0, offset: 0.0 };

    /// `x' = (x - shift) / div`.
    pub(crate) fn divide(shift: f64, div: f64) -> Affine {
        Affine { shift, div, offset: 0.0 }
    }

    /// `x' = value` for every present (finite) `x`.
    pub(crate) fn constant(value: f64) -> Affine {
        Affine { shift: 0.0, div: f64::INFINITY, offset: value }
    }

    /// Applies the map.
    #[inline]
    pub(crate) fn apply(self, x: f64) -> f64 {
        (x - self.shift) / self.div + self.offset
    }

    /// `(a', b')` with `a'·x + b' = a·apply(x) + b`: folds the map into a linear term (no division
    /// per value in the hot loops).
    pub(crate) fn fold(self, a: f64, b: f64) -> (f64, f64) {
        let scale = a / self.div;
        (scale, b + a * self.offset - scale * self.shift)
    }
}

/// Per candidate, `Σ (a_c · y + b_c)` over the present columns `c`, with `y` the normalised value
/// and `(a_c, b_c) = coef(c)`, and the number of present columns.
pub(crate) fn sum_terms(cols: &[Dense], len: usize, coef: impl Fn(&Dense) -> (f64, f64)) -> (Vec<f64>, Vec<u32>) {
    if all_present(cols, len) {
        // The count is the number of columns present.
        let count = u32::try_from(present_columns(cols).count()).unwrap_or(u32::MAX);
        return (sum_present_columns(cols, len, &coef), vec![count; len]);
    }
    let mut sum = vec![0.0f64; len];
    let mut count = vec![0u32; len];
    for c in cols {
        let (a, b) = coef(c);
        let (a, b) = c.map.fold(a, b);
        add_terms(&mut sum, &c.values, a, b);
        add_counts(&mut count, &c.values);
    }
    (sum, count)
}

/// Whether every column is either present for each of the `len` candidates (no NaN) or absent for
/// all of them (left empty, as a signal the request has nothing in): the common case of known
/// candidates, which [`sum_terms`] and [`sum_terms_and_weights`] sum with [`sum_present_columns`],
/// without testing each value. One vectorised pass over each column (no early exit, which would not
/// vectorise), stopping at the first column with an absent value.
fn all_present(cols: &[Dense], len: usize) -> bool {
    cols.iter().all(|c| {
        c.values.is_empty() || (c.values.len() == len && !c.values.iter().fold(false, |any, x| any | x.is_nan()))
    })
}

/// The columns not left empty, in column order.
fn present_columns<'c>(cols: &'c [Dense<'_>]) -> impl Iterator<Item = &'c Dense<'c>> {
    cols.iter().filter(|c| !c.values.is_empty())
}

/// When [`all_present`]: per candidate, `Σ (a_c · y + b_c)` over the present columns, added in
/// column order from 0.0 without a presence test per value (the same `f64` as the path with them).
fn sum_present_columns(cols: &[Dense], len: usize, coef: &impl Fn(&Dense) -> (f64, f64)) -> Vec<f64> {
    let mut sum = vec![0.0f64; len];
    for c in present_columns(cols) {
        let (a, b) = coef(c);
        let (a, b) = c.map.fold(a, b);
        add_all_terms(&mut sum, &c.values, a, b);
    }
    sum
}

/// The most columns whose presence [`sum_terms_and_weights`] tracks as a bit mask (one per signal).
const MASK_COLUMNS: usize = 8;

/// Per candidate, the sum of [`sum_terms`] and `Σ weight(c)` over its present columns `c` (0.0 when
/// none is present; every weight is expected > 0, so a positive sum means "some column present").
///
/// The weights are summed in column order from 0.0, as a column-by-column accumulation would, but
/// for up to [`MASK_COLUMNS`] columns without touching each candidate once per column: the present
/// columns are recorded as a bit mask per candidate, and the weight sum of every mask is tabulated
/// once (`table[m] = table[m without its highest bit] + weight of that column`, the same additions in
/// the same order, so the same `f64`).
pub(crate) fn sum_terms_and_weights(
    cols: &[Dense],
    len: usize,
    coef: impl Fn(&Dense) -> (f64, f64),
    weight: impl Fn(&Dense) -> f64,
) -> (Vec<f64>, Vec<f64>) {
    if all_present(cols, len) {
        // Every candidate's weight sum is that of the present columns, added in the same order from
        // 0.0 (as the table below would).
        let total = present_columns(cols).fold(0.0f64, |t, c| t + weight(c));
        return (sum_present_columns(cols, len, &coef), vec![total; len]);
    }
    if cols.len() > MASK_COLUMNS {
        let (mut sum, mut weights) = (vec![0.0f64; len], vec![0.0f64; len]);
        for c in cols {
            let (a, b) = coef(c);
            let (a, b) = c.map.fold(a, b);
            add_terms(&mut sum, &c.values, a, b);
            add_terms(&mut weights, &c.values, 0.0, weight(c));
        }
        return (sum, weights);
    }
    let mut sum = vec![0.0f64; len];
    let mut mask = vec![0u8; len];
    for (j, c) in cols.iter().enumerate() {
        let (a, b) = coef(c);
        let (a, b) = c.map.fold(a, b);
        add_terms(&mut sum, &c.values, a, b);
        let bit = 1u8 << j;
        for (m, &x) in mask.iter_mut().zip(c.values.iter()) {
            *m |= if x.is_nan() { 0 } else { bit };
        }
    }
    // By doubling: after column j the table holds every mask of columns 0..=j, and the entries with
    // bit j are those without it plus w_j (the highest column added last).
    let mut table: Vec<f64> = Vec::with_capacity(1 << cols.len());
    table.push(0.0);
    for c in cols {
        let w = weight(c);
        for m in 0..table.len() {
            let t = table.get(m).copied().unwrap_or(0.0) + w;
            table.push(t);
        }
    }
    let weights = mask.iter().map(|&m| table.get(usize::from(m)).copied().unwrap_or(0.0)).collect();
    (sum, weights)
}

/// `sum[i] += a·x_i + b` where `x_i` is present. One accumulator per loop, so that it vectorises.
#[inline]
fn add_terms(sum: &mut [f64], values: &[f32], a: f64, b: f64) {
    for (s, &x) in sum.iter_mut().zip(values) {
        *s += if x.is_nan() { 0.0 } else { a * f64::from(x) + b };
    }
}

/// `sum[i] += a·x_i + b` for columns without an absent value (see [`all_present`]).
#[inline]
fn add_all_terms(sum: &mut [f64], values: &[f32], a: f64, b: f64) {
    for (s, &x) in sum.iter_mut().zip(values) {
        *s += a * f64::from(x) + b;
    }
}

/// `count[i] += 1` where `x_i` is present.
#[inline]
fn add_counts(count: &mut [u32], values: &[f32]) {
    for (n, &x) in count.iter_mut().zip(values) {
        *n += u32::from(!x.is_nan());
    }
}

/// Per candidate, the number of present columns with a normalised value > 0.
pub(crate) fn positives(cols: &[Dense], len: usize) -> Vec<u32> {
    let mut out = vec![0u32; len];
    for c in cols {
        for (o, &x) in out.iter_mut().zip(c.values.iter()) {
            *o += u32::from(c.y(x) > 0.0);
        }
    }
    out
}

/// Scores: `Some(score(i, sum, count))` where at least one column is present (`count` > 0: a number
/// of present columns, or the sum of their positive weights).
pub(crate) fn scores_from<N: Copy + PartialOrd + Default>(
    sum: &[f64],
    count: &[N],
    score: impl Fn(usize, f64, N) -> f64,
) -> Vec<Option<f32>> {
    sum.iter().zip(count).enumerate().map(|(i, (&s, &n))| (n > N::default()).then(|| to_f32(score(i, s, n)))).collect()
}

/// Contributions: `Some(term(i, column, y))` for every present value (`y` normalised).
pub(crate) fn contributions(
    cols: &[Dense],
    len: usize,
    term: impl Fn(usize, &Dense, f64) -> f64,
) -> Vec<PerSignal<Option<f32>>> {
    let mut out = vec![PerSignal([None; Signal::COUNT]); len];
    for c in cols {
        for (i, (o, &x)) in out.iter_mut().zip(c.values.iter()).enumerate() {
            if !x.is_nan() {
                o[c.signal] = Some(to_f32(term(i, c, c.y(x))));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{min_max, prepare_values, sum_terms, sum_terms_and_weights, Dense};
    use crate::config::Normalization;
    use crate::signal::Signal;
    use recofuse_testkit::SplitMix64;

    /// Per candidate, `Σ (a·y + b)` over the present columns in column order from 0.0 (with the
    /// folded coefficients), the number of present columns, and `Σ weight` in the same order.
    fn naive_sums(cols: &[Dense], len: usize) -> (Vec<f64>, Vec<u32>, Vec<f64>) {
        let (mut sum, mut count, mut weights) = (vec![0.0f64; len], vec![0u32; len], vec![0.0f64; len]);
        for i in 0..len {
            for c in cols {
                let Some(&x) = c.values.get(i).filter(|x| !x.is_nan()) else { continue };
                let (a, b) = c.map.fold(c.w, 0.0);
                sum[i] += a * f64::from(x) + b;
                count[i] += 1;
                weights[i] += c.w;
            }
        }
        (sum, count, weights)
    }

    /// The column sums of the methods equal a per-candidate loop bit for bit, both when every
    /// column is present for every candidate or for none (the path without presence tests) and when
    /// values are absent here and there (the path with them).
    #[test]
    fn sums_match_a_per_candidate_loop_with_and_without_absent_values() {
        let mut rng = SplitMix64::new(5);
        for round in 0..60 {
            let len = rng.below(40);
            let with_absent = round % 2 == 1;
            let cols: Vec<Dense> = Signal::ALL
                .into_iter()
                .take(1 + rng.below(Signal::COUNT))
                .map(|signal| {
                    // Some columns absent for every candidate (left empty, as the pipeline does).
                    let values: Vec<f32> = if rng.below(4) == 0 {
                        Vec::new()
                    } else {
                        (0..len)
                            .map(|_| {
                                if with_absent && rng.below(3) == 0 {
                                    f32::NAN
                                } else {
                                    (rng.next_f32() - 0.3) * 10.0
                                }
                            })
                            .collect()
                    };
                    let weight = 0.25 + rng.next_f32() * 3.0;
                    prepare_values(signal, weight, Normalization::MinMax, values)
                })
                .collect();
            let (sum, count, weights) = naive_sums(&cols, len);
            let context = format!("round {round}, {len} candidates, {} columns", cols.len());
            assert_eq!(sum_terms(&cols, len, |c| (c.w, 0.0)), (sum.clone(), count), "{context}");
            assert_eq!(sum_terms_and_weights(&cols, len, |c| (c.w, 0.0), |c| c.w), (sum, weights), "{context}");
        }
    }

    /// The four-lane minimum and maximum equal a plain fold over the present values, for every length
    /// (whole groups of four and remainders), absent values anywhere (leading, in one lane only, all),
    /// negative values and infinities.
    #[test]
    fn min_max_matches_a_fold_over_present_values() {
        let mut rng = SplitMix64::new(11);
        for n in 0..=41 {
            for round in 0..20 {
                let values: Vec<f32> = (0..n)
                    .map(|i| match (round, rng.below(6)) {
                        (0, _) => f32::NAN,
                        (1, _) if i % 4 != 3 => f32::NAN,
                        (_, 0) => f32::NAN,
                        (_, 1) if round % 5 == 0 => f32::NEG_INFINITY,
                        _ => (rng.next_f32() - 0.5) * 1e3,
                    })
                    .collect();
                let present: Vec<f32> = values.iter().copied().filter(|x| !x.is_nan()).collect();
                let expected = (!present.is_empty()).then(|| {
                    let min = present.iter().copied().fold(f32::INFINITY, f32::min);
                    let max = present.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    (f64::from(min), f64::from(max))
                });
                assert_eq!(min_max(&values), expected, "length {n}, round {round}: {values:?}");
            }
        }
    }
}
