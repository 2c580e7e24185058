//! Z-score (ZMUV) normalisation.

use super::{count_sum, min_max, normalize, Affine};
use crate::config::Normalization;

/// Z-score normalisation, "ZMUV" (zero mean, unit variance) in Montague & Aslam, *Relevance score
/// normalization for metasearch* (CIKM 2001): `x' = (x - mean) / std` with the mean and the
/// **population** standard deviation (divide by `n`, as numpy's default used by ranx) of the present
/// values. Results are unbounded and about half are negative, which matters for
/// [`super::comb_mnz`] (only values > 0 count) and [`super::comb_max`].
///
/// Degenerate column (`std == 0`: all present values equal, including a single one): every present
/// value maps to 0.0 (it is exactly at the mean; ranx divides by `max(std, 1e-9)`, which gives the same).
///
/// ```
/// use recofuse_core::fusion::zmuv_norm;
/// // mean 4, population std sqrt(((2-4)² + (6-4)²) / 2) = 2
/// assert_eq!(zmuv_norm(&[Some(2.0), None, Some(6.0)]), vec![Some(-1.0), None, Some(1.0)]);
/// assert_eq!(zmuv_norm(&[Some(3.0)]), vec![Some(0.0)]);
/// ```
pub fn zmuv_norm(column: &[Option<f32>]) -> Vec<Option<f32>> {
    normalize(Normalization::ZScore, column)
}

/// The map of [`zmuv_norm`] for a dense column (`None` when nothing is present).
pub(crate) fn zmuv_map(values: &[f32]) -> Option<Affine> {
    let (min, max) = min_max(values)?;
    let (n, sum) = count_sum(values, |x| x);
    let n = n as f64;
    let mean = sum / n;
    // Second pass for the variance (numerically stable).
    let (_, squares) = count_sum(values, |x| (x - mean) * (x - mean));
    let std = (squares / n).sqrt();
    Some(if std > 0.0 && max > min { Affine::divide(mean, std) } else { Affine::constant(0.0) })
}
