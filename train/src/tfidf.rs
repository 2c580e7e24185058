//! Content vectors: TF-IDF (Salton & Buckley 1988) over the words of each item's title and its
//! attributes (categories and brand as whole tokens), written into the bundle as
//! `items.term_names` + `items.terms` for the content scorer.
//!
//! Terms: lower-cased alphanumeric words of the title (at least 2 characters, common English stop words
//! dropped, numbers kept only when they look like a year), plus `c:<category>` and `b:<brand>`.
//! A term must occur in at least `min_df` items and in at most `max_df_share` of them. Weight
//! `(1 + ln tf) · ln(N / df)`; each item keeps its `max_terms` strongest terms, L2-normalised.

use std::collections::HashMap;

use recofuse_core::model::{Csr, StringTable};

use crate::catalog::Catalog;

/// Parameters of the text vectors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TfIdfParams {
    /// Terms kept per item (the strongest).
    pub max_terms: usize,
    /// Minimum number of items a term occurs in.
    pub min_df: usize,
    /// Maximum share of items a term may occur in (more common terms carry no information).
    pub max_df_share: f64,
}

impl Default for TfIdfParams {
    fn default() -> Self {
        TfIdfParams { max_terms: 24, min_df: 2, max_df_share: 0.5 }
    }
}

const STOP_WORDS: [&str; 40] = [
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it", "its", "of", "on", "or",
    "the", "to", "with", "without", "de", "la", "le", "les", "el", "der", "die", "das", "und", "du", "des", "et",
    "per", "pack", "pcs", "set", "inch", "new",
];

/// The words of a title, as described in the module docs.
///
/// ```
/// use recofuse_train::tfidf::words;
/// assert_eq!(words("Star Wars (1977) - the Re-release, 2 discs"), ["star", "wars", "1977", "re", "release", "discs"]);
/// ```
pub fn words(title: &str) -> Vec<String> {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| {
            let numeric = w.chars().all(|c| c.is_ascii_digit());
            if numeric {
                w.len() == 4 && (w.starts_with("19") || w.starts_with("20"))
            } else {
                w.chars().count() >= 2 && !STOP_WORDS.contains(&w.as_str())
            }
        })
        .collect()
}

/// The terms of one item (with repetitions: term frequency counts them).
fn item_terms(catalog: &Catalog, id: &str) -> Vec<String> {
    let Some(info) = catalog.items.get(id) else { return Vec::new() };
    let mut t = words(&info.title);
    t.extend(info.categories.iter().map(|c| format!("c:{}", c.trim().to_lowercase())));
    if !info.brand.trim().is_empty() {
        t.push(format!("b:{}", info.brand.trim().to_lowercase()));
    }
    t
}

