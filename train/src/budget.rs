//! Bytes chosen by measurement (issue 15): what a bundle keeps per item, and the size/quality frontier.
//!
//! A bundle's per-item bytes are mostly item-CF neighbours, transitions, the embedding matrix and the
//! catalog's text terms. [`Keep`] bounds each section (top entries by weight per row, the leading
//! embedding dimensions, which are the leading eigenvectors of `crate::fit::eigen` and so the ones that
//! carry the most). [`frontier`] walks from the unconstrained model towards the smallest one, one notch
//! of one knob at a time, each time taking the notch that costs the least validation NDCG@10 per byte
//! saved; the points of that walk are the frontier, and `recofuse train --bytes-per-item N` ships the
//! first point that fits `N` (the walk never looks at test targets).

use rayon::prelude::*;
use recofuse_core::model::{Csr, EmbeddingData, Embeddings};
use recofuse_core::{Engine, Event, FusionConfig, History, Model};
use serde::Serialize;

use crate::data::Interaction;
use crate::error::{Result, TrainError};
use crate::metrics::{self, Sums};
use crate::split::Target;

/// What a bundle keeps of each per-item section; `None` keeps the section as fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Keep {
    /// Item-CF neighbours kept per item (the largest weights); 0 drops the section.
    pub neighbours: Option<usize>,
    /// Transitions kept per item (the largest weights); 0 drops the section.
    pub transitions: Option<usize>,
    /// Embedding dimensions kept (the leading ones); 0 drops the section.
    pub embedding_dim: Option<usize>,
    /// Text terms kept per item (the largest weights); 0 keeps none.
    pub terms: Option<usize>,
}

/// The notches of each knob the frontier walk steps through (after "as fitted").
const NEIGHBOURS: [usize; 9] = [100, 50, 30, 20, 10, 5, 3, 1, 0];
const TRANSITIONS: [usize; 8] = [50, 20, 10, 5, 3, 2, 1, 0];
const DIMS: [usize; 6] = [32, 16, 8, 4, 2, 0];
const TERMS: [usize; 6] = [20, 10, 5, 2, 1, 0];

impl Keep {
    /// Keeps everything.
    pub const ALL: Keep = Keep { neighbours: None, transitions: None, embedding_dim: None, terms: None };

    /// A short label such as `nb 20, tr 5, dim 16, terms all`.
    pub fn label(&self) -> String {
        let f = |x: Option<usize>| x.map_or_else(|| "all".to_string(), |k| k.to_string());
        format!(
            "nb {}, tr {}, dim {}, terms {}",
            f(self.neighbours),
            f(self.transitions),
            f(self.embedding_dim),
            f(self.terms)
        )
    }

    /// The settings one notch smaller on one knob each (knobs already at 0 are skipped).
    ///
    /// ```
    /// use recofuse_train::budget::Keep;
    /// let next = Keep::ALL.next_notches();
    /// assert_eq!(next[0], Keep { neighbours: Some(100), ..Keep::ALL });
    /// assert_eq!(next[0].label(), "nb 100, tr all, dim all, terms all");
    /// ```
    pub fn next_notches(&self) -> Vec<Keep> {
        fn step(cur: Option<usize>, notches: &[usize]) -> Option<Option<usize>> {
            match cur {
                None => notches.first().map(|&k| Some(k)),
                Some(k) => notches.iter().find(|&&x| x < k).map(|&x| Some(x)),
            }
        }
        let mut out = Vec::new();
        if let Some(v) = step(self.neighbours, &NEIGHBOURS) {
            out.push(Keep { neighbours: v, ..*self });
        }
        if let Some(v) = step(self.transitions, &TRANSITIONS) {
            out.push(Keep { transitions: v, ..*self });
        }
        if let Some(v) = step(self.embedding_dim, &DIMS) {
            out.push(Keep { embedding_dim: v, ..*self });
        }
        if let Some(v) = step(self.terms, &TERMS) {
            out.push(Keep { terms: v, ..*self });
        }
        out
    }
}

