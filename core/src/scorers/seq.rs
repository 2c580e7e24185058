//! Sequential item-to-item transitions, the sequential variant of item-based CF (a first-order
//! Markov chain over the most recent items, as in Rendle et al. 2010 "Factorizing personalized Markov
//! chains", and the recency-weighted session kNN family, Ludewig & Jannach 2018):
//! score(c) = Σ_j decay^j · T[r_j][c] over the most recent distinct items r_0 (newest), r_1, ….

use super::{score_via_dense, Accumulator, Context, ProfileData, Scorer};
use crate::engine::Engine;
use crate::signal::Signal;

/// Sequential transitions scorer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sequential;

pub(super) fn accumulate(engine: &Engine, p: &ProfileData) -> Option<Accumulator> {
    let t = engine.model().transitions.as_ref()?;
    let decay = engine.model().scoring.seq_step_decay;
    let mut acc = Accumulator::new(engine.len());
    let mut f = 1.0f32;
    for &r in &p.recent {
        let (idx, w) = t.row(r as usize);
        for (&c, &x) in idx.iter().zip(w) {
            acc.add(c, f * x);
        }
        f *= decay;
    }
    Some(acc)
}

impl Scorer for Sequential {
    fn signal(&self) -> Signal {
        Signal::Seq
    }

    fn score(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [Option<f32>]) {
        score_via_dense(self, ctx, candidates, out);
    }

    fn score_dense(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [f32]) {
        super::itemcf::fill_from(ctx.profile.seq.as_ref(), candidates, out);
    }
}
