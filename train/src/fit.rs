//! Model fitting: every section of a [`recofuse_core::Model`] from training sequences.
//!
//! Each fitter takes the per-user ordered training sequences and the number of items and returns the
//! core's structure directly, so that what is evaluated is what ships.

use rayon::prelude::*;
use recofuse_core::model::{Csr, EmbeddingData, Embeddings, Items, Popularity, Prototypes, StringTable, NONE};

use crate::catalog::Catalog;
use crate::data::Interaction;

/// Sequential transitions: for each pair of items `a` then `b` at distance `d <= window` in a user's
/// sequence, `T[a][b] += gap_decay^(d-1)` (and `T[b][a] += backward · gap_decay^(d-1)`), then
/// `T[a][b] /= out(a)^alpha · pop(b)^beta`, keeping the `top_k` largest per row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransParams {
    /// Largest distance between the two items of a pair.
    pub window: usize,
    /// Weight multiplier per extra step of distance.
    pub gap_decay: f32,
    /// Weight of the reverse direction (0 = strictly forward).
    pub backward: f32,
    /// Out-degree normalisation exponent.
    pub alpha: f32,
    /// Target-popularity normalisation exponent.
    pub beta: f32,
    /// Neighbours kept per row.
    pub top_k: usize,
}

impl Default for TransParams {
    fn default() -> Self {
        TransParams { window: 3, gap_decay: 0.5, backward: 0.0, alpha: 0.5, beta: 0.0, top_k: 100 }
    }
}

/// Fits the transitions CSR.
pub fn transitions(seqs: &[Vec<Interaction>], n_items: usize, p: &TransParams) -> Csr {
    let mut pairs: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n_items];
    let mut pop = vec![0f32; n_items];
    for seq in seqs {
        for (i, a) in seq.iter().enumerate() {
            if let Some(x) = pop.get_mut(a.item as usize) {
                *x += 1.0;
            }
            let mut w = 1.0f32;
            for b in seq.iter().skip(i + 1).take(p.window.max(1)) {
                if b.item != a.item {
                    if let Some(r) = pairs.get_mut(a.item as usize) {
                        r.push((b.item, w));
                    }
                    if p.backward > 0.0 {
                        if let Some(r) = pairs.get_mut(b.item as usize) {
                            r.push((a.item, w * p.backward));
                        }
                    }
                }
                w *= p.gap_decay;
            }
        }
    }
    let rows: Vec<Vec<(u32, f32)>> = pairs
        .into_par_iter()
        .map(|row| {
            let mut row = merge(row);
            let out: f32 = row.iter().map(|x| x.1).sum();
            let norm = if out > 0.0 { out.powf(p.alpha) } else { 1.0 };
            for (b, w) in row.iter_mut() {
                let pb = pop.get(*b as usize).copied().unwrap_or(1.0).max(1.0);
                *w /= norm * pb.powf(p.beta);
            }
            top_k(row, p.top_k)
        })
        .collect();
    Csr::from_rows(&rows)
}

/// Sums duplicate columns of a row.
fn merge(mut row: Vec<(u32, f32)>) -> Vec<(u32, f32)> {
    row.sort_unstable_by_key(|x| x.0);
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(row.len());
    for (c, w) in row {
        match out.last_mut() {
            Some(last) if last.0 == c => last.1 += w,
            _ => out.push((c, w)),
        }
    }
    out
}

/// The `k` largest entries by weight (ties by column), returned sorted by column.
pub(crate) fn top_k_row(row: Vec<(u32, f32)>, k: usize) -> Vec<(u32, f32)> {
    top_k(row, k)
}

