//! CombMNZ.

use super::{contributions, dense_of, positives, scores_from, sum_terms, Dense, Fused, FusionInput};

/// CombMNZ (Fox & Shaw, *Combination of multiple searches*, TREC-2 1994): CombSUM multiplied by the
/// number of columns that scored the candidate, rewarding candidates several signals agree on:
/// `score = (Σ_present w_s · x_s) · #{s present : x_s > 0}` (weights as in [`super::comb_sum`];
/// ranx's `wmnz`). "Scored" means a present value strictly > 0, the "non-zero similarity" of the
/// paper: with min-max normalisation the minimum of each column (0) does not count, with z-score the
/// below-average values do not. A candidate whose present values are all <= 0 gets 0.
///
/// Contributions: `w_s · x_s · count` per present column; they sum to the score.
///
/// ```
/// use recofuse_core::fusion::{comb_mnz, FusionInput};
/// use recofuse_core::Signal;
///
/// let a = [Some(0.5), Some(0.0)];
/// let b = [Some(0.25), Some(1.0)];
/// let inputs = [
///     FusionInput { signal: Signal::ItemCf, weight: 1.0, values: &a },
///     FusionInput { signal: Signal::Server, weight: 1.0, values: &b },
/// ];
/// let fused = comb_mnz(&inputs, 2, false);
/// assert_eq!(fused.scores, vec![Some((0.5 + 0.25) * 2.0), Some((0.0 + 1.0) * 1.0)]);
/// ```
pub fn comb_mnz(inputs: &[FusionInput<'_>], len: usize, explain: bool) -> Fused {
    comb_mnz_dense(&dense_of(inputs, len), len, explain)
}

/// [`comb_mnz`] of prepared columns.
pub(crate) fn comb_mnz_dense(cols: &[Dense], len: usize, explain: bool) -> Fused {
    let (sum, count) = sum_terms(cols, len, |c| (c.w, 0.0));
    let positive = positives(cols, len);
    let m = |i: usize| f64::from(positive.get(i).copied().unwrap_or(0));
    let scores = scores_from(&sum, &count, |i, s, _| s * m(i));
    let contributions = explain.then(|| contributions(cols, len, |i, c, y| c.w * y * m(i)));
    Fused { scores, contributions }
}