/// Each row's `k` largest-weight entries (ties: the earlier entry), in their original order.
///
/// ```
/// use recofuse_core::model::Csr;
/// use recofuse_train::budget::top_per_row;
/// let c = Csr::from_rows(&[vec![(4, 0.1), (2, 0.9), (7, 0.5)]]);
/// assert_eq!(top_per_row(&c, 2).row(0), (&[2, 7][..], &[0.9, 0.5][..]));
/// ```
pub fn top_per_row(csr: &Csr, k: usize) -> Csr {
    let rows: Vec<Vec<(u32, f32)>> = (0..csr.rows())
        .map(|r| {
            let (idx, w) = csr.row(r);
            if idx.len() <= k {
                return idx.iter().zip(w).map(|(&i, &x)| (i, x)).collect();
            }
            let mut order: Vec<usize> = (0..idx.len()).collect();
            order.sort_by(|&a, &b| w[b].total_cmp(&w[a]).then(a.cmp(&b)));
            order.truncate(k);
            order.sort_unstable();
            order.into_iter().map(|p| (idx[p], w[p])).collect()
        })
        .collect();
    Csr::from_rows(&rows)
}

/// The leading `d` dimensions of embeddings (int8 stays int8, requantised per row; f16 becomes f32).
pub fn leading_dims(e: &Embeddings, d: usize) -> Embeddings {
    if d >= e.dim {
        return e.clone();
    }
    let n = match &e.data {
        EmbeddingData::F32(t) => t.len(),
        EmbeddingData::F16(t) => t.len(),
        EmbeddingData::I8 { values, .. } => values.len(),
    } / e.dim.max(1);
    let mut row = vec![0f32; e.dim];
    let mut out = Vec::with_capacity(n * d);
    for i in 0..n {
        if !e.row_into(i, &mut row) {
            row.iter_mut().for_each(|x| *x = 0.0);
        }
        out.extend_from_slice(&row[..d]);
    }
    let f = Embeddings { dim: d, data: EmbeddingData::F32(out.into()) };
    match e.data {
        EmbeddingData::I8 { .. } => crate::fit::quantize_i8(&f),
        _ => f,
    }
}

/// A copy of `model` bounded by `keep`.
pub fn apply(model: &Model, keep: &Keep) -> Model {
    let mut m = model.clone();
    match keep.neighbours {
        Some(0) => m.item_cf = None,
        Some(k) => m.item_cf = m.item_cf.as_ref().map(|c| top_per_row(c, k)),
        None => {}
    }
    match keep.transitions {
        Some(0) => m.transitions = None,
        Some(k) => m.transitions = m.transitions.as_ref().map(|c| top_per_row(c, k)),
        None => {}
    }
    match keep.embedding_dim {
        Some(0) => m.embeddings = None,
        Some(d) => m.embeddings = m.embeddings.as_ref().map(|e| leading_dims(e, d)),
        None => {}
    }
    if let Some(k) = keep.terms {
        if m.items.terms.rows() > 0 {
            m.items.terms = top_per_row(&m.items.terms, k);
        }
    }
    m
}

/// Encoded size of a model: (raw bytes, gzip -9 bytes).
pub fn sizes(model: &Model) -> Result<(usize, usize)> {
    use std::io::Write;
    let bytes = recofuse_core::bundle::encode(model, &Default::default())?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes).map_err(|e| TrainError::Invalid(format!("gzip: {e}")))?;
    let g = gz.finish().map_err(|e| TrainError::Invalid(format!("gzip: {e}")))?.len();
    Ok((bytes.len(), g))
}

