//! Content / attribute affinity (content-based filtering, Pazzani & Billsus 2007): the history's
//! weighted category and brand distributions, its median price and its TF-IDF text profile (Salton &
//! Buckley 1988: the decayed sum of the history items' TF-IDF vectors); score(c) =
//! w_cat·Σ_{cat ∈ c} aff(cat) + w_brand·aff(brand(c)) + w_price·[price(c) within the price band] +
//! w_text·cos(text profile, tfidf(c)), the weights from
//! [`ScoringConfig::content_weights`](crate::ScoringConfig::content_weights), renormalised over the parts
//! the catalog and the history actually have.

use crate::config::ScoringConfig;
use crate::model::{Items, NONE};

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

/// The attributes of one item the content scorer reads, gathered once per model into one record per
/// item (one memory access per candidate instead of four columns and a CSR row): see
/// [`ItemAttrs::of_items`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ItemAttrs {
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

    /// One record per item of the catalog.
    pub fn of_items(items: &Items) -> Vec<ItemAttrs> {
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

/// The content profile of a history: its `weights` ([`crate::history::Digest::weights`]) spread over
/// the items' categories, brands and TF-IDF terms, each normalised, and the median price; `None` when
/// the history items have none of these.
pub fn content_profile(items: &Items, weights: &[(u32, f32)]) -> Option<ContentProfile> {
    let mut cats = vec![0f32; items.category_names.len()];
    let mut brands = vec![0f32; items.brand_names.len()];
    let mut prices = Vec::new();
    let mut terms = vec![0f32; if items.terms.rows() > 0 { items.term_names.len() } else { 0 }];
    for &(h, w) in weights {
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

/// The content column of each known candidate (NaN for unknown ids, and for every candidate when
/// the scoring weights leave no part the catalog and the history both have): `items` the catalog,
/// `attrs` its [`ItemAttrs::of_items`], `scoring` the content weights and price band, `profile` the
/// history's [`content_profile`].
#[inline]
pub fn content_column(
    items: &Items,
    attrs: &[ItemAttrs],
    scoring: &ScoringConfig,
    profile: &ContentProfile,
    candidates: &[Option<u32>],
    out: &mut [f32],
) {
    fill_content(&ContentInputs { items, attrs, scoring, profile }, candidates, out);
}

/// The model parts and profile [`content_column`] reads, passed by one reference: with them in
/// registers the per-candidate loop has fewer registers left for its own values (measured: two more
/// instructions per candidate, `scripts/rerank-instructions.sh`).
struct ContentInputs<'a> {
    items: &'a Items,
    attrs: &'a [ItemAttrs],
    scoring: &'a ScoringConfig,
    profile: &'a ContentProfile,
}

// Not inlined into the pipeline: on its own, the per-candidate loop keeps more of its invariants in
// registers (fewer instructions per rerank, see docs/benchmarks.md).
#[inline(never)]
fn fill_content(inputs: &ContentInputs<'_>, candidates: &[Option<u32>], out: &mut [f32]) {
    let ContentInputs { items, attrs, scoring, profile } = *inputs;
    out.fill(f32::NAN);
    let cp = profile;
    let cat_idx: &[u32] = &items.categories.idx;
    let band = scoring.price_band;
    let [w_cat, w_brand, w_price, w_text] = scoring.content_weights;
    let has_cat = !cp.categories.is_empty() && w_cat > 0.0;
    let has_brand = !cp.brands.is_empty() && w_brand > 0.0;
    let median = cp.median_price.filter(|_| w_price > 0.0);
    let has_text = !cp.terms.is_empty() && w_text > 0.0;
    let total = if has_cat { w_cat } else { 0.0 }
        + if has_brand { w_brand } else { 0.0 }
        + if median.is_some() { w_price } else { 0.0 }
        + if has_text { w_text } else { 0.0 };
    if !(total > 0.0 && total.is_finite()) {
        return;
    }
    // Loop invariants taken once, as slices and values (through the `Vec`s and the profile the
    // loop would reload them for every candidate). The brand and price parts are branch-free:
    // a part the request does not use adds +0.0 (weight 0, or a NaN median whose comparison is
    // false), and `s` is never -0.0, so the sum is the same as skipping it.
    let (categories, brands): (&[f32], &[f32]) = (&cp.categories, &cp.brands);
    let brand_w = if has_brand { w_brand } else { 0.0 };
    let med = median.unwrap_or(f32::NAN);
    let within = band * med.abs();
    for (o, c) in out.iter_mut().zip(candidates) {
        let Some(i) = c.map(|i| i as usize) else { continue };
        let a = attrs.get(i).copied().unwrap_or(ItemAttrs::MISSING);
        let mut s = 0.0;
        if has_cat {
            let cats = cat_idx.get(a.cat_start as usize..a.cat_end as usize).unwrap_or(&[]);
            let x: f32 = cats.iter().filter_map(|&k| categories.get(k as usize)).sum();
            s += w_cat * x;
        }
        s += brand_w * brands.get(a.brand as usize).copied().unwrap_or(0.0);
        // An unknown price is NaN: the comparison is false (the outcome is unpredictable).
        s += if (a.price - med).abs() <= within { w_price } else { 0.0 };
        if has_text {
            let (idx, tw) = items.terms.row(i);
            let dot: f32 = idx.iter().zip(tw).filter_map(|(&t, &x)| cp.terms.get(t as usize).map(|p| p * x)).sum();
            s += w_text * dot;
        }
        let x = s / total;
        *o = if x.is_finite() { x } else { f32::NAN };
    }
}
