//! Item catalogs: JSONL, JSON maps, CSV/TSV with a header, RecBole atomic `.item`, MovieLens `u.item`.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Result, TrainError};
use crate::text::{header_name, read_text, Delim};

/// What the catalog says about one item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemInfo {
    /// Title.
    pub title: String,
    /// Brand (empty when unknown).
    pub brand: String,
    /// Categories / attributes (possibly several).
    pub categories: Vec<String>,
    /// Price, when known.
    pub price: Option<f32>,
    /// Stock state, when known.
    pub in_stock: Option<bool>,
}

/// An item catalog keyed by the store's item id.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Item id -> attributes.
    pub items: HashMap<String, ItemInfo>,
    /// Ids in file order.
    pub order: Vec<String>,
}

impl Catalog {
    fn insert(&mut self, id: String, info: ItemInfo) {
        if !self.items.contains_key(&id) {
            self.order.push(id.clone());
        }
        self.items.insert(id, info);
    }
}

/// MovieLens genres in `u.item` flag order (the content of `u.genre`).
const ML_GENRES: [&str; 19] = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];

/// Reads a catalog, detecting the format from the content.
pub fn read_catalog(path: &Path) -> Result<Catalog> {
    let text = read_text(path)?;
    let trimmed = text.trim_start();
    let cat = if trimmed.starts_with('{') {
        let multi_line_objects = trimmed.lines().nth(1).is_some_and(|l| l.trim_start().starts_with('{'));
        if multi_line_objects
            || trimmed.lines().count() == 1
                && serde_json::from_str::<serde_json::Value>(trimmed)
                    .is_ok_and(|v| v.get("item_id").is_some() || v.get("id").is_some())
        {
            read_jsonl(path, &text)?
        } else {
            read_json_map(path, &text)?
        }
    } else if trimmed.starts_with('[') {
        read_json_array(path, &text)?
    } else {
        read_table(path, &text)?
    };
    if cat.items.is_empty() {
        return Err(TrainError::format(path, "no items could be read"));
    }
    Ok(cat)
}

fn json_id(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn info_from_json(obj: &serde_json::Map<String, serde_json::Value>) -> ItemInfo {
    let mut info = ItemInfo::default();
    for (k, v) in obj {
        match header_name(k).as_str() {
            "title" | "name" | "movie_title" | "product_name" => info.title = json_text(v),
            "brand" | "manufacturer" | "vendor" => info.brand = json_text(v),
            "categories" | "category" | "genres" | "genre" | "class" | "attributes" | "attribute_ids" | "tags" => {
                info.categories.extend(json_list(v))
            }
            "price" => info.price = json_price(v),
            "in_stock" | "instock" | "available" | "availability" => info.in_stock = json_bool(v),
            _ => {}
        }
    }
    info
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => unescape_html(s.trim()),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn json_list(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::Array(a) => a.iter().flat_map(json_list).collect(),
        serde_json::Value::String(s) => split_categories(s),
        serde_json::Value::Number(n) => vec![n.to_string()],
        _ => Vec::new(),
    }
}

fn json_price(v: &serde_json::Value) -> Option<f32> {
    match v {
        serde_json::Value::Number(n) => n.as_f64().map(|x| x as f32),
        serde_json::Value::String(s) => parse_price(s),
        _ => None,
    }
    .filter(|p| p.is_finite() && *p >= 0.0)
}

fn json_bool(v: &serde_json::Value) -> Option<bool> {
    match v {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::Number(n) => n.as_f64().map(|x| x > 0.0),
        serde_json::Value::String(s) => parse_bool(s),
        _ => None,
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "in stock" | "in_stock" | "instock" | "available" => Some(true),
        "0" | "false" | "no" | "n" | "out of stock" | "out_of_stock" | "outofstock" | "unavailable" => Some(false),
        _ => None,
    }
}

fn parse_price(s: &str) -> Option<f32> {
    let t: String = s.chars().filter(|c| c.is_ascii_digit() || *c == '.').collect();
    t.parse::<f32>().ok().filter(|p| p.is_finite() && *p >= 0.0)
}

/// Splits a category string: `a > b > c`, `a|b`, `a, b` or whitespace-separated attribute ids.
fn split_categories(s: &str) -> Vec<String> {
    let s = s.trim();
    let parts: Vec<&str> = if s.contains(" > ") {
        s.split(" > ").collect()
    } else if s.contains('|') {
        s.split('|').collect()
    } else if s.contains(", ") {
        s.split(", ").collect()
    } else if !s.is_empty() && s.split_ascii_whitespace().all(|t| t.chars().all(|c| c.is_ascii_digit())) {
        s.split_ascii_whitespace().collect()
    } else {
        vec![s]
    };
    parts.into_iter().map(|p| unescape_html(p.trim())).filter(|p| !p.is_empty()).collect()
}

fn unescape_html(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&amp;", "&").replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
}

fn read_jsonl(path: &Path, text: &str) -> Result<Catalog> {
    let mut cat = Catalog::default();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| TrainError::parse(path, n + 1, format!("invalid JSON: {e}")))?;
        let Some(obj) = v.as_object() else {
            return Err(TrainError::parse(path, n + 1, "expected a JSON object per line"));
        };
        let id = ["item_id", "id", "item", "sku", "asin", "product_id", "itemid"]
            .iter()
            .find_map(|k| obj.get(*k).and_then(json_id))
            .ok_or_else(|| TrainError::parse(path, n + 1, "no item_id / id field"))?;
        cat.insert(id, info_from_json(obj));
    }
    Ok(cat)
}