/// NDCG@10 of `fusion` over `targets`: each user's history is `seqs[user]`, the full catalog is ranked
/// with the history excluded, as `crate::pipeline::evaluate` does.
pub fn ndcg10(
    model: &Model,
    fusion: &FusionConfig,
    seqs: &[Vec<Interaction>],
    ids: &[String],
    targets: &[Target],
) -> Result<f64> {
    let mut model = model.clone();
    model.fusion = fusion.clone();
    let cap = model.scoring.history_capacity;
    let engine = Engine::new(model)?;
    let n = ids.len();
    let all: Vec<Option<u32>> = (0..n as u32).map(Some).collect();
    let sums = targets
        .par_iter()
        .map(|t| -> Result<Sums> {
            let seq = seqs.get(t.user as usize).map_or(&[][..], |s| s.as_slice());
            let mut h = History::new(cap.max(seq.len()).max(1));
            for e in seq {
                if let Some(id) = ids.get(e.item as usize) {
                    let _ = h.push(Event::new(id.clone(), e.kind, e.ts.max(0.0)));
                }
            }
            let profile = engine.profile(&h, t.event.ts);
            let cols = engine.columns(&profile, &all, None)?;
            let fused = recofuse_core::fusion::fuse(fusion, &cols, false);
            let mut mask = vec![false; n];
            for e in seq {
                if let Some(m) = mask.get_mut(e.item as usize) {
                    *m = true;
                }
            }
            let mut s = Sums::default();
            s.add(metrics::rank_masked(&fused.scores, t.event.item as usize, &mask));
            Ok(s)
        })
        .try_reduce(Sums::default, |mut a, b| {
            a.merge(&b);
            Ok(a)
        })?;
    Ok(sums.ndcg10())
}

/// One point of the frontier walk.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// What is kept.
    pub keep: Keep,
    /// Its label ([`Keep::label`]).
    pub label: String,
    /// Bundle bytes per item of the shipped model (fit on the whole log) so bounded, raw.
    pub bytes_per_item: f64,
    /// The same, gzip -9.
    pub gzip_per_item: f64,
    /// Validation NDCG@10 (models fit on the training part).
    pub valid_ndcg10: f64,
    /// Test NDCG@10 (models fit on train + validation), when measured.
    pub test_ndcg10: Option<f64>,
}

/// The inputs of a frontier walk: the three fits of the protocol and their targets.
pub struct Fits<'a> {
    /// Models fit on the training part (validation targets are scored with it).
    pub train: &'a Model,
    /// Training sequences (the validation users' histories).
    pub train_seqs: &'a [Vec<Interaction>],
    /// Validation targets the walk is steered by.
    pub valid: &'a [Target],
    /// The model that ships (fit on the whole log): its sizes are the bytes per item.
    pub shipped: &'a Model,
    /// The fusion configuration (the default method's).
    pub fusion: &'a FusionConfig,
    /// Item ids.
    pub ids: &'a [String],
}

