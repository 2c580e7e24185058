//! Item-based collaborative filtering (Sarwar et al. 2001; Deshpande & Karypis 2004, "Item-based
//! top-N recommendation algorithms"): score(c) = Σ_h w_h · sim(h, c), summed over the history items h
//! with their event-type weight and time decay, `sim` from the bundle's top-K neighbour lists.

use super::{score_via_dense, Accumulator, Context, ProfileData, Scorer};
use crate::engine::Engine;
use crate::signal::Signal;

/// Item-based CF scorer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ItemCf;

pub(super) fn accumulate(engine: &Engine, p: &ProfileData) -> Option<Accumulator> {
    let cf = engine.model().item_cf.as_ref()?;
    let mut acc = Accumulator::new(engine.len());
    for &(h, w) in &p.weights {
        let (idx, sims) = cf.row(h as usize);
        for (&c, &s) in idx.iter().zip(sims) {
            acc.add(c, w * s);
        }
    }
    Some(acc)
}

impl Scorer for ItemCf {
    fn signal(&self) -> Signal {
        Signal::ItemCf
    }

    fn score(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [Option<f32>]) {
        score_via_dense(self, ctx, candidates, out);
    }

    fn score_dense(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [f32]) {
        fill_from(ctx.profile.itemcf.as_ref(), candidates, out);
    }
}

/// A sum that overflowed is missing, like every non-finite score.
#[inline]
fn finite_or_nan(x: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        f32::NAN
    }
}

/// [`fill_from`] of three accumulators in one pass over the candidates (item-CF, sequential and
/// user-CF read the same candidate once instead of three times): the same three columns.
pub(super) fn fill_three(accs: [&Accumulator; 3], candidates: &[Option<u32>]) -> [Vec<f32>; 3] {
    let n = candidates.len();
    let mut out = [vec![f32::NAN; n], vec![f32::NAN; n], vec![f32::NAN; n]];
    // The usual case, no sum that stopped being finite: copied without a test per value.
    if accs.iter().all(|a| a.all_finite()) {
        copy_three(accs, candidates, &mut out, |x| x);
    } else {
        copy_three(accs, candidates, &mut out, finite_or_nan);
    }
    out
}

/// The loop of [`fill_three`], `keep` applied to each value copied.
#[inline(always)]
fn copy_three(accs: [&Accumulator; 3], candidates: &[Option<u32>], out: &mut [Vec<f32>; 3], keep: impl Fn(f32) -> f32) {
    let [o0, o1, o2] = out;
    // The values as slices, taken once (see `Accumulator::values`).
    let [a0, a1, a2] = accs.map(Accumulator::values);
    for (((c, x0), x1), x2) in candidates.iter().zip(o0.iter_mut()).zip(o1.iter_mut()).zip(o2.iter_mut()) {
        if let Some(i) = *c {
            (*x0, *x1, *x2) = (keep(value_at(a0, i)), keep(value_at(a1, i)), keep(value_at(a2, i)));
        }
    }
}

/// The accumulated value of item `i` in `values` (0 when out of range), as `Accumulator::get`.
#[inline]
fn value_at(values: &[f32], i: u32) -> f32 {
    values.get(i as usize).copied().unwrap_or(0.0)
}

/// Copies accumulated values for known candidates (NaN for unknown ids and non-finite sums); all NaN
/// when there is no accumulator.
pub(super) fn fill_from(acc: Option<&Accumulator>, candidates: &[Option<u32>], out: &mut [f32]) {
    match acc {
        Some(acc) => {
            let values = acc.values();
            for (o, c) in out.iter_mut().zip(candidates) {
                *o = match *c {
                    Some(i) => finite_or_nan(value_at(values, i)),
                    None => f32::NAN,
                };
            }
        }
        None => out.fill(f32::NAN),
    }
}