/// The `k` largest entries by weight (ties by column), returned sorted by column.
fn top_k(mut row: Vec<(u32, f32)>, k: usize) -> Vec<(u32, f32)> {
    if row.len() > k {
        row.select_nth_unstable_by(k, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        row.truncate(k);
    }
    row.retain(|x| x.1.is_finite() && x.1 != 0.0);
    row.sort_unstable_by_key(|x| x.0);
    row
}

/// Item-item CF: co-occurrence of items in users' sequences, optionally BM25-weighted and weighted by
/// how close the two items are in the sequence, normalised as an asymmetric cosine with shrinkage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CfParams {
    /// BM25 weighting of user-item entries (`Some((k1, b))`), or plain binary (cosine) when `None`.
    pub bm25: Option<(f32, f32)>,
    /// Asymmetric cosine exponent: `sim(a, c) = co(a, c) / (|a|^(2·alpha) · |c|^(2·(1-alpha)) + shrink)`.
    pub alpha: f32,
    /// Shrinkage added to the denominator.
    pub shrink: f32,
    /// Position proximity exponent: a pair at distance `d` counts `d^-gamma` (0 = order-free).
    pub gamma: f32,
    /// Neighbours kept per row.
    pub top_k: usize,
}

impl Default for CfParams {
    fn default() -> Self {
        CfParams { bm25: None, alpha: 0.5, shrink: 10.0, gamma: 0.0, top_k: 100 }
    }
}

/// Fits the item-CF neighbour lists.
pub fn item_cf(seqs: &[Vec<Interaction>], n_items: usize, p: &CfParams) -> Csr {
    let n_users = seqs.len().max(1) as f32;
    let mut df = vec![0f32; n_items];
    for seq in seqs {
        for e in seq {
            if let Some(x) = df.get_mut(e.item as usize) {
                *x += 1.0;
            }
        }
    }
    let avg_len = seqs.iter().map(|s| s.len() as f32).sum::<f32>() / n_users;
    // Entry weight of user u, item i.
    let weight = |len: usize, item: u32| -> f32 {
        match p.bm25 {
            None => 1.0,
            Some((k1, b)) => {
                let d = df.get(item as usize).copied().unwrap_or(1.0).max(1.0);
                let idf = (n_users / d).ln().max(0.0) + 1e-3;
                let ln = 1.0 - b + b * len as f32 / avg_len.max(1e-6);
                idf * (k1 + 1.0) / (k1 * ln + 1.0)
            }
        }
    };
    let mut inv: Vec<Vec<(u32, u32)>> = vec![Vec::new(); n_items]; // item -> (user, position)
    let mut norms = vec![0f32; n_items];
    for (u, seq) in seqs.iter().enumerate() {
        for (pos, e) in seq.iter().enumerate() {
            if let Some(r) = inv.get_mut(e.item as usize) {
                r.push((u as u32, pos as u32));
            }
            if let Some(x) = norms.get_mut(e.item as usize) {
                let w = weight(seq.len(), e.item);
                *x += w * w;
            }
        }
    }
    let norms: Vec<f32> = norms.iter().map(|x| x.sqrt()).collect();
    let prox: Vec<f32> = (0..4096).map(|d: usize| if d == 0 { 1.0 } else { (d as f32).powf(-p.gamma) }).collect();
    let pow_a: Vec<f32> = norms.iter().map(|x| x.powf(2.0 * p.alpha)).collect();
    let pow_b: Vec<f32> = norms.iter().map(|x| x.powf(2.0 * (1.0 - p.alpha))).collect();
    // Entry weights per user and position, computed once (not per pair).
    let uw: Vec<Vec<f32>> = seqs.iter().map(|seq| seq.iter().map(|e| weight(seq.len(), e.item)).collect()).collect();
    let rows: Vec<Vec<(u32, f32)>> = (0..n_items)
        .into_par_iter()
        .map_init(
            || (vec![0f32; n_items], Vec::<u32>::new()),
            |(buf, touched), a| {
                for &(u, pa) in &inv[a] {
                    let seq = &seqs[u as usize];
                    let ws = &uw[u as usize];
                    let wa = ws[pa as usize];
                    for (pb, (e, &wb)) in seq.iter().zip(ws).enumerate() {
                        let b = e.item as usize;
                        if b == a || b >= n_items {
                            continue;
                        }
                        let d = (pb as i64 - pa as i64).unsigned_abs() as usize;
                        let x = wa * wb * prox.get(d).copied().unwrap_or(0.0);
                        if buf[b] == 0.0 {
                            touched.push(b as u32);
                        }
                        buf[b] += x;
                    }
                }
                let na = pow_a[a];
                let mut row: Vec<(u32, f32)> = Vec::with_capacity(touched.len());
                for &b in touched.iter() {
                    let co = buf[b as usize];
                    buf[b as usize] = 0.0;
                    let den = na * pow_b[b as usize] + p.shrink;
                    if co > 0.0 && den > 0.0 {
                        row.push((b, co / den));
                    }
                }
                touched.clear();
                top_k(row, p.top_k)
            },
        )
        .collect();
    Csr::from_rows(&rows)
}

