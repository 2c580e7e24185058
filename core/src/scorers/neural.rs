//! The deep sequential model's column: the user vector of [`crate::neural::NeuralModel`] over the most
//! recent known history items (oldest first, repeats kept, the last `max_len`), dotted with each
//! candidate's item embedding (SASRec's shared input/output embedding, Kang & McAuley 2018).

use crate::neural::NeuralModel;

/// The neural column: `model.score(u, c)` for each known candidate (`u` from
/// [`NeuralModel::user_vector`]), NaN for unknown ids and non-finite scores.
pub fn neural_column(model: &NeuralModel, u: &[f32], candidates: &[Option<u32>], out: &mut [f32]) {
    for (o, c) in out.iter_mut().zip(candidates) {
        *o = c.and_then(|i| model.score(u, i)).filter(|x| x.is_finite()).unwrap_or(f32::NAN);
    }
}
