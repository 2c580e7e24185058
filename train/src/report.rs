//! Human-readable renderings of the evaluation report, and the engine's JSON of the values a report
//! holds (the configurations are mapped to JSON once, by the engine).

use std::fmt::Write as _;

use recofuse_core::json::ToJson;
use serde::Serialize as _;

use crate::metrics::Metrics;
use crate::pipeline::Report;

/// The engine's JSON of `x` (its own mapping, e.g. of the fusion and scoring configurations) as a
/// `serde_json` value.
pub fn engine_json<T: ToJson + ?Sized>(x: &T) -> serde_json::Value {
    serde_json::from_str(&x.to_json()).unwrap_or(serde_json::Value::Null)
}

/// `#[serde(serialize_with = "...")]` of a field the engine maps to JSON: [`engine_json`].
pub fn serialize_engine_json<T: ToJson, S: serde::Serializer>(x: &T, s: S) -> Result<S::Ok, S::Error> {
    engine_json(x).serialize(s)
}

fn row(out: &mut String, name: &str, m: &Metrics, mark: bool) {
    let _ = writeln!(
        out,
        "| {}{} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.2} | {:.2} |",
        name,
        if mark { " (default)" } else { "" },
        m.ndcg10,
        m.hr10,
        m.mrr10,
        m.ndcg20,
        m.hr20,
        m.coverage10,
        m.precision10,
        m.f1_10,
        m.fit_s,
        m.score_s
    );
}

/// The report as Markdown tables.
pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {}: {} users, {} items, {} interactions, {} test users\n",
        r.dataset, r.users, r.items, r.interactions, r.test_users
    );
    let _ = writeln!(out, "Protocol: {}.\n", r.protocol);
    let head = "| | NDCG@10 | HR@10 | MRR@10 | NDCG@20 | HR@20 | coverage@10 | P@10 | F1@10 | fit s | score s |\n|---|---|---|---|---|---|---|---|---|---|---|";
    let _ = writeln!(out, "## Single models (test)\n\n{head}");
    for (k, m) in &r.models {
        row(&mut out, k, m, false);
    }
    let _ = writeln!(out, "\n## Fusion (test)\n\n{head}");
    for (k, m) in &r.fusion {
        row(&mut out, k, m, *k == r.default);
    }
    let _ = writeln!(
        out,
        "\n## Fusion learning (validation, {} targets, {}-fold CV)\n",
        r.fusion_learning.users, r.fusion_learning.folds
    );
    let _ = writeln!(out, "| normalisation | held-out NDCG@10 mean | std |\n|---|---|---|");
    for c in &r.fusion_learning.cv {
        let _ = writeln!(out, "| {} | {:.4} | {:.4} |", c.normalization, c.mean_ndcg, c.std_ndcg);
    }
    let _ = writeln!(
        out,
        "\nChosen normalisation: {}. Weighted-average weights across folds (mean ± std):\n",
        r.fusion_learning.normalization
    );
    for (k, (m, s)) in &r.fusion_learning.weight_mean_std {
        let _ = writeln!(out, "- {k}: {m:.3} ± {s:.3}");
    }
    let _ = writeln!(out, "\n| method | validation NDCG@10 | weights |\n|---|---|---|");
    for (k, v) in &r.fusion_learning.valid_ndcg {
        let w = r.fusion_configs.get(k).map(|c| {
            recofuse_core::Signal::ALL
                .iter()
                .zip(&c.weights)
                .filter(|(_, w)| **w > 0.0)
                .map(|(s, w)| format!("{} {w}", s.name()))
                .collect::<Vec<_>>()
                .join(", ")
        });
        let _ = writeln!(out, "| {k} | {v:.4} | {} |", w.unwrap_or_default());
    }
    if !r.significance.is_empty() {
        let _ = writeln!(
            out,
            "\n## Significance (test, paired bootstrap over users)\n\n| comparison | against | NDCG@10 difference | relative | 95 % interval | share of resamples not better |\n|---|---|---|---|---|---|"
        );
        for c in &r.significance {
            let _ = writeln!(
                out,
                "| {} - {} | {} | {:+.4} | {:+.1} % | [{:+.4}, {:+.4}] | {:.3} |",
                c.a,
                c.b,
                c.role,
                c.diff,
                100.0 * c.rel,
                c.lo,
                c.hi,
                c.p_not_better
            );
        }
        if let Some(c) = r.significance.first() {
            let _ = writeln!(
                out,
                "\n{} users resampled with replacement {} times (fixed seed); an interval that excludes 0 is a \
                 difference beyond noise at the 95 % level.",
                c.users, c.resamples
            );
        }
    }
    if let Some(replay) = &r.ab_replay {
        out.push_str(&crate::ab::replay_markdown(replay));
    }
    let _ = writeln!(
        out,
        "\n## Tuned models (validation sample of {} users; dense scorers on {} of them)\n",
        r.tuning.sample_users, r.tuning.dense_sample_users
    );
    for (k, v) in &r.tuning.valid_ndcg {
        let _ = writeln!(out, "- {k}: NDCG@10 {v:.4}; {}", r.tuning.params.get(k).cloned().unwrap_or_default());
    }
    let steps: Vec<String> = r.tuning.seconds.iter().map(|(k, v)| format!("{k} {v:.1} s")).collect();
    let _ = writeln!(out, "\nTuning time per step: {}.", steps.join(", "));
    if let Some(rt) = &r.rating {
        let _ = writeln!(
            out,
            "\nRating predictor (biased baseline): MAE {:.4}, RMSE {:.4}",
            rt.get("mae").copied().unwrap_or(0.0),
            rt.get("rmse").copied().unwrap_or(0.0)
        );
    }
    if let Some(n) = &r.neural {
        let curve: Vec<String> = n.valid_ndcg.iter().map(|(e, v)| format!("{e}: {v:.4}")).collect();
        let _ = writeln!(
            out,
            "\n## Deep model (`neural`)\n\nFit on the training part: {} epochs of {} positions ({} sequences), \
             {:.1} s per epoch, {:.1} s in all; weights of epoch {} kept (validation NDCG@10 per evaluated \
             epoch: {}).",
            n.epochs,
            n.positions,
            n.sequences,
            n.epoch_s,
            n.total_s,
            n.best_epoch,
            if curve.is_empty() { "none".to_string() } else { curve.join(", ") }
        );
        if let [a, b] = n.half_best_epochs[..] {
            let _ = writeln!(
                out,
                "\nCross-fit for fusion learning: epoch {a} chosen on one half of the evaluated users, {b} on \
                 the other; each half's validation columns come from the other half's choice."
            );
        }
        if let Some(rf) = &r.neural_refit {
            let _ = writeln!(
                out,
                "\nRefit on train + validation for {} epochs ({:.1} s): the model that scored test.",
                rf.epochs, rf.total_s
            );
        }
    }
    let _ = writeln!(out, "\nTotal wall time: {:.1} s", r.total_s);
    out
}

/// A short summary for the terminal.
pub fn summary(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} users, {} items, {} test users, {:.1} s",
        r.dataset, r.users, r.items, r.test_users, r.total_s
    );
    for (k, m) in &r.models {
        let _ = writeln!(out, "  model  {k:<11} NDCG@10 {:.4}  HR@10 {:.4}", m.ndcg10, m.hr10);
    }
    for (k, m) in &r.fusion {
        let _ = writeln!(
            out,
            "  fusion {k:<11} NDCG@10 {:.4}  HR@10 {:.4}{}",
            m.ndcg10,
            m.hr10,
            if *k == r.default { "  (default)" } else { "" }
        );
    }
    out
}
