//! The deep model: a small self-attentive sequential recommender in the style of SASRec (Kang &
//! McAuley 2018, "Self-attentive sequential recommendation"), trained natively by the trainer and run
//! here with [`ndarray`] (no ML framework in the engine or the WebAssembly package).
//!
//! The forward pass over the user's most recent items `s_1 … s_t` (oldest first, `t ≤ max_len`):
//!
//! ```text
//! x_r   = √dim · E[s_r] + P[max_len − t + r]              (positions count back from the newest item)
//! per block:  h = LN₁(x);  x = x + MHA_causal(h)·Wo + bo;  h = LN₂(x);  x = x + ReLU(h·W₁ + b₁)·W₂ + b₂
//! u     = LN(x_t)                                          (the user vector: the last position)
//! score(c) = u · E[c]                                      (the item embedding is also the output layer)
//! ```
//!
//! Every matrix is stored `[in, out]` (so `y = x·W + b`), row-major, f32 in memory.

use ndarray::{Array2, ArrayView2};

use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// The layer-norm epsilon (the trainer uses the same constant).
pub const LN_EPS: f32 = 1e-5;

/// Bias added to masked attention logits (the trainer uses the same constant; `exp` of it is exactly 0).
pub const MASK_BIAS: f32 = -1e9;

/// One transformer block (pre-layer-norm).
#[derive(Debug, Clone, PartialEq)]
pub struct NeuralBlock {
    /// Layer norm before attention: scale `[dim]`.
    pub ln1_w: Tensor<f32>,
    /// Layer norm before attention: shift `[dim]`.
    pub ln1_b: Tensor<f32>,
    /// Query projection `[dim, dim]`.
    pub wq: Tensor<f32>,
    /// Query bias `[dim]`.
    pub bq: Tensor<f32>,
    /// Key projection `[dim, dim]`.
    pub wk: Tensor<f32>,
    /// Key bias `[dim]`.
    pub bk: Tensor<f32>,
    /// Value projection `[dim, dim]`.
    pub wv: Tensor<f32>,
    /// Value bias `[dim]`.
    pub bv: Tensor<f32>,
    /// Attention output projection `[dim, dim]`.
    pub wo: Tensor<f32>,
    /// Attention output bias `[dim]`.
    pub bo: Tensor<f32>,
    /// Layer norm before the feed-forward layer: scale `[dim]`.
    pub ln2_w: Tensor<f32>,
    /// Layer norm before the feed-forward layer: shift `[dim]`.
    pub ln2_b: Tensor<f32>,
    /// Feed-forward input layer `[dim, ffn_dim]`.
    pub w1: Tensor<f32>,
    /// Feed-forward input bias `[ffn_dim]`.
    pub b1: Tensor<f32>,
    /// Feed-forward output layer `[ffn_dim, dim]`.
    pub w2: Tensor<f32>,
    /// Feed-forward output bias `[dim]`.
    pub b2: Tensor<f32>,
}

/// The names of a block's parameters, in [`NeuralBlock::parts`] order (bundle tensor `neural.block{k}.{name}`).
pub const BLOCK_PARTS: [&str; 16] =
    ["ln1_w", "ln1_b", "wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo", "ln2_w", "ln2_b", "w1", "b1", "w2", "b2"];

