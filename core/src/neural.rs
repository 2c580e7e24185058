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

use ndarray::ArrayView2;

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
        let t = [
            &self.ln1_w,
            &self.ln1_b,
            &self.wq,
            &self.bq,
            &self.wk,
            &self.bk,
            &self.wv,
            &self.bv,
            &self.wo,
            &self.bo,
            &self.ln2_w,
            &self.ln2_b,
            &self.w1,
            &self.b1,
            &self.w2,
            &self.b2,
        ];
        // Matrices are `[dim, dim]` except `w1` `[dim, ffn_dim]` and `w2` `[ffn_dim, dim]`; vectors are
        // `[dim]` except `b1` `[ffn_dim]`.
        std::array::from_fn(|i| {
            let name = BLOCK_PARTS[i];
            let shape = match name {
                "w1" => vec![dim, ffn_dim],
                "w2" => vec![ffn_dim, dim],
                "b1" => vec![ffn_dim],
                n if n.starts_with('w') => vec![dim, dim],
                _ => vec![dim],
            };
            (name, t[i], shape)
        })
    }

    /// Builds a block from its parameters in [`BLOCK_PARTS`] order (`get(name)` supplies each).
    pub fn from_parts(mut get: impl FnMut(&str) -> Result<Tensor<f32>>) -> Result<NeuralBlock> {
        let mut t = Vec::with_capacity(BLOCK_PARTS.len());
        for name in BLOCK_PARTS {
            t.push(get(name)?);
        }
        let Ok([ln1_w, ln1_b, wq, bq, wk, bk, wv, bv, wo, bo, ln2_w, ln2_b, w1, b1, w2, b2]) = <[_; 16]>::try_from(t)
        else {
            return Err(Error::section("neural", "a block needs 16 parameters"));
        };
        Ok(NeuralBlock { ln1_w, ln1_b, wq, bq, wk, bk, wv, bv, wo, bo, ln2_w, ln2_b, w1, b1, w2, b2 })
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
                return bad(&name, format!("{} values, expected {}", t.len(), crate::json::Dims(shape)));
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
        let (d, l) = (self.dim, self.max_len);
        let seq = &seq[seq.len().saturating_sub(l)..];
        let t = seq.len();
        if t == 0 || d == 0 {
            return None;
        }
        let emb = view2(&self.item_emb, self.items(), d)?;
        let pos = view2(&self.pos_emb, l, d)?;
        let scale = (d as f32).sqrt();
        // x: the sequence's activations, `[t, dim]` row-major.
        let mut x = Vec::with_capacity(t * d);
        for (r, &i) in seq.iter().enumerate() {
            let (e, p) = (row(&emb, i as usize)?, row(&pos, l - t + r)?);
            x.extend(e.iter().zip(p).map(|(&e, &p)| scale * e + p));
        }
        let layers = self.blocks.len();
        for (k, b) in self.blocks.iter().enumerate() {
            x = self.block(b, x, k + 1 == layers)?;
        }
        layer_norm(x.get(x.len().checked_sub(d)?..)?, d, &self.ln_w, &self.ln_b)
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

    /// One block over `x` (`[t, dim]`, `t >= 1`). With `last_only`, only the last position's output is
    /// computed (`[1, dim]`: what the user vector needs from the last block; keys and values still span
    /// every position).
    fn block(&self, b: &NeuralBlock, x: Vec<f32>, last_only: bool) -> Option<Vec<f32>> {
        let (d, f) = (self.dim, self.ffn_dim);
        let t = x.len() / d;
        let q0 = if last_only { t - 1 } else { 0 };
        let h = layer_norm(&x, d, &b.ln1_w, &b.ln1_b)?;
        let q = linear(h.get(q0 * d..)?, &b.wq, &b.bq, d, d)?;
        let k = linear(&h, &b.wk, &b.bk, d, d)?;
        let v = linear(&h, &b.wv, &b.bv, d, d)?;
        let dh = d.checked_div(self.heads).filter(|&n| n > 0)?;
        let inv = 1.0 / (dh as f32).sqrt();
        let mut attn = vec![0f32; q.len()];
        let mut p = vec![0f32; t];
        for i in q0..t {
            let r = (i - q0) * d;
            for c in (0..d).step_by(dh) {
                // Causal: position i sees positions 0..=i.
                for (j, z) in p.iter_mut().enumerate() {
                    *z = if j <= i { dot_kc(q.get(r + c..r + c + dh)?, k.get(j * d + c..)?) * inv } else { MASK_BIAS };
                }
                let max = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                p.iter_mut().for_each(|z| *z = (*z - max).exp());
                let sum = sum8(&p);
                p.iter_mut().for_each(|z| *z /= sum);
                vec_mat(&p, v.get(c..)?, d, attn.get_mut(r + c..r + c + dh)?)?;
            }
        }
        let mut x = x.get(q0 * d..)?.to_vec();
        add(&mut x, &linear(&attn, &b.wo, &b.bo, d, d)?)?;
        let mut hidden = linear(&layer_norm(&x, d, &b.ln2_w, &b.ln2_b)?, &b.w1, &b.b1, d, f)?;
        hidden.iter_mut().for_each(|z| *z = z.max(0.0));
        add(&mut x, &linear(&hidden, &b.w2, &b.b2, f, d)?)?;
        Some(x)
    }
}

