//! The network in candle: parameters, the batched forward pass (training and inference) and the export
//! to the engine's [`NeuralModel`]. The arithmetic is the one documented in [`recofuse_core::neural`].

use candle_core::{DType, Device, Tensor, Var, D};
use recofuse_core::neural::{NeuralBlock, NeuralModel, BLOCK_PARTS, LN_EPS, MASK_BIAS};
use recofuse_testkit::SplitMix64;

use super::fit::ce;
use super::NeuralParams;
use crate::error::Result;

/// One block's parameters, in [`BLOCK_PARTS`] order.
#[derive(Debug)]
pub struct Block {
    /// The 16 parameters.
    pub vars: Vec<Var>,
}

impl Block {
    fn p(&self, i: usize) -> &Tensor {
        self.vars[i].as_tensor()
    }
}

/// The network's parameters.
#[derive(Debug)]
pub struct Net {
    /// Sizes and regularisation.
    pub params: NeuralParams,
    /// Number of items.
    pub items: usize,
    /// Item embeddings `[items, dim]`.
    pub item_emb: Var,
    /// Position embeddings `[max_len, dim]`.
    pub pos_emb: Var,
    /// Blocks.
    pub blocks: Vec<Block>,
    /// Final layer norm scale and shift.
    pub ln: [Var; 2],
}

/// A padded batch: `rows` sequences of length `t`, left-padded, positions counted back from the end.
#[derive(Debug)]
pub struct Batch {
    /// Item ids `[rows * t]` (padding = 0).
    pub ids: Tensor,
    /// 1 for real positions, 0 for padding, `[rows * t, 1]`.
    pub mask: Tensor,
    /// Additive attention bias `[rows, 1, t, t]` (causal and padding keys masked).
    pub bias: Tensor,
    /// Rows in the batch.
    pub rows: usize,
    /// Padded length.
    pub t: usize,
}

impl Batch {
    /// Builds a batch of sequences (each at most `max_len` long, non-empty).
    pub fn new(seqs: &[&[u32]], dev: &Device) -> Result<Batch> {
        let rows = seqs.len();
        let t = seqs.iter().map(|s| s.len()).max().unwrap_or(1).max(1);
        let mut ids = vec![0u32; rows * t];
        let mut mask = vec![0f32; rows * t];
        let mut bias = vec![MASK_BIAS; rows * t * t];
        for (r, s) in seqs.iter().enumerate() {
            let pad = t - s.len();
            for (j, &i) in s.iter().enumerate() {
                ids[r * t + pad + j] = i;
                mask[r * t + pad + j] = 1.0;
            }
            // Real positions see the real positions up to themselves; padding rows see nothing (their
            // softmax is uniform and their output is never read).
            for q in pad..t {
                for k in pad..=q {
                    bias[(r * t + q) * t + k] = 0.0;
                }
            }
        }
        Ok(Batch {
            ids: Tensor::from_vec(ids, rows * t, dev).map_err(ce)?,
            mask: Tensor::from_vec(mask, (rows * t, 1), dev).map_err(ce)?,
            bias: Tensor::from_vec(bias, (rows, 1, t, t), dev).map_err(ce)?,
            rows,
            t,
        })
    }
}

/// Xavier-normal initialisation from the seeded generator.
fn normal(rng: &mut SplitMix64, n: usize, std: f64) -> Vec<f32> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let u1 = ((rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let r = (-2.0 * u1.ln()).sqrt();
        out.push((r * (std::f64::consts::TAU * u2).cos() * std) as f32);
        if out.len() < n {
            out.push((r * (std::f64::consts::TAU * u2).sin() * std) as f32);
        }
    }
    out
}

fn var(values: Vec<f32>, shape: &[usize], dev: &Device) -> Result<Var> {
    Var::from_vec(values, shape, dev).map_err(ce)
}

impl Net {
    /// A freshly initialised network (deterministic for `params.seed`).
    pub fn new(params: &NeuralParams, items: usize, dev: &Device) -> Result<Net> {
        let (d, f, l) = (params.dim, params.ffn_dim, params.max_len);
        let mut rng = SplitMix64::new(params.seed ^ 0x0a11_ce5e);
        let xavier = |rng: &mut SplitMix64, a: usize, b: usize| normal(rng, a * b, (2.0 / (a + b) as f64).sqrt());
        let item_emb = var(xavier(&mut rng, items, d), &[items, d], dev)?;
        let pos_emb = var(xavier(&mut rng, l, d), &[l, d], dev)?;
        let mut blocks = Vec::with_capacity(params.layers);
        for _ in 0..params.layers {
            let mut vars = Vec::with_capacity(16);
            for name in BLOCK_PARTS {
                let v = match name {
                    "ln1_w" | "ln2_w" => var(vec![1.0; d], &[d], dev)?,
                    "wq" | "wk" | "wv" | "wo" => var(xavier(&mut rng, d, d), &[d, d], dev)?,
                    "w1" => var(xavier(&mut rng, d, f), &[d, f], dev)?,
                    "w2" => var(xavier(&mut rng, f, d), &[f, d], dev)?,
                    "b1" => var(vec![0.0; f], &[f], dev)?,
                    _ => var(vec![0.0; d], &[d], dev)?,
                };
                vars.push(v);
            }
            blocks.push(Block { vars });
        }
        let ln = [var(vec![1.0; d], &[d], dev)?, var(vec![0.0; d], &[d], dev)?];
        Ok(Net { params: params.clone(), items, item_emb, pos_emb, blocks, ln })
    }

