//! Model -> bundle bytes.

use std::collections::BTreeMap;

use bytemuck::Pod;
use half::f16;

use super::container::{self, Dtype, Out};
use super::{EncodeOptions, FORMAT, FORMAT_VERSION};
use crate::error::Result;
use crate::json::ToJson;
use crate::model::{Csr, EmbeddingData, Embeddings, Model, StringTable, NONE};
use crate::signal::Signal;

/// Element types that can be written little-endian.
pub(crate) trait Le: Pod {
    fn put(&self, out: &mut Vec<u8>);
}

macro_rules! le_impl {
    ($($t:ty),*) => {$(
        impl Le for $t {
            fn put(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    )*};
}
le_impl!(u8, i8, u16, u32, u64, f32);

impl Le for f16 {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bits().to_le_bytes());
    }
}

fn le<T: Le>(values: &[T]) -> Vec<u8> {
    if cfg!(target_endian = "little") {
        bytemuck::cast_slice::<T, u8>(values).to_vec()
    } else {
        let mut out = Vec::with_capacity(std::mem::size_of_val(values));
        values.iter().for_each(|v| v.put(&mut out));
        out
    }
}

/// The tensors of a container being written.
pub(super) struct Writer {
    pub(super) compact: bool,
    pub(super) out: Vec<Out>,
}

impl Writer {
    pub(super) fn push<T: Le>(&mut self, name: &str, dtype: Dtype, shape: Vec<usize>, values: &[T]) {
        self.out.push(Out { name: name.to_string(), dtype, shape, data: le(values) });
    }

    pub(super) fn vec<T: Le>(&mut self, name: &str, dtype: Dtype, values: &[T]) {
        self.push(name, dtype, vec![values.len()], values);
    }

    pub(super) fn strings(&mut self, prefix: &str, t: &StringTable) {
        self.vec(&format!("{prefix}.bytes"), Dtype::U8, &t.bytes);
        self.vec(&format!("{prefix}.offsets"), Dtype::U32, &t.offsets);
    }

    /// Column indices: U16 when compact and every value fits (lossless whatever the values are).
    pub(super) fn indices(&mut self, name: &str, idx: &[u32]) {
        if self.compact && idx.iter().all(|&i| i <= u32::from(u16::MAX)) {
            let narrow: Vec<u16> = idx.iter().map(|&i| i as u16).collect();
            self.vec(name, Dtype::U16, &narrow);
        } else {
            self.vec(name, Dtype::U32, idx);
        }
    }

    /// Weights: F16 when compact and every value is finite and within the f16 range.
    pub(super) fn weights(&mut self, name: &str, w: &[f32]) {
        if self.compact && w.iter().all(|x| x.is_finite() && x.abs() <= f16::MAX.to_f32()) {
            let narrow: Vec<f16> = w.iter().map(|&x| f16::from_f32(x)).collect();
            self.vec(name, Dtype::F16, &narrow);
        } else {
            self.vec(name, Dtype::F32, w);
        }
    }

    /// A dense f32 tensor: F16 when compact and every value is finite and within the f16 range.
    pub(super) fn dense(&mut self, name: &str, shape: Vec<usize>, v: &[f32]) {
        if self.compact && v.iter().all(|x| x.is_finite() && x.abs() <= f16::MAX.to_f32()) {
            let narrow: Vec<f16> = v.iter().map(|&x| f16::from_f32(x)).collect();
            self.push(name, Dtype::F16, shape, &narrow);
        } else {
            self.push(name, Dtype::F32, shape, v);
        }
    }

    /// The optional deep-model section: `neural.*` tensors (see [`crate::neural`]).
    pub(super) fn neural(&mut self, m: &crate::neural::NeuralModel) {
        self.dense("neural.item_emb", vec![m.items(), m.dim], &m.item_emb);
        self.dense("neural.pos_emb", vec![m.max_len, m.dim], &m.pos_emb);
        for (k, b) in m.blocks.iter().enumerate() {
            for (name, t, shape) in b.parts(m.dim, m.ffn_dim) {
                self.dense(&format!("neural.block{k}.{name}"), shape, t);
            }
        }
        self.dense("neural.ln.w", vec![m.dim], &m.ln_w);
        self.dense("neural.ln.b", vec![m.dim], &m.ln_b);
    }

    pub(super) fn csr(&mut self, prefix: &str, c: &Csr, weighted: bool) {
        self.vec(&format!("{prefix}.ptr"), Dtype::U32, &c.ptr);
        self.indices(&format!("{prefix}.idx"), &c.idx);
        if weighted || !c.w.is_empty() {
            self.weights(&format!("{prefix}.w"), &c.w);
        }
    }
}

