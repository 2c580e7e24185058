//! Borda fuse.

use super::comb_sum::comb_sum_dense;
use std::borrow::Cow;

use super::{dense_of, rank_terms, to_f32, Dense, Fused, FusionInput};

/// Borda fuse (Aslam & Montague, *Models for metasearch*, SIGIR 2001), weighted: with `N` candidates,
/// each column (voter) gives `N - r + 1` points to the candidate it ranks `r`-th (ordinal rank among
/// its present values, [`super::ordinal_ranks`]: ties by input position), so its best gets `N`
/// points; the points are scaled by `1 / N` to keep the score in `[0, Σ w_s]` whatever the list
/// length (the order is unchanged): `score = Σ_present w_s · (N - r_s + 1) / N`.
///
/// A candidate absent from a column gets **no points** from it. Aslam & Montague (and ranx) share the
/// remaining points `(N - n_s + 1) / 2` equally among the unranked candidates instead; we do not,
/// because a missing score must not turn into an invented one. Every ranked candidate of a column
/// still gets more points than an unranked one (at least `N - n_s + 1 >= 1`), as in the paper.
///
/// The inputs are ranked as given: [`super::fuse`] passes the raw columns.
///
/// Contributions: `w_s · (N - r_s + 1) / N`; they sum to the score.
///
/// ```
/// use recofuse_core::fusion::{borda_fuse, FusionInput};
/// use recofuse_core::Signal;
///
/// let a = [Some(0.9), Some(0.1), Some(0.5)];
/// let b = [None, Some(7.0), Some(3.0)];
/// let inputs = [
///     FusionInput { signal: Signal::ItemCf, weight: 1.0, values: &a },
///     FusionInput { signal: Signal::Server, weight: 2.0, values: &b },
/// ];
/// let fused = borda_fuse(&inputs, 3, false);
/// let n = 3.0;
/// let expected = [(n - 1.0 + 1.0) / n, (n - 3.0 + 1.0) / n + 2.0 * (n - 1.0 + 1.0) / n, (n - 2.0 + 1.0) / n + 2.0 * (n - 2.0 + 1.0) / n];
/// for (got, want) in fused.scores.iter().zip(expected) {
///     assert!((got.unwrap() - want).abs() < 1e-6);
/// }
/// ```
pub fn borda_fuse(inputs: &[FusionInput<'_>], len: usize, explain: bool) -> Fused {
    borda_dense(&dense_of(inputs, len), len, explain, &|c| Cow::Owned(super::rank_order(&c.values)))
}

/// The points [`borda_fuse`] gives a candidate of ordinal rank `rank` (1 = best) in a column of weight
/// `weight` among `candidates` candidates: `weight · (N - rank + 1) / N`, stored as `f32`.
/// [`borda_fuse`] is [`super::comb_sum`] of these points with weight 1.
///
/// ```
/// assert_eq!(recofuse_core::fusion::borda_term(1.0, 4, 1), 1.0);
/// ```
pub fn borda_term(weight: f32, candidates: usize, rank: u32) -> f32 {
    borda_term_f64(f64::from(weight), candidates, f64::from(rank))
}

fn borda_term_f64(weight: f64, candidates: usize, rank: f64) -> f32 {
    let n = candidates as f64;
    to_f32(weight * (n - rank + 1.0) / n)
}

/// [`borda_fuse`] of prepared (raw) columns, `order` giving each column's [`super::rank_order`].
pub(crate) fn borda_dense<'o>(
    cols: &[Dense],
    len: usize,
    explain: bool,
    order: &dyn Fn(&Dense) -> Cow<'o, [usize]>,
) -> Fused {
    let terms: Vec<Dense> = cols
        .iter()
        .map(|c| Dense::plain(c.signal, 1.0, rank_terms(&order(c), c.values.len(), |r| borda_term_f64(c.w, len, r))))
        .collect();
    comb_sum_dense(&terms, len, explain)
}
