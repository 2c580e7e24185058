//! The in-memory model: everything a bundle holds. Built by the trainer, written and read by
//! [`crate::bundle`], used by the scorers.

use std::collections::BTreeMap;

use half::f16;

use crate::config::{FusionConfig, ScoringConfig};
use crate::tensor::Tensor;

/// Sentinel for "no value" in index-valued per-item columns (e.g. an item without a brand).
pub const NONE: u32 = u32::MAX;

/// A list of UTF-8 strings stored as concatenated bytes plus `len + 1` offsets
/// (the way the bundle stores item ids and vocabularies).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StringTable {
    /// Concatenated UTF-8 bytes.
    pub bytes: Tensor<u8>,
    /// `offsets[i]..offsets[i+1]` is string `i`; `offsets[0] == 0`, non-decreasing, last == bytes.len().
    pub offsets: Tensor<u32>,
}

impl StringTable {
    /// Builds a table from strings.
    ///
    /// ```
    /// use recofuse_core::model::StringTable;
    /// let t = StringTable::from_strs(["a", "bc"]);
    /// assert_eq!(t.len(), 2);
    /// assert_eq!(t.get(1), Some("bc"));
    /// assert_eq!(t.get(2), None);
    /// ```
    pub fn from_strs<S: AsRef<str>>(strings: impl IntoIterator<Item = S>) -> Self {
        let mut bytes = Vec::new();
        let mut offsets = vec![0u32];
        for s in strings {
            bytes.extend_from_slice(s.as_ref().as_bytes());
            offsets.push(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
        }
        StringTable { bytes: bytes.into(), offsets: offsets.into() }
    }

    /// Number of strings.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether the table holds no string.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// String `i`, or `None` when out of range or not UTF-8 (a validated table always is).
    pub fn get(&self, i: usize) -> Option<&str> {
        let start = *self.offsets.get(i)? as usize;
        let end = *self.offsets.get(i + 1)? as usize;
        std::str::from_utf8(self.bytes.get(start..end)?).ok()
    }

    /// Iterates over the strings (invalid entries yield `""`; a validated table has none).
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(move |i| self.get(i).unwrap_or(""))
    }
}

/// Compressed sparse rows: row `r` holds `idx[ptr[r]..ptr[r+1]]` with weights `w[..]`.
/// Used for item-item neighbours, transitions, item categories and prototype preferences.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Csr {
    /// Row pointers, `rows + 1` entries, non-decreasing, `ptr[0] == 0`, last == `idx.len()`.
    pub ptr: Tensor<u32>,
    /// Column indices.
    pub idx: Tensor<u32>,
    /// Weights, same length as `idx` (may be empty for unweighted CSR such as categories).
    pub w: Tensor<f32>,
}

impl Csr {
    /// Builds a CSR from rows of `(column, weight)` pairs.
    ///
    /// ```
    /// use recofuse_core::model::Csr;
    /// let c = Csr::from_rows(&[vec![(1, 0.5)], vec![], vec![(0, 1.0), (1, 2.0)]]);
    /// assert_eq!(c.rows(), 3);
    /// assert_eq!(c.row(2).0, &[0, 1]);
    /// assert_eq!(c.row(2).1, &[1.0, 2.0]);
    /// ```
    pub fn from_rows(rows: &[Vec<(u32, f32)>]) -> Self {
        let mut ptr = Vec::with_capacity(rows.len() + 1);
        let mut idx = Vec::new();
        let mut w = Vec::new();
        ptr.push(0u32);
        for row in rows {
            for &(c, x) in row {
                idx.push(c);
                w.push(x);
            }
            ptr.push(u32::try_from(idx.len()).unwrap_or(u32::MAX));
        }
        Csr { ptr: ptr.into(), idx: idx.into(), w: w.into() }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.ptr.len().saturating_sub(1)
    }

    /// The transpose, with `cols` rows (columns `>= cols` are dropped); each of its rows lists the
    /// original rows in increasing order.
    ///
    /// ```
    /// use recofuse_core::model::Csr;
    /// let t = Csr::from_rows(&[vec![(1, 0.5)], vec![(0, 1.0), (1, 2.0)]]).transpose(2);
    /// assert_eq!(t.row(1), (&[0, 1][..], &[0.5, 2.0][..]));
    /// ```
    pub fn transpose(&self, cols: usize) -> Csr {
        let mut rows: Vec<Vec<(u32, f32)>> = vec![Vec::new(); cols];
        for r in 0..self.rows() {
            let (idx, w) = self.row(r);
            for (&c, &x) in idx.iter().zip(w) {
                if let Some(row) = rows.get_mut(c as usize) {
                    row.push((r as u32, x));
                }
            }
        }
        Csr::from_rows(&rows)
    }

