//! Golden tests of the normalisations, fusion methods and business rules: small fixtures whose
//! expected values are written as the formulas they come from (ranx style).

use recofuse_core::config::{FusionConfig, Method, Normalization, Stacking};
use recofuse_core::fusion::{fuse, normalize, ordinal_ranks, Fused};
use recofuse_core::rules::{apply_pins, mmr, order};
use recofuse_core::signal::{Columns, PerSignal, Signal};

const TOL: f64 = 1e-6;

fn close(got: Option<f32>, want: f64) -> bool {
    got.is_some_and(|g| (f64::from(g) - want).abs() <= TOL * want.abs().max(1.0))
}

#[track_caller]
fn assert_scores(got: &[Option<f32>], want: &[Option<f64>]) {
    assert_eq!(got.len(), want.len(), "length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        match w {
            Some(w) => assert!(close(*g, *w), "candidate {i}: got {g:?}, want {w}"),
            None => assert_eq!(*g, None, "candidate {i}: got {g:?}, want None"),
        }
    }
}

/// Four candidates, three signals with holes.
///
/// | candidate | ItemCf | Embedding | Server |
/// |---|---|---|---|
/// | 0 | 0.2 | 0.9 | 3.0 |
/// | 1 | 0.8 | -   | 1.0 |
/// | 2 | -   | 0.3 | 2.0 |
/// | 3 | 0.5 | 0.6 | -   |
fn fixture() -> Columns {
    let mut c = Columns::new(4);
    c.column_mut(Signal::ItemCf).copy_from_slice(&[Some(0.2), Some(0.8), None, Some(0.5)]);
    c.column_mut(Signal::Embedding).copy_from_slice(&[Some(0.9), None, Some(0.3), Some(0.6)]);
    c.column_mut(Signal::Server).copy_from_slice(&[Some(3.0), Some(1.0), Some(2.0), None]);
    c
}

/// ItemCf 2, Embedding 1, Server 0.5, every other signal 0.
fn weights() -> Vec<f32> {
    let mut w = vec![0.0; Signal::COUNT];
    w[Signal::ItemCf.index()] = 2.0;
    w[Signal::Embedding.index()] = 1.0;
    w[Signal::Server.index()] = 0.5;
    w
}

fn config(method: Method, normalization: Normalization) -> FusionConfig {
    FusionConfig { method, normalization, weights: weights(), ..FusionConfig::default() }
}

fn run(method: Method) -> Fused {
    fuse(&config(method, Normalization::MinMax), &fixture(), true)
}

// Min-max normalised fixture (checked in `min_max_of_fixture`):
// ItemCf    [(0.2-0.2)/(0.8-0.2), (0.8-0.2)/(0.8-0.2), -, (0.5-0.2)/(0.8-0.2)] = [0, 1, -, 0.5]
// Embedding [(0.9-0.3)/(0.9-0.3), -, (0.3-0.3)/(0.9-0.3), (0.6-0.3)/(0.9-0.3)] = [1, -, 0, 0.5]
// Server    [(3-1)/(3-1), (1-1)/(3-1), (2-1)/(3-1), -]                          = [1, 0, 0.5, -]

#[track_caller]
fn assert_contributions_sum(fused: &Fused, offset: f64) {
    let parts = fused.contributions.as_ref().expect("explain asked");
    for (i, (score, p)) in fused.scores.iter().zip(parts).enumerate() {
        let sum: f64 = p.0.iter().flatten().map(|x| f64::from(*x)).sum();
        if let Some(s) = score {
            assert!((f64::from(*s) - offset - sum).abs() < 1e-5, "candidate {i}: {s} vs {sum} + {offset}");
        }
    }
}

// ---------------------------------------------------------------- normalisations

#[test]
fn min_max_of_fixture() {
    let c = fixture();
    let got = normalize(Normalization::MinMax, c.column(Signal::ItemCf));
    assert_scores(
        &got,
        &[Some((0.2 - 0.2) / (0.8 - 0.2)), Some((0.8 - 0.2) / (0.8 - 0.2)), None, Some((0.5 - 0.2) / (0.8 - 0.2))],
    );
    let got = normalize(Normalization::MinMax, c.column(Signal::Embedding));
    assert_scores(
        &got,
        &[Some((0.9 - 0.3) / (0.9 - 0.3)), None, Some((0.3 - 0.3) / (0.9 - 0.3)), Some((0.6 - 0.3) / (0.9 - 0.3))],
    );
    let got = normalize(Normalization::MinMax, c.column(Signal::Server));
    assert_scores(
        &got,
        &[Some((3.0 - 1.0) / (3.0 - 1.0)), Some((1.0 - 1.0) / (3.0 - 1.0)), Some((2.0 - 1.0) / (3.0 - 1.0)), None],
    );
}

