//! Conformance suite run against every scorer (lengths, finiteness, unknown ids, empty history, cold
//! start), a checkerboard fixture with a known right answer, and the engine's pipeline guarantees.

use recofuse_core::model::{Csr, EmbeddingData, Embeddings, Items, Model, Popularity, Prototypes, StringTable};
use recofuse_core::{
    Engine, Event, EventKind, FusionConfig, History, Method, Normalization, Options, Signal, StockRule,
};
use recofuse_testkit::{self as demo, DemoSpec};

const DAY: f64 = 86_400_000.0;
const NOW: f64 = 100.0 * DAY;

fn history(items: &[(&str, EventKind)]) -> History {
    let mut h = History::new(1000);
    for (k, (id, kind)) in items.iter().enumerate() {
        h.push(Event::new(*id, *kind, NOW - (items.len() - k) as f64 * 60_000.0)).unwrap();
    }
    h
}

fn demo_engine() -> Engine {
    Engine::new(demo::generate(&DemoSpec { items: 300, ..DemoSpec::default() })).unwrap()
}

const PERSONAL: [Signal; 5] = [Signal::ItemCf, Signal::Seq, Signal::UserCf, Signal::Embedding, Signal::Content];

#[test]
fn every_scorer_fills_one_finite_value_per_candidate_and_none_for_unknown_ids() {
    let engine = demo_engine();
    let h = history(&[("item-1", EventKind::View), ("item-9", EventKind::Click), ("item-17", EventKind::Purchase)]);
    let profile = engine.profile(&h, NOW);
    let ids = ["item-0", "nope", "item-8", "item-299", "item-1", "", "item-100"];
    let cands: Vec<Option<u32>> = ids.iter().map(|i| engine.item_index(i)).collect();
    let server = [1.0, 2.0, f32::NAN, 0.5, -3.0, f32::INFINITY, 0.0];
    let cols = engine.columns(&profile, &cands, Some(&server)).unwrap();
    assert_eq!(cols.len(), ids.len());
    for s in Signal::ALL {
        let col = cols.column(s);
        assert_eq!(col.len(), ids.len(), "{}", s.name());
        for (k, v) in col.iter().enumerate() {
            if let Some(x) = v {
                assert!(x.is_finite(), "{} gave {x} for {}", s.name(), ids[k]);
            }
            if cands[k].is_none() && s != Signal::Server {
                assert_eq!(*v, None, "{} scored unknown id {:?}", s.name(), ids[k]);
            }
        }
        // The demo bundle has no deep model (its column is covered by tests/neural.rs).
        if s != Signal::Server && s != Signal::Neural {
            // With history, each personal scorer of the demo bundle has something to say about known items.
            assert!(col[0].is_some() && col[2].is_some(), "{} silent on known items", s.name());
        }
    }
    // The server column keeps finite values, NaN/inf become missing.
    assert_eq!(cols.column(Signal::Server), &[Some(1.0), Some(2.0), None, Some(0.5), Some(-3.0), None, Some(0.0)]);
}

/// `Engine::columns` (what the pipeline fills: several columns in one pass, skipped columns) holds
/// exactly what each scorer gives on its own through `Engine::score_column`, with and without history
/// and server scores.
#[test]
fn pipeline_columns_are_each_scorers_own_column() {
    let engine = demo_engine();
    let ids = ["item-0", "nope", "item-8", "item-299", "item-1", "", "item-100", "item-9"];
    let cands: Vec<Option<u32>> = ids.iter().map(|i| engine.item_index(i)).collect();
    let server = [1.0, 2.0, f32::NAN, 0.5, -3.0, f32::INFINITY, 0.0, 7.0];
    let histories = [
        history(&[("item-1", EventKind::View), ("item-9", EventKind::Click), ("item-17", EventKind::Purchase)]),
        history(&[]),
    ];
    for h in &histories {
        let profile = engine.profile(h, NOW);
        for scores in [Some(&server[..]), None] {
            let cols = engine.columns(&profile, &cands, scores).unwrap();
            for s in Signal::ALL {
                let own = own_column(&engine, &profile, s, &cands, scores);
                assert_eq!(cols.column(s), &own[..], "{} ({} events)", s.name(), h.len());
            }
        }
    }
}

