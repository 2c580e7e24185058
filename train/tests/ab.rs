//! `recofuse ab` on simulated devices (issue 18): devices with known true rates send randomised-response
//! reports as the package does; the analysis must recover the rates within its intervals at the stated
//! coverage, keep false positives near the test's level, and read report files strictly.

use recofuse_train::ab::{analyse, read_reports, truth_probability, Options, Report, METRICS};

/// SplitMix64 (seeded, so every run draws the same devices).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `devices` reports of `arm` whose true bits have the given rates, randomised with `epsilon` exactly as
/// `experimentReport()` does (the truth with probability e^ε / (1 + e^ε)).
fn simulate(rng: &mut Rng, arm: &str, rates: [f64; 3], devices: usize, epsilon: f64) -> Vec<Report> {
    let p = truth_probability(epsilon);
    (0..devices)
        .map(|_| {
            let mut bits = [false; 3];
            for (b, r) in bits.iter_mut().zip(rates) {
                let truth = rng.unit() < r;
                *b = if rng.unit() < p { truth } else { !truth };
            }
            Report {
                experiment: "fusion-vs-store".into(),
                arm: arm.into(),
                epsilon,
                bits,
                period: ("2026-12-01".into(), "2026-12-05".into()),
            }
        })
        .collect()
}

const A: [f64; 3] = [0.20, 0.08, 0.03];
const B: [f64; 3] = [0.24, 0.09, 0.04];

#[test]
fn intervals_cover_the_true_rates_at_the_stated_coverage_over_200_simulated_experiments() {
    let mut rng = Rng(18);
    let (mut covered, mut total, mut lift_covered, mut lifts) = (0, 0, 0, 0);
    for _ in 0..200 {
        let mut reports = simulate(&mut rng, "store", A, 1500, 1.0);
        reports.extend(simulate(&mut rng, "fused", B, 1500, 1.0));
        let e = &analyse(&reports, &Options::default()).unwrap()[0];
        assert_eq!((e.control.as_str(), e.arms.len(), e.reports), ("store", 2, 3000));
        for (arm, truth) in e.arms.iter().zip([A, B]) {
            for (m, t) in METRICS.iter().zip(truth) {
                let r = &arm.metrics[*m];
                covered += usize::from(r.lo <= t && t <= r.hi);
                total += 1;
            }
        }
        for l in &e.lifts {
            let m = METRICS.iter().position(|m| *m == l.metric).unwrap();
            let truth = B[m] - A[m];
            lift_covered += usize::from(l.lo <= truth && truth <= l.hi);
            lifts += 1;
        }
    }
    // 1200 intervals at 95 %: a standard deviation of 0.63 points, so [93 %, 97 %] is more than 3 of them.
    let coverage = covered as f64 / total as f64;
    assert!((0.93..=0.97).contains(&coverage), "rate coverage {coverage} over {total} intervals");
    let lift_coverage = lift_covered as f64 / lifts as f64;
    eprintln!("coverage: rates {coverage:.4} of {total}, lifts {lift_coverage:.4} of {lifts}");
    // 600 at 95 %: a standard deviation of 0.89 points; [92 %, 98 %] is more than 3 of them.
    assert!((0.92..=0.98).contains(&lift_coverage), "lift coverage {lift_coverage} over {lifts}");
}

#[test]
fn without_a_difference_the_test_rejects_about_five_percent_of_the_time() {
    let mut rng = Rng(7);
    let (mut rejected, mut tests) = (0, 0);
    for _ in 0..200 {
        let mut reports = simulate(&mut rng, "A", A, 1000, 2.0);
        reports.extend(simulate(&mut rng, "B", A, 1000, 2.0));
        for l in &analyse(&reports, &Options::default()).unwrap()[0].lifts {
            rejected += usize::from(l.p_value < 0.05);
            tests += 1;
        }
    }
    let rate = rejected as f64 / tests as f64;
    eprintln!("false positive rate at p < 0.05: {rate:.4} of {tests}");
    assert!((0.02..=0.085).contains(&rate), "false positive rate {rate} over {tests} tests");
}