/// Walks from [`Keep::ALL`] down, greedily, taking at each step the one-notch reduction with the
/// smallest validation NDCG@10 loss per byte saved (a gain counts as no loss: the larger saving wins),
/// until every knob is at its smallest notch or the model is under `floor` bytes per item. Returns the
/// points in walk order (sizes non-increasing).
pub fn walk(f: &Fits<'_>, floor: f64, note: &dyn Fn(&str)) -> Result<Vec<Point>> {
    let items = f.ids.len().max(1) as f64;
    let size = |keep: &Keep| -> Result<(f64, f64)> {
        let (raw, gz) = sizes(&apply(f.shipped, keep))?;
        Ok((raw as f64 / items, gz as f64 / items))
    };
    let point = |keep: Keep, (raw, gz): (f64, f64)| -> Result<Point> {
        let valid = ndcg10(&apply(f.train, &keep), f.fusion, f.train_seqs, f.ids, f.valid)?;
        Ok(Point {
            keep,
            label: keep.label(),
            bytes_per_item: raw,
            gzip_per_item: gz,
            valid_ndcg10: valid,
            test_ndcg10: None,
        })
    };
    let mut cur = point(Keep::ALL, size(&Keep::ALL)?)?;
    note(&format!("{}: {:.0} B/item, validation NDCG@10 {:.4}", cur.label, cur.bytes_per_item, cur.valid_ndcg10));
    let mut out = vec![cur.clone()];
    'walk: while cur.bytes_per_item > floor {
        let mut best: Option<(f64, Point)> = None;
        for k in cur.keep.next_notches() {
            let s = size(&k)?;
            if s.0 >= cur.bytes_per_item {
                // This notch changes nothing here (rows already that short, or no such section): take it
                // silently and look again from there.
                cur.keep = k;
                cur.label = k.label();
                continue 'walk;
            }
            let p = point(k, s)?;
            let cost = (cur.valid_ndcg10 - p.valid_ndcg10).max(0.0) / (cur.bytes_per_item - p.bytes_per_item);
            let better = match &best {
                None => true,
                Some((c, b)) => cost < *c || (cost == *c && p.bytes_per_item < b.bytes_per_item),
            };
            if better {
                best = Some((cost, p));
            }
        }
        let Some((_, p)) = best else { break };
        note(&format!("{}: {:.0} B/item, validation NDCG@10 {:.4}", p.label, p.bytes_per_item, p.valid_ndcg10));
        out.push(p.clone());
        cur = p;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_per_row_keeps_the_largest_weights_in_order() {
        let c = Csr::from_rows(&[vec![(4, 0.1), (2, 0.9), (7, 0.5), (1, 0.9)], vec![(3, 1.0)], vec![]]);
        let t = top_per_row(&c, 2);
        assert_eq!(t.row(0), (&[2, 1][..], &[0.9, 0.9][..]));
        assert_eq!(t.row(1), (&[3][..], &[1.0][..]));
        assert_eq!(t.rows(), 3);
        assert_eq!(top_per_row(&c, 0).idx.len(), 0);
    }

    #[test]
    fn leading_dims_keeps_the_leading_columns() {
        let e = Embeddings { dim: 3, data: EmbeddingData::F32(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0].into()) };
        let t = leading_dims(&e, 2);
        assert_eq!(t.dim, 2);
        let mut r = [0f32; 2];
        assert!(t.row_into(1, &mut r));
        assert_eq!(r, [4.0, 5.0]);
        let q = leading_dims(&crate::fit::quantize_i8(&e), 1);
        assert!(matches!(q.data, EmbeddingData::I8 { .. }));
        let mut r = [0f32; 1];
        assert!(q.row_into(0, &mut r));
        assert!((r[0] - 1.0).abs() < 0.02, "{r:?}");
    }

    #[test]
    fn notches_shrink_one_knob_at_a_time_and_end() {
        let mut k = Keep::ALL;
        let mut steps = 0;
        while let Some(n) = k.next_notches().into_iter().next() {
            k = n;
            steps += 1;
            assert!(steps < 100);
        }
        assert_eq!(k, Keep { neighbours: Some(0), transitions: Some(0), embedding_dim: Some(0), terms: Some(0) });
        assert_eq!(Keep::ALL.next_notches().len(), 4);
    }

    #[test]
    fn apply_shrinks_the_encoded_bundle() {
        let m = recofuse_testkit::catalog(300, 3);
        let (full, _) = sizes(&m).unwrap();
        let small =
            apply(&m, &Keep { neighbours: Some(1), transitions: Some(1), embedding_dim: Some(0), terms: Some(0) });
        let (raw, gz) = sizes(&small).unwrap();
        assert!(raw < full, "{raw} < {full}");
        assert!(gz < raw);
        assert!(small.embeddings.is_none());
        assert!(
            recofuse_core::bundle::decode(recofuse_core::bundle::encode(&small, &Default::default()).unwrap()).is_ok()
        );
    }
}