#[test]
fn empty_history_leaves_personal_columns_missing_and_popularity_present() {
    let engine = demo_engine();
    let profile = engine.profile(&History::new(10), NOW);
    let cands: Vec<Option<u32>> = (0..50).map(Some).collect();
    let cols = engine.columns(&profile, &cands, None).unwrap();
    for s in PERSONAL {
        assert!(cols.column(s).iter().all(Option::is_none), "{} not missing on cold start", s.name());
    }
    assert!(cols.column(Signal::Popularity).iter().all(Option::is_some));
    assert!(cols.column(Signal::Server).iter().all(Option::is_none));
}

#[test]
fn each_scorer_directly_leaves_untouched_columns_none_without_history() {
    let engine = demo_engine();
    let profile = engine.profile(&History::new(10), NOW);
    let cands = vec![Some(0), Some(1), None];
    for s in Signal::ALL {
        let out = own_column(&engine, &profile, s, &cands, None);
        let expect_some = s == Signal::Popularity;
        assert_eq!(out[0].is_some(), expect_some, "{}", s.name());
        assert_eq!(out[2], None);
    }
}

/// One scorer's column on its own (`Engine::score_column`), `None` where it has nothing to say.
fn own_column(
    engine: &Engine,
    profile: &recofuse_core::Profile,
    signal: Signal,
    cands: &[Option<u32>],
    scores: Option<&[f32]>,
) -> Vec<Option<f32>> {
    let mut out = vec![0.0; cands.len()];
    engine.score_column(profile, signal, cands, scores, &mut out);
    out.into_iter().map(|x| (!x.is_nan()).then_some(x)).collect()
}

#[test]
fn cold_start_recommend_returns_popular_items_and_diversity_varies_categories() {
    let engine = demo_engine();
    let profile = engine.profile(&History::new(10), NOW);
    let r = engine.recommend(&profile, 10, &Options::default()).unwrap();
    assert_eq!(r.items.len(), 10);
    let pop = &engine.model().popularity;
    let mix = engine.model().scoring.trend_mix;
    let p = |i: u32| (1.0 - mix) * pop.count[i as usize] + mix * pop.trend[i as usize];
    for w in r.items.windows(2) {
        assert!(p(w[0].item.unwrap()) >= p(w[1].item.unwrap()), "not by popularity");
    }
    let diverse = engine.recommend(&profile, 8, &Options { diversity: Some(0.3), ..Options::default() }).unwrap();
    let cats: std::collections::BTreeSet<usize> =
        diverse.items.iter().map(|x| demo::category_of(x.item.unwrap() as usize)).collect();
    let plain_cats: std::collections::BTreeSet<usize> =
        r.items.iter().take(8).map(|x| demo::category_of(x.item.unwrap() as usize)).collect();
    assert!(cats.len() >= plain_cats.len(), "diversity reduced category spread: {cats:?} vs {plain_cats:?}");
    assert!(cats.len() >= 5, "diverse cold-start shelf covers only {cats:?}");
}

/// Checkerboard: items 0..5 are group A (category "A"), items 5..10 group B. Every relation (neighbours,
/// transitions, prototypes, embeddings, brand) stays within a group. A shopper who interacted with A
/// items must see every other A item above every B item, for every personal scorer.
fn checkerboard() -> Model {
    let n = 10usize;
    let group = |i: usize| i / 5;
    let within = |i: usize, w: f32| -> Vec<(u32, f32)> {
        (0..n).filter(|&j| j != i && group(j) == group(i)).map(|j| (j as u32, w)).collect()
    };
    let rows: Vec<Vec<(u32, f32)>> = (0..n).map(|i| within(i, 0.5)).collect();
    let mut cats = Csr::from_rows(&(0..n).map(|i| vec![(group(i) as u32, 1.0)]).collect::<Vec<_>>());
    cats.w = Vec::new().into();
    let emb: Vec<f32> = (0..n).flat_map(|i| if group(i) == 0 { [1.0, 0.1] } else { [0.1, 1.0] }).collect();
    let protos = Csr::from_rows(&[
        (0..5).map(|j| (j as u32, 1.0)).collect::<Vec<_>>(),
        (5..10).map(|j| (j as u32, 1.0)).collect::<Vec<_>>(),
    ]);
    Model {
        items: Items {
            ids: StringTable::from_strs((0..n).map(|i| format!("i{i}"))),
            category_names: StringTable::from_strs(["A", "B"]),
            categories: cats,
            brand_names: StringTable::from_strs(["a", "b"]),
            brand: (0..n).map(|i| group(i) as u32).collect::<Vec<_>>().into(),
            price: (0..n).map(|i| if group(i) == 0 { 10.0 } else { 100.0 }).collect::<Vec<_>>().into(),
            flags: vec![Items::FLAG_IN_STOCK | Items::FLAG_PRICE; n].into(),
            term_names: Default::default(),
            terms: Default::default(),
        },
        popularity: Popularity {
            // B is more popular: the personal signals must overcome it.
            count: (0..n).map(|i| if group(i) == 1 { 5.0 } else { 1.0 }).collect::<Vec<_>>().into(),
            trend: vec![0.0; n].into(),
        },
        item_cf: Some(Csr::from_rows(&rows)),
        transitions: Some(Csr::from_rows(&rows)),
        embeddings: Some(Embeddings { dim: 2, data: EmbeddingData::F32(emb.into()) }),
        prototypes: Some(Prototypes { prefs: protos, sizes: vec![10, 10].into(), min_cluster_size: 10 }),
        neural: None,
        fusion: FusionConfig::default(),
        scoring: Default::default(),
        info: Default::default(),
    }
}

