//! Item-based collaborative filtering (Sarwar et al. 2001; Deshpande & Karypis 2004, "Item-based
//! top-N recommendation algorithms"): score(c) = Σ_h w_h · sim(h, c), summed over the history items h
//! with their event-type weight and time decay, `sim` from the bundle's top-K neighbour lists.

use super::Accumulator;
use crate::model::Csr;

/// Adds `Σ_h w_h · sim(h, c)` to `acc` for every neighbour `c` of the history items `h`: `cf` holds
/// the neighbour lists (row = item), `weights` the history's `(item, weight)` pairs
/// ([`crate::history::Digest::weights`]).
///
/// ```
/// use recofuse_core::model::Csr;
/// use recofuse_core::scorers::{item_cf, Accumulator};
/// let cf = Csr::from_rows(&[vec![(1, 0.5), (2, 0.25)], vec![(2, 1.0)], vec![]]);
/// let mut acc = Accumulator::new(3);
/// item_cf(&cf, &[(0, 2.0), (1, 1.0)], &mut acc);
/// assert_eq!(acc.values(), &[0.0, 1.0, 1.5]);
/// ```
pub fn item_cf(cf: &Csr, weights: &[(u32, f32)], acc: &mut Accumulator) {
    for &(h, w) in weights {
        let (idx, sims) = cf.row(h as usize);
        for (&c, &s) in idx.iter().zip(sims) {
            acc.add(c, w * s);
        }
    }
}
