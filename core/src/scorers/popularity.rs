//! Popularity and trend prior (the "most popular" baseline every recommender paper reports, e.g.
//! Cremonesi et al. 2010): score(c) = (1 - trend_mix)·count(c) + trend_mix·trend(c). Known for every
//! catalog item, so it carries cold start.

use crate::model::Popularity;

/// The prior of each of the first `items` items, `(1 - trend_mix)·count + trend_mix·trend` (NaN where
/// not finite or where a column is short): computed once per model (the engine does it at load).
///
/// ```
/// use recofuse_core::model::Popularity;
/// use recofuse_core::scorers::{popularity_column, popularity_prior};
/// let p = Popularity { count: vec![2.0, 4.0].into(), trend: vec![1.0, 0.0].into() };
/// let prior = popularity_prior(&p, 0.5, 2);
/// assert_eq!(prior, [1.5, 2.0]);
/// let mut out = [0.0; 2];
/// popularity_column(&prior, &[Some(1), None], &mut out);
/// assert!(out[0] == 2.0 && out[1].is_nan());
/// ```
pub fn popularity_prior(p: &Popularity, trend_mix: f32, items: usize) -> Vec<f32> {
    let (count, trend) = (&p.count, &p.trend);
    (0..items)
        .map(|i| match (count.get(i), trend.get(i)) {
            (Some(&c), Some(&t)) => {
                let x = (1.0 - trend_mix) * c + trend_mix * t;
                if x.is_finite() {
                    x
                } else {
                    f32::NAN
                }
            }
            _ => f32::NAN,
        })
        .collect()
}

/// The popularity column: the prior of each known candidate, NaN for unknown ids.
pub fn popularity_column(prior: &[f32], candidates: &[Option<u32>], out: &mut [f32]) {
    for (o, c) in out.iter_mut().zip(candidates) {
        *o = c.and_then(|i| prior.get(i as usize).copied()).unwrap_or(f32::NAN);
    }
}