/// Item embeddings: the top eigenvectors of the item Gram matrix `S Xᵀ X S` (X the binary user-item
/// matrix, `S = diag(n_i^-beta)`), found by subspace iteration, scaled by `eigenvalue^power`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmbParams {
    /// Dimension.
    pub dim: usize,
    /// Item popularity scaling exponent.
    pub beta: f32,
    /// Eigenvalue exponent applied to each dimension.
    pub power: f32,
    /// Subspace iterations.
    pub iters: usize,
    /// Seed of the random start.
    pub seed: u64,
}

impl Default for EmbParams {
    fn default() -> Self {
        EmbParams { dim: 64, beta: 0.5, power: 0.5, iters: 12, seed: 7 }
    }
}

/// The top eigenpairs of the item Gram matrix of [`EmbParams`] (`beta`, `dim`, `iters`, `seed`):
/// `vectors` row-major `n_items × dim` (orthonormal columns), `values` the Rayleigh quotients.
#[derive(Debug, Clone)]
pub struct Eigen {
    /// Dimension.
    pub dim: usize,
    /// Row-major `n_items × dim`.
    pub vectors: Vec<f32>,
    /// Eigenvalue estimates, one per dimension.
    pub values: Vec<f32>,
}

impl Eigen {
    /// Embeddings from the first `dim` eigenvectors scaled by `eigenvalue^power`.
    pub fn embeddings(&self, dim: usize, power: f32) -> Embeddings {
        let d = dim.clamp(1, self.dim.max(1));
        let n = self.vectors.len() / self.dim.max(1);
        let f: Vec<f32> = self.values.iter().take(d).map(|l| l.powf(power)).collect();
        let mut out = Vec::with_capacity(n * d);
        for i in 0..n {
            let row = &self.vectors[i * self.dim..i * self.dim + d];
            out.extend(row.iter().zip(&f).map(|(a, b)| a * b));
        }
        Embeddings { dim: d, data: EmbeddingData::F32(out.into()) }
    }
}

/// The subspace dimension embeddings are fitted with (smaller dimensions are its leading columns),
/// so that a tuned dimension means the same thing in tuning and in the final fit.
pub const EMB_FIT_DIM: usize = 64;

/// Fits item embeddings (f32; see [`quantize_i8`]).
pub fn embeddings(seqs: &[Vec<Interaction>], n_items: usize, p: &EmbParams) -> Embeddings {
    eigen(seqs, n_items, &EmbParams { dim: p.dim.max(EMB_FIT_DIM), ..*p }).embeddings(p.dim, p.power)
}

