//! The deep model: a small SASRec-style self-attentive next-item model (Kang & McAuley 2018), trained
//! with [candle](https://github.com/huggingface/candle) on the CPU with softmax cross-entropy at every
//! position of each user's most recent `max_len + 1` items (over every item, or by default over the
//! target and 256 shared uniform negatives per batch, 8× cheaper on Beauty), and exported into the
//! bundle as [`recofuse_core::neural::NeuralModel`], whose forward pass the engine runs with ndarray.
//!
//! Training is deterministic for a given seed: initialisation, shuffling and dropout masks come from a
//! seeded generator of our own (candle's CPU generator cannot be seeded), and candle's CPU kernels
//! reduce in a fixed order. Batches group users of similar length so that padding costs little.

mod net;

pub use net::{Batch, Net};

use std::time::Instant;

use candle_core::{Device, Tensor};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};
use recofuse_core::demo::SplitMix64;
use recofuse_core::neural::NeuralModel;
use serde::Serialize;

use crate::error::{Result, TrainError};

/// A candle error as a trainer error.
pub(crate) fn ce(e: candle_core::Error) -> TrainError {
    TrainError::Invalid(format!("neural model: {e}"))
}

/// Sizes, regularisation and schedule of the deep model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NeuralParams {
    /// Hidden size.
    pub dim: usize,
    /// Attention heads (divides `dim`).
    pub heads: usize,
    /// Transformer blocks.
    pub layers: usize,
    /// Most recent items read per user.
    pub max_len: usize,
    /// Feed-forward hidden size.
    pub ffn_dim: usize,
    /// Dropout rate (embeddings, attention output, feed-forward output).
    pub dropout: f32,
    /// Adam learning rate.
    pub lr: f64,
    /// Decoupled weight decay (AdamW).
    pub weight_decay: f64,
    /// Users per batch.
    pub batch: usize,
    /// Maximum epochs.
    pub epochs: usize,
    /// Evaluate on validation every this many epochs (0 = never; the last epoch is kept).
    pub eval_every: usize,
    /// Stop after this many evaluations without improvement (the best evaluated weights are kept).
    pub patience: usize,
    /// Validation users sampled for that evaluation.
    pub eval_users: usize,
    /// Seed of initialisation, shuffling and dropout.
    pub seed: u64,
    /// Softmax over every item (0) or sampled softmax: the target against this many items drawn
    /// uniformly per batch and shared by its positions (an accidental hit of the target is masked).
    pub negatives: usize,
}

impl Default for NeuralParams {
    fn default() -> Self {
        NeuralParams {
            dim: 64,
            heads: 1,
            layers: 2,
            max_len: 50,
            ffn_dim: 64,
            dropout: 0.3,
            lr: 3e-3,
            weight_decay: 0.0,
            batch: 64,
            epochs: 30,
            eval_every: 3,
            patience: 2,
            eval_users: 3000,
            seed: 42,
            // Full softmax costs 413 s per Beauty epoch on the shared 2-core machine, 256 negatives 49 s.
            negatives: 256,
        }
    }
}

impl NeuralParams {
    /// Sets one parameter by its field name from text (`"dim"`, `"lr"`, `"negatives"`, ...).
    ///
    /// ```
    /// let mut p = recofuse_train::neural::NeuralParams::default();
    /// p.set("lr", "0.01").unwrap();
    /// assert_eq!(p.lr, 0.01);
    /// assert!(p.set("nope", "1").is_err() && p.set("dim", "x").is_err());
    /// ```
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        fn num<T: std::str::FromStr>(key: &str, v: &str) -> Result<T> {
            v.parse().map_err(|_| TrainError::Invalid(format!("neural parameter {key}: cannot read {v:?}")))
        }
        match key {
            "dim" => self.dim = num(key, value)?,
            "heads" => self.heads = num(key, value)?,
            "layers" => self.layers = num(key, value)?,
            "max_len" => self.max_len = num(key, value)?,
            "ffn_dim" => self.ffn_dim = num(key, value)?,
            "dropout" => self.dropout = num(key, value)?,
            "lr" => self.lr = num(key, value)?,
            "weight_decay" => self.weight_decay = num(key, value)?,
            "batch" => self.batch = num(key, value)?,
            "epochs" => self.epochs = num(key, value)?,
            "eval_every" => self.eval_every = num(key, value)?,
            "patience" => self.patience = num(key, value)?,
            "eval_users" => self.eval_users = num(key, value)?,
            "seed" => self.seed = num(key, value)?,
            "negatives" => self.negatives = num(key, value)?,
            _ => return Err(TrainError::Invalid(format!("unknown neural parameter {key:?}"))),
        }
        Ok(())
    }
}

