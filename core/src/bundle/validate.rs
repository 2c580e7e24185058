//! Model-level validation: everything a scorer relies on, checked once.

use crate::error::{Error, Result};
use crate::model::{Csr, EmbeddingData, Model, StringTable, NONE};

pub(crate) fn validate(model: &Model) -> Result<()> {
    model.fusion.validate().map_err(config_error)?;
    model.scoring.validate().map_err(config_error)?;

    let items = &model.items;
    let n = string_table("items.ids", &items.ids)?;
    let categories = string_table("items.category_names", &items.category_names)?;
    csr("items.categories", &items.categories, Some(n), categories, Weights::Optional)?;
    let brands = string_table("items.brand_names", &items.brand_names)?;
    length("items.brand", items.brand.len(), n)?;
    for (i, &b) in items.brand.iter().enumerate() {
        if b != NONE && b as usize >= brands {
            return Err(out_of_range("items.brand", i, b, brands));
        }
    }
    length("items.price", items.price.len(), n)?;
    non_negative("items.price", &items.price)?;
    length("items.flags", items.flags.len(), n)?;
    if items.terms.rows() > 0 || !items.term_names.is_empty() {
        let terms = string_table("items.term_names", &items.term_names)?;
        csr("items.terms", &items.terms, Some(n), terms, Weights::Required)?;
    }

    length("popularity.count", model.popularity.count.len(), n)?;
    non_negative("popularity.count", &model.popularity.count)?;
    length("popularity.trend", model.popularity.trend.len(), n)?;
    non_negative("popularity.trend", &model.popularity.trend)?;

    if let Some(c) = &model.item_cf {
        csr("itemcf", c, Some(n), n, Weights::Required)?;
    }
    if let Some(c) = &model.transitions {
        csr("transitions", c, Some(n), n, Weights::Required)?;
    }
    if let Some(m) = &model.neural {
        m.validate(n)?;
    }
    if let Some(e) = &model.embeddings {
        if e.dim == 0 {
            return Err(Error::section("embeddings", "dimension must be >= 1"));
        }
        let cells = n
            .checked_mul(e.dim)
            .ok_or_else(|| Error::section("embeddings", format!("{n} x {} values overflow", e.dim)))?;
        let expected = || format!("[{n}, {}]", e.dim);
        let found = |len: usize| format!("{len} values");
        match &e.data {
            EmbeddingData::F32(t) => {
                if t.len() != cells {
                    return Err(shape("embeddings.f32", expected(), found(t.len())));
                }
                finite("embeddings.f32", t)?;
            }
            EmbeddingData::F16(t) => {
                if t.len() != cells {
                    return Err(shape("embeddings.f16", expected(), found(t.len())));
                }
                if let Some(p) = t.iter().position(|x| !x.is_finite()) {
                    return Err(non_finite("embeddings.f16", p));
                }
            }
            EmbeddingData::I8 { values, scales } => {
                if values.len() != cells {
                    return Err(shape("embeddings.i8", expected(), found(values.len())));
                }
                length("embeddings.scale", scales.len(), n)?;
                finite("embeddings.scale", scales)?;
            }
        }
    }
    if let Some(p) = &model.prototypes {
        let rows = csr("prototypes", &p.prefs, None, n, Weights::Required)?;
        length("prototypes.sizes", p.sizes.len(), rows)?;
        if let Some(i) = p.sizes.iter().position(|&s| s < p.min_cluster_size) {
            let size = p.sizes.get(i).copied().unwrap_or(0);
            return Err(Error::section(
                "prototypes.sizes",
                format!(
                    "prototype {i} stands for {size} users, fewer than the minimum cluster size {}",
                    p.min_cluster_size
                ),
            ));
        }
    }
    Ok(())
}

/// Configuration errors become bundle errors naming the offending field (`"fusion.weights"`...).
fn config_error(e: Error) -> Error {
    match e {
        Error::InvalidInput { what, reason } => Error::InvalidSection { section: what, reason },
        other => other,
    }
}

fn shape(section: &str, expected: String, found: String) -> Error {
    Error::Shape { section: section.to_string(), expected, found }
}

fn length(section: &str, len: usize, expected: usize) -> Result<()> {
    if len == expected {
        Ok(())
    } else {
        Err(shape(section, format!("[{expected}]"), format!("[{len}]")))
    }
}

fn out_of_range(section: &str, position: usize, index: u32, bound: usize) -> Error {
    Error::IndexOutOfRange {
        section: section.to_string(),
        position: position as u64,
        index: u64::from(index),
        bound: bound as u64,
    }
}

