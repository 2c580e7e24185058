//! The engine's own JSON module: parsing, writing, round trips, malformed input, and agreement with
//! `serde_json` (and, for the config and history types, with serde derives of shadow types of the same
//! shape: an independent oracle of the engine's single, hand-written mapping).

use std::collections::BTreeMap;

use proptest::prelude::*;
use recofuse_core::config::{FusionConfig, Method, Normalization, ScoringConfig, Stacking};
use recofuse_core::json::{self, parse, parse_bytes, Error, SyntaxError, ToJson, Value, MAX_DEPTH};
use recofuse_core::{Event, EventKind};

/// Types shaped like the engine's configs and events, with serde derives: what a serde derive reads
/// and writes, to check the engine's own mapping against (the engine has no serde derive).
mod shadow {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Debug)]
    #[serde(rename_all = "kebab-case")]
    pub enum Normalization {
        None,
        MinMax,
        Max,
        Sum,
        ZScore,
        Rank,
        Borda,
    }

    #[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Debug)]
    #[serde(rename_all = "kebab-case")]
    pub enum Method {
        Simple,
        Weighted,
        CombSum,
        CombMnz,
        CombMax,
        Rrf,
        Borda,
        Stacking,
    }

    #[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
    pub struct Stacking {
        pub bias: f32,
        pub coef: Vec<f32>,
        pub present_coef: Vec<f32>,
    }

    #[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
    #[serde(default)]
    pub struct FusionConfig {
        pub normalization: Normalization,
        pub method: Method,
        pub weights: Vec<f32>,
        pub rrf_k: f32,
        pub renormalize_missing: bool,
        pub stacking: Stacking,
    }

    #[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
    #[serde(default)]
    pub struct ScoringConfig {
        pub event_weights: [f32; 4],
        pub half_life_days: f32,
        pub seq_recent: usize,
        pub seq_step_decay: f32,
        pub proto_neighbors: usize,
        pub trend_mix: f32,
        pub price_band: f32,
        pub history_capacity: usize,
        pub content_weights: [f32; 4],
    }

    #[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Debug)]
    #[serde(rename_all = "lowercase")]
    pub enum EventKind {
        View,
        Click,
        Cart,
        Purchase,
    }

    #[derive(Serialize, Deserialize, Clone, PartialEq, Debug)]
    pub struct Event {
        #[serde(rename = "i")]
        pub item: String,
        #[serde(rename = "k")]
        pub kind: EventKind,
        #[serde(rename = "t")]
        pub ts_ms: f64,
    }

    impl Default for FusionConfig {
        fn default() -> Self {
            (&super::FusionConfig::default()).into()
        }
    }

    impl Default for ScoringConfig {
        fn default() -> Self {
            (&super::ScoringConfig::default()).into()
        }
    }

    // Conversions by name (through the engine's own `name`s would not be independent): by position in
    // the declaration order, which the `ALL` arrays follow.
    fn by_position<A: Copy + PartialEq, B: Copy>(x: A, from: &[A], to: &[B]) -> B {
        to[from.iter().position(|y| *y == x).unwrap()]
    }
    const NORMS: [Normalization; 7] = [
        Normalization::None,
        Normalization::MinMax,
        Normalization::Max,
        Normalization::Sum,
        Normalization::ZScore,
        Normalization::Rank,
        Normalization::Borda,
    ];
    const METHODS: [Method; 8] = [
        Method::Simple,
        Method::Weighted,
        Method::CombSum,
        Method::CombMnz,
        Method::CombMax,
        Method::Rrf,
        Method::Borda,
        Method::Stacking,
    ];
    const KINDS: [EventKind; 4] = [EventKind::View, EventKind::Click, EventKind::Cart, EventKind::Purchase];

    impl From<&super::FusionConfig> for FusionConfig {
        fn from(c: &super::FusionConfig) -> Self {
            FusionConfig {
                normalization: by_position(c.normalization, &super::Normalization::ALL, &NORMS),
                method: by_position(c.method, &super::Method::ALL, &METHODS),
                weights: c.weights.clone(),
                rrf_k: c.rrf_k,
                renormalize_missing: c.renormalize_missing,
                stacking: Stacking {
                    bias: c.stacking.bias,
                    coef: c.stacking.coef.clone(),
                    present_coef: c.stacking.present_coef.clone(),
                },
            }
        }
    }

    impl From<&super::ScoringConfig> for ScoringConfig {
        fn from(c: &super::ScoringConfig) -> Self {
            ScoringConfig {
                event_weights: c.event_weights,
                half_life_days: c.half_life_days,
                seq_recent: c.seq_recent,
                seq_step_decay: c.seq_step_decay,
                proto_neighbors: c.proto_neighbors,
                trend_mix: c.trend_mix,
                price_band: c.price_band,
                history_capacity: c.history_capacity,
                content_weights: c.content_weights,
            }
        }
    }

    impl From<&super::Event> for Event {
        fn from(e: &super::Event) -> Self {
            Event { item: e.item.clone(), kind: by_position(e.kind, &super::EventKind::ALL, &KINDS), ts_ms: e.ts_ms }
        }
    }
}