#[test]
fn checkerboard_every_personal_scorer_prefers_the_shoppers_group() {
    let engine = Engine::new(checkerboard()).unwrap();
    let h = history(&[("i0", EventKind::Click), ("i1", EventKind::Purchase)]);
    let profile = engine.profile(&h, NOW);
    let cands: Vec<Option<u32>> = (2..10).map(Some).collect();
    let cols = engine.columns(&profile, &cands, None).unwrap();
    for s in PERSONAL {
        let col = cols.column(s);
        let a_min = col[..3].iter().map(|x| x.unwrap()).fold(f32::INFINITY, f32::min);
        let b_max = col[3..].iter().map(|x| x.unwrap()).fold(f32::NEG_INFINITY, f32::max);
        assert!(a_min > b_max, "{}: group A min {a_min} <= group B max {b_max}", s.name());
    }
    // Fused with equal weights, A still wins despite B's popularity.
    let r = engine.rerank(&profile, &["i7", "i2", "i9", "i3", "i4", "i5"], &Options::default()).unwrap();
    let top: Vec<usize> = r.items.iter().take(3).map(|x| x.position).collect();
    assert_eq!(top.iter().copied().collect::<std::collections::BTreeSet<_>>(), [1, 3, 4].into());
}

#[test]
fn text_terms_rank_items_sharing_words_with_the_history() {
    // No category, brand or price signal: only the TF-IDF text part can separate the candidates.
    let mut m = checkerboard();
    let n = m.items.len();
    m.items.categories = Csr::from_rows(&vec![vec![]; n]);
    m.items.categories.w = Vec::new().into();
    m.items.brand = vec![recofuse_core::model::NONE; n].into();
    m.items.flags = vec![Items::FLAG_IN_STOCK; n].into();
    // Terms: 0 "wool", 1 "lamp", 2 "red". i0 is "red wool"; i2 "wool", i3 "red lamp", i4 "lamp".
    let l2 = |v: Vec<(u32, f32)>| {
        let norm = v.iter().map(|x| x.1 * x.1).sum::<f32>().sqrt();
        v.into_iter().map(|(t, x)| (t, x / norm)).collect::<Vec<_>>()
    };
    let mut rows = vec![vec![]; n];
    rows[0] = l2(vec![(0, 1.0), (2, 0.5)]);
    rows[2] = l2(vec![(0, 1.0)]);
    rows[3] = l2(vec![(1, 1.0), (2, 0.5)]);
    rows[4] = l2(vec![(1, 1.0)]);
    m.items.term_names = StringTable::from_strs(["wool", "lamp", "red"]);
    m.items.terms = Csr::from_rows(&rows);
    let engine = Engine::new(m.clone()).unwrap();
    let profile = engine.profile(&history(&[("i0", EventKind::Click)]), NOW);
    let cands: Vec<Option<u32>> = vec![Some(2), Some(3), Some(4), Some(5)];
    let col = engine.columns(&profile, &cands, None).unwrap().column(Signal::Content).to_vec();
    let v: Vec<f32> = col.iter().map(|x| x.unwrap()).collect();
    // Cosine with the profile (= i0's vector): i2 (shares "wool", the heavier word) > i3 (shares "red")
    // > i4 = i5 (nothing in common).
    assert!(v[0] > v[1] && v[1] > v[2], "{v:?}");
    assert_eq!(v[2], 0.0);
    assert_eq!(v[3], 0.0);
    assert!((v[0] - 1.0 / 1.25f32.sqrt()).abs() < 1e-6, "{v:?}");
    // A text weight of 0 turns the part off: with nothing else to go on, the column stays empty.
    m.scoring.content_weights[3] = 0.0;
    let engine = Engine::new(m).unwrap();
    let profile = engine.profile(&history(&[("i0", EventKind::Click)]), NOW);
    let cols = engine.columns(&profile, &cands, None).unwrap();
    assert!(cols.column(Signal::Content).iter().all(Option::is_none));
}