fn read_json_array(path: &Path, text: &str) -> Result<Catalog> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| TrainError::parse(path, e.line(), format!("invalid JSON: {e}")))?;
    let mut cat = Catalog::default();
    for (n, item) in v.as_array().into_iter().flatten().enumerate() {
        let Some(obj) = item.as_object() else {
            return Err(TrainError::format(path, format!("element {n} is not an object")));
        };
        let id = ["item_id", "id", "item", "sku", "asin", "product_id"]
            .iter()
            .find_map(|k| obj.get(*k).and_then(json_id))
            .ok_or_else(|| TrainError::format(path, format!("element {n} has no item_id / id field")))?;
        cat.insert(id, info_from_json(obj));
    }
    Ok(cat)
}

/// `{"id": {...attributes...}}` or `{"id": [attribute, ...]}`.
fn read_json_map(path: &Path, text: &str) -> Result<Catalog> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| TrainError::parse(path, e.line(), format!("invalid JSON: {e}")))?;
    let Some(map) = v.as_object() else {
        return Err(TrainError::format(path, "expected a JSON object"));
    };
    let mut cat = Catalog::default();
    for (id, val) in map {
        let info = match val {
            serde_json::Value::Object(obj) => info_from_json(obj),
            other => ItemInfo { categories: json_list(other), ..ItemInfo::default() },
        };
        cat.insert(id.clone(), info);
    }
    Ok(cat)
}

fn read_table(path: &Path, text: &str) -> Result<Catalog> {
    let delim = Delim::detect(text.lines());
    let mut records = Vec::new();
    for r in delim.records(text) {
        match r.fields {
            Ok(f) => records.push((r.line, f)),
            Err(e) => return Err(TrainError::parse(path, r.line, e)),
        }
    }
    let mut lines = records.into_iter().peekable();
    let Some((first_line, first_fields)) = lines.peek().cloned() else {
        return Err(TrainError::format(path, "the file is empty"));
    };
    let first = text.lines().nth(first_line.saturating_sub(1)).unwrap_or("");
    let mut cat = Catalog::default();
    // MovieLens u.item: id|title|release|video release|url|19 genre flags, no header.
    if delim == Delim::Char('|') && first_fields.len() == 5 + ML_GENRES.len() {
        for (n, f) in lines {
            if f.len() != 5 + ML_GENRES.len() {
                return Err(TrainError::parse(path, n, format!("expected 24 fields, found {}", f.len())));
            }
            let categories = ML_GENRES
                .iter()
                .zip(&f[5..])
                .filter(|(_, flag)| flag.as_str() == "1")
                .map(|(g, _)| g.to_string())
                .collect();
            cat.insert(f[0].clone(), ItemInfo { title: f[1].clone(), categories, ..ItemInfo::default() });
        }
        return Ok(cat);
    }
    let names: Vec<String> = first_fields.iter().map(|f| header_name(f)).collect();
    let col = |cands: &[&str]| names.iter().position(|n| cands.contains(&n.as_str()));
    let id_col = col(&["item_id", "id", "item", "sku", "asin", "product_id", "itemid", "movie_id"]);
    let Some(id_col) = id_col else {
        return Err(TrainError::parse(
            path,
            1,
            format!("no item id column in header {:?} (expected item_id or id)", first.trim()),
        ));
    };
    lines.next();
    let title = col(&["title", "name", "movie_title", "product_name"]);
    let brand = col(&["brand", "manufacturer", "vendor"]);
    let cats: Vec<usize> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            ["categories", "category", "genres", "genre", "class", "attributes", "attribute_ids", "tags"]
                .contains(&n.as_str())
        })
        .map(|(i, _)| i)
        .collect();
    let token_seq: Vec<usize> =
        cats.iter().copied().filter(|&c| first_fields[c].trim().ends_with(":token_seq")).collect();
    let price = col(&["price"]);
    let stock = col(&["in_stock", "instock", "available", "availability"]);
    for (n, f) in lines {
        let Some(id) = f.get(id_col).filter(|s| !s.is_empty()) else {
            return Err(TrainError::parse(path, n, "missing item id"));
        };
        let get = |c: Option<usize>| c.and_then(|c| f.get(c)).map(String::as_str).unwrap_or("");
        let info = ItemInfo {
            title: unescape_html(get(title)),
            brand: unescape_html(get(brand)),
            categories: cats
                .iter()
                .flat_map(|&c| match token_seq.contains(&c) {
                    // RecBole `token_seq`: space-separated tokens ("Animation Children's Comedy").
                    true => get(Some(c)).split_ascii_whitespace().map(unescape_html).collect(),
                    false => split_categories(get(Some(c))),
                })
                .collect(),
            price: parse_price(get(price)),
            in_stock: parse_bool(get(stock)),
        };
        cat.insert(id.clone(), info);
    }
    Ok(cat)
}