    /// A network holding the weights of an engine model (inverse of [`Net::export`]); `params` supplies
    /// the training-only settings (dropout, seed), the sizes come from `m`.
    pub fn from_model(m: &NeuralModel, params: &NeuralParams) -> Result<Net> {
        let dev = Device::Cpu;
        let params = NeuralParams {
            dim: m.dim,
            heads: m.heads,
            max_len: m.max_len,
            ffn_dim: m.ffn_dim,
            layers: m.blocks.len(),
            ..params.clone()
        };
        let t = |values: &recofuse_core::Tensor<f32>, shape: Vec<usize>| var(values.to_vec(), &shape, &dev);
        let mut blocks = Vec::with_capacity(m.blocks.len());
        for b in &m.blocks {
            let vars = b.parts(m.dim, m.ffn_dim).into_iter().map(|(_, v, shape)| t(v, shape)).collect::<Result<_>>()?;
            blocks.push(Block { vars });
        }
        Ok(Net {
            items: m.items(),
            item_emb: t(&m.item_emb, vec![m.items(), m.dim])?,
            pos_emb: t(&m.pos_emb, vec![m.max_len, m.dim])?,
            blocks,
            ln: [t(&m.ln_w, vec![m.dim])?, t(&m.ln_b, vec![m.dim])?],
            params,
        })
    }

    /// Every trainable variable.
    pub fn vars(&self) -> Vec<Var> {
        let mut v = vec![self.item_emb.clone(), self.pos_emb.clone()];
        for b in &self.blocks {
            v.extend(b.vars.iter().cloned());
        }
        v.extend(self.ln.iter().cloned());
        v
    }

    /// The hidden states `[rows * t, dim]` after the final layer norm. With `rng`, dropout is applied
    /// (training); without, the pass is the engine's.
    pub fn forward(&self, b: &Batch, mut rng: Option<&mut SplitMix64>) -> Result<Tensor> {
        let p = &self.params;
        let (d, h) = (p.dim, p.heads);
        let dh = d / h;
        let dev = b.ids.device();
        let emb = self.item_emb.as_tensor().index_select(&b.ids, 0).map_err(ce)?;
        let pos = self.pos_emb.as_tensor().narrow(0, p.max_len - b.t, b.t).map_err(ce)?;
        let pos = pos.unsqueeze(0).map_err(ce)?.broadcast_as((b.rows, b.t, d)).map_err(ce)?;
        let pos = pos.reshape((b.rows * b.t, d)).map_err(ce)?;
        let x = ((emb * (d as f64).sqrt()).map_err(ce)? + pos).map_err(ce)?;
        let mut x = x.broadcast_mul(&b.mask).map_err(ce)?;
        x = dropout(&x, p.dropout, rng.as_deref_mut(), dev)?;
        let inv = 1.0 / (dh as f64).sqrt();
        for blk in &self.blocks {
            let hn = layer_norm(&x, blk.p(0), blk.p(1))?;
            let heads = |w: &Tensor, bias: &Tensor| -> Result<Tensor> {
                let y = hn.matmul(w).map_err(ce)?.broadcast_add(bias).map_err(ce)?;
                y.reshape((b.rows, b.t, h, dh)).map_err(ce)?.transpose(1, 2).map_err(ce)?.contiguous().map_err(ce)
            };
            let q = heads(blk.p(2), blk.p(3))?;
            let k = heads(blk.p(4), blk.p(5))?;
            let v = heads(blk.p(6), blk.p(7))?;
            let kt = k.transpose(2, 3).map_err(ce)?.contiguous().map_err(ce)?;
            let sc = (q.matmul(&kt).map_err(ce)? * inv).map_err(ce)?.broadcast_add(&b.bias).map_err(ce)?;
            let a = candle_nn::ops::softmax(&sc, D::Minus1).map_err(ce)?;
            let o = a.matmul(&v).map_err(ce)?.transpose(1, 2).map_err(ce)?.contiguous().map_err(ce)?;
            let o = o.reshape((b.rows * b.t, d)).map_err(ce)?;
            let o = o.matmul(blk.p(8)).map_err(ce)?.broadcast_add(blk.p(9)).map_err(ce)?;
            let o = dropout(&o, p.dropout, rng.as_deref_mut(), dev)?;
            x = (x + o).map_err(ce)?;
            let hn = layer_norm(&x, blk.p(10), blk.p(11))?;
            let f = hn.matmul(blk.p(12)).map_err(ce)?.broadcast_add(blk.p(13)).map_err(ce)?.relu().map_err(ce)?;
            let f = f.matmul(blk.p(14)).map_err(ce)?.broadcast_add(blk.p(15)).map_err(ce)?;
            let f = dropout(&f, p.dropout, rng.as_deref_mut(), dev)?;
            x = (x + f).map_err(ce)?;
        }
        layer_norm(&x, self.ln[0].as_tensor(), self.ln[1].as_tensor())
    }