fn syntax(text: &str) -> (SyntaxError, usize) {
    match parse(text) {
        Err(Error::Syntax { kind, pos }) => (kind, pos),
        other => panic!("{text:?} gave {other:?}"),
    }
}

fn obj(fields: &[(&str, Value)]) -> Value {
    Value::Object(fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

#[test]
fn parses_every_kind_of_value() {
    let v =
        parse(" {\"a\": [1, -2.5, 3e2, 0, -0, 1E-2], \"b\": {\"c\": null, \"d\": true, \"e\": false}, \"\": \"\"}\n\t")
            .unwrap();
    let want = obj(&[
        (
            "a",
            Value::Array(vec![
                Value::Number(1.0),
                Value::Number(-2.5),
                Value::Number(300.0),
                Value::Number(0.0),
                Value::Number(-0.0),
                Value::Number(0.01),
            ]),
        ),
        ("b", obj(&[("c", Value::Null), ("d", Value::Bool(true)), ("e", Value::Bool(false))])),
        ("", Value::String(String::new())),
    ]);
    assert_eq!(v, want);
    assert_eq!(parse("[]").unwrap(), Value::Array(vec![]));
    assert_eq!(parse("{ }").unwrap(), Value::Object(vec![]));
    assert_eq!(parse("\"x\"").unwrap(), Value::String("x".into()));
    assert_eq!(parse("123456789012345678901234567890").unwrap(), Value::Number(1.2345678901234568e29));
}

#[test]
fn string_escapes_and_surrogate_pairs() {
    let v = parse(r#""q\" b\\ s\/ \b\f\n\r\t \u0041\u00e9\u20AC \ud83d\ude00 ü😀""#).unwrap();
    assert_eq!(v.as_str().unwrap(), "q\" b\\ s/ \u{8}\u{c}\n\r\t Aé€ 😀 ü😀");
    assert_eq!(syntax(r#""\ud83d""#), (SyntaxError::LoneSurrogate, 1));
    assert_eq!(syntax(r#""ab\ud83dx""#), (SyntaxError::LoneSurrogate, 3));
    assert_eq!(syntax(r#""\ud83d\u0041""#), (SyntaxError::LoneSurrogate, 1));
    assert_eq!(syntax(r#""\ude00""#), (SyntaxError::LoneSurrogate, 1));
    assert_eq!(syntax(r#""\u12G4""#), (SyntaxError::InvalidUnicodeEscape, 5));
    assert_eq!(syntax(r#""\x""#), (SyntaxError::InvalidEscape, 2));
    assert_eq!(syntax("\"a\u{1}b\""), (SyntaxError::ControlCharacter, 2));
    assert_eq!(syntax("\"a\nb\""), (SyntaxError::ControlCharacter, 2));
}

#[test]
fn writes_escaped_strings_like_serde_json() {
    let s = "q\" b\\ / \u{8}\u{c}\n\r\t \u{0}\u{1f}\u{7f} é😀 \u{2028}";
    let ours = s.to_json();
    assert_eq!(ours, r#""q\" b\\ / \b\f\n\r\t \u0000\u001f"#.to_string() + "\u{7f} é😀 \u{2028}\"");
    assert_eq!(ours, serde_json::to_string(s).unwrap());
    assert_eq!(parse(&ours).unwrap(), Value::String(s.into()));
}

#[test]
fn writes_numbers_that_round_trip() {
    assert_eq!(1.0f64.to_json(), "1");
    assert_eq!(0.1f32.to_json(), "0.1");
    assert_eq!((-2.5f64).to_json(), "-2.5");
    assert_eq!(f64::NAN.to_json(), "null");
    assert_eq!(f32::INFINITY.to_json(), "null");
    for x in [f64::MAX, f64::MIN_POSITIVE, 5e-324, -1e300, 1.0 / 3.0, 1_700_000_000_000.5, 9007199254740993.0] {
        assert_eq!(parse(&x.to_json()).unwrap(), Value::Number(x), "{x:e}");
    }
    for x in [f32::MAX, f32::MIN_POSITIVE, 1e-45, 0.1, 16777217.0, -3.4e38] {
        assert_eq!(parse(&x.to_json()).unwrap().as_f64().map(|y| y as f32), Some(x), "{x:e}");
    }
}

#[test]
fn malformed_inputs_are_typed_errors_with_positions() {
    use SyntaxError::*;
    let cases: &[(&str, SyntaxError, usize)] = &[
        ("", UnexpectedEnd, 0),
        ("   ", UnexpectedEnd, 3),
        ("[1, 2", UnexpectedEnd, 5),
        ("{\"a\"", UnexpectedEnd, 4),
        ("{\"a\" 1}", Expected("':'"), 5),
        ("{\"a\": 1 \"b\": 2}", Expected("',' or '}'"), 8),
        ("{1: 2}", Expected("a string key"), 1),
        ("{\"a\": 1,}", Expected("a string key"), 8),
        ("[1,]", Expected("a value"), 3),
        ("[1 2]", Expected("',' or ']'"), 3),
        ("tru", UnexpectedEnd, 3),
        ("trux", Expected("a value"), 0),
        ("nul", UnexpectedEnd, 3),
        ("'a'", Expected("a value"), 0),
        ("01", InvalidNumber, 0),
        ("-01", InvalidNumber, 1),
        ("1.", UnexpectedEnd, 2),
        ("1.e5", InvalidNumber, 2),
        ("1e", UnexpectedEnd, 2),
        ("1e+x", InvalidNumber, 3),
        ("-", UnexpectedEnd, 1),
        ("-x", InvalidNumber, 1),
        ("+1", Expected("a value"), 0),
        (".5", Expected("a value"), 0),
        ("1e400", NumberOutOfRange, 0),
        ("[-1e309]", NumberOutOfRange, 1),
        // Exponents past i64 (found by `cargo fuzz run bundle`): out of range, not wrapped around to 0.
        ("88e888888888888888888888888888888888888888", NumberOutOfRange, 0),
        ("1e9223372036854775807", NumberOutOfRange, 0),
        ("[0.5e+99999999999999999999]", NumberOutOfRange, 1),
        ("NaN", Expected("a value"), 0),
        ("\"abc", UnexpectedEnd, 4),
        ("\"\\u12", UnexpectedEnd, 5),
        ("{} {}", TrailingCharacters, 3),
        ("1 x", TrailingCharacters, 2),
    ];
    for (text, kind, pos) in cases {
        assert_eq!(syntax(text), (*kind, *pos), "{text:?}");
        assert!(serde_json::from_str::<serde_json::Value>(text).is_err(), "serde_json accepts {text:?}");
    }
    let e = parse("[1, 2").unwrap_err();
    assert_eq!(e.to_string(), "unexpected end of input at byte 5");
    assert_eq!(parse_bytes(b"[\"a\xffb\"]").unwrap_err(), Error::Syntax { kind: InvalidUtf8, pos: 3 });
    assert_eq!(parse_bytes(b"[\"\xc3\xa9\"]").unwrap(), Value::Array(vec![Value::String("é".into())]));
}

#[test]
fn nesting_is_limited_without_overflowing_the_stack() {
    let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(parse(&nested(MAX_DEPTH)).is_ok());
    assert_eq!(syntax(&nested(MAX_DEPTH + 1)), (SyntaxError::TooDeep, MAX_DEPTH));
    let objects = "{\"a\":".repeat(MAX_DEPTH + 1) + "1" + &"}".repeat(MAX_DEPTH + 1);
    assert_eq!(syntax(&objects).0, SyntaxError::TooDeep);
    // Far deeper than any stack: still a clean error.
    assert_eq!(syntax(&"[".repeat(1_000_000)).0, SyntaxError::TooDeep);
    assert_eq!(syntax(&"{\"\":".repeat(1_000_000)).0, SyntaxError::TooDeep);
}

#[test]
fn typed_field_helpers() {
    let v = parse(r#"{"n": 3, "f": 2.5, "neg": -1, "big": 1e300, "s": "x", "b": true, "a": [1, 2], "n": 4}"#).unwrap();
    assert_eq!(v.get("n").and_then(Value::as_u64), Some(4), "the last duplicate wins");
    assert_eq!(v.get("f").and_then(Value::as_u64), None);
    assert_eq!(v.get("neg").and_then(Value::as_u64), None);
    assert_eq!(v.get("big").and_then(Value::as_u64), None);
    assert_eq!(Value::Number(json::MAX_SAFE_INTEGER as f64).as_u64(), Some(json::MAX_SAFE_INTEGER));
    assert_eq!(v.get("f").unwrap().req_f32("f"), Ok(2.5));
    assert_eq!(v.get("s").unwrap().req_f64("s").unwrap_err().to_string(), "s: expected a number");
    assert_eq!(v.get("b").unwrap().req_bool("b"), Ok(true));
    assert_eq!(v.get("a").unwrap().req_f32_vec("a"), Ok(vec![1.0, 2.0]));
    assert!(v.get("missing").is_none() && Value::Null.get("n").is_none());
    assert_eq!(json::struct_fields(&v, "thing", ["n"]).unwrap_err(), Error::Duplicate { field: "thing.n".into() });
    let [s, zz] = json::struct_fields(&v, "thing", ["s", "zz"]).unwrap();
    assert_eq!((s.and_then(Value::as_str), zz), (Some("x"), None));
    assert!(json::struct_fields(&Value::Null, "thing", ["s"]).is_err());
}

#[test]
fn fusion_config_json_follows_the_serde_rules() {
    let c = FusionConfig::from_json("{}").unwrap();
    assert_eq!(c, FusionConfig::default());
    let c =
        FusionConfig::from_json(r#"{"normalization": "z-score", "method": "comb-mnz", "unknown": [1, {}]}"#).unwrap();
    assert_eq!((c.normalization, c.method), (Normalization::ZScore, Method::CombMnz));
    for bad in [
        r#"{"method": "combmnz"}"#,
        r#"{"method": "rrf", "method": "rrf"}"#,
        r#"{"weights": [1, "2"]}"#,
        r#"{"rrf_k": null}"#,
        r#"{"renormalize_missing": 1}"#,
        r#"{"stacking": {"bias": 0, "coef": []}}"#,
        r#"{"#,
    ] {
        assert!(FusionConfig::from_json(bad).is_err(), "{bad}");
        assert!(serde_json::from_str::<shadow::FusionConfig>(bad).is_err(), "serde accepts {bad}");
    }
    // Only objects (a serde derive also reads a struct from an array of its fields).
    assert!(FusionConfig::from_json("[]").is_err());
    let s = ScoringConfig::from_json(r#"{"event_weights": [0, 1, 2, 3], "seq_recent": 7}"#).unwrap();
    assert_eq!((s.event_weights, s.seq_recent, s.trend_mix), ([0.0, 1.0, 2.0, 3.0], 7, 0.3));
    for bad in [r#"{"event_weights": [1, 2, 3]}"#, r#"{"seq_recent": -1}"#, r#"{"history_capacity": 1.5}"#] {
        assert!(ScoringConfig::from_json(bad).is_err(), "{bad}");
        assert!(serde_json::from_str::<shadow::ScoringConfig>(bad).is_err(), "serde accepts {bad}");
    }
}

#[test]
fn summary_json_has_every_field() {
    let model = recofuse_testkit::catalog(20, 3);
    let bytes = recofuse_core::bundle::encode(&model, &Default::default()).unwrap();
    let s = recofuse_core::bundle::inspect(&bytes).unwrap();
    let ours: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
    let tensors: Vec<serde_json::Value> = s
        .tensors
        .iter()
        .map(|t| {
            serde_json::json!({"name": t.name, "dtype": t.dtype, "shape": t.shape, "bytes": t.bytes, "in_place": t.in_place})
        })
        .collect();
    let want = serde_json::json!({
        "format_version": s.format_version, "items": s.items, "scorers": s.scorers, "sha256": s.sha256,
        "tensors": tensors, "info": s.info, "bytes": s.bytes,
    });
    assert_eq!(ours, want);
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |x| x.is_finite()),
        (-1_000_000i64..1_000_000).prop_map(|x| x as f64),
        (-1e6f64..1e6),
    ]
}

fn finite_f32() -> impl Strategy<Value = f32> {
    prop_oneof![any::<f32>().prop_filter("finite", |x| x.is_finite()), (-100f32..100.0), (0u8..10).prop_map(f32::from)]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        finite_f64().prop_map(Value::Number),
        any::<String>().prop_map(Value::String),
        "[\"\\\\\u{0}-\u{1f}a\u{7f}é😀]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6).prop_map(Value::Object),
        ]
    })
}

/// serde_json's value as ours (objects sorted by key, numbers as f64).
fn from_serde(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(x) => Value::Number(x.as_f64().unwrap()),
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(from_serde).collect()),
        serde_json::Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), from_serde(v))).collect()),
    }
}

/// Equal, numbers within 2 ulp (more for subnormals): serde_json (without its `float_roundtrip` feature)
/// rounds a few f64 decimals to a neighbour of the nearest double; ours (`f64::from_str`) is exact.
fn close(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => close_f64(*x, *y),
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| close(x, y)),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|((k, x), (l, y))| k == l && close(x, y))
        }
        _ => a == b,
    }
}

fn close_f64(x: f64, y: f64) -> bool {
    x == y || (x - y).abs() <= 2.0 * f64::EPSILON * x.abs().max(y.abs()).max(1e-290)
}

/// Ours as serde_json keeps it: objects sorted by key, the last of duplicated keys kept.
fn normalized(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(normalized).collect()),
        Value::Object(o) => {
            let m: BTreeMap<&String, Value> = o.iter().map(|(k, v)| (k, normalized(v))).collect();
            Value::Object(m.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        other => other.clone(),
    }
}

fn fusion_config() -> impl Strategy<Value = FusionConfig> {
    let v7 = || prop::collection::vec(finite_f32(), recofuse_core::Signal::COUNT);
    (
        prop::sample::select(Normalization::ALL.to_vec()),
        prop::sample::select(Method::ALL.to_vec()),
        v7(),
        finite_f32(),
        any::<bool>(),
        (finite_f32(), v7(), v7()),
    )
        .prop_map(|(normalization, method, weights, rrf_k, renormalize_missing, (bias, coef, present_coef))| {
            FusionConfig {
                normalization,
                method,
                weights,
                rrf_k,
                renormalize_missing,
                stacking: Stacking { bias, coef, present_coef },
            }
        })
}

fn scoring_config() -> impl Strategy<Value = ScoringConfig> {
    (
        prop::array::uniform4(finite_f32()),
        (finite_f32(), finite_f32(), finite_f32(), finite_f32()),
        (0usize..1_000_000, 0usize..100, 1usize..100_000),
        prop::array::uniform4(finite_f32()),
    )
        .prop_map(
            |(
                event_weights,
                (half_life_days, seq_step_decay, trend_mix, price_band),
                (seq_recent, proto_neighbors, history_capacity),
                content_weights,
            )| {
                ScoringConfig {
                    event_weights,
                    half_life_days,
                    seq_recent,
                    seq_step_decay,
                    proto_neighbors,
                    trend_mix,
                    price_band,
                    history_capacity,
                    content_weights,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_arbitrary_text(text in ".{0,200}") {
        let _ = parse(&text);
    }

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_bytes(&bytes);
    }

    /// Text made of JSON's own characters: both parsers accept exactly the same inputs, with equal values.
    #[test]
    fn agrees_with_serde_json_on_json_like_text(text in "[\\[\\]{}\",:0-9eE.+\\- \\\\ntrufalsu]{0,40}") {
        let ours = parse(&text);
        let theirs = serde_json::from_str::<serde_json::Value>(&text);
        prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}: ours {:?}, serde_json {:?}", text, ours, theirs);
        if let (Ok(a), Ok(b)) = (ours, theirs) {
            let (a, b) = (normalized(&a), from_serde(&b));
            prop_assert!(close(&a, &b), "{:?} vs {:?}", a, b);
        }
    }

    #[test]
    fn write_then_parse_is_the_identity(v in value()) {
        let text = v.to_json();
        prop_assert_eq!(parse(&text).unwrap(), v.clone());
        // And serde_json reads our output as the same value.
        let theirs = from_serde(&serde_json::from_str::<serde_json::Value>(&text).unwrap());
        prop_assert!(close(&theirs, &normalized(&v)), "{:?} vs {:?}", theirs, v);
    }

    #[test]
    fn strings_are_written_exactly_like_serde_json(s in any::<String>()) {
        prop_assert_eq!(s.to_json(), serde_json::to_string(&s).unwrap());
    }

    #[test]
    fn fusion_config_round_trips_and_agrees_with_serde(c in fusion_config()) {
        let ours = c.to_json();
        prop_assert_eq!(&FusionConfig::from_json(&ours).unwrap(), &c);
        prop_assert_eq!(serde_json::from_str::<shadow::FusionConfig>(&ours).unwrap(), (&c).into());
        let theirs = serde_json::to_string(&shadow::FusionConfig::from(&c)).unwrap();
        prop_assert_eq!(&FusionConfig::from_json(&theirs).unwrap(), &c);
    }

    #[test]
    fn scoring_config_round_trips_and_agrees_with_serde(c in scoring_config()) {
        let ours = c.to_json();
        prop_assert_eq!(&ScoringConfig::from_json(&ours).unwrap(), &c);
        prop_assert_eq!(serde_json::from_str::<shadow::ScoringConfig>(&ours).unwrap(), (&c).into());
        let theirs = serde_json::to_string(&shadow::ScoringConfig::from(&c)).unwrap();
        prop_assert_eq!(&ScoringConfig::from_json(&theirs).unwrap(), &c);
    }

    #[test]
    fn history_events_agree_with_serde(item in any::<String>(), k in 0usize..4, t in finite_f64()) {
        let e = Event::new(item, EventKind::ALL[k], t);
        let ours = e.to_json();
        prop_assert_eq!(&Event::from_json(&ours).unwrap(), &e);
        let theirs = serde_json::from_str::<shadow::Event>(&ours).unwrap();
        let mine = shadow::Event::from(&e);
        prop_assert!(theirs.item == mine.item && theirs.kind == mine.kind && close_f64(theirs.ts_ms, e.ts_ms));
        prop_assert_eq!(&Event::from_json(&serde_json::to_string(&mine).unwrap()).unwrap(), &e);
    }
}

/// Rebuilds a bundle around a new header text (padded to a multiple of 8, as the writer does).
fn with_header(bytes: &[u8], edit: impl FnOnce(&str) -> String) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut text = edit(std::str::from_utf8(&bytes[8..8 + n]).unwrap().trim_end());
    while text.len() % 8 != 0 {
        text.push(' ');
    }
    let mut out = (text.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&bytes[8 + n..]);
    // Reseal: the checksum covers the header (SHA-256 of the file with its own 64 digits read as `0`s).
    let key = b"\"sha256\":\"";
    let at = out.windows(key.len()).position(|w| w == key).unwrap() + key.len();
    out[at..at + 64].fill(b'0');
    let sum: String = <sha2::Sha256 as sha2::Digest>::digest(&out).iter().map(|b| format!("{b:02x}")).collect();
    out[at..at + 64].copy_from_slice(sum.as_bytes());
    out
}

#[test]
fn bundle_header_duplicates_count_last_as_serde_json_does() {
    use recofuse_core::bundle::{decode, encode};
    use recofuse_core::Error as CoreError;
    let bytes = encode(&recofuse_testkit::catalog(10, 1), &Default::default()).unwrap();
    let bogus = r#""items.price":{"dtype":"F33","shape":[],"data_offsets":[0,0]}"#;
    // An earlier bad duplicate is overridden by the real entry; a later one overrides it.
    let first = with_header(&bytes, |h| format!("{{{bogus},{}", &h[1..]));
    assert!(decode(first).is_ok());
    let last = with_header(&bytes, |h| format!("{},{bogus}}}", &h[..h.len() - 1]));
    let CoreError::BadHeader { reason } = decode(last).unwrap_err() else { panic!() };
    assert!(reason.contains("F33"), "{reason}");
    // The same in `__metadata__`: a non-string value is fine when a later string replaces it.
    let meta = with_header(&bytes, |h| h.replacen("{\"__metadata__\":{", "{\"__metadata__\":{\"format\":1,", 1));
    assert!(decode(meta).is_ok());
    let meta = with_header(&bytes, |h| {
        h.replacen("\"format\":\"recofuse-bundle\"", "\"format\":\"recofuse-bundle\",\"format\":1", 1)
    });
    let CoreError::BadHeader { reason } = decode(meta).unwrap_err() else { panic!() };
    assert!(reason.contains("\"format\" is not a string"), "{reason}");
    // With several problems, the first in name order is reported (the order of serde_json's map).
    let two = with_header(&bytes, |h| {
        format!("{},\"zz\":{{\"dtype\":\"U8\"}},\"aa\":{{\"dtype\":\"U8\"}}}}", &h[..h.len() - 1])
    });
    let CoreError::BadHeader { reason } = decode(two).unwrap_err() else { panic!() };
    assert!(reason.contains("\"aa\""), "{reason}");
}

/// What `str::parse::<f64>` gives, as `parse` reports it (overflow is an error).
fn std_number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|x| x.is_finite())
}

fn our_number(text: &str) -> Option<f64> {
    match parse(text) {
        Ok(Value::Number(x)) => Some(x),
        Err(Error::Syntax { kind: SyntaxError::NumberOutOfRange, .. }) => None,
        other => panic!("{text}: {other:?}"),
    }
}

fn same_number(text: &str) {
    let (ours, theirs) = (our_number(text), std_number(text));
    assert_eq!(ours.map(f64::to_bits), theirs.map(f64::to_bits), "{text}: ours {ours:?}, std {theirs:?}");
}

#[test]
fn numbers_are_correctly_rounded_on_hard_cases() {
    for text in [
        "0.1",
        "1e23",
        "9007199254740993",
        "9007199254740995",
        "9007199254740993.0000000000000000000000000001",
        "2.2250738585072011e-308",
        "2.2250738585072012e-308",
        "2.2250738585072014e-308",
        "4.9406564584124654e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "1e-324",
        "3e-324",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "8.98846567431158e307",
        "1e308",
        "1e309",
        "0.000000000000000000000000000000000000000000001",
        "123456789012345678901234567890e-20",
        "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "1.00000000000000011102230246251565404236316680908203126",
        "7.2057594037927933e16",
        "0e999999999999999999999",
        "1e-99999999999999999999",
        "1e99999999999999999999",
        "88e888888888888888888888888888888888888888",
        "0.000001e9223372036854775807",
        "100000e-9223372036854775808",
        "-7.5e-9223372036854775808",
        "0.0000e-99999999999999999999999",
        "12e307",
        "-0.0",
    ] {
        same_number(text);
    }
    // Exponents past i64 saturate instead of wrapping around: tiny numbers read as 0, as serde_json
    // reads them too (huge ones are out of range: the malformed-input table).
    for text in ["1e-99999999999999999999", "-7.5e-9223372036854775808", "0.0000e-99999999999999999999999"] {
        assert_eq!(serde_json::from_str::<f64>(text).unwrap().abs(), 0.0, "{text}");
        assert_eq!(our_number(text).map(f64::abs), Some(0.0), "{text}");
    }
    // Exact decimal expansions of doubles and of midpoints between neighbours (hundreds of digits).
    for x in [5e-324f64, 2.2250738585072014e-308, 1.0, 0.1, 1e300, f64::MAX, 123.456] {
        same_number(&format!("{x:.1100e}"));
        let mid = (x as f32 as f64 + f64::from(f32::from_bits((x as f32).to_bits() + 1))) / 2.0;
        if mid.is_finite() {
            same_number(&format!("{mid:.1100e}"));
        }
    }
    for e in [-325, -324, -310, -300, -100, -23, -22, 0, 22, 23, 100, 300, 308, 309] {
        for m in ["1", "17976931348623157", "24703282292062327", "9999999999999999999999999", "5"] {
            same_number(&format!("{m}e{e}"));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn numbers_parse_exactly_like_std(bits in any::<u64>(), digits in 0usize..30) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        for text in [format!("{x}"), format!("{x:e}"), format!("{x:.digits$e}"), format!("{:.digits$e}", x / 3.0)] {
            same_number(&text);
        }
    }

    #[test]
    fn digit_strings_parse_exactly_like_std(int in "[1-9][0-9]{0,30}", frac in "[0-9]{0,30}", e in -400i32..400) {
        same_number(&format!("{int}.{frac}e{e}").replace(".e", "e"));
        same_number(&format!("{int}e{e}"));
        same_number(&format!("0.{frac}1e{e}"));
    }

    /// Exponents of any length, past `i64` included (the `-400..400` above never reached them).
    #[test]
    fn digit_strings_with_any_exponent_parse_exactly_like_std(
        int in "-?[1-9][0-9]{0,20}",
        frac in "[0-9]{0,20}",
        exp in "[eE][+-]?[0-9]{1,25}",
    ) {
        same_number(&format!("{int}.{frac}{exp}").replace(&format!(".{exp}"), &exp));
        same_number(&format!("0.{frac}1{exp}"));
    }

    #[test]
    fn f32_values_parse_exactly(bits in any::<u32>()) {
        let x = f32::from_bits(bits);
        prop_assume!(x.is_finite());
        same_number(&format!("{x}"));
        // Midpoints between neighbouring f32s are exact doubles: their decimal expansion is exact.
        let next = f32::from_bits(bits.wrapping_add(1));
        if next.is_finite() && next.is_sign_positive() == x.is_sign_positive() {
            let mid = (f64::from(x) + f64::from(next)) / 2.0;
            same_number(&format!("{mid:.800e}"));
        }
    }
}

/// The engine's float writer: reads back exactly (through the engine's reader and through std), and
/// is never longer than `Display` (usually the same text).
fn check_f64_writer(x: f64) {
    let ours = x.to_json();
    assert_eq!(our_number(&ours).map(f64::to_bits), Some(x.to_bits()), "{x:e} written as {ours}");
    assert_eq!(ours.parse::<f64>().map(f64::to_bits), Ok(x.to_bits()), "{x:e} written as {ours}");
    let std = format!("{x}");
    assert!(ours.len() <= std.len(), "{x:e}: ours {ours}, std {std}");
}

fn check_f32_writer(x: f32) {
    let ours = x.to_json();
    assert_eq!(our_number(&ours).map(|y| (y as f32).to_bits()), Some(x.to_bits()), "{x:e} written as {ours}");
    let std = format!("{x}");
    assert!(ours.len() <= std.len() + 1, "{x:e}: ours {ours}, std {std}");
}

#[test]
fn float_writer_round_trips_on_hard_cases() {
    for x in [
        0.1 + 0.2,
        1e-7,
        1e21,
        1e22,
        1e23,
        123456789012345680.0,
        f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        f64::from_bits(0x000f_ffff_ffff_ffff), // largest subnormal
        -0.0,
        9007199254740993.0,
        0.5,
        2f64.powi(-1074),
        2f64.powi(1023),
    ] {
        check_f64_writer(x);
    }
    assert_eq!((-0.0f64).to_json(), "-0");
    assert_eq!((0.1 + 0.2f64).to_json(), "0.30000000000000004");
    assert_eq!(1e21f64.to_json(), "1000000000000000000000");
    assert_eq!(1e-7f64.to_json(), "0.0000001");
    assert_eq!(format!("{}", json::Num::from(2.5)), "2.5");
    assert_eq!(format!("{}", json::Num::from(f64::NEG_INFINITY)), "-inf");
    assert_eq!(format!("{}", json::Num::from(0.3f32)), "0.3");
    for x in [f32::MAX, f32::MIN_POSITIVE, 1e-45, 0.1, 16777217.0, -3.4e38, 0.3, 1.0 / 3.0] {
        check_f32_writer(x);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn float_writer_round_trips_and_matches_display_length(bits in any::<u64>(), small in -1e6f64..1e6) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        check_f64_writer(x);
        check_f64_writer(small);
    }

    #[test]
    fn f32_writer_round_trips(bits in any::<u32>(), small in -100f32..100.0) {
        let x = f32::from_bits(bits);
        prop_assume!(x.is_finite());
        check_f32_writer(x);
        check_f32_writer(small);
    }
}