#[test]
fn normalisations_of_one_column() {
    let col = [Some(4.0), None, Some(1.0), Some(2.0), Some(3.0)];
    let n: f64 = 4.0;
    let (min, max, sum): (f64, f64, f64) = (1.0, 4.0, 4.0 + 1.0 + 2.0 + 3.0);
    let mean = sum / n;
    let std = (((4.0 - mean) * (4.0 - mean)
        + (1.0 - mean) * (1.0 - mean)
        + (2.0 - mean) * (2.0 - mean)
        + (3.0 - mean) * (3.0 - mean))
        / n)
        .sqrt();
    let shifted_sum = sum - n * min;
    let cases: [(Normalization, [Option<f64>; 5]); 7] = [
        (Normalization::None, [Some(4.0), None, Some(1.0), Some(2.0), Some(3.0)]),
        (
            Normalization::MinMax,
            [
                Some((4.0 - min) / (max - min)),
                None,
                Some((1.0 - min) / (max - min)),
                Some((2.0 - min) / (max - min)),
                Some((3.0 - min) / (max - min)),
            ],
        ),
        (Normalization::Max, [Some(4.0 / max), None, Some(1.0 / max), Some(2.0 / max), Some(3.0 / max)]),
        (
            Normalization::Sum,
            [
                Some((4.0 - min) / shifted_sum),
                None,
                Some((1.0 - min) / shifted_sum),
                Some((2.0 - min) / shifted_sum),
                Some((3.0 - min) / shifted_sum),
            ],
        ),
        (
            Normalization::ZScore,
            [
                Some((4.0 - mean) / std),
                None,
                Some((1.0 - mean) / std),
                Some((2.0 - mean) / std),
                Some((3.0 - mean) / std),
            ],
        ),
        // ranks: 4.0 -> 1, 1.0 -> 4, 2.0 -> 3, 3.0 -> 2; (n - r + 1) / n
        (
            Normalization::Rank,
            [
                Some((n - 1.0 + 1.0) / n),
                None,
                Some((n - 4.0 + 1.0) / n),
                Some((n - 3.0 + 1.0) / n),
                Some((n - 2.0 + 1.0) / n),
            ],
        ),
        // (n - r) / (n - 1)
        (
            Normalization::Borda,
            [
                Some((n - 1.0) / (n - 1.0)),
                None,
                Some((n - 4.0) / (n - 1.0)),
                Some((n - 3.0) / (n - 1.0)),
                Some((n - 2.0) / (n - 1.0)),
            ],
        ),
    ];
    for (kind, want) in cases {
        let got = normalize(kind, &col);
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            match w {
                Some(w) => assert!(close(*g, w), "{kind:?} candidate {i}: got {g:?}, want {w}"),
                None => assert_eq!(*g, None, "{kind:?} candidate {i}"),
            }
        }
    }
}

#[test]
fn degenerate_columns() {
    let constant = [Some(2.5), None, Some(2.5), Some(2.5)];
    assert_eq!(normalize(Normalization::MinMax, &constant), vec![Some(1.0), None, Some(1.0), Some(1.0)]);
    assert_eq!(normalize(Normalization::ZScore, &constant), vec![Some(0.0), None, Some(0.0), Some(0.0)]);
    assert_scores(
        &normalize(Normalization::Sum, &constant),
        &[Some(1.0 / 3.0), None, Some(1.0 / 3.0), Some(1.0 / 3.0)],
    );
    assert_eq!(normalize(Normalization::Max, &constant), vec![Some(2.5 / 2.5), None, Some(2.5 / 2.5), Some(2.5 / 2.5)]);
    // ties are ranked by input position: (n - r + 1) / n and (n - r) / (n - 1) with n = 3
    assert_scores(
        &normalize(Normalization::Rank, &constant),
        &[Some(3.0 / 3.0), None, Some(2.0 / 3.0), Some(1.0 / 3.0)],
    );
    assert_scores(
        &normalize(Normalization::Borda, &constant),
        &[Some(2.0 / 2.0), None, Some(1.0 / 2.0), Some(0.0 / 2.0)],
    );

    let single = [None, Some(-7.0)];
    for kind in Normalization::ALL {
        let want = match kind {
            Normalization::None => -7.0,
            Normalization::ZScore => 0.0,
            _ => 1.0,
        };
        assert_eq!(normalize(kind, &single), vec![None, Some(want)], "{kind:?}");
    }

    let empty: [Option<f32>; 3] = [None, None, None];
    for kind in Normalization::ALL {
        assert_eq!(normalize(kind, &empty), vec![None; 3], "{kind:?}");
        assert_eq!(normalize(kind, &[]), Vec::<Option<f32>>::new(), "{kind:?}");
    }
}

