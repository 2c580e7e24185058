//! Runs many reranks of 1,000 candidates (20,000-item catalog, 64-d int8 embeddings, 50-event history),
//! for instruction-count profiling: `valgrind --tool=callgrind target/release/examples/rerank_loop [REPS] [cached]`.

use recofuse_core::demo::{generate, DemoSpec, SplitMix64};
use recofuse_core::{Engine, Event, EventKind, History, Options};

fn main() -> Result<(), recofuse_core::Error> {
    let spec = DemoSpec { items: 20_000, dim: 64, neighbors: 20, transitions: 10, prototypes: 64, seed: 42 };
    let engine = Engine::new(generate(&spec))?;
    let mut rng = SplitMix64::new(9);
    let mut h = History::new(500);
    let now = 1_700_000_000_000.0;
    for k in 0..50 {
        h.push(Event::new(format!("item-{}", rng.below(spec.items)), EventKind::ALL[k % 4], now - k as f64 * 1e6))?;
    }
    let ids: Vec<String> = (0..1000).map(|_| format!("item-{}", rng.below(spec.items))).collect();
    let scores: Vec<f32> = (0..1000).map(|_| rng.next_f32()).collect();
    let reps: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200);
    let opts = Options { server_scores: Some(&scores), k: Some(24), ..Options::default() };
    let cached = std::env::args().nth(2).is_some_and(|a| a == "cached");
    let mut checksum = 0usize;
    let profile = engine.profile(&h, now);
    let t = std::time::Instant::now();
    for _ in 0..reps {
        if cached {
            checksum += engine.rerank(&profile, &ids, &opts)?.items[0].position;
        } else {
            let p = engine.profile(&h, now);
            checksum += engine.rerank(&p, &ids, &opts)?.items[0].position;
        }
    }
    let per = t.elapsed().as_secs_f64() / reps as f64 * 1e6;
    let what = if cached { "cached profile" } else { "profile included" };
    println!("{reps} reranks of 1000 candidates ({what}): {per:.1} µs each (checksum {checksum})");
    Ok(())
}
