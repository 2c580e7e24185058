//! EASE (Steck 2019, "Embarrassingly shallow autoencoders for sparse data"): the item-item matrix
//! `B = I - P · diag(1/diag(P))`, `P = (XᵀX + λI)⁻¹`, with a zero diagonal, pruned to the `top_k`
//! largest entries per row. The engine's item-CF scorer computes `Σ_h w_h · B[h][c]` over the history,
//! which is exactly the EASE score (with the history weights), so the pruned `B` ships in the
//! `item_cf` section unchanged.
//!
//! The inverse is dense, `O(n³)` flops: a Cholesky factorisation and inverse in f64 by faer
//! ([`crate::linalg::spd_inverse_of`]). Memory: the Gram matrix, the factor and the inverse, `8 n²` bytes
//! each, plus a transient copy while factorising: about `32 n²` bytes (4.7 GB for Amazon Beauty's 12,101
//! items). [`DEFAULT_MAX_ITEMS`] bounds the catalogs it is tried on unless `--ease-max-items` says
//! otherwise; docs/benchmarks.md gives the measured time.

use rayon::prelude::*;
use recofuse_core::model::Csr;

use crate::data::Interaction;

/// Largest catalog EASE is fitted for by default (the dense inverse costs `n³` flops and about
/// `32 n²` bytes: 5.4 GB at this size).
pub const DEFAULT_MAX_ITEMS: usize = 13_000;

/// The Gram matrix `XᵀX` of the binary user-item matrix (distinct items per user), dense row-major.
pub fn gram(seqs: &[Vec<Interaction>], n: usize) -> Vec<f64> {
    let users: Vec<Vec<u32>> = seqs
        .iter()
        .map(|s| {
            let mut v: Vec<u32> = s.iter().map(|e| e.item).filter(|&i| (i as usize) < n).collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let mut by_item: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (u, items) in users.iter().enumerate() {
        for &i in items {
            by_item[i as usize].push(u as u32);
        }
    }
    let mut g = vec![0f64; n * n];
    g.par_chunks_mut(n.max(1)).enumerate().for_each(|(i, row)| {
        for &u in &by_item[i] {
            for &j in &users[u as usize] {
                row[j as usize] += 1.0;
            }
        }
    });
    g
}

/// Pruned EASE weights for regularisation `lambda` from a Gram matrix (see [`gram`]); `None` when
/// the factorisation fails (it cannot for `lambda > 0` unless the input is not finite).
pub fn ease(gram: &[f64], n: usize, lambda: f64, top_k: usize) -> Option<Csr> {
    if gram.len() != n.checked_mul(n)? {
        return None;
    }
    let p = crate::linalg::spd_inverse_of(n, |i, j| gram[i * n + j] + if i == j { lambda } else { 0.0 })?;
    let rows: Vec<Vec<(u32, f32)>> = (0..n)
        .into_par_iter()
        .map(|h| {
            // P is symmetric: column h (contiguous in faer's column-major layout) is row h.
            let mut out: Vec<(u32, f32)> = Vec::with_capacity(n);
            for c in 0..n {
                if c != h {
                    let b = -p[(c, h)] / p[(c, c)];
                    if b > 0.0 && b.is_finite() {
                        out.push((c as u32, b as f32));
                    }
                }
            }
            crate::fit::top_k_row(out, top_k)
        })
        .collect();
    Some(Csr::from_rows(&rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ease_weights_follow_the_closed_form() {
        // Two groups of items always bought together: within-group weights are positive.
        let mk = |items: &[u32]| -> Vec<Interaction> {
            items
                .iter()
                .map(|&i| Interaction { item: i, ts: 0.0, kind: recofuse_core::EventKind::Purchase, rating: None })
                .collect()
        };
        let mut seqs = Vec::new();
        for _ in 0..20 {
            seqs.push(mk(&[0, 1, 2]));
            seqs.push(mk(&[3, 4]));
        }
        let g = gram(&seqs, 5);
        assert_eq!(g[0], 20.0);
        assert_eq!(g[1], 20.0);
        assert_eq!(g[3], 0.0);
        let b = ease(&g, 5, 1.0, 10).unwrap();
        let (idx, w) = b.row(0);
        assert_eq!(idx, &[1, 2]);
        assert!(w.iter().all(|&x| x > 0.3 && x < 0.5), "{w:?}");
        assert_eq!(b.row(3).0, &[4]);
        // The closed form on a 3-item Gram matrix: B = I - P diag(1/diag(P)), P = (G + λI)⁻¹.
        let g3 = [4.0, 2.0, 1.0, 2.0, 3.0, 0.0, 1.0, 0.0, 2.0];
        let p = crate::linalg::spd_inverse(&[5.0, 2.0, 1.0, 2.0, 4.0, 0.0, 1.0, 0.0, 3.0], 3).unwrap();
        let b = ease(&g3, 3, 1.0, 10).unwrap();
        for h in 0..3 {
            let (idx, w) = b.row(h);
            for (&c, &x) in idx.iter().zip(w) {
                let want = -p[h * 3 + c as usize] / p[c as usize * 4];
                assert!((f64::from(x) - want).abs() < 1e-6, "({h},{c}) {x} vs {want}");
            }
        }
        // Not positive definite (λ far below zero), or the wrong size: no weights, no panic.
        assert!(ease(&g3, 3, -50.0, 10).is_none());
        assert!(ease(&g3[..4], 3, 1.0, 10).is_none());
    }
}

#[cfg(test)]
mod bench {
    use super::*;

    /// `cargo test --release -p recofuse-train ease_speed -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn ease_speed() {
        let n = 1682;
        let mut rng = recofuse_testkit::SplitMix64::new(5);
        let seqs: Vec<Vec<Interaction>> = (0..943)
            .map(|_| {
                (0..100)
                    .map(|_| Interaction {
                        item: rng.below(n) as u32,
                        ts: 0.0,
                        kind: recofuse_core::EventKind::Purchase,
                        rating: None,
                    })
                    .collect()
            })
            .collect();
        let t = std::time::Instant::now();
        let g = gram(&seqs, n);
        eprintln!("gram {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let _b = ease(&g, n, 100.0, 200);
        eprintln!("ease {:?}", t.elapsed());
    }
}
