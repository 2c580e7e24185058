//! Configuration stored in the bundle (as JSON inside `__metadata__`) and overridable per request.
//!
//! JSON form ([`ToJson`], [`FusionConfig::from_json`], [`ScoringConfig::from_json`]): an object per
//! struct with the Rust field names, enums as their [`Method::name`] / [`Normalization::name`]
//! (kebab-case). Reading, a missing field of [`FusionConfig`] or [`ScoringConfig`] takes its default, all
//! three fields of [`Stacking`] are required, unknown fields are ignored and a repeated field is an error
//! (what a serde derive would do). This is the only JSON mapping of the configurations: the bundle
//! header, the facade and the trainer's reports all go through it (no serde derive; the WebAssembly
//! build carries no serde code).

use crate::error::{Error, Result};
use crate::json::{self, Num, ObjectWriter, ToJson, Value};
use crate::signal::Signal;

/// Per-column score normalisation applied before fusion (see [`crate::fusion::normalize`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Normalization {
    /// Scores as they are.
    None,
    /// `(x - min) / (max - min)`.
    #[default]
    MinMax,
    /// `x / max`.
    Max,
    /// `(x - min) / Σ(x - min)` (the "Sum" scheme of Montague & Aslam 2001).
    Sum,
    /// `(x - mean) / std`.
    ZScore,
    /// Rank-based: `(n - rank + 1) / n`.
    Rank,
    /// Borda points: `(n - rank) / (n - 1)`.
    Borda,
}

/// Fusion method (see [`crate::fusion::fuse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Mean of the present normalised columns.
    Simple,
    /// Weighted mean of the present normalised columns.
    #[default]
    Weighted,
    /// Sum of normalised scores.
    CombSum,
    /// Sum times the number of columns with a non-zero score.
    CombMnz,
    /// Maximum normalised score.
    CombMax,
    /// Reciprocal rank fusion with constant `rrf_k`.
    Rrf,
    /// Borda count.
    Borda,
    /// Logistic stacking meta-model over normalised columns plus presence flags.
    Stacking,
}

impl Method {
    /// Every method.
    pub const ALL: [Method; 8] = [
        Method::Simple,
        Method::Weighted,
        Method::CombSum,
        Method::CombMnz,
        Method::CombMax,
        Method::Rrf,
        Method::Borda,
        Method::Stacking,
    ];

    /// Stable name (`"weighted"`, `"rrf"`, ...), as used by the JS API and the bundle.
    pub fn name(self) -> &'static str {
        match self {
            Method::Simple => "simple",
            Method::Weighted => "weighted",
            Method::CombSum => "comb-sum",
            Method::CombMnz => "comb-mnz",
            Method::CombMax => "comb-max",
            Method::Rrf => "rrf",
            Method::Borda => "borda",
            Method::Stacking => "stacking",
        }
    }

    /// Parses a name (also accepts `combsum`, `combmnz`, `combmax`).
    ///
    /// ```
    /// use recofuse_core::config::Method;
    /// assert_eq!(Method::parse("rrf").unwrap(), Method::Rrf);
    /// assert_eq!(Method::parse("combmnz").unwrap(), Method::CombMnz);
    /// assert_eq!(Method::parse("bogus").unwrap_err().code(), "INVALID_INPUT");
    /// ```
    pub fn parse(name: &str) -> Result<Method> {
        let n = name.to_ascii_lowercase().replace('_', "-");
        let n = match n.as_str() {
            "combsum" => "comb-sum",
            "combmnz" => "comb-mnz",
            "combmax" => "comb-max",
            "average" | "mean" => "simple",
            other => other,
        };
        Method::ALL
            .into_iter()
            .find(|m| m.name() == n)
            .ok_or_else(|| Error::invalid("method", format!("unknown fusion method {}", json::Quoted(name))))
    }
}

impl Normalization {
    /// Every normalisation.
    pub const ALL: [Normalization; 7] = [
        Normalization::None,
        Normalization::MinMax,
        Normalization::Max,
        Normalization::Sum,
        Normalization::ZScore,
        Normalization::Rank,
        Normalization::Borda,
    ];

