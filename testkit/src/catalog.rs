//! A small generated catalog with every section filled, for examples, tests, benchmarks and the demo
//! bundle. Deterministic for a given seed (a [`SplitMix64`] stream; the engine itself never draws
//! randomness).

use recofuse_core::config::{FusionConfig, ScoringConfig};
use recofuse_core::model::{Csr, EmbeddingData, Embeddings, Items, Model, Popularity, Prototypes, StringTable};

use crate::SplitMix64;

const CATEGORIES: [&str; 8] = ["Shoes", "Bags", "Jackets", "Watches", "Hats", "Scarves", "Shirts", "Belts"];
const BRANDS: [&str; 12] =
    ["Acme", "Borealis", "Cobalt", "Dune", "Ember", "Fjord", "Gale", "Harbor", "Iris", "Juniper", "Kestrel", "Lumen"];

/// Shape of a generated catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSpec {
    /// Number of items.
    pub items: usize,
    /// Embedding dimension (0 = no embeddings).
    pub dim: usize,
    /// Item-item neighbours per item (0 = no item CF section).
    pub neighbors: usize,
    /// Transitions per item (0 = no transitions section).
    pub transitions: usize,
    /// Number of prototype users (0 = no prototypes section).
    pub prototypes: usize,
    /// Seed of the generator.
    pub seed: u64,
}

impl Default for DemoSpec {
    fn default() -> Self {
        DemoSpec { items: 500, dim: 32, neighbors: 20, transitions: 5, prototypes: 8, seed: 7 }
    }
}

/// The category of demo item `i` (items are striped over the 8 categories).
pub fn category_of(i: usize) -> usize {
    i % CATEGORIES.len()
}

/// A generated catalog of `n_items` items (ids `item-0`, `item-1`, …) with the default [`DemoSpec`].
///
/// ```
/// let m = recofuse_testkit::catalog(100, 1);
/// assert_eq!(m.items.len(), 100);
/// assert_eq!(m.items.ids.get(5), Some("item-5"));
/// assert!(m.item_cf.is_some() && m.embeddings.is_some() && m.prototypes.is_some());
/// ```
pub fn catalog(n_items: usize, seed: u64) -> Model {
    generate(&DemoSpec { items: n_items, seed, ..DemoSpec::default() })
}

/// A generated catalog of any [`DemoSpec`]. Items of the same category are similar: their embeddings
/// share a category direction, their neighbours and transitions stay mostly within the category, and
/// each prototype prefers one category's popular items.
pub fn generate(spec: &DemoSpec) -> Model {
    let n = spec.items;
    let mut rng = SplitMix64::new(spec.seed);
    let ncat = CATEGORIES.len();
    let by_cat: Vec<Vec<usize>> = (0..ncat).map(|c| (0..n).filter(|&i| category_of(i) == c).collect()).collect();

    // Popularity: Zipf-like over a random permutation of the catalog.
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        perm.swap(i, rng.below(i + 1));
    }
    let mut count = vec![0f32; n];
    let mut trend = vec![0f32; n];
    for (rank, &i) in perm.iter().enumerate() {
        count[i] = (1000.0 / (rank as f32 + 1.0)).ln_1p();
        trend[i] = count[i] * rng.next_f32();
    }

    let mut flags = vec![0u8; n];
    let mut price = vec![0f32; n];
    let mut brand = vec![0u32; n];
    let mut cat_rows = Vec::with_capacity(n);
    for i in 0..n {
        let in_stock = rng.next_f32() < 0.9;
        flags[i] = if in_stock { Items::FLAG_IN_STOCK } else { 0 } | Items::FLAG_PRICE;
        price[i] = (10.0 + 20.0 * category_of(i) as f32 + 40.0 * rng.next_f32()).round();
        brand[i] = rng.below(BRANDS.len()) as u32;
        cat_rows.push(vec![(category_of(i) as u32, 1.0)]);
    }
    let mut categories = Csr::from_rows(&cat_rows);
    categories.w = Vec::new().into();

    // Embeddings: category direction + noise, int8-quantised per row.
    let embeddings = (spec.dim > 0).then(|| {
        let d = spec.dim;
        let dirs: Vec<Vec<f32>> = (0..ncat).map(|_| (0..d).map(|_| rng.next_f32() * 2.0 - 1.0).collect()).collect();
        let mut values = Vec::with_capacity(n * d);
        let mut scales = Vec::with_capacity(n);
        for i in 0..n {
            let row: Vec<f32> = dirs[category_of(i)].iter().map(|&x| x + 0.6 * (rng.next_f32() * 2.0 - 1.0)).collect();
            let max = row.iter().fold(0f32, |m, x| m.max(x.abs())).max(1e-6);
            let scale = max / 127.0;
            values.extend(row.iter().map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8));
            scales.push(scale);
        }
        Embeddings { dim: d, data: EmbeddingData::I8 { values: values.into(), scales: scales.into() } }
    });

    let neighbours = |rng: &mut SplitMix64, k: usize| -> Option<Csr> {
        if k == 0 || n < 2 {
            return None;
        }
        let rows: Vec<Vec<(u32, f32)>> = (0..n)
            .map(|i| {
                let same = &by_cat[category_of(i)];
                let mut row: Vec<(u32, f32)> = Vec::with_capacity(k);
                for _ in 0..k * 2 {
                    if row.len() >= k {
                        break;
                    }
                    let j = if rng.next_f32() < 0.85 && same.len() > 1 {
                        same[rng.below(same.len())]
                    } else {
                        rng.below(n)
                    };
                    if j != i && !row.iter().any(|&(c, _)| c as usize == j) {
                        row.push((j as u32, 0.05 + 0.95 * rng.next_f32()));
                    }
                }
                row.sort_by(|a, b| b.1.total_cmp(&a.1));
                row
            })
            .collect();
        Some(Csr::from_rows(&rows))
    };
    let item_cf = neighbours(&mut rng, spec.neighbors);
    let transitions = neighbours(&mut rng, spec.transitions);

    let prototypes = (spec.prototypes > 0 && n > 0).then(|| {
        let rows: Vec<Vec<(u32, f32)>> = (0..spec.prototypes)
            .map(|p| {
                let mut items: Vec<usize> = by_cat[p % ncat].clone();
                items.sort_by(|&a, &b| count[b].total_cmp(&count[a]).then(a.cmp(&b)));
                items.truncate(50);
                let mut row: Vec<(u32, f32)> = items.iter().map(|&i| (i as u32, count[i] / 7.0)).collect();
                row.sort_by_key(|&(c, _)| c);
                row
            })
            .collect();
        let sizes = (0..spec.prototypes).map(|_| 10 + rng.below(40) as u32).collect::<Vec<_>>();
        Prototypes { prefs: Csr::from_rows(&rows), sizes: sizes.into(), min_cluster_size: 10 }
    });

    let mut info = std::collections::BTreeMap::new();
    info.insert("dataset".to_string(), format!("demo catalog, {n} items, seed {}", spec.seed));
    Model {
        items: Items {
            ids: StringTable::from_strs((0..n).map(|i| format!("item-{i}"))),
            category_names: StringTable::from_strs(CATEGORIES),
            categories,
            brand_names: StringTable::from_strs(BRANDS),
            brand: brand.into(),
            price: price.into(),
            flags: flags.into(),
            term_names: Default::default(),
            terms: Default::default(),
        },
        popularity: Popularity { count: count.into(), trend: trend.into() },
        item_cf,
        transitions,
        embeddings,
        prototypes,
        neural: None,
        fusion: FusionConfig::default(),
        scoring: ScoringConfig::default(),
        info,
    }
}
