//! The tuning mirrors compute the same columns as the engine (naive reference vs shipped scorers).

use recofuse_core::{Engine, Event, History, Model, ScoringConfig, Signal};
use recofuse_testkit::SplitMix64;
use recofuse_train::data::Dataset;
use recofuse_train::{fit, mirror};

#[test]
fn mirrors_match_engine_columns() {
    let mut rng = SplitMix64::new(3);
    let seqs: Vec<(String, Vec<String>)> = (0..80)
        .map(|u| {
            let len = 3 + rng.below(12);
            (format!("u{u}"), (0..len).map(|_| format!("i{}", rng.below(40))).collect())
        })
        .collect();
    let ds = Dataset::from_sequences("random", &seqs);
    let n = ds.items.len();
    let s = &ds.sequences;
    let scoring = ScoringConfig {
        half_life_days: 3.0,
        seq_recent: 3,
        seq_step_decay: 0.6,
        proto_neighbors: 2,
        ..Default::default()
    };
    let emb = fit::embeddings(s, n, &fit::EmbParams { dim: 8, ..Default::default() });
    let model = Model {
        items: fit::items(&ds.items, None),
        popularity: fit::popularity(s, n, 2),
        item_cf: Some(fit::item_cf(s, n, &fit::CfParams { bm25: Some((1.2, 0.75)), ..Default::default() })),
        transitions: Some(fit::transitions(s, n, &fit::TransParams { backward: 0.2, ..Default::default() })),
        embeddings: Some(emb.clone()),
        prototypes: fit::prototypes(s, n, &fit::ProtoParams { clusters: 4, min_size: 5, ..Default::default() }),
        scoring: ScoringConfig { history_capacity: 100, ..scoring.clone() },
        ..Model::default()
    };
    let engine = Engine::new(model.clone()).unwrap();
    let all: Vec<Option<u32>> = (0..n as u32).map(Some).collect();
    let (flat, norms) = mirror::embedding_norms(&emb);
    let protos = model.prototypes.as_ref().unwrap();
    let by_item = mirror::transpose(&protos.prefs, n);
    let pnorms = recofuse_train::tune::row_norms(&protos.prefs);
    for seq in s.iter().take(30) {
        let now = seq.last().unwrap().ts + 86_400_000.0;
        let mut h = History::new(100);
        for e in seq {
            h.push(Event::new(ds.items[e.item as usize].clone(), e.kind, e.ts)).unwrap();
        }
        let cols = engine.columns(&engine.profile(&h, now), &all, None).unwrap();
        let hist = mirror::hist(seq, &scoring, now);
        let mut out = vec![0f32; n];
        let check = |sig: Signal, out: &[f32]| {
            for (i, (a, b)) in cols.column(sig).iter().zip(out).enumerate() {
                let a = a.unwrap_or(f32::NAN);
                assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{} item {i}: engine {a} mirror {b}", sig.name());
            }
        };
        mirror::itemcf(model.item_cf.as_ref().unwrap(), &hist, &mut out);
        check(Signal::ItemCf, &out);
        mirror::seq(model.transitions.as_ref().unwrap(), &hist, scoring.seq_step_decay, &mut out);
        check(Signal::Seq, &out);
        mirror::embedding(&flat, emb.dim, &norms, &hist, &mut out);
        check(Signal::Embedding, &out);
        mirror::usercf(&protos.prefs, &by_item, &pnorms, &hist, scoring.proto_neighbors, &mut out);
        check(Signal::UserCf, &out);
        mirror::popularity(&model.popularity, scoring.trend_mix, &mut out);
        check(Signal::Popularity, &out);
    }
}
