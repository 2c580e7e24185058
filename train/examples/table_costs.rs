//! Wall-clock seconds of each table the Spark job computes, fitted by the Rust trainer on one machine
//! with the same default configuration (spark/recofuse_tables.py `DEFAULTS`): the Rust side of the cost
//! model in docs/scale.md.
//!
//! ```text
//! cargo run --release -p recofuse-train --example table_costs -- LOG [CATALOG]
//! ```
//!
//! Prints one JSON object: events, users, items, threads, and seconds per table (`read_and_order`,
//! `popularity`, `item_cf`, `transitions`, `embedding` (the trainer's eigen embedding, its counterpart of
//! ALS), `prototypes`, `items`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use recofuse_train::fit;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let log = PathBuf::from(args.next().ok_or("usage: table_costs LOG [CATALOG]")?);
    let catalog = args.next().map(PathBuf::from);
    let mut seconds = BTreeMap::new();
    let mut t = Instant::now();
    let mut lap = |name: &str, seconds: &mut BTreeMap<String, f64>| {
        seconds.insert(name.to_string(), (t.elapsed().as_secs_f64() * 100.0).round() / 100.0);
        t = Instant::now();
    };
    let ds = recofuse_train::data::read_interactions(&log, &Default::default())?;
    let cat = catalog.as_deref().map(recofuse_train::catalog::read_catalog).transpose()?;
    lap("read_and_order", &mut seconds);
    let n = ds.items.len();
    let seqs = &ds.sequences;
    let _ = fit::popularity(seqs, n, 5);
    lap("popularity", &mut seconds);
    let _ = fit::item_cf(seqs, n, &fit::CfParams::default());
    lap("item_cf", &mut seconds);
    let _ = fit::transitions(seqs, n, &fit::TransParams::default());
    lap("transitions", &mut seconds);
    let _ = fit::quantize_i8(&fit::embeddings(seqs, n, &fit::EmbParams::default()));
    lap("embedding", &mut seconds);
    let _ = fit::prototypes(seqs, n, &fit::ProtoParams::default());
    lap("prototypes", &mut seconds);
    let _ = fit::items(&ds.items, cat.as_ref());
    lap("items", &mut seconds);
    let doc = serde_json::json!({
        "log": log.display().to_string(),
        "events": ds.interactions(),
        "users": ds.users.len(),
        "items": n,
        "threads": rayon::current_num_threads(),
        "seconds": seconds,
    });
    println!("{doc}");
    Ok(())
}
