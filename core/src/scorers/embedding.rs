//! Embedding similarity (the user-vector-as-mean-of-item-vectors scheme of content/embedding
//! recommenders, e.g. Barkan & Koenigstein 2016 "Item2Vec"): the user vector is the unit-length
//! weighted sum of the history items' vectors; score(c) = cosine(user, e_c).

use crate::model::{dot_i8_i16, quantize_i16, EmbeddingData, Embeddings};

/// The L2 norm of the first `items` rows of `e` (0 for a row that cannot be read).
pub fn embedding_norms(e: &Embeddings, items: usize) -> Vec<f32> {
    let mut row = vec![0f32; e.dim];
    (0..items)
        .map(|i| if e.row_into(i, &mut row) { row.iter().map(|x| x * x).sum::<f32>().sqrt() } else { 0.0 })
        .collect()
}

/// The user vector: the history items' unit-length vectors (`norms` from [`embedding_norms`]) summed
/// with the history `weights`, scaled to unit length; `None` when it is zero or not finite.
///
/// ```
/// use recofuse_core::model::{EmbeddingData, Embeddings};
/// use recofuse_core::scorers::{embedding_column, embedding_norms, embedding_user_vector};
/// let e = Embeddings { dim: 2, data: EmbeddingData::F32(vec![3.0, 4.0, 0.0, 2.0].into()) };
/// let norms = embedding_norms(&e, 2);
/// let u = embedding_user_vector(&e, &norms, &[(0, 1.0)]).unwrap();
/// assert_eq!(u, [0.6, 0.8]);
/// let mut out = [0.0; 3];
/// embedding_column(&e, &norms, &u, None, &[Some(1), Some(0), None], &mut out);
/// assert!((out[0] - 0.8).abs() < 1e-6 && (out[1] - 1.0).abs() < 1e-6 && out[2].is_nan());
/// ```
pub fn embedding_user_vector(e: &Embeddings, norms: &[f32], weights: &[(u32, f32)]) -> Option<Vec<f32>> {
    let mut u = vec![0f32; e.dim];
    let mut row = vec![0f32; e.dim];
    for &(h, w) in weights {
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

/// The i16 quantisation of the user vector `u` that [`embedding_column`] uses with int8 embeddings of
/// up to 512 dimensions (`None` otherwise): computed once per profile rather than once per rerank.
pub fn quantized_user_vector(e: &Embeddings, u: &[f32]) -> Option<(Vec<i16>, f32)> {
    match &e.data {
        EmbeddingData::I8 { .. } if e.dim <= 512 => Some(quantize_i16(u)),
        _ => None,
    }
}

/// The embedding column: `cos(u, e_c) = (u · e_c) / |e_c|` for each known candidate (`u` unit-length,
/// from [`embedding_user_vector`]; 0 for a zero row), NaN for unknown ids and non-finite values. With
/// int8 embeddings of up to 512 dimensions the dot products are integer ones against `quantized`
/// ([`quantized_user_vector`] of `u`, computed here when `None`).
// Not inlined into the pipeline: on its own, the per-candidate loop keeps more of its invariants in
// registers (fewer instructions per rerank, see docs/benchmarks.md).
#[inline(never)]
pub fn embedding_column(
    e: &Embeddings,
    norms: &[f32],
    u: &[f32],
    quantized: Option<(&[i16], f32)>,
    candidates: &[Option<u32>],
    out: &mut [f32],
) {
    let finite = |x: f32| if x.is_finite() { x } else { f32::NAN };
    // int8 bundles with up to 512 dimensions: integer dot products against an i16 user vector
    // (quantised once per profile).
    if let (EmbeddingData::I8 { values, scales }, true) = (&e.data, e.dim <= 512) {
        // The slices once (each tensor access otherwise checks whether it is in place).
        let (values, scales, d): (&[i8], &[f32], usize) = (values, scales, e.dim);
        let computed;
        let (q, q_scale): (&[i16], f32) = match quantized {
            Some(q) => q,
            None => {
                computed = quantize_i16(u);
                (&computed.0, computed.1)
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
