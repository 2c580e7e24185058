//! Max normalisation.

use super::norm_minmax::min_max_map;
use super::{min_max, normalize, Affine};
use crate::config::Normalization;

/// Max normalisation: `x' = x / max` over the present values (ranx's `max` norm), so the best
/// present value maps to 1 and ratios between scores are kept (a score of 0 stays 0). Suited to
/// non-negative scores such as popularity counts or co-occurrence sums.
///
/// When `max <= 0` (every present value is zero or negative) dividing would reverse the order or
/// divide by zero, so the column falls back to [`super::min_max_norm`] (which maps a constant column to 1.0).
/// When `max > 0` but some values are negative, they map to negative values (order kept).
///
/// ```
/// use recofuse_core::fusion::max_norm;
/// assert_eq!(max_norm(&[Some(2.0), None, Some(8.0), Some(0.0)]), vec![Some(0.25), None, Some(1.0), Some(0.0)]);
/// assert_eq!(max_norm(&[Some(-3.0), Some(-1.0)]), vec![Some(0.0), Some(1.0)]); // fallback: min-max
/// ```
pub fn max_norm(column: &[Option<f32>]) -> Vec<Option<f32>> {
    normalize(Normalization::Max, column)
}

/// The map of [`max_norm`] for a dense column (`None` when nothing is present).
pub(crate) fn max_map(values: &[f32]) -> Option<Affine> {
    let (_, max) = min_max(values)?;
    if max > 0.0 {
        Some(Affine::divide(0.0, max))
    } else {
        min_max_map(values)
    }
}