#[test]
fn max_of_non_positive_column_falls_back_to_min_max() {
    let col = [Some(-4.0), Some(-1.0), Some(-2.0)];
    assert_scores(
        &normalize(Normalization::Max, &col),
        &[
            Some((-4.0 - -4.0) / (-1.0 - -4.0)),
            Some((-1.0 - -4.0) / (-1.0 - -4.0)),
            Some((-2.0 - -4.0) / (-1.0 - -4.0)),
        ],
    );
    // max > 0 with a negative value: plain x / max
    assert_scores(&normalize(Normalization::Max, &[Some(-1.0), Some(4.0)]), &[Some(-1.0 / 4.0), Some(4.0 / 4.0)]);
}

#[test]
fn sum_of_negative_scores_shifts_first() {
    let col = [Some(-3.0), Some(-1.0), Some(-2.0)];
    let shifted_sum = (-3.0 - -3.0) + (-1.0 - -3.0) + (-2.0 - -3.0);
    assert_scores(
        &normalize(Normalization::Sum, &col),
        &[Some((-3.0 - -3.0) / shifted_sum), Some((-1.0 - -3.0) / shifted_sum), Some((-2.0 - -3.0) / shifted_sum)],
    );
}

#[test]
fn non_finite_values_are_missing() {
    let col = [Some(f32::NAN), Some(1.0), Some(f32::INFINITY), Some(3.0), Some(f32::NEG_INFINITY)];
    for kind in Normalization::ALL {
        let got = normalize(kind, &col);
        assert_eq!((got[0], got[2], got[4]), (None, None, None), "{kind:?}");
    }
    assert_scores(&normalize(Normalization::MinMax, &col), &[None, Some(0.0), None, Some(1.0), None]);
    assert_eq!(ordinal_ranks(&col), vec![None, Some(2), None, Some(1), None]);
}

#[test]
fn ordinal_ranks_break_ties_by_position() {
    let col = [Some(0.5), None, Some(0.9), Some(0.5), Some(-1.0), Some(0.9)];
    assert_eq!(ordinal_ranks(&col), vec![Some(3), None, Some(1), Some(4), Some(5), Some(2)]);
    // total_cmp: +0.0 ranks above -0.0
    assert_eq!(ordinal_ranks(&[Some(-0.0), Some(0.0)]), vec![Some(2), Some(1)]);
}

// ---------------------------------------------------------------- methods (min-max, weights 2 / 1 / 0.5)

#[test]
fn simple_average() {
    let fused = run(Method::Simple);
    assert_scores(
        &fused.scores,
        &[Some((0.0 + 1.0 + 1.0) / 3.0), Some((1.0 + 0.0) / 2.0), Some((0.0 + 0.5) / 2.0), Some((0.5 + 0.5) / 2.0)],
    );
    assert_contributions_sum(&fused, 0.0);

    // Without renormalisation: divided by the number of columns with a weight > 0 (3).
    let cfg = FusionConfig { renormalize_missing: false, ..config(Method::Simple, Normalization::MinMax) };
    let fused = fuse(&cfg, &fixture(), true);
    assert_scores(
        &fused.scores,
        &[Some((0.0 + 1.0 + 1.0) / 3.0), Some((1.0 + 0.0) / 3.0), Some((0.0 + 0.5) / 3.0), Some((0.5 + 0.5) / 3.0)],
    );
    assert_contributions_sum(&fused, 0.0);
}

