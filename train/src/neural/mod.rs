//! The deep model: a small SASRec-style self-attentive next-item model (Kang & McAuley 2018), trained
//! with [candle](https://github.com/huggingface/candle) on the CPU with softmax cross-entropy at every
//! position of each user's most recent `max_len + 1` items (over every item, or by default over the
//! target and 256 shared uniform negatives per batch, 8× cheaper on Beauty), and exported into the
//! bundle as [`recofuse_core::neural::NeuralModel`], whose forward pass the engine runs with ndarray.
//!
//! Training is deterministic for a given seed: initialisation, shuffling and dropout masks come from a
//! seeded generator of our own (candle's CPU generator cannot be seeded), and candle's CPU kernels
//! reduce in a fixed order. Batches group users of similar length so that padding costs little.

#[cfg(feature = "neural")]
mod fit;
#[cfg(feature = "neural")]
mod net;

#[cfg(feature = "neural")]
pub use fit::{evaluate, evaluate_gains, fit};
#[cfg(feature = "neural")]
pub use net::{Batch, Net};

use recofuse_core::neural::NeuralModel;
use serde::Serialize;

use crate::error::{Result, TrainError};

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
    /// The epochs early stopping would choose on each half of the evaluated users alone (see
    /// [`CrossFit`]); empty without validation.
    pub half_best_epochs: Vec<usize>,
}

/// Cross-fitting of the early-stopping choice, so that fusion is learned on an honest deep-model column.
///
/// Early stopping picks the epoch whose weights score best on the sampled validation targets, so on
/// those very targets the kept model looks better than it is (a lucky peak among about ten noisy
/// evaluations); fusion learned on them then trusts it too much and rank fusion, which leans on it
/// most, wins validation and loses test. So the evaluated users are split in two halves by a hash of
/// their index, the best epoch is also chosen on each half alone, and a user of one half is scored, for
/// fusion learning, by the weights chosen on the other half (users outside the sample by the weights
/// chosen on all of it, which never saw them either).
#[derive(Debug, Clone)]
pub struct CrossFit {
    /// The evaluated users, sorted.
    pub users: Vec<usize>,
    /// The models chosen on half 0 and on half 1.
    pub chosen_on: [NeuralModel; 2],
}

impl CrossFit {
    /// The half (0 or 1) a user belongs to.
    pub fn half(user: usize) -> usize {
        (recofuse_testkit::SplitMix64::new(user as u64 ^ 0x5a17_c0de).next_u64() & 1) as usize
    }

    /// Which of [`CrossFit::chosen_on`] scores `user` for fusion learning: the one chosen on the other
    /// half when the user was evaluated, `None` (use the model chosen on all evaluated users) otherwise.
    pub fn pick(&self, user: usize) -> Option<usize> {
        self.users.binary_search(&user).ok().map(|_| 1 - Self::half(user))
    }
}

/// A trained model with its report.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// The engine's model.
    pub model: NeuralModel,
    /// Training details.
    pub report: NeuralReport,
    /// The per-half choices for fusion learning (when early stopping evaluated validation targets).
    pub cross: Option<CrossFit>,
}

/// A validation target: user index into the training sequences, held-out item.
pub type ValidTarget = (usize, u32);

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
    train_model(&train, &valid, items, params, on)
}

/// Refits from scratch on `seqs` (the whole log for `train`'s bundle, train + validation for `eval`'s
/// test scoring) for the number of epochs early stopping chose, with the same seed.
pub fn refit(
    seqs: &[Vec<crate::data::Interaction>],
    items: usize,
    params: &NeuralParams,
    chosen: &NeuralReport,
    on: &dyn Fn(&str),
) -> Result<Fitted> {
    let train: Vec<Vec<u32>> = seqs.iter().map(|s| s.iter().map(|e| e.item).collect()).collect();
    let p = NeuralParams { epochs: chosen.best_epoch.max(1), eval_every: 0, ..params.clone() };
    train_model(&train, &[], items, &p, on)
}

/// [`fit`] when the trainer is built with the `neural` feature (candle); a clear error otherwise.
fn train_model(
    train: &[Vec<u32>],
    valid: &[ValidTarget],
    items: usize,
    params: &NeuralParams,
    on: &dyn Fn(&str),
) -> Result<Fitted> {
    #[cfg(feature = "neural")]
    {
        fit(train, valid, items, params, on)
    }
    #[cfg(not(feature = "neural"))]
    {
        let _ = (train, valid, items, params, on);
        Err(TrainError::Invalid(NOT_BUILT.to_string()))
    }
}

/// The error of a trainer built without the `neural` feature when the deep model is asked for.
pub const NOT_BUILT: &str = "this recofuse was built without the deep model's trainer (cargo feature `neural`, \
     which brings candle): rebuild with `cargo build --release -p recofuse-train --features neural`, \
     or pass --no-neural";

/// Whether this build can train the deep model (the `neural` cargo feature).
pub const AVAILABLE: bool = cfg!(feature = "neural");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_fit_scores_each_evaluated_user_with_the_other_halfs_choice() {
        let m = |seed| recofuse_testkit::random_neural(10, 8, 1, 1, 4, 8, seed);
        let c = CrossFit { users: (0..200).step_by(2).collect(), chosen_on: [m(1), m(2)] };
        let halves: Vec<usize> = c.users.iter().map(|&u| CrossFit::half(u)).collect();
        let ones = halves.iter().filter(|&&h| h == 1).count();
        assert!((30..=70).contains(&ones), "halves are roughly balanced: {ones} of 100 in half 1");
        for (&u, &h) in c.users.iter().zip(&halves) {
            assert_eq!(c.pick(u), Some(1 - h), "user {u}");
            assert_eq!(CrossFit::half(u), h, "the half of a user is stable");
        }
        assert_eq!(c.pick(1), None, "a user early stopping never saw gets the overall choice");
        assert_eq!(c.pick(1001), None);
    }
}
