//! Bundle codec: round trips, in-place decoding, one test per corruption class (each expecting its typed
//! error), property tests that no input panics, and interop with the official Python `safetensors`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use half::f16;
use proptest::prelude::*;
use recofuse_core::bundle::{self, decode, encode, encode_unchecked, inspect, validate, EncodeOptions};
use recofuse_core::config::Method;
use recofuse_core::model::{Csr, EmbeddingData, Embeddings, Items, Model, Popularity, Prototypes, StringTable, NONE};
use recofuse_core::{Error, FusionConfig, ScoringConfig};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------------------------------------------
// Fixtures

#[derive(Debug, Clone, Copy, PartialEq)]
enum Emb {
    None,
    F32,
    F16,
    I8,
}

const N: usize = 5;
const DIM: usize = 4;

/// A 5-item model with every section filled. Weights include values that f16 cannot represent exactly.
fn sample(emb: Emb) -> Model {
    let ids = StringTable::from_strs(["sku-1", "sku-2", "sku-3", "ärmel-4", ""]);
    let category_names = StringTable::from_strs(["shoes", "bags", "hats"]);
    let categories =
        Csr::from_rows(&[vec![(0, 1.0)], vec![(1, 1.0)], vec![(0, 1.0), (2, 1.0)], vec![], vec![(2, 1.0)]]);
    let categories = Csr { w: Vec::new().into(), ..categories };
    let items = Items {
        ids,
        category_names,
        categories,
        brand_names: StringTable::from_strs(["acme", "zenith"]),
        brand: vec![0, 1, NONE, 0, 1].into(),
        price: vec![19.99, 5.0, 0.0, 120.5, 42.0].into(),
        flags: vec![Items::FLAG_IN_STOCK | Items::FLAG_PRICE, Items::FLAG_PRICE, 0, 3, 2].into(),
        term_names: StringTable::from_strs(["red", "wool", "lamp"]),
        terms: Csr::from_rows(&[vec![(0, 0.6), (1, 0.8)], vec![(1, 1.0)], vec![], vec![(2, 1.0)], vec![(0, 0.3)]]),
    };
    let item_cf = Csr::from_rows(&[
        vec![(1, 0.9), (2, 0.3)],
        vec![(0, 0.9)],
        vec![(0, 0.3), (4, 0.125)],
        vec![],
        vec![(2, 0.125), (3, 1e-3)],
    ]);
    let transitions =
        Csr::from_rows(&[vec![(1, 2.0)], vec![(2, 1.0), (3, 0.7)], vec![], vec![(4, 5.5)], vec![(0, 0.1)]]);
    let values: Vec<f32> = (0..N * DIM).map(|i| (i as f32 - 7.0) / 8.0).collect();
    let embeddings = match emb {
        Emb::None => None,
        Emb::F32 => Some(Embeddings { dim: DIM, data: EmbeddingData::F32(values.into()) }),
        Emb::F16 => Some(Embeddings {
            dim: DIM,
            data: EmbeddingData::F16(values.iter().map(|&v| f16::from_f32(v)).collect::<Vec<_>>().into()),
        }),
        Emb::I8 => Some(Embeddings {
            dim: DIM,
            data: EmbeddingData::I8 {
                values: (0..N * DIM).map(|i| (i as i32 * 13 % 255 - 127) as i8).collect::<Vec<_>>().into(),
                scales: vec![0.01, 0.02, 0.5, 1.0, 0.0078125].into(),
            },
        }),
    };
    let prototypes = Prototypes {
        prefs: Csr::from_rows(&[vec![(0, 0.6), (3, 0.4)], vec![(1, 0.2), (2, 0.8), (4, 0.1)]]),
        sizes: vec![5, 9].into(),
        min_cluster_size: 5,
    };
    let mut fusion = FusionConfig { method: Method::Rrf, rrf_k: 30.0, ..FusionConfig::default() };
    fusion.weights[1] = 0.0;
    fusion.weights[3] = 2.5;
    let scoring = ScoringConfig { half_life_days: 7.0, ..ScoringConfig::default() };
    let mut info = BTreeMap::new();
    info.insert("dataset".to_string(), "unit-test".to_string());
    info.insert("trainer".to_string(), "hand-built \"fixture\"".to_string());
    Model {
        items,
        popularity: Popularity {
            count: vec![3.0, 1.5, 0.0, 7.25, 2.0].into(),
            trend: vec![0.5, 0.0, 0.25, 1.0, 0.125].into(),
        },
        item_cf: Some(item_cf),
        transitions: Some(transitions),
        embeddings,
        prototypes: Some(prototypes),
        neural: None,
        fusion,
        scoring,
        info,
    }
}

fn compact() -> EncodeOptions {
    EncodeOptions { compact: true }
}

fn full() -> EncodeOptions {
    EncodeOptions { compact: false }
}

fn f16_round(x: f32) -> f32 {
    f16::from_f32(x).to_f32()
}

/// What a compact round trip must give back: every CSR weight rounded to f16.
fn rounded_weights(mut m: Model) -> Model {
    fn round(c: &mut Csr) {
        c.w = c.w.iter().map(|&x| f16_round(x)).collect::<Vec<_>>().into();
    }
    if let Some(c) = m.item_cf.as_mut() {
        round(c);
    }
    if let Some(c) = m.transitions.as_mut() {
        round(c);
    }
    if let Some(p) = m.prototypes.as_mut() {
        round(&mut p.prefs);
    }
    round(&mut m.items.terms);
    m
}

// ---------------------------------------------------------------------------------------------------
// Raw container helpers, written independently of the codec (a mini safetensors implementation).

struct RawTensor {
    name: String,
    dtype: String,
    shape: Vec<u64>,
    data: Vec<u8>,
}

struct Raw {
    meta: Map<String, Value>,
    tensors: Vec<RawTensor>,
}

fn header_len(bytes: &[u8]) -> usize {
    u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize
}

fn header(bytes: &[u8]) -> Map<String, Value> {
    serde_json::from_slice(&bytes[8..8 + header_len(bytes)]).unwrap()
}

fn data_start(bytes: &[u8]) -> usize {
    8 + header_len(bytes)
}

