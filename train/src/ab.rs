//! `recofuse ab`: the analysis of an A/B test from the reports devices send (issue 18).
//!
//! Each device in an experiment may send one report (`experimentReport()` in the package): its arm and
//! three bits (clicked, added to cart, purchased at least once in the period), each passed through
//! **randomised response**: the true bit with probability `p = e^ε / (1 + e^ε)`, its negation otherwise.
//! A single report says little about its device; many say a lot about an arm:
//!
//! - **De-biasing.** For a report `y` (0 or 1) sent with ε, `(y - (1 - p)) / (2p - 1)` has expectation
//!   the true bit (whatever it is), so the mean of these over an arm's reports is an unbiased estimate of
//!   the arm's rate, even when devices used different ε. Its standard error is the sample standard
//!   deviation of those values over `√n`; the interval is the normal one, `rate ± z·se`.
//! - **Lift.** The difference of two arms' rates, with standard error `√(se_a² + se_b²)` (independent
//!   devices), its interval, the relative lift and the two-sided p-value of the two-proportion z-test on
//!   the de-biased estimates.
//! - **Sample size.** Devices per arm needed to detect an absolute difference `mde` at the given
//!   confidence and power: `(z_{1-α/2} + z_{power})² · (v_a + v_b) / mde²`, where `v = λ(1 - λ) / (2p - 1)²`
//!   is one randomised report's variance for a true rate `π` (`λ = (2p - 1)π + 1 - p`, the chance it
//!   reads 1). Privacy costs devices: for a 10 % rate and a difference of 1 point (95 %, power 0.8),
//!   14,749 devices per arm with raw bits, 159,274 at ε = 1, 43,164 at ε = 2, 17,732 at ε = 4 (the
//!   doc test of [`devices_per_arm`] computes the first two).
//!
//! `train/tests/ab.rs` checks on simulated devices that the 95 % intervals cover the true rates in about
//! 95 % of 200 simulated experiments.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::{Result, TrainError};

/// The metrics of a report, in order: clicked, carted, purchased (at least once in the period).
pub const METRICS: [&str; 3] = ["clicked", "carted", "purchased"];

/// One device's report, as `experimentReport()` writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Experiment name.
    pub experiment: String,
    /// The device's arm.
    pub arm: String,
    /// ε of the randomised response of each bit.
    pub epsilon: f64,
    /// The randomised bits, in [`METRICS`] order.
    pub bits: [bool; 3],
    /// The period, UTC days `(from, to)` as sent.
    pub period: (String, String),
}

impl Report {
    /// Reads one report from its JSON form (`format: "recofuse-ab-report"`, `version: 1`).
    ///
    /// ```
    /// use recofuse_train::ab::Report;
    /// let line = r#"{"format":"recofuse-ab-report","version":1,"experiment":"e","arm":"B","epsilon":1,
    ///   "period":{"from":"2026-12-01","to":"2026-12-05"},"clicked":true,"carted":false,"purchased":false}"#;
    /// let r = Report::from_json(line).unwrap();
    /// assert_eq!((r.arm.as_str(), r.bits), ("B", [true, false, false]));
    /// assert!(Report::from_json(r#"{"format":"other"}"#).is_err());
    /// ```
    pub fn from_json(line: &str) -> std::result::Result<Report, String> {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
        if v.get("format").and_then(Value::as_str) != Some("recofuse-ab-report") {
            return Err("format is not \"recofuse-ab-report\"".into());
        }
        if v.get("version").and_then(Value::as_u64) != Some(1) {
            return Err("version is not 1".into());
        }
        let text = |k: &str| -> std::result::Result<String, String> {
            match v.get(k).and_then(Value::as_str) {
                Some(s) if !s.is_empty() => Ok(s.to_string()),
                _ => Err(format!("{k} is not a non-empty string")),
            }
        };
        let epsilon = v.get("epsilon").and_then(Value::as_f64).filter(|e| e.is_finite() && *e > 0.0 && *e <= 20.0);
        let epsilon = epsilon.ok_or("epsilon is not a number in (0, 20]")?;
        let mut bits = [false; 3];
        for (b, m) in bits.iter_mut().zip(METRICS) {
            *b = v.get(m).and_then(Value::as_bool).ok_or_else(|| format!("{m} is not a boolean"))?;
        }
        let day = |k: &str| v.get("period").and_then(|p| p.get(k)).and_then(Value::as_str).unwrap_or("").to_string();
        Ok(Report {
            experiment: text("experiment")?,
            arm: text("arm")?,
            epsilon,
            bits,
            period: (day("from"), day("to")),
        })
    }
}