    /// Stable name (`"min-max"`, `"z-score"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Normalization::None => "none",
            Normalization::MinMax => "min-max",
            Normalization::Max => "max",
            Normalization::Sum => "sum",
            Normalization::ZScore => "z-score",
            Normalization::Rank => "rank",
            Normalization::Borda => "borda",
        }
    }

    /// Parses a name (also accepts `minmax`, `zscore`).
    pub fn parse(name: &str) -> Result<Normalization> {
        let n = name.to_ascii_lowercase().replace('_', "-");
        let n = match n.as_str() {
            "minmax" => "min-max",
            "zscore" | "z" => "z-score",
            other => other,
        };
        Normalization::ALL
            .into_iter()
            .find(|m| m.name() == n)
            .ok_or_else(|| Error::invalid("normalization", format!("unknown normalisation {}", json::Quoted(name))))
    }
}

/// Logistic meta-model: `z = bias + Σ coef[s]·x[s] + Σ present_coef[s]·[x[s] present]`, fused score `z`
/// (the logit; rank-equivalent to the probability `σ(z)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Stacking {
    /// Intercept.
    pub bias: f32,
    /// One coefficient per signal in [`Signal::ALL`] order, applied to the normalised score (0 if absent).
    pub coef: Vec<f32>,
    /// One coefficient per signal for the "signal present" flag.
    pub present_coef: Vec<f32>,
}

impl Default for Stacking {
    fn default() -> Self {
        Stacking { bias: 0.0, coef: vec![1.0; Signal::COUNT], present_coef: vec![0.0; Signal::COUNT] }
    }
}

/// How the engine fuses its columns. Stored in the bundle; each field overridable per request.
#[derive(Debug, Clone, PartialEq)]
pub struct FusionConfig {
    /// Normalisation applied to each column before fusion.
    pub normalization: Normalization,
    /// Fusion method.
    pub method: Method,
    /// Weight per signal, [`Signal::ALL`] order; finite and >= 0. Weight 0 is valid (column ignored).
    pub weights: Vec<f32>,
    /// RRF constant `k` (> 0; 60 in Cormack et al. 2009).
    pub rrf_k: f32,
    /// When a column is missing for a candidate, divide by the sum of the weights of the present
    /// columns (true) or by the sum of all weights (false). Applies to `simple` and `weighted`.
    pub renormalize_missing: bool,
    /// Stacking meta-model, used by [`Method::Stacking`].
    pub stacking: Stacking,
}

impl Default for FusionConfig {
    fn default() -> Self {
        FusionConfig {
            normalization: Normalization::MinMax,
            method: Method::Weighted,
            weights: vec![1.0; Signal::COUNT],
            rrf_k: 60.0,
            renormalize_missing: true,
            stacking: Stacking::default(),
        }
    }
}

impl FusionConfig {
    /// Checks every value: weights and coefficients finite, weights >= 0, one per signal, `rrf_k > 0`.
    pub fn validate(&self) -> Result<()> {
        check_vec("fusion.weights", &self.weights, true)?;
        check_vec("fusion.stacking.coef", &self.stacking.coef, false)?;
        check_vec("fusion.stacking.present_coef", &self.stacking.present_coef, false)?;
        if !self.stacking.bias.is_finite() {
            return Err(Error::invalid("fusion.stacking.bias", "must be finite"));
        }
        if !(self.rrf_k.is_finite() && self.rrf_k > 0.0) {
            return Err(Error::invalid(
                "fusion.rrf_k",
                format!("must be finite and > 0, got {}", Num::from(self.rrf_k)),
            ));
        }
        Ok(())
    }

    /// The weight of `s` (0 when the vector is short, which `validate` rejects anyway).
    pub fn weight(&self, s: Signal) -> f32 {
        self.weights.get(s.index()).copied().unwrap_or(0.0)
    }
}

