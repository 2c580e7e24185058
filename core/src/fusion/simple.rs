//! Simple average.

use super::{contributions, dense_of, scores_from, sum_terms_and_weights, Dense, Fused, FusionInput};

/// Simple average of the present normalised scores, the unweighted linear combination (Fox & Shaw's
/// CombSUM divided by the number of columns, i.e. CombANZ when missing columns are renormalised):
/// `score = Σ_present x_s / m`, with
/// - `m` = the number of present columns when `renormalize_missing`, or
/// - `m` = the number of columns with a weight > 0 (the inputs, present or not) otherwise.
///
/// The weights are ignored except that a column of weight 0 is excluded entirely (it is neither
/// summed nor counted).
///
/// Contributions: `x_s / m`; they sum to the score.
///
/// ```
/// use recofuse_core::fusion::{simple_mean, FusionInput};
/// use recofuse_core::Signal;
///
/// let a = [Some(0.5), Some(1.0)];
/// let b = [Some(1.0), None];
/// let inputs = [
///     FusionInput { signal: Signal::ItemCf, weight: 3.0, values: &a },
///     FusionInput { signal: Signal::Server, weight: 1.0, values: &b },
/// ];
/// assert_eq!(simple_mean(&inputs, 2, true, false).scores, vec![Some((0.5 + 1.0) / 2.0), Some(1.0)]);
/// assert_eq!(simple_mean(&inputs, 2, false, false).scores, vec![Some((0.5 + 1.0) / 2.0), Some(1.0 / 2.0)]);
/// ```
pub fn simple_mean(inputs: &[FusionInput<'_>], len: usize, renormalize_missing: bool, explain: bool) -> Fused {
    simple_dense(&dense_of(inputs, len), len, renormalize_missing, explain)
}

/// [`simple_mean`] of prepared columns.
pub(crate) fn simple_dense(cols: &[Dense], len: usize, renormalize_missing: bool, explain: bool) -> Fused {
    // The "weight" of each present column is 1: `count` is the number of present columns (exact).
    let (sum, count) = sum_terms_and_weights(cols, len, |_| (1.0, 0.0), |_| 1.0);
    let total = cols.len() as f64;
    let den_of = |n: f64| if renormalize_missing { n } else { total };
    let den = |i: usize| den_of(count.get(i).copied().unwrap_or(total));
    let scores = scores_from(&sum, &count, |_, s, n| s / den_of(n));
    let contributions = explain.then(|| contributions(cols, len, |i, _, y| y / den(i)));
    Fused { scores, contributions }
}
