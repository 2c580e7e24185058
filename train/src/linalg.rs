//! Dense linear algebra of the trainer, on [faer](https://docs.rs/faer): the inverse of a symmetric
//! positive definite matrix (EASE), the orthonormal basis of a set of columns (the subspace iteration of
//! the item embeddings) and the solution of a small linear system (the stacking fit's Newton steps).
//!
//! Matrices cross this module's boundary as row-major slices, the layout the rest of the trainer uses;
//! faer's own parallelism (rayon, all threads) does the work. Each function returns `None` where the
//! factorisation it needs does not exist (a matrix that is not positive definite, or singular), never
//! panics on such input, and checks the slice lengths it is given.

use faer::linalg::solvers::{DenseSolveCore, Solve};
use faer::{Mat, Side};

/// The inverse of the symmetric positive definite `n × n` row-major matrix `a` (only its lower triangle
/// is read), by a Cholesky factorisation; `None` when `a` is not numerically positive definite, holds a
/// value that is not finite, or is not `n²` long.
pub fn spd_inverse(a: &[f64], n: usize) -> Option<Vec<f64>> {
    if a.len() != n.checked_mul(n)? {
        return None;
    }
    let inv = spd_inverse_of(n, |i, j| a[i * n + j])?;
    let mut out = vec![0f64; n * n];
    for (i, row) in out.chunks_exact_mut(n.max(1)).enumerate() {
        for (j, x) in row.iter_mut().enumerate() {
            *x = inv[(i, j)];
        }
    }
    Some(out)
}

/// The inverse of the symmetric positive definite `n × n` matrix whose entry `(i, j)` is `entry(i, j)`
/// (only the lower triangle is read), as a faer matrix: one `n²` copy for the factor and one for the
/// inverse, no row-major copy (EASE's `n` reaches 10⁴). `None` as for [`spd_inverse`].
pub fn spd_inverse_of(n: usize, entry: impl Fn(usize, usize) -> f64) -> Option<Mat<f64>> {
    let mut finite = true;
    let m = Mat::from_fn(n, n, |i, j| {
        let x = entry(i, j);
        finite &= x.is_finite();
        x
    });
    if !finite {
        return None;
    }
    if n == 0 {
        return Some(m);
    }
    let llt = m.llt(Side::Lower).ok()?;
    drop(m);
    let inv = llt.inverse();
    drop(llt);
    let finite = (0..n).all(|j| (0..n).all(|i| inv[(i, j)].is_finite()));
    finite.then_some(inv)
}

/// Replaces the `d` columns of the row-major `n × d` matrix `q` by an orthonormal basis of the same
/// leading spans (the thin Q of a Householder QR, computed in f64, with each column's sign chosen so that
/// R's diagonal is non-negative: the basis Gram-Schmidt gives). Columns beyond the rank come out as
/// whatever orthonormal completion the factorisation produces. `false` (and `q` unchanged) when `q` is
/// not `n·d` long, has fewer rows than columns, or holds a value that is not finite.
pub fn orthonormalize_columns(q: &mut [f32], n: usize, d: usize) -> bool {
    if d == 0 || n < d || n.checked_mul(d) != Some(q.len()) || q.iter().any(|x| !x.is_finite()) {
        return false;
    }
    let m = Mat::from_fn(n, d, |i, k| f64::from(q[i * d + k]));
    let qr = m.qr();
    let basis = qr.compute_thin_Q();
    let r = qr.thin_R();
    for k in 0..d {
        let sign = if r[(k, k)] < 0.0 { -1.0 } else { 1.0 };
        for i in 0..n {
            q[i * d + k] = (sign * basis[(i, k)]) as f32;
        }
    }
    true
}

