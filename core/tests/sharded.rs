//! Bundle format 2 (a head plus item rows in shards): a sharded bundle with every shard ranks exactly as
#![cfg(feature = "pieces")]
//! the format-1 bundle of the same model; with some shards it gives a valid ranking of what is present;
//! a corrupt or short shard or head is a typed error, never a panic.

use recofuse_core::bundle::{decode, encode, encode_sharded, fnv1a64, inspect, Head, Shard};
use recofuse_core::model::{Csr, Model, StringTable};
use recofuse_core::{Engine, Error, Event, EventKind, History, Options, Signal};
use recofuse_testkit::SplitMix64;

/// The generated catalog with every section: text terms and a deep model added.
fn full_model(n: usize, seed: u64) -> Model {
    let mut m = recofuse_testkit::catalog(n, seed);
    let mut rng = SplitMix64::new(seed ^ 99);
    m.items.term_names = StringTable::from_strs(["red", "wool", "lamp", "oak", "silk"]);
    let rows: Vec<Vec<(u32, f32)>> = (0..n)
        .map(|i| if i % 7 == 0 { vec![] } else { vec![(rng.below(5) as u32, 0.6), (((i % 4) + 1) as u32, 0.8)] })
        .map(|mut r: Vec<(u32, f32)>| {
            r.dedup_by_key(|p| p.0);
            r
        })
        .collect();
    m.items.terms = Csr::from_rows(&rows);
    m.neural = Some(recofuse_testkit::random_neural(n, 8, 2, 1, 6, 16, seed));
    m
}

fn history(rng: &mut SplitMix64, n: usize) -> History {
    let mut h = History::new(50);
    for t in 0..(1 + rng.below(12)) {
        let kind = [EventKind::View, EventKind::Click, EventKind::Cart, EventKind::Purchase][rng.below(4)];
        h.push(Event::new(format!("item-{}", rng.below(n)), kind, 1_000.0 * t as f64)).unwrap();
    }
    h
}

/// What must agree between two rankings (item indices differ: the sharded model orders items by shard).
type Key = Vec<(usize, Option<String>, Option<u32>, Vec<Option<u32>>)>;

fn key(engine: &Engine, r: &recofuse_core::Ranking) -> Key {
    r.items
        .iter()
        .map(|x| {
            let contributions = x
                .contributions
                .as_ref()
                .map(|c| Signal::ALL.iter().map(|&s| c[s].map(f32::to_bits)).collect())
                .unwrap_or_default();
            (
                x.position,
                x.item.and_then(|i| engine.item_id(i)).map(str::to_string),
                x.score.map(f32::to_bits),
                contributions,
            )
        })
        .collect()
}

#[test]
fn sharded_with_every_shard_ranks_as_format_1() {
    for (n, shards) in [(300, 1), (300, 7), (500, 64), (40, 128)] {
        let model = full_model(n, n as u64);
        let v1 = Engine::from_bundle(encode(&model, &Default::default()).unwrap()).unwrap();
        let parts = encode_sharded(&model, shards, &Default::default()).unwrap();
        assert_eq!(parts.len(), shards + 1);
        let v2 = Engine::from_bundle(parts.concat()).unwrap();
        assert_eq!(v2.len(), n);
        // The same model assembled from separately verified shards, in another order.
        let head = Head::decode(&parts[0]).unwrap();
        let mut loaded: Vec<Shard> = (0..shards).rev().map(|s| head.shard(s, &parts[1 + s]).unwrap()).collect();
        loaded.rotate_left(shards / 2);
        let assembled = head.assemble(&loaded.iter().collect::<Vec<_>>()).unwrap();
        // With every shard, the assembled model is the format-1 bundle's model itself, item order included.
        assert_eq!(
            assembled,
            decode(encode(&model, &Default::default()).unwrap()).unwrap(),
            "{n} items, {shards} shards"
        );
        let v2b = Engine::new(assembled).unwrap();
        let mut rng = SplitMix64::new(n as u64);
        for round in 0..40 {
            let h = history(&mut rng, n);
            let candidates: Vec<String> = (0..30).map(|_| format!("item-{}", rng.below(n + n / 10))).collect();
            let opts = Options {
                explain: true,
                weights: (round % 2 == 0).then(|| vec![1.0; Signal::ALL.len()]),
                exclude_seen: round % 3 == 0,
                ..Options::default()
            };
            let (p1, p2, p3) = (v1.profile(&h, 60_000.0), v2.profile(&h, 60_000.0), v2b.profile(&h, 60_000.0));
            let r1 = v1.rerank(&p1, &candidates, &opts).unwrap();
            let r2 = v2.rerank(&p2, &candidates, &opts).unwrap();
            let r3 = v2b.rerank(&p3, &candidates, &opts).unwrap();
            assert_eq!(key(&v1, &r1), key(&v2, &r2), "{n} items, {shards} shards, round {round}");
            assert_eq!(key(&v1, &r1), key(&v2b, &r3), "{n} items, {shards} shards, round {round} (assembled)");
            assert_eq!((r1.unknown, r1.excluded_seen), (r2.unknown, r2.excluded_seen));
        }
    }
}

