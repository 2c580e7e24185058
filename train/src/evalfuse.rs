//! Every fusion method of one user's columns at once, for the test figures of `eval`.
//!
//! [`recofuse_core::fusion::fuse`] prepares its columns (dense copy, statistics, ordinal ranks) anew
//! for each call; evaluating the eight methods on a catalog of 12,000 items for 22,000 users that way
//! costs minutes. [`Evaluator`] computes the same scores with the same arithmetic, in the same order
//! (so the same `f32` bits: a test checks it against `fuse` on random columns and configurations),
//! but shares the work between methods: each column is read once, its statistics are computed once
//! per normalisation, its ordinal ranks once (and not at all for a column equal to the previous
//! user's, like popularity), and ranks of a column that is mostly `0.0` come from counting, with a
//! sort of the other values only.

use recofuse_core::config::Stacking;
use recofuse_core::signal::Columns;
use recofuse_core::{FusionConfig, Method, Normalization, Signal};

const S: usize = Signal::COUNT;
const LANES: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Affine {
    shift: f64,
    div: f64,
    offset: f64,
}

impl Affine {
    const IDENTITY: Affine = Affine { shift: 0.0, div: 1.0, offset: 0.0 };

    fn divide(shift: f64, div: f64) -> Affine {
        Affine { shift, div, offset: 0.0 }
    }

    fn constant(value: f64) -> Affine {
        Affine { shift: 0.0, div: f64::INFINITY, offset: value }
    }

    #[inline]
    fn apply(self, x: f64) -> f64 {
        (x - self.shift) / self.div + self.offset
    }

    fn fold(self, a: f64, b: f64) -> (f64, f64) {
        let scale = a / self.div;
        (scale, b + a * self.offset - scale * self.shift)
    }
}

fn to_f32(x: f64) -> f32 {
    let y = x as f32;
    if y.is_finite() {
        y + 0.0
    } else if x > 0.0 {
        f32::MAX
    } else if x < 0.0 {
        f32::MIN
    } else {
        0.0
    }
}

fn min_max(values: &[f32]) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = ([f32::INFINITY; LANES], [f32::NEG_INFINITY; LANES]);
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for ((&x, l), h) in chunk.iter().zip(&mut lo).zip(&mut hi) {
            *l = l.min(x);
            *h = h.max(x);
        }
    }
    let mut min = lo.into_iter().fold(f32::INFINITY, f32::min);
    let mut max = hi.into_iter().fold(f32::NEG_INFINITY, f32::max);
    for &x in chunks.remainder() {
        min = min.min(x);
        max = max.max(x);
    }
    (min <= max).then_some((f64::from(min), f64::from(max)))
}

fn count_sum(values: &[f32], f: impl Fn(f64) -> f64) -> (usize, f64) {
    let (mut n, mut sum) = ([0usize; LANES], [0.0f64; LANES]);
    let mut chunks = values.chunks_exact(LANES);
    for chunk in &mut chunks {
        for ((&x, n), s) in chunk.iter().zip(&mut n).zip(&mut sum) {
            let ok = !x.is_nan();
            *n += usize::from(ok);
            *s += if ok { f(f64::from(x)) } else { 0.0 };
        }
    }
    let (mut n, mut sum) = (n.iter().sum::<usize>(), sum.iter().sum::<f64>());
    for &x in chunks.remainder() {
        let ok = !x.is_nan();
        n += usize::from(ok);
        sum += if ok { f(f64::from(x)) } else { 0.0 };
    }
    (n, sum)
}

fn norm_map(kind: Normalization, values: &[f32]) -> Option<Affine> {
    let min_max_map = |values: &[f32]| -> Option<Affine> {
        let (min, max) = min_max(values)?;
        Some(if max > min { Affine::divide(min, max - min) } else { Affine::constant(1.0) })
    };
    match kind {
        Normalization::None => Some(Affine::IDENTITY),
        Normalization::MinMax => min_max_map(values),
        Normalization::Max => {
            let (_, max) = min_max(values)?;
            if max > 0.0 {
                Some(Affine::divide(0.0, max))
            } else {
                min_max_map(values)
            }
        }
        Normalization::Sum => {
            let (min, max) = min_max(values)?;
            let (n, total) = count_sum(values, |x| x - min);
            Some(if total > 0.0 && max > min { Affine::divide(min, total) } else { Affine::constant(1.0 / n as f64) })
        }
        Normalization::ZScore => {
            let (min, max) = min_max(values)?;
            let (n, sum) = count_sum(values, |x| x);
            let n = n as f64;
            let mean = sum / n;
            let (_, squares) = count_sum(values, |x| (x - mean) * (x - mean));
            let std = (squares / n).sqrt();
            Some(if std > 0.0 && max > min { Affine::divide(mean, std) } else { Affine::constant(0.0) })
        }
        // Not produced by the trainer (materialised rank normalisations).
        Normalization::Rank | Normalization::Borda => None,
    }
}

