//! Content / attribute affinity (content-based filtering, Pazzani & Billsus 2007): the history's
//! weighted category and brand distributions, its median price and its TF-IDF text profile (Salton &
//! Buckley 1988: the decayed sum of the history items' TF-IDF vectors); score(c) =
//! w_cat·Σ_{cat ∈ c} aff(cat) + w_brand·aff(brand(c)) + w_price·[price(c) within the price band] +
//! w_text·cos(text profile, tfidf(c)), the weights from
//! [`ScoringConfig::content_weights`](crate::ScoringConfig::content_weights), renormalised over the parts
//! the catalog and the history actually have.

use super::{Context, ProfileData, Scorer};
use crate::engine::Engine;
use crate::model::NONE;
use crate::signal::Signal;

/// Content scorer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Content;

/// The attribute profile of a history.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContentProfile {
    /// Affinity per category index (sums to 1 when any history item has a category).
    pub categories: Vec<f32>,
    /// Affinity per brand index (sums to 1 when any history item has a brand).
    pub brands: Vec<f32>,
    /// Median price of the history items with a known price.
    pub median_price: Option<f32>,
    /// Text profile per term index (L2-normalised), empty when no history item has text.
    pub terms: Vec<f32>,
}

pub(super) fn profile(engine: &Engine, p: &ProfileData) -> Option<ContentProfile> {
    let items = &engine.model().items;
    let mut cats = vec![0f32; items.category_names.len()];
    let mut brands = vec![0f32; items.brand_names.len()];
    let mut prices = Vec::new();
    let mut terms = vec![0f32; if items.terms.rows() > 0 { items.term_names.len() } else { 0 }];
    for &(h, w) in &p.weights {
        if !terms.is_empty() {
            let (idx, tw) = items.terms.row(h as usize);
            for (&t, &x) in idx.iter().zip(tw) {
                if let Some(a) = terms.get_mut(t as usize) {
                    *a += w * x;
                }
            }
        }
        for &c in items.categories.row(h as usize).0 {
            if let Some(a) = cats.get_mut(c as usize) {
                *a += w;
            }
        }
        if let Some(a) = items.brand.get(h as usize).and_then(|&b| brands.get_mut(b as usize)) {
            *a += w;
        }
        if let Some(pr) = items.price_of(h as usize) {
            prices.push(pr);
        }
    }
    let normalise = |v: &mut Vec<f32>| {
        let s: f32 = v.iter().sum();
        if s > 0.0 {
            v.iter_mut().for_each(|x| *x /= s);
        } else {
            v.clear();
        }
    };
    normalise(&mut cats);
    normalise(&mut brands);
    let norm = terms.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        terms.iter_mut().for_each(|x| *x /= norm);
    } else {
        terms.clear();
    }
    crate::sort::sort_by(&mut prices, f32::total_cmp);
    let median_price = prices.get(prices.len() / 2).copied();
    if cats.is_empty() && brands.is_empty() && median_price.is_none() && terms.is_empty() {
        return None;
    }
    Some(ContentProfile { categories: cats, brands, median_price, terms })
}

impl Scorer for Content {
    fn signal(&self) -> Signal {
        Signal::Content
    }

    fn score(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [Option<f32>]) {
        let Some(cp) = ctx.profile.content.as_ref() else { return };
        let m = ctx.engine.model();
        let items = &m.items;
        let band = m.scoring.price_band;
        let [w_cat, w_brand, w_price, w_text] = m.scoring.content_weights;
        let has_cat = !cp.categories.is_empty() && w_cat > 0.0;
        let has_brand = !cp.brands.is_empty() && w_brand > 0.0;
        let has_price = cp.median_price.is_some() && w_price > 0.0;
        let has_text = !cp.terms.is_empty() && w_text > 0.0;
        let total = if has_cat { w_cat } else { 0.0 }
            + if has_brand { w_brand } else { 0.0 }
            + if has_price { w_price } else { 0.0 }
            + if has_text { w_text } else { 0.0 };
        if !(total > 0.0 && total.is_finite()) {
            return;
        }
        for (o, c) in out.iter_mut().zip(candidates) {
            let Some(i) = c.map(|i| i as usize) else { continue };
            let mut s = 0.0;
            if has_cat {
                let a: f32 = items.categories.row(i).0.iter().filter_map(|&k| cp.categories.get(k as usize)).sum();
                s += w_cat * a;
            }
            if has_brand {
                let b = items.brand.get(i).copied().unwrap_or(NONE);
                s += w_brand * cp.brands.get(b as usize).copied().unwrap_or(0.0);
            }
            if let (true, Some(med), Some(pr)) = (has_price, cp.median_price, items.price_of(i)) {
                if (pr - med).abs() <= band * med.abs() {
                    s += w_price;
                }
            }
            if has_text {
                let (idx, tw) = items.terms.row(i);
                let dot: f32 = idx.iter().zip(tw).filter_map(|(&t, &x)| cp.terms.get(t as usize).map(|p| p * x)).sum();
                s += w_text * dot;
            }
            *o = Some(s / total);
        }
    }
}
