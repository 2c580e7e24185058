//! The display catalog of a storefront: a small JSON document with what a page shows for each item of a
//! bundle (title, year, brand, categories, price), written next to the bundle by
//! `recofuse train --catalog-json PATH`. The bundle itself holds only what the engine scores with (ids,
//! category and brand indices, price, stock); titles and years exist for people, not for the engine.
//!
//! Format (`"format": "recofuse-catalog"`, `"version": 1`): `items` in bundle order, one object per item
//! with `id`, `title` (the id when the catalog has no title), `categories` (possibly empty) and, when
//! known, `year`, `brand`, `price` and `inStock`.
//!
//! ```
//! use recofuse_train::catalog::{Catalog, ItemInfo};
//! use recofuse_train::storefront::catalog_json;
//! let mut cat = Catalog::default();
//! cat.items.insert("1".into(), ItemInfo { title: "Toy Story (1995)".into(), ..ItemInfo::default() });
//! let doc = catalog_json(&cat, &Default::default(), ["1", "2"]);
//! assert_eq!(doc["items"][0]["year"], 1995);
//! assert_eq!(doc["items"][1]["title"], "2");
//! ```

use std::collections::HashMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::error::Result;
use crate::text::{header_name, read_text, Delim};

/// Header names of a release-year column in a tabular catalog.
const YEAR_COLUMNS: [&str; 4] = ["release_year", "year", "release_date", "date"];

/// Release years from a tabular catalog (CSV/TSV/RecBole `.item`) with a year or date column, keyed by
/// item id. Other formats, or a table without such a column, give an empty map (years then come from a
/// `(1995)` suffix of the title, as in MovieLens `u.item`).
pub fn read_years(path: &Path) -> Result<HashMap<String, u16>> {
    let text = read_text(path)?;
    let mut out = HashMap::new();
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(out);
    }
    let delim = Delim::detect(text.lines());
    let records = delim.records(&text);
    let mut lines = records.into_iter().filter_map(|r| r.fields.ok());
    let Some(header) = lines.next() else {
        return Ok(out);
    };
    let names: Vec<String> = header.iter().map(|f| header_name(f)).collect();
    let col = |cands: &[&str]| names.iter().position(|n| cands.contains(&n.as_str()));
    let (Some(id), Some(year)) =
        (col(&["item_id", "id", "item", "sku", "asin", "product_id", "itemid"]), col(&YEAR_COLUMNS))
    else {
        return Ok(out);
    };
    for f in lines {
        if let (Some(i), Some(y)) = (f.get(id), f.get(year).and_then(|y| year_in(y))) {
            out.insert(i.clone(), y);
        }
    }
    Ok(out)
}

/// The first plausible four-digit year (1800..=2100) in `s`.
fn year_in(s: &str) -> Option<u16> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(3)).find_map(|i| {
        let w = &b[i..i + 4];
        let boundary = (i == 0 || !b[i - 1].is_ascii_digit()) && b.get(i + 4).is_none_or(|c| !c.is_ascii_digit());
        if boundary && w.iter().all(u8::is_ascii_digit) {
            let y = w.iter().fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
            (1800..=2100).contains(&y).then_some(y)
        } else {
            None
        }
    })
}

/// A `Title (1995)` suffix: the title without it and the year.
fn split_title_year(title: &str) -> (&str, Option<u16>) {
    let t = title.trim_end();
    if let Some(open) = t.strip_suffix(')').and_then(|s| s.rfind('(')) {
        let inner = &t[open + 1..t.len() - 1];
        if inner.len() == 4 {
            if let Some(y) = year_in(inner) {
                return (t[..open].trim_end(), Some(y));
            }
        }
    }
    (t, None)
}

/// The display catalog of the items `ids` (in that order, normally the bundle's), from `catalog` and the
/// `years` of [`read_years`]. Items missing from the catalog get their id as title.
pub fn catalog_json<'a>(
    catalog: &crate::catalog::Catalog,
    years: &HashMap<String, u16>,
    ids: impl IntoIterator<Item = &'a str>,
) -> Value {
    let items: Vec<Value> = ids
        .into_iter()
        .map(|id| {
            let mut obj = Map::new();
            obj.insert("id".into(), json!(id));
            let info = catalog.items.get(id);
            let raw_title = info.map(|i| i.title.as_str()).filter(|t| !t.trim().is_empty()).unwrap_or(id);
            let (title, title_year) = split_title_year(raw_title);
            obj.insert("title".into(), json!(if title.is_empty() { raw_title } else { title }));
            if let Some(y) = years.get(id).copied().or(title_year) {
                obj.insert("year".into(), json!(y));
            }
            let categories = info.map(|i| i.categories.clone()).unwrap_or_default();
            obj.insert("categories".into(), json!(categories));
            if let Some(i) = info {
                if !i.brand.is_empty() {
                    obj.insert("brand".into(), json!(i.brand));
                }
                if let Some(p) = i.price {
                    obj.insert("price".into(), json!(p));
                }
                if let Some(s) = i.in_stock {
                    obj.insert("inStock".into(), json!(s));
                }
            }
            Value::Object(obj)
        })
        .collect();
    json!({ "format": "recofuse-catalog", "version": 1, "items": items })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{read_catalog, Catalog, ItemInfo};

    #[test]
    fn years_from_text() {
        assert_eq!(year_in("1995"), Some(1995));
        assert_eq!(year_in("01-Jan-1995"), Some(1995));
        assert_eq!(year_in("12345"), None);
        assert_eq!(year_in("0042"), None);
        assert_eq!(year_in(""), None);
        assert_eq!(split_title_year("Toy Story (1995)"), ("Toy Story", Some(1995)));
        assert_eq!(split_title_year("Se7en (Seven)"), ("Se7en (Seven)", None));
        assert_eq!(split_title_year("(1995)"), ("", Some(1995)));
    }

    #[test]
    fn recbole_item_file_gives_titles_years_and_genres() {
        let dir = std::env::temp_dir().join(format!("recofuse-storefront-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ml.item");
        std::fs::write(
            &path,
            "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n\
             1\tToy Story\t1995\tAnimation Children's Comedy\n2\tGoldenEye\t\tAction\n",
        )
        .unwrap();
        let cat = read_catalog(&path).unwrap();
        let years = read_years(&path).unwrap();
        let doc = catalog_json(&cat, &years, ["2", "1", "3"]);
        std::fs::remove_dir_all(&dir).unwrap();
        let items = doc["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[1]["title"], "Toy Story");
        assert_eq!(items[1]["year"], 1995);
        assert_eq!(items[1]["categories"], json!(["Animation", "Children's", "Comedy"]));
        assert!(items[0].get("year").is_none());
        assert_eq!(items[2]["title"], "3");
        assert_eq!(items[2]["categories"], json!([]));
    }

    #[test]
    fn brand_and_price_are_kept() {
        let mut cat = Catalog::default();
        let info = ItemInfo { title: "Stapler".into(), brand: "Acme".into(), price: Some(9.5), ..ItemInfo::default() };
        cat.items.insert("s".into(), info);
        let doc = catalog_json(&cat, &HashMap::new(), ["s"]);
        assert_eq!(doc["items"][0]["brand"], "Acme");
        assert_eq!(doc["items"][0]["price"], 9.5);
    }
}