    /// The L2 norm of each row's weights.
    pub fn row_norms(&self) -> Vec<f32> {
        (0..self.rows()).map(|r| self.row(r).1.iter().map(|x| x * x).sum::<f32>().sqrt()).collect()
    }

    /// Row `r` as `(columns, weights)`; empty slices when `r` is out of range. Weights are empty for an
    /// unweighted CSR.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (Some(&a), Some(&b)) = (self.ptr.get(r), self.ptr.get(r + 1)) else {
            return (&[], &[]);
        };
        let (a, b) = (a as usize, b as usize);
        let idx = self.idx.get(a..b).unwrap_or(&[]);
        let w = self.w.get(a..b).unwrap_or(&[]);
        (idx, w)
    }
}

/// Per-item catalog attributes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Items {
    /// External item ids (the store's SKUs), unique. Item index `i` is position `i` here.
    pub ids: StringTable,
    /// Category vocabulary.
    pub category_names: StringTable,
    /// Categories per item (unweighted CSR over `category_names`; an item may have several).
    pub categories: Csr,
    /// Brand vocabulary.
    pub brand_names: StringTable,
    /// Brand per item, index into `brand_names`, or [`NONE`].
    pub brand: Tensor<u32>,
    /// Price per item (finite, >= 0); meaningful only where [`Items::FLAG_PRICE`] is set.
    pub price: Tensor<f32>,
    /// Bit flags per item: [`Items::FLAG_IN_STOCK`], [`Items::FLAG_PRICE`].
    pub flags: Tensor<u8>,
    /// Vocabulary of the text terms (words of titles and attributes); empty when the catalog has none.
    pub term_names: StringTable,
    /// TF-IDF vector per item over `term_names` (weighted CSR, each row L2-normalised, the strongest
    /// terms kept); no rows (empty `ptr`) when the model has no text vectors.
    pub terms: Csr,
}

impl Items {
    /// Flag bit: the item is in stock.
    pub const FLAG_IN_STOCK: u8 = 1;
    /// Flag bit: the item has a known price.
    pub const FLAG_PRICE: u8 = 2;

    /// Number of items.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Whether item `i` is in stock (unknown items are not).
    pub fn in_stock(&self, i: usize) -> bool {
        self.flags.get(i).is_some_and(|f| f & Self::FLAG_IN_STOCK != 0)
    }

    /// The price of item `i`, if known.
    pub fn price_of(&self, i: usize) -> Option<f32> {
        let f = *self.flags.get(i)?;
        if f & Self::FLAG_PRICE != 0 {
            self.price.get(i).copied()
        } else {
            None
        }
    }
}

/// Popularity and trend per item (both finite, >= 0).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Popularity {
    /// Long-run popularity (e.g. log-scaled interaction count).
    pub count: Tensor<f32>,
    /// Recent-trend popularity (e.g. decayed recent interactions).
    pub trend: Tensor<f32>,
}

/// Item embedding matrix `[items, dim]`, row-major, in one of three encodings.
#[derive(Debug, Clone, PartialEq)]
pub enum EmbeddingData {
    /// Plain f32 values.
    F32(Tensor<f32>),
    /// IEEE half precision values.
    F16(Tensor<f16>),
    /// Symmetric int8 quantisation: value = `values[i*dim + j] as f32 * scales[i]`.
    I8 {
        /// Quantised values.
        values: Tensor<i8>,
        /// One scale per item row.
        scales: Tensor<f32>,
    },
}

/// Item embeddings.
#[derive(Debug, Clone, PartialEq)]
pub struct Embeddings {
    /// Vector dimension.
    pub dim: usize,
    /// The matrix.
    pub data: EmbeddingData,
}

impl Embeddings {
    /// Writes row `i` as f32 into `out` (length `dim`); returns false when `i` is out of range.
    pub fn row_into(&self, i: usize, out: &mut [f32]) -> bool {
        let d = self.dim;
        if out.len() != d {
            return false;
        }
        let Some(start) = i.checked_mul(d) else { return false };
        match &self.data {
            EmbeddingData::F32(t) => match t.get(start..start + d) {
                Some(r) => out.copy_from_slice(r),
                None => return false,
            },
            EmbeddingData::F16(t) => match t.get(start..start + d) {
                Some(r) => out.iter_mut().zip(r).for_each(|(o, v)| *o = v.to_f32()),
                None => return false,
            },
            EmbeddingData::I8 { values, scales } => match (values.get(start..start + d), scales.get(i)) {
                (Some(r), Some(&s)) => out.iter_mut().zip(r).for_each(|(o, &v)| *o = v as f32 * s),
                _ => return false,
            },
        }
        true
    }

