//! Weighted average.

use super::{contributions, dense_of, scores_from, sum_terms_and_weights, Dense, Fused, FusionInput};

/// Weighted linear combination (Vogt & Cottrell, *Fusion via a linear combination of scores*,
/// Information Retrieval 1(3), 1999): the weighted mean of the present normalised scores,
/// `score = Σ_present w_s · x_s / D`, with
/// - `D = Σ_present w_s` when `renormalize_missing` (a missing column renormalises the remaining
///   weights: the score is a weighted mean of what is known), or
/// - `D = Σ_all w_s` over every column with a weight > 0 (the inputs, present or not) otherwise
///   (a missing column then pulls the score towards 0, as if it had scored 0, without storing a 0).
///
/// Weight 0 is the same as an absent column. Contributions: `w_s · x_s / D`; they sum to the score.
///
/// ```
/// use recofuse_core::fusion::{weighted_mean, FusionInput};
/// use recofuse_core::Signal;
///
/// let a = [Some(0.5), Some(1.0)];
/// let b = [Some(1.0), None];
/// let inputs = [
///     FusionInput { signal: Signal::ItemCf, weight: 3.0, values: &a },
///     FusionInput { signal: Signal::Server, weight: 1.0, values: &b },
/// ];
/// let fused = weighted_mean(&inputs, 2, true, false);
/// assert_eq!(fused.scores, vec![Some((3.0 * 0.5 + 1.0 * 1.0) / 4.0), Some(3.0 * 1.0 / 3.0)]);
/// let fused = weighted_mean(&inputs, 2, false, false);
/// assert_eq!(fused.scores[1], Some(3.0 * 1.0 / 4.0));
/// ```
pub fn weighted_mean(inputs: &[FusionInput<'_>], len: usize, renormalize_missing: bool, explain: bool) -> Fused {
    weighted_dense(&dense_of(inputs, len), len, renormalize_missing, explain)
}

/// [`weighted_mean`] of prepared columns.
pub(crate) fn weighted_dense(cols: &[Dense], len: usize, renormalize_missing: bool, explain: bool) -> Fused {
    let (sum, present) = sum_terms_and_weights(cols, len, |c| (c.w, 0.0), |c| c.w);
    let total: f64 = cols.iter().map(|c| c.w).sum();
    let den_of = |p: f64| if renormalize_missing { p } else { total };
    let den = |i: usize| den_of(present.get(i).copied().unwrap_or(total));
    let scores = scores_from(&sum, &present, |_, s, p| s / den_of(p));
    let contributions = explain.then(|| contributions(cols, len, |i, c, y| c.w * y / den(i)));
    Fused { scores, contributions }
}