impl NeuralBlock {
    /// The parameters with their names ([`BLOCK_PARTS`]) and shapes, given the model's sizes.
    pub fn parts(&self, dim: usize, ffn_dim: usize) -> [(&'static str, &Tensor<f32>, Vec<usize>); 16] {
        let (d, f) = (dim, ffn_dim);
        [
            ("ln1_w", &self.ln1_w, vec![d]),
            ("ln1_b", &self.ln1_b, vec![d]),
            ("wq", &self.wq, vec![d, d]),
            ("bq", &self.bq, vec![d]),
            ("wk", &self.wk, vec![d, d]),
            ("bk", &self.bk, vec![d]),
            ("wv", &self.wv, vec![d, d]),
            ("bv", &self.bv, vec![d]),
            ("wo", &self.wo, vec![d, d]),
            ("bo", &self.bo, vec![d]),
            ("ln2_w", &self.ln2_w, vec![d]),
            ("ln2_b", &self.ln2_b, vec![d]),
            ("w1", &self.w1, vec![d, f]),
            ("b1", &self.b1, vec![f]),
            ("w2", &self.w2, vec![f, d]),
            ("b2", &self.b2, vec![d]),
        ]
    }

    /// Builds a block from its parameters in [`BLOCK_PARTS`] order (`get(name)` supplies each).
    pub fn from_parts(mut get: impl FnMut(&str) -> Result<Tensor<f32>>) -> Result<NeuralBlock> {
        Ok(NeuralBlock {
            ln1_w: get("ln1_w")?,
            ln1_b: get("ln1_b")?,
            wq: get("wq")?,
            bq: get("bq")?,
            wk: get("wk")?,
            bk: get("bk")?,
            wv: get("wv")?,
            bv: get("bv")?,
            wo: get("wo")?,
            bo: get("bo")?,
            ln2_w: get("ln2_w")?,
            ln2_b: get("ln2_b")?,
            w1: get("w1")?,
            b1: get("b1")?,
            w2: get("w2")?,
            b2: get("b2")?,
        })
    }
}

/// The deep sequential model (see the module documentation for the forward pass).
#[derive(Debug, Clone, PartialEq)]
pub struct NeuralModel {
    /// Hidden size.
    pub dim: usize,
    /// Attention heads (divides `dim`).
    pub heads: usize,
    /// Most recent items read (positions).
    pub max_len: usize,
    /// Feed-forward hidden size.
    pub ffn_dim: usize,
    /// Item embeddings `[items, dim]` (input and output layer).
    pub item_emb: Tensor<f32>,
    /// Position embeddings `[max_len, dim]`; row `max_len - 1` is the newest item's.
    pub pos_emb: Tensor<f32>,
    /// The transformer blocks.
    pub blocks: Vec<NeuralBlock>,
    /// Final layer norm: scale `[dim]`.
    pub ln_w: Tensor<f32>,
    /// Final layer norm: shift `[dim]`.
    pub ln_b: Tensor<f32>,
}

impl NeuralModel {
    /// A model of the given sizes with random weights drawn from `seed` (for tests, benchmarks and
    /// demos: its scores mean nothing).
    ///
    /// ```
    /// use recofuse_core::neural::NeuralModel;
    /// let m = NeuralModel::random(100, 16, 2, 2, 10, 32, 7);
    /// m.validate(100).unwrap();
    /// let u = m.user_vector(&[3, 5, 8]).unwrap();
    /// assert_eq!(u.len(), 16);
    /// assert!(m.score(&u, 99).is_some() && m.score(&u, 100).is_none());
    /// ```
    pub fn random(
        items: usize,
        dim: usize,
        heads: usize,
        layers: usize,
        max_len: usize,
        ffn_dim: usize,
        seed: u64,
    ) -> NeuralModel {
        let mut rng = crate::demo::SplitMix64::new(seed);
        let mut r = |n: usize, scale: f32| -> Tensor<f32> {
            (0..n).map(|_| (rng.next_f32() * 2.0 - 1.0) * scale).collect::<Vec<f32>>().into()
        };
        let (d, f) = (dim, ffn_dim);
        let w = 1.0 / (d.max(1) as f32).sqrt();
        let blocks = (0..layers)
            .map(|_| NeuralBlock {
                ln1_w: r(d, 0.1).iter().map(|x| 1.0 + x).collect::<Vec<f32>>().into(),
                ln1_b: r(d, 0.1),
                wq: r(d * d, w),
                bq: r(d, 0.1),
                wk: r(d * d, w),
                bk: r(d, 0.1),
                wv: r(d * d, w),
                bv: r(d, 0.1),
                wo: r(d * d, w),
                bo: r(d, 0.1),
                ln2_w: r(d, 0.1).iter().map(|x| 1.0 + x).collect::<Vec<f32>>().into(),
                ln2_b: r(d, 0.1),
                w1: r(d * f, w),
                b1: r(f, 0.1),
                w2: r(f * d, 1.0 / (f.max(1) as f32).sqrt()),
                b2: r(d, 0.1),
            })
            .collect();
        NeuralModel {
            dim,
            heads,
            max_len,
            ffn_dim,
            item_emb: r(items * d, w),
            pos_emb: r(max_len * d, 0.1),
            blocks,
            ln_w: r(d, 0.1).iter().map(|x| 1.0 + x).collect::<Vec<f32>>().into(),
            ln_b: r(d, 0.1),
        }
    }

