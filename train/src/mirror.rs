//! Fast re-implementations of the engine's per-user scoring for hyper-parameter tuning.
//!
//! Tuning evaluates hundreds of configurations; rebuilding an [`recofuse_core::Engine`] for each would
//! be wasteful, so these functions compute the same columns (same formulas as `core/src/scorers/`)
//! straight from the model parts. Every reported figure is still computed through the engine; a test
//! checks that these mirrors agree with it.

use recofuse_core::model::{Csr, Embeddings, Popularity};
use recofuse_core::ScoringConfig;

use crate::data::Interaction;

/// A history digested like the engine's profile.
#[derive(Debug, Clone, Default)]
pub struct Hist {
    /// Decayed, event-weighted weight per history item, sorted by item.
    pub weights: Vec<(u32, f32)>,
    /// Most recent distinct items, newest first.
    pub recent: Vec<u32>,
    /// History items, sorted.
    pub seen: Vec<u32>,
}

/// Digests `events` (oldest first) at `now_ms`.
pub fn hist(events: &[Interaction], cfg: &ScoringConfig, now_ms: f64) -> Hist {
    let mut weights: Vec<(u32, f32)> = Vec::with_capacity(events.len());
    let mut recent = Vec::new();
    let half = f64::from(cfg.half_life_days.max(1e-6));
    for e in events.iter().rev() {
        let age = ((now_ms - e.ts) / 86_400_000.0).max(0.0);
        let w = cfg.event_weights[e.kind.index()] * 0.5f64.powf(age / half) as f32;
        weights.push((e.item, w));
        if recent.len() < cfg.seq_recent && !recent.contains(&e.item) {
            recent.push(e.item);
        }
    }
    weights.sort_by_key(|x| x.0);
    let mut merged: Vec<(u32, f32)> = Vec::with_capacity(weights.len());
    for (i, w) in weights {
        match merged.last_mut() {
            Some(l) if l.0 == i => l.1 += w,
            _ => merged.push((i, w)),
        }
    }
    let seen = merged.iter().map(|x| x.0).collect();
    Hist { weights: merged, recent, seen }
}

/// Item-CF column: `Σ_h w_h · sim(h, c)`.
pub fn itemcf(cf: &Csr, h: &Hist, out: &mut [f32]) {
    out.iter_mut().for_each(|x| *x = 0.0);
    for &(i, w) in &h.weights {
        let (idx, s) = cf.row(i as usize);
        for (&c, &x) in idx.iter().zip(s) {
            if let Some(o) = out.get_mut(c as usize) {
                *o += w * x;
            }
        }
    }
}

/// Sequential column: `Σ_j decay^j · T[r_j][c]`.
pub fn seq(t: &Csr, h: &Hist, decay: f32, out: &mut [f32]) {
    out.iter_mut().for_each(|x| *x = 0.0);
    let mut f = 1.0f32;
    for &r in &h.recent {
        let (idx, w) = t.row(r as usize);
        for (&c, &x) in idx.iter().zip(w) {
            if let Some(o) = out.get_mut(c as usize) {
                *o += f * x;
            }
        }
        f *= decay;
    }
}

/// Embedding column: cosine of the normalised history vector with each item vector.
pub fn embedding(e: &[f32], dim: usize, norms: &[f32], h: &Hist, out: &mut [f32]) {
    let mut u = vec![0f32; dim];
    for &(i, w) in &h.weights {
        let n = norms.get(i as usize).copied().unwrap_or(0.0);
        if n > 0.0 {
            if let Some(row) = e.get(i as usize * dim..(i as usize + 1) * dim) {
                u.iter_mut().zip(row).for_each(|(a, b)| *a += w / n * b);
            }
        }
    }
    let un = u.iter().map(|x| x * x).sum::<f32>().sqrt();
    for (c, o) in out.iter_mut().enumerate() {
        let n = norms.get(c).copied().unwrap_or(0.0);
        *o = match e.get(c * dim..(c + 1) * dim) {
            Some(row) if n > 0.0 && un > 0.0 => row.iter().zip(&u).map(|(a, b)| a * b).sum::<f32>() / un / n,
            _ => 0.0,
        };
    }
}

/// Row norms of f32 embeddings.
pub fn embedding_norms(e: &Embeddings) -> (Vec<f32>, Vec<f32>) {
    let n = match &e.data {
        recofuse_core::model::EmbeddingData::F32(t) => t.len() / e.dim.max(1),
        recofuse_core::model::EmbeddingData::F16(t) => t.len() / e.dim.max(1),
        recofuse_core::model::EmbeddingData::I8 { scales, .. } => scales.len(),
    };
    let mut flat = vec![0f32; n * e.dim];
    let mut norms = vec![0f32; n];
    for i in 0..n {
        let row = &mut flat[i * e.dim..(i + 1) * e.dim];
        if e.row_into(i, row) {
            norms[i] = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        }
    }
    (flat, norms)
}

/// User-CF column through prototypes (`prefs` rows = prototypes; `by_item` its transpose).
pub fn usercf(prefs: &Csr, by_item: &Csr, norms: &[f32], h: &Hist, k: usize, out: &mut [f32]) {
    out.iter_mut().for_each(|x| *x = 0.0);
    let mut dots = vec![0f32; prefs.rows()];
    let mut hn = 0f32;
    for &(i, w) in &h.weights {
        hn += w * w;
        let (ps, xs) = by_item.row(i as usize);
        for (&q, &x) in ps.iter().zip(xs) {
            if let Some(d) = dots.get_mut(q as usize) {
                *d += w * x;
            }
        }
    }
    let hn = hn.sqrt();
    let mut sims: Vec<(u32, f32)> = dots
        .iter()
        .enumerate()
        .filter_map(|(q, &d)| {
            let n = norms.get(q).copied().unwrap_or(0.0) * hn;
            (d > 0.0 && n > 0.0).then(|| (q as u32, d / n))
        })
        .collect();
    sims.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    sims.truncate(k);
    for (q, s) in sims {
        let (idx, w) = prefs.row(q as usize);
        for (&c, &x) in idx.iter().zip(w) {
            if let Some(o) = out.get_mut(c as usize) {
                *o += s * x;
            }
        }
    }
}

/// Transpose of a CSR with `cols` columns.
pub fn transpose(m: &Csr, cols: usize) -> Csr {
    let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); cols];
    for r in 0..m.rows() {
        let (idx, w) = m.row(r);
        for (&c, &x) in idx.iter().zip(w) {
            if let Some(row) = rows.get_mut(c as usize) {
                row.push((r as u32, x));
            }
        }
    }
    Csr::from_rows(&rows)
}

/// Popularity column.
pub fn popularity(p: &Popularity, mix: f32, out: &mut [f32]) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = (1.0 - mix) * p.count.get(i).copied().unwrap_or(0.0) + mix * p.trend.get(i).copied().unwrap_or(0.0);
    }
}

/// 0-based rank of `target` in a dense column (ties by index), history excluded; `None` when the
/// target is in the history.
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

/// NDCG@10 gain of a 0-based rank.
pub fn gain(rank: Option<usize>) -> f64 {
    match rank {
        Some(r) if r < 10 => 1.0 / ((r as f64) + 2.0).log2(),
        _ => 0.0,
    }
}