/// Bundles written before the `neural` signal hold 7 values per signal vector: the missing `neural`
/// entry is 0 (a column such a bundle cannot fill anyway). Any other length is left for `validate`.
fn legacy_pad(mut v: Vec<f32>) -> Vec<f32> {
    if v.len() + 1 == Signal::COUNT && Signal::ALL[Signal::COUNT - 1] == Signal::Neural {
        v.push(0.0);
    }
    v
}

fn check_vec(what: &str, v: &[f32], non_negative: bool) -> Result<()> {
    if v.len() != Signal::COUNT {
        return Err(Error::invalid(what, format!("needs {} values (one per signal), got {}", Signal::COUNT, v.len())));
    }
    for (i, x) in v.iter().enumerate() {
        if !x.is_finite() || (non_negative && *x < 0.0) {
            return Err(Error::invalid(
                what,
                format!(
                    "value for {} is {}; must be finite{}",
                    Signal::ALL[i].name(),
                    Num::from(*x),
                    if non_negative { " and >= 0" } else { "" }
                ),
            ));
        }
    }
    Ok(())
}

/// Parameters of the scorers, stored in the bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoringConfig {
    /// Weight of each event kind: view, click, cart, purchase.
    pub event_weights: [f32; 4],
    /// Half-life of an event's weight, in days (> 0).
    pub half_life_days: f32,
    /// How many most recent distinct history items drive the sequential scorer.
    pub seq_recent: usize,
    /// Multiplier applied per step back in the recent sequence (1 = equal, 0.5 = halves each step).
    pub seq_step_decay: f32,
    /// How many nearest prototypes drive user-based CF.
    pub proto_neighbors: usize,
    /// Mix of trend into popularity: `score = (1 - trend_mix)·count + trend_mix·trend`, in [0, 1].
    pub trend_mix: f32,
    /// Relative price tolerance of a price band: items within ×(1 ± band) of the profile's median price match.
    pub price_band: f32,
    /// Maximum number of history events kept on the device.
    pub history_capacity: usize,
    /// Weights of the content scorer's parts: category, brand, price band, text (TF-IDF cosine); each
    /// finite and >= 0, renormalised over the parts the catalog and the history actually have.
    pub content_weights: [f32; 4],
}

impl Default for ScoringConfig {
    fn default() -> Self {
        ScoringConfig {
            event_weights: [1.0, 2.0, 4.0, 6.0],
            half_life_days: 14.0,
            seq_recent: 3,
            seq_step_decay: 0.5,
            proto_neighbors: 3,
            trend_mix: 0.3,
            price_band: 0.35,
            history_capacity: 500,
            content_weights: [0.5, 0.3, 0.2, 0.5],
        }
    }
}

impl ScoringConfig {
    /// Checks every value.
    pub fn validate(&self) -> Result<()> {
        for (i, w) in self.event_weights.iter().enumerate() {
            if !w.is_finite() || *w < 0.0 {
                return Err(Error::invalid(
                    "scoring.event_weights",
                    format!("weight {i} is {}; must be finite and >= 0", Num::from(*w)),
                ));
            }
        }
        let pos = |name: &str, x: f32| {
            if x.is_finite() && x > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(name, format!("must be finite and > 0, got {}", Num::from(x))))
            }
        };
        pos("scoring.half_life_days", self.half_life_days)?;
        pos("scoring.price_band", self.price_band)?;
        if !(self.seq_step_decay.is_finite() && (0.0..=1.0).contains(&self.seq_step_decay)) {
            return Err(Error::invalid("scoring.seq_step_decay", "must be in [0, 1]"));
        }
        if !(self.trend_mix.is_finite() && (0.0..=1.0).contains(&self.trend_mix)) {
            return Err(Error::invalid("scoring.trend_mix", "must be in [0, 1]"));
        }
        if self.history_capacity == 0 {
            return Err(Error::invalid("scoring.history_capacity", "must be >= 1"));
        }
        for (i, w) in self.content_weights.iter().enumerate() {
            if !w.is_finite() || *w < 0.0 {
                return Err(Error::invalid(
                    "scoring.content_weights",
                    format!("weight {i} is {}; must be finite and >= 0", Num::from(*w)),
                ));
            }
        }
        Ok(())
    }
}