    /// Number of items (rows of the item embedding).
    pub fn items(&self) -> usize {
        self.item_emb.len().checked_div(self.dim).unwrap_or(0)
    }

    /// Checks every shape against `dim`, `heads`, `max_len`, `ffn_dim` and `items`, and that every value
    /// is finite. The forward pass relies on it (a model that fails gives no scores rather than a panic).
    pub fn validate(&self, items: usize) -> Result<()> {
        let bad = |what: &str, why: String| Err(Error::section(format!("neural.{what}"), why));
        if self.dim == 0 || self.heads == 0 || self.dim % self.heads != 0 {
            return bad("dim", format!("dim {} must be >= 1 and a multiple of heads {}", self.dim, self.heads));
        }
        if self.max_len == 0 || self.ffn_dim == 0 {
            return bad("max_len", format!("max_len {} and ffn_dim {} must be >= 1", self.max_len, self.ffn_dim));
        }
        let check = |name: String, t: &Tensor<f32>, shape: &[usize]| -> Result<()> {
            let n = shape.iter().try_fold(1usize, |a, &b| a.checked_mul(b));
            if n != Some(t.len()) {
                return bad(&name, format!("{} values, expected {shape:?}", t.len()));
            }
            if let Some(p) = t.iter().position(|x| !x.is_finite()) {
                return bad(&name, format!("value {p} is not finite"));
            }
            Ok(())
        };
        check("item_emb".into(), &self.item_emb, &[items, self.dim])?;
        check("pos_emb".into(), &self.pos_emb, &[self.max_len, self.dim])?;
        check("ln.w".into(), &self.ln_w, &[self.dim])?;
        check("ln.b".into(), &self.ln_b, &[self.dim])?;
        for (k, b) in self.blocks.iter().enumerate() {
            for (name, t, shape) in b.parts(self.dim, self.ffn_dim) {
                check(format!("block{k}.{name}"), t, &shape)?;
            }
        }
        Ok(())
    }

    /// The user vector of a sequence of item indices (oldest first; only the last `max_len` are read).
    /// `None` for an empty sequence, an out-of-range item or a model whose shapes do not hold.
    pub fn user_vector(&self, seq: &[u32]) -> Option<Vec<f32>> {
        let d = self.dim;
        let n = self.items();
        let seq = &seq[seq.len().saturating_sub(self.max_len)..];
        let t = seq.len();
        if t == 0 || d == 0 {
            return None;
        }
        let emb = view2(&self.item_emb, n, d)?;
        let pos = view2(&self.pos_emb, self.max_len, d)?;
        let scale = (d as f32).sqrt();
        let mut x = Array2::<f32>::zeros((t, d));
        for ((&i, o), p) in seq.iter().zip(rows_mut(&mut x)?).zip(rows(&pos)?.skip(self.max_len - t)) {
            let e = rows(&emb)?.nth(i as usize)?;
            o.iter_mut().zip(e).zip(p).for_each(|((o, &e), &q)| *o = scale * e + q);
        }
        let layers = self.blocks.len();
        for (k, b) in self.blocks.iter().enumerate() {
            x = self.block(b, x, k + 1 == layers)?;
        }
        let last = rows(&x.view())?.last()?;
        layer_norm_row(last, &self.ln_w, &self.ln_b)
    }

    /// The score of item `i` for user vector `u` (`None` when out of range).
    pub fn score(&self, u: &[f32], i: u32) -> Option<f32> {
        let d = self.dim;
        let start = (i as usize).checked_mul(d)?;
        let row = self.item_emb.get(start..start.checked_add(d)?)?;
        if u.len() != d {
            return None;
        }
        Some(dot(row, u))
    }

