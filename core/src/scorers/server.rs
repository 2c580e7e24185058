//! The server's own score, passed in by the page: one more input column. NaN or infinite entries are
//! treated as missing for that candidate (documented recovery, never an error or a silent 0.0).

use super::{Context, Scorer};
use crate::signal::Signal;

/// Server score column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerScore;

impl Scorer for ServerScore {
    fn signal(&self) -> Signal {
        Signal::Server
    }

    fn score(&self, ctx: &Context<'_>, _candidates: &[Option<u32>], out: &mut [Option<f32>]) {
        if let Some(s) = ctx.server_scores {
            for (o, &x) in out.iter_mut().zip(s) {
                *o = x.is_finite().then_some(x);
            }
        }
    }
}
