//! Business rules applied after fusion, and the deterministic order of the results.
//!
//! - [`order`]: tiers (e.g. in stock before demoted before unknown ids), then fused score, ties by
//!   input position; top-k in `O(n + k log k)` natively.
//! - [`apply_pins`]: merchandising pins at fixed slots.
//! - [`mmr`]: diversity by Maximal Marginal Relevance.
//!
//! None of them panics, whatever the input.

use crate::fusion::desc_key;

/// Deterministic order of candidate positions: by tier ascending (0 best), then candidates with a
/// `Some` score before `None`, then score descending ([`f32::total_cmp`]: `+0.0` above `-0.0`, a
/// positive NaN above everything, although fused scores are always finite), then input position
/// ascending. Returns at most `k` positions (all if `k` is `None`).
///
/// `tiers[i]` is the tier of candidate `i`; positions beyond `tiers.len()` are tier 0.
///
/// Cost: `O(n log n)` for the full order, natively `O(n + k log k)` for a top-k with `k < n`
/// ([`crate::sort::smallest_k_by`]). The sort keys are unique (they include the position), a total
/// order, so every algorithm gives one answer.
///
/// ```
/// use recofuse_core::rules::order;
/// let scores = [Some(0.5), None, Some(0.9), Some(0.5), Some(0.7)];
/// let tiers = [0, 0, 0, 0, 1]; // candidate 4 demoted
/// assert_eq!(order(&scores, &tiers, None), vec![2, 0, 3, 1, 4]);
/// assert_eq!(order(&scores, &tiers, Some(2)), vec![2, 0]);
/// ```
pub fn order(scores: &[Option<f32>], tiers: &[u8], k: Option<usize>) -> Vec<usize> {
    let n = scores.len();
    let take = k.map_or(n, |k| k.min(n));
    if take == 0 {
        return Vec::new();
    }
    // A long list to order (whole, or always on wasm32, whose comparison sort is the compact merge
    // sort): the stable radix sort of the keys in position order, linear in n.
    let key = |i: usize, s: Option<f32>| order_key(s, tiers.get(i).copied().unwrap_or(0));
    if n >= 128 && (take == n || cfg!(target_arch = "wasm32")) && u32::try_from(n).is_ok() {
        let keys: Vec<(u64, u32)> = scores.iter().zip(0u32..).map(|(s, i)| (key(i as usize, *s), i)).collect();
        let mut sorted = crate::fusion::radix_sort(keys);
        sorted.truncate(take);
        return sorted.into_iter().map(|(_, i)| i as usize).collect();
    }
    let mut keys: Vec<(u64, usize)> = scores.iter().enumerate().map(|(i, s)| (key(i, *s), i)).collect();
    crate::sort::smallest_k_by(&mut keys, take, |a, b| a.cmp(b));
    keys.into_iter().map(|(_, i)| i).collect()
}

/// [`order`], with the candidates that have no fused score (`None`) ordered among themselves by
/// `fallback` descending instead of by position alone: what the rerank pipeline uses so that a
/// shopper without history (every personal signal silent) sees the store's order, or popularity where
/// the store gives none, never the arbitrary order of the input (issue 17). `fallback[i]` is NaN (or
/// missing, beyond `fallback.len()`) when candidate `i` has no fallback value either; such candidates
/// come after those with one, by position. Scored candidates are unaffected.
///
/// ```
/// use recofuse_core::rules::order_with_fallback;
/// let scores = [None, Some(0.1), None, None];
/// let popularity = [2.0, 9.0, 7.0, f32::NAN];
/// assert_eq!(order_with_fallback(&scores, &popularity, &[], None), vec![1, 2, 0, 3]);
/// ```
pub fn order_with_fallback(scores: &[Option<f32>], fallback: &[f32], tiers: &[u8], k: Option<usize>) -> Vec<usize> {
    let (scores, tiers) = with_fallback(scores, fallback, tiers, u8::MAX);
    order(&scores, &tiers, k)
}

