//! One candidate list's columns prepared once, fused under many configurations.

use std::borrow::Cow;

use super::{
    column_normalization, dense, fuse_prepared, is_active, rank_normalized, rank_order, score_map, Affine, Dense, Fused,
};
use crate::config::{FusionConfig, Method, Normalization};
use crate::signal::{Columns, Signal};

/// The columns of one candidate list, prepared once and fused under many configurations, with the
/// same `f32` bits as [`super::fuse`] for each (the same functions do the arithmetic).
///
/// [`super::fuse`] reads every column, computes its statistics and ranks anew for each call. A plan
/// keeps them: each column is read once per [`FusionPlan::load`], its normalisation map computed
/// once per normalisation, its rank order once (and not at all when the column is bit for bit the
/// one of the previous load, like a popularity column over the whole catalog), so that evaluating
/// every method and normalisation over many users, or tuning weights, costs the fusion arithmetic
/// only. A plan holds its buffers across loads: keep one per thread.
///
/// ```
/// use recofuse_core::fusion::{fuse, FusionPlan};
/// use recofuse_core::signal::Columns;
/// use recofuse_core::{FusionConfig, Method, Normalization, Signal};
///
/// let mut columns = Columns::new(3);
/// columns.column_mut(Signal::ItemCf).copy_from_slice(&[Some(0.2), Some(0.9), None]);
/// columns.column_mut(Signal::Server).copy_from_slice(&[Some(3.0), Some(1.0), Some(2.0)]);
///
/// let mut plan = FusionPlan::new();
/// plan.load(&columns, &Signal::ALL);
/// for method in Method::ALL {
///     let config = FusionConfig { method, normalization: Normalization::ZScore, ..Default::default() };
///     assert_eq!(plan.fuse(&config, true), fuse(&config, &columns, true));
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct FusionPlan {
    /// Candidates of the loaded list.
    len: usize,
    /// Per signal ([`Signal::ALL`] order): the loaded column, dense (NaN = absent), or empty when
    /// absent for every candidate or not loaded.
    values: Vec<Vec<f32>>,
    /// Per signal: the rank order of the loaded column, once computed.
    orders: Vec<Option<Vec<usize>>>,
    /// Per signal: the column and rank order of an earlier load, reused when a column is the same.
    previous: Vec<Option<(Vec<f32>, Vec<usize>)>>,
    /// Score-based normalisation maps computed for this load: (signal index, normalisation, map).
    maps: Vec<(usize, Normalization, Affine)>,
    /// Rank-based normalisations computed for this load: (signal index, normalisation, values).
    ranked: Vec<(usize, Normalization, Vec<f32>)>,
}

impl FusionPlan {
    /// An empty plan (nothing loaded: every column absent, no candidate).
    pub fn new() -> FusionPlan {
        FusionPlan::default()
    }

    /// Loads one candidate list: the columns of `signals` (a signal not in `signals` counts as absent
    /// for every candidate, as an all-`None` column does in [`super::fuse`]).
    pub fn load(&mut self, columns: &Columns, signals: &[Signal]) {
        let len = columns.len();
        self.len = len;
        self.values.resize_with(Signal::COUNT, Vec::new);
        self.orders.resize_with(Signal::COUNT, || None);
        self.previous.resize_with(Signal::COUNT, || None);
        for (s, (values, order)) in self.values.iter_mut().zip(self.orders.iter_mut()).enumerate() {
            // The previous load's rank order stays available while the column is compared.
            if let Some(o) = order.take() {
                if let (Some(slot), false) = (self.previous.get_mut(s), values.is_empty()) {
                    *slot = Some((std::mem::take(values), o));
                }
            }
            values.clear();
        }
        for &signal in signals {
            let Some(values) = self.values.get_mut(signal.index()) else { continue };
            let column = dense(columns.column(signal), len);
            // As in `fuse_dense`: a column without any present value is kept empty.
            if !column.iter().all(|x| x.is_nan()) {
                *values = column;
            }
        }
        self.maps.clear();
        self.ranked.clear();
    }

    /// The fused scores of the loaded columns under `config`: exactly
    /// `fuse(config, columns, explain)` for the columns given to [`FusionPlan::load`].
    pub fn fuse(&mut self, config: &FusionConfig, explain: bool) -> Fused {
        let kind = column_normalization(config);
        let ranks = matches!(config.method, Method::Rrf | Method::Borda)
            || matches!(kind, Normalization::Rank | Normalization::Borda);
        let active: Vec<Signal> = Signal::ALL.into_iter().filter(|&s| is_active(config.weight(s))).collect();
        // Everything the columns need, computed once per load.
        for &s in &active {
            self.prepare(s.index(), kind, ranks);
        }
        let cols: Vec<Dense<'_>> = active.iter().map(|&s| self.column(s, config.weight(s), kind)).collect();
        let order = |c: &Dense<'_>| -> Cow<'_, [usize]> {
            match self.orders.get(c.signal.index()).and_then(Option::as_ref) {
                Some(o) => Cow::Borrowed(o),
                None => Cow::Owned(rank_order(&c.values)),
            }
        };
        fuse_prepared(config, &cols, self.len, explain, &order)
    }

    /// Computes what column `s` needs under normalisation `kind` (and its rank order when `ranks`:
    /// for the rank-based methods and normalisations), unless done for this load.
    fn prepare(&mut self, s: usize, kind: Normalization, ranks: bool) {
        let Some(values) = self.values.get(s) else { return };
        if ranks && self.orders.get(s).is_some_and(Option::is_none) {
            let reused = match self.previous.get_mut(s).and_then(Option::take) {
                Some((prev, order)) if same_bits(&prev, values) => Some(order),
                _ => None,
            };
            let order = reused.unwrap_or_else(|| rank_order(values));
            if let Some(slot) = self.orders.get_mut(s) {
                *slot = Some(order);
            }
        }
        let done =
            self.maps.iter().any(|m| (m.0, m.1) == (s, kind)) || self.ranked.iter().any(|m| (m.0, m.1) == (s, kind));
        if done {
            return;
        }
        match score_map(kind, values) {
            Some(map) => self.maps.push((s, kind, map)),
            None => {
                let order = self.orders.get(s).and_then(Option::as_deref).unwrap_or(&[]);
                self.ranked.push((s, kind, rank_normalized(kind, order, values.len())));
            }
        }
    }

    /// Column `s` prepared for a method: its values (or its rank-based normalisation) and map.
    fn column(&self, signal: Signal, weight: f32, kind: Normalization) -> Dense<'_> {
        let s = signal.index();
        let w = f64::from(weight);
        if let Some((_, _, values)) = self.ranked.iter().find(|m| (m.0, m.1) == (s, kind)) {
            return Dense { signal, w, values: Cow::Borrowed(values), map: Affine::IDENTITY };
        }
        let map = self.maps.iter().find(|m| (m.0, m.1) == (s, kind)).map_or(Affine::IDENTITY, |m| m.2);
        let values = self.values.get(s).map_or(&[][..], Vec::as_slice);
        Dense { signal, w, values: Cow::Borrowed(values), map }
    }
}

/// Whether two columns hold the same values, bit for bit.
fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}