/// Subspace iteration for the top `p.dim` eigenpairs of `S Xᵀ X S` (`p.power` is not used).
pub fn eigen(seqs: &[Vec<Interaction>], n_items: usize, p: &EmbParams) -> Eigen {
    let d = p.dim.clamp(1, n_items.max(1));
    let mut pop = vec![0f32; n_items];
    let users: Vec<Vec<u32>> = seqs
        .iter()
        .map(|s| {
            let mut v: Vec<u32> = s.iter().map(|e| e.item).filter(|&i| (i as usize) < n_items).collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .filter(|v| !v.is_empty())
        .collect();
    let mut by_item: Vec<Vec<u32>> = vec![Vec::new(); n_items];
    for (u, items) in users.iter().enumerate() {
        for &i in items {
            pop[i as usize] += 1.0;
            by_item[i as usize].push(u as u32);
        }
    }
    let scale: Vec<f32> = pop.iter().map(|&c| if c > 0.0 { c.powf(-p.beta) } else { 0.0 }).collect();
    let mut rng = recofuse_testkit::SplitMix64::new(p.seed);
    let mut q: Vec<f32> = (0..n_items * d).map(|_| rng.next_f32() * 2.0 - 1.0).collect();
    orthonormalize(&mut q, n_items, d);
    // y = S Xᵀ (X S q): user sums first, then item sums over the inverted lists (no reduction).
    let apply = |q: &[f32]| -> Vec<f32> {
        let mut z = vec![0f32; users.len() * d];
        z.par_chunks_mut(d).zip(users.par_iter()).for_each(|(z, u)| {
            for &i in u {
                let s = scale[i as usize];
                let row = &q[i as usize * d..(i as usize + 1) * d];
                z.iter_mut().zip(row).for_each(|(a, b)| *a += s * b);
            }
        });
        let mut y = vec![0f32; n_items * d];
        y.par_chunks_mut(d).zip(by_item.par_iter()).enumerate().for_each(|(i, (y, us))| {
            for &u in us {
                let row = &z[u as usize * d..(u as usize + 1) * d];
                y.iter_mut().zip(row).for_each(|(a, b)| *a += b);
            }
            let s = scale[i];
            y.iter_mut().for_each(|a| *a *= s);
        });
        y
    };
    for _ in 0..p.iters {
        q = apply(&q);
        orthonormalize(&mut q, n_items, d);
    }
    // Rayleigh quotients as eigenvalues.
    let g = apply(&q);
    let mut values = vec![0f64; d];
    for (qr, gr) in q.chunks_exact(d).zip(g.chunks_exact(d)) {
        for k in 0..d {
            values[k] += f64::from(qr[k]) * f64::from(gr[k]);
        }
    }
    Eigen { dim: d, vectors: q, values: values.into_iter().map(|v| (v as f32).max(0.0)).collect() }
}

/// Orthonormalises the `d` columns of a row-major `n × d` matrix, keeping the span of every leading
/// set of columns (Householder QR by faer, [`crate::linalg::orthonormalize_columns`]). Leaves `q` as it
/// is only where there is nothing to do (`n < d`: an empty catalog) or a value is not finite (which the
/// iteration cannot produce from finite counts).
fn orthonormalize(q: &mut [f32], n: usize, d: usize) {
    let _ = crate::linalg::orthonormalize_columns(q, n, d);
}

/// Quantises f32 embeddings to symmetric int8 with one scale per row.
pub fn quantize_i8(e: &Embeddings) -> Embeddings {
    let d = e.dim;
    let EmbeddingData::F32(data) = &e.data else { return e.clone() };
    let n = data.len() / d.max(1);
    let mut values = Vec::with_capacity(n * d);
    let mut scales = Vec::with_capacity(n);
    for r in 0..n {
        let row = &data[r * d..(r + 1) * d];
        let max = row.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        values.extend(row.iter().map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8));
        scales.push(scale);
    }
    Embeddings { dim: d, data: EmbeddingData::I8 { values: values.into(), scales: scales.into() } }
}

/// Prototype users: spherical k-means over users' (idf-weighted, unit-length) item vectors; clusters
/// with fewer than `min_size` users are dissolved into their members' next-nearest large cluster; each
/// prototype's preferences are its centroid's `top_items` largest entries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProtoParams {
    /// Number of clusters to start from.
    pub clusters: usize,
    /// k-anonymity floor: no prototype stands for fewer users.
    pub min_size: usize,
    /// Items kept per prototype.
    pub top_items: usize,
    /// k-means iterations.
    pub iters: usize,
    /// Seed of the initialisation.
    pub seed: u64,
}

impl Default for ProtoParams {
    fn default() -> Self {
        ProtoParams { clusters: 100, min_size: 10, top_items: 200, iters: 10, seed: 7 }
    }
}