/// What training measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NeuralReport {
    /// The parameters used.
    pub params: Option<NeuralParams>,
    /// Training sequences (users with at least 2 items).
    pub sequences: usize,
    /// Predicted positions per epoch.
    pub positions: usize,
    /// Epochs run.
    pub epochs: usize,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
    /// Mean wall-clock seconds of one training epoch (without validation).
    pub epoch_s: f64,
    /// Wall-clock seconds of the whole fit (with validation).
    pub total_s: f64,
    /// Mean training loss per epoch.
    pub loss: Vec<f64>,
    /// Validation NDCG@10 (full ranking, history excluded) after the evaluated epochs.
    pub valid_ndcg: Vec<(usize, f64)>,
}

/// A trained model with its report.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// The engine's model.
    pub model: NeuralModel,
    /// Training details.
    pub report: NeuralReport,
}

/// A validation target: user index into the training sequences, held-out item.
pub type ValidTarget = (usize, u32);

/// Trains the model on `train` (per user, item indices oldest first) over `items` items. With `valid`
/// targets and `params.eval_every > 0`, keeps the weights of the best validation NDCG@10 and stops
/// early after `params.patience` evaluations without improvement. `on` receives progress messages.
pub fn fit(
    train: &[Vec<u32>],
    valid: &[ValidTarget],
    items: usize,
    params: &NeuralParams,
    on: &dyn Fn(&str),
) -> Result<Fitted> {
    let t0 = Instant::now();
    let p = params;
    if p.dim == 0 || p.heads == 0 || p.dim % p.heads != 0 || p.max_len == 0 || p.batch == 0 || p.ffn_dim == 0 {
        return Err(TrainError::Invalid(format!("neural model: inconsistent sizes {p:?}")));
    }
    if !(0.0..1.0).contains(&p.dropout) {
        return Err(TrainError::Invalid(format!("neural model: dropout {} not in [0, 1)", p.dropout)));
    }
    if items == 0 {
        return Err(TrainError::Invalid("neural model: no items".into()));
    }
    let dev = Device::Cpu;
    let net = Net::new(p, items, &dev)?;
    let mut opt =
        AdamW::new(net.vars(), ParamsAdamW { lr: p.lr, weight_decay: p.weight_decay, ..ParamsAdamW::default() })
            .map_err(ce)?;
    // The last max_len + 1 items of every user with at least 2: inputs all but the last, targets all but the first.
    let windows: Vec<&[u32]> = train
        .iter()
        .filter(|s| s.len() >= 2 && s.iter().all(|&i| (i as usize) < items))
        .map(|s| &s[s.len().saturating_sub(p.max_len + 1)..])
        .collect();
    let mut report = NeuralReport {
        params: Some(p.clone()),
        sequences: windows.len(),
        positions: windows.iter().map(|w| w.len() - 1).sum(),
        ..NeuralReport::default()
    };
    let mut rng = SplitMix64::new(p.seed);
    let mut best: Option<(f64, usize, Vec<Vec<f32>>)> = None;
    let mut stale = 0usize;
    let mut train_s = 0.0;
    for epoch in 1..=p.epochs {
        let te = Instant::now();
        let batches = epoch_batches(&windows, p.batch, &mut rng);
        let (mut loss_sum, mut n_loss) = (0.0f64, 0usize);
        for (k, b) in batches.iter().enumerate() {
            if k % 50 == 0 {
                on(&format!("neural epoch {epoch}/{}: batch {k}/{}", p.epochs, batches.len()));
            }
            let inputs: Vec<&[u32]> = b.iter().map(|&w| &windows[w][..windows[w].len() - 1]).collect();
            let batch = Batch::new(&inputs, &dev)?;
            let mut rows = Vec::new();
            let mut targets = Vec::new();
            for (r, &w) in b.iter().enumerate() {
                let win = windows[w];
                let pad = batch.t - (win.len() - 1);
                for j in 0..win.len() - 1 {
                    rows.push((r * batch.t + pad + j) as u32);
                    targets.push(win[j + 1]);
                }
            }
            let m = rows.len();
            let rows = Tensor::from_vec(rows, m, &dev).map_err(ce)?;
            let targets = Tensor::from_vec(targets, m, &dev).map_err(ce)?;
            let h = net.forward(&batch, Some(&mut rng))?.index_select(&rows, 0).map_err(ce)?;
            let loss = if p.negatives == 0 || p.negatives >= items {
                let logits = h.matmul(&net.item_emb.as_tensor().t().map_err(ce)?).map_err(ce)?;
                candle_nn::loss::cross_entropy(&logits, &targets).map_err(ce)?
            } else {
                sampled_loss(&net, &h, &targets, p.negatives, items, &mut rng)?
            };
            opt.backward_step(&loss).map_err(ce)?;
            loss_sum += f64::from(loss.to_scalar::<f32>().map_err(ce)?) * m as f64;
            n_loss += m;
        }
        train_s += te.elapsed().as_secs_f64();
        report.epochs = epoch;
        report.loss.push(loss_sum / n_loss.max(1) as f64);
        on(&format!(
            "neural epoch {epoch}/{} loss {:.4} ({:.1}s/epoch)",
            p.epochs,
            loss_sum / n_loss.max(1) as f64,
            train_s / epoch as f64
        ));
        if p.eval_every > 0 && !valid.is_empty() && (epoch % p.eval_every == 0 || epoch == p.epochs) {
            let sample = sample_targets(valid, p.eval_users, p.seed ^ 0xe7a1);
            let ndcg = evaluate(&net, train, &sample)?;
            report.valid_ndcg.push((epoch, ndcg));
            on(&format!("neural epoch {epoch}: validation NDCG@10 {ndcg:.4}"));
            if best.as_ref().is_none_or(|b| ndcg > b.0) {
                best = Some((ndcg, epoch, net.snapshot()?));
                stale = 0;
            } else {
                stale += 1;
                if stale >= p.patience.max(1) {
                    break;
                }
            }
        }
    }
    report.best_epoch = report.epochs;
    if let Some((_, epoch, snap)) = best {
        net.restore(&snap)?;
        report.best_epoch = epoch;
    }
    report.epoch_s = train_s / report.epochs.max(1) as f64;
    report.total_s = t0.elapsed().as_secs_f64();
    Ok(Fitted { model: net.export()?, report })
}

