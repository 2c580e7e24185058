//! Popularity and trend prior (the "most popular" baseline every recommender paper reports, e.g.
//! Cremonesi et al. 2010): score(c) = (1 - trend_mix)·count(c) + trend_mix·trend(c). Known for every
//! catalog item, so it carries cold start.

use super::{Context, Scorer};
use crate::signal::Signal;

/// Popularity scorer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PopularityPrior;

impl Scorer for PopularityPrior {
    fn signal(&self) -> Signal {
        Signal::Popularity
    }

    fn score(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [Option<f32>]) {
        let m = ctx.engine.model();
        let mix = m.scoring.trend_mix;
        let (count, trend) = (&m.popularity.count, &m.popularity.trend);
        for (o, c) in out.iter_mut().zip(candidates) {
            *o = c.and_then(|i| {
                let i = i as usize;
                Some((1.0 - mix) * count.get(i)? + mix * trend.get(i)?)
            });
        }
    }
}
