//! User-based collaborative filtering without shipping any user (Resnick et al. 1994, with users
//! replaced by k-anonymous cluster prototypes as in cluster-based CF, Ungar & Foster 1998): the local
//! history vector is matched by cosine to the bundle's prototype users, and
//! score(c) = Σ_p sim_p · pref_p(c) over the `proto_neighbors` most similar prototypes.

use super::{score_via_dense, Accumulator, Context, ProfileData, Scorer};
use crate::engine::Engine;
use crate::signal::Signal;

/// User-based CF scorer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserCf;

pub(super) fn accumulate(engine: &Engine, p: &ProfileData) -> Option<Accumulator> {
    let protos = engine.model().prototypes.as_ref()?;
    let by_item = engine.derived().prototypes_by_item.as_ref()?;
    let norms = &engine.derived().prototype_norms;
    let mut dots = vec![0f32; protos.prefs.rows()];
    let mut hist_norm = 0f32;
    for &(h, w) in &p.weights {
        hist_norm += w * w;
        let (ps, prefs) = by_item.row(h as usize);
        for (&q, &x) in ps.iter().zip(prefs) {
            if let Some(d) = dots.get_mut(q as usize) {
                *d += w * x;
            }
        }
    }
    let hist_norm = hist_norm.sqrt();
    let mut sims: Vec<(u32, f32)> = dots
        .iter()
        .enumerate()
        .filter_map(|(q, &d)| {
            let n = norms.get(q).copied().unwrap_or(0.0) * hist_norm;
            (d > 0.0 && n > 0.0).then(|| (q as u32, d / n))
        })
        .collect();
    // Total order (the prototype index breaks ties).
    crate::sort::smallest_k_by(&mut sims, engine.model().scoring.proto_neighbors, |a, b| {
        b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
    });
    let mut acc = Accumulator::new(engine.len());
    for (q, s) in sims {
        let (idx, w) = protos.prefs.row(q as usize);
        for (&c, &x) in idx.iter().zip(w) {
            acc.add(c, s * x);
        }
    }
    Some(acc)
}

impl Scorer for UserCf {
    fn signal(&self) -> Signal {
        Signal::UserCf
    }

    fn score(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [Option<f32>]) {
        score_via_dense(self, ctx, candidates, out);
    }

    fn score_dense(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [f32]) {
        super::itemcf::fill_from(ctx.profile.usercf.as_ref(), candidates, out);
    }
}