#[test]
fn recent_sequence_drives_the_sequential_scorer_with_decay() {
    let mut m = checkerboard();
    // Transitions: i0 -> i5 only, i1 -> i6 only.
    let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); 10];
    rows[0] = vec![(5, 1.0)];
    rows[1] = vec![(6, 1.0)];
    m.transitions = Some(Csr::from_rows(&rows));
    let engine = Engine::new(m).unwrap();
    // i0 first, then i1 (most recent): i6 must beat i5 (decay 0.5 per step back).
    let profile = engine.profile(&history(&[("i0", EventKind::View), ("i1", EventKind::View)]), NOW);
    let cols = engine.columns(&profile, &[Some(5), Some(6), Some(7)], None).unwrap();
    assert_eq!(cols.column(Signal::Seq), &[Some(0.5), Some(1.0), Some(0.0)]);
}

#[test]
fn event_weights_and_time_decay_shape_item_cf() {
    let engine = Engine::new(checkerboard()).unwrap();
    let cfg = engine.model().scoring.clone();
    // One purchase of i0 today vs. the same purchase one half-life ago: half the item-CF score.
    let mut fresh = History::new(10);
    fresh.push(Event::new("i0", EventKind::Purchase, NOW)).unwrap();
    let mut old = History::new(10);
    old.push(Event::new("i0", EventKind::Purchase, NOW - f64::from(cfg.half_life_days) * DAY)).unwrap();
    let c = [Some(2u32)];
    let a = engine.columns(&engine.profile(&fresh, NOW), &c, None).unwrap().column(Signal::ItemCf)[0].unwrap();
    let b = engine.columns(&engine.profile(&old, NOW), &c, None).unwrap().column(Signal::ItemCf)[0].unwrap();
    assert!((a - cfg.event_weights[3] * 0.5).abs() < 1e-6, "{a}");
    assert!((b - a / 2.0).abs() < 1e-5, "{b} vs {a}");
    // A view weighs less than a purchase.
    let mut view = History::new(10);
    view.push(Event::new("i0", EventKind::View, NOW)).unwrap();
    let v = engine.columns(&engine.profile(&view, NOW), &c, None).unwrap().column(Signal::ItemCf)[0].unwrap();
    assert!((v - cfg.event_weights[0] * 0.5).abs() < 1e-6 && v < a);
}

#[test]
fn every_candidate_comes_back_unknown_last_ties_by_position() {
    let engine = demo_engine();
    let profile = engine.profile(&History::new(10), NOW);
    let ids = ["ghost-1", "item-3", "item-3", "ghost-2", "item-4"];
    // Equal server scores and popularity-only signals: duplicates of item-3 tie -> input order.
    let r = engine.rerank(&profile, &ids, &Options::default()).unwrap();
    let pos: Vec<usize> = r.items.iter().map(|x| x.position).collect();
    assert_eq!(pos.len(), 5);
    assert_eq!(&pos[3..], &[0, 3], "unknown ids last, in input order");
    let i1 = pos.iter().position(|&p| p == 1).unwrap();
    let i2 = pos.iter().position(|&p| p == 2).unwrap();
    assert_eq!(i2, i1 + 1, "tied duplicates keep input order");
    assert_eq!(r.unknown, vec![0, 3]);
    // Deterministic.
    assert_eq!(engine.rerank(&profile, &ids, &Options::default()).unwrap(), r);
}

