//! Training and evaluation of the deep model with candle (the `neural` cargo feature).

use std::time::Instant;

use candle_core::{Device, Tensor};
use candle_nn::optim::{AdamW, Optimizer, ParamsAdamW};
use recofuse_testkit::SplitMix64;

use crate::error::{Result, TrainError};

use super::net::{Batch, Net};
use super::{CrossFit, Fitted, NeuralParams, NeuralReport, ValidTarget};
use recofuse_core::neural::NeuralModel;

/// A candle error as a trainer error.
pub(crate) fn ce(e: candle_core::Error) -> TrainError {
    TrainError::Invalid(format!("neural model: {e}"))
}

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
    let sample = sample_targets(valid, p.eval_users, p.seed ^ 0xe7a1);
    let mut half_best: [Option<(f64, usize, NeuralModel)>; 2] = [None, None];
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
            let gains = evaluate_gains(&net, train, &sample)?;
            let ndcg = gains.iter().sum::<f64>() / gains.len().max(1) as f64;
            report.valid_ndcg.push((epoch, ndcg));
            on(&format!("neural epoch {epoch}: validation NDCG@10 {ndcg:.4}"));
            for (h, best_h) in half_best.iter_mut().enumerate() {
                let (sum, k) = sample
                    .iter()
                    .zip(&gains)
                    .filter(|((u, _), _)| CrossFit::half(*u) == h)
                    .fold((0.0, 0usize), |(s, k), (_, g)| (s + g, k + 1));
                let m = sum / k.max(1) as f64;
                if best_h.as_ref().is_none_or(|b| m > b.0) {
                    *best_h = Some((m, epoch, net.export()?));
                }
            }
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
    let cross = match half_best {
        [Some((_, e0, m0)), Some((_, e1, m1))] => {
            report.half_best_epochs = vec![e0, e1];
            let mut users: Vec<usize> = sample.iter().map(|(u, _)| *u).collect();
            users.sort_unstable();
            users.dedup();
            Some(CrossFit { users, chosen_on: [m0, m1] })
        }
        _ => None,
    };
    report.epoch_s = train_s / report.epochs.max(1) as f64;
    report.total_s = t0.elapsed().as_secs_f64();
    Ok(Fitted { model: net.export()?, report, cross })
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
    Ok(evaluate_gains(net, train, targets)?.iter().sum::<f64>() / targets.len().max(1) as f64)
}

/// The NDCG@10 gain of each target (0 for a user without a training sequence), as [`evaluate`].
pub fn evaluate_gains(net: &Net, train: &[Vec<u32>], targets: &[ValidTarget]) -> Result<Vec<f64>> {
    let dev = Device::Cpu;
    let max_len = net.params.max_len;
    let mut gains = vec![0.0; targets.len()];
    let mut mask = vec![false; net.items];
    let order: Vec<usize> = (0..targets.len()).collect();
    for chunk in order.chunks(256) {
        let usable: Vec<usize> =
            chunk.iter().copied().filter(|&t| train.get(targets[t].0).is_some_and(|s| !s.is_empty())).collect();
        if usable.is_empty() {
            continue;
        }
        let seqs: Vec<&[u32]> = usable
            .iter()
            .map(|&t| {
                let s = &train[targets[t].0];
                &s[s.len().saturating_sub(max_len)..]
            })
            .collect();
        let batch = Batch::new(&seqs, &dev)?;
        let scores = net.scores(&batch)?.to_vec2::<f32>().map_err(ce)?;
        for (&t, row) in usable.iter().zip(scores) {
            let (u, target) = targets[t];
            let seen = &train[u];
            seen.iter().for_each(|&i| mask[i as usize] = true);
            let col: Vec<Option<f32>> = row.into_iter().map(Some).collect();
            if let Some(r) = crate::metrics::rank_masked(&col, target as usize, &mask) {
                if r < 10 {
                    gains[t] = 1.0 / ((r + 2) as f64).log2();
                }
            }
            seen.iter().for_each(|&i| mask[i as usize] = false);
        }
    }
    Ok(gains)
}
