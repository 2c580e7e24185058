//! The deep model: candle's forward pass and the engine's ndarray forward pass agree (max absolute
//! difference of the scores <= 1e-4, also through a bundle and the engine's scorer column), training is
//! deterministic for a seed, and it learns a planted sequential pattern.

use recofuse_core::bundle::{encode, EncodeOptions};
use recofuse_core::{Engine, Event, EventKind, History, Signal};
use recofuse_testkit as demo;
use recofuse_testkit::SplitMix64;
use recofuse_train::neural::{self, Batch, Net, NeuralParams};

const ITEMS: usize = 40;

/// Users walking a cycle `i -> i + 1 (mod ITEMS)` from random starts, with some noise.
fn walks(users: usize, seed: u64) -> Vec<Vec<u32>> {
    let mut rng = SplitMix64::new(seed);
    (0..users)
        .map(|_| {
            let len = 3 + rng.below(12);
            let mut i = rng.below(ITEMS) as u32;
            (0..len)
                .map(|_| {
                    let out = i;
                    i = if rng.next_f32() < 0.9 { (i + 1) % ITEMS as u32 } else { rng.below(ITEMS) as u32 };
                    out
                })
                .collect()
        })
        .collect()
}

fn small(epochs: usize, seed: u64) -> NeuralParams {
    NeuralParams {
        dim: 16,
        heads: 2,
        layers: 2,
        max_len: 8,
        ffn_dim: 24,
        dropout: 0.2,
        lr: 5e-3,
        batch: 32,
        epochs,
        eval_every: 0,
        seed,
        ..NeuralParams::default()
    }
}

#[test]
fn candle_and_engine_forward_passes_agree() {
    let p = small(1, 1);
    let fitted = neural::fit(&walks(100, 3), &[], ITEMS, &p, &|_| {}).unwrap();
    let m = fitted.model;
    let net = Net::from_model(&m, &p).unwrap();
    // Sequences of several lengths, some longer than max_len (both sides read the last max_len).
    let seqs: Vec<Vec<u32>> = walks(50, 99).into_iter().chain([vec![7], (0..20).collect()]).collect();
    let cut: Vec<&[u32]> = seqs.iter().map(|s| &s[s.len().saturating_sub(p.max_len)..]).collect();
    let candle = net.scores(&Batch::new(&cut, &candle_core::Device::Cpu).unwrap()).unwrap();
    let candle = candle.to_vec2::<f32>().unwrap();

    // Through the model directly, and through a bundle and the engine's scorer column.
    let mut model = demo::catalog(ITEMS, 5);
    model.neural = Some(m.clone());
    let engine = Engine::from_bundle(encode(&model, &EncodeOptions { compact: false }).unwrap()).unwrap();
    let all: Vec<Option<u32>> = (0..ITEMS as u32).map(Some).collect();
    let mut max_diff = 0f32;
    for (seq, want) in seqs.iter().zip(&candle) {
        let u = m.user_vector(seq).unwrap();
        let mut h = History::new(100);
        for (k, &i) in seq.iter().enumerate() {
            h.push(Event::new(format!("item-{i}"), EventKind::Click, 1_000.0 + k as f64)).unwrap();
        }
        let profile = engine.profile(&h, 100_000.0);
        let cols = engine.columns(&profile, &all, None).unwrap();
        for (c, &w) in want.iter().enumerate() {
            let direct = m.score(&u, c as u32).unwrap();
            let column = cols.column(Signal::Neural)[c].unwrap();
            max_diff = max_diff.max((direct - w).abs()).max((column - w).abs());
        }
    }
    assert!(max_diff <= 1e-4, "max |candle - engine| = {max_diff}");
}

#[test]
fn training_is_deterministic_for_a_seed() {
    let data = walks(60, 4);
    let valid: Vec<(usize, u32)> = (0..60).map(|u| (u, (u % ITEMS) as u32)).collect();
    let p = NeuralParams { eval_every: 1, eval_users: 50, ..small(2, 7) };
    let a = neural::fit(&data, &valid, ITEMS, &p, &|_| {}).unwrap();
    let b = neural::fit(&data, &valid, ITEMS, &p, &|_| {}).unwrap();
    assert_eq!(a.model, b.model, "same seed, same weights");
    assert_eq!(a.report.loss, b.report.loss);
    let c = neural::fit(&data, &valid, ITEMS, &NeuralParams { seed: 8, ..p }, &|_| {}).unwrap();
    assert_ne!(a.model, c.model, "another seed, other weights");
}