#[test]
fn server_scores_alone_decide_when_weighted_alone() {
    let engine = demo_engine();
    let profile = engine.profile(&History::new(10), NOW);
    let ids = ["item-1", "item-2", "item-3", "item-4"];
    let mut w = vec![0.0; Signal::COUNT];
    w[Signal::Server.index()] = 1.0;
    let scores = [0.1, 0.9, 0.5, 0.7];
    let opts = Options { server_scores: Some(&scores), weights: Some(w), ..Options::default() };
    let r = engine.rerank(&profile, &ids, &opts).unwrap();
    assert_eq!(r.items.iter().map(|x| x.position).collect::<Vec<_>>(), [1, 3, 2, 0]);
    // Mismatched lengths are a typed error.
    let bad = Options { server_scores: Some(&scores[..2]), ..Options::default() };
    assert_eq!(engine.rerank(&profile, &ids, &bad).unwrap_err().code(), "INVALID_INPUT");
    // Negative weights are rejected.
    let neg = Options { weights: Some(vec![-1.0; Signal::COUNT]), ..Options::default() };
    assert_eq!(engine.rerank(&profile, &ids, &neg).unwrap_err().code(), "INVALID_INPUT");
}

#[test]
fn explain_contributions_sum_to_the_score_for_weighted() {
    let engine = demo_engine();
    let h = history(&[("item-1", EventKind::Click), ("item-9", EventKind::Cart)]);
    let profile = engine.profile(&h, NOW);
    let ids: Vec<String> = (0..60).map(|i| format!("item-{i}")).collect();
    let opts = Options { explain: true, method: Some(Method::Weighted), ..Options::default() };
    let r = engine.rerank(&profile, &ids, &opts).unwrap();
    for x in &r.items {
        let c = x.contributions.expect("explain asked");
        let sum: f32 = c.0.iter().flatten().sum();
        assert!((sum - x.score.unwrap()).abs() < 1e-4, "{sum} vs {:?}", x.score);
    }
    let plain = engine.rerank(&profile, &ids, &Options::default()).unwrap();
    assert!(plain.items.iter().all(|x| x.contributions.is_none()));
}

#[test]
fn rules_exclude_seen_stock_pins_and_k() {
    let engine = demo_engine();
    let items = &engine.model().items;
    let out_of_stock: Vec<String> =
        (1..300).filter(|&i| !items.in_stock(i)).take(2).map(|i| format!("item-{i}")).collect();
    assert_eq!(out_of_stock.len(), 2, "demo catalog has out-of-stock items");
    let mut ids: Vec<String> = (0..20).map(|i| format!("item-{i}")).filter(|s| !out_of_stock.contains(s)).collect();
    ids.extend(out_of_stock.iter().cloned());
    let h = history(&[("item-0", EventKind::Click)]);
    let profile = engine.profile(&h, NOW);

    let filtered = engine
        .rerank(&profile, &ids, &Options { stock: StockRule::Filter, exclude_seen: true, ..Options::default() })
        .unwrap();
    assert_eq!(filtered.filtered.len(), 2);
    assert_eq!(filtered.excluded_seen, vec![0]);
    assert_eq!(filtered.items.len(), ids.len() - 3);
    assert!(filtered.items.iter().all(|x| items.in_stock(x.item.unwrap() as usize) && x.position != 0));

    let demoted = engine.rerank(&profile, &ids, &Options { stock: StockRule::Demote, ..Options::default() }).unwrap();
    let last2: Vec<usize> = demoted.items[demoted.items.len() - 2..].iter().map(|x| x.position).collect();
    assert!(last2
        .iter()
        .all(|&p| !items.in_stock(demoted.items.iter().find(|x| x.position == p).unwrap().item.unwrap() as usize)));

    let pinned = engine
        .rerank(
            &profile,
            &ids,
            &Options { pins: vec![(ids[7].clone(), 0), ("ghost".into(), 1)], k: Some(5), ..Options::default() },
        )
        .unwrap();
    assert_eq!(pinned.items.len(), 5);
    assert_eq!(pinned.items[0].position, 7);
    assert!(pinned.items[0].pinned && !pinned.items[1].pinned);
}