fn desc_key(x: f32) -> u32 {
    let b = x.to_bits();
    let asc = if b & 0x8000_0000 != 0 { !b } else { b | 0x8000_0000 };
    !asc
}

/// Ordinal ranks (1 = best; `0` = absent) of a dense column: descending value, ties by position.
fn ordinal_ranks(values: &[f32], out: &mut Vec<u32>) {
    out.clear();
    out.resize(values.len(), 0);
    let zero = desc_key(0.0);
    // Values other than +0.0 are sorted; the +0.0 tie group is ranked by position.
    let mut keys: Vec<u64> = Vec::new();
    let mut zeros = 0usize;
    for (i, &x) in values.iter().enumerate() {
        if x.is_nan() {
            continue;
        }
        if x.to_bits() == 0 {
            zeros += 1;
        } else {
            keys.push((u64::from(desc_key(x)) << 32) | i as u64);
        }
    }
    radix_sort(&mut keys);
    let better = keys.partition_point(|k| (k >> 32) as u32 <= zero);
    for (r, k) in keys[..better].iter().enumerate() {
        out[(k & 0xffff_ffff) as usize] = r as u32 + 1;
    }
    if zeros > 0 {
        let mut r = better as u32;
        for (o, &x) in out.iter_mut().zip(values) {
            if !x.is_nan() && x.to_bits() == 0 {
                r += 1;
                *o = r;
            }
        }
    }
    for (r, k) in keys[better..].iter().enumerate() {
        out[(k & 0xffff_ffff) as usize] = (better + zeros + r) as u32 + 1;
    }
}

/// Sorts `(key << 32) | position` values (positions ascending on input) by key, stably: LSD radix
/// over the 32 key bits, 11 bits per pass, passes where every key shares the digit skipped.
fn radix_sort(keys: &mut Vec<u64>) {
    if keys.len() < 256 {
        keys.sort_unstable();
        return;
    }
    let mut counts = [[0usize; 2048]; 3];
    for &k in keys.iter() {
        let k = (k >> 32) as u32;
        counts[0][(k & 0x7ff) as usize] += 1;
        counts[1][((k >> 11) & 0x7ff) as usize] += 1;
        counts[2][(k >> 22) as usize] += 1;
    }
    let mut dst = vec![0u64; keys.len()];
    for (pass, c) in counts.iter().enumerate() {
        if c.contains(&keys.len()) {
            continue;
        }
        let mut next = [0usize; 2048];
        let mut total = 0;
        for (n, &c) in next.iter_mut().zip(c) {
            *n = total;
            total += c;
        }
        let shift = 32 + 11 * pass;
        for &k in keys.iter() {
            let slot = &mut next[((k >> shift) & 0x7ff) as usize];
            dst[*slot] = k;
            *slot += 1;
        }
        std::mem::swap(keys, &mut dst);
    }
}

/// Per-thread state: dense columns, statistics and ranks of the current user, reusable buffers.
#[derive(Debug, Default)]
pub struct Evaluator {
    len: usize,
    values: Vec<Vec<f32>>,
    has: [bool; S],
    maps: Vec<(usize, Normalization, Option<Affine>)>,
    ranks: Vec<Vec<u32>>,
    ranks_of: Vec<Option<Vec<f32>>>,
    ranks_ok: [bool; S],
    sum: Vec<f64>,
    count: Vec<u32>,
    aux: Vec<f64>,
}

impl Evaluator {
    /// An evaluator (buffers grow on first use).
    pub fn new() -> Evaluator {
        Evaluator {
            values: vec![Vec::new(); S],
            ranks: vec![Vec::new(); S],
            ranks_of: vec![None; S],
            ..Evaluator::default()
        }
    }

    /// Loads one user's columns (only the signals in `needed`).
    pub fn load(&mut self, cols: &Columns, needed: &[Signal]) {
        self.len = cols.len();
        self.has = [false; S];
        self.ranks_ok = [false; S];
        self.maps.clear();
        for &s in needed {
            let v = &mut self.values[s.index()];
            v.clear();
            v.extend(cols.column(s).iter().map(|x| match x {
                Some(y) if y.is_finite() => *y,
                _ => f32::NAN,
            }));
            self.has[s.index()] = true;
        }
    }

