//! Stacking with a logistic meta-model.

use super::{contributions, dense_of, scores_from, sum_terms, Dense, Fused, FusionInput};
use crate::config::Stacking;
use crate::signal::Signal;

/// Stacked generalisation (Wolpert, *Stacked generalization*, Neural Networks 5(2), 1992): a
/// level-1 model trained (offline, by cross-validation) on the outputs of the level-0 models, here a
/// logistic regression over the normalised columns plus one "signal present" flag per column:
///
/// `score = z = bias + Σ_s coef_s · x_s + Σ_s present_coef_s · [s present]`, with `x_s = 0` when
/// column `s` is absent, so only present columns add terms. The score is the logit `z`, rank
/// equivalent to the probability `σ(z)`.
///
/// The fusion weights are not multipliers here (the coefficients are); a column of weight 0 is
/// treated as absent (no `x_s`, flag 0). A candidate with no present column gets `None` rather than
/// the bare `bias`. Coefficients missing from short vectors (which
/// [`crate::FusionConfig::validate`] rejects) count as 0.
///
/// Contributions: `coef_s · x_s + present_coef_s` per present column; they sum to `score - bias`.
///
/// ```
/// use recofuse_core::config::Stacking;
/// use recofuse_core::fusion::{stacking, FusionInput};
/// use recofuse_core::Signal;
///
/// let a = [Some(0.5), None];
/// let b = [Some(1.0), Some(0.25)];
/// let inputs = [
///     FusionInput { signal: Signal::ItemCf, weight: 1.0, values: &a },
///     FusionInput { signal: Signal::Server, weight: 1.0, values: &b },
/// ];
/// let mut model = Stacking { bias: -1.0, coef: vec![0.0; Signal::COUNT], present_coef: vec![0.0; Signal::COUNT] };
/// model.coef[Signal::ItemCf.index()] = 2.0;
/// model.coef[Signal::Server.index()] = 4.0;
/// model.present_coef[Signal::ItemCf.index()] = 0.5;
/// let fused = stacking(&inputs, 2, &model, false);
/// assert_eq!(fused.scores, vec![Some(-1.0 + 2.0 * 0.5 + 0.5 + 4.0 * 1.0), Some(-1.0 + 4.0 * 0.25)]);
/// ```
pub fn stacking(inputs: &[FusionInput<'_>], len: usize, model: &Stacking, explain: bool) -> Fused {
    stacking_dense(&dense_of(inputs, len), len, model, explain)
}

/// [`stacking`] of prepared columns.
pub(crate) fn stacking_dense(cols: &[Dense], len: usize, model: &Stacking, explain: bool) -> Fused {
    let bias = if model.bias.is_finite() { f64::from(model.bias) } else { 0.0 };
    let (coef, present_coef) = (coefficients(&model.coef), coefficients(&model.present_coef));
    let ab = |c: &Dense| {
        let s = c.signal.index();
        (coef.get(s).copied().unwrap_or(0.0), present_coef.get(s).copied().unwrap_or(0.0))
    };
    let (sum, count) = sum_terms(cols, len, ab);
    let scores = scores_from(&sum, &count, |_, s, _| bias + s);
    let contributions = explain.then(|| {
        contributions(cols, len, |_, c, y| {
            let (a, b) = ab(c);
            a * y + b
        })
    });
    Fused { scores, contributions }
}

/// One coefficient per signal in `f64`; missing or non-finite ones are 0.
fn coefficients(v: &[f32]) -> [f64; Signal::COUNT] {
    let mut out = [0.0; Signal::COUNT];
    for (o, x) in out.iter_mut().zip(v) {
        if x.is_finite() {
            *o = f64::from(*x);
        }
    }
    out
}