/// The scores and tiers that give [`order_with_fallback`] through [`order`] (and the pipeline's
/// top k): each tier `t` splits into `2t` (scored) and `2t + 1` (unscored, whose score becomes the
/// fallback value, `None` for NaN or missing); tier `keep` (the pipeline's "removed") stays itself.
/// Tiers are expected below 127.
pub(crate) fn with_fallback(
    scores: &[Option<f32>],
    fallback: &[f32],
    tiers: &[u8],
    keep: u8,
) -> (Vec<Option<f32>>, Vec<u8>) {
    let mut t = Vec::with_capacity(scores.len());
    let s = scores
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let tier = tiers.get(i).copied().unwrap_or(0);
            let none = u8::from(s.is_none());
            t.push(if tier == keep { keep } else { tier.saturating_mul(2).saturating_add(none) });
            s.or_else(|| fallback.get(i).copied().filter(|f| !f.is_nan()))
        })
        .collect();
    (s, t)
}

/// The first `k` positions of [`order`] once the candidates of tier `removed` are left out: what the
/// rerank pipeline keeps.
///
/// For a small `k` (the usual page of results) one scan keeps the best `k` seen so far in a sorted
/// buffer: a candidate that does not beat the current `k`-th costs one comparison, and since
/// positions arrive in increasing order, an equal key never displaces an earlier position (the
/// order of [`order`]). Otherwise it is [`order`] itself.
pub(crate) fn top_k(scores: &[Option<f32>], tiers: &[u8], k: usize, removed: u8) -> Vec<usize> {
    const SCAN_MAX_K: usize = 128;
    if k == 0 {
        return Vec::new();
    }
    let tier = |i: usize| tiers.get(i).copied().unwrap_or(0);
    // A large k, or fewer tiers than scores (positions beyond `tiers` are tier 0; the pipeline
    // passes one tier per score): through `order`.
    if k > SCAN_MAX_K || tiers.len() < scores.len() {
        let removed_count = (0..scores.len()).filter(|&i| tier(i) == removed).count();
        let mut out = order(scores, tiers, Some(k.saturating_add(removed_count)));
        out.retain(|&p| tier(p) != removed);
        out.truncate(k);
        return out;
    }
    // Every tier 0 (no unknown id, no rule applied; checked in one vectorised pass): the same scan
    // with the tier known, so the key is the score's alone.
    if tiers.iter().fold(0u8, |any, &t| any | t) == 0 {
        return scan_top_k(scores.iter().map(|&s| (s, 0)), k, removed);
    }
    scan_top_k(scores.iter().copied().zip(tiers.iter().copied()), k, removed)
}

/// The scan of [`top_k`] over `(score, tier)` in position order.
#[inline(always)]
fn scan_top_k(candidates: impl Iterator<Item = (Option<f32>, u8)>, k: usize, removed: u8) -> Vec<usize> {
    let mut best: Vec<(u64, usize)> = Vec::with_capacity(k + 1);
    let mut worst = u64::MAX; // key of the k-th entry once the buffer is full
    for (i, (s, t)) in candidates.enumerate() {
        if t == removed {
            continue;
        }
        let key = order_key(s, t);
        if key >= worst {
            continue;
        }
        if best.len() == k {
            best.pop();
        }
        let at = best.partition_point(|&(b, _)| b <= key);
        best.insert(at, (key, i));
        if best.len() == k {
            worst = best.last().map_or(u64::MAX, |&(b, _)| b);
        }
    }
    best.into_iter().map(|(_, i)| i).collect()
}

/// `tier | none | descending score`, ascending order = the order of [`order`] before the position.
fn order_key(score: Option<f32>, tier: u8) -> u64 {
    let (none, bits) = match score {
        Some(x) => (0u64, desc_key(x)),
        None => (1u64, 0),
    };
    (u64::from(tier) << 33) | (none << 32) | u64::from(bits)
}