    fn map(&mut self, s: usize, kind: Normalization) -> Option<Affine> {
        if let Some(m) = self.maps.iter().find(|m| m.0 == s && m.1 == kind) {
            return m.2;
        }
        let m = norm_map(kind, &self.values[s]);
        self.maps.push((s, kind, m));
        m
    }

    fn ranks(&mut self, s: usize) {
        if self.ranks_ok[s] {
            return;
        }
        let same = self.ranks_of[s].as_ref().is_some_and(|prev| {
            prev.len() == self.values[s].len()
                && prev.iter().zip(&self.values[s]).all(|(a, b)| a.to_bits() == b.to_bits())
        });
        if !same {
            ordinal_ranks(&self.values[s], &mut self.ranks[s]);
            self.ranks_of[s] = Some(self.values[s].clone());
        }
        self.ranks_ok[s] = true;
    }

    /// The fused scores of `cfg` for the loaded user, exactly as `fusion::fuse(cfg, cols, false)`.
    pub fn fuse(&mut self, cfg: &FusionConfig, out: &mut Vec<Option<f32>>) {
        let len = self.len;
        // Columns with a weight but not loaded count as all-absent (they still enter the totals).
        let weighted: Vec<(usize, f64)> = Signal::ALL
            .iter()
            .map(|s| (s.index(), cfg.weight(*s)))
            .filter(|&(_, w)| w.is_finite() && w > 0.0)
            .map(|(s, w)| (s, f64::from(w)))
            .collect();
        let active: Vec<(usize, f64)> = weighted.iter().copied().filter(|&(s, _)| self.has[s]).collect();
        out.clear();
        self.sum.clear();
        self.sum.resize(len, 0.0);
        self.count.clear();
        self.count.resize(len, 0);
        match cfg.method {
            Method::Rrf | Method::Borda => {
                let k = f64::from(if cfg.rrf_k.is_finite() && cfg.rrf_k > 0.0 { cfg.rrf_k } else { 60.0 });
                let n = len as f64;
                for &(s, w) in &active {
                    self.ranks(s);
                    for ((sum, c), &r) in self.sum.iter_mut().zip(self.count.iter_mut()).zip(&self.ranks[s]) {
                        if r > 0 {
                            let r = f64::from(r);
                            let t = if cfg.method == Method::Rrf { w / (k + r) } else { w * (n - r + 1.0) / n };
                            *sum += f64::from(to_f32(t));
                            *c += 1;
                        }
                    }
                }
                out.extend(self.sum.iter().zip(&self.count).map(|(&s, &c)| (c > 0).then(|| to_f32(s))));
            }
            Method::CombMax => {
                self.aux.clear();
                self.aux.resize(len, f64::NEG_INFINITY);
                for &(s, w) in &active {
                    let map = self.map(s, cfg.normalization).unwrap_or(Affine::IDENTITY);
                    for ((b, c), &x) in self.aux.iter_mut().zip(self.count.iter_mut()).zip(&self.values[s]) {
                        let y = w * map.apply(f64::from(x));
                        if y > *b {
                            *b = y;
                            *c = 1;
                        }
                    }
                }
                out.extend(self.aux.iter().zip(&self.count).map(|(&y, &c)| (c > 0).then(|| to_f32(y))));
            }
            method => {
                let stacking: Option<(f64, [f64; S], [f64; S])> =
                    (method == Method::Stacking).then(|| stacking_coefficients(&cfg.stacking));
                let mnz = method == Method::CombMnz;
                if mnz || method == Method::Weighted {
                    self.aux.clear();
                    self.aux.resize(len, 0.0);
                }
                for &(s, w) in &active {
                    let map = self.map(s, cfg.normalization).unwrap_or(Affine::IDENTITY);
                    let (a, b) = match &stacking {
                        Some((_, coef, present)) => (coef[s], present[s]),
                        None if method == Method::Simple => (1.0, 0.0),
                        None => (w, 0.0),
                    };
                    let (a, b) = map.fold(a, b);
                    for ((sum, c), &x) in self.sum.iter_mut().zip(self.count.iter_mut()).zip(&self.values[s]) {
                        let ok = !x.is_nan();
                        *sum += if ok { a * f64::from(x) + b } else { 0.0 };
                        *c += u32::from(ok);
                    }
                    if mnz {
                        for (p, &x) in self.aux.iter_mut().zip(&self.values[s]) {
                            *p += f64::from(u32::from(map.apply(f64::from(x)) > 0.0));
                        }
                    } else if method == Method::Weighted && cfg.renormalize_missing {
                        for (p, &x) in self.aux.iter_mut().zip(&self.values[s]) {
                            *p += if x.is_nan() { 0.0 } else { w };
                        }
                    }
                }
                let total: f64 = weighted.iter().map(|a| a.1).sum();
                let n_cols = weighted.len() as f64;
                let renorm = cfg.renormalize_missing;
                for (i, (&s, &c)) in self.sum.iter().zip(&self.count).enumerate() {
                    out.push((c > 0).then(|| {
                        to_f32(match method {
                            Method::Simple => s / if renorm { f64::from(c) } else { n_cols },
                            Method::Weighted => s / if renorm { self.aux[i] } else { total },
                            Method::CombMnz => s * self.aux[i],
                            Method::Stacking => stacking.as_ref().map_or(0.0, |st| st.0) + s,
                            _ => s,
                        })
                    }));
                }
            }
        }
    }
}

