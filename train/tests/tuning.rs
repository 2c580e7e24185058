//! Tuning scores the trainer's logs with the engine's own arithmetic: its history digest is the
//! engine's profile digest, and the scorer kernels on the model parts as tuning prepares them give the
//! engine's columns bit for bit.

use recofuse_core::scorers::{self, Accumulator};
use recofuse_core::{Engine, Event, History, Model, ScoringConfig, Signal};
use recofuse_testkit::SplitMix64;
use recofuse_train::data::Dataset;
use recofuse_train::{fit, tune};

#[test]
fn tuning_digests_and_columns_are_the_engines() {
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
    // The model parts as tuning prepares them.
    let norms = scorers::embedding_norms(&emb, n);
    let protos = model.prototypes.as_ref().unwrap();
    let (by_item, pnorms) = (protos.prefs.transpose(n), protos.prefs.row_norms());
    let prior = scorers::popularity_prior(&model.popularity, scoring.trend_mix, n);
    for seq in s.iter().take(30) {
        let now = seq.last().unwrap().ts + 86_400_000.0;
        let mut h = History::new(100);
        for e in seq {
            h.push(Event::new(ds.items[e.item as usize].clone(), e.kind, e.ts)).unwrap();
        }
        let profile = engine.profile(&h, now);
        let digest = tune::digest(seq, &scoring, now);
        assert_eq!(&digest, profile.digest());
        let cols = engine.columns(&profile, &all, None).unwrap();
        // Bit for bit; a missing value of the engine's column is NaN here.
        let check = |sig: Signal, out: &[f32]| {
            let engine: Vec<u32> = cols.column(sig).iter().map(|a| a.unwrap_or(f32::NAN).to_bits()).collect();
            let tuning: Vec<u32> = out.iter().map(|x| x.to_bits()).collect();
            assert_eq!(engine, tuning, "{}", sig.name());
        };
        let accumulated = |fill: &dyn Fn(&mut Accumulator)| {
            let mut acc = Accumulator::new(n);
            fill(&mut acc);
            acc.values().to_vec()
        };
        let w = &digest.weights;
        check(Signal::ItemCf, &accumulated(&|acc| scorers::item_cf(model.item_cf.as_ref().unwrap(), w, acc)));
        let t = model.transitions.as_ref().unwrap();
        check(Signal::Seq, &accumulated(&|acc| scorers::sequential(t, &digest.recent, scoring.seq_step_decay, acc)));
        let k = scoring.proto_neighbors;
        check(Signal::UserCf, &accumulated(&|acc| scorers::user_cf(&protos.prefs, &by_item, &pnorms, w, k, acc)));
        let mut out = vec![f32::NAN; n];
        // The f32 embeddings tuning fits (the bundle's are int8, quantised after tuning).
        let u = scorers::embedding_user_vector(&emb, &norms, w).unwrap();
        scorers::embedding_column(&emb, &norms, &u, None, &all, &mut out);
        check(Signal::Embedding, &out);
        scorers::popularity_column(&prior, &all, &mut out);
        check(Signal::Popularity, &out);
    }
}