// The weights are read through ndarray's shape-checked 2-D views; the arithmetic is plain loops over
// their rows (slices), which keeps the WebAssembly module small (ndarray's generic `dot`, `Zip` and
// broadcasting cost about 11 KB gzip there). The loops sum in the same order as ndarray's `dot`
// (matrixmultiply's f32 kernel: sequential over the inner index, in blocks of `KC`) and `sum` (eight
// partial sums), so the scores are the ones the earlier ndarray version gave, bit for bit.

/// The inner-dimension block of matrixmultiply's f32 kernel: within a block a product sums sequentially
/// from 0, and the blocks' results are added to the output one after the other.
const KC: usize = 256;

/// `t` as a `[rows, cols]` row-major matrix (`None` when the sizes do not match).
fn view2(t: &[f32], rows: usize, cols: usize) -> Option<ArrayView2<'_, f32>> {
    ArrayView2::from_shape((rows, cols), t).ok()
}

/// Row `i` of a row-major matrix (`None` when out of range).
fn row<'a>(a: &ArrayView2<'a, f32>, i: usize) -> Option<&'a [f32]> {
    let c = a.ncols();
    a.to_slice()?.get(i.checked_mul(c)?..)?.get(..c)
}

/// `x·W + b` for each row of `x` (`[rows, inp]` row-major), with `W` `[inp, out]`.
fn linear(x: &[f32], w: &[f32], b: &[f32], inp: usize, out: usize) -> Option<Vec<f32>> {
    let w = view2(w, inp, out)?;
    let rows = x.len().checked_div(inp)?;
    (out > 0).then_some(())?;
    let mut y = vec![0f32; rows * out];
    for (xr, yr) in x.chunks(inp).zip(y.chunks_mut(out)) {
        vec_mat(xr, w.to_slice()?, out, yr)?;
        add(yr, b)?;
    }
    Some(y)
}

/// `y = x·W` for the matrix `W` whose row `k` is `w[k * stride..][..y.len()]`, summed like matrixmultiply.
fn vec_mat(x: &[f32], w: &[f32], stride: usize, y: &mut [f32]) -> Option<()> {
    let n = y.len();
    let mut part = vec![0f32; n];
    for (blk, xs) in x.chunks(KC).enumerate() {
        part.fill(0.0);
        for (kk, &a) in xs.iter().enumerate() {
            let r = (blk * KC + kk) * stride;
            for (s, &b) in part.iter_mut().zip(w.get(r..r + n)?) {
                *s += a * b;
            }
        }
        if blk == 0 {
            y.copy_from_slice(&part);
        } else {
            add(y, &part)?;
        }
    }
    Some(())
}

/// `a · b` over the length of `a`, summed like [`vec_mat`].
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

/// Layer norm of each row of `x` (`[rows, d]` row-major).
fn layer_norm(x: &[f32], d: usize, w: &[f32], b: &[f32]) -> Option<Vec<f32>> {
    if w.len() != d || b.len() != d || d == 0 {
        return None;
    }
    let mut out = Vec::with_capacity(x.len());
    for r in x.chunks(d) {
        let mean = sum8(r) / d as f32;
        let var = r.iter().map(|z| (z - mean) * (z - mean)).sum::<f32>() / d as f32;
        let inv = 1.0 / (var + LN_EPS).sqrt();
        out.extend(r.iter().zip(w).zip(b).map(|((&z, &g), &c)| (z - mean) * inv * g + c));
    }
    Some(out)
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
