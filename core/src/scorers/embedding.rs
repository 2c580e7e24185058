//! Embedding similarity (the user-vector-as-mean-of-item-vectors scheme of content/embedding
//! recommenders, e.g. Barkan & Koenigstein 2016 "Item2Vec"): the user vector is the unit-length
//! weighted sum of the history items' vectors; score(c) = cosine(user, e_c).

use super::{Context, ProfileData, Scorer};
use crate::engine::Engine;
use crate::model::{quantize_i16, EmbeddingData};
use crate::signal::Signal;

/// Embedding scorer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Embedding;

pub(super) fn user_vector(engine: &Engine, p: &ProfileData) -> Option<Vec<f32>> {
    let e = engine.model().embeddings.as_ref()?;
    let norms = &engine.derived().embedding_norms;
    let mut u = vec![0f32; e.dim];
    let mut row = vec![0f32; e.dim];
    for &(h, w) in &p.weights {
        let n = norms.get(h as usize).copied().unwrap_or(0.0);
        if n > 0.0 && e.row_into(h as usize, &mut row) {
            let f = w / n;
            u.iter_mut().zip(&row).for_each(|(a, b)| *a += f * b);
        }
    }
    let norm = u.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !(norm > 0.0 && norm.is_finite()) {
        return None;
    }
    u.iter_mut().for_each(|x| *x /= norm);
    Some(u)
}

impl Scorer for Embedding {
    fn signal(&self) -> Signal {
        Signal::Embedding
    }

    fn score(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [Option<f32>]) {
        let (Some(e), Some(u)) = (ctx.engine.model().embeddings.as_ref(), ctx.profile.user_vector.as_ref()) else {
            return;
        };
        let norms = &ctx.engine.derived().embedding_norms;
        // int8 bundles with up to 512 dimensions: integer dot products against an i16 user vector.
        if let (EmbeddingData::I8 { .. }, true) = (&e.data, e.dim <= 512) {
            let (q, q_scale) = quantize_i16(u);
            for (o, c) in out.iter_mut().zip(candidates) {
                *o = c.and_then(|i| {
                    let n = *norms.get(i as usize)?;
                    let d = e.dot_i16(i as usize, &q)? * q_scale;
                    Some(if n > 0.0 { d / n } else { 0.0 })
                });
            }
            return;
        }
        for (o, c) in out.iter_mut().zip(candidates) {
            *o = c.and_then(|i| {
                let n = *norms.get(i as usize)?;
                let d = e.dot(i as usize, u)?;
                Some(if n > 0.0 { d / n } else { 0.0 })
            });
        }
    }
}