/// The signals a model can feed, in [`Signal::ALL`] order.
pub(crate) fn scorers(model: &Model) -> Vec<&'static str> {
    let items = &model.items;
    let content = !items.categories.idx.is_empty() || items.brand.iter().any(|&b| b != NONE) || items.terms.rows() > 0;
    Signal::ALL
        .into_iter()
        .filter(|s| match s {
            Signal::ItemCf => model.item_cf.is_some(),
            Signal::Seq => model.transitions.is_some(),
            Signal::UserCf => model.prototypes.is_some(),
            Signal::Embedding => model.embeddings.is_some(),
            Signal::Content => content,
            Signal::Popularity | Signal::Server => true,
            Signal::Neural => model.neural.is_some(),
        })
        .map(Signal::name)
        .collect()
}

pub(crate) fn encode(model: &Model, options: &EncodeOptions) -> Result<Vec<u8>> {
    encode_with(model, options, None)
}

/// [`encode`] with `experiments` (JSON array text, checked by the caller) as `fusion.experiments`.
pub(crate) fn encode_with(model: &Model, options: &EncodeOptions, experiments: Option<&str>) -> Result<Vec<u8>> {
    let (w, meta) = parts(model, options, experiments);
    container::write(w.out, |_| meta)
}

/// The tensors and metadata of a model's bundle (format 1), before they are written; the head of a
/// format-2 bundle adds its own to them.
pub(super) fn parts(
    model: &Model,
    options: &EncodeOptions,
    experiments: Option<&str>,
) -> (Writer, BTreeMap<String, String>) {
    let mut w = Writer { compact: options.compact, out: Vec::new() };
    let items = &model.items;
    w.strings("items.ids", &items.ids);
    w.strings("items.category_names", &items.category_names);
    w.csr("items.categories", &items.categories, false);
    w.strings("items.brand_names", &items.brand_names);
    w.vec("items.brand", Dtype::U32, &items.brand);
    w.vec("items.price", Dtype::F32, &items.price);
    w.vec("items.flags", Dtype::U8, &items.flags);
    if items.terms.rows() > 0 {
        w.strings("items.term_names", &items.term_names);
        w.csr("items.terms", &items.terms, true);
    }
    w.vec("popularity.count", Dtype::F32, &model.popularity.count);
    w.vec("popularity.trend", Dtype::F32, &model.popularity.trend);
    if let Some(c) = &model.item_cf {
        w.csr("itemcf", c, true);
    }
    if let Some(c) = &model.transitions {
        w.csr("transitions", c, true);
    }
    if let Some(e) = &model.embeddings {
        let rows = embedding_len(e).checked_div(e.dim).unwrap_or(0);
        let shape = vec![rows, e.dim];
        match &e.data {
            EmbeddingData::F32(t) => w.push("embeddings.f32", Dtype::F32, shape, t),
            EmbeddingData::F16(t) => w.push("embeddings.f16", Dtype::F16, shape, t),
            EmbeddingData::I8 { values, scales } => {
                w.push("embeddings.i8", Dtype::I8, shape, values);
                w.vec("embeddings.scale", Dtype::F32, scales);
            }
        }
    }
    if let Some(p) = &model.prototypes {
        w.csr("prototypes", &p.prefs, true);
        w.vec("prototypes.sizes", Dtype::U32, &p.sizes);
    }
    if let Some(m) = &model.neural {
        w.neural(m);
    }

    let mut fusion = model.fusion.to_json();
    if let Some(e) = experiments {
        // The fusion object with one more key: `{...,"experiments":[...]}`.
        fusion.pop();
        fusion.push_str(",\"experiments\":");
        fusion.push_str(e);
        fusion.push('}');
    }
    let scoring = model.scoring.to_json();
    let mut meta = BTreeMap::new();
    meta.insert("format".to_string(), FORMAT.to_string());
    meta.insert("format_version".to_string(), FORMAT_VERSION.to_string());
    meta.insert("scorers".to_string(), scorers(model).join(","));
    meta.insert("fusion".to_string(), fusion);
    meta.insert("scoring".to_string(), scoring);
    meta.insert("items".to_string(), items.len().to_string());
    if let Some(e) = &model.embeddings {
        meta.insert("embedding_dim".to_string(), e.dim.to_string());
    }
    if let Some(p) = &model.prototypes {
        meta.insert("prototypes.min_cluster_size".to_string(), p.min_cluster_size.to_string());
    }
    if let Some(m) = &model.neural {
        meta.insert("neural.dim".to_string(), m.dim.to_string());
        meta.insert("neural.heads".to_string(), m.heads.to_string());
        meta.insert("neural.max_len".to_string(), m.max_len.to_string());
        meta.insert("neural.ffn_dim".to_string(), m.ffn_dim.to_string());
        meta.insert("neural.layers".to_string(), m.blocks.len().to_string());
    }
    for (k, v) in &model.info {
        meta.insert(format!("info.{k}"), v.clone());
    }
    // A placeholder, overwritten by the checksum of the whole file (see `container::write`).
    meta.insert("sha256".to_string(), "0".repeat(64));
    (w, meta)
}

pub(super) fn embedding_len(e: &Embeddings) -> usize {
    match &e.data {
        EmbeddingData::F32(t) => t.len(),
        EmbeddingData::F16(t) => t.len(),
        EmbeddingData::I8 { values, .. } => values.len(),
    }
}