/// Reads a JSON Lines file of reports (blank lines skipped). A malformed line is an error naming it, or,
/// with `lenient`, is skipped and counted (the second value: how many, and the first reason).
pub fn read_reports(path: &Path, lenient: bool) -> Result<(Vec<Report>, usize, Option<String>)> {
    let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
    let (mut out, mut skipped, mut first) = (Vec::new(), 0, None);
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match Report::from_json(line) {
            Ok(r) => out.push(r),
            Err(why) if lenient => {
                skipped += 1;
                first.get_or_insert(format!("line {}: {why}", i + 1));
            }
            Err(why) => return Err(TrainError::format(path, format!("line {}: {why}", i + 1))),
        }
    }
    if out.is_empty() {
        return Err(TrainError::format(path, "no reports"));
    }
    Ok((out, skipped, first))
}

/// Probability that randomised response with `epsilon` reports the true bit: `e^ε / (1 + e^ε)`.
pub fn truth_probability(epsilon: f64) -> f64 {
    1.0 / (1.0 + (-epsilon).exp())
}

/// The unbiased estimate of a device's true bit from its randomised report `y` sent with `epsilon`.
///
/// ```
/// use recofuse_train::ab::{debias, truth_probability};
/// // Averaged over the response's randomness, the estimate is the true bit.
/// let p = truth_probability(1.0);
/// let expect = |truth: bool| p * debias(truth, 1.0) + (1.0 - p) * debias(!truth, 1.0);
/// assert!((expect(true) - 1.0).abs() < 1e-12 && expect(false).abs() < 1e-12);
/// ```
pub fn debias(y: bool, epsilon: f64) -> f64 {
    let p = truth_probability(epsilon);
    (f64::from(u8::from(y)) - (1.0 - p)) / (2.0 * p - 1.0)
}

/// Standard normal CDF (Abramowitz & Stegun 7.1.26 for erf; absolute error below 1.5e-7).
pub fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly =
        t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// Standard normal quantile for `q` in (0, 1) (Acklam's rational approximation, relative error below
/// 1.2e-9); NaN outside.
///
/// ```
/// use recofuse_train::ab::normal_quantile;
/// assert!((normal_quantile(0.975) - 1.959964).abs() < 1e-6);
/// assert!((normal_quantile(0.8) - 0.841621).abs() < 1e-6);
/// ```
pub fn normal_quantile(q: f64) -> f64 {
    if !(q > 0.0 && q < 1.0) {
        return f64::NAN;
    }
    const A: [f64; 6] = [
        -39.696_830_286_653_76,
        220.946_098_424_520_5,
        -275.928_510_446_968_7,
        138.357_751_867_269,
        -30.664_798_066_147_16,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -54.476_098_798_224_06,
        161.585_836_858_040_9,
        -155.698_979_859_886_6,
        66.801_311_887_719_72,
        -13.280_681_552_885_72,
    ];
    const C: [f64; 6] = [
        -0.007_784_894_002_430_293,
        -0.322_396_458_041_136_5,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [0.007_784_695_709_041_462, 0.322_467_129_070_039_8, 2.445_134_137_142_996, 3.754_408_661_907_416];
    let tail = |r: f64| {
        (((((C[0] * r + C[1]) * r + C[2]) * r + C[3]) * r + C[4]) * r + C[5])
            / ((((D[0] * r + D[1]) * r + D[2]) * r + D[3]) * r + 1.0)
    };
    if q < 0.024_25 {
        tail((-2.0 * q.ln()).sqrt())
    } else if q > 1.0 - 0.024_25 {
        -tail((-2.0 * (1.0 - q).ln()).sqrt())
    } else {
        let u = q - 0.5;
        let r = u * u;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * u
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Settings of [`analyse`].
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The control arm (default: the first arm in the file).
    pub control: Option<String>,
    /// Confidence of the intervals (default 0.95).
    pub confidence: f64,
    /// Smallest absolute difference of rates the sample size is computed for (default 0.01).
    pub mde: f64,
    /// Power of that sample size (default 0.8).
    pub power: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options { control: None, confidence: 0.95, mde: 0.01, power: 0.8 }
    }
}

/// One metric of one arm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    /// Share of reports whose (randomised) bit is 1.
    pub observed: f64,
    /// De-biased estimate of the true rate (may fall slightly outside [0, 1] with few reports).
    pub rate: f64,
    /// Its standard error.
    pub se: f64,
    /// Lower end of the interval.
    pub lo: f64,
    /// Upper end of the interval.
    pub hi: f64,
}