fn stacking_coefficients(m: &Stacking) -> (f64, [f64; S], [f64; S]) {
    let coef = |v: &[f32]| {
        let mut out = [0.0; S];
        for (o, x) in out.iter_mut().zip(v) {
            if x.is_finite() {
                *o = f64::from(*x);
            }
        }
        out
    };
    (if m.bias.is_finite() { f64::from(m.bias) } else { 0.0 }, coef(&m.coef), coef(&m.present_coef))
}

#[cfg(test)]
mod tests {
    use super::*;
    use recofuse_testkit::SplitMix64;

    fn random_columns(rng: &mut SplitMix64, len: usize) -> Columns {
        let mut cols = Columns::new(len);
        for s in Signal::ALL {
            let kind = rng.below(5);
            for v in cols.column_mut(s).iter_mut() {
                *v = match kind {
                    0 => None,
                    1 => (rng.below(10) > 0).then(|| if rng.below(3) == 0 { rng.next_f32() } else { 0.0 }),
                    2 => Some((rng.below(7) as f32 - 3.0) * 0.5),
                    3 => Some(if rng.below(20) == 0 { -0.0 } else { rng.next_f32() * 10.0 - 2.0 }),
                    _ => Some(1.5),
                };
            }
        }
        cols
    }

    #[test]
    fn ranks_match_core_on_long_columns() {
        let mut rng = SplitMix64::new(9);
        for _ in 0..20 {
            let len = 300 + rng.below(3000);
            let col: Vec<Option<f32>> = (0..len)
                .map(|_| match rng.below(4) {
                    0 => None,
                    1 => Some(0.0),
                    2 => Some(rng.below(50) as f32 - 25.0),
                    _ => Some(rng.next_f32() * 1e3 - 500.0),
                })
                .collect();
            let want = recofuse_core::fusion::ordinal_ranks(&col);
            let values: Vec<f32> = col.iter().map(|x| x.unwrap_or(f32::NAN)).collect();
            let mut got = Vec::new();
            ordinal_ranks(&values, &mut got);
            let got: Vec<Option<u32>> = got.into_iter().map(|r| (r > 0).then_some(r)).collect();
            assert_eq!(got, want);
        }
    }

    #[test]
    fn same_bits_as_core_fuse() {
        let mut rng = SplitMix64::new(42);
        let norms =
            [Normalization::None, Normalization::MinMax, Normalization::Max, Normalization::Sum, Normalization::ZScore];
        let mut ev = Evaluator::new();
        let mut out = Vec::new();
        for round in 0..300 {
            let len = 1 + rng.below(80);
            let cols = random_columns(&mut rng, len);
            ev.load(&cols, &Signal::ALL);
            for method in Method::ALL {
                let weights: Vec<f32> = (0..S).map(|_| [0.0, 0.1, 0.5, 1.0, 2.0][rng.below(5)]).collect();
                let cfg = FusionConfig {
                    method,
                    normalization: norms[rng.below(norms.len())],
                    weights,
                    rrf_k: [5.0, 60.0][rng.below(2)],
                    renormalize_missing: rng.below(2) == 0,
                    stacking: Stacking {
                        bias: rng.next_f32() - 0.5,
                        coef: (0..S).map(|_| rng.next_f32() * 2.0 - 1.0).collect(),
                        present_coef: (0..S).map(|_| rng.next_f32() - 0.5).collect(),
                    },
                };
                let want = recofuse_core::fusion::fuse(&cfg, &cols, false).scores;
                ev.fuse(&cfg, &mut out);
                let same = want.len() == out.len()
                    && want.iter().zip(&out).all(|(a, b)| a.map(f32::to_bits) == b.map(f32::to_bits));
                assert!(same, "round {round} {cfg:?}\n core {want:?}\n eval {out:?}");
            }
        }
    }
}
