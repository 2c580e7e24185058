//! Content / attribute affinity (content-based filtering, Pazzani & Billsus 2007): the history's
//! weighted category and brand distributions and its median price; score(c) =
//! 0.5·Σ_{cat ∈ c} aff(cat) + 0.3·aff(brand(c)) + 0.2·[price(c) within the price band], with the
//! weights renormalised over the attribute kinds the catalog actually has.

use super::{score_via_dense, Context, ProfileData, Scorer};
use crate::engine::Engine;
use crate::model::{Items, NONE};
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

/// The attributes of one item the content scorer reads, gathered at load into one record per item
/// (one memory access per candidate instead of four columns and a CSR row).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ItemAttrs {
    /// `categories.idx[cat_start..cat_end]` are the item's categories.
    cat_start: u32,
    cat_end: u32,
    /// Brand index or [`NONE`].
    brand: u32,
    /// Price, NaN when unknown.
    price: f32,
}

impl ItemAttrs {
    /// What an index outside the catalog reads: no category, no brand, no price.
    const MISSING: ItemAttrs = ItemAttrs { cat_start: 0, cat_end: 0, brand: NONE, price: f32::NAN };

    /// One record per item.
    pub(crate) fn of_items(items: &Items) -> Vec<ItemAttrs> {
        let ptr = &items.categories.ptr;
        (0..items.len())
            .map(|i| {
                let (a, b) = match (ptr.get(i), ptr.get(i + 1)) {
                    (Some(&a), Some(&b)) if a <= b => (a, b),
                    _ => (0, 0),
                };
                ItemAttrs {
                    cat_start: a,
                    cat_end: b,
                    brand: items.brand.get(i).copied().unwrap_or(NONE),
                    price: items.price_of(i).unwrap_or(f32::NAN),
                }
            })
            .collect()
    }
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
        score_via_dense(self, ctx, candidates, out);
    }

    fn score_dense(&self, ctx: &Context<'_>, candidates: &[Option<u32>], out: &mut [f32]) {
        out.fill(f32::NAN);
        let Some(cp) = ctx.profile.content.as_ref() else { return };
        let m = ctx.engine.model();
        let cat_idx: &[u32] = &m.items.categories.idx;
        let attrs = &ctx.engine.derived().attrs;
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
            let a = attrs.get(i).copied().unwrap_or(ItemAttrs::MISSING);
            let mut s = 0.0;
            if has_cat {
                let cats = cat_idx.get(a.cat_start as usize..a.cat_end as usize).unwrap_or(&[]);
                let x: f32 = cats.iter().filter_map(|&k| cp.categories.get(k as usize)).sum();
                s += W_CATEGORY * x;
            }
            if has_brand {
                s += W_BRAND * cp.brands.get(a.brand as usize).copied().unwrap_or(0.0);
            }
            if let Some(med) = cp.median_price {
                // An unknown price is NaN: the comparison is false. Branch-free (the outcome is
                // unpredictable); `s` is never -0.0, so adding +0.0 leaves it unchanged.
                s += if (a.price - med).abs() <= band * med.abs() { W_PRICE } else { 0.0 };
            }
            let x = s / total;
            *o = if x.is_finite() { x } else { f32::NAN };
        }
    }
}