/// One arm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Arm {
    /// Arm name.
    pub arm: String,
    /// Reports from it.
    pub reports: usize,
    /// Mean ε of its reports.
    pub mean_epsilon: f64,
    /// Per metric, in [`METRICS`] order.
    pub metrics: BTreeMap<String, Rate>,
}

/// An arm against the control on one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lift {
    /// Metric name.
    pub metric: String,
    /// The arm compared with the control.
    pub arm: String,
    /// The control arm.
    pub control: String,
    /// Rate of `arm` minus rate of `control`.
    pub diff: f64,
    /// Lower end of its interval.
    pub lo: f64,
    /// Upper end of its interval.
    pub hi: f64,
    /// `diff` relative to the control's rate (null when that is not positive).
    pub relative: Option<f64>,
    /// z statistic.
    pub z: f64,
    /// Two-sided p-value of "no difference".
    pub p_value: f64,
    /// Devices per arm needed to detect a difference of `mde` at the confidence and power asked for,
    /// from the control's estimated rate and the reports' mean ε.
    pub devices_per_arm_for_mde: f64,
}

/// The analysis of one experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Experiment {
    /// Experiment name.
    pub experiment: String,
    /// The control arm.
    pub control: String,
    /// Reports read.
    pub reports: usize,
    /// Earliest `period.from` and latest `period.to` seen.
    pub period: (String, String),
    /// Confidence of the intervals.
    pub confidence: f64,
    /// The minimum detectable effect (absolute) of the sample sizes.
    pub mde: f64,
    /// Power of the sample sizes.
    pub power: f64,
    /// Every arm, control first.
    pub arms: Vec<Arm>,
    /// Every other arm against the control, per metric.
    pub lifts: Vec<Lift>,
}

