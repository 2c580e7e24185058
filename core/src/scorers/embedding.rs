//! Embedding similarity (the user-vector-as-mean-of-item-vectors scheme of content/embedding
//! recommenders, e.g. Barkan & Koenigstein 2016 "Item2Vec"): the user vector is the unit-length
//! weighted sum of the history items' vectors; score(c) = cosine(user, e_c).

use super::{score_via_dense, Context, ProfileData, Scorer};
use crate::engine::Engine;
use crate::model::{dot_i8_i16, quantize_i16, EmbeddingData};
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

/// The i16 quantisation of the user vector when the embeddings are int8 (what the scorer uses).
pub(super) fn quantized(engine: &Engine, u: Option<&[f32]>) -> Option<(Vec<i16>, f32)> {
    let e = engine.model().embeddings.as_ref()?;
    match (&e.data, u) {
        (EmbeddingData::I8 { .. }, Some(u)) if e.dim <= 512 => Some(quantize_i16(u)),
        _ => None,
    }
}

impl Scorer for Embedding {
    fn signal(&self) -> Signal {
        Signal::Embedding
    }

    fn score(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [Option<f32>]) {
        score_via_dense(self, ctx, candidates, out);
    }

    // Not inlined into the pipeline: on its own, the per-candidate loop keeps more of its invariants
    // in registers (fewer instructions per rerank, see docs/benchmarks.md).
    #[inline(never)]
    fn score_dense(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [f32]) {
        let (Some(e), Some(u)) = (ctx.engine.model().embeddings.as_ref(), ctx.profile.user_vector.as_ref()) else {
            out.fill(f32::NAN);
            return;
        };
        // Slices taken once: through the `Vec`s, their pointers and lengths would be reloaded for
        // every candidate (the compiler cannot tell that writing `out` leaves them unchanged).
        let norms: &[f32] = &ctx.engine.derived().embedding_norms;
        let finite = |x: f32| if x.is_finite() { x } else { f32::NAN };
        // int8 bundles with up to 512 dimensions: integer dot products against an i16 user vector
        // (quantised once per profile).
        if let (EmbeddingData::I8 { values, scales }, true) = (&e.data, e.dim <= 512) {
            // The slices once (each tensor access otherwise checks whether it is in place).
            let (values, scales, d): (&[i8], &[f32], usize) = (values, scales, e.dim);
            let quantized;
            let (q, q_scale): (&[i16], f32) = match &ctx.profile.user_vector_i16 {
                Some((q, s)) => (q, *s),
                None => {
                    quantized = quantize_i16(u);
                    (&quantized.0, quantized.1)
                }
            };
            for (o, c) in out.iter_mut().zip(candidates) {
                *o = c
                    .and_then(|i| {
                        let i = i as usize;
                        let n = *norms.get(i)?;
                        let start = i.checked_mul(d)?;
                        let row = values.get(start..start.checked_add(d)?)?;
                        // `Embeddings::dot_i16`, times the vector's scale.
                        let d = dot_i8_i16(row, q) as f32 * *scales.get(i)? * q_scale;
                        Some(if n > 0.0 { d / n } else { 0.0 })
                    })
                    .map_or(f32::NAN, finite);
            }
            return;
        }
        for (o, c) in out.iter_mut().zip(candidates) {
            *o = c
                .and_then(|i| {
                    let n = *norms.get(i as usize)?;
                    let d = e.dot(i as usize, u)?;
                    Some(if n > 0.0 { d / n } else { 0.0 })
                })
                .map_or(f32::NAN, finite);
        }
    }
}
