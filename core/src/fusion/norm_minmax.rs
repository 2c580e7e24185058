//! Min-max ("standard") normalisation.

use super::{min_max, normalize, Affine};
use crate::config::Normalization;

/// Min-max normalisation, the "Standard" scheme of Montague & Aslam, *Relevance score normalization
/// for metasearch* (CIKM 2001), used by Lee (1997) for CombSUM/CombMNZ:
/// `x' = (x - min) / (max - min)`, over the present values of the column, so the best present value
/// maps to 1 and the worst to 0.
///
/// Degenerate column (`max == min`, including a single present value): every present value maps to
/// **1.0**. They are all equally "the best" this signal can say; 0.0 would make [`super::comb_mnz`]
/// count them as non-scoring (ranx divides by `max(max - min, 1e-9)` instead, which gives 0.0).
///
/// ```
/// use recofuse_core::fusion::min_max_norm;
/// assert_eq!(min_max_norm(&[Some(2.0), None, Some(6.0), Some(3.0)]), vec![Some(0.0), None, Some(1.0), Some(0.25)]);
/// assert_eq!(min_max_norm(&[Some(5.0), Some(5.0)]), vec![Some(1.0), Some(1.0)]);
/// ```
pub fn min_max_norm(column: &[Option<f32>]) -> Vec<Option<f32>> {
    normalize(Normalization::MinMax, column)
}

/// The map of [`min_max_norm`] for a dense column (`None` when nothing is present).
pub(crate) fn min_max_map(values: &[f32]) -> Option<Affine> {
    let (min, max) = min_max(values)?;
    Some(if max > min { Affine::divide(min, max - min) } else { Affine::constant(1.0) })
}