/// Fits prototypes; `None` when there are fewer than `min_size` users.
pub fn prototypes(seqs: &[Vec<Interaction>], n_items: usize, p: &ProtoParams) -> Option<Prototypes> {
    let min_size = p.min_size.max(1);
    let mut pop = vec![0f32; n_items];
    let mut users: Vec<Vec<(u32, f32)>> = Vec::new();
    for s in seqs {
        let mut v: Vec<u32> = s.iter().map(|e| e.item).filter(|&i| (i as usize) < n_items).collect();
        v.sort_unstable();
        v.dedup();
        for &i in &v {
            pop[i as usize] += 1.0;
        }
        if !v.is_empty() {
            users.push(v.into_iter().map(|i| (i, 1.0)).collect());
        }
    }
    if users.len() < min_size {
        return None;
    }
    let nu = users.len() as f32;
    for u in users.iter_mut() {
        for (i, w) in u.iter_mut() {
            *w = (nu / pop[*i as usize].max(1.0)).ln().max(0.0) + 0.1;
        }
        let norm = u.iter().map(|x| x.1 * x.1).sum::<f32>().sqrt().max(1e-12);
        u.iter_mut().for_each(|x| x.1 /= norm);
    }
    let k = p.clusters.clamp(1, users.len() / min_size).max(1);
    let mut rng = recofuse_testkit::SplitMix64::new(p.seed);
    let mut assign: Vec<usize> = (0..users.len()).map(|_| rng.below(k)).collect();
    let mut centroids = vec![0f32; k * n_items];
    let mut alive = vec![true; k];
    for iter in 0..=p.iters {
        // Centroids from assignments.
        centroids.iter_mut().for_each(|x| *x = 0.0);
        let mut sizes = vec![0usize; k];
        for (u, &c) in users.iter().zip(&assign) {
            sizes[c] += 1;
            for &(i, w) in u {
                centroids[c * n_items + i as usize] += w;
            }
        }
        if iter == p.iters {
            // Final pass: dissolve small clusters, then stop.
            let small: Vec<bool> = sizes.iter().map(|&s| s < min_size).collect();
            if !small.iter().any(|&s| s) {
                break;
            }
            for (c, a) in alive.iter_mut().enumerate() {
                *a = !small[c];
            }
            if !alive.iter().any(|&a| a) {
                // Everyone in one prototype.
                assign.iter_mut().for_each(|a| *a = 0);
                alive.iter_mut().enumerate().for_each(|(c, a)| *a = c == 0);
                continue;
            }
        }
        for c in 0..k {
            let row = &mut centroids[c * n_items..(c + 1) * n_items];
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|x| *x /= norm);
            }
        }
        // Item-major copy: a user's similarities to every centroid are sums of contiguous rows.
        let mut by_item = vec![0f32; n_items * k];
        for c in 0..k {
            for (i, &x) in centroids[c * n_items..(c + 1) * n_items].iter().enumerate() {
                by_item[i * k + c] = x;
            }
        }
        let new: Vec<usize> = users
            .par_iter()
            .zip(assign.par_iter())
            .map_init(
                || vec![0f32; k],
                |dots, (u, &old)| {
                    dots.iter_mut().for_each(|x| *x = 0.0);
                    for &(i, w) in u {
                        let row = &by_item[i as usize * k..(i as usize + 1) * k];
                        dots.iter_mut().zip(row).for_each(|(d, x)| *d += w * x);
                    }
                    let mut best = (old, f32::NEG_INFINITY);
                    for (c, &s) in dots.iter().enumerate() {
                        if alive[c] && s > best.1 {
                            best = (c, s);
                        }
                    }
                    best.0
                },
            )
            .collect();
        assign = new;
        if iter == p.iters {
            break;
        }
    }
    // Final centroids (mean of members' vectors) and sizes, dropping clusters still below the floor.
    let mut sizes = vec![0usize; k];
    centroids.iter_mut().for_each(|x| *x = 0.0);
    for (u, &c) in users.iter().zip(&assign) {
        sizes[c] += 1;
        for &(i, w) in u {
            centroids[c * n_items + i as usize] += w;
        }
    }
    let mut rows = Vec::new();
    let mut out_sizes = Vec::new();
    for c in 0..k {
        if sizes[c] < min_size {
            continue;
        }
        let row: Vec<(u32, f32)> = centroids[c * n_items..(c + 1) * n_items]
            .iter()
            .enumerate()
            .filter(|(_, &x)| x > 0.0)
            .map(|(i, &x)| (i as u32, x / sizes[c] as f32))
            .collect();
        rows.push(top_k(row, p.top_items));
        out_sizes.push(sizes[c] as u32);
    }
    if rows.is_empty() {
        return None;
    }
    Some(Prototypes { prefs: Csr::from_rows(&rows), sizes: out_sizes.into(), min_cluster_size: min_size as u32 })
}

