//! The deep sequential model's column: the user vector of [`crate::neural::NeuralModel`] over the most
//! recent known history items (oldest first, repeats kept, the last `max_len`), dotted with each
//! candidate's item embedding (SASRec's shared input/output embedding, Kang & McAuley 2018).

use super::{Context, Scorer};
use crate::engine::Engine;
use crate::history::History;
use crate::signal::Signal;

/// Deep-model scorer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Neural;

/// The user vector of `history` (`None` without a neural model or without a known history item).
pub(super) fn user_vector(engine: &Engine, history: &History) -> Option<Vec<f32>> {
    let m = engine.model().neural.as_ref()?;
    let mut seq: Vec<u32> = Vec::with_capacity(history.len().min(m.max_len));
    // Newest first, stopping once `max_len` known items are found, then back to oldest first.
    for e in history.events().rev() {
        if seq.len() >= m.max_len {
            break;
        }
        if let Some(i) = engine.item_index(&e.item) {
            seq.push(i);
        }
    }
    seq.reverse();
    m.user_vector(&seq)
}

impl Scorer for Neural {
    fn signal(&self) -> Signal {
        Signal::Neural
    }

    fn score(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [Option<f32>]) {
        let (Some(m), Some(u)) = (ctx.engine.model().neural.as_ref(), ctx.profile.neural.as_ref()) else {
            return;
        };
        for (o, c) in out.iter_mut().zip(candidates) {
            *o = c.and_then(|i| m.score(u, i));
        }
    }
}