/// The rate of one metric from `(bit, epsilon)` reports.
fn rate(values: &[(bool, f64)], z: f64) -> Rate {
    let n = values.len() as f64;
    let x: Vec<f64> = values.iter().map(|&(y, e)| debias(y, e)).collect();
    let mean = x.iter().sum::<f64>() / n;
    let var = if values.len() > 1 { x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    let se = (var / n).sqrt();
    let observed = values.iter().filter(|v| v.0).count() as f64 / n;
    Rate { observed, rate: mean, se, lo: mean - z * se, hi: mean + z * se }
}

/// Variance of one randomised report with `epsilon` for a device population of true rate `pi`.
fn report_variance(pi: f64, epsilon: f64) -> f64 {
    let p = truth_probability(epsilon);
    let lambda = (2.0 * p - 1.0) * pi + 1.0 - p;
    lambda * (1.0 - lambda) / (2.0 * p - 1.0).powi(2)
}

/// Devices per arm to detect an absolute difference `mde` from a base rate `base` with reports at
/// `epsilon`, at `confidence` (two-sided) and `power`.
///
/// ```
/// use recofuse_train::ab::devices_per_arm;
/// // A 10 % click rate, +1 point: 14,749 devices per arm with raw bits (ε large), 159,274 at ε = 1.
/// assert_eq!(devices_per_arm(0.10, 0.01, 60.0, 0.95, 0.8), 14_749.0);
/// assert_eq!(devices_per_arm(0.10, 0.01, 1.0, 0.95, 0.8), 159_274.0);
/// ```
pub fn devices_per_arm(base: f64, mde: f64, epsilon: f64, confidence: f64, power: f64) -> f64 {
    let a = base.clamp(0.0, 1.0);
    let b = (base + mde).clamp(0.0, 1.0);
    let z = normal_quantile(1.0 - (1.0 - confidence) / 2.0) + normal_quantile(power);
    (z * z * (report_variance(a, epsilon) + report_variance(b, epsilon)) / (mde * mde)).ceil()
}

/// Analyses every experiment in `reports` (in order of first appearance).
pub fn analyse(reports: &[Report], options: &Options) -> Result<Vec<Experiment>> {
    let bad = |m: String| Err(TrainError::Invalid(m));
    if !(options.confidence > 0.0 && options.confidence < 1.0 && options.power > 0.0 && options.power < 1.0) {
        return bad("--confidence and --power must be in (0, 1)".into());
    }
    if !(options.mde > 0.0 && options.mde < 1.0) {
        return bad("--mde must be an absolute difference of rates in (0, 1)".into());
    }
    let z = normal_quantile(1.0 - (1.0 - options.confidence) / 2.0);
    let mut names: Vec<&str> = Vec::new();
    for r in reports {
        if !names.contains(&r.experiment.as_str()) {
            names.push(&r.experiment);
        }
    }
    let mut out = Vec::new();
    for name in names {
        let mine: Vec<&Report> = reports.iter().filter(|r| r.experiment == name).collect();
        let mut arms: Vec<&str> = Vec::new();
        for r in &mine {
            if !arms.contains(&r.arm.as_str()) {
                arms.push(&r.arm);
            }
        }
        let control = match &options.control {
            Some(c) if arms.contains(&c.as_str()) => c.clone(),
            Some(c) => return bad(format!("experiment {name:?} has no arm {c:?} (arms: {})", arms.join(", "))),
            None => arms[0].to_string(),
        };
        arms.sort_by_key(|a| *a != control);
        let summaries: Vec<Arm> = arms
            .iter()
            .map(|&arm| {
                let of: Vec<&&Report> = mine.iter().filter(|r| r.arm == arm).collect();
                let metrics = METRICS
                    .iter()
                    .enumerate()
                    .map(|(m, name)| {
                        let values: Vec<(bool, f64)> = of.iter().map(|r| (r.bits[m], r.epsilon)).collect();
                        (name.to_string(), rate(&values, z))
                    })
                    .collect();
                let mean_epsilon = of.iter().map(|r| r.epsilon).sum::<f64>() / of.len() as f64;
                Arm { arm: arm.to_string(), reports: of.len(), mean_epsilon, metrics }
            })
            .collect();
        let mut lifts = Vec::new();
        let c = &summaries[0];
        for other in &summaries[1..] {
            for m in METRICS {
                let (a, b) = (&c.metrics[m], &other.metrics[m]);
                let diff = b.rate - a.rate;
                let se = (a.se * a.se + b.se * b.se).sqrt();
                let zs = if se > 0.0 { diff / se } else { 0.0 };
                let eps = (c.mean_epsilon * c.reports as f64 + other.mean_epsilon * other.reports as f64)
                    / (c.reports + other.reports) as f64;
                lifts.push(Lift {
                    metric: m.to_string(),
                    arm: other.arm.clone(),
                    control: c.arm.clone(),
                    diff,
                    lo: diff - z * se,
                    hi: diff + z * se,
                    relative: (a.rate > 0.0).then(|| diff / a.rate),
                    z: zs,
                    p_value: 2.0 * (1.0 - normal_cdf(zs.abs())),
                    devices_per_arm_for_mde: devices_per_arm(
                        a.rate,
                        options.mde,
                        eps,
                        options.confidence,
                        options.power,
                    ),
                });
            }
        }
        let from = mine.iter().map(|r| r.period.0.as_str()).filter(|s| !s.is_empty()).min().unwrap_or("");
        let to = mine.iter().map(|r| r.period.1.as_str()).max().unwrap_or("");
        out.push(Experiment {
            experiment: name.to_string(),
            control,
            reports: mine.len(),
            period: (from.to_string(), to.to_string()),
            confidence: options.confidence,
            mde: options.mde,
            power: options.power,
            arms: summaries,
            lifts,
        });
    }
    Ok(out)
}

/// The analysis as Markdown tables.
pub fn markdown(experiments: &[Experiment]) -> String {
    let mut s = String::new();
    for e in experiments {
        let pct = e.confidence * 100.0;
        s += &format!(
            "## Experiment `{}` ({} reports, {} to {}; control `{}`)\n\n",
            e.experiment, e.reports, e.period.0, e.period.1, e.control
        );
        s += &format!("| arm | reports | mean ε | metric | observed | de-biased rate | {pct:.0} % interval |\n");
        s += "|---|---:|---:|---|---:|---:|---|\n";
        for a in &e.arms {
            for m in METRICS {
                let r = &a.metrics[m];
                s += &format!(
                    "| {} | {} | {:.2} | {m} | {:.4} | {:.4} | [{:.4}, {:.4}] |\n",
                    a.arm, a.reports, a.mean_epsilon, r.observed, r.rate, r.lo, r.hi
                );
            }
        }
        s += &format!(
            "\n| arm vs control | metric | difference | {pct:.0} % interval | relative | p-value | devices per arm to detect {} |\n",
            e.mde
        );
        s += "|---|---|---:|---|---:|---:|---:|\n";
        for l in &e.lifts {
            let rel = l.relative.map_or("n/a".to_string(), |r| format!("{:+.1} %", r * 100.0));
            s += &format!(
                "| {} vs {} | {} | {:+.4} | [{:+.4}, {:+.4}] | {rel} | {:.4} | {:.0} |\n",
                l.arm, l.control, l.metric, l.diff, l.lo, l.hi, l.p_value, l.devices_per_arm_for_mde
            );
        }
        s += "\n";
    }
    s
}

/// The comparison the online A/B test will make, replayed offline by `eval` (issue 18): the store's own
/// order (the popularity column: what a store without recommendations shows) against the default fusion,
/// on the same test users, with a paired bootstrap over users ([`crate::significance`]) on NDCG@10 and
/// HR@10. A difference whose interval excludes 0 here is worth testing online; one that does not will
/// need a very large test to show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replay {
    /// The store's order (a column name, e.g. `popularity`).
    pub store: String,
    /// The fused ranking (the default method).
    pub fused: String,
    /// Test users compared.
    pub users: usize,
    /// Mean NDCG@10 of `store` and `fused`.
    pub ndcg10: (f64, f64),
    /// Mean HR@10 of `store` and `fused`.
    pub hr10: (f64, f64),
    /// `fused - store` on NDCG@10, with its 95 % interval.
    pub ndcg10_diff: crate::significance::Comparison,
    /// `fused - store` on HR@10, with its 95 % interval.
    pub hr10_diff: crate::significance::Comparison,
}

