//! The optimised rerank pipeline against a straightforward reference built from the public pieces:
//! `Engine::columns` (the scorers through the `Option` column API), `fusion::fuse`, `rules::order_with_fallback`
//! and `rules::apply_pins`. The two must agree exactly (positions, scores, contributions, removed and
//! unknown lists) for every method, normalisation, k, stock rule and `exclude_seen`, with repeated
//! candidates, unknown ids and non-finite server scores; so must `Engine::rerank_set` on a
//! `CandidateSet` of the same ids.

use recofuse_core::fusion::fuse;
use recofuse_core::rules::{apply_pins, order_with_fallback};
use recofuse_core::{
    Engine, Event, EventKind, FusionConfig, History, Method, Normalization, Options, Profile, Ranked, Ranking, Signal,
    StockRule,
};
use recofuse_testkit::{self as demo, DemoSpec, SplitMix64};

const NOW: f64 = 1_700_000_000_000.0;

/// The pipeline written plainly (no diversity).
fn reference(engine: &Engine, profile: &Profile, ids: &[String], opts: &Options<'_>) -> Ranking {
    let cands: Vec<Option<u32>> = ids.iter().map(|i| engine.item_index(i)).collect();
    let cols = engine.columns(profile, &cands, opts.server_scores).unwrap();
    let mut cfg: FusionConfig = engine.model().fusion.clone();
    if let Some(m) = opts.method {
        cfg.method = m;
    }
    if let Some(n) = opts.normalization {
        cfg.normalization = n;
    }
    if let Some(w) = &opts.weights {
        cfg.weights = w.clone();
    }
    let fused = fuse(&cfg, &cols, opts.explain);
    let mut r = Ranking::default();
    let mut tiers = vec![0u8; ids.len()];
    for (pos, c) in cands.iter().enumerate() {
        match c {
            None => {
                r.unknown.push(pos);
                tiers[pos] = 2;
            }
            Some(i) => {
                if opts.exclude_seen && profile.has_seen(*i) {
                    r.excluded_seen.push(pos);
                    tiers[pos] = 255;
                } else if !engine.model().items.in_stock(*i as usize) {
                    match opts.stock {
                        StockRule::Ignore => {}
                        StockRule::Demote => tiers[pos] = 1,
                        StockRule::Filter => {
                            r.filtered.push(pos);
                            tiers[pos] = 255;
                        }
                    }
                }
            }
        }
    }
    // Candidates without a fused score: by the server's scores when given, else by popularity.
    let fallback_signal = if opts.server_scores.is_some() { Signal::Server } else { Signal::Popularity };
    let fallback: Vec<f32> = cols.column(fallback_signal).iter().map(|v| v.unwrap_or(f32::NAN)).collect();
    let mut ord: Vec<usize> =
        order_with_fallback(&fused.scores, &fallback, &tiers, None).into_iter().filter(|&p| tiers[p] != 255).collect();
    let k = opts.k.unwrap_or(ord.len()).min(ord.len());
    ord.truncate(k);
    let pins: Vec<(usize, usize)> = opts
        .pins
        .iter()
        .filter_map(|(id, slot)| ids.iter().position(|c| c == id).map(|p| (p, *slot)))
        .filter(|&(p, _)| tiers[p] != 255)
        .collect();
    let pinned = apply_pins(&mut ord, &pins);
    ord.truncate(k);
    r.items = ord
        .iter()
        .enumerate()
        .map(|(slot, &pos)| Ranked {
            position: pos,
            item: cands[pos],
            score: fused.scores[pos],
            contributions: fused.contributions.as_ref().map(|c| c[pos]),
            pinned: pinned[slot],
        })
        .collect();
    r
}

fn setup(items: usize, seed: u64) -> (Engine, Profile, Vec<String>, Vec<f32>) {
    let spec = DemoSpec { items, dim: 16, neighbors: 8, transitions: 4, prototypes: 8, seed };
    let engine = Engine::new(demo::generate(&spec)).unwrap();
    let mut rng = SplitMix64::new(seed ^ 7);
    let mut h = History::new(100);
    for k in 0..30 {
        let id = if k % 7 == 3 { format!("gone-{k}") } else { format!("item-{}", rng.below(items)) };
        h.push(Event::new(id, EventKind::ALL[rng.below(4)], NOW - (30 - k) as f64 * 3_600_000.0)).unwrap();
    }
    let profile = engine.profile(&h, NOW);
    let n = 400;
    let ids: Vec<String> = (0..n)
        .map(|k| match k % 23 {
            5 => format!("unknown-{k}"),
            // repeats of earlier candidates (same item twice in one list)
            11 if k > 30 => format!("item-{}", k / 3),
            _ => format!("item-{}", rng.below(items)),
        })
        .collect();
    let scores: Vec<f32> = (0..n)
        .map(|k| match k % 37 {
            4 => f32::NAN,
            9 => f32::INFINITY,
            // coarse values: many ties
            _ => (rng.below(20) as f32) / 4.0,
        })
        .collect();
    (engine, profile, ids, scores)
}

