//! Borda normalisation.

use super::{normalize, rank_values_with};
use crate::config::Normalization;

/// Borda normalisation: the Borda count `n - r` of each present value (the number of present values it
/// beats, `r` its ordinal rank among the `n` present values, ties by input position) scaled to
/// `[0, 1]`: `x' = (n - r) / (n - 1)`. The best maps to 1, the worst to 0.
///
/// Renda & Straccia (*Web metasearch: rank vs. score based rank aggregation methods*, SAC 2003) use
/// Borda points as a rank-based score normalisation; their variant `1 - (r - 1) / |U|` over the
/// union `U` of candidates (also ranx's `borda` norm, which gives unranked candidates the average
/// of the remaining points) equals [`super::rank_norm`] here, because `U` is the present values (absent
/// candidates stay `None` instead of receiving points). This form is the Borda count min-max scaled.
///
/// A single present value maps to 1.0 (it beats nobody but is the best; `n - 1 = 0`).
///
/// ```
/// use recofuse_core::fusion::borda_norm;
/// assert_eq!(borda_norm(&[Some(0.1), None, Some(0.7), Some(0.4)]), vec![Some(0.0), None, Some(1.0), Some(0.5)]);
/// assert_eq!(borda_norm(&[None, Some(3.0)]), vec![None, Some(1.0)]);
/// ```
pub fn borda_norm(column: &[Option<f32>]) -> Vec<Option<f32>> {
    normalize(Normalization::Borda, column)
}

/// [`borda_norm`] of a dense column of `len` values whose [`super::rank_order`] is `order`.
pub(crate) fn borda_values(order: &[usize], len: usize) -> Vec<f32> {
    rank_values_with(order, len, |r, n| if n > 1.0 { (n - r) / (n - 1.0) } else { 1.0 })
}