// ---- JSON ----

/// The variant of `all` whose name is the string `v`.
fn variant<T: Copy>(v: &Value, field: &str, all: &[T], name: fn(T) -> &'static str) -> json::Result<T> {
    let s = v.req_str(field)?;
    all.iter().copied().find(|x| name(*x) == s).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|x| name(*x)).collect();
        json::field_error(field, format!("one of {}, got {}", names.join(", "), json::Quoted(s)))
    })
}

impl ToJson for Normalization {
    fn write_json(&self, out: &mut String) {
        json::write_str(out, self.name());
    }
}

impl ToJson for Method {
    fn write_json(&self, out: &mut String) {
        json::write_str(out, self.name());
    }
}

impl ToJson for Stacking {
    fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        o.field("bias", &self.bias).field("coef", &self.coef).field("present_coef", &self.present_coef);
        o.finish();
    }
}

impl ToJson for FusionConfig {
    fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        o.field("normalization", &self.normalization)
            .field("method", &self.method)
            .field("weights", &self.weights)
            .field("rrf_k", &self.rrf_k)
            .field("renormalize_missing", &self.renormalize_missing)
            .field("stacking", &self.stacking);
        o.finish();
    }
}

impl ToJson for ScoringConfig {
    fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        o.field("event_weights", &self.event_weights)
            .field("half_life_days", &self.half_life_days)
            .field("seq_recent", &self.seq_recent)
            .field("seq_step_decay", &self.seq_step_decay)
            .field("proto_neighbors", &self.proto_neighbors)
            .field("trend_mix", &self.trend_mix)
            .field("price_band", &self.price_band)
            .field("history_capacity", &self.history_capacity)
            .field("content_weights", &self.content_weights);
        o.finish();
    }
}

impl Stacking {
    /// Reads the JSON object `v` (named `field` in errors); every field is required.
    pub fn from_json_value(v: &Value, field: &str) -> json::Result<Stacking> {
        let [bias, coef, present_coef] = json::struct_fields(v, field, ["bias", "coef", "present_coef"])?;
        let (b, c, p) = (format!("{field}.bias"), format!("{field}.coef"), format!("{field}.present_coef"));
        Ok(Stacking {
            bias: json::required(bias, &b)?.req_f32(&b)?,
            coef: legacy_pad(json::required(coef, &c)?.req_f32_vec(&c)?),
            present_coef: legacy_pad(json::required(present_coef, &p)?.req_f32_vec(&p)?),
        })
    }
}

impl FusionConfig {
    /// Parses the JSON form (see the module docs); not validated (see [`FusionConfig::validate`]).
    ///
    /// ```
    /// use recofuse_core::config::{FusionConfig, Method};
    /// use recofuse_core::json::ToJson;
    ///
    /// let c = FusionConfig::from_json(r#"{"method": "rrf", "rrf_k": 30, "future": 1}"#).unwrap();
    /// assert_eq!((c.method, c.rrf_k, c.weights.len()), (Method::Rrf, 30.0, 8));
    /// assert_eq!(FusionConfig::from_json(&c.to_json()).unwrap(), c);
    /// assert!(FusionConfig::from_json(r#"{"method": "bogus"}"#).is_err());
    /// ```
    pub fn from_json(text: &str) -> json::Result<FusionConfig> {
        FusionConfig::from_json_value(&json::parse(text)?)
    }

