//! Ranking metrics of the protocol (one held-out target per user, full ranking).

use serde::Serialize;

/// Whether `a` ranks before `b` in the engine's order: present scores before missing ones, higher
/// scores first ([`f32::total_cmp`]), ties by candidate position.
#[inline]
pub fn before(a: (Option<f32>, usize), b: (Option<f32>, usize)) -> bool {
    match (a.0, b.0) {
        (Some(x), Some(y)) => match x.total_cmp(&y) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => a.1 < b.1,
        },
        (Some(_), None) => true,
        (None, Some(_)) => false,
        (None, None) => a.1 < b.1,
    }
}

/// 0-based rank of `target` in a dense column over every item (`scores[i]` = item `i`; higher first,
/// ties by index), the history `seen` (sorted) excluded; `None` when the target is in the history.
pub fn dense_rank(scores: &[f32], target: u32, seen: &[u32]) -> Option<usize> {
    if seen.binary_search(&target).is_ok() {
        return None;
    }
    let t = target as usize;
    let st = *scores.get(t)?;
    let mut r = scores[..t].iter().filter(|&&x| x >= st).count() + scores[t + 1..].iter().filter(|&&x| x > st).count();
    for &s in seen {
        let s = s as usize;
        if let Some(&x) = scores.get(s) {
            if x > st || (x == st && s < t) {
                r -= 1;
            }
        }
    }
    Some(r)
}

/// NDCG@10 gain of a 0-based rank (0 when absent or beyond 10).
pub fn gain(rank: Option<usize>) -> f64 {
    match rank {
        Some(r) if r < 10 => 1.0 / ((r as f64) + 2.0).log2(),
        _ => 0.0,
    }
}

/// 0-based rank of candidate `target` among the candidates not in `excluded` (sorted), in the engine's
/// order; `None` when the target is itself excluded.
pub fn rank_of(scores: &[Option<f32>], target: usize, excluded: &[u32]) -> Option<usize> {
    if excluded.binary_search(&(target as u32)).is_ok() {
        return None;
    }
    let t = (*scores.get(target)?, target);
    let mut r = 0;
    for (i, &s) in scores.iter().enumerate() {
        if i != target && before((s, i), t) {
            r += 1;
        }
    }
    for &e in excluded {
        let e = e as usize;
        if e != target && e < scores.len() && before((scores[e], e), t) {
            r -= 1;
        }
    }
    Some(r)
}

/// The first `k` candidates (not excluded) in the engine's order.
pub fn top_k(scores: &[Option<f32>], k: usize, excluded: &[u32]) -> Vec<usize> {
    let mut mask = vec![false; scores.len()];
    for &e in excluded {
        if let Some(m) = mask.get_mut(e as usize) {
            *m = true;
        }
    }
    top_k_masked(scores, k, &mask)
}

/// [`top_k`] with the excluded candidates as a mask (`mask[i]` = excluded): one pass with a bounded
/// sorted buffer, no allocation of catalog size.
pub fn top_k_masked(scores: &[Option<f32>], k: usize, mask: &[bool]) -> Vec<usize> {
    let mut top: Vec<(Option<f32>, usize)> = Vec::with_capacity(k + 1);
    if k == 0 {
        return Vec::new();
    }
    for (i, &s) in scores.iter().enumerate() {
        if mask.get(i).copied().unwrap_or(false) {
            continue;
        }
        if top.len() == k {
            // Candidates come in position order, so a tie with the current last never enters.
            if let Some(&last) = top.last() {
                if !before((s, i), last) {
                    continue;
                }
            }
            top.pop();
        }
        let at = top.partition_point(|&x| before(x, (s, i)));
        top.insert(at, (s, i));
    }
    top.into_iter().map(|x| x.1).collect()
}

/// [`rank_of`] with the excluded candidates as a mask; `None` when the target is excluded or out of
/// range.
pub fn rank_masked(scores: &[Option<f32>], target: usize, mask: &[bool]) -> Option<usize> {
    if mask.get(target).copied().unwrap_or(true) {
        return None;
    }
    let st = *scores.get(target)?;
    let mut r = 0usize;
    match st {
        Some(x) => {
            for (i, (&s, &m)) in scores.iter().zip(mask).enumerate() {
                if let Some(y) = s {
                    let ahead = match y.total_cmp(&x) {
                        std::cmp::Ordering::Greater => true,
                        std::cmp::Ordering::Equal => i < target,
                        std::cmp::Ordering::Less => false,
                    };
                    r += usize::from(ahead & !m);
                }
            }
        }
        None => {
            for (i, (&s, &m)) in scores.iter().zip(mask).enumerate() {
                r += usize::from((s.is_some() || i < target) & (i != target) & !m);
            }
        }
    }
    Some(r)
}

/// Sums of the per-user metrics; [`Sums::finish`] turns them into [`Metrics`].
#[derive(Debug, Clone, Default)]
pub struct Sums {
    /// Number of users.
    pub users: usize,
    ndcg10: f64,
    hr10: f64,
    mrr10: f64,
    ndcg20: f64,
    hr20: f64,
}