/// Parses a bundle into metadata and tensors, in file order.
fn parse_raw(bytes: &[u8]) -> Raw {
    let mut h = header(bytes);
    let meta = h.remove("__metadata__").unwrap().as_object().unwrap().clone();
    let start = data_start(bytes);
    let mut tensors: Vec<(u64, RawTensor)> = h
        .into_iter()
        .map(|(name, v)| {
            let off: Vec<u64> = v["data_offsets"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
            let data = bytes[start + off[0] as usize..start + off[1] as usize].to_vec();
            let t = RawTensor {
                name,
                dtype: v["dtype"].as_str().unwrap().to_string(),
                shape: v["shape"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect(),
                data,
            };
            (off[0], t)
        })
        .collect();
    tensors.sort_by_key(|(o, t)| (*o, t.data.len()));
    Raw { meta, tensors: tensors.into_iter().map(|(_, t)| t).collect() }
}

fn sha_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the 64 hex digits of `"sha256":"…"` start in the file.
fn sum_at(bytes: &[u8]) -> usize {
    let key = b"\"sha256\":\"";
    bytes.windows(key.len()).position(|w| w == key).unwrap() + key.len()
}

/// The file checksum, computed here with the `sha2` crate: SHA-256 of the whole file with the 64 digits
/// of the checksum read as `0`s.
fn file_sha(bytes: &[u8]) -> String {
    let mut copy = bytes.to_vec();
    let at = sum_at(&copy);
    copy[at..at + 64].fill(b'0');
    sha_hex(&copy)
}

/// Writes the file checksum into `bytes` (which hold a `"sha256":"<64 chars>"` field).
fn seal(mut bytes: Vec<u8>) -> Vec<u8> {
    let sum = file_sha(&bytes);
    let at = sum_at(&bytes);
    bytes[at..at + 64].copy_from_slice(sum.as_bytes());
    bytes
}

/// Writes a header map and a data buffer as a container, the header padded to a multiple of 8.
fn assemble(h: &Map<String, Value>, data: &[u8]) -> Vec<u8> {
    let mut text = serde_json::to_string(h).unwrap();
    while text.len() % 8 != 0 {
        text.push(' ');
    }
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(data);
    out
}

/// Writes tensors contiguously in the given order with a freshly computed checksum.
fn write_raw(raw: &Raw) -> Vec<u8> {
    let mut data = Vec::new();
    let mut h = Map::new();
    for t in &raw.tensors {
        let begin = data.len();
        data.extend_from_slice(&t.data);
        h.insert(t.name.clone(), json!({"dtype": t.dtype, "shape": t.shape, "data_offsets": [begin, data.len()]}));
    }
    let mut meta = raw.meta.clone();
    meta.insert("sha256".into(), Value::String("0".repeat(64)));
    h.insert("__metadata__".into(), Value::Object(meta));
    seal(assemble(&h, &data))
}

/// Rewrites the header (the data buffer is untouched) and, when it still has one, its checksum: the
/// edit is then caught by the checks after the checksum. [`edit_header_unsealed`] keeps the old checksum.
fn edit_header(bytes: &[u8], f: impl FnOnce(&mut Map<String, Value>)) -> Vec<u8> {
    let mut h = header(bytes);
    f(&mut h);
    let sealed = h.get_mut("__metadata__").and_then(|m| m.as_object_mut()).and_then(|m| m.get_mut("sha256"));
    match sealed {
        Some(v @ Value::String(_)) => {
            *v = Value::String("0".repeat(64));
            seal(assemble(&h, &bytes[data_start(bytes)..]))
        }
        _ => assemble(&h, &bytes[data_start(bytes)..]),
    }
}

/// Rewrites the header keeping the recorded checksum as it was.
fn edit_header_unsealed(bytes: &[u8], f: impl FnOnce(&mut Map<String, Value>)) -> Vec<u8> {
    let mut h = header(bytes);
    f(&mut h);
    assemble(&h, &bytes[data_start(bytes)..])
}

fn edit_meta(bytes: &[u8], f: impl FnOnce(&mut Map<String, Value>)) -> Vec<u8> {
    edit_header(bytes, |h| f(h.get_mut("__metadata__").unwrap().as_object_mut().unwrap()))
}

/// Recomputes the checksum after the data buffer was changed in place.
fn reseal(bytes: &[u8]) -> Vec<u8> {
    seal(bytes.to_vec())
}

fn valid_bundle() -> Vec<u8> {
    encode(&sample(Emb::I8), &compact()).unwrap()
}

// ---------------------------------------------------------------------------------------------------
// Round trips and layout

#[test]
fn round_trip_every_embedding_encoding_full_precision() {
    for emb in [Emb::None, Emb::F32, Emb::F16, Emb::I8] {
        let m = sample(emb);
        let bytes = encode(&m, &full()).unwrap();
        assert_eq!(decode(bytes).unwrap(), m, "{emb:?}");
    }
}

#[test]
fn round_trip_every_embedding_encoding_compact() {
    for emb in [Emb::None, Emb::F32, Emb::F16, Emb::I8] {
        let m = sample(emb);
        let decoded = decode(encode(&m, &compact()).unwrap()).unwrap();
        // Exactly the f16-rounded weights, everything else bit for bit.
        assert_eq!(decoded, rounded_weights(m.clone()), "{emb:?}");
        // And those are within f16 precision of the originals.
        let (a, b) = (&m.item_cf.as_ref().unwrap().w, &decoded.item_cf.as_ref().unwrap().w);
        for (x, y) in a.iter().zip(b.iter()) {
            assert!((x - y).abs() <= x.abs() * 1e-3, "{x} vs {y}");
        }
        assert_ne!(a.as_slice(), b.as_slice(), "0.9 and 0.3 are not f16 values: the fixture must show rounding");
    }
}

#[test]
fn default_options_are_compact() {
    assert!(EncodeOptions::default().compact);
    let m = sample(Emb::F32);
    assert_eq!(encode(&m, &EncodeOptions::default()).unwrap(), encode(&m, &compact()).unwrap());
}

#[test]
fn empty_model_round_trips() {
    let m = Model::default();
    assert_eq!(decode(encode(&m, &compact()).unwrap()).unwrap(), m);
}

#[test]
fn compact_uses_u16_indices_and_f16_weights_only_when_they_fit() {
    let bytes = encode(&sample(Emb::F32), &compact()).unwrap();
    let h = header(&bytes);
    assert_eq!(h["itemcf.idx"]["dtype"], "U16");
    assert_eq!(h["itemcf.w"]["dtype"], "F16");
    assert_eq!(h["itemcf.ptr"]["dtype"], "U32");
    let bytes = encode(&sample(Emb::F32), &full()).unwrap();
    let h = header(&bytes);
    assert_eq!(h["itemcf.idx"]["dtype"], "U32");
    assert_eq!(h["itemcf.w"]["dtype"], "F32");

    // A weight beyond the f16 range keeps that section in F32 (exactly), others stay compact.
    let mut m = sample(Emb::F32);
    let cf = m.item_cf.as_mut().unwrap();
    let mut w = cf.w.to_vec();
    w[0] = 1e6;
    cf.w = w.into();
    let bytes = encode(&m, &compact()).unwrap();
    let h = header(&bytes);
    assert_eq!(h["itemcf.w"]["dtype"], "F32");
    assert_eq!(h["transitions.w"]["dtype"], "F16");
    let back = decode(bytes).unwrap();
    assert_eq!(back.item_cf, m.item_cf);
}

#[test]
fn layout_is_aligned_contiguous_and_ordered_by_element_size() {
    for emb in [Emb::F32, Emb::F16, Emb::I8] {
        for opts in [compact(), full()] {
            let bytes = encode(&sample(emb), &opts).unwrap();
            assert_eq!(data_start(&bytes) % 8, 0, "data buffer starts at a multiple of 8");
            let h = header(&bytes);
            let mut spans: Vec<(u64, u64, usize)> = h
                .iter()
                .filter(|(k, _)| *k != "__metadata__")
                .map(|(_, v)| {
                    let size = match v["dtype"].as_str().unwrap() {
                        "F32" | "U32" => 4,
                        "F16" | "U16" => 2,
                        "U8" | "I8" => 1,
                        other => panic!("unexpected dtype {other}"),
                    };
                    (v["data_offsets"][0].as_u64().unwrap(), v["data_offsets"][1].as_u64().unwrap(), size)
                })
                .collect();
            spans.sort();
            let mut cursor = 0;
            let mut last_size = 8;
            for (b, e, size) in spans {
                assert_eq!(b, cursor, "contiguous");
                assert_eq!(b % size as u64, 0, "aligned for its dtype");
                if e > b {
                    assert!(size <= last_size, "decreasing element size");
                    last_size = size;
                }
                cursor = e;
            }
            assert_eq!(cursor as usize, bytes.len() - data_start(&bytes), "covers the whole buffer");
        }
    }
}

#[test]
fn metadata_describes_the_bundle() {
    let m = sample(Emb::I8);
    let bytes = encode(&m, &compact()).unwrap();
    let meta = header(&bytes)["__metadata__"].as_object().unwrap().clone();
    assert_eq!(meta["format"], bundle::FORMAT);
    assert_eq!(meta["format_version"], "1");
    assert_eq!(meta["scorers"], "itemcf,seq,usercf,embedding,content,popularity,server");
    assert_eq!(meta["items"], "5");
    assert_eq!(meta["embedding_dim"], "4");
    assert_eq!(meta["prototypes.min_cluster_size"], "5");
    assert_eq!(meta["info.dataset"], "unit-test");
    assert_eq!(meta["sha256"], file_sha(&bytes).as_str());
    let fusion = FusionConfig::from_json(meta["fusion"].as_str().unwrap()).unwrap();
    assert_eq!(fusion, m.fusion);
    let scoring = ScoringConfig::from_json(meta["scoring"].as_str().unwrap()).unwrap();
    assert_eq!(scoring, m.scoring);

    let mut bare = sample(Emb::None);
    bare.item_cf = None;
    bare.prototypes = None;
    let meta = header(&encode(&bare, &compact()).unwrap())["__metadata__"].clone();
    assert_eq!(meta["scorers"], "seq,content,popularity,server");
    assert!(meta.get("embedding_dim").is_none());
}

#[test]
fn inspect_summarises_the_header() {
    let m = sample(Emb::F32);
    let bytes = encode(&m, &compact()).unwrap();
    let s = inspect(&bytes).unwrap();
    assert_eq!(s.format_version, bundle::FORMAT_VERSION);
    assert_eq!(s.items, N);
    assert_eq!(s.bytes, bytes.len());
    assert_eq!(s.sha256, file_sha(&bytes));
    assert_eq!(s.scorers, ["itemcf", "seq", "usercf", "embedding", "content", "popularity", "server"]);
    assert_eq!(s.info["dataset"], "unit-test");
    let by_name: BTreeMap<&str, &bundle::TensorInfo> = s.tensors.iter().map(|t| (t.name.as_str(), t)).collect();
    let emb = by_name["embeddings.f32"];
    assert_eq!(
        (emb.dtype.as_str(), emb.shape.as_slice(), emb.bytes, emb.in_place),
        ("F32", &[N, DIM][..], N * DIM * 4, true)
    );
    assert!(by_name["itemcf.ptr"].in_place);
    assert!(!by_name["itemcf.idx"].in_place, "U16 indices are widened");
    assert!(!by_name["itemcf.w"].in_place, "F16 weights are widened");
    assert_eq!(s.tensors.iter().map(|t| t.bytes).sum::<usize>(), bytes.len() - data_start(&bytes));
    // JSON for the CLI.
    let j: Value = serde_json::from_str(&recofuse_core::json::ToJson::to_json(&s)).unwrap();
    assert_eq!(j["items"], 5);
    // inspect checks the checksum too.
    let mut bad = bytes.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert!(matches!(inspect(&bad), Err(Error::ChecksumMismatch { .. })));
}

#[test]
fn decoded_tensors_are_used_in_place() {
    let m = sample(Emb::F32);
    let decoded = decode(encode(&m, &compact()).unwrap()).unwrap();
    let Some(Embeddings { data: EmbeddingData::F32(t), .. }) = &decoded.embeddings else { panic!("f32 embeddings") };
    assert!(t.is_in_place(), "f32 embeddings borrow the bundle");
    let cf = decoded.item_cf.as_ref().unwrap();
    assert!(cf.ptr.is_in_place(), "u32 row pointers borrow the bundle");
    assert!(!cf.idx.is_in_place(), "u16 indices are widened into a copy");
    assert!(!cf.w.is_in_place(), "f16 weights are widened into a copy");
    assert!(decoded.items.price.is_in_place());
    assert!(decoded.items.ids.offsets.is_in_place());
    assert!(decoded.items.ids.bytes.is_in_place());

    let decoded = decode(encode(&m, &full()).unwrap()).unwrap();
    let cf = decoded.item_cf.as_ref().unwrap();
    assert!(cf.idx.is_in_place() && cf.w.is_in_place(), "full-precision sections are borrowed too");

    let decoded = decode(encode(&sample(Emb::F16), &full()).unwrap()).unwrap();
    let Some(Embeddings { data: EmbeddingData::F16(t), .. }) = &decoded.embeddings else { panic!("f16 embeddings") };
    assert!(t.is_in_place());
}

#[test]
fn encode_validates_first() {
    let mut m = sample(Emb::F32);
    m.popularity.count = vec![1.0, f32::NAN, 0.0, 0.0, 0.0].into();
    assert_eq!(
        encode(&m, &compact()).unwrap_err(),
        Error::NonFinite { section: "popularity.count".into(), position: 1 }
    );
    assert_eq!(validate(&m), encode(&m, &full()).map(|_| ()));
}

// ---------------------------------------------------------------------------------------------------
// Corruption classes

#[test]
fn truncated_inside_the_length_prefix() {
    let bytes = valid_bundle();
    for cut in [0, 1, 4, 7] {
        assert_eq!(
            decode(bytes[..cut].to_vec()).unwrap_err(),
            Error::Truncated { section: "header length".into(), needed: 8, available: cut as u64 }
        );
    }
}

#[test]
fn truncated_inside_the_header() {
    let bytes = valid_bundle();
    let start = data_start(&bytes);
    for cut in [8, 9, start / 2, start - 1] {
        assert_eq!(
            decode(bytes[..cut].to_vec()).unwrap_err(),
            Error::Truncated { section: "header".into(), needed: start as u64, available: cut as u64 }
        );
    }
}

#[test]
fn truncated_inside_the_data_names_the_cut_tensor() {
    let bytes = valid_bundle();
    let start = data_start(&bytes);
    let h = header(&bytes);
    let total = bytes.len();
    for cut in [start, start + 3, (start + total) / 2, total - 1] {
        let err = decode(bytes[..cut].to_vec()).unwrap_err();
        let Error::Truncated { section, needed, available } = err else { panic!("{err:?}") };
        assert_eq!(available, cut as u64);
        let t = &h[section.as_str()];
        let (b, e) = (t["data_offsets"][0].as_u64().unwrap(), t["data_offsets"][1].as_u64().unwrap());
        assert_eq!(needed, start as u64 + e);
        assert!(start as u64 + b <= cut as u64, "the named tensor is the first one cut");
        assert!(start as u64 + e > cut as u64);
    }
}

#[test]
fn bad_header_not_json() {
    let bytes = valid_bundle();
    let n = header_len(&bytes);
    let mut bad = bytes.clone();
    let garbage = format!("{:<width$}", "{this is not json", width = n);
    bad[8..8 + n].copy_from_slice(garbage.as_bytes());
    assert!(matches!(decode(bad).unwrap_err(), Error::BadHeader { .. }));
    // Not an object at all.
    let mut bad = bytes;
    bad[8..8 + n].copy_from_slice(format!("{:<width$}", "[1, 2]", width = n).as_bytes());
    assert!(matches!(decode(bad).unwrap_err(), Error::BadHeader { .. }));
}

#[test]
fn bad_header_absurd_length() {
    let mut bytes = valid_bundle();
    bytes[..8].copy_from_slice(&(200_000_000u64).to_le_bytes());
    let Error::BadHeader { reason } = decode(bytes).unwrap_err() else { panic!() };
    assert!(reason.contains("limit"), "{reason}");
    let mut bytes = valid_bundle();
    bytes[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(decode(bytes).unwrap_err(), Error::BadHeader { .. }));
}

#[test]
fn bad_header_unknown_dtype() {
    let bad = edit_header(&valid_bundle(), |h| {
        h["items.price"]["dtype"] = json!("F33");
    });
    let Error::BadHeader { reason } = decode(bad).unwrap_err() else { panic!() };
    assert!(reason.contains("items.price") && reason.contains("F33"), "{reason}");
}

#[test]
fn bad_header_malformed_entries() {
    let cases: Vec<(&str, Value)> = vec![
        ("shape", json!([5, -1])),
        ("shape", json!("5")),
        ("data_offsets", json!([0])),
        ("data_offsets", json!([8, 4])),
    ];
    for (key, value) in cases {
        let bad = edit_header(&valid_bundle(), |h| {
            h["items.price"][key] = value.clone();
        });
        assert!(matches!(decode(bad).unwrap_err(), Error::BadHeader { .. }), "{key} = {value}");
    }
    // __metadata__ values must be strings.
    let bad = edit_meta(&valid_bundle(), |m| {
        m.insert("items".into(), json!(5));
    });
    assert!(matches!(decode(bad).unwrap_err(), Error::BadHeader { .. }));
    // The byte size must match dtype and shape.
    let bad = edit_header(&valid_bundle(), |h| {
        h["items.price"]["shape"] = json!([4]);
    });
    assert!(matches!(decode(bad).unwrap_err(), Error::BadHeader { .. }));
}

#[test]
fn bad_header_overlapping_gap_and_trailing_bytes() {
    let bytes = valid_bundle();
    // Move items.price 4 bytes back: it overlaps its predecessor (and leaves a gap after it).
    let overlap = edit_header(&bytes, |h| {
        let b = h["items.price"]["data_offsets"][0].as_u64().unwrap();
        let e = h["items.price"]["data_offsets"][1].as_u64().unwrap();
        h["items.price"]["data_offsets"] = json!([b - 4, e - 4]);
    });
    let Error::BadHeader { reason } = decode(overlap).unwrap_err() else { panic!() };
    assert!(reason.contains("overlap"), "{reason}");
    // Drop the first tensor from the header: a gap at the start.
    let h = header(&bytes);
    let first = h.iter().find(|(k, v)| *k != "__metadata__" && v["data_offsets"][0] == 0 && v["data_offsets"][1] != 0);
    let first = first.unwrap().0.clone();
    let gap = edit_header(&bytes, |h| {
        h.remove(&first);
    });
    let Error::BadHeader { reason } = decode(gap).unwrap_err() else { panic!() };
    assert!(reason.contains("gap"), "{reason}");
    // Bytes after the last tensor.
    let mut trailing = bytes.clone();
    trailing.extend_from_slice(&[0; 8]);
    let Error::BadHeader { reason } = decode(trailing).unwrap_err() else { panic!() };
    assert!(reason.contains("trailing"), "{reason}");
}

#[test]
fn wrong_version() {
    let bad = edit_meta(&valid_bundle(), |m| {
        m.insert("format_version".into(), json!("3"));
    });
    assert_eq!(
        decode(bad.clone()).unwrap_err(),
        Error::UnsupportedVersion { found: "3".into(), supported: "1, 2".into() }
    );
    assert_eq!(decode(bad.clone()).unwrap_err().code(), "BUNDLE_UNSUPPORTED_VERSION");
    assert!(matches!(inspect(&bad), Err(Error::UnsupportedVersion { .. })));
    let missing = edit_meta(&valid_bundle(), |m| {
        m.remove("format_version");
    });
    assert_eq!(decode(missing).unwrap_err(), Error::MissingSection { section: "format_version".into() });
}

#[test]
fn not_a_recofuse_file() {
    // A valid safetensors file from elsewhere: no __metadata__ at all.
    let data = [0u8; 16];
    let mut h = Map::new();
    h.insert("weight".into(), json!({"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}));
    let Error::BadHeader { reason } = decode(assemble(&h, &data)).unwrap_err() else { panic!() };
    assert!(reason.contains("not a recofuse bundle"), "{reason}");
    // Another format name.
    let bad = edit_meta(&valid_bundle(), |m| {
        m.insert("format".into(), json!("pt"));
    });
    let Error::BadHeader { reason } = decode(bad).unwrap_err() else { panic!() };
    assert!(reason.contains("\"pt\""), "{reason}");
    // Not safetensors at all.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    assert!(matches!(decode(png).unwrap_err(), Error::BadHeader { .. } | Error::Truncated { .. }));
}

#[test]
fn out_of_range_index() {
    for opts in [compact(), full()] {
        let mut m = sample(Emb::I8);
        let cf = m.item_cf.as_mut().unwrap();
        let mut idx = cf.idx.to_vec();
        idx[3] = N as u32; // one past the last item
        cf.idx = idx.into();
        assert_eq!(
            decode(encode_unchecked(&m, &opts).unwrap()).unwrap_err(),
            Error::IndexOutOfRange { section: "itemcf.idx".into(), position: 3, index: N as u64, bound: N as u64 }
        );
        assert_eq!(validate(&m), decode(encode_unchecked(&m, &opts).unwrap()).map(|_| ()));
    }
    // Beyond u16: compact falls back to U32 rather than truncating the index.
    let mut m = sample(Emb::None);
    let t = m.transitions.as_mut().unwrap();
    t.idx = vec![70_000, 2, 3, 4, 0].into();
    let err = decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err();
    assert_eq!(err, Error::IndexOutOfRange { section: "transitions.idx".into(), position: 0, index: 70_000, bound: 5 });

    let mut m = sample(Emb::None);
    m.items.brand = vec![0, 1, 2, NONE, 0].into();
    assert_eq!(
        decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err(),
        Error::IndexOutOfRange { section: "items.brand".into(), position: 2, index: 2, bound: 2 }
    );
    let mut m = sample(Emb::None);
    m.items.categories.idx = vec![0, 1, 0, 3, 2].into();
    assert!(matches!(
        decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err(),
        Error::IndexOutOfRange { section, index: 3, bound: 3, .. } if section == "items.categories.idx"
    ));
    let mut m = sample(Emb::None);
    m.prototypes.as_mut().unwrap().prefs.idx = vec![0, 3, 1, 2, 9].into();
    assert!(matches!(
        decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err(),
        Error::IndexOutOfRange { section, position: 4, index: 9, bound: 5 } if section == "prototypes.idx"
    ));
    // Text terms index the term vocabulary (3 words); their weights must be finite.
    let mut m = sample(Emb::None);
    m.items.terms.idx = vec![0, 1, 1, 3, 0].into();
    assert_eq!(
        decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err(),
        Error::IndexOutOfRange { section: "items.terms.idx".into(), position: 3, index: 3, bound: 3 }
    );
    let mut m = sample(Emb::None);
    m.items.terms.w = vec![0.6, f32::NAN, 1.0, 1.0, 0.3].into();
    assert_eq!(
        decode(encode_unchecked(&m, &full()).unwrap()).unwrap_err(),
        Error::NonFinite { section: "items.terms.w".into(), position: 1 }
    );
    // A bundle without text vectors still loads (older trainers, catalogs without titles).
    let mut m = sample(Emb::None);
    m.items.term_names = StringTable::default();
    m.items.terms = Csr::default();
    let back = decode(encode(&m, &compact()).unwrap()).unwrap();
    assert_eq!(back.items.terms.rows(), 0);
}

#[test]
fn broken_row_pointers() {
    let mut m = sample(Emb::None);
    m.item_cf.as_mut().unwrap().ptr = vec![0, 2, 1, 5, 5, 7].into(); // decreasing
    assert!(matches!(
        decode(encode_unchecked(&m, &full()).unwrap()).unwrap_err(),
        Error::InvalidSection { section, .. } if section == "itemcf.ptr"
    ));
    m.item_cf.as_mut().unwrap().ptr = vec![0, 2, 3, 5, 5, 6].into(); // last != nnz
    assert!(matches!(
        decode(encode_unchecked(&m, &full()).unwrap()).unwrap_err(),
        Error::InvalidSection { section, .. } if section == "itemcf.ptr"
    ));
    m.item_cf.as_mut().unwrap().ptr = vec![0, 2, 3, 50, 5, 7].into(); // beyond idx
    assert!(matches!(
        decode(encode_unchecked(&m, &full()).unwrap()).unwrap_err(),
        Error::IndexOutOfRange { section, position: 3, index: 50, bound: 8 } if section == "itemcf.ptr"
    ));
    m.item_cf.as_mut().unwrap().ptr = vec![1, 2, 3, 5, 5, 7].into(); // does not start at 0
    assert!(matches!(
        decode(encode_unchecked(&m, &full()).unwrap()).unwrap_err(),
        Error::InvalidSection { section, .. } if section == "itemcf.ptr"
    ));
}

#[test]
fn nan_in_popularity_weights_and_scales() {
    let mut m = sample(Emb::I8);
    m.popularity.count = vec![1.0, 2.0, f32::NAN, 0.0, 0.0].into();
    assert_eq!(
        decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err(),
        Error::NonFinite { section: "popularity.count".into(), position: 2 }
    );

    let mut m = sample(Emb::I8);
    m.popularity.trend = vec![1.0, 2.0, 0.0, f32::INFINITY, 0.0].into();
    assert_eq!(
        decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err(),
        Error::NonFinite { section: "popularity.trend".into(), position: 3 }
    );

    for opts in [compact(), full()] {
        let mut m = sample(Emb::I8);
        let cf = m.item_cf.as_mut().unwrap();
        let mut w = cf.w.to_vec();
        w[1] = f32::NAN;
        cf.w = w.into();
        assert_eq!(
            decode(encode_unchecked(&m, &opts).unwrap()).unwrap_err(),
            Error::NonFinite { section: "itemcf.w".into(), position: 1 }
        );
    }

    let mut m = sample(Emb::I8);
    let Some(Embeddings { data: EmbeddingData::I8 { scales, .. }, .. }) = m.embeddings.as_mut() else { panic!() };
    *scales = vec![0.1, 0.1, 0.1, 0.1, f32::NAN].into();
    assert_eq!(
        decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err(),
        Error::NonFinite { section: "embeddings.scale".into(), position: 4 }
    );

    let mut m = sample(Emb::F16);
    let Some(Embeddings { data: EmbeddingData::F16(t), .. }) = m.embeddings.as_mut() else { panic!() };
    let mut v = t.to_vec();
    v[7] = f16::INFINITY;
    *t = v.into();
    assert_eq!(
        decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err(),
        Error::NonFinite { section: "embeddings.f16".into(), position: 7 }
    );

    // A NaN patched into the bytes of a valid bundle (checksum re-sealed) is found too.
    let m = sample(Emb::F32);
    let bytes = encode(&m, &compact()).unwrap();
    let h = header(&bytes);
    let at = data_start(&bytes) + h["embeddings.f32"]["data_offsets"][0].as_u64().unwrap() as usize + 4 * 6;
    let mut bad = bytes.clone();
    bad[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    assert_eq!(decode(reseal(&bad)).unwrap_err(), Error::NonFinite { section: "embeddings.f32".into(), position: 6 });
}

#[test]
fn negative_popularity_is_invalid() {
    let mut m = sample(Emb::None);
    m.popularity.count = vec![1.0, -2.0, 0.0, 0.0, 0.0].into();
    assert!(matches!(
        decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err(),
        Error::InvalidSection { section, .. } if section == "popularity.count"
    ));
}

#[test]
fn checksum_mismatch() {
    let bytes = valid_bundle();
    let expected = file_sha(&bytes);
    for at in [data_start(&bytes), (data_start(&bytes) + bytes.len()) / 2, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x40;
        let err = decode(bad.clone()).unwrap_err();
        assert_eq!(err, Error::ChecksumMismatch { expected: expected.clone(), actual: file_sha(&bad) });
        assert_eq!(err.code(), "BUNDLE_CHECKSUM");
    }
    let no_sum = edit_meta(&bytes, |m| {
        m.remove("sha256");
    });
    assert_eq!(decode(no_sum).unwrap_err(), Error::MissingSection { section: "sha256".into() });
}

#[test]
fn missing_required_section() {
    for name in ["popularity.trend", "items.ids.offsets", "items.price", "items.brand", "itemcf.w", "embeddings.scale"]
    {
        let mut raw = parse_raw(&valid_bundle());
        raw.tensors.retain(|t| t.name != name);
        assert_eq!(decode(write_raw(&raw)).unwrap_err(), Error::MissingSection { section: name.into() }, "{name}");
    }
    // Metadata keys too.
    for key in ["fusion", "scoring", "prototypes.min_cluster_size"] {
        let bad = edit_meta(&valid_bundle(), |m| {
            m.remove(key);
        });
        assert_eq!(decode(bad).unwrap_err(), Error::MissingSection { section: key.into() }, "{key}");
    }
    // The test helper itself writes valid bundles.
    assert_eq!(decode(write_raw(&parse_raw(&valid_bundle()))).unwrap(), rounded_weights(sample(Emb::I8)));
}

#[test]
fn optional_sections_may_be_absent() {
    let mut raw = parse_raw(&valid_bundle());
    raw.tensors.retain(|t| !t.name.starts_with("itemcf.") && !t.name.starts_with("embeddings."));
    let m = decode(write_raw(&raw)).unwrap();
    assert!(m.item_cf.is_none() && m.embeddings.is_none());
    assert!(m.transitions.is_some() && m.prototypes.is_some());
    // Unknown extra tensors (another tool's annotations) are ignored.
    let mut raw = parse_raw(&valid_bundle());
    raw.tensors.push(RawTensor { name: "extra.note".into(), dtype: "F64".into(), shape: vec![1], data: vec![0; 8] });
    assert_eq!(decode(write_raw(&raw)).unwrap(), rounded_weights(sample(Emb::I8)));
}

#[test]
fn wrong_shape_or_dtype() {
    // Right byte size, wrong dtype for the section.
    let mut raw = parse_raw(&valid_bundle());
    raw.tensors.iter_mut().find(|t| t.name == "items.price").unwrap().dtype = "U32".into();
    let err = decode(write_raw(&raw)).unwrap_err();
    assert_eq!(
        err,
        Error::Shape {
            section: "items.price".into(),
            expected: "F32 with 1 dimension".into(),
            found: "U32 [5]".into()
        }
    );
    // One price short.
    let mut raw = parse_raw(&valid_bundle());
    let t = raw.tensors.iter_mut().find(|t| t.name == "items.price").unwrap();
    t.data.truncate(16);
    t.shape = vec![4];
    assert_eq!(
        decode(write_raw(&raw)).unwrap_err(),
        Error::Shape { section: "items.price".into(), expected: "[5]".into(), found: "[4]".into() }
    );
    // Embeddings flattened to one dimension.
    let mut raw = parse_raw(&valid_bundle());
    raw.tensors.iter_mut().find(|t| t.name == "embeddings.i8").unwrap().shape = vec![(N * DIM) as u64];
    assert!(matches!(decode(write_raw(&raw)).unwrap_err(), Error::Shape { section, .. } if section == "embeddings.i8"));
    // Embeddings with one row too few.
    let mut raw = parse_raw(&valid_bundle());
    let t = raw.tensors.iter_mut().find(|t| t.name == "embeddings.i8").unwrap();
    t.data.truncate((N - 1) * DIM);
    t.shape = vec![(N - 1) as u64, DIM as u64];
    assert!(matches!(decode(write_raw(&raw)).unwrap_err(), Error::Shape { section, .. } if section == "embeddings.i8"));
    // embedding_dim disagreeing with the tensor.
    let bad = edit_meta(&valid_bundle(), |m| {
        m.insert("embedding_dim".into(), json!("8"));
    });
    assert!(matches!(decode(bad).unwrap_err(), Error::Shape { section, .. } if section == "embeddings.i8"));
    // items count disagreeing with the ids.
    let bad = edit_meta(&valid_bundle(), |m| {
        m.insert("items".into(), json!("6"));
    });
    assert!(matches!(decode(bad).unwrap_err(), Error::Shape { section, .. } if section == "items.ids.offsets"));
}

#[test]
fn invalid_strings_configs_and_prototypes() {
    // Item ids that are not UTF-8.
    let mut m = sample(Emb::None);
    m.items.ids.bytes = b"sku-1sku-2sku-3\xff\xfe\xfd-4".to_vec().into();
    m.items.ids.offsets = vec![0, 5, 10, 15, 20, 20].into();
    assert!(matches!(
        decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err(),
        Error::InvalidSection { section, .. } if section == "items.ids.bytes"
    ));
    // An offset splitting a character.
    let mut m = sample(Emb::None);
    m.items.ids.offsets = vec![0, 5, 10, 15, 16, 23].into();
    assert!(matches!(
        decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err(),
        Error::InvalidSection { section, .. } if section == "items.ids.offsets"
    ));
    // Fusion config that does not parse, and one that parses but is invalid.
    let bad = edit_meta(&valid_bundle(), |m| {
        m.insert("fusion".into(), json!("{\"method\": \"bogus\"}"));
    });
    assert!(matches!(decode(bad).unwrap_err(), Error::InvalidSection { section, .. } if section == "fusion"));
    let mut m = sample(Emb::None);
    m.fusion.weights[2] = -1.0;
    assert!(matches!(
        decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err(),
        Error::InvalidSection { section, .. } if section == "fusion.weights"
    ));
    let mut m = sample(Emb::None);
    m.scoring.trend_mix = 2.0;
    assert!(matches!(
        decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err(),
        Error::InvalidSection { section, .. } if section == "scoring.trend_mix"
    ));
    // A prototype standing for fewer users than the k-anonymity floor.
    let mut m = sample(Emb::None);
    m.prototypes.as_mut().unwrap().sizes = vec![5, 4].into();
    assert!(matches!(
        decode(encode_unchecked(&m, &compact()).unwrap()).unwrap_err(),
        Error::InvalidSection { section, .. } if section == "prototypes.sizes"
    ));
}

// ---------------------------------------------------------------------------------------------------
// No input panics

/// Tensor-name-like keys for header edits.
const KEY_PATTERN: &str = "[a-z_.]{0,12}";

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = inspect(&bytes);
        prop_assert!(decode(bytes).is_err());
    }

    #[test]
    fn random_header_like_bytes_never_panic(len in 0u64..600, body in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut bytes = len.to_le_bytes().to_vec();
        bytes.push(b'{');
        bytes.extend_from_slice(&body);
        let _ = inspect(&bytes);
        let _ = decode(bytes);
    }

    #[test]
    fn mutations_of_a_valid_bundle_never_panic(pos in any::<prop::sample::Index>(), byte in any::<u8>(), resealed in any::<bool>()) {
        let bytes = valid_bundle();
        let mut bad = bytes.clone();
        let at = pos.index(bad.len());
        bad[at] = byte;
        if resealed && at >= data_start(&bytes) {
            // Past the checksum: exercise the tensor-level validation on arbitrary values.
            bad = reseal(&bad);
        }
        let _ = inspect(&bad);
        match decode(bad) {
            Ok(m) => prop_assert!(validate(&m).is_ok()),
            Err(e) => prop_assert!(e.code().starts_with("BUNDLE_")),
        }
    }

    #[test]
    fn truncations_of_a_valid_bundle_are_errors(cut in any::<prop::sample::Index>()) {
        let bytes = valid_bundle();
        let cut = cut.index(bytes.len());
        let truncated = matches!(decode(bytes[..cut].to_vec()), Err(Error::Truncated { .. }));
        prop_assert!(truncated, "cut at {}", cut);
    }

    #[test]
    fn header_edits_never_panic(key in KEY_PATTERN, value in any::<i64>()) {
        let bad = edit_header(&valid_bundle(), |h| {
            if let Some(Value::Object(t)) = h.get_mut("itemcf.idx") {
                t.insert(key.clone(), json!(value));
            }
            h.insert(key.clone(), json!({"dtype": "U8", "shape": [value], "data_offsets": [value, value]}));
        });
        let _ = inspect(&bad);
        let _ = decode(bad);
    }
}

// ---------------------------------------------------------------------------------------------------
// Interop with the official Python safetensors package

fn python_ready() -> bool {
    Command::new("python3")
        .args(["-c", "import safetensors, numpy"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Expected (dtype, flat values) of every tensor of `m` as written with `opts`.
fn expected_tensors(m: &Model, opts: &EncodeOptions) -> BTreeMap<String, (&'static str, Vec<f64>)> {
    fn f(v: &[f32]) -> Vec<f64> {
        v.iter().map(|&x| f64::from(x)).collect()
    }
    fn u(v: &[u32]) -> Vec<f64> {
        v.iter().map(|&x| f64::from(x)).collect()
    }
    let mut out = BTreeMap::new();
    let mut put = |name: &str, dtype: &'static str, values: Vec<f64>| {
        out.insert(name.to_string(), (dtype, values));
    };
    let (idx_t, w_t) = if opts.compact { ("U16", "F16") } else { ("U32", "F32") };
    let w = |v: &[f32]| if opts.compact { v.iter().map(|&x| f64::from(f16_round(x))).collect() } else { f(v) };
    for (prefix, t) in [
        ("items.ids", &m.items.ids),
        ("items.category_names", &m.items.category_names),
        ("items.brand_names", &m.items.brand_names),
        ("items.term_names", &m.items.term_names),
    ] {
        put(&format!("{prefix}.bytes"), "U8", t.bytes.iter().map(|&b| f64::from(b)).collect());
        put(&format!("{prefix}.offsets"), "U32", u(&t.offsets));
    }
    put("items.categories.ptr", "U32", u(&m.items.categories.ptr));
    put("items.categories.idx", idx_t, u(&m.items.categories.idx));
    put("items.brand", "U32", u(&m.items.brand));
    put("items.price", "F32", f(&m.items.price));
    put("items.flags", "U8", m.items.flags.iter().map(|&b| f64::from(b)).collect());
    put("popularity.count", "F32", f(&m.popularity.count));
    put("popularity.trend", "F32", f(&m.popularity.trend));
    let csrs = [
        ("itemcf", m.item_cf.as_ref()),
        ("transitions", m.transitions.as_ref()),
        ("prototypes", m.prototypes.as_ref().map(|p| &p.prefs)),
        ("items.terms", Some(&m.items.terms)),
    ];
    for (prefix, c) in csrs {
        let c = c.unwrap();
        put(&format!("{prefix}.ptr"), "U32", u(&c.ptr));
        put(&format!("{prefix}.idx"), idx_t, u(&c.idx));
        put(&format!("{prefix}.w"), w_t, w(&c.w));
    }
    put("prototypes.sizes", "U32", u(&m.prototypes.as_ref().unwrap().sizes));
    match &m.embeddings.as_ref().unwrap().data {
        EmbeddingData::F32(t) => put("embeddings.f32", "F32", f(t)),
        EmbeddingData::F16(t) => put("embeddings.f16", "F16", t.iter().map(|x| f64::from(x.to_f32())).collect()),
        EmbeddingData::I8 { values, scales } => {
            put("embeddings.i8", "I8", values.iter().map(|&x| f64::from(x)).collect());
            put("embeddings.scale", "F32", f(scales));
        }
    }
    out
}

#[test]
fn python_safetensors_reads_bundle() {
    if !python_ready() {
        if std::env::var("RECOFUSE_REQUIRE_PYTHON").as_deref() == Ok("1") {
            panic!("RECOFUSE_REQUIRE_PYTHON=1 but python3 cannot import safetensors and numpy");
        }
        println!("skipping: python safetensors not installed (pip install safetensors numpy)");
        return;
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python/read_bundle.py");
    for (emb, opts) in [(Emb::F32, compact()), (Emb::F16, full()), (Emb::I8, compact())] {
        let m = sample(emb);
        let bytes = encode(&m, &opts).unwrap();
        let path = std::env::temp_dir().join(format!(
            "recofuse-interop-{}-{emb:?}-{}.bundle",
            std::process::id(),
            opts.compact
        ));
        std::fs::write(&path, &bytes).unwrap();
        let out = Command::new("python3").arg(&script).arg(&path).output().unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();

        // Metadata, and the checksum recomputed by Python over the data buffer.
        let meta = &got["metadata"];
        assert_eq!(meta["format"], "recofuse-bundle");
        assert_eq!(meta["format_version"], "1");
        assert_eq!(meta["items"], "5");
        assert_eq!(meta["info.dataset"], "unit-test");
        assert_eq!(meta["sha256"], file_sha(&bytes).as_str());
        let fusion = FusionConfig::from_json(meta["fusion"].as_str().unwrap()).unwrap();
        assert_eq!(fusion, m.fusion);

        // Every tensor: same names, dtypes, shapes and values.
        let expected = expected_tensors(&m, &opts);
        let tensors = got["tensors"].as_object().unwrap();
        let names: Vec<&String> = tensors.keys().collect();
        assert_eq!(names, expected.keys().collect::<Vec<_>>(), "{emb:?}");
        for (name, (dtype, values)) in &expected {
            let t = &tensors[name];
            assert_eq!(t["dtype"], *dtype, "{name}");
            let shape: Vec<u64> = t["shape"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
            let count: u64 = shape.iter().product();
            assert_eq!(count as usize, values.len(), "{name} shape {shape:?}");
            if name.starts_with("embeddings.") && name != "embeddings.scale" {
                assert_eq!(shape, [N as u64, DIM as u64], "{name}");
            }
            let py: Vec<f64> = t["values"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
            assert_eq!(&py, values, "{name} ({emb:?}, compact {})", opts.compact);
        }
        assert_eq!(got["ids"], json!(["sku-1", "sku-2", "sku-3", "ärmel-4", ""]));
    }

    // The empty catalog: every tensor has shape [0] and begin == end, which the official reader accepts.
    let bytes = encode(&Model::default(), &compact()).unwrap();
    let path = std::env::temp_dir().join(format!("recofuse-interop-{}-empty.bundle", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let out = Command::new("python3").arg(&script).arg(&path).output().unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "python failed on the empty bundle: {}", String::from_utf8_lossy(&out.stderr));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["ids"], json!([]));
    assert_eq!(got["metadata"]["items"], "0");
    assert!(got["tensors"].as_object().unwrap().values().all(|t| t["shape"] == json!([0])));
}

#[test]
fn decode_with_summary_equals_decode_and_inspect_and_fails_alike() {
    let bytes = recofuse_core::bundle::encode(&recofuse_testkit::catalog(50, 3), &EncodeOptions::default()).unwrap();
    let (model, summary) = recofuse_core::bundle::decode_with_summary(bytes.clone()).unwrap();
    assert_eq!(model, recofuse_core::bundle::decode(bytes.clone()).unwrap());
    assert_eq!(summary, recofuse_core::bundle::inspect(&bytes).unwrap());
    let (engine, s2) = recofuse_core::Engine::from_bundle_with_summary(bytes.clone()).unwrap();
    assert_eq!(engine.len(), 50);
    assert_eq!(s2, summary);
    let mut bad = bytes;
    let last = bad.len() - 1;
    bad[last] ^= 0xFF;
    let e = recofuse_core::bundle::decode_with_summary(bad.clone()).unwrap_err();
    assert_eq!(e, recofuse_core::bundle::decode(bad).unwrap_err());
    assert_eq!(e.code(), "BUNDLE_CHECKSUM");
}

#[test]
fn the_checksum_covers_the_header() {
    let bytes = valid_bundle();
    // Same-length edits of the header that would take effect: caught by the checksum.
    let h = std::str::from_utf8(&bytes[8..data_start(&bytes)]).unwrap();
    for (from, to) in [("comb-sum", "comb-max"), ("\\\"history_capacity\\\":500", "\\\"history_capacity\\\":900")] {
        if let Some(at) = h.find(from).map(|i| i + 8) {
            let mut bad = bytes.clone();
            bad[at..at + to.len()].copy_from_slice(to.as_bytes());
            assert_eq!(decode(bad).unwrap_err().code(), "BUNDLE_CHECKSUM", "{from} -> {to}");
        }
    }
    // 100 random header byte flips (seeded): none loads.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let end = data_start(&bytes);
    for _ in 0..100 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut bad = bytes.clone();
        let at = (state % end as u64) as usize;
        bad[at] ^= 1 << (state >> 61);
        assert!(decode(bad).is_err(), "flip at {at} loaded");
    }
    // A bundle whose checksum covers the data only (written before issue 16): a typed error saying so.
    let legacy = edit_header_unsealed(&bytes, |h| {
        let sum = sha_hex(&bytes[data_start(&bytes)..]);
        h.get_mut("__metadata__").unwrap().as_object_mut().unwrap().insert("sha256".into(), Value::String(sum));
    });
    let err = decode(legacy).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidSection { section, reason } if section == "__metadata__.sha256" && reason.contains("recofuse train")),
        "{err}"
    );
    // Unknown scorer names are a typed error, not a value that reaches `bundleInfo().scorers`.
    let xxx = edit_meta(&bytes, |m| {
        m.insert("scorers".into(), Value::String("itemcf,xxx".into()));
    });
    assert!(
        matches!(decode(xxx).unwrap_err(), Error::InvalidSection { section, .. } if section == "__metadata__.scorers")
    );
}
