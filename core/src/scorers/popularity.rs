//! Popularity and trend prior (the "most popular" baseline every recommender paper reports, e.g.
//! Cremonesi et al. 2010): score(c) = (1 - trend_mix)·count(c) + trend_mix·trend(c). Known for every
//! catalog item, so it carries cold start.

use super::{score_via_dense, Context, Scorer};
use crate::model::Model;
use crate::signal::Signal;

/// Popularity scorer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PopularityPrior;

impl Scorer for PopularityPrior {
    fn signal(&self) -> Signal {
        Signal::Popularity
    }

    fn score(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [Option<f32>]) {
        score_via_dense(self, ctx, candidates, out);
    }

    fn score_dense(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [f32]) {
        // The per-item prior is computed once at load (`prior`), since it depends on the model only.
        // As a slice, taken once (through the `Vec`, its pointer and length would be reloaded for
        // every candidate).
        let prior: &[f32] = &ctx.engine.derived().popularity;
        for (o, c) in out.iter_mut().zip(candidates) {
            *o = c.and_then(|i| prior.get(i as usize).copied()).unwrap_or(f32::NAN);
        }
    }
}

/// The prior of every item, `(1 - trend_mix)·count + trend_mix·trend` (NaN where not finite or where
/// a column is short), computed once when the engine is built.
pub(crate) fn prior(m: &Model) -> Vec<f32> {
    let mix = m.scoring.trend_mix;
    let (count, trend) = (&m.popularity.count, &m.popularity.trend);
    (0..m.items.len())
        .map(|i| match (count.get(i), trend.get(i)) {
            (Some(&c), Some(&t)) => {
                let x = (1.0 - mix) * c + mix * t;
                if x.is_finite() {
                    x
                } else {
                    f32::NAN
                }
            }
            _ => f32::NAN,
        })
        .collect()
}