#[test]
fn a_large_experiment_finds_a_real_lift_and_mixed_epsilons_are_debiased_per_report() {
    let mut rng = Rng(99);
    let mut reports = simulate(&mut rng, "store", A, 30_000, 1.0);
    reports.extend(simulate(&mut rng, "store", A, 30_000, 3.0));
    reports.extend(simulate(&mut rng, "fused", B, 60_000, 2.0));
    let options = Options { control: Some("store".into()), ..Options::default() };
    let e = &analyse(&reports, &options).unwrap()[0];
    let clicked = e.lifts.iter().find(|l| l.metric == "clicked").unwrap();
    assert!(clicked.p_value < 0.001 && clicked.lo > 0.0, "{clicked:?}");
    assert!((clicked.diff - 0.04).abs() < 3.0 * (clicked.hi - clicked.lo) / 3.92);
    let store = &e.arms[0];
    assert_eq!(store.arm, "store");
    assert!((store.mean_epsilon - 2.0).abs() < 1e-9);
    // The raw share of 1s is far from the truth (noise pulls it to 1/2); the de-biased rate is not.
    let r = &store.metrics["purchased"];
    assert!(r.observed > 0.15 && (r.rate - 0.03).abs() < 0.01, "{r:?}");
    // The sample size for the asked effect is finite and grows as the effect shrinks.
    let finer = analyse(&reports, &Options { mde: 0.005, ..options.clone() }).unwrap();
    assert!(finer[0].lifts[0].devices_per_arm_for_mde > 3.5 * clicked.devices_per_arm_for_mde);
    // Asking for an arm that is not there is an error, not a panic.
    assert!(analyse(&reports, &Options { control: Some("nope".into()), ..options }).is_err());
    assert!(analyse(&reports, &Options { mde: 0.0, ..Options::default() }).is_err());
}

#[test]
fn report_files_are_read_strictly_or_leniently() {
    let dir = std::env::temp_dir().join(format!("recofuse-ab-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = r#"{"format":"recofuse-ab-report","version":1,"experiment":"e","arm":"A","epsilon":1,"period":{"from":"2026-12-01","to":"2026-12-02"},"clicked":true,"carted":false,"purchased":false}"#;
    let path = dir.join("reports.jsonl");
    std::fs::write(&path, format!("{good}\n\n{{\"format\":\"recofuse-ab-report\",\"version\":1}}\nnot json\n{good}\n"))
        .unwrap();
    let err = read_reports(&path, false).unwrap_err().to_string();
    assert!(err.contains("line 3"), "{err}");
    let (reports, skipped, first) = read_reports(&path, true).unwrap();
    assert_eq!((reports.len(), skipped), (2, 2));
    assert!(first.unwrap().starts_with("line 3"));
    std::fs::write(&path, "\n").unwrap();
    assert!(read_reports(&path, true).is_err(), "no reports at all is an error");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `eval`'s A/B replay (issue 18): popularity (the store's order) against the default fusion on the same
/// test users; its means are the report's own NDCG@10 and HR@10 of both, and the Markdown report shows it.
#[test]
fn eval_replays_the_store_order_against_the_fusion_with_a_paired_bootstrap() {
    let dir = std::env::temp_dir().join(format!("recofuse-ab-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 150 users drifting along a 60-item catalog (a fixed LCG): sequences the fusion can learn from.
    let mut state = 4_242u64;
    let mut next = move |m: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % m
    };
    let mut text = String::from("user_id,item_id,timestamp\n");
    for u in 0..150u64 {
        let mut item = next(60);
        for k in 0..(6 + next(8)) {
            item = if next(5) == 0 { next(60) } else { (item + 1) % 60 };
            text.push_str(&format!("u{u},i{item},{}\n", 1_600_000_000 + u * 100_000 + k * 3600));
        }
    }
    let log = dir.join("drift.csv");
    std::fs::write(&log, text).unwrap();
    let mut opts = recofuse_train::pipeline::Options::new(&log, None);
    opts.folds = 3;
    let out = recofuse_train::pipeline::evaluate(&opts).unwrap();
    let r = &out.report;
    let replay = r.ab_replay.as_ref().expect("a popularity column, so a replay");
    assert_eq!((replay.store.as_str(), replay.fused.as_str()), ("popularity", r.default.as_str()));
    assert_eq!(replay.users, r.test_users);
    let (pop, fused) = (&r.models["popularity"], &r.fusion[&r.default]);
    assert!((replay.ndcg10.0 - pop.ndcg10).abs() < 1e-9 && (replay.ndcg10.1 - fused.ndcg10).abs() < 1e-9);
    assert!((replay.hr10.0 - pop.hr10).abs() < 1e-9 && (replay.hr10.1 - fused.hr10).abs() < 1e-9);
    for c in [&replay.ndcg10_diff, &replay.hr10_diff] {
        assert_eq!((c.a.as_str(), c.b.as_str(), c.users), (r.default.as_str(), "popularity", r.test_users));
        assert!(c.lo <= c.diff && c.diff <= c.hi);
    }
    assert!((replay.hr10_diff.diff - (fused.hr10 - pop.hr10)).abs() < 1e-9);
    // On a log with strong sequential structure the fusion beats popularity beyond noise.
    assert!(replay.ndcg10_diff.lo > 0.0, "{:?}", replay.ndcg10_diff);
    let md = recofuse_train::report::markdown(r);
    assert!(md.contains("## A/B replay") && md.contains("| HR@10 |"), "{md}");
    let json = serde_json::to_value(r).unwrap();
    assert!(json["ab_replay"]["hr10_diff"]["hi"].is_number());
    let _ = std::fs::remove_dir_all(&dir);
}