#[test]
fn weighted_average() {
    let fused = run(Method::Weighted);
    assert_scores(
        &fused.scores,
        &[
            Some((2.0 * 0.0 + 1.0 * 1.0 + 0.5 * 1.0) / (2.0 + 1.0 + 0.5)),
            Some((2.0 * 1.0 + 0.5 * 0.0) / (2.0 + 0.5)),
            Some((1.0 * 0.0 + 0.5 * 0.5) / (1.0 + 0.5)),
            Some((2.0 * 0.5 + 1.0 * 0.5) / (2.0 + 1.0)),
        ],
    );
    let parts = fused.contributions.as_ref().unwrap();
    assert!(close(parts[1][Signal::ItemCf], 2.0 * 1.0 / (2.0 + 0.5)));
    assert_eq!(parts[1][Signal::Embedding], None);
    assert_eq!(parts[1][Signal::Seq], None); // weight 0
    assert_contributions_sum(&fused, 0.0);

    let cfg = FusionConfig { renormalize_missing: false, ..config(Method::Weighted, Normalization::MinMax) };
    let fused = fuse(&cfg, &fixture(), true);
    let all = 2.0 + 1.0 + 0.5;
    assert_scores(
        &fused.scores,
        &[
            Some((2.0 * 0.0 + 1.0 * 1.0 + 0.5 * 1.0) / all),
            Some((2.0 * 1.0 + 0.5 * 0.0) / all),
            Some((1.0 * 0.0 + 0.5 * 0.5) / all),
            Some((2.0 * 0.5 + 1.0 * 0.5) / all),
        ],
    );
    assert_contributions_sum(&fused, 0.0);
}

#[test]
fn weighted_without_renormalisation_counts_empty_columns_with_weight() {
    // Popularity has weight 1 but no score for anyone: it still counts in Σ_all w_s.
    let mut w = weights();
    w[Signal::Popularity.index()] = 1.0;
    let cfg =
        FusionConfig { renormalize_missing: false, weights: w, ..config(Method::Weighted, Normalization::MinMax) };
    let fused = fuse(&cfg, &fixture(), false);
    assert!(close(fused.scores[1], (2.0 * 1.0 + 0.5 * 0.0) / (2.0 + 1.0 + 0.5 + 1.0)));
}

#[test]
fn comb_sum() {
    let fused = run(Method::CombSum);
    assert_scores(
        &fused.scores,
        &[
            Some(2.0 * 0.0 + 1.0 * 1.0 + 0.5 * 1.0),
            Some(2.0 * 1.0 + 0.5 * 0.0),
            Some(1.0 * 0.0 + 0.5 * 0.5),
            Some(2.0 * 0.5 + 1.0 * 0.5),
        ],
    );
    assert_contributions_sum(&fused, 0.0);
}

#[test]
fn comb_mnz() {
    // count = number of present columns with a normalised value > 0
    let fused = run(Method::CombMnz);
    assert_scores(
        &fused.scores,
        &[
            Some((2.0 * 0.0 + 1.0 * 1.0 + 0.5 * 1.0) * 2.0),
            Some((2.0 * 1.0 + 0.5 * 0.0) * 1.0),
            Some((1.0 * 0.0 + 0.5 * 0.5) * 1.0),
            Some((2.0 * 0.5 + 1.0 * 0.5) * 2.0),
        ],
    );
    let parts = fused.contributions.as_ref().unwrap();
    assert!(close(parts[0][Signal::Embedding], 1.0 * 1.0 * 2.0));
    assert!(close(parts[0][Signal::ItemCf], 0.0));
    assert_contributions_sum(&fused, 0.0);
}

#[test]
fn comb_max() {
    let fused = run(Method::CombMax);
    assert_scores(
        &fused.scores,
        &[
            Some(f64::max(f64::max(2.0 * 0.0, 1.0 * 1.0), 0.5 * 1.0)),
            Some(f64::max(2.0 * 1.0, 0.5 * 0.0)),
            Some(f64::max(1.0 * 0.0, 0.5 * 0.5)),
            Some(f64::max(2.0 * 0.5, 1.0 * 0.5)),
        ],
    );
    let parts = fused.contributions.as_ref().unwrap();
    // candidate 0: Embedding carries the maximum
    assert_eq!(parts[0].0[Signal::ItemCf.index()], Some(0.0));
    assert!(close(parts[0][Signal::Embedding], 1.0 * 1.0));
    assert_eq!(parts[0][Signal::Server], Some(0.0));
    assert_eq!(parts[0][Signal::Seq], None);
    assert_contributions_sum(&fused, 0.0);
}

