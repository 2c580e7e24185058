//! Reciprocal rank fusion.

use super::comb_sum::comb_sum_dense;
use std::borrow::Cow;

use super::{dense_of, rank_terms, to_f32, Dense, Fused, FusionInput};

/// The constant `k` of Cormack et al. (2009), used when the configured one is not finite and > 0.
pub const RRF_DEFAULT_K: f32 = 60.0;

/// Reciprocal rank fusion (Cormack, Clarke & Büttcher, *Reciprocal rank fusion outperforms Condorcet
/// and individual rank learning methods*, SIGIR 2009), weighted:
/// `score = Σ_present w_s / (k + r_s)`, with `r_s` the ordinal rank (1 = best,
/// [`super::ordinal_ranks`]: ties by input position) of the candidate among the present values of
/// column `s`. A candidate absent from a column gets nothing from it (as a document missing from a
/// run in the paper).
///
/// The inputs are ranked as given: [`super::fuse`] passes the raw columns (ranks do not depend on a
/// monotone normalisation). `k` must be finite and > 0 ([`crate::FusionConfig::validate`]); any
/// other value falls back to [`RRF_DEFAULT_K`].
///
/// Contributions: `w_s / (k + r_s)`; they sum to the score.
///
/// ```
/// use recofuse_core::fusion::{rrf, FusionInput};
/// use recofuse_core::Signal;
///
/// let a = [Some(0.9), Some(0.1), Some(0.5)];
/// let b = [None, Some(7.0), Some(3.0)];
/// let inputs = [
///     FusionInput { signal: Signal::ItemCf, weight: 1.0, values: &a },
///     FusionInput { signal: Signal::Server, weight: 1.0, values: &b },
/// ];
/// let fused = rrf(&inputs, 3, 60.0, false);
/// let s = |x: Option<f32>| x.unwrap();
/// assert!((s(fused.scores[0]) - 1.0 / (60.0 + 1.0)).abs() < 1e-7);
/// assert!((s(fused.scores[1]) - (1.0 / (60.0 + 3.0) + 1.0 / (60.0 + 1.0))).abs() < 1e-7);
/// assert!((s(fused.scores[2]) - (1.0 / (60.0 + 2.0) + 1.0 / (60.0 + 2.0))).abs() < 1e-7);
/// ```
pub fn rrf(inputs: &[FusionInput<'_>], len: usize, k: f32, explain: bool) -> Fused {
    rrf_dense(&dense_of(inputs, len), len, k, explain, &|c| Cow::Owned(super::rank_order(&c.values)))
}

/// The term [`rrf`] adds for a candidate of ordinal rank `rank` (1 = best) in a column of weight
/// `weight`: `weight / (k + rank)`, stored as `f32` (`k` not finite and > 0 is [`RRF_DEFAULT_K`]).
/// [`rrf`] is [`super::comb_sum`] of these terms with weight 1.
///
/// ```
/// assert_eq!(recofuse_core::fusion::rrf_term(2.0, 60.0, 4), (2.0f64 / 64.0) as f32);
/// ```
pub fn rrf_term(weight: f32, k: f32, rank: u32) -> f32 {
    rrf_term_f64(f64::from(weight), k, f64::from(rank))
}

fn rrf_term_f64(weight: f64, k: f32, rank: f64) -> f32 {
    let k = f64::from(if k.is_finite() && k > 0.0 { k } else { RRF_DEFAULT_K });
    to_f32(weight / (k + rank))
}

/// [`rrf`] of prepared (raw) columns, `order` giving each column's [`super::rank_order`].
pub(crate) fn rrf_dense<'o>(
    cols: &[Dense],
    len: usize,
    k: f32,
    explain: bool,
    order: &dyn Fn(&Dense) -> Cow<'o, [usize]>,
) -> Fused {
    let terms: Vec<Dense> = cols
        .iter()
        .map(|c| Dense::plain(c.signal, 1.0, rank_terms(&order(c), c.values.len(), |r| rrf_term_f64(c.w, k, r))))
        .collect();
    comb_sum_dense(&terms, len, explain)
}
