//! Trains the deep model alone on a log and reports its full-ranking NDCG@10 on the leave-one-out test
//! split (the model fit on the training part with early stopping on validation, then reading each
//! user's training + validation items, as in SASRec's protocol).
//!
//! ```text
//! cargo run --release -p recofuse-train --example neural -- ../shared/data/amazon-beauty/Beauty.txt \
//!     [--items PATH] [--dim 64] [--layers 2] [--heads 1] [--max-len 50] [--dropout 0.5] [--lr 0.001] \
//!     [--batch 256] [--epochs 30] [--eval-every 3] [--patience 2] [--negatives 256] [--seed 42]
//! ```
//!
//! With `--bundle-bytes 1` it trains nothing and prints what a model of these sizes adds to a bundle
//! (compact f16 encoding and f32), for the log's item count.
use std::process::ExitCode;

use recofuse_train::neural::{self, NeuralParams};
use recofuse_train::pipeline::{self, Options};
use recofuse_train::split::Split;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args.first().ok_or("usage: neural LOG [--items PATH] [--dim N] ...")?;
    let mut p = NeuralParams::default();
    let mut items = None;
    let mut bundle_bytes = false;
    let mut it = args[1..].iter();
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--items" => items = Some(v.into()),
            "--bundle-bytes" => bundle_bytes = v == "1",
            "--dim" => p.dim = v.parse()?,
            "--ffn-dim" => p.ffn_dim = v.parse()?,
            "--layers" => p.layers = v.parse()?,
            "--heads" => p.heads = v.parse()?,
            "--max-len" => p.max_len = v.parse()?,
            "--dropout" => p.dropout = v.parse()?,
            "--lr" => p.lr = v.parse()?,
            "--weight-decay" => p.weight_decay = v.parse()?,
            "--batch" => p.batch = v.parse()?,
            "--epochs" => p.epochs = v.parse()?,
            "--eval-every" => p.eval_every = v.parse()?,
            "--patience" => p.patience = v.parse()?,
            "--eval-users" => p.eval_users = v.parse()?,
            "--seed" => p.seed = v.parse()?,
            "--negatives" => p.negatives = v.parse()?,
            other => p.set(other.trim_start_matches("--").replace('-', "_").as_str(), v)?,
        }
    }
    let loaded = pipeline::load(&Options::new(path, items))?;
    let ds = &loaded.ds;
    if bundle_bytes {
        let n = ds.items.len();
        let base = recofuse_testkit::catalog(n, 1);
        let mut with = base.clone();
        with.neural = Some(recofuse_testkit::random_neural(n, p.dim, p.heads, p.layers, p.max_len, p.ffn_dim, p.seed));
        let size = |m: &recofuse_core::Model, compact: bool| -> Result<usize, recofuse_core::Error> {
            Ok(recofuse_core::bundle::encode(m, &recofuse_core::bundle::EncodeOptions { compact })?.len())
        };
        let out = serde_json::json!({
            "dataset": ds.name,
            "items": n,
            "neural_bundle_bytes_f16": size(&with, true)? - size(&base, true)?,
            "neural_bundle_bytes_f32": size(&with, false)? - size(&base, false)?,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let split = Split::leave_one_out(ds);
    let seqs = |s: &[Vec<recofuse_train::data::Interaction>]| -> Vec<Vec<u32>> {
        s.iter().map(|u| u.iter().map(|e| e.item).collect()).collect()
    };
    let train = seqs(&split.train);
    let valid: Vec<(usize, u32)> = split.valid.iter().map(|t| (t.user as usize, t.event.item)).collect();
    eprintln!("{}: {} users, {} items; params {p:?}", ds.name, ds.users.len(), ds.items.len());
    let fitted = neural::fit(&train, &valid, ds.items.len(), &p, &|m| eprintln!("{m}"))?;
    let train_valid = seqs(&split.train_valid());
    let test: Vec<(usize, u32)> = split.test.iter().map(|t| (t.user as usize, t.event.item)).collect();
    let net = neural::Net::from_model(&fitted.model, &p)?;
    let ndcg = neural::evaluate(&net, &train_valid, &test)?;
    let out = serde_json::json!({
        "dataset": ds.name,
        "test_users": test.len(),
        "test_ndcg@10": ndcg,
        "training": fitted.report,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
