//! A deep model with random weights.

use recofuse_core::neural::{NeuralBlock, NeuralModel};
use recofuse_core::Tensor;

use crate::SplitMix64;

/// A model of the given sizes with random weights drawn from `seed` (for tests, benchmarks and
/// demos: its scores mean nothing).
///
/// ```
/// let m = recofuse_testkit::random_neural(100, 16, 2, 2, 10, 32, 7);
/// m.validate(100).unwrap();
/// let u = m.user_vector(&[3, 5, 8]).unwrap();
/// assert_eq!(u.len(), 16);
/// assert!(m.score(&u, 99).is_some() && m.score(&u, 100).is_none());
/// ```
pub fn random_neural(
    items: usize,
    dim: usize,
    heads: usize,
    layers: usize,
    max_len: usize,
    ffn_dim: usize,
    seed: u64,
) -> NeuralModel {
    let mut rng = SplitMix64::new(seed);
    let mut r = |n: usize, scale: f32| -> Tensor<f32> {
        (0..n).map(|_| (rng.next_f32() * 2.0 - 1.0) * scale).collect::<Vec<f32>>().into()
    };
    let (d, f) = (dim, ffn_dim);
    let w = 1.0 / (d.max(1) as f32).sqrt();
    let blocks = (0..layers)
        .map(|_| NeuralBlock {
            ln1_w: r(d, 0.1).iter().map(|x| 1.0 + x).collect::<Vec<f32>>().into(),
            ln1_b: r(d, 0.1),
            wq: r(d * d, w),
            bq: r(d, 0.1),
            wk: r(d * d, w),
            bk: r(d, 0.1),
            wv: r(d * d, w),
            bv: r(d, 0.1),
            wo: r(d * d, w),
            bo: r(d, 0.1),
            ln2_w: r(d, 0.1).iter().map(|x| 1.0 + x).collect::<Vec<f32>>().into(),
            ln2_b: r(d, 0.1),
            w1: r(d * f, w),
            b1: r(f, 0.1),
            w2: r(f * d, 1.0 / (f.max(1) as f32).sqrt()),
            b2: r(d, 0.1),
        })
        .collect();
    NeuralModel {
        dim,
        heads,
        max_len,
        ffn_dim,
        item_emb: r(items * d, w),
        pos_emb: r(max_len * d, 0.1),
        blocks,
        ln_w: r(d, 0.1).iter().map(|x| 1.0 + x).collect::<Vec<f32>>().into(),
        ln_b: r(d, 0.1),
    }
}
