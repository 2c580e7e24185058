//! CombMAX.

use super::{contributions, dense_of, to_f32, Dense, Fused, FusionInput};
use crate::signal::Signal;

/// CombMAX (Fox & Shaw, *Combination of multiple searches*, TREC-2 1994): the highest present
/// weighted score of the candidate, `score = max_present w_s · x_s` (weights as multipliers, as in
/// [`super::comb_sum`]; with every weight 1 it is the classic CombMAX).
///
/// Contributions: the column reaching the maximum carries the whole score (on ties, the first in
/// [`Signal::ALL`] order), the other present columns `Some(0.0)`; so they too sum to the score.
///
/// ```
/// use recofuse_core::fusion::{comb_max, FusionInput};
/// use recofuse_core::Signal;
///
/// let a = [Some(0.5), Some(0.2)];
/// let b = [Some(0.25), None];
/// let inputs = [
///     FusionInput { signal: Signal::ItemCf, weight: 1.0, values: &a },
///     FusionInput { signal: Signal::Server, weight: 4.0, values: &b },
/// ];
/// let fused = comb_max(&inputs, 2, true);
/// assert_eq!(fused.scores, vec![Some(4.0 * 0.25), Some(0.2)]);
/// let parts = fused.contributions.unwrap();
/// assert_eq!((parts[0][Signal::ItemCf], parts[0][Signal::Server]), (Some(0.0), Some(1.0)));
/// ```
pub fn comb_max(inputs: &[FusionInput<'_>], len: usize, explain: bool) -> Fused {
    comb_max_dense(&dense_of(inputs, len), len, explain)
}

/// [`comb_max`] of prepared columns (in [`Signal::ALL`] order).
pub(crate) fn comb_max_dense(cols: &[Dense], len: usize, explain: bool) -> Fused {
    // Per candidate: best weighted score and the index of its signal (COUNT = nothing present).
    // Columns come in Signal::ALL order and only a strictly greater value replaces the best, so ties
    // go to the first signal. An absent value (NaN) never compares greater.
    let mut best = vec![f64::NEG_INFINITY; len];
    let mut arg = vec![Signal::COUNT; len];
    for c in cols {
        let s = c.signal.index();
        for ((b, a), &x) in best.iter_mut().zip(arg.iter_mut()).zip(c.values.iter()) {
            let y = c.w * c.y(x);
            let better = y > *b;
            *b = if better { y } else { *b };
            *a = if better { s } else { *a };
        }
    }
    let scores = best.iter().zip(&arg).map(|(&y, &s)| (s < Signal::COUNT).then(|| to_f32(y))).collect();
    let contributions = explain.then(|| {
        contributions(cols, len, |i, c, _| {
            if arg.get(i) == Some(&c.signal.index()) {
                best.get(i).copied().unwrap_or(0.0)
            } else {
                0.0
            }
        })
    });
    Fused { scores, contributions }
}
