//! Paired bootstrap over test users: is a difference in NDCG@10 between two rankers more than noise?
//!
//! Both rankers score the same test users, so the comparison resamples **users** (with replacement) and
//! recomputes the difference of the two means on each resample; the 2.5 % and 97.5 % quantiles of those
//! differences are the 95 % interval. The random numbers come from a fixed-seed SplitMix64 generator
//! and integer arithmetic only, so the interval is the same on every machine and thread count.

use serde::Serialize;

/// Resamples drawn by [`paired_bootstrap`] in `eval`'s report.
pub const RESAMPLES: usize = 2000;
/// Seed of the report's bootstrap (fixed: the same log gives the same interval).
pub const SEED: u64 = 0x005e_ed17;

/// The paired comparison of method `a` against method `b` on the same users.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Name of the first method (the default fusion in the report).
    pub a: String,
    /// Name of the method it is compared against.
    pub b: String,
    /// Why `b` was chosen (e.g. "best single model on test").
    pub role: String,
    /// Mean NDCG@10 of `a` minus that of `b` over all users.
    pub diff: f64,
    /// The difference relative to `b`'s mean (0.05 = +5 %); 0 when `b`'s mean is 0.
    pub rel: f64,
    /// Lower end of the 95 % bootstrap interval of `diff`.
    pub lo: f64,
    /// Upper end of the 95 % bootstrap interval of `diff`.
    pub hi: f64,
    /// Share of resamples in which `a` was not better than `b` (a one-sided bootstrap p-value).
    pub p_not_better: f64,
    /// Users compared.
    pub users: usize,
    /// Bootstrap resamples drawn.
    pub resamples: usize,
}

/// SplitMix64: a small, well-mixed generator whose output depends only on the seed.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Paired bootstrap of `mean(a) - mean(b)`, where `a[i]` and `b[i]` are the two methods' gains for user
/// `i`. Returns `(diff, lo, hi, p_not_better)`; all zeros when there are no users or the lengths differ.
///
/// ```
/// use recofuse_train::significance::paired_bootstrap;
/// let a = [1.0, 0.0, 1.0, 1.0];
/// let b = [0.0, 0.0, 1.0, 0.0];
/// let (diff, lo, hi, _) = paired_bootstrap(&a, &b, 500, 7);
/// assert!((diff - 0.5).abs() < 1e-12);
/// assert!(lo <= diff && diff <= hi);
/// ```
pub fn paired_bootstrap(a: &[f64], b: &[f64], resamples: usize, seed: u64) -> (f64, f64, f64, f64) {
    let n = a.len();
    if n == 0 || b.len() != n || resamples == 0 {
        return (0.0, 0.0, 0.0, 0.0);
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let diff = d.iter().sum::<f64>() / n as f64;
    let mut state = seed;
    let mut means = Vec::with_capacity(resamples);
    let mut not_better = 0usize;
    for _ in 0..resamples {
        let mut s = 0.0;
        for _ in 0..n {
            // Lemire's multiply-shift maps 64 random bits to 0..n without division.
            let i = ((u128::from(splitmix(&mut state)) * n as u128) >> 64) as usize;
            s += d[i];
        }
        let m = s / n as f64;
        if m <= 0.0 {
            not_better += 1;
        }
        means.push(m);
    }
    means.sort_by(f64::total_cmp);
    let q = |p: f64| means[((p * (resamples - 1) as f64).round() as usize).min(resamples - 1)];
    (diff, q(0.025), q(0.975), not_better as f64 / resamples as f64)
}

/// [`paired_bootstrap`] with the report's seed and resamples, as a named [`Comparison`]. `b_mean` is
/// `b`'s mean, for the relative difference.
pub fn compare(a: (&str, &[f64]), b: (&str, &[f64]), role: &str) -> Comparison {
    let (diff, lo, hi, p) = paired_bootstrap(a.1, b.1, RESAMPLES, SEED);
    let b_mean = if b.1.is_empty() { 0.0 } else { b.1.iter().sum::<f64>() / b.1.len() as f64 };
    Comparison {
        a: a.0.to_string(),
        b: b.0.to_string(),
        role: role.to_string(),
        diff,
        rel: if b_mean > 0.0 { diff / b_mean } else { 0.0 },
        lo,
        hi,
        p_not_better: p,
        users: a.1.len(),
        resamples: RESAMPLES,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_methods_give_a_zero_interval() {
        let a: Vec<f64> = (0..100).map(|i| f64::from(i % 7) / 7.0).collect();
        let (d, lo, hi, p) = paired_bootstrap(&a, &a, 200, 1);
        assert_eq!((d, lo, hi, p), (0.0, 0.0, 0.0, 1.0));
    }

    #[test]
    fn same_seed_same_interval_other_seed_close() {
        let a: Vec<f64> = (0..300).map(|i| f64::from((i * 37) % 11) / 11.0).collect();
        let b: Vec<f64> = (0..300).map(|i| f64::from((i * 53) % 13) / 13.0).collect();
        assert_eq!(paired_bootstrap(&a, &b, 500, 3), paired_bootstrap(&a, &b, 500, 3));
        let (d1, lo1, hi1, _) = paired_bootstrap(&a, &b, 500, 3);
        let (d2, lo2, hi2, _) = paired_bootstrap(&a, &b, 500, 4);
        assert_eq!(d1, d2);
        assert!((lo1 - lo2).abs() < 0.02 && (hi1 - hi2).abs() < 0.02);
    }

    /// Synthetic users with a known true difference: a hits with probability 0.30, b with 0.22 (gain 1
    /// on a hit), correlated through a shared per-user draw. Over 200 independent logs the 95 % interval
    /// must cover the true difference (0.08) in about 95 % of them, and exclude 0 in most.
    #[test]
    fn interval_covers_a_known_difference_on_synthetic_data() {
        let mut st = 99u64;
        let mut uni = || (splitmix(&mut st) >> 11) as f64 / (1u64 << 53) as f64;
        let (trials, users) = (200u32, 400);
        let (mut covered, mut excludes_zero) = (0u32, 0u32);
        for t in 0..trials {
            let mut a = Vec::with_capacity(users);
            let mut b = Vec::with_capacity(users);
            for _ in 0..users {
                let u = uni();
                let v = uni();
                // Shared draw u for both (paired), an independent part v for a.
                a.push(f64::from(u8::from(u < 0.22 || (v < 0.08 / 0.78 && u >= 0.22))));
                b.push(f64::from(u8::from(u < 0.22)));
            }
            let (_, lo, hi, _) = paired_bootstrap(&a, &b, 400, 1000 + u64::from(t));
            if lo <= 0.08 && 0.08 <= hi {
                covered += 1;
            }
            if lo > 0.0 {
                excludes_zero += 1;
            }
        }
        let cov = f64::from(covered) / f64::from(trials);
        assert!((0.88..=0.99).contains(&cov), "coverage {cov}");
        assert!(excludes_zero >= trials * 9 / 10, "excludes zero in {excludes_zero} of {trials}");
    }

    #[test]
    fn mismatched_or_empty_inputs_do_not_panic() {
        assert_eq!(paired_bootstrap(&[], &[], 100, 1), (0.0, 0.0, 0.0, 0.0));
        assert_eq!(paired_bootstrap(&[1.0], &[1.0, 0.0], 100, 1), (0.0, 0.0, 0.0, 0.0));
    }
}