#[test]
fn it_learns_a_planted_sequence() {
    let train = walks(250, 5);
    // Validation: the next item of the cycle after each user's last item.
    let valid: Vec<(usize, u32)> =
        train.iter().enumerate().map(|(u, s)| (u, (s[s.len() - 1] + 1) % ITEMS as u32)).collect();
    let p = NeuralParams { eval_every: 4, patience: 1, eval_users: 250, lr: 1e-2, negatives: 10, ..small(12, 2) };
    let f = neural::fit(&train, &valid, ITEMS, &p, &|_| {}).unwrap();
    let best = f.report.valid_ndcg.iter().map(|x| x.1).fold(0.0, f64::max);
    // Random ranking of 40 items gives about 0.1; the pattern is followed 90% of the time.
    assert!(best > 0.5, "validation NDCG@10 {best} ({:?})", f.report.valid_ndcg);
    assert!(f.report.loss.first() > f.report.loss.last(), "loss {:?}", f.report.loss);
}

#[test]
fn bad_parameters_are_errors() {
    let data = walks(10, 1);
    assert!(neural::fit(&data, &[], ITEMS, &NeuralParams { heads: 3, ..small(1, 1) }, &|_| {}).is_err());
    assert!(neural::fit(&data, &[], ITEMS, &NeuralParams { dropout: 1.0, ..small(1, 1) }, &|_| {}).is_err());
    assert!(neural::fit(&data, &[], 0, &small(1, 1), &|_| {}).is_err());
}

#[test]
fn eval_reports_the_model_alone_and_inside_every_fusion() {
    // 90 users walking a ring of 30 items (the successor of the last item is always next).
    let dir = std::env::temp_dir().join(format!("recofuse-neural-ring-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = String::from("user_id,item_id,timestamp\n");
    for u in 0..90 {
        for k in 0..8 {
            text.push_str(&format!("u{u},{},{}\n", (u % 30 + k) % 30, 1_600_000_000 + u * 100_000 + k * 3600));
        }
    }
    let log = dir.join("ring.csv");
    std::fs::write(&log, text).unwrap();
    let mut opts = recofuse_train::pipeline::Options::new(&log, None);
    opts.folds = 3;
    opts.neural = Some(NeuralParams { lr: 1e-2, eval_every: 5, patience: 2, ..small(40, 3) });
    let out = recofuse_train::pipeline::evaluate(&opts).unwrap();
    let r = &out.report;
    let alone = r.models.get("neural").expect("the report names the model `neural`").ndcg10;
    assert!(alone > 0.5, "neural alone NDCG@10 {alone}");
    let fit = r.neural.as_ref().expect("the split's fit is reported");
    assert!(fit.epochs >= 5);
    assert_eq!(fit.half_best_epochs.len(), 2, "early stopping's choice is cross-fit on two halves");
    assert!(fit.half_best_epochs.iter().all(|&e| e >= 1 && e <= fit.epochs));
    // Test is scored by a refit on train + validation for the epochs early stopping chose.
    let refit = r.neural_refit.as_ref().expect("the refit on train + validation is reported");
    assert_eq!(refit.epochs, fit.best_epoch.max(1));
    assert!(refit.valid_ndcg.is_empty(), "the refit does not look at validation");
    let md = recofuse_train::report::markdown(r);
    assert!(md.contains("## Deep model (`neural`)"), "{md}");
    assert!(md.contains(&format!("weights of epoch {} kept", fit.best_epoch)), "{md}");
    assert!(md.contains(&format!("Refit on train + validation for {} epochs", refit.epochs)), "{md}");
    for (method, cfg) in &r.fusion_configs {
        assert_eq!(cfg.weights.len(), Signal::COUNT, "{method}");
    }
    assert_eq!(r.fusion.len(), r.fusion_configs.len());
}