/// Sampled softmax: each position's target (column 0) against `k` shared uniform negatives; a negative
/// equal to the position's target is masked out.
fn sampled_loss(
    net: &Net,
    h: &Tensor,
    targets: &Tensor,
    k: usize,
    items: usize,
    rng: &mut SplitMix64,
) -> Result<Tensor> {
    let dev = h.device();
    let neg: Vec<u32> = (0..k).map(|_| rng.below(items) as u32).collect();
    let t: Vec<u32> = targets.to_vec1::<u32>().map_err(ce)?;
    let m = t.len();
    let mut mask = vec![0f32; m * k];
    for (r, &ti) in t.iter().enumerate() {
        for (j, &n) in neg.iter().enumerate() {
            if n == ti {
                mask[r * k + j] = recofuse_core::neural::MASK_BIAS;
            }
        }
    }
    let emb = net.item_emb.as_tensor();
    let pos = (h * emb.index_select(targets, 0).map_err(ce)?).map_err(ce)?.sum_keepdim(1).map_err(ce)?;
    let negt = Tensor::from_vec(neg, k, dev).map_err(ce)?;
    let negs = h.matmul(&emb.index_select(&negt, 0).map_err(ce)?.t().map_err(ce)?).map_err(ce)?;
    let negs = (negs + Tensor::from_vec(mask, (m, k), dev).map_err(ce)?).map_err(ce)?;
    let logits = Tensor::cat(&[&pos, &negs], 1).map_err(ce)?;
    let zeros = Tensor::zeros(m, candle_core::DType::U32, dev).map_err(ce)?;
    candle_nn::loss::cross_entropy(&logits, &zeros).map_err(ce)
}