impl Sums {
    /// Adds one user whose target is at 0-based `rank` (`None`: not ranked).
    pub fn add(&mut self, rank: Option<usize>) {
        self.users += 1;
        if let Some(r) = rank {
            let gain = 1.0 / ((r as f64) + 2.0).log2();
            if r < 10 {
                self.ndcg10 += gain;
                self.hr10 += 1.0;
                self.mrr10 += 1.0 / (r as f64 + 1.0);
            }
            if r < 20 {
                self.ndcg20 += gain;
                self.hr20 += 1.0;
            }
        }
    }

    /// Merges another partial sum.
    pub fn merge(&mut self, o: &Sums) {
        self.users += o.users;
        self.ndcg10 += o.ndcg10;
        self.hr10 += o.hr10;
        self.mrr10 += o.mrr10;
        self.ndcg20 += o.ndcg20;
        self.hr20 += o.hr20;
    }

    /// NDCG@10 so far.
    pub fn ndcg10(&self) -> f64 {
        if self.users == 0 {
            0.0
        } else {
            self.ndcg10 / self.users as f64
        }
    }

    /// The metrics, with catalog coverage@10 (`distinct items in all top-10 lists / catalog size`).
    pub fn finish(&self, coverage10: f64, fit_s: f64, score_s: f64) -> Metrics {
        let n = self.users.max(1) as f64;
        let hr10 = self.hr10 / n;
        let precision = hr10 / 10.0;
        let recall = hr10;
        let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
        Metrics {
            ndcg10: self.ndcg10 / n,
            hr10,
            mrr10: self.mrr10 / n,
            ndcg20: self.ndcg20 / n,
            hr20: self.hr20 / n,
            coverage10,
            precision10: precision,
            recall10: recall,
            f1_10: f1,
            fit_s,
            score_s,
            users: self.users,
        }
    }
}

/// The metrics of one model or fusion method over the evaluated users.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Metrics {
    /// NDCG@10.
    #[serde(rename = "ndcg@10")]
    pub ndcg10: f64,
    /// Hit rate @10.
    #[serde(rename = "hr@10")]
    pub hr10: f64,
    /// MRR@10.
    #[serde(rename = "mrr@10")]
    pub mrr10: f64,
    /// NDCG@20.
    #[serde(rename = "ndcg@20")]
    pub ndcg20: f64,
    /// Hit rate @20.
    #[serde(rename = "hr@20")]
    pub hr20: f64,
    /// Catalog coverage of the top-10 lists.
    #[serde(rename = "coverage@10")]
    pub coverage10: f64,
    /// Precision@10 (one relevant item per user: HR@10 / 10).
    #[serde(rename = "precision@10")]
    pub precision10: f64,
    /// Recall@10 (one relevant item per user: HR@10).
    #[serde(rename = "recall@10")]
    pub recall10: f64,
    /// F1@10.
    #[serde(rename = "f1@10")]
    pub f1_10: f64,
    /// Fit time in seconds.
    pub fit_s: f64,
    /// Scoring time in seconds (all evaluated users).
    pub score_s: f64,
    /// Users evaluated.
    pub users: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_follow_engine_order() {
        let s = [Some(0.5), None, Some(0.9), Some(0.5), Some(0.7)];
        assert_eq!(rank_of(&s, 2, &[]), Some(0));
        assert_eq!(rank_of(&s, 3, &[]), Some(3));
        assert_eq!(rank_of(&s, 3, &[0]), Some(2));
        assert_eq!(rank_of(&s, 1, &[]), Some(4));
        assert_eq!(rank_of(&s, 0, &[0]), None);
        assert_eq!(top_k(&s, 3, &[2]), vec![4, 0, 3]);
        assert_eq!(top_k(&s, 10, &[2]), vec![4, 0, 3, 1]);
        let mask = [false, false, true, false, false];
        assert_eq!(rank_masked(&s, 3, &mask), Some(2));
        assert_eq!(rank_masked(&s, 1, &mask), Some(3));
        assert_eq!(rank_masked(&s, 2, &mask), None);
    }

    #[test]
    fn masked_rank_and_top_k_agree_with_a_sort() {
        let mut rng = recofuse_testkit::SplitMix64::new(11);
        for round in 0..200 {
            let n = 1 + rng.below(60);
            let scores: Vec<Option<f32>> =
                (0..n).map(|_| (rng.below(5) > 0).then(|| rng.below(6) as f32 - 2.0)).collect();
            let mask: Vec<bool> = (0..n).map(|_| rng.below(4) == 0).collect();
            let mut order: Vec<usize> = (0..n).filter(|&i| !mask[i]).collect();
            order.sort_by(|&a, &b| {
                if before((scores[a], a), (scores[b], b)) {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Greater
                }
            });
            let k = rng.below(n + 2);
            assert_eq!(top_k_masked(&scores, k, &mask), order[..k.min(order.len())].to_vec(), "round {round}");
            for t in 0..n {
                assert_eq!(rank_masked(&scores, t, &mask), order.iter().position(|&i| i == t), "round {round}");
            }
        }
    }

    #[test]
    fn ndcg_formula() {
        let mut m = Sums::default();
        m.add(Some(0));
        m.add(Some(2));
        m.add(None);
        let got = m.finish(0.0, 0.0, 0.0);
        let want = (1.0 + 1.0 / 4f64.log2()) / 3.0;
        assert!((got.ndcg10 - want).abs() < 1e-12);
    }
}
