//! Rank normalisation.

use super::{normalize, rank_values_with};
use crate::config::Normalization;

/// Rank normalisation (Renda & Straccia, *Web metasearch: rank vs. score based rank aggregation
/// methods*, SAC 2003; ranx's `rank` norm): the scores are replaced by `x' = (n - r + 1) / n`, with `r`
/// the ordinal rank of the value among the `n` present values ([`super::ordinal_ranks`]: descending,
/// ties by input position). The best maps to 1, the worst to `1/n`; never 0, so every present value
/// counts for [`super::comb_mnz`].
///
/// Tied scores get distinct values (the earlier candidate ranks first); a single present value maps
/// to 1.0.
///
/// ```
/// use recofuse_core::fusion::rank_norm;
/// assert_eq!(rank_norm(&[Some(0.1), None, Some(0.7), Some(0.4), Some(0.2)]),
///            vec![Some(0.25), None, Some(1.0), Some(0.75), Some(0.5)]);
/// ```
pub fn rank_norm(column: &[Option<f32>]) -> Vec<Option<f32>> {
    normalize(Normalization::Rank, column)
}

/// [`rank_norm`] of a dense column of `len` values whose [`super::rank_order`] is `order`.
pub(crate) fn rank_values(order: &[usize], len: usize) -> Vec<f32> {
    rank_values_with(order, len, |r, n| (n - r + 1.0) / n)
}
