//! Bundle size per item for a realistic catalog: 10,000 items, 64-d int8 embeddings, 20 item-item
//! neighbours per item, ids like `sku-000123`, one category and one brand per item, price, popularity.
//!
//! ```sh
//! cargo run -p recofuse-core --release --example bundle_size
//! ```
//! The target is at most 200 bytes per item with the default (compact) encoding.

use recofuse_core::bundle::{decode, encode, inspect, EncodeOptions};
use recofuse_core::model::{Csr, EmbeddingData, Embeddings, Items, Model, Popularity, StringTable};

const ITEMS: usize = 10_000;
const DIM: usize = 64;
const NEIGHBOURS: usize = 20;
const CATEGORIES: usize = 40;
const BRANDS: usize = 300;

/// SplitMix64, so that the figures are reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn catalog() -> Model {
    let mut rng = Rng(42);
    let ids = StringTable::from_strs((0..ITEMS).map(|i| format!("sku-{i:06}")));
    let category_names = StringTable::from_strs((0..CATEGORIES).map(|i| format!("category {i}")));
    let brand_names = StringTable::from_strs((0..BRANDS).map(|i| format!("brand {i}")));
    let categories: Vec<Vec<(u32, f32)>> = (0..ITEMS).map(|_| vec![(rng.below(CATEGORIES) as u32, 1.0)]).collect();
    let categories = Csr { w: Vec::new().into(), ..Csr::from_rows(&categories) };
    let items = Items {
        ids,
        category_names,
        categories,
        brand_names,
        brand: (0..ITEMS).map(|_| rng.below(BRANDS) as u32).collect::<Vec<_>>().into(),
        price: (0..ITEMS).map(|_| 5.0 + 200.0 * rng.unit()).collect::<Vec<_>>().into(),
        flags: (0..ITEMS).map(|_| Items::FLAG_PRICE | u8::from(rng.unit() < 0.9)).collect::<Vec<_>>().into(),
        term_names: Default::default(),
        terms: Default::default(),
    };
    let neighbours: Vec<Vec<(u32, f32)>> = (0..ITEMS)
        .map(|i| {
            let mut row: Vec<(u32, f32)> =
                (0..NEIGHBOURS).map(|k| (((i + 1 + k * 37 + rng.below(30)) % ITEMS) as u32, rng.unit())).collect();
            row.sort_by(|a, b| b.1.total_cmp(&a.1));
            row
        })
        .collect();
    let values: Vec<i8> = (0..ITEMS * DIM).map(|_| (rng.below(255) as i32 - 127) as i8).collect();
    let scales: Vec<f32> = (0..ITEMS).map(|_| 0.001 + 0.01 * rng.unit()).collect();
    Model {
        items,
        popularity: Popularity {
            count: (0..ITEMS).map(|_| 10.0 * rng.unit()).collect::<Vec<_>>().into(),
            trend: (0..ITEMS).map(|_| rng.unit()).collect::<Vec<_>>().into(),
        },
        item_cf: Some(Csr::from_rows(&neighbours)),
        embeddings: Some(Embeddings {
            dim: DIM,
            data: EmbeddingData::I8 { values: values.into(), scales: scales.into() },
        }),
        ..Model::default()
    }
}

fn main() -> Result<(), recofuse_core::Error> {
    let model = catalog();
    println!("{ITEMS} items, {DIM}-d int8 embeddings, {NEIGHBOURS} neighbours per item, one category and brand each");
    for (label, compact) in [("compact (default)", true), ("full precision", false)] {
        let bytes = encode(&model, &EncodeOptions { compact })?;
        let summary = inspect(&bytes)?;
        println!("\n{label}: {} bytes in total, {:.1} bytes per item", bytes.len(), bytes.len() as f64 / ITEMS as f64);
        println!("  {:<28} {:>5} {:>12} {:>10}", "tensor", "dtype", "bytes", "B/item");
        for t in &summary.tensors {
            println!("  {:<28} {:>5} {:>12} {:>10.2}", t.name, t.dtype, t.bytes, t.bytes as f64 / ITEMS as f64);
        }
        let header = bytes.len() - summary.tensors.iter().map(|t| t.bytes).sum::<usize>();
        println!("  {:<28} {:>5} {:>12} {:>10.2}", "(length + JSON header)", "", header, header as f64 / ITEMS as f64);
        decode(bytes)?; // and it reads back
    }
    Ok(())
}
