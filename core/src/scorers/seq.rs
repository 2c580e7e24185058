//! Sequential item-to-item transitions, the sequential variant of item-based CF (a first-order
//! Markov chain over the most recent items, as in Rendle et al. 2010 "Factorizing personalized Markov
//! chains", and the recency-weighted session kNN family, Ludewig & Jannach 2018):
//! score(c) = Σ_j decay^j · T[r_j][c] over the most recent distinct items r_0 (newest), r_1, ….

use super::Accumulator;
use crate::model::Csr;

/// Adds `Σ_j step_decay^j · T[r_j][c]` to `acc`: `transitions` is `T` (row = item), `recent` the most
/// recent distinct history items, newest first ([`crate::history::Digest::recent`]).
///
/// ```
/// use recofuse_core::model::Csr;
/// use recofuse_core::scorers::{sequential, Accumulator};
/// let t = Csr::from_rows(&[vec![(2, 1.0)], vec![(2, 1.0)], vec![]]);
/// let mut acc = Accumulator::new(3);
/// sequential(&t, &[1, 0], 0.5, &mut acc);
/// assert_eq!(acc.get(2), 1.0 + 0.5);
/// ```
pub fn sequential(transitions: &Csr, recent: &[u32], step_decay: f32, acc: &mut Accumulator) {
    let mut f = 1.0f32;
    for &r in recent {
        let (idx, w) = transitions.row(r as usize);
        for (&c, &x) in idx.iter().zip(w) {
            acc.add(c, f * x);
        }
        f *= step_decay;
    }
}