    /// Dot product of row `i` with `v` (length `dim`), or `None` when out of range.
    pub fn dot(&self, i: usize, v: &[f32]) -> Option<f32> {
        let d = self.dim;
        if v.len() != d {
            return None;
        }
        let start = i.checked_mul(d)?;
        Some(match &self.data {
            EmbeddingData::F32(t) => dot_lanes(t.get(start..start + d)?, v, |a| a),
            EmbeddingData::F16(t) => dot_lanes(t.get(start..start + d)?, v, f16::to_f32),
            EmbeddingData::I8 { values, scales } => {
                let s = *scales.get(i)?;
                dot_lanes(values.get(start..start + d)?, v, f32::from) * s
            }
        })
    }
}

impl Embeddings {
    /// For int8 embeddings only: the dot product of row `i` with `q`, an i16 quantisation of a vector
    /// (`v ≈ q · q_scale`), computed in integers (exact, and several times faster than converting the
    /// row to f32), times the row scale. Multiply by `q_scale` to get `dot(row, v)`. `None` for other
    /// encodings or out-of-range rows.
    pub fn dot_i16(&self, i: usize, q: &[i16]) -> Option<f32> {
        let EmbeddingData::I8 { values, scales } = &self.data else { return None };
        let d = self.dim;
        if q.len() != d {
            return None;
        }
        let start = i.checked_mul(d)?;
        let row = values.get(start..start + d)?;
        Some(dot_i8_i16(row, q) as f32 * *scales.get(i)?)
    }
}

/// Integer dot product of an i8 row with an i16 vector (same length), exact. Natively it is written
/// over fixed-size blocks (64 values when the length allows, else 16), each widened to i16 and
/// reduced as sums of adjacent products into 4 i32 lanes, which the compiler vectorises into
/// whole-register `pmaddwd` on x86; on wasm32 without SIMD it is the plain sum, the smallest code;
/// on wasm32 with `simd128` (the SIMD build), blocks of 16 widened to i16x8 and reduced with
/// `i32x4.dot_i16x8_s`. Integer sums are exact, so all give the same value.
#[cfg(all(target_arch = "wasm32", not(target_feature = "simd128")))]
#[inline]
pub(crate) fn dot_i8_i16(row: &[i8], q: &[i16]) -> i32 {
    dot_plain(row, q)
}

/// See the version above.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline]
pub(crate) fn dot_i8_i16(row: &[i8], q: &[i16]) -> i32 {
    use core::arch::wasm32::{
        i16x8_extend_high_i8x16, i16x8_extend_low_i8x16, i32x4_add, i32x4_dot_i16x8, i32x4_extract_lane, i32x4_splat,
        v128,
    };
    let mut acc = i32x4_splat(0);
    let (mut rc, mut qc) = (row.chunks_exact(16), q.chunks_exact(16));
    for (r, q) in (&mut rc).zip(&mut qc) {
        if let (Ok(r), Ok(q)) = (<[i8; 16]>::try_from(r), <[i16; 16]>::try_from(q)) {
            let r: v128 = bytemuck::cast(r);
            let [q0, q1]: [v128; 2] = bytemuck::cast(q);
            acc = i32x4_add(acc, i32x4_dot_i16x8(i16x8_extend_low_i8x16(r), q0));
            acc = i32x4_add(acc, i32x4_dot_i16x8(i16x8_extend_high_i8x16(r), q1));
        }
    }
    i32x4_extract_lane::<0>(acc)
        + i32x4_extract_lane::<1>(acc)
        + i32x4_extract_lane::<2>(acc)
        + i32x4_extract_lane::<3>(acc)
        + dot_plain(rc.remainder(), qc.remainder())
}

/// The plain sum of products (the wasm32 dot product, and the native one's remainder).
#[inline]
fn dot_plain(row: &[i8], q: &[i16]) -> i32 {
    row.iter().zip(q).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum()
}

/// See the wasm32 version above.
#[cfg(not(target_arch = "wasm32"))]
#[inline]
pub(crate) fn dot_i8_i16(row: &[i8], q: &[i16]) -> i32 {
    /// One block of `B` (a multiple of 8): widened to i16, then the products of adjacent pairs summed
    /// into 4 lanes, the shape the compiler turns into SSE2 `pmaddwd` on whole registers (integer
    /// sums: the order does not change the result).
    #[inline(always)]
    fn block<const B: usize>(r: &[i8; B], q: &[i16; B]) -> i32 {
        let mut w = [0i16; B];
        for (o, &x) in w.iter_mut().zip(r) {
            *o = i16::from(x);
        }
        let mut acc = [0i32; 4];
        for j in 0..B / 8 {
            #[allow(clippy::needless_range_loop)] // the indexed form is the one that vectorises
            for k in 0..4 {
                let i = j * 8 + 2 * k;
                acc[k] += i32::from(w[i]) * i32::from(q[i]) + i32::from(w[i + 1]) * i32::from(q[i + 1]);
            }
        }
        acc[0] + acc[1] + acc[2] + acc[3]
    }
    fn blocks<const B: usize>(row: &[i8], q: &[i16]) -> i32 {
        let (mut rc, mut qc) = (row.chunks_exact(B), q.chunks_exact(B));
        let mut acc = 0i32;
        for (r, q) in (&mut rc).zip(&mut qc) {
            if let (Ok(r), Ok(q)) = (<&[i8; B]>::try_from(r), <&[i16; B]>::try_from(q)) {
                acc += block(r, q);
            }
        }
        acc + dot_plain(rc.remainder(), qc.remainder())
    }
    // 64 dimensions (the usual size): one block, no loop.
    if let (Ok(r), Ok(q)) = (<&[i8; 64]>::try_from(row), <&[i16; 64]>::try_from(q)) {
        return block(r, q);
    }
    if row.len() % 64 == 0 {
        blocks::<64>(row, q)
    } else {
        blocks::<16>(row, q)
    }
}

