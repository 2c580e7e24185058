//! CombSUM.

use super::{contributions, dense_of, scores_from, sum_terms, Dense, Fused, FusionInput};

/// CombSUM (Fox & Shaw, *Combination of multiple searches*, TREC-2 1994): the sum of the present
/// (normalised) scores of a candidate, here with the weights applied as multipliers:
/// `score = Σ_present w_s · x_s`. With every weight 1 it is the classic CombSUM; with weights it is
/// ranx's `wsum`. Absent columns add nothing (no silent 0.0 is stored: a candidate without any
/// present column gets `None`).
///
/// Contributions: `w_s · x_s` per present column; they sum to the score.
///
/// ```
/// use recofuse_core::fusion::{comb_sum, FusionInput};
/// use recofuse_core::Signal;
///
/// let a = [Some(0.5), Some(1.0), None];
/// let b = [Some(1.0), None, None];
/// let inputs = [
///     FusionInput { signal: Signal::ItemCf, weight: 2.0, values: &a },
///     FusionInput { signal: Signal::Server, weight: 1.0, values: &b },
/// ];
/// let fused = comb_sum(&inputs, 3, false);
/// assert_eq!(fused.scores, vec![Some(2.0 * 0.5 + 1.0 * 1.0), Some(2.0 * 1.0), None]);
/// ```
pub fn comb_sum(inputs: &[FusionInput<'_>], len: usize, explain: bool) -> Fused {
    comb_sum_dense(&dense_of(inputs, len), len, explain)
}

/// [`comb_sum`] of prepared columns.
pub(crate) fn comb_sum_dense(cols: &[Dense], len: usize, explain: bool) -> Fused {
    let (sum, count) = sum_terms(cols, len, |c| (c.w, 0.0));
    let scores = scores_from(&sum, &count, |_, s, _| s);
    let contributions = explain.then(|| contributions(cols, len, |_, c, y| c.w * y));
    Fused { scores, contributions }
}
