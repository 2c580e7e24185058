//! The server's own score, passed in by the page: one more input column. NaN or infinite entries are
//! treated as missing for that candidate (documented recovery, never an error or a silent 0.0).

use super::{score_via_dense, Context, Scorer};
use crate::signal::Signal;

/// Server score column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerScore;

impl Scorer for ServerScore {
    fn signal(&self) -> Signal {
        Signal::Server
    }

    fn score(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [Option<f32>]) {
        score_via_dense(self, ctx, candidates, out);
    }

    fn score_dense(&self, ctx: &Context<'_>, _candidates: &[Option<u32>], out: &mut [f32]) {
        let s = ctx.server_scores.unwrap_or(&[]);
        for (o, x) in out.iter_mut().zip(s.iter().copied().chain(std::iter::repeat(f32::NAN))) {
            *o = if x.is_finite() { x } else { f32::NAN };
        }
    }
}
