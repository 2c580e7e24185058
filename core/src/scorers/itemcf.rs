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

/// Copies accumulated values for known candidates (NaN for unknown ids and non-finite sums); all NaN
/// when there is no accumulator.
pub(super) fn fill_from(acc: Option<&Accumulator>, candidates: &[Option<u32>], out: &mut [f32]) {
    match acc {
        Some(acc) => {
            for (o, c) in out.iter_mut().zip(candidates) {
                *o = match *c {
                    Some(i) => {
                        let x = acc.get(i);
                        // A sum that overflowed is missing, like every non-finite score.
                        if x.is_finite() {
                            x
                        } else {
                            f32::NAN
                        }
                    }
                    None => f32::NAN,
                };
            }
        }
        None => out.fill(f32::NAN),
    }
}