/// Popularity: `count = ln(1 + interactions)`; `trend = ln(1 + recent interactions)` where an
/// interaction is recent when it is among its user's last `recent` events (a global clock is not
/// needed, so this also works for logs without times).
pub fn popularity(seqs: &[Vec<Interaction>], n_items: usize, recent: usize) -> Popularity {
    let mut count = vec![0f32; n_items];
    let mut trend = vec![0f32; n_items];
    for seq in seqs {
        let n = seq.len();
        for (pos, e) in seq.iter().enumerate() {
            if let Some(c) = count.get_mut(e.item as usize) {
                *c += 1.0;
            }
            if pos + recent >= n {
                if let Some(t) = trend.get_mut(e.item as usize) {
                    *t += 1.0;
                }
            }
        }
    }
    Popularity {
        count: count.iter().map(|c| c.ln_1p()).collect::<Vec<f32>>().into(),
        trend: trend.iter().map(|c| c.ln_1p()).collect::<Vec<f32>>().into(),
    }
}

/// The catalog section for `ids` (item index order), with attributes from `catalog` where known.
/// Items absent from the catalog (or all items when there is none) have no category, brand or price
/// and are in stock. Items with a title or attributes get TF-IDF text vectors ([`crate::tfidf`]).
pub fn items(ids: &[String], catalog: Option<&Catalog>) -> Items {
    let mut cat_names: Vec<String> = Vec::new();
    let mut cat_index = std::collections::HashMap::new();
    let mut brand_names: Vec<String> = Vec::new();
    let mut brand_index = std::collections::HashMap::new();
    let mut cat_rows = Vec::with_capacity(ids.len());
    let mut brand = Vec::with_capacity(ids.len());
    let mut price = Vec::with_capacity(ids.len());
    let mut flags = Vec::with_capacity(ids.len());
    for id in ids {
        let info = catalog.and_then(|c| c.items.get(id));
        let mut row: Vec<(u32, f32)> = Vec::new();
        let mut b = NONE;
        let mut pr = 0.0;
        let mut f = Items::FLAG_IN_STOCK;
        if let Some(info) = info {
            for c in &info.categories {
                let next = cat_names.len() as u32;
                let k = *cat_index.entry(c.clone()).or_insert_with(|| {
                    cat_names.push(c.clone());
                    next
                });
                if !row.iter().any(|x| x.0 == k) {
                    row.push((k, 1.0));
                }
            }
            row.sort_unstable_by_key(|x| x.0);
            if !info.brand.is_empty() {
                let next = brand_names.len() as u32;
                b = *brand_index.entry(info.brand.clone()).or_insert_with(|| {
                    brand_names.push(info.brand.clone());
                    next
                });
            }
            if let Some(p) = info.price {
                pr = p;
                f |= Items::FLAG_PRICE;
            }
            if info.in_stock == Some(false) {
                f &= !Items::FLAG_IN_STOCK;
            }
        }
        cat_rows.push(row);
        brand.push(b);
        price.push(pr);
        flags.push(f);
    }
    let mut categories = Csr::from_rows(&cat_rows);
    categories.w = Vec::new().into();
    let (term_names, terms) =
        catalog.and_then(|c| crate::tfidf::build(ids, c, &crate::tfidf::TfIdfParams::default())).unwrap_or_default();
    Items {
        ids: StringTable::from_strs(ids),
        category_names: StringTable::from_strs(&cat_names),
        categories,
        brand_names: StringTable::from_strs(&brand_names),
        brand: brand.into(),
        price: price.into(),
        flags: flags.into(),
        term_names,
        terms,
    }
}