#[test]
fn similar_returns_neighbours_by_weight_then_fills_up() {
    let engine = demo_engine();
    let s = engine.similar("item-4", 30).unwrap();
    assert_eq!(s.len(), 30, "20 neighbours + embedding fill");
    assert!(s.iter().all(|&(j, _)| j != 4));
    let mut uniq: Vec<u32> = s.iter().map(|x| x.0).collect();
    uniq.sort_unstable();
    uniq.dedup();
    assert_eq!(uniq.len(), 30);
    let (nb, _) = engine.model().item_cf.as_ref().unwrap().row(4);
    assert!(s[..nb.len()].iter().all(|(j, _)| nb.contains(j)));
    assert_eq!(engine.similar("ghost", 3).unwrap_err().code(), "UNKNOWN_ITEM");
}

#[test]
fn every_method_and_normalisation_ranks_all_candidates() {
    let engine = demo_engine();
    let h = history(&[("item-2", EventKind::Click), ("item-10", EventKind::View)]);
    let profile = engine.profile(&h, NOW);
    let ids: Vec<String> = (0..40).map(|i| format!("item-{i}")).chain(["ghost".to_string()]).collect();
    for m in Method::ALL {
        for n in Normalization::ALL {
            let r = engine
                .rerank(&profile, &ids, &Options { method: Some(m), normalization: Some(n), ..Options::default() })
                .unwrap();
            assert_eq!(r.items.len(), ids.len(), "{m:?} {n:?}");
            assert_eq!(r.items.last().unwrap().position, 40, "{m:?} {n:?} unknown not last");
            assert!(r.items.iter().all(|x| x.score.is_none_or(f32::is_finite)));
        }
    }
}

/// Called directly (the pipeline rejects a length mismatch before), the server scorer gives the
/// finite scores passed, in order, and nothing for candidates beyond them; extra scores are ignored.
#[test]
fn server_scorer_with_fewer_or_more_scores_than_candidates() {
    let engine = demo_engine();
    let profile = engine.profile(&History::new(10), NOW);
    let cands: Vec<Option<u32>> = vec![Some(0), None, Some(2), Some(3), Some(4)];
    for (scores, expected) in [
        (&[1.5, f32::NAN, -2.0][..], vec![Some(1.5), None, Some(-2.0), None, None]),
        (&[][..], vec![None; 5]),
        (&[0.0, 1.0, 2.0, f32::INFINITY, 4.0, 5.0, 6.0][..], vec![Some(0.0), Some(1.0), Some(2.0), None, Some(4.0)]),
    ] {
        let out = own_column(&engine, &profile, Signal::Server, &cands, Some(scores));
        assert_eq!(out, expected, "{} scores", scores.len());
    }
}

/// Item-CF sums that overflow `f32` are missing values, not infinities, in the pipeline's columns
/// (where the three accumulator columns are filled in one pass, testing each value only when some
/// sum overflowed) exactly as in the scorer's own column; the other values are unchanged.
#[test]
fn overflowing_accumulated_sums_are_missing_in_the_pipeline_columns() {
    let mut model = demo::generate(&DemoSpec { items: 300, ..DemoSpec::default() });
    let cf = model.item_cf.as_mut().unwrap();
    // Finite weights (valid), whose sum over two or more history items overflows.
    cf.w = vec![f32::MAX / 2.0; cf.w.as_slice().len()].into();
    let engine = Engine::new(model).unwrap();
    let ids: Vec<String> = (0..40).map(|k| format!("item-{k}")).collect();
    let events: Vec<(&str, EventKind)> = ids.iter().map(|id| (id.as_str(), EventKind::Purchase)).collect();
    let profile = engine.profile(&history(&events), NOW);
    let cands: Vec<Option<u32>> = (0..engine.len() as u32).map(Some).collect();
    let cols = engine.columns(&profile, &cands, None).unwrap();
    for signal in [Signal::ItemCf, Signal::Seq, Signal::UserCf] {
        let own = own_column(&engine, &profile, signal, &cands, None);
        assert_eq!(cols.column(signal), &own[..], "{}", signal.name());
        assert!(cols.column(signal).iter().flatten().all(|x| x.is_finite()), "{}", signal.name());
    }
    let item_cf = cols.column(Signal::ItemCf);
    let missing = item_cf.iter().filter(|v| v.is_none()).count();
    assert!(missing > 0 && missing < cands.len(), "{missing} of {} item-CF values missing", cands.len());
    // The other two accumulators did not overflow: every candidate has a value (so all three were
    // present, and the columns came from the one-pass fill).
    assert!(cols.column(Signal::Seq).iter().all(Option::is_some));
    assert!(cols.column(Signal::UserCf).iter().all(Option::is_some));
}