/// Builds the term vocabulary and the TF-IDF vector of every item of `ids` (item index order). Returns
/// `None` when no term survives (no titles or attributes in the catalog).
pub fn build(ids: &[String], catalog: &Catalog, p: &TfIdfParams) -> Option<(StringTable, Csr)> {
    let n = ids.len();
    let per_item: Vec<HashMap<String, u32>> = ids
        .iter()
        .map(|id| {
            let mut tf: HashMap<String, u32> = HashMap::new();
            for t in item_terms(catalog, id) {
                *tf.entry(t).or_insert(0) += 1;
            }
            tf
        })
        .collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for tf in &per_item {
        for t in tf.keys() {
            *df.entry(t.as_str()).or_insert(0) += 1;
        }
    }
    let max_df = ((n as f64) * p.max_df_share).floor() as usize;
    let mut vocab: Vec<&str> =
        df.iter().filter(|(_, &d)| d >= p.min_df.max(1) && d <= max_df).map(|(t, _)| *t).collect();
    vocab.sort_unstable();
    if vocab.is_empty() {
        return None;
    }
    let index: HashMap<&str, u32> = vocab.iter().enumerate().map(|(i, t)| (*t, i as u32)).collect();
    let rows: Vec<Vec<(u32, f32)>> = per_item
        .iter()
        .map(|tf| {
            let mut row: Vec<(u32, f64)> = tf
                .iter()
                .filter_map(|(t, &c)| {
                    let &k = index.get(t.as_str())?;
                    let d = *df.get(t.as_str())? as f64;
                    Some((k, (1.0 + f64::from(c).ln()) * (n as f64 / d).ln()))
                })
                .collect();
            // Strongest first (ties by term index, for determinism), keep max_terms, then by index.
            row.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            row.truncate(p.max_terms.max(1));
            row.sort_unstable_by_key(|x| x.0);
            let norm = row.iter().map(|x| x.1 * x.1).sum::<f64>().sqrt();
            row.into_iter().filter(|_| norm > 0.0).map(|(k, w)| (k, (w / norm) as f32)).collect()
        })
        .collect();
    Some((StringTable::from_strs(&vocab), Csr::from_rows(&rows)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ItemInfo;

    fn catalog(items: &[(&str, &str, &[&str], &str)]) -> Catalog {
        let mut c = Catalog::default();
        for (id, title, cats, brand) in items {
            c.items.insert(
                id.to_string(),
                ItemInfo {
                    title: title.to_string(),
                    brand: brand.to_string(),
                    categories: cats.iter().map(|s| s.to_string()).collect(),
                    ..Default::default()
                },
            );
            c.order.push(id.to_string());
        }
        c
    }

    #[test]
    fn vectors_are_unit_length_and_rare_shared_words_weigh_more() {
        let c = catalog(&[
            ("a", "Red wool scarf", &["Scarves"], "Acme"),
            ("b", "Blue wool scarf", &["Scarves"], "Zenith"),
            ("c", "Red desk lamp", &["Lamps"], "Acme"),
            ("d", "Green desk lamp", &["Lamps"], "Zenith"),
            ("e", "Paper notebook", &["Paper"], ""),
            ("f", "Paper folder", &["Paper"], ""),
        ]);
        let ids: Vec<String> = ["a", "b", "c", "d", "e", "f", "unknown"].iter().map(|s| s.to_string()).collect();
        let (names, terms) = build(&ids, &c, &TfIdfParams::default()).unwrap();
        let vocab: Vec<&str> = (0..names.len()).map(|i| names.get(i).unwrap()).collect();
        // Words of one item only ("scarf" is in 2, "notebook" in 1) are dropped by min_df; none is in more
        // than half of the 7 items.
        assert!(vocab.contains(&"wool") && vocab.contains(&"c:lamps") && vocab.contains(&"b:acme"), "{vocab:?}");
        assert!(!vocab.contains(&"notebook") && !vocab.contains(&"green"), "{vocab:?}");
        for i in 0..6 {
            let (_, w) = terms.row(i);
            let norm: f32 = w.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "item {i}: {norm}");
        }
        assert_eq!(terms.row(6).0.len(), 0, "an item missing from the catalog has no terms");
        let cos = |a: usize, b: usize| {
            let (ia, wa) = terms.row(a);
            let (ib, wb) = terms.row(b);
            let mut s = 0.0;
            for (x, y) in ia.iter().zip(wa) {
                if let Some(k) = ib.iter().position(|z| z == x) {
                    s += y * wb[k];
                }
            }
            s
        };
        // a shares wool, scarf, category with b; only red and brand with c; nothing with e.
        assert!(cos(0, 1) > cos(0, 2) && cos(0, 2) > 0.0, "{} {}", cos(0, 1), cos(0, 2));
        assert_eq!(cos(0, 4), 0.0);
    }

    #[test]
    fn no_titles_no_vectors() {
        let c = catalog(&[("a", "", &[], ""), ("b", "", &[], "")]);
        assert!(build(&["a".into(), "b".into()], &c, &TfIdfParams::default()).is_none());
    }
}
