//! User-based collaborative filtering without shipping any user (Resnick et al. 1994, with users
//! replaced by k-anonymous cluster prototypes as in cluster-based CF, Ungar & Foster 1998): the local
//! history vector is matched by cosine to the bundle's prototype users, and
//! score(c) = Σ_p sim_p · pref_p(c) over the `proto_neighbors` most similar prototypes.

use super::Accumulator;
use crate::model::Csr;

/// Adds `Σ_p sim_p · pref_p(c)` to `acc` over the `neighbors` prototypes most similar (by cosine, ties
/// by prototype index) to the history `weights`: `prefs` holds the prototypes' preferences (row =
/// prototype), `by_item` its transpose ([`Csr::transpose`]) and `norms` the L2 norm of each row of
/// `prefs` ([`Csr::row_norms`]).
///
/// ```
/// use recofuse_core::model::Csr;
/// use recofuse_core::scorers::{user_cf, Accumulator};
/// let prefs = Csr::from_rows(&[vec![(0, 1.0), (1, 1.0)], vec![(2, 1.0)]]);
/// let (by_item, norms) = (prefs.transpose(3), prefs.row_norms());
/// let mut acc = Accumulator::new(3);
/// user_cf(&prefs, &by_item, &norms, &[(0, 1.0)], 1, &mut acc);
/// let sim = 1.0 / 2f32.sqrt(); // history {0} against prototype {0, 1}
/// assert_eq!(acc.values(), &[sim, sim, 0.0]);
/// ```
pub fn user_cf(
    prefs: &Csr,
    by_item: &Csr,
    norms: &[f32],
    weights: &[(u32, f32)],
    neighbors: usize,
    acc: &mut Accumulator,
) {
    let mut dots = vec![0f32; prefs.rows()];
    let mut hist_norm = 0f32;
    for &(h, w) in weights {
        hist_norm += w * w;
        let (ps, xs) = by_item.row(h as usize);
        for (&q, &x) in ps.iter().zip(xs) {
            if let Some(d) = dots.get_mut(q as usize) {
                *d += w * x;
            }
        }
    }
    let hist_norm = hist_norm.sqrt();
    let mut sims: Vec<(u32, f32)> = dots
        .iter()
        .enumerate()
        .filter_map(|(q, &d)| {
            let n = norms.get(q).copied().unwrap_or(0.0) * hist_norm;
            (d > 0.0 && n > 0.0).then(|| (q as u32, d / n))
        })
        .collect();
    // Total order (the prototype index breaks ties).
    crate::sort::smallest_k_by(&mut sims, neighbors, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    for (q, s) in sims {
        let (idx, w) = prefs.row(q as usize);
        for (&c, &x) in idx.iter().zip(w) {
            acc.add(c, s * x);
        }
    }
}