    /// Reads a parsed JSON object (see [`FusionConfig::from_json`]).
    pub fn from_json_value(v: &Value) -> json::Result<FusionConfig> {
        let [normalization, method, weights, rrf_k, renormalize_missing, stacking] = json::struct_fields(
            v,
            "fusion",
            ["normalization", "method", "weights", "rrf_k", "renormalize_missing", "stacking"],
        )?;
        let mut c = FusionConfig::default();
        if let Some(v) = normalization {
            c.normalization = variant(v, "fusion.normalization", &Normalization::ALL, Normalization::name)?;
        }
        if let Some(v) = method {
            c.method = variant(v, "fusion.method", &Method::ALL, Method::name)?;
        }
        if let Some(v) = weights {
            c.weights = legacy_pad(v.req_f32_vec("fusion.weights")?);
        }
        if let Some(v) = rrf_k {
            c.rrf_k = v.req_f32("fusion.rrf_k")?;
        }
        if let Some(v) = renormalize_missing {
            c.renormalize_missing = v.req_bool("fusion.renormalize_missing")?;
        }
        if let Some(v) = stacking {
            c.stacking = Stacking::from_json_value(v, "fusion.stacking")?;
        }
        Ok(c)
    }
}

impl ScoringConfig {
    /// Parses the JSON form (see the module docs); not validated (see [`ScoringConfig::validate`]).
    ///
    /// ```
    /// use recofuse_core::config::ScoringConfig;
    /// use recofuse_core::json::ToJson;
    ///
    /// let c = ScoringConfig::from_json(r#"{"half_life_days": 7.5}"#).unwrap();
    /// assert_eq!((c.half_life_days, c.seq_recent), (7.5, 3));
    /// assert_eq!(ScoringConfig::from_json(&c.to_json()).unwrap(), c);
    /// assert!(ScoringConfig::from_json(r#"{"seq_recent": -1}"#).is_err());
    /// ```
    pub fn from_json(text: &str) -> json::Result<ScoringConfig> {
        ScoringConfig::from_json_value(&json::parse(text)?)
    }

    /// Reads a parsed JSON object (see [`ScoringConfig::from_json`]).
    pub fn from_json_value(v: &Value) -> json::Result<ScoringConfig> {
        let [event_weights, half_life_days, seq_recent, seq_step_decay, proto_neighbors, trend_mix, price_band, history_capacity, content_weights] =
            json::struct_fields(
                v,
                "scoring",
                [
                    "event_weights",
                    "half_life_days",
                    "seq_recent",
                    "seq_step_decay",
                    "proto_neighbors",
                    "trend_mix",
                    "price_band",
                    "history_capacity",
                    "content_weights",
                ],
            )?;
        let mut c = ScoringConfig::default();
        if let Some(v) = event_weights {
            let w = v.req_f32_vec("scoring.event_weights")?;
            c.event_weights =
                w.try_into().map_err(|_| json::field_error("scoring.event_weights", "an array of 4 numbers"))?;
        }
        if let Some(v) = content_weights {
            let w = v.req_f32_vec("scoring.content_weights")?;
            c.content_weights =
                w.try_into().map_err(|_| json::field_error("scoring.content_weights", "an array of 4 numbers"))?;
        }
        let f32_field = |v: Option<&Value>, name: &str, into: &mut f32| -> json::Result<()> {
            if let Some(v) = v {
                *into = v.req_f32(&format!("scoring.{name}"))?;
            }
            Ok(())
        };
        f32_field(half_life_days, "half_life_days", &mut c.half_life_days)?;
        f32_field(seq_step_decay, "seq_step_decay", &mut c.seq_step_decay)?;
        f32_field(trend_mix, "trend_mix", &mut c.trend_mix)?;
        f32_field(price_band, "price_band", &mut c.price_band)?;
        let usize_field = |v: Option<&Value>, name: &str, into: &mut usize| -> json::Result<()> {
            if let Some(v) = v {
                *into = v.req_usize(&format!("scoring.{name}"))?;
            }
            Ok(())
        };
        usize_field(seq_recent, "seq_recent", &mut c.seq_recent)?;
        usize_field(proto_neighbors, "proto_neighbors", &mut c.proto_neighbors)?;
        usize_field(history_capacity, "history_capacity", &mut c.history_capacity)?;
        Ok(c)
    }
}
