//! The deep model inside the engine: its bundle section (round trip in f32 and f16, optional, validated),
//! its scorer column, legacy fusion configurations without the `neural` entry, and the forward pass
//! against a direct (loop-only) implementation of the documented arithmetic.

use recofuse_core::bundle::{decode, encode, EncodeOptions};
use recofuse_core::neural::{NeuralModel, LN_EPS};
use recofuse_core::{Engine, Error, Event, EventKind, FusionConfig, History, Method, Model, Options, Signal};
use recofuse_testkit as demo;

const ITEMS: usize = 60;

fn model_with_neural(seed: u64) -> Model {
    let mut m = demo::catalog(ITEMS, 3);
    m.neural = Some(recofuse_testkit::random_neural(ITEMS, 16, 2, 2, 6, 24, seed));
    m
}

fn history(items: &[usize]) -> History {
    let mut h = History::new(100);
    for (k, i) in items.iter().enumerate() {
        h.push(Event::new(format!("item-{i}"), EventKind::Click, 1_000.0 + k as f64)).unwrap();
    }
    h
}

fn neural_column(engine: &Engine, h: &History) -> Vec<Option<f32>> {
    let profile = engine.profile(h, 10_000.0);
    let all: Vec<Option<u32>> = (0..ITEMS as u32).map(Some).collect();
    engine.columns(&profile, &all, None).unwrap().column(Signal::Neural).to_vec()
}

/// The forward pass written with plain loops, straight from the module documentation.
fn reference_scores(m: &NeuralModel, seq: &[u32]) -> Vec<f32> {
    let (d, f, l) = (m.dim, m.ffn_dim, m.max_len);
    let seq = &seq[seq.len().saturating_sub(l)..];
    let t = seq.len();
    let ln = |x: &[f32], w: &[f32], b: &[f32]| -> Vec<f32> {
        let mean = x.iter().sum::<f32>() / d as f32;
        let var = x.iter().map(|z| (z - mean) * (z - mean)).sum::<f32>() / d as f32;
        (0..d).map(|j| (x[j] - mean) / (var + LN_EPS).sqrt() * w[j] + b[j]).collect()
    };
    let lin = |x: &[f32], w: &[f32], b: &[f32], o: usize| -> Vec<f32> {
        (0..o).map(|j| b[j] + x.iter().enumerate().map(|(i, v)| v * w[i * o + j]).sum::<f32>()).collect()
    };
    let mut x: Vec<Vec<f32>> = seq
        .iter()
        .enumerate()
        .map(|(r, &i)| {
            (0..d)
                .map(|j| (d as f32).sqrt() * m.item_emb[i as usize * d + j] + m.pos_emb[(l - t + r) * d + j])
                .collect()
        })
        .collect();
    let dh = d / m.heads;
    for b in &m.blocks {
        let h: Vec<Vec<f32>> = x.iter().map(|r| ln(r, &b.ln1_w, &b.ln1_b)).collect();
        let q: Vec<Vec<f32>> = h.iter().map(|r| lin(r, &b.wq, &b.bq, d)).collect();
        let k: Vec<Vec<f32>> = h.iter().map(|r| lin(r, &b.wk, &b.bk, d)).collect();
        let v: Vec<Vec<f32>> = h.iter().map(|r| lin(r, &b.wv, &b.bv, d)).collect();
        let mut attn = vec![vec![0f32; d]; t];
        for hh in 0..m.heads {
            let c = hh * dh..(hh + 1) * dh;
            for i in 0..t {
                let s: Vec<f32> =
                    (0..=i).map(|j| c.clone().map(|z| q[i][z] * k[j][z]).sum::<f32>() / (dh as f32).sqrt()).collect();
                let max = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let e: Vec<f32> = s.iter().map(|z| (z - max).exp()).collect();
                let sum: f32 = e.iter().sum();
                for z in c.clone() {
                    attn[i][z] = (0..=i).map(|j| e[j] / sum * v[j][z]).sum();
                }
            }
        }
        for i in 0..t {
            let o = lin(&attn[i], &b.wo, &b.bo, d);
            x[i].iter_mut().zip(o).for_each(|(a, o)| *a += o);
            let h2 = ln(&x[i], &b.ln2_w, &b.ln2_b);
            let hid: Vec<f32> = lin(&h2, &b.w1, &b.b1, f).into_iter().map(|z| z.max(0.0)).collect();
            let o = lin(&hid, &b.w2, &b.b2, d);
            x[i].iter_mut().zip(o).for_each(|(a, o)| *a += o);
        }
    }
    let u = ln(&x[t - 1], &m.ln_w, &m.ln_b);
    (0..m.items()).map(|c| (0..d).map(|j| u[j] * m.item_emb[c * d + j]).sum()).collect()
}

#[test]
fn forward_matches_the_documented_arithmetic() {
    let m = recofuse_testkit::random_neural(ITEMS, 16, 2, 2, 6, 24, 11);
    for seq in [vec![4u32], vec![1, 2, 3], vec![5, 9, 5, 30, 59, 0, 7, 7, 12]] {
        let u = m.user_vector(&seq).unwrap();
        let want = reference_scores(&m, &seq);
        for (c, w) in want.iter().enumerate() {
            let got = m.score(&u, c as u32).unwrap();
            assert!((got - w).abs() <= 1e-4, "seq {seq:?} item {c}: {got} vs {w}");
        }
    }
    assert_eq!(m.user_vector(&[]), None);
    assert_eq!(m.user_vector(&[ITEMS as u32]), None, "out-of-range item");
}