    /// The user vectors `[rows, dim]` of a batch (hidden state at the last position, no dropout).
    pub fn user_vectors(&self, b: &Batch) -> Result<Tensor> {
        let hs = self.forward(b, None)?;
        let idx: Vec<u32> = (0..b.rows).map(|r| (r * b.t + b.t - 1) as u32).collect();
        let idx = Tensor::from_vec(idx, b.rows, b.ids.device()).map_err(ce)?;
        hs.index_select(&idx, 0).map_err(ce)
    }

    /// Scores `[rows, items]` of a batch over every item.
    pub fn scores(&self, b: &Batch) -> Result<Tensor> {
        let u = self.user_vectors(b)?;
        u.matmul(&self.item_emb.as_tensor().t().map_err(ce)?).map_err(ce)
    }

    /// The engine's model with these weights.
    pub fn export(&self) -> Result<NeuralModel> {
        let v = |t: &Var| -> Result<recofuse_core::Tensor<f32>> {
            Ok(t.as_tensor().flatten_all().map_err(ce)?.to_vec1::<f32>().map_err(ce)?.into())
        };
        let mut blocks = Vec::with_capacity(self.blocks.len());
        for b in &self.blocks {
            blocks.push(NeuralBlock::from_parts(|name| {
                let i = BLOCK_PARTS.iter().position(|n| *n == name).unwrap_or(0);
                v(&b.vars[i]).map_err(|e| recofuse_core::Error::section("neural", e.to_string()))
            })?);
        }
        let p = &self.params;
        Ok(NeuralModel {
            dim: p.dim,
            heads: p.heads,
            max_len: p.max_len,
            ffn_dim: p.ffn_dim,
            item_emb: v(&self.item_emb)?,
            pos_emb: v(&self.pos_emb)?,
            blocks,
            ln_w: v(&self.ln[0])?,
            ln_b: v(&self.ln[1])?,
        })
    }

    /// Every parameter value, flattened in [`Net::vars`] order (to keep the best epoch, and for tests).
    pub fn snapshot(&self) -> Result<Vec<Vec<f32>>> {
        self.vars().iter().map(|v| v.as_tensor().flatten_all().and_then(|t| t.to_vec1::<f32>()).map_err(ce)).collect()
    }

    /// Restores a [`Net::snapshot`].
    pub fn restore(&self, snap: &[Vec<f32>]) -> Result<()> {
        for (v, values) in self.vars().iter().zip(snap) {
            let t = Tensor::from_slice(values, v.shape(), v.device()).map_err(ce)?;
            v.set(&t).map_err(ce)?;
        }
        Ok(())
    }
}

fn layer_norm(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    let mean = x.mean_keepdim(D::Minus1).map_err(ce)?;
    let xc = x.broadcast_sub(&mean).map_err(ce)?;
    let var = xc.sqr().map_err(ce)?.mean_keepdim(D::Minus1).map_err(ce)?;
    let inv = (var + f64::from(LN_EPS)).map_err(ce)?.sqrt().map_err(ce)?.recip().map_err(ce)?;
    xc.broadcast_mul(&inv).map_err(ce)?.broadcast_mul(w).map_err(ce)?.broadcast_add(b).map_err(ce)
}

/// Inverted dropout with a mask drawn from the seeded generator (candle's own CPU RNG is not seedable).
fn dropout(x: &Tensor, p: f32, rng: Option<&mut SplitMix64>, dev: &Device) -> Result<Tensor> {
    let Some(rng) = rng else { return Ok(x.clone()) };
    if p <= 0.0 {
        return Ok(x.clone());
    }
    let keep = 1.0 / (1.0 - p);
    let n = x.elem_count();
    let m: Vec<f32> = (0..n).map(|_| if rng.next_f32() < p { 0.0 } else { keep }).collect();
    let m = Tensor::from_vec(m, x.shape(), dev).map_err(ce)?.to_dtype(DType::F32).map_err(ce)?;
    x.mul(&m).map_err(ce)
}