fn check(engine: &Engine, profile: &Profile, ids: &[String], opts: &Options<'_>) {
    let got = engine.rerank(profile, ids, opts).unwrap();
    let want = reference(engine, profile, ids, opts);
    assert_eq!(got, want, "options {opts:?}");
    // The same ids resolved once into a candidate set (pins may name unknown ids: ids[5] is one).
    let set = engine.candidate_set(ids);
    assert_eq!(set.len(), ids.len());
    assert_eq!(engine.rerank_set(profile, &set, opts).unwrap(), want, "candidate set, options {opts:?}");
}

#[test]
fn rerank_equals_the_reference_pipeline_for_every_method_normalisation_and_rule() {
    for seed in [1u64, 2] {
        let (engine, profile, ids, scores) = setup(500, seed);
        for method in Method::ALL {
            for normalization in Normalization::ALL {
                for (k, stock, exclude_seen, explain) in [
                    (Some(24), StockRule::Ignore, false, false),
                    (None, StockRule::Demote, true, true),
                    (Some(0), StockRule::Filter, false, false),
                    (Some(7), StockRule::Filter, true, true),
                    (Some(10_000), StockRule::Ignore, true, false),
                ] {
                    let opts = Options {
                        server_scores: Some(&scores),
                        k,
                        method: Some(method),
                        normalization: Some(normalization),
                        stock,
                        exclude_seen,
                        explain,
                        ..Options::default()
                    };
                    check(&engine, &profile, &ids, &opts);
                }
            }
        }
    }
}

#[test]
fn rerank_equals_the_reference_with_weights_pins_no_server_scores_and_cold_start() {
    let (engine, profile, ids, scores) = setup(300, 3);
    let cold = engine.profile(&History::new(10), NOW);
    let pins = vec![(ids[17].clone(), 0), (ids[5].clone(), 3), ("absent".to_string(), 1), (ids[200].clone(), 50)];
    for method in Method::ALL {
        for weights in [
            vec![1.0, 0.0, 2.0, 0.5, 0.0, 1.0, 3.0, 1.0],
            vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            // Personal signals only: nothing scores a cold-start shopper.
            vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
        ] {
            for p in [&profile, &cold] {
                for server in [None, Some(scores.as_slice())] {
                    let opts = Options {
                        server_scores: server,
                        k: Some(24),
                        method: Some(method),
                        weights: Some(weights.clone()),
                        pins: pins.clone(),
                        explain: true,
                        ..Options::default()
                    };
                    check(&engine, p, &ids, &opts);
                }
            }
        }
    }
    // Fewer candidates than k, and a single candidate.
    for n in [0usize, 1, 3] {
        let opts = Options { server_scores: Some(&scores[..n]), k: Some(24), ..Options::default() };
        check(&engine, &profile, &ids[..n], &opts);
    }
}

/// Issue 17: a shopper without history, with a bundle whose popularity and server weights are 0 (as
/// trained bundles had), sees the store's order when the page passes its scores and the most popular
/// items first otherwise, never the input order; unknown ids stay last.
#[test]
fn cold_start_follows_the_store_then_popularity() {
    let (engine, _, ids, _) = setup(300, 5);
    let cold = engine.profile(&History::new(10), NOW);
    let personal_only = vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0];
    let known: Vec<&String> = ids.iter().filter(|id| engine.item_index(id).is_some()).collect();
    let server: Vec<f32> = (0..ids.len()).map(|k| ((k * 7919) % 1000) as f32).collect();
    let opts = |s: Option<&'static [f32]>| Options {
        server_scores: s,
        weights: Some(personal_only.clone()),
        ..Options::default()
    };
    let server: &'static [f32] = Box::leak(server.into_boxed_slice());
    // With the store's scores: its order (descending), ties by position.
    let r = engine.rerank(&cold, &ids, &opts(Some(server))).unwrap();
    assert!(r.items.iter().all(|x| x.score.is_none()), "nothing scores a cold start");
    let got: Vec<usize> =
        r.items.iter().map(|x| x.position).filter(|&p| engine.item_index(&ids[p]).is_some()).collect();
    let mut want: Vec<usize> = (0..ids.len()).filter(|&p| engine.item_index(&ids[p]).is_some()).collect();
    want.sort_by(|&a, &b| server[b].total_cmp(&server[a]).then(a.cmp(&b)));
    assert_eq!(got, want);
    assert_eq!(got.len(), known.len());
    // Without: popularity (the engine's popularity column), descending.
    let r = engine.rerank(&cold, &ids, &opts(None)).unwrap();
    let cands: Vec<Option<u32>> = ids.iter().map(|i| engine.item_index(i)).collect();
    let cols = engine.columns(&cold, &cands, None).unwrap();
    let pop: Vec<f32> = cols.column(Signal::Popularity).iter().map(|v| v.unwrap_or(f32::NAN)).collect();
    let got: Vec<usize> = r.items.iter().map(|x| x.position).collect();
    for w in got.windows(2) {
        let (a, b) = (w[0], w[1]);
        if cands[a].is_some() && cands[b].is_some() {
            assert!(pop[a] > pop[b] || (pop[a] == pop[b] && a < b), "{a} ({}) before {b} ({})", pop[a], pop[b]);
        }
    }
    assert!(got.windows(2).any(|w| w[0] > w[1]), "the order is not the input order");
    // Unknown ids last.
    let first_unknown = got.iter().position(|&p| cands[p].is_none()).unwrap();
    assert!(got[first_unknown..].iter().all(|&p| cands[p].is_none()));
}
