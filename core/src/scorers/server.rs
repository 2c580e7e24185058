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
        // Candidates beyond the scores passed (the pipeline rejects a length mismatch before; a
        // direct caller may pass fewer) have none. Two plain loops, which vectorise.
        let s = ctx.server_scores.unwrap_or(&[]);
        let (scored, rest) = out.split_at_mut(s.len().min(out.len()));
        for (o, &x) in scored.iter_mut().zip(s) {
            *o = if x.is_finite() { x } else { f32::NAN };
        }
        rest.fill(f32::NAN);
    }
}