#[test]
fn head_is_small_and_lists_shards_and_popular_items() {
    let model = full_model(2000, 3);
    let v1 = encode(&model, &Default::default()).unwrap();
    let parts = encode_sharded(&model, 32, &Default::default()).unwrap();
    let head = Head::decode(&parts[0]).unwrap();
    assert!(parts[0].len() * 4 < v1.len(), "head {} B of a {} B bundle", parts[0].len(), v1.len());
    assert_eq!(head.items(), 2000);
    assert_eq!(head.len(), parts[0].len());
    assert_eq!(head.shards()[0].offset, parts[0].len() as u64);
    let mut end = parts[0].len() as u64;
    for (s, info) in head.shards().iter().enumerate() {
        assert_eq!((info.offset, info.len), (end, parts[1 + s].len() as u64));
        end += info.len;
    }
    // Each item sits in the shard its id hashes to, and nowhere else.
    for s in 0..32 {
        let shard = head.shard(s, &parts[1 + s]).unwrap();
        let m = head.assemble(&[&shard]).unwrap();
        assert_eq!(m.items.len(), shard.len());
        assert!(m.items.ids.iter().all(|id| head.shard_of(id) == s && fnv1a64(id.as_bytes()) % 32 == s as u64));
    }
    // The popular list: the highest priors, best first.
    let engine = Engine::new(model).unwrap();
    let popular = head.popular();
    assert_eq!(popular.len(), 200);
    assert!(popular.windows(2).all(|w| w[0].1 >= w[1].1));
    let profile = engine.profile(&History::new(1), 0.0);
    let rec =
        engine.recommend(&profile, 5, &Options { weights: Some(popularity_only()), ..Options::default() }).unwrap();
    let top: Vec<&str> = rec.items.iter().map(|r| engine.item_id(r.item.unwrap()).unwrap()).collect();
    let listed: Vec<&str> = popular[..5].iter().map(|p| p.0.as_str()).collect();
    assert_eq!(top, listed);
    // inspect reads the head of a single-file bundle.
    let summary = inspect(&parts.concat()).unwrap();
    assert_eq!((summary.format_version, summary.items), (2, 2000));
}

fn popularity_only() -> Vec<f32> {
    Signal::ALL.iter().map(|&s| if s == Signal::Popularity { 1.0 } else { 0.0 }).collect()
}