/// The epoch's batches (indices into the windows): users shuffled, then sorted by length within
/// groups of 16 batches (little padding), then the batch order shuffled.
fn epoch_batches(windows: &[&[u32]], batch: usize, rng: &mut SplitMix64) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..windows.len()).collect();
    shuffle(&mut order, rng);
    let mut batches: Vec<Vec<usize>> = Vec::new();
    for group in order.chunks(batch * 16) {
        let mut g = group.to_vec();
        g.sort_by_key(|&w| (windows[w].len(), w));
        batches.extend(g.chunks(batch).map(<[usize]>::to_vec));
    }
    shuffle(&mut batches, rng);
    batches
}

fn shuffle<T>(v: &mut [T], rng: &mut SplitMix64) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i + 1);
        v.swap(i, j);
    }
}

fn sample_targets(valid: &[ValidTarget], k: usize, seed: u64) -> Vec<ValidTarget> {
    let mut v = valid.to_vec();
    if v.len() > k {
        let mut rng = SplitMix64::new(seed);
        shuffle(&mut v, &mut rng);
        v.truncate(k);
        v.sort_unstable();
    }
    v
}

/// NDCG@10 over every item (history excluded, ties broken by item index as in [`crate::metrics`]) of
/// the targets, the model reading each user's training sequence.
pub fn evaluate(net: &Net, train: &[Vec<u32>], targets: &[ValidTarget]) -> Result<f64> {
    let dev = Device::Cpu;
    let max_len = net.params.max_len;
    let mut sum = 0.0;
    let mut mask = vec![false; net.items];
    for chunk in targets.chunks(256) {
        let usable: Vec<&ValidTarget> =
            chunk.iter().filter(|(u, _)| train.get(*u).is_some_and(|s| !s.is_empty())).collect();
        if usable.is_empty() {
            continue;
        }
        let seqs: Vec<&[u32]> = usable
            .iter()
            .map(|(u, _)| {
                let s = &train[*u];
                &s[s.len().saturating_sub(max_len)..]
            })
            .collect();
        let batch = Batch::new(&seqs, &dev)?;
        let scores = net.scores(&batch)?.to_vec2::<f32>().map_err(ce)?;
        for ((u, target), row) in usable.iter().zip(scores) {
            let seen = &train[*u];
            seen.iter().for_each(|&i| mask[i as usize] = true);
            let col: Vec<Option<f32>> = row.into_iter().map(Some).collect();
            if let Some(r) = crate::metrics::rank_masked(&col, *target as usize, &mask) {
                if r < 10 {
                    sum += 1.0 / ((r + 2) as f64).log2();
                }
            }
            seen.iter().for_each(|&i| mask[i as usize] = false);
        }
    }
    Ok(sum / targets.len().max(1) as f64)
}

/// The item sequences of the leave-one-out split's training part, and its validation targets.
fn split_sequences(split: &crate::split::Split) -> (Vec<Vec<u32>>, Vec<ValidTarget>) {
    let train = split.train.iter().map(|s| s.iter().map(|e| e.item).collect()).collect();
    let valid = split.valid.iter().map(|t| (t.user as usize, t.event.item)).collect();
    (train, valid)
}

/// Fits the model on the split's training part with early stopping on its validation targets (what
/// `eval` scores the test targets with, reading train + validation items as input, and what fusion is
/// learned on).
pub fn fit_on_split(
    split: &crate::split::Split,
    items: usize,
    params: &NeuralParams,
    on: &dyn Fn(&str),
) -> Result<Fitted> {
    let (train, valid) = split_sequences(split);
    fit(&train, &valid, items, params, on)
}

/// Refits on whole sequences (`train`'s bundle) for the number of epochs early stopping chose.
pub fn refit(
    seqs: &[Vec<crate::data::Interaction>],
    items: usize,
    params: &NeuralParams,
    chosen: &NeuralReport,
    on: &dyn Fn(&str),
) -> Result<Fitted> {
    let train: Vec<Vec<u32>> = seqs.iter().map(|s| s.iter().map(|e| e.item).collect()).collect();
    let p = NeuralParams { epochs: chosen.best_epoch.max(1), eval_every: 0, ..params.clone() };
    fit(&train, &[], items, &p, on)
}