#[test]
fn comb_max_tie_goes_to_first_signal() {
    let mut c = Columns::new(1);
    c.column_mut(Signal::Content).copy_from_slice(&[Some(0.5)]);
    c.column_mut(Signal::UserCf).copy_from_slice(&[Some(0.25)]);
    let mut w = vec![0.0; Signal::COUNT];
    w[Signal::Content.index()] = 1.0;
    w[Signal::UserCf.index()] = 2.0;
    let cfg =
        FusionConfig { method: Method::CombMax, normalization: Normalization::None, weights: w, ..Default::default() };
    let fused = fuse(&cfg, &c, true);
    assert!(close(fused.scores[0], 2.0 * 0.25));
    let parts = fused.contributions.unwrap();
    assert!(close(parts[0][Signal::UserCf], 2.0 * 0.25)); // UserCf precedes Content in Signal::ALL
    assert_eq!(parts[0][Signal::Content], Some(0.0));
}

#[test]
fn rrf() {
    // raw ranks: ItemCf 1:1, 3:2, 0:3; Embedding 0:1, 3:2, 2:3; Server 0:1, 2:2, 1:3
    let fused = run(Method::Rrf);
    assert_scores(
        &fused.scores,
        &[
            Some(2.0 / (60.0 + 3.0) + 1.0 / (60.0 + 1.0) + 0.5 / (60.0 + 1.0)),
            Some(2.0 / (60.0 + 1.0) + 0.5 / (60.0 + 3.0)),
            Some(1.0 / (60.0 + 3.0) + 0.5 / (60.0 + 2.0)),
            Some(2.0 / (60.0 + 2.0) + 1.0 / (60.0 + 2.0)),
        ],
    );
    let parts = fused.contributions.as_ref().unwrap();
    assert!(close(parts[2][Signal::Server], 0.5 / (60.0 + 2.0)));
    assert_contributions_sum(&fused, 0.0);

    // k from the config, and the normalisation does not matter
    let cfg = FusionConfig { rrf_k: 10.0, ..config(Method::Rrf, Normalization::ZScore) };
    let fused = fuse(&cfg, &fixture(), false);
    assert!(close(fused.scores[3], 2.0 / (10.0 + 2.0) + 1.0 / (10.0 + 2.0)));
}

#[test]
fn rrf_classic_example() {
    // Unweighted RRF over two runs, the ranx-style formula check: d is 3rd in one run and 1st in the other.
    let mut c = Columns::new(3);
    c.column_mut(Signal::ItemCf).copy_from_slice(&[Some(0.9), Some(0.8), Some(0.7)]);
    c.column_mut(Signal::Server).copy_from_slice(&[Some(0.1), Some(0.2), Some(0.3)]);
    let mut w = vec![0.0; Signal::COUNT];
    w[Signal::ItemCf.index()] = 1.0;
    w[Signal::Server.index()] = 1.0;
    let cfg = FusionConfig { method: Method::Rrf, weights: w, ..Default::default() };
    let fused = fuse(&cfg, &c, false);
    assert_scores(
        &fused.scores,
        &[
            Some(1.0 / (60.0 + 1.0) + 1.0 / (60.0 + 3.0)),
            Some(1.0 / (60.0 + 2.0) + 1.0 / (60.0 + 2.0)),
            Some(1.0 / (60.0 + 3.0) + 1.0 / (60.0 + 1.0)),
        ],
    );
}

#[test]
fn borda() {
    // N = 4 candidates; points (N - r + 1) / N with the raw ranks of `rrf`
    let n = 4.0;
    let fused = run(Method::Borda);
    assert_scores(
        &fused.scores,
        &[
            Some(2.0 * (n - 3.0 + 1.0) / n + 1.0 * (n - 1.0 + 1.0) / n + 0.5 * (n - 1.0 + 1.0) / n),
            Some(2.0 * (n - 1.0 + 1.0) / n + 0.5 * (n - 3.0 + 1.0) / n),
            Some(1.0 * (n - 3.0 + 1.0) / n + 0.5 * (n - 2.0 + 1.0) / n),
            Some(2.0 * (n - 2.0 + 1.0) / n + 1.0 * (n - 2.0 + 1.0) / n),
        ],
    );
    assert_contributions_sum(&fused, 0.0);
}