/// Places pinned candidates. `pins` are `(candidate position, 0-based slot)`.
///
/// Every pinned position is removed from `ranked` if present, then inserted at `min(slot, len)` in
/// increasing slot order, so a pin lands exactly at its slot when the list is long enough and pins
/// beyond the end go to the end (in slot order). Several pins asking for the same slot keep the order
/// of `pins`: the first takes the slot, the next the following one. A position pinned twice keeps its
/// first pin. A pinned position that is not in `ranked` (for instance outside the top k) is inserted
/// as well, so the result may be longer than `ranked` was; the caller leaves out the pins it does not
/// want placed (e.g. filtered candidates).
///
/// Returns, for each entry of the updated `ranked`, whether a pin placed it.
///
/// Cost: `O(n + p log p)` for `n` ranked and `p` pins.
///
/// ```
/// use recofuse_core::rules::apply_pins;
/// let mut ranked = vec![10, 11, 12, 13];
/// let pinned = apply_pins(&mut ranked, &[(13, 0), (20, 2), (11, 99)]);
/// assert_eq!(ranked, vec![13, 10, 20, 12, 11]);
/// assert_eq!(pinned, vec![true, false, true, false, true]);
/// ```
pub fn apply_pins(ranked: &mut Vec<usize>, pins: &[(usize, usize)]) -> Vec<bool> {
    if pins.is_empty() {
        return vec![false; ranked.len()];
    }
    // First pin of each position: sort by (position, pin order), keep the first of each run.
    let mut by_position: Vec<(usize, usize, usize)> =
        pins.iter().enumerate().map(|(order, &(pos, slot))| (pos, order, slot)).collect();
    crate::sort::sort(&mut by_position);
    by_position.dedup_by_key(|p| p.0);
    let mut pinned_positions: Vec<usize> = by_position.iter().map(|p| p.0).collect();
    crate::sort::sort(&mut pinned_positions);
    // Placement order: by slot, then pin order.
    let mut placements: Vec<(usize, usize, usize)> =
        by_position.iter().map(|&(pos, order, slot)| (slot, order, pos)).collect();
    crate::sort::sort(&mut placements);

    let rest: Vec<usize> = ranked.iter().copied().filter(|p| pinned_positions.binary_search(p).is_err()).collect();
    let mut out = Vec::with_capacity(rest.len() + placements.len());
    let mut flags = Vec::with_capacity(rest.len() + placements.len());
    let mut pins_iter = placements.iter().peekable();
    let mut rest_iter = rest.iter();
    loop {
        // A pin goes in as soon as the output reaches its slot; otherwise the next unpinned entry.
        if let Some(&&(slot, _, pos)) = pins_iter.peek() {
            if slot <= out.len() {
                out.push(pos);
                flags.push(true);
                pins_iter.next();
                continue;
            }
        }
        if let Some(&p) = rest_iter.next() {
            out.push(p);
            flags.push(false);
        } else {
            // Unpinned entries exhausted: the remaining pins go to the end, in slot order.
            for &(_, _, pos) in pins_iter {
                out.push(pos);
                flags.push(true);
            }
            break;
        }
    }
    *ranked = out;
    flags
}