    /// One block over `x` (`[t, dim]`). With `last_only`, only the last position's output is computed
    /// (`[1, dim]`: what the user vector needs from the last block; keys and values still span every position).
    fn block(&self, b: &NeuralBlock, x: Array2<f32>, last_only: bool) -> Option<Array2<f32>> {
        let (t, d) = x.dim();
        let f = self.ffn_dim;
        let q0 = if last_only { t - 1 } else { 0 };
        let h = layer_norm(x.view(), &b.ln1_w, &b.ln1_b)?;
        let hq = view2(h.as_slice()?.get(q0 * d..)?, t - q0, d)?;
        let q = linear(hq, &b.wq, &b.bq, d)?;
        let k = linear(h.view(), &b.wk, &b.bk, d)?;
        let v = linear(h.view(), &b.wv, &b.bv, d)?;
        let (k, v) = (k.as_slice()?, v.as_slice()?);
        let heads = self.heads;
        let dh = d / heads;
        let inv = 1.0 / (dh as f32).sqrt();
        let mut attn = Array2::<f32>::zeros((t - q0, d));
        let mut p = vec![0f32; t];
        for (r, (qr, ar)) in rows(&q.view())?.zip(rows_mut(&mut attn)?).enumerate() {
            // Causal: position i sees positions 0..=i.
            let i = q0 + r;
            for c in (0..d).step_by(dh.max(1)) {
                let qh = qr.get(c..c + dh)?;
                for (j, z) in p.iter_mut().enumerate() {
                    *z = if j <= i { dot_kc(qh, k.get(j * d + c..j * d + c + dh)?) * inv } else { MASK_BIAS };
                }
                let max = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                p.iter_mut().for_each(|z| *z = (*z - max).exp());
                let sum = sum8(&p);
                p.iter_mut().for_each(|z| *z /= sum);
                vec_mat(&p, v.get(c..)?, d, ar.get_mut(c..c + dh)?)?;
            }
        }
        let mut x = Array2::from_shape_vec((t - q0, d), x.as_slice()?.get(q0 * d..)?.to_vec()).ok()?;
        add(x.as_slice_mut()?, linear(attn.view(), &b.wo, &b.bo, d)?.as_slice()?)?;
        let h = layer_norm(x.view(), &b.ln2_w, &b.ln2_b)?;
        let mut hidden = linear(h.view(), &b.w1, &b.b1, f)?;
        hidden.as_slice_mut()?.iter_mut().for_each(|z| *z = z.max(0.0));
        add(x.as_slice_mut()?, linear(hidden.view(), &b.w2, &b.b2, d)?.as_slice()?)?;
        Some(x)
    }
}

// The arithmetic below is written with plain loops over the arrays' rows (slices); it sums in the same
// order as ndarray's `dot` (matrixmultiply: sequential over the inner index, in blocks of `KC`) and
// `sum` (eight partial sums), so the scores are the ones the earlier `dot`/`sum` version gave, bit for bit.

/// The inner-dimension block of matrixmultiply's f32 kernel: within a block a product sums sequentially
/// from 0, and block results are added to the output one after the other.
const KC: usize = 256;

fn view2(t: &[f32], rows: usize, cols: usize) -> Option<ArrayView2<'_, f32>> {
    ArrayView2::from_shape((rows, cols), t).ok()
}

/// The rows of a row-major matrix as slices (`None` for zero columns or a non-contiguous view).
fn rows<'a>(a: &ArrayView2<'a, f32>) -> Option<std::slice::ChunksExact<'a, f32>> {
    let c = a.ncols();
    (c > 0).then_some(())?;
    Some(a.to_slice()?.chunks_exact(c))
}

fn rows_mut(a: &mut Array2<f32>) -> Option<std::slice::ChunksExactMut<'_, f32>> {
    let c = a.ncols();
    (c > 0).then_some(())?;
    Some(a.as_slice_mut()?.chunks_exact_mut(c))
}

