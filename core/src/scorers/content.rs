//! Content / attribute affinity (content-based filtering, Pazzani & Billsus 2007): the history's
//! weighted category and brand distributions and its median price; score(c) =
//! 0.5·Σ_{cat ∈ c} aff(cat) + 0.3·aff(brand(c)) + 0.2·[price(c) within the price band], with the
//! weights renormalised over the attribute kinds the catalog actually has.

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
}

const W_CATEGORY: f32 = 0.5;
const W_BRAND: f32 = 0.3;
const W_PRICE: f32 = 0.2;

pub(super) fn profile(engine: &Engine, p: &ProfileData) -> Option<ContentProfile> {
    let items = &engine.model().items;
    let mut cats = vec![0f32; items.category_names.len()];
    let mut brands = vec![0f32; items.brand_names.len()];
    let mut prices = Vec::new();
    for &(h, w) in &p.weights {
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
    crate::sort::sort_by(&mut prices, f32::total_cmp);
    let median_price = prices.get(prices.len() / 2).copied();
    if cats.is_empty() && brands.is_empty() && median_price.is_none() {
        return None;
    }
    Some(ContentProfile { categories: cats, brands, median_price })
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
        let has_cat = !cp.categories.is_empty();
        let has_brand = !cp.brands.is_empty();
        let total = if has_cat { W_CATEGORY } else { 0.0 }
            + if has_brand { W_BRAND } else { 0.0 }
            + if cp.median_price.is_some() { W_PRICE } else { 0.0 };
        if total <= 0.0 {
            return;
        }
        for (o, c) in out.iter_mut().zip(candidates) {
            let Some(i) = c.map(|i| i as usize) else { continue };
            let mut s = 0.0;
            if has_cat {
                let a: f32 = items.categories.row(i).0.iter().filter_map(|&k| cp.categories.get(k as usize)).sum();
                s += W_CATEGORY * a;
            }
            if has_brand {
                let b = items.brand.get(i).copied().unwrap_or(NONE);
                s += W_BRAND * cp.brands.get(b as usize).copied().unwrap_or(0.0);
            }
            if let (Some(med), Some(pr)) = (cp.median_price, items.price_of(i)) {
                if (pr - med).abs() <= band * med.abs() {
                    s += W_PRICE;
                }
            }
            *o = Some(s / total);
        }
    }
}