/// Maximal Marginal Relevance (Carbonell & Goldstein, *The use of MMR, diversity-based reranking for
/// reordering documents and producing summaries*, SIGIR 1998): greedily selects `k` entries of `pool`
/// (candidate positions, in relevance order), each time the one maximising
/// `lambda · rel(p) - (1 - lambda) · max_{q selected} sim(p, q)` (the similarity term is 0 for the first
/// pick); ties go to the earlier entry of `pool`. Returns the selected positions in selection order
/// (`min(k, pool.len())` of them).
///
/// `relevance` is indexed by position. It is **scaled inside** to `[0, 1]` by min-max over the pool
/// (all equal: 1.0), so `lambda` trades relevance against similarity on comparable scales whatever
/// the score scale; a position without a finite relevance (beyond `relevance.len()`, NaN, ±∞) has
/// relevance 0. `sim(p, q)` is expected in `[0, 1]` (e.g. a cosine); non-finite similarities count as 0.
///
/// `lambda` is clamped to `[0, 1]` (NaN counts as 1); `lambda = 1` returns `pool[..k]` unchanged
/// without calling `sim`. Cost: `O(k · pool.len())` calls to `sim`.
///
/// ```
/// use recofuse_core::rules::mmr;
/// // candidates 0 and 1 are near duplicates
/// let relevance = [1.0, 0.9, 0.5];
/// let sim = |a: usize, b: usize| if a.min(b) == 0 && a.max(b) == 1 { 1.0 } else { 0.0 };
/// assert_eq!(mmr(&[0, 1, 2], &relevance, &sim, 0.5, 2), vec![0, 2]);
/// assert_eq!(mmr(&[0, 1, 2], &relevance, &sim, 1.0, 2), vec![0, 1]);
/// ```
pub fn mmr(pool: &[usize], relevance: &[f32], sim: &dyn Fn(usize, usize) -> f32, lambda: f32, k: usize) -> Vec<usize> {
    let k = k.min(pool.len());
    let lambda = if lambda.is_nan() { 1.0 } else { f64::from(lambda.clamp(0.0, 1.0)) };
    if lambda >= 1.0 || k == 0 {
        return pool.iter().copied().take(k).collect();
    }
    // Relevance scaled to [0, 1] over the pool.
    let raw: Vec<Option<f64>> =
        pool.iter().map(|&p| relevance.get(p).copied().filter(|x| x.is_finite()).map(f64::from)).collect();
    let (lo, hi) = raw.iter().flatten().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    let rel: Vec<f64> = raw
        .iter()
        .map(|r| match *r {
            Some(x) if hi > lo => (x - lo) / (hi - lo),
            Some(_) => 1.0,
            None => 0.0,
        })
        .collect();

    let mut selected = vec![false; pool.len()];
    // Max similarity to the selected entries (meaningful once something is selected).
    let mut max_sim = vec![f64::NEG_INFINITY; pool.len()];
    let mut out = Vec::with_capacity(k);
    for round in 0..k {
        let mut best: Option<(usize, f64)> = None;
        for (j, ((&taken, &r), &ms)) in selected.iter().zip(&rel).zip(&max_sim).enumerate() {
            if taken {
                continue;
            }
            let penalty = if round == 0 { 0.0 } else { ms };
            let score = lambda * r - (1.0 - lambda) * penalty;
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((j, score));
            }
        }
        let Some((j, _)) = best else { break };
        let Some(&chosen) = pool.get(j) else { break };
        if let Some(t) = selected.get_mut(j) {
            *t = true;
        }
        out.push(chosen);
        if round + 1 < k {
            for ((&taken, ms), &p) in selected.iter().zip(max_sim.iter_mut()).zip(pool) {
                if !taken {
                    let s = sim(p, chosen);
                    let s = if s.is_finite() { f64::from(s) } else { 0.0 };
                    *ms = ms.max(s);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{order, order_with_fallback, top_k};
    use recofuse_testkit::SplitMix64;

    /// The radix sort of long lists gives the documented order: tier, present before absent, score
    /// descending (`total_cmp`), position; with ties, missing scores, negative zeros and tiers.
    #[test]
    fn long_lists_are_ordered_as_documented() {
        let mut rng = SplitMix64::new(17);
        for n in [127, 128, 129, 300, 1000, 5000] {
            for round in 0..6 {
                let scores: Vec<Option<f32>> = (0..n)
                    .map(|_| match rng.below(9) {
                        0 => None,
                        1 => Some(0.5),
                        2 => Some(-0.0),
                        3 => Some(0.0),
                        _ => Some((rng.next_f32() - 0.5) * if round % 2 == 0 { 4.0 } else { 1e30 }),
                    })
                    .collect();
                let tiers: Vec<u8> = (0..n).map(|_| if round < 3 { 0 } else { [0, 0, 1, 3][rng.below(4)] }).collect();
                let mut expected: Vec<usize> = (0..n).collect();
                expected.sort_by(|&a, &b| {
                    tiers[a]
                        .cmp(&tiers[b])
                        .then(scores[a].is_none().cmp(&scores[b].is_none()))
                        .then(scores[b].unwrap_or(0.0).total_cmp(&scores[a].unwrap_or(0.0)))
                        .then(a.cmp(&b))
                });
                assert_eq!(order(&scores, &tiers, None), expected, "n {n}, round {round}");
                assert_eq!(order(&scores, &tiers, Some(40)), expected[..40], "n {n}, round {round}");
            }
        }
    }

    /// The one-scan top k equals the first k of the full order with the removed positions left out,
    /// with every tier 0 (the scan that ignores tiers) and with mixed tiers, missing scores and ties,
    /// without and with a fallback for the unscored candidates.
    #[test]
    fn top_k_is_the_head_of_the_full_order() {
        const REMOVED: u8 = u8::MAX;
        let mut rng = SplitMix64::new(3);
        for round in 0..200 {
            let n = rng.below(60);
            let scores: Vec<Option<f32>> = (0..n)
                .map(|_| match rng.below(8) {
                    0 => None,
                    1 => Some(0.5), // ties
                    _ => Some(rng.next_f32() * 4.0 - 2.0),
                })
                .collect();
            let tiers: Vec<u8> =
                (0..n).map(|_| if round % 2 == 0 { 0 } else { [0, 0, 0, 1, 2, REMOVED][rng.below(6)] }).collect();
            // Fallback values with ties and gaps (NaN), sometimes shorter than the scores.
            let fallback: Vec<f32> = match round % 3 {
                0 => Vec::new(),
                _ => (0..n.saturating_sub(round % 5)).map(|_| [f32::NAN, 1.0, rng.next_f32()][rng.below(3)]).collect(),
            };
            for k in [1, 3, 24, 200] {
                let mut expected = order_with_fallback(&scores, &fallback, &tiers, None);
                expected.retain(|&p| tiers[p] != REMOVED);
                expected.truncate(k);
                // As the pipeline calls it: the fallback folded into scores and tiers.
                let (s2, t2) = super::with_fallback(&scores, &fallback, &tiers, REMOVED);
                assert_eq!(top_k(&s2, &t2, k, REMOVED), expected, "round {round}, k {k}");
            }
        }
    }

    /// The fallback orders exactly the unscored candidates of a tier, by value descending, those
    /// without a value last, ties by position; scored candidates keep the order of [`order`].
    #[test]
    fn fallback_orders_only_the_unscored() {
        let mut rng = SplitMix64::new(11);
        for round in 0..200 {
            let n = 1 + rng.below(40);
            let scores: Vec<Option<f32>> = (0..n).map(|_| (rng.below(3) == 0).then(|| rng.next_f32())).collect();
            let tiers: Vec<u8> = (0..n).map(|_| [0, 0, 1][rng.below(3)]).collect();
            let fallback: Vec<f32> = (0..n).map(|_| [f32::NAN, 0.5, rng.next_f32()][rng.below(3)]).collect();
            let plain = order(&scores, &tiers, None);
            let got = order_with_fallback(&scores, &fallback, &tiers, None);
            // Same scored positions in the same places.
            let scored = |o: &[usize]| -> Vec<(usize, usize)> {
                o.iter().enumerate().filter(|(_, &p)| scores[p].is_some()).map(|(r, &p)| (r, p)).collect()
            };
            assert_eq!(scored(&plain), scored(&got), "round {round}");
            // Unscored ones of one tier: fallback descending, NaN last, then position.
            for w in got.windows(2) {
                let (a, b) = (w[0], w[1]);
                if scores[a].is_none() && scores[b].is_none() && tiers[a] == tiers[b] {
                    let (fa, fb) = (fallback[a], fallback[b]);
                    let ok = match (fa.is_nan(), fb.is_nan()) {
                        (false, true) => true,
                        (true, false) => false,
                        (true, true) => a < b,
                        _ => fa > fb || (fa == fb && a < b),
                    };
                    assert!(ok, "round {round}: {a} ({fa}) before {b} ({fb})");
                }
            }
        }
    }
}
