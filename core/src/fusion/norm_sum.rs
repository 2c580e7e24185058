//! Sum normalisation.

use super::{count_sum, min_max, normalize, Affine};
use crate::config::Normalization;

/// Sum normalisation, the "Sum" scheme of Montague & Aslam, *Relevance score normalization for
/// metasearch* (CIKM 2001): shift the minimum to 0, then scale so the present values sum to 1:
/// `x' = (x - min) / Σ_i (x_i - min)` (ranx's `sum` norm is the same formula).
///
/// Shifting first makes the scheme defined for any scores, including negative ones (a plain
/// `x / Σx` would reverse the order when the sum is negative). The minimum maps to 0.
///
/// Degenerate column (all present values equal, including a single one): every present value maps to
/// `1 / n`, the uniform distribution (still summing to 1; ranx gives 0.0).
///
/// ```
/// use recofuse_core::fusion::sum_norm;
/// // min = 1, shifted values 0, 1, 3 (sum 4)
/// assert_eq!(sum_norm(&[Some(1.0), Some(2.0), None, Some(4.0)]), vec![Some(0.0), Some(0.25), None, Some(0.75)]);
/// assert_eq!(sum_norm(&[Some(7.0), Some(7.0)]), vec![Some(0.5), Some(0.5)]);
/// ```
pub fn sum_norm(column: &[Option<f32>]) -> Vec<Option<f32>> {
    normalize(Normalization::Sum, column)
}

/// The map of [`sum_norm`] for a dense column (`None` when nothing is present).
pub(crate) fn sum_map(values: &[f32]) -> Option<Affine> {
    let (min, max) = min_max(values)?;
    // Σ (x_i - min), accumulated directly rather than Σx - n·min (which cancels).
    let (n, total) = count_sum(values, |x| x - min);
    Some(if total > 0.0 && max > min { Affine::divide(min, total) } else { Affine::constant(1.0 / n as f64) })
}