#[test]
fn stacking() {
    let mut model = Stacking { bias: -1.0, coef: vec![0.0; Signal::COUNT], present_coef: vec![0.0; Signal::COUNT] };
    model.coef[Signal::ItemCf.index()] = 2.0;
    model.coef[Signal::Embedding.index()] = 1.0;
    model.coef[Signal::Server.index()] = 0.5;
    model.present_coef[Signal::ItemCf.index()] = 0.1;
    model.present_coef[Signal::Embedding.index()] = 0.2;
    model.present_coef[Signal::Server.index()] = -0.3;
    model.present_coef[Signal::Seq.index()] = 5.0; // weight 0: never present
    let cfg = FusionConfig { stacking: model, ..config(Method::Stacking, Normalization::MinMax) };
    let fused = fuse(&cfg, &fixture(), true);
    assert_scores(
        &fused.scores,
        &[
            Some(-1.0 + (2.0 * 0.0 + 0.1) + (1.0 * 1.0 + 0.2) + (0.5 * 1.0 - 0.3)),
            Some(-1.0 + (2.0 * 1.0 + 0.1) + (0.5 * 0.0 - 0.3)),
            Some(-1.0 + (1.0 * 0.0 + 0.2) + (0.5 * 0.5 - 0.3)),
            Some(-1.0 + (2.0 * 0.5 + 0.1) + (1.0 * 0.5 + 0.2)),
        ],
    );
    let parts = fused.contributions.as_ref().unwrap();
    assert!(close(parts[1][Signal::Server], 0.5 * 0.0 - 0.3));
    assert_contributions_sum(&fused, -1.0);
}

#[test]
fn candidate_without_any_signal_gets_none() {
    let mut c = fixture();
    c.column_mut(Signal::ItemCf)[1] = None;
    c.column_mut(Signal::Server)[1] = None;
    c.column_mut(Signal::Seq)[1] = Some(0.7); // weight 0: does not count
    for method in Method::ALL {
        let fused = fuse(&config(method, Normalization::MinMax), &c, true);
        assert_eq!(fused.scores[1], None, "{method:?}");
        assert_eq!(fused.contributions.unwrap()[1], PerSignal([None; Signal::COUNT]), "{method:?}");
        assert!(fused.scores[0].is_some(), "{method:?}");
    }
}

#[test]
fn empty_request() {
    for method in Method::ALL {
        let fused = fuse(&config(method, Normalization::MinMax), &Columns::new(0), true);
        assert_eq!(fused, Fused { scores: vec![], contributions: Some(vec![]) });
    }
}

#[test]
fn explain_off_gives_no_contributions() {
    for method in Method::ALL {
        let fused = fuse(&config(method, Normalization::MinMax), &fixture(), false);
        assert_eq!(fused.contributions, None);
        assert_eq!(fused.scores, fuse(&config(method, Normalization::MinMax), &fixture(), true).scores);
    }
}

#[test]
fn other_normalisations_feed_the_methods() {
    // z-score of Server [3, 1, 2]: mean 2, population std sqrt(((3-2)² + (1-2)² + (2-2)²) / 3)
    let std = ((1.0 + 1.0 + 0.0) / 3.0_f64).sqrt();
    let mut w = vec![0.0; Signal::COUNT];
    w[Signal::Server.index()] = 3.0;
    let cfg = FusionConfig {
        method: Method::CombSum,
        normalization: Normalization::ZScore,
        weights: w,
        ..Default::default()
    };
    let fused = fuse(&cfg, &fixture(), false);
    assert_scores(
        &fused.scores,
        &[Some(3.0 * (3.0 - 2.0) / std), Some(3.0 * (1.0 - 2.0) / std), Some(3.0 * (2.0 - 2.0) / std), None],
    );

    // CombMNZ with z-scores: only values > 0 count
    let cfg = FusionConfig { method: Method::CombMnz, ..cfg };
    let fused = fuse(&cfg, &fixture(), false);
    assert_scores(
        &fused.scores,
        &[Some(3.0 * (3.0 - 2.0) / std * 1.0), Some(3.0 * (1.0 - 2.0) / std * 0.0), Some(0.0), None],
    );
}