/// Solves `h x = g` for the `d × d` row-major matrix `h` by an LU factorisation with partial pivoting;
/// `None` when `h` is numerically singular (a pivot below `1e-12` times the largest entry), holds a value
/// that is not finite, or the lengths do not match.
pub fn solve(h: &[f64], g: &[f64], d: usize) -> Option<Vec<f64>> {
    if h.len() != d.checked_mul(d)? || g.len() != d || h.iter().chain(g).any(|x| !x.is_finite()) {
        return None;
    }
    if d == 0 {
        return Some(Vec::new());
    }
    let m = Mat::from_fn(d, d, |i, j| h[i * d + j]);
    let lu = m.partial_piv_lu();
    let scale = h.iter().fold(0f64, |a, x| a.max(x.abs()));
    let u = lu.U();
    if (0..d).any(|k| {
        let p = u[(k, k)].abs();
        p.is_nan() || p < 1e-12 * scale.max(1e-300)
    }) {
        return None;
    }
    let rhs = Mat::from_fn(d, 1, |i, _| g[i]);
    let x = lu.solve(&rhs);
    let out: Vec<f64> = (0..d).map(|i| x[(i, 0)]).collect();
    out.iter().all(|x| x.is_finite()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use recofuse_testkit::SplitMix64;

    fn random_spd(rng: &mut SplitMix64, n: usize) -> Vec<f64> {
        let b: Vec<f64> = (0..n * n).map(|_| f64::from(rng.next_f32()) * 2.0 - 1.0).collect();
        let mut a = vec![0f64; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = (0..n).map(|k| b[i * n + k] * b[j * n + k]).sum::<f64>();
            }
            a[i * n + i] += 0.5;
        }
        a
    }

    fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
        let mut c = vec![0f64; n * n];
        for i in 0..n {
            for k in 0..n {
                for j in 0..n {
                    c[i * n + j] += a[i * n + k] * b[k * n + j];
                }
            }
        }
        c
    }

    #[test]
    fn spd_inverse_times_the_matrix_is_the_identity() {
        let mut rng = SplitMix64::new(7);
        for n in [1, 2, 5, 40, 130] {
            let a = random_spd(&mut rng, n);
            let inv = spd_inverse(&a, n).unwrap();
            let id = matmul(&a, &inv, n);
            for i in 0..n {
                for j in 0..n {
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((id[i * n + j] - want).abs() < 1e-9, "n {n} ({i},{j}) {}", id[i * n + j]);
                }
            }
        }
    }

    #[test]
    fn spd_inverse_refuses_what_has_no_cholesky_factor() {
        // Indefinite, NaN, wrong length.
        assert!(spd_inverse(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
        assert!(spd_inverse(&[1.0, f64::NAN, f64::NAN, 1.0], 2).is_none());
        assert!(spd_inverse(&[1.0, 0.0, 0.0], 2).is_none());
        assert_eq!(spd_inverse(&[], 0), Some(Vec::new()));
    }

    #[test]
    fn orthonormal_columns_span_the_same_leading_subspaces() {
        let mut rng = SplitMix64::new(3);
        let (n, d) = (300, 12);
        let orig: Vec<f32> = (0..n * d).map(|_| rng.next_f32() - 0.5).collect();
        let mut q = orig.clone();
        assert!(orthonormalize_columns(&mut q, n, d));
        for a in 0..d {
            for b in 0..d {
                let dot: f64 = (0..n).map(|i| f64::from(q[i * d + a]) * f64::from(q[i * d + b])).sum();
                let want = if a == b { 1.0 } else { 0.0 };
                assert!((dot - want).abs() < 1e-5, "({a},{b}) {dot}");
            }
        }
        // Column k of the original lies in the span of the first k+1 basis columns, with a positive
        // coefficient on column k (the Gram-Schmidt sign convention), and nothing on the later ones.
        for k in 0..d {
            for b in 0..d {
                let c: f64 = (0..n).map(|i| f64::from(orig[i * d + k]) * f64::from(q[i * d + b])).sum();
                if b > k {
                    assert!(c.abs() < 1e-4, "column {k} on basis {b}: {c}");
                } else if b == k {
                    assert!(c > 0.0, "column {k}: {c}");
                }
            }
        }
        let mut bad = vec![f32::NAN; 4];
        assert!(!orthonormalize_columns(&mut bad, 2, 2));
        assert!(!orthonormalize_columns(&mut [1.0, 2.0], 1, 2));
    }

    #[test]
    fn solve_matches_the_system_and_refuses_singular_ones() {
        let mut rng = SplitMix64::new(11);
        for d in [1, 3, 9, 25] {
            let h: Vec<f64> = (0..d * d).map(|_| f64::from(rng.next_f32()) * 2.0 - 1.0).collect();
            let x: Vec<f64> = (0..d).map(|_| f64::from(rng.next_f32())).collect();
            let g: Vec<f64> = (0..d).map(|i| (0..d).map(|j| h[i * d + j] * x[j]).sum()).collect();
            let got = solve(&h, &g, d).unwrap();
            for (a, b) in got.iter().zip(&x) {
                assert!((a - b).abs() < 1e-7, "d {d}: {a} vs {b}");
            }
        }
        assert!(solve(&[1.0, 2.0, 2.0, 4.0], &[1.0, 2.0], 2).is_none());
        assert!(solve(&[1.0, 0.0, 0.0, f64::INFINITY], &[1.0, 2.0], 2).is_none());
        assert!(solve(&[1.0], &[1.0, 2.0], 1).is_none());
    }
}