/// [`Replay`] from the 0-based ranks of the test targets in each ranking (same users, same order).
///
/// ```
/// use recofuse_train::ab::replay;
/// let store = [Some(30), Some(3), None, Some(12)];
/// let fused = [Some(0), Some(3), Some(9), Some(11)];
/// let r = replay(("popularity", &store), ("weighted", &fused));
/// assert_eq!((r.users, r.hr10), (4, (0.25, 0.75)));
/// assert!(r.hr10_diff.diff > 0.0 && r.ndcg10.1 > r.ndcg10.0);
/// ```
pub fn replay(store: (&str, &[Option<usize>]), fused: (&str, &[Option<usize>])) -> Replay {
    let ndcg = |r: &[Option<usize>]| -> Vec<f64> { r.iter().map(|&x| crate::metrics::gain(x)).collect() };
    let hit = |r: &[Option<usize>]| -> Vec<f64> {
        r.iter().map(|x| f64::from(u8::from(x.is_some_and(|k| k < 10)))).collect()
    };
    let mean = |v: &[f64]| if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
    let (sn, fnd, sh, fh) = (ndcg(store.1), ndcg(fused.1), hit(store.1), hit(fused.1));
    let role = "the store's own order (A/B replay)";
    Replay {
        store: store.0.to_string(),
        fused: fused.0.to_string(),
        users: store.1.len().min(fused.1.len()),
        ndcg10: (mean(&sn), mean(&fnd)),
        hr10: (mean(&sh), mean(&fh)),
        ndcg10_diff: crate::significance::compare((fused.0, &fnd), (store.0, &sn), role),
        hr10_diff: crate::significance::compare((fused.0, &fh), (store.0, &sh), role),
    }
}

/// The replay as a Markdown section.
pub fn replay_markdown(r: &Replay) -> String {
    let row = |metric: &str, (s, f): (f64, f64), c: &crate::significance::Comparison| {
        format!(
            "| {metric} | {s:.4} | {f:.4} | {:+.4} | {:+.1} % | [{:+.4}, {:+.4}] | {:.3} |\n",
            c.diff,
            100.0 * c.rel,
            c.lo,
            c.hi,
            c.p_not_better
        )
    };
    format!(
        "\n## A/B replay: the store's own order against the fusion (test, paired bootstrap over users)\n\n\
         What an online test of `{}` (arm B) against `{}` (arm A, the store's order) would compare, on the same \
         {} test users ({} resamples, fixed seed).\n\n\
         | metric | A: {} | B: {} | B - A | relative | 95 % interval | share of resamples B not better |\n\
         |---|---|---|---|---|---|---|\n{}{}",
        r.fused,
        r.store,
        r.users,
        r.ndcg10_diff.resamples,
        r.store,
        r.fused,
        row("NDCG@10", r.ndcg10, &r.ndcg10_diff),
        row("HR@10", r.hr10, &r.hr10_diff)
    )
}