fn non_finite(section: &str, position: usize) -> Error {
    Error::NonFinite { section: section.to_string(), position: position as u64 }
}

fn finite(section: &str, values: &[f32]) -> Result<()> {
    match values.iter().position(|x| !x.is_finite()) {
        Some(p) => Err(non_finite(section, p)),
        None => Ok(()),
    }
}

fn non_negative(section: &str, values: &[f32]) -> Result<()> {
    finite(section, values)?;
    match values.iter().position(|&x| x < 0.0) {
        Some(p) => Err(Error::section(
            section,
            format!(
                "value {} at position {p} is negative",
                crate::json::Num::from(values.get(p).copied().unwrap_or(0.0))
            ),
        )),
        None => Ok(()),
    }
}

/// Checks a string table; returns its number of strings.
fn string_table(prefix: &str, t: &StringTable) -> Result<usize> {
    let offsets_name = format!("{prefix}.offsets");
    let bytes_name = format!("{prefix}.bytes");
    let Some((&first, _)) = t.offsets.split_first() else {
        // The empty table may omit the leading 0.
        return if t.bytes.is_empty() {
            Ok(0)
        } else {
            Err(shape(&offsets_name, "[strings + 1]".into(), "[0]".into()))
        };
    };
    if first != 0 {
        return Err(Error::section(&offsets_name, format!("first offset is {first}, must be 0")));
    }
    let text = std::str::from_utf8(&t.bytes)
        .map_err(|e| Error::section(&bytes_name, format!("not UTF-8 at byte {}", e.valid_up_to())))?;
    let mut prev = 0u32;
    for (i, &o) in t.offsets.iter().enumerate() {
        if o < prev {
            return Err(Error::section(
                &offsets_name,
                format!("offset {o} at position {i} is below the previous {prev}"),
            ));
        }
        if o as usize > text.len() {
            return Err(out_of_range(&offsets_name, i, o, text.len() + 1));
        }
        if !text.is_char_boundary(o as usize) {
            return Err(Error::section(&offsets_name, format!("offset {o} at position {i} splits a UTF-8 character")));
        }
        prev = o;
    }
    if prev as usize != text.len() {
        return Err(Error::section(
            &offsets_name,
            format!("last offset is {prev}, must equal the {} bytes", text.len()),
        ));
    }
    Ok(t.offsets.len() - 1)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Weights {
    /// One weight per entry.
    Required,
    /// No weights, or one per entry.
    Optional,
}

/// Checks a CSR with `rows` rows (any number when `None`) whose column indices are `< cols`; returns the
/// number of rows.
fn csr(prefix: &str, c: &Csr, rows: Option<usize>, cols: usize, weights: Weights) -> Result<usize> {
    let ptr_name = format!("{prefix}.ptr");
    let idx_name = format!("{prefix}.idx");
    let w_name = format!("{prefix}.w");
    let Some((&first, _)) = c.ptr.split_first() else {
        // An empty CSR may omit the leading 0, when it has no rows.
        return match rows {
            Some(r) if r > 0 => Err(shape(&ptr_name, format!("[{}]", r + 1), "[0]".into())),
            _ if !c.idx.is_empty() => Err(shape(&ptr_name, "[rows + 1]".into(), "[0]".into())),
            _ if !c.w.is_empty() => Err(shape(&w_name, "[0]".into(), format!("[{}]", c.w.len()))),
            _ => Ok(0),
        };
    };
    let found_rows = c.ptr.len() - 1;
    if let Some(r) = rows {
        length(&ptr_name, c.ptr.len(), r + 1)?;
    }
    if first != 0 {
        return Err(Error::section(&ptr_name, format!("first row pointer is {first}, must be 0")));
    }
    let nnz = c.idx.len();
    let mut prev = 0u32;
    for (i, &p) in c.ptr.iter().enumerate() {
        if p < prev {
            return Err(Error::section(
                &ptr_name,
                format!("row pointer {p} at position {i} is below the previous {prev}"),
            ));
        }
        if p as usize > nnz {
            return Err(out_of_range(&ptr_name, i, p, nnz + 1));
        }
        prev = p;
    }
    if prev as usize != nnz {
        return Err(Error::section(&ptr_name, format!("last row pointer is {prev}, must equal the {nnz} entries")));
    }
    if let Some(i) = c.idx.iter().position(|&j| j as usize >= cols) {
        return Err(out_of_range(&idx_name, i, c.idx.get(i).copied().unwrap_or(0), cols));
    }
    match weights {
        Weights::Optional if c.w.is_empty() => {}
        _ => length(&w_name, c.w.len(), nnz)?,
    }
    finite(&w_name, &c.w)?;
    Ok(found_rows)
}