/// Quantises `v` to i16 with one scale (`v[j] ≈ q[j] · scale`), for [`Embeddings::dot_i16`].
/// Products of an i8 and an i16 summed over up to 512 dimensions stay within i32.
pub fn quantize_i16(v: &[f32]) -> (Vec<i16>, f32) {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if !(max > 0.0 && max.is_finite()) {
        return (vec![0; v.len()], 0.0);
    }
    let scale = max / 32767.0;
    (v.iter().map(|x| (x / scale).round().clamp(-32767.0, 32767.0) as i16).collect(), scale)
}

/// Dot product with 8 independent partial sums, so that the compiler can vectorise it (a plain
/// `iter().sum()` must keep the sequential floating-point order and stays scalar).
fn dot_lanes<T: Copy>(a: &[T], b: &[f32], conv: impl Fn(T) -> f32) -> f32 {
    const L: usize = 8;
    let mut acc = [0f32; L];
    let (ac, ar) = a.split_at(a.len() - a.len() % L);
    let (bc, br) = b.split_at(b.len().min(ac.len()));
    for (x, y) in ac.chunks_exact(L).zip(bc.chunks_exact(L)) {
        for ((s, &x), &y) in acc.iter_mut().zip(x).zip(y) {
            *s += conv(x) * y;
        }
    }
    let tail: f32 = ar.iter().zip(br).map(|(&x, y)| conv(x) * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// Prototype users for user-based CF without shipping any user: each row is the item-preference
/// vector of a cluster centroid of at least `min_cluster_size` training users.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prototypes {
    /// Sparse item preferences per prototype (CSR rows = prototypes, columns = items).
    pub prefs: Csr,
    /// How many training users each prototype stands for (each >= `min_cluster_size`).
    pub sizes: Tensor<u32>,
    /// The k-anonymity floor the trainer enforced.
    pub min_cluster_size: u32,
}

/// Everything a bundle holds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Model {
    /// Catalog.
    pub items: Items,
    /// Popularity and trend prior.
    pub popularity: Popularity,
    /// Item-item neighbour lists (rows and columns are item indices), top-K by weight.
    pub item_cf: Option<Csr>,
    /// Transitions: row = item, columns = items that followed it, weight = recency-weighted strength.
    pub transitions: Option<Csr>,
    /// Item embeddings.
    pub embeddings: Option<Embeddings>,
    /// Prototype users.
    pub prototypes: Option<Prototypes>,
    /// The deep sequential model (optional section; bundles without it load and work).
    pub neural: Option<crate::neural::NeuralModel>,
    /// How to fuse.
    pub fusion: FusionConfig,
    /// Scorer parameters.
    pub scoring: ScoringConfig,
    /// Free-form provenance written into `__metadata__` under `info.<key>` (dataset, trainer, report).
    pub info: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::dot_i8_i16;
    use recofuse_testkit::SplitMix64;

    /// The blocked, vectorised integer dot product equals the plain sum of products for every length
    /// (whole 64- and 16-blocks, remainders) and at the extremes of both types.
    #[test]
    fn dot_i8_i16_matches_plain_sum() {
        let mut rng = SplitMix64::new(7);
        let naive = |r: &[i8], q: &[i16]| r.iter().zip(q).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum::<i32>();
        for n in (0..=200).chain([256, 320, 512]) {
            for round in 0..4 {
                let row: Vec<i8> =
                    (0..n).map(|_| if round == 0 { i8::MIN } else { (rng.below(256) as i16 - 128) as i8 }).collect();
                let q: Vec<i16> = (0..n)
                    .map(|_| if round == 0 { -32767 } else { (rng.below(65535) as i32 - 32767) as i16 })
                    .collect();
                assert_eq!(dot_i8_i16(&row, &q), naive(&row, &q), "length {n}, round {round}");
            }
        }
    }
}