// ---------------------------------------------------------------- rules

#[test]
fn order_by_tier_presence_score_position() {
    let scores = [Some(0.5), None, Some(0.9), Some(0.5), Some(2.0), None, Some(-1.0)];
    let tiers = [0, 0, 0, 0, 1, 0];
    assert_eq!(order(&scores, &tiers, None), vec![2, 0, 3, 6, 1, 5, 4]);
    assert_eq!(order(&scores, &tiers, Some(3)), vec![2, 0, 3]);
    assert_eq!(order(&scores, &tiers, Some(0)), Vec::<usize>::new());
    assert_eq!(order(&scores, &tiers, Some(100)), order(&scores, &tiers, None));
    assert_eq!(order(&[], &[], Some(3)), Vec::<usize>::new());
    // tiers shorter than scores: tier 0
    assert_eq!(order(&[Some(1.0), Some(2.0)], &[1], None), vec![1, 0]);
}

#[test]
fn pins() {
    let mut ranked = vec![5, 4, 3, 2, 1];
    let flags = apply_pins(&mut ranked, &[(1, 0), (4, 3)]);
    assert_eq!(ranked, vec![1, 5, 3, 4, 2]);
    assert_eq!(flags, vec![true, false, false, true, false]);

    // same slot: pin order; duplicate position: first pin; beyond the end: appended in slot order
    let mut ranked = vec![10, 11, 12];
    let flags = apply_pins(&mut ranked, &[(12, 1), (7, 1), (12, 0), (8, 50), (9, 40)]);
    assert_eq!(ranked, vec![10, 12, 7, 11, 9, 8]);
    assert_eq!(flags, vec![false, true, true, false, true, true]);

    let mut ranked = vec![3, 2];
    assert_eq!(apply_pins(&mut ranked, &[]), vec![false, false]);
    assert_eq!(ranked, vec![3, 2]);

    let mut ranked = vec![];
    assert_eq!(apply_pins(&mut ranked, &[(4, 2)]), vec![true]);
    assert_eq!(ranked, vec![4]);
}

#[test]
fn mmr_trades_relevance_for_novelty() {
    // relevance scaled by min-max over the pool: (r - 0.2) / (1.0 - 0.2)
    let relevance = [1.0, 0.9, 0.6, 0.2];
    let rel = |p: usize| (f64::from(relevance[p]) - 0.2) / (1.0 - 0.2);
    let sims = [[1.0, 0.9, 0.1, 0.0], [0.9, 1.0, 0.2, 0.0], [0.1, 0.2, 1.0, 0.5], [0.0, 0.0, 0.5, 1.0]];
    let sim = |a: usize, b: usize| sims[a][b];
    let lambda = 0.5;
    let picked = mmr(&[0, 1, 2, 3], &relevance, &sim, lambda as f32, 3);
    // round 1: 0 (most relevant)
    // round 2: 1 -> λ·rel(1) - (1-λ)·0.9, 2 -> λ·rel(2) - (1-λ)·0.1, 3 -> λ·rel(3) - (1-λ)·0.0
    let m = |p: usize, s: f64| lambda * rel(p) - (1.0 - lambda) * s;
    assert!(m(2, 0.1) > m(1, 0.9) && m(2, 0.1) > m(3, 0.0));
    // round 3: 1 -> max(0.9, 0.2), 3 -> max(0.0, 0.5)
    assert!(m(1, 0.9) > m(3, 0.5));
    assert_eq!(picked, vec![0, 2, 1]);

    assert_eq!(mmr(&[3, 0, 1], &relevance, &sim, 1.0, 2), vec![3, 0]);
    assert_eq!(mmr(&[0, 1], &relevance, &sim, 0.5, 10), vec![0, 1]);
    assert_eq!(mmr(&[], &relevance, &sim, 0.5, 3), Vec::<usize>::new());
    // NaN lambda counts as 1 (sim is not called: position 9 has no row in `sims`)
    assert_eq!(mmr(&[9, 0], &relevance, &sim, f32::NAN, 2), vec![9, 0]);
    // a position without relevance counts as 0 (the only finite one scales to 1)
    assert_eq!(mmr(&[9, 2], &relevance, &sim, 0.5, 1), vec![2]);
}