#[test]
fn some_shards_give_a_valid_ranking_of_what_is_present() {
    let n = 400;
    let model = full_model(n, 5);
    let parts = encode_sharded(&model, 16, &Default::default()).unwrap();
    let head = Head::decode(&parts[0]).unwrap();
    let present: Vec<Shard> = [2usize, 5, 11].iter().map(|&s| head.shard(s, &parts[1 + s]).unwrap()).collect();
    let partial = Engine::new(head.assemble(&present.iter().collect::<Vec<_>>()).unwrap()).unwrap();
    let full = Engine::from_bundle(parts.concat()).unwrap();
    let ids: Vec<String> = (0..n).map(|i| format!("item-{i}")).collect();
    let in_present = |id: &str| [2, 5, 11].contains(&head.shard_of(id));
    assert_eq!(partial.len(), ids.iter().filter(|id| in_present(id)).count());
    let mut rng = SplitMix64::new(1);
    for _ in 0..20 {
        let h = history(&mut rng, n);
        let candidates: Vec<&str> = (0..40).map(|_| ids[rng.below(n)].as_str()).collect();
        let r = partial.rerank(&partial.profile(&h, 60_000.0), &candidates, &Options::default()).unwrap();
        assert_eq!(r.items.len(), 40, "every candidate comes back");
        // Candidates of absent shards are the unknown ones, ranked last.
        let unknown: Vec<usize> = (0..40).filter(|&p| !in_present(candidates[p])).collect();
        assert_eq!(r.unknown, unknown);
        assert!(r.items[40 - unknown.len()..].iter().all(|x| x.item.is_none()));
        // Popularity of a present item is its own row's, as in the full model.
        for x in r.items.iter().filter_map(|x| x.item) {
            let id = partial.item_id(x).unwrap();
            let fi = full.item_index(id).unwrap() as usize;
            assert_eq!(partial.model().popularity.count[x as usize], full.model().popularity.count[fi]);
        }
    }
}

#[test]
fn corrupt_or_short_parts_are_typed_errors() {
    let model = full_model(200, 9);
    let parts = encode_sharded(&model, 8, &Default::default()).unwrap();
    let head = Head::decode(&parts[0]).unwrap();
    // A flipped byte in a shard: checksum mismatch naming the shard, whatever the byte.
    for at in [0, 9, parts[4].len() / 2, parts[4].len() - 1] {
        let mut bad = parts[4].clone();
        bad[at] ^= 0x40;
        let err = head.shard(3, &bad).unwrap_err();
        assert!(
            matches!(err, Error::ChecksumMismatch { ref expected, .. } if expected.starts_with("shard 3")),
            "{err}"
        );
        let mut whole = parts.clone();
        whole[4] = bad;
        assert_eq!(decode(whole.concat()).unwrap_err().code(), "BUNDLE_CHECKSUM");
    }
    // Short: truncated, in the shard and in the single file.
    let err = head.shard(3, &parts[4][..parts[4].len() - 1]).unwrap_err();
    assert!(matches!(err, Error::Truncated { ref section, .. } if section == "shard 3"), "{err}");
    let whole = parts.concat();
    let err = decode(whole[..whole.len() - 10].to_vec()).unwrap_err();
    assert!(matches!(err, Error::Truncated { ref section, .. } if section == "shard 7"), "{err}");
    // Another shard's bytes under this index: the hash differs.
    assert!(matches!(head.shard(2, &parts[4]), Err(Error::ChecksumMismatch { .. }) | Err(Error::Truncated { .. })));
    assert!(matches!(head.shard(99, &parts[1]), Err(Error::InvalidInput { .. })));
    // The head: a flipped byte anywhere is a typed error (checksum or header), never a panic.
    for at in (0..parts[0].len()).step_by(97) {
        let mut bad = parts[0].clone();
        bad[at] ^= 0x01;
        assert!(Head::decode(&bad).is_err(), "byte {at}");
    }
    // Trailing bytes after the last shard.
    let mut long = whole.clone();
    long.push(0);
    assert_eq!(decode(long).unwrap_err().code(), "BUNDLE_BAD_HEADER");
    // A format-1 bundle is not a head (it still loads whole).
    let v1 = encode(&model, &Default::default()).unwrap();
    assert!(matches!(Head::decode(&v1), Err(Error::UnsupportedVersion { .. })));
    assert_eq!(decode(v1).unwrap().items.len(), 200);
}

#[test]
fn colliding_id_hashes_are_refused() {
    // Two ids with the same FNV-1a hash are hard to find; a catalog where every id is unique but
    // sharding is asked with more shards than items still works (empty shards).
    let model = full_model(10, 2);
    let parts = encode_sharded(&model, 64, &Default::default()).unwrap();
    assert_eq!(decode(parts.concat()).unwrap().items.len(), 10);
    let mut dup = model.clone();
    dup.items.ids =
        StringTable::from_strs((0..10).map(|i| if i == 3 { "item-2".to_string() } else { format!("item-{i}") }));
    assert!(encode_sharded(&dup, 4, &Default::default()).is_err());
}