/// `x·W + b` with `W` `[x.ncols(), out]`.
fn linear(x: ArrayView2<'_, f32>, w: &Tensor<f32>, b: &Tensor<f32>, out: usize) -> Option<Array2<f32>> {
    let w = view2(w, x.ncols(), out)?;
    if b.len() != out {
        return None;
    }
    let mut y = Array2::<f32>::zeros((x.nrows(), out));
    for (xr, yr) in rows(&x)?.zip(rows_mut(&mut y)?) {
        vec_mat(xr, w.to_slice()?, out, yr)?;
        add(yr, b)?;
    }
    Some(y)
}

/// `y = x·W` for the matrix `W` whose row `k` is `w[k * stride..][..y.len()]`.
fn vec_mat(x: &[f32], w: &[f32], stride: usize, y: &mut [f32]) -> Option<()> {
    let n = y.len();
    let mut part = Vec::new();
    for (blk, xs) in x.chunks(KC).enumerate() {
        let acc: &mut [f32] = if blk == 0 {
            y.fill(0.0);
            &mut *y
        } else {
            part.clear();
            part.resize(n, 0.0);
            &mut part
        };
        for (kk, &a) in xs.iter().enumerate() {
            let r = (blk * KC + kk) * stride;
            for (s, &b) in acc.iter_mut().zip(w.get(r..r + n)?) {
                *s += a * b;
            }
        }
        if blk > 0 {
            add(y, &part)?;
        }
    }
    Some(())
}

/// `a · b`, summed like [`vec_mat`].
fn dot_kc(a: &[f32], b: &[f32]) -> f32 {
    let mut c = 0.0;
    for (blk, (x, y)) in a.chunks(KC).zip(b.chunks(KC)).enumerate() {
        let s = x.iter().zip(y).fold(0.0, |s, (x, y)| s + x * y);
        c = if blk == 0 { s } else { c + s };
    }
    c
}

/// `a += b` (`None` when the lengths differ).
fn add(a: &mut [f32], b: &[f32]) -> Option<()> {
    (a.len() == b.len()).then_some(())?;
    a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
    Some(())
}

/// The sum with eight partial sums, combined as ndarray's `sum` combines them.
fn sum8(x: &[f32]) -> f32 {
    let mut p = [0f32; 8];
    let chunks = x.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        p.iter_mut().zip(c).for_each(|(p, c)| *p += c);
    }
    let mut acc = 0.0;
    for j in 0..4 {
        acc += p[j] + p[j + 4];
    }
    tail.iter().fold(acc, |a, z| a + z)
}

fn layer_norm(x: ArrayView2<'_, f32>, w: &Tensor<f32>, b: &Tensor<f32>) -> Option<Array2<f32>> {
    let mut out = Array2::<f32>::zeros(x.dim());
    for (r, o) in rows(&x)?.zip(rows_mut(&mut out)?) {
        o.copy_from_slice(&layer_norm_row(r, w, b)?);
    }
    Some(out)
}

fn layer_norm_row(x: &[f32], w: &[f32], b: &[f32]) -> Option<Vec<f32>> {
    let d = x.len();
    if w.len() != d || b.len() != d || d == 0 {
        return None;
    }
    let mean = sum8(x) / d as f32;
    let var = x.iter().map(|z| (z - mean) * (z - mean)).sum::<f32>() / d as f32;
    let inv = 1.0 / (var + LN_EPS).sqrt();
    Some(x.iter().zip(w).zip(b).map(|((&z, &g), &c)| (z - mean) * inv * g + c).collect())
}

/// Dot product with 8 independent partial sums (vectorisable; a plain `sum` stays sequential).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    const L: usize = 8;
    let mut acc = [0f32; L];
    let n = a.len().min(b.len());
    let cut = n - n % L;
    for (x, y) in a[..cut].chunks_exact(L).zip(b[..cut].chunks_exact(L)) {
        for ((s, &x), &y) in acc.iter_mut().zip(x).zip(y) {
            *s += x * y;
        }
    }
    let tail: f32 = a[cut..n].iter().zip(&b[cut..n]).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}
