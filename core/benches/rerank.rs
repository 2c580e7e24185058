//! Criterion benches of one rerank: 100 / 1,000 / 10,000 candidates out of a 20,000-item catalog with
//! 64-d int8 embeddings, 20 neighbours per item, 64 prototypes, and a 50-event history. Per scorer (its
//! dense column, as the pipeline fills it), the profile build, the whole pipeline, and a baseline
//! measured in the same run (sorting the candidates by the server's score, the trivial reranker every
//! page already has). `scripts/bench.sh` prints the
//! medians and the ratios to the baseline.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use recofuse_core::{Engine, Event, EventKind, History, Options};
use recofuse_testkit::{generate, DemoSpec, SplitMix64};

const NOW: f64 = 1_700_000_000_000.0;

fn setup() -> (Engine, History) {
    let spec = DemoSpec { items: 20_000, dim: 64, neighbors: 20, transitions: 10, prototypes: 64, seed: 42 };
    let engine = Engine::new(generate(&spec)).expect("demo catalog is valid");
    let mut rng = SplitMix64::new(9);
    let mut h = History::new(500);
    for k in 0..50 {
        let kind = EventKind::ALL[rng.below(4)];
        let item = format!("item-{}", rng.below(spec.items));
        h.push(Event::new(item, kind, NOW - (50 - k) as f64 * 3_600_000.0)).expect("valid event");
    }
    (engine, h)
}

fn candidates(n: usize, seed: u64) -> (Vec<String>, Vec<f32>) {
    let mut rng = SplitMix64::new(seed);
    let ids = (0..n).map(|_| format!("item-{}", rng.below(20_000))).collect();
    let scores = (0..n).map(|_| rng.next_f32()).collect();
    (ids, scores)
}

fn bench(c: &mut Criterion) {
    let (engine, history) = setup();
    let profile = engine.profile(&history, NOW);
    let mut g = c.benchmark_group("rerank");
    g.bench_function("profile_build", |b| b.iter(|| engine.profile(black_box(&history), NOW)));
    for n in [100usize, 1_000, 10_000] {
        let (ids, scores) = candidates(n, n as u64);
        let idx: Vec<Option<u32>> = ids.iter().map(|i| engine.item_index(i)).collect();
        g.bench_with_input(BenchmarkId::new("baseline_sort_by_server_score", n), &n, |b, _| {
            b.iter(|| {
                let mut order: Vec<usize> = (0..scores.len()).collect();
                order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
                order.truncate(24);
                black_box(order)
            })
        });
        let opts = Options { server_scores: Some(&scores), k: Some(24), ..Options::default() };
        g.bench_with_input(BenchmarkId::new("pipeline_with_profile", n), &n, |b, _| {
            b.iter(|| {
                let p = engine.profile(black_box(&history), NOW);
                black_box(engine.rerank(&p, black_box(&ids), &opts))
            })
        });
        g.bench_with_input(BenchmarkId::new("pipeline_cached_profile", n), &n, |b, _| {
            b.iter(|| black_box(engine.rerank(&profile, black_box(&ids), &opts)))
        });
        for signal in recofuse_core::Signal::ALL {
            let name = format!("scorer_{}", signal.name());
            g.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                // The dense column the pipeline fills.
                let mut out = vec![f32::NAN; n];
                b.iter(|| {
                    engine.score_column(&profile, signal, black_box(&idx), Some(&scores), &mut out);
                    black_box(&out);
                })
            });
        }
    }
    g.finish();
    bench_neural(c, &history);
}

/// The same catalog plus a deep model of the trainer's default size (64-d, 2 blocks, 50 positions, random
/// weights): what the `neural` signal adds to a profile build and to a rerank (`*_neural` vs the above).
fn bench_neural(c: &mut Criterion, history: &History) {
    let spec = DemoSpec { items: 20_000, dim: 64, neighbors: 20, transitions: 10, prototypes: 64, seed: 42 };
    let mut model = generate(&spec);
    model.neural = Some(recofuse_testkit::random_neural(spec.items, 64, 1, 2, 50, 64, 3));
    let engine = Engine::new(model).expect("demo catalog with a neural model is valid");
    let profile = engine.profile(history, NOW);
    let mut g = c.benchmark_group("rerank");
    g.bench_function("profile_build_neural", |b| b.iter(|| engine.profile(black_box(history), NOW)));
    let n = 1_000;
    let (ids, scores) = candidates(n, n as u64);
    let idx: Vec<Option<u32>> = ids.iter().map(|i| engine.item_index(i)).collect();
    let opts = Options { server_scores: Some(&scores), k: Some(24), ..Options::default() };
    g.bench_with_input(BenchmarkId::new("pipeline_with_profile_neural", n), &n, |b, _| {
        b.iter(|| {
            let p = engine.profile(black_box(history), NOW);
            black_box(engine.rerank(&p, black_box(&ids), &opts))
        })
    });
    g.bench_with_input(BenchmarkId::new("pipeline_cached_profile_neural", n), &n, |b, _| {
        b.iter(|| black_box(engine.rerank(&profile, black_box(&ids), &opts)))
    });
    g.bench_with_input(BenchmarkId::new("scorer_neural_with_model", n), &n, |b, _| {
        let mut out = vec![f32::NAN; n];
        b.iter(|| {
            engine.score_column(&profile, recofuse_core::Signal::Neural, black_box(&idx), Some(&scores), &mut out);
            black_box(&out);
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(300)).measurement_time(std::time::Duration::from_millis(900));
    targets = bench
}
criterion_main!(benches);
