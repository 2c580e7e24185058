//! EASE (Steck 2019, "Embarrassingly shallow autoencoders for sparse data"): the item-item matrix
//! `B = I - P · diag(1/diag(P))`, `P = (XᵀX + λI)⁻¹`, with a zero diagonal, pruned to the `top_k`
//! largest entries per row. The engine's item-CF scorer computes `Σ_h w_h · B[h][c]` over the history,
//! which is exactly the EASE score (with the history weights), so the pruned `B` ships in the
//! `item_cf` section unchanged.
//!
//! The inverse is dense, `O(n³)`: a blocked Cholesky factorisation, the inverse of the factor by
//! blocked forward substitution and `P = L⁻ᵀ L⁻¹`, all in f64 with rayon over row or column blocks.
//! [`MAX_ITEMS`] bounds the catalogs it is tried on.

use rayon::prelude::*;
use recofuse_core::model::Csr;

use crate::data::Interaction;

/// Largest catalog EASE is fitted for (the dense inverse costs `n³` flops, `8 n²` bytes).
pub const MAX_ITEMS: usize = 3000;

const NB: usize = 48;

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
    let mut a = gram.to_vec();
    for i in 0..n {
        a[i * n + i] += lambda;
    }
    cholesky(&mut a, n)?;
    let w = lower_inverse(&a, n);
    drop(a);
    let p = gram_of_lower(&w, n);
    drop(w);
    let rows: Vec<Vec<(u32, f32)>> = (0..n)
        .into_par_iter()
        .map(|h| {
            let row = &p[h * n..(h + 1) * n];
            let mut out: Vec<(u32, f32)> = Vec::with_capacity(n);
            for (c, &x) in row.iter().enumerate() {
                if c != h {
                    let b = -x / p[c * n + c];
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

/// In-place lower Cholesky factor of a symmetric positive definite row-major matrix (the lower triangle
/// is read and written; the upper triangle is left as garbage). Blocked, right-looking.
fn cholesky(a: &mut [f64], n: usize) -> Option<()> {
    let mut k0 = 0;
    while k0 < n {
        let k1 = (k0 + NB).min(n);
        // 1. Diagonal block, unblocked.
        for j in k0..k1 {
            let mut d = a[j * n + j];
            for k in k0..j {
                d -= a[j * n + k] * a[j * n + k];
            }
            if !(d > 0.0 && d.is_finite()) {
                return None;
            }
            let d = d.sqrt();
            a[j * n + j] = d;
            for i in j + 1..k1 {
                let mut s = a[i * n + j];
                for k in k0..j {
                    s -= a[i * n + k] * a[j * n + k];
                }
                a[i * n + j] = s / d;
            }
        }
        if k1 == n {
            break;
        }
        // 2. Panel below the diagonal block: L_ik for i >= k1, each row a triangular solve.
        let diag: Vec<f64> = (k0..k1).flat_map(|i| (k0..k1).map(move |j| (i, j))).map(|(i, j)| a[i * n + j]).collect();
        let w = k1 - k0;
        let (_, below) = a.split_at_mut(k1 * n);
        below.par_chunks_mut(n).for_each(|row| {
            for j in 0..w {
                let mut s = row[k0 + j];
                for k in 0..j {
                    s -= row[k0 + k] * diag[j * w + k];
                }
                row[k0 + j] = s / diag[j * w + j];
            }
        });
        // 3. Trailing update of the lower triangle: A_ij -= L_i,K · L_j,K for k1 <= j <= i.
        let panel: Vec<f64> = (k1..n).flat_map(|i| a[i * n + k0..i * n + k1].to_vec()).collect();
        let (_, below) = a.split_at_mut(k1 * n);
        below.par_chunks_mut(n).enumerate().for_each(|(r, row)| {
            let pi = &panel[r * w..(r + 1) * w];
            for (c, x) in row[k1..=k1 + r].iter_mut().enumerate() {
                let pj = &panel[c * w..(c + 1) * w];
                *x -= dot(pi, pj);
            }
        });
        k0 = k1;
    }
    Some(())
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    // Four accumulators so that the loop vectorises without reassociation by the compiler.
    let mut s = [0f64; 4];
    let (ca, ra) = a.split_at(a.len() / 4 * 4);
    let (cb, rb) = b.split_at(ca.len());
    for (x, y) in ca.chunks_exact(4).zip(cb.chunks_exact(4)) {
        for k in 0..4 {
            s[k] += x[k] * y[k];
        }
    }
    let mut t = (s[0] + s[1]) + (s[2] + s[3]);
    for (x, y) in ra.iter().zip(rb) {
        t += x * y;
    }
    t
}

/// `W = L⁻¹` (lower triangular, row-major, zero above the diagonal) by forward substitution, in
/// parallel over blocks of columns.
fn lower_inverse(l: &[f64], n: usize) -> Vec<f64> {
    let blocks: Vec<(usize, Vec<f64>)> = (0..n.div_ceil(NB))
        .into_par_iter()
        .map(|b| {
            let c0 = b * NB;
            let w = NB.min(n - c0);
            // Rows c0..n of the column block c0..c0+w, row-major (n - c0) × w.
            let mut x = vec![0f64; (n - c0) * w];
            let mut acc = vec![0f64; w];
            for i in c0..n {
                acc.iter_mut().for_each(|a| *a = 0.0);
                if i < c0 + w {
                    acc[i - c0] = 1.0;
                }
                let li = &l[i * n..i * n + i];
                for j in c0..i {
                    let lij = li[j];
                    if lij != 0.0 {
                        let xj = &x[(j - c0) * w..(j - c0 + 1) * w];
                        acc.iter_mut().zip(xj).for_each(|(a, b)| *a -= lij * b);
                    }
                }
                let d = l[i * n + i];
                for (k, v) in acc.iter().enumerate() {
                    x[(i - c0) * w + k] = v / d;
                }
            }
            (c0, x)
        })
        .collect();
    let mut out = vec![0f64; n * n];
    for (c0, x) in blocks {
        let w = NB.min(n - c0);
        for i in c0..n {
            out[i * n + c0..i * n + c0 + w].copy_from_slice(&x[(i - c0) * w..(i - c0 + 1) * w]);
        }
    }
    out
}

/// `P = Wᵀ W` for a lower-triangular `W` (full symmetric result), in parallel over blocks of rows of P.
fn gram_of_lower(w: &[f64], n: usize) -> Vec<f64> {
    let mut p = vec![0f64; n * n];
    p.par_chunks_mut(NB * n).enumerate().for_each(|(b, block)| {
        let a0 = b * NB;
        let rows = block.len() / n.max(1);
        // P_a,: = Σ_{i >= a} W_ia · W_i,:  (W_i,: is zero beyond column i).
        for i in a0..n {
            let wi = &w[i * n..i * n + i + 1];
            for r in 0..rows {
                let a = a0 + r;
                if a > i {
                    break;
                }
                let f = wi[a];
                if f != 0.0 {
                    // Upper triangle only (b >= a); mirrored below.
                    block[r * n + a..r * n + i + 1].iter_mut().zip(&wi[a..]).for_each(|(x, y)| *x += f * y);
                }
            }
        }
    });
    for a in 0..n {
        for b in 0..a {
            p[a * n + b] = p[b * n + a];
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_is_exact_on_a_random_spd_matrix() {
        let n = 70;
        let mut rng = recofuse_testkit::SplitMix64::new(5);
        let m: Vec<f64> = (0..n * n).map(|_| f64::from(rng.next_f32()) - 0.5).collect();
        // A = MᵀM + I.
        let mut a = vec![0f64; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = (0..n).map(|k| m[k * n + i] * m[k * n + j]).sum::<f64>() + f64::from(u8::from(i == j));
            }
        }
        let mut l = a.clone();
        cholesky(&mut l, n).unwrap();
        let p = gram_of_lower(&lower_inverse(&l, n), n);
        for i in 0..n {
            for j in 0..n {
                let x: f64 = (0..n).map(|k| a[i * n + k] * p[k * n + j]).sum();
                let want = f64::from(u8::from(i == j));
                assert!((x - want).abs() < 1e-8, "({i},{j}) {x}");
            }
        }
    }

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
        let mut a = g.clone();
        for i in 0..n {
            a[i * n + i] += 100.0;
        }
        cholesky(&mut a, n).unwrap();
        eprintln!("cholesky {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let w = lower_inverse(&a, n);
        eprintln!("lower_inverse {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let _p = gram_of_lower(&w, n);
        eprintln!("gram_of_lower {:?}", t.elapsed());
        let t = std::time::Instant::now();
        let _b = ease(&g, n, 100.0, 200);
        eprintln!("ease {:?}", t.elapsed());
    }
}