#[test]
fn bundle_round_trip_f32_exact_and_f16_close() {
    let m = model_with_neural(5);
    let exact = decode(encode(&m, &EncodeOptions { compact: false }).unwrap()).unwrap();
    assert_eq!(exact.neural, m.neural);
    let compact = decode(encode(&m, &EncodeOptions { compact: true }).unwrap()).unwrap();
    let (a, b) = (m.neural.as_ref().unwrap(), compact.neural.as_ref().unwrap());
    assert_eq!((a.dim, a.heads, a.max_len, a.ffn_dim, a.blocks.len()), (b.dim, b.heads, b.max_len, b.ffn_dim, 2));
    let diff = a.item_emb.iter().zip(b.item_emb.iter()).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
    assert!(diff > 0.0 && diff < 1e-3, "f16 storage: max difference {diff}");
    let summary = recofuse_core::bundle::inspect(&encode(&m, &EncodeOptions::default()).unwrap()).unwrap();
    assert!(summary.scorers.iter().any(|s| s == "neural"));
    assert!(summary.tensors.iter().any(|t| t.name == "neural.block1.w2"));
}

#[test]
fn scorer_fills_the_neural_column_from_the_recent_history() {
    let m = model_with_neural(5);
    let nm = m.neural.clone().unwrap();
    let engine = Engine::new(m).unwrap();
    // 8 events, max_len 6: only the last 6 are read (repeats kept, unknown ids skipped).
    let mut h = history(&[1, 2, 3, 4, 5, 5, 9, 10]);
    h.push(Event::new("no-such-item", EventKind::View, 2_000.0)).unwrap();
    let col = neural_column(&engine, &h);
    let want = reference_scores(&nm, &[3, 4, 5, 5, 9, 10]);
    for (c, (got, w)) in col.iter().zip(&want).enumerate() {
        let got = got.unwrap_or(f32::NAN);
        assert!((got - w).abs() <= 1e-4, "item {c}: {got} vs {w}");
    }
    // No history: nothing to say.
    assert!(neural_column(&engine, &History::new(10)).iter().all(Option::is_none));
    // The column reaches every fusion method, and the explanation carries it.
    for method in Method::ALL {
        let opts = Options { method: Some(method), explain: true, ..Options::default() };
        let profile = engine.profile(&h, 10_000.0);
        let r = engine.rerank(&profile, &["item-0", "item-20", "item-40"], &opts).unwrap();
        let c = r.items[0].contributions.unwrap();
        assert!(c[Signal::Neural].is_some(), "{method:?}: no neural contribution");
    }
}

#[test]
fn a_bundle_without_the_model_still_works() {
    let m = demo::catalog(ITEMS, 3);
    assert!(m.neural.is_none());
    let engine = Engine::from_bundle(encode(&m, &EncodeOptions::default()).unwrap()).unwrap();
    let col = neural_column(&engine, &history(&[1, 2, 3]));
    assert!(col.iter().all(Option::is_none));
    let profile = engine.profile(&history(&[1, 2, 3]), 10_000.0);
    let r = engine.rerank(&profile, &["item-0", "item-20", "item-40"], &Options::default()).unwrap();
    assert!(r.items.iter().all(|x| x.score.is_some()));
}

#[test]
fn configurations_written_before_the_neural_signal_still_load() {
    let c = FusionConfig::from_json(
        r#"{"weights": [1, 2, 3, 4, 5, 6, 7], "stacking": {"bias": 0.5, "coef": [1, 1, 1, 1, 1, 1, 1], "present_coef": [0, 0, 0, 0, 0, 0, 0]}}"#,
    )
    .unwrap();
    c.validate().unwrap();
    assert_eq!(c.weights, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 0.0]);
    assert_eq!(c.weight(Signal::Neural), 0.0);
    assert_eq!(c.stacking.coef.len(), Signal::COUNT);
    // Other lengths are still rejected.
    let bad = FusionConfig::from_json(r#"{"weights": [1, 2, 3]}"#).unwrap();
    assert!(bad.validate().is_err());
}

#[test]
fn inconsistent_neural_sections_are_typed_errors() {
    let mut m = model_with_neural(5);
    let nm = m.neural.as_mut().unwrap();
    nm.heads = 3; // 16 is not a multiple of 3
    assert!(matches!(Engine::new(m.clone()), Err(Error::InvalidSection { .. })));
    let mut m = model_with_neural(5);
    m.neural.as_mut().unwrap().pos_emb = vec![0.0; 7].into();
    assert!(matches!(Engine::new(m), Err(Error::InvalidSection { .. })));
    let mut m = model_with_neural(5);
    let mut w: Vec<f32> = m.neural.as_ref().unwrap().blocks[0].w1.to_vec();
    w[3] = f32::NAN;
    m.neural.as_mut().unwrap().blocks[0].w1 = w.into();
    assert!(matches!(Engine::new(m), Err(Error::InvalidSection { .. })));
    // A bundle whose neural section lacks a tensor is refused with the missing section's name.
    let mut m = model_with_neural(5);
    m.neural.as_mut().unwrap().blocks.truncate(1);
    let bytes = encode(&m, &EncodeOptions::default()).unwrap();
    assert!(decode(bytes).is_ok(), "one block is a valid model");
}
