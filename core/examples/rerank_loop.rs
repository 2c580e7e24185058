//! Runs many reranks of 1,000 candidates (20,000-item catalog, 64-d int8 embeddings, 50-event history),
//! for instruction-count profiling: `valgrind --tool=callgrind target/release/examples/rerank_loop [REPS] [cached]`.
//!
//! A third argument sets the catalog size (default 20,000).
//!
//! `rerank_loop ROUNDS interleaved` alternates, ROUNDS times, a block of 200 baseline sorts (the
//! candidates by server score, as the criterion bench's baseline) with a block of 200 reranks with a
//! cached profile, and prints the medians over the blocks and the median of the per-round ratios. On
//! a shared virtual machine whose speed drifts by up to 2x within minutes, the ratio of two blocks
//! measured a few milliseconds apart is the figure that stays put; the criterion benches run one
//! bench after the other, seconds apart.
//!
//! Two environment variables take stages out of the interleaved rerank, to see what each costs:
//! `RERANK_LOOP_ZERO=3,4` sets the weights of those signals (indices in `Signal::ALL` order: item-CF,
//! sequential, user-CF, embedding, content, popularity, server, neural) to 0, so they are not scored;
//! `RERANK_LOOP_INDICES=1` passes the candidates already resolved to item indices (no id lookup).

use recofuse_core::{Engine, Event, EventKind, History, Options, Profile};
use recofuse_testkit::{generate, DemoSpec, SplitMix64};

fn main() -> Result<(), recofuse_core::Error> {
    // Optional third argument: the catalog size (default 20,000, as in the criterion benches).
    let items: usize = std::env::args().nth(3).and_then(|a| a.parse().ok()).filter(|&n| n > 0).unwrap_or(20_000);
    let spec = DemoSpec { items, dim: 64, neighbors: 20, transitions: 10, prototypes: 64, seed: 42 };
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
    let mode = std::env::args().nth(2).unwrap_or_default();
    let profile = engine.profile(&h, now);
    if mode == "interleaved" {
        return interleaved(&engine, &profile, &ids, &scores, &opts, reps.max(1));
    }
    let cached = mode == "cached";
    let mut checksum = 0usize;
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

/// `(median, smallest, largest)` of `v`, sorted in place (the upper middle for an even count).
fn spread(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |i: usize| v.get(i).copied().unwrap_or(f64::NAN);
    (at(v.len() / 2), at(0), at(v.len().wrapping_sub(1)))
}

/// Alternating blocks of the baseline and the cached rerank; prints per-call medians and ratios.
fn interleaved(
    engine: &Engine,
    profile: &Profile,
    ids: &[String],
    scores: &[f32],
    opts: &Options<'_>,
    rounds: usize,
) -> Result<(), recofuse_core::Error> {
    use std::hint::black_box;
    const BLOCK: usize = 200;
    let zero: Vec<usize> = std::env::var("RERANK_LOOP_ZERO")
        .unwrap_or_default()
        .split(',')
        .filter_map(|x| x.trim().parse().ok())
        .collect();
    let mut weights = engine.model().fusion.weights.clone();
    for &z in &zero {
        if let Some(w) = weights.get_mut(z) {
            *w = 0.0;
        }
    }
    let opts = Options { weights: (!zero.is_empty()).then_some(weights), ..opts.clone() };
    let opts = &opts;
    let indices = std::env::var("RERANK_LOOP_INDICES").is_ok_and(|v| v == "1");
    let idx: Vec<Option<u32>> = ids.iter().map(|i| engine.item_index(i)).collect();
    let (mut base, mut pipe, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = std::time::Instant::now();
        for _ in 0..BLOCK {
            let mut order: Vec<usize> = (0..scores.len()).collect();
            order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
            order.truncate(24);
            black_box(order);
        }
        let b = t.elapsed().as_secs_f64() / BLOCK as f64 * 1e6;
        let t = std::time::Instant::now();
        for _ in 0..BLOCK {
            if indices {
                black_box(engine.rerank_indices(profile, black_box(&idx), opts)?);
            } else {
                black_box(engine.rerank(profile, black_box(ids), opts)?);
            }
        }
        let p = t.elapsed().as_secs_f64() / BLOCK as f64 * 1e6;
        base.push(b);
        pipe.push(p);
        ratio.push(p / b);
    }
    let under = pipe.iter().filter(|&&p| p <= 50.0).count();
    let ((b, lo, hi), (p, _, _), (r, _, _)) = (spread(&mut base), spread(&mut pipe), spread(&mut ratio));
    println!(
        "{rounds} rounds of {BLOCK}+{BLOCK} calls, 1000 candidates: baseline sort median {b:.1} µs (blocks {lo:.1}-{hi:.1}), \
         cached rerank median {p:.1} µs ({under} of {rounds} blocks <= 50 µs), ratio median {r:.2}"
    );
    Ok(())
}
