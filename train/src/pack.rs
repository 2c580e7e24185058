//! `recofuse pack`: the tables of the Spark job (`spark/recofuse_tables.py`, issue 19) read from
//! Parquet, validated, and put into an ordinary [`Model`].
//!
//! A tables directory holds one subdirectory of Parquet part files per table (Spark's layout):
//!
//! | table | columns | becomes |
//! |---|---|---|
//! | `popularity` (required) | `item`, `first_seen`, `count`, `trend` | the item list (ordered by `first_seen`, then id) and the popularity section |
//! | `item_cf` | `item`, `neighbour`, `weight` | the item-CF neighbour lists |
//! | `transitions` | `item`, `next`, `weight` | the sequential transitions |
//! | `item_factors` | `item`, `factors` (list of floats) | the embeddings, quantised to int8 per row |
//! | `prototypes` | `prototype`, `size`, `item`, `weight` | the prototype users |
//! | `items` | `item`, `title`, `categories`, `brand`, `price`, `in_stock` | the catalog attributes (and text vectors) |
//!
//! and `config.json` (or `config_json/part-*.txt`), the values the job used (`usercf.min_size` is the k-anonymity floor checked here).
//! Every value is checked: ids known and not empty, weights finite and positive, sizes within bounds,
//! no duplicate rows; an error names the table, the file, the 1-based row and the column.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use parquet::file::reader::FileReader;
use parquet::file::serialized_reader::SerializedFileReader;
use parquet::record::{Field, Row};
use recofuse_core::model::{Csr, EmbeddingData, Embeddings, Popularity, Prototypes};
use recofuse_core::{FusionConfig, Model, ScoringConfig};

use crate::catalog::{Catalog, ItemInfo};
use crate::error::{Result, TrainError};

/// Bounds the tables are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most neighbours (item-CF) or followers (transitions) per item.
    pub max_row: usize,
    /// Largest embedding dimension.
    pub max_dim: usize,
    /// Most items a prototype keeps.
    pub max_prototype_items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_row: 1000, max_dim: 1024, max_prototype_items: 5000 }
    }
}

/// Sparse rows keyed by item index: `(column, weight)` per row.
pub type Rows = Vec<Vec<(u32, f32)>>;

/// The validated tables, items indexed in bundle order.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// Item ids, in bundle order (first seen in the log first).
    pub items: Vec<String>,
    /// `ln(1 + events)` per item.
    pub count: Vec<f32>,
    /// `ln(1 + recent events)` per item.
    pub trend: Vec<f32>,
    /// Item-CF neighbours per item.
    pub item_cf: Option<Rows>,
    /// Transitions per item.
    pub transitions: Option<Rows>,
    /// Item factors: dimension and row-major values (zero rows for items without factors).
    pub factors: Option<(usize, Vec<f32>)>,
    /// Prototypes: preferences per prototype and their sizes.
    pub prototypes: Option<(Rows, Vec<u32>)>,
    /// The k-anonymity floor (`usercf.min_size` of `config.json`, 10 when absent).
    pub min_cluster_size: u32,
    /// Catalog attributes.
    pub catalog: Option<Catalog>,
    /// `config.json` as written by the job (`null` when absent).
    pub config: serde_json::Value,
}

/// Where a value is: for error messages.
struct At<'a> {
    table: &'a str,
    file: &'a Path,
    row: usize,
}

impl At<'_> {
    fn err(&self, column: &str, reason: impl Into<String>) -> TrainError {
        TrainError::Table {
            table: self.table.to_string(),
            file: self.file.to_path_buf(),
            row: self.row,
            column: column.to_string(),
            reason: reason.into(),
        }
    }

    fn field<'r>(&self, row: &'r Row, column: &str) -> Result<&'r Field> {
        row.get_column_iter()
            .find(|(n, _)| n.as_str() == column)
            .map(|(_, f)| f)
            .ok_or_else(|| self.err(column, "missing column"))
    }

    fn opt<'r>(&self, row: &'r Row, column: &str) -> Option<&'r Field> {
        row.get_column_iter().find(|(n, _)| n.as_str() == column).map(|(_, f)| f).filter(|f| !matches!(f, Field::Null))
    }

    fn string(&self, row: &Row, column: &str) -> Result<String> {
        let s = match self.field(row, column)? {
            Field::Str(s) => s.clone(),
            Field::Int(x) => x.to_string(),
            Field::Long(x) => x.to_string(),
            Field::Null => return Err(self.err(column, "null id")),
            other => return Err(self.err(column, format!("expected a string, found {other}"))),
        };
        if s.is_empty() {
            return Err(self.err(column, "empty id"));
        }
        Ok(s)
    }

    fn number(&self, f: &Field, column: &str) -> Result<f64> {
        let x = match f {
            Field::Double(x) => *x,
            Field::Float(x) => f64::from(*x),
            Field::Int(x) => f64::from(*x),
            Field::Long(x) => *x as f64,
            Field::Null => return Err(self.err(column, "null value")),
            other => return Err(self.err(column, format!("expected a number, found {other}"))),
        };
        if !x.is_finite() {
            return Err(self.err(column, format!("not finite ({x})")));
        }
        Ok(x)
    }

    fn num(&self, row: &Row, column: &str) -> Result<f64> {
        self.number(self.field(row, column)?, column)
    }

    /// A finite weight that fits an f32 and is positive.
    fn weight(&self, row: &Row, column: &str) -> Result<f32> {
        let x = self.num(row, column)?;
        if !(x > 0.0 && x <= f64::from(f32::MAX)) {
            return Err(self.err(column, format!("weight {x} out of range (0, f32::MAX]")));
        }
        Ok(x as f32)
    }
}

/// The Parquet files of a table, in name order; `None` when the table's directory is absent.
fn table_files(dir: &Path, table: &str) -> Result<Option<Vec<PathBuf>>> {
    let d = dir.join(table);
    if !d.is_dir() {
        return Ok(None);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&d)
        .map_err(|e| TrainError::io(&d, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    files.sort();
    Ok(Some(files))
}

/// Calls `f` on every row of a table (1-based row numbers within each file); `false` when it is absent.
fn each_row(dir: &Path, table: &str, mut f: impl FnMut(&At<'_>, &Row) -> Result<()>) -> Result<bool> {
    let Some(files) = table_files(dir, table)? else { return Ok(false) };
    for file in &files {
        let bad = |e: parquet::errors::ParquetError| TrainError::Table {
            table: table.to_string(),
            file: file.clone(),
            row: 0,
            column: String::new(),
            reason: format!("unreadable Parquet: {e}"),
        };
        let handle = std::fs::File::open(file).map_err(|e| TrainError::io(file, e))?;
        let reader = SerializedFileReader::new(handle).map_err(bad)?;
        if reader.metadata().file_metadata().num_rows() == 0 {
            continue;
        }
        for (i, row) in reader.into_iter().enumerate() {
            let row = row.map_err(bad)?;
            f(&At { table, file, row: i + 1 }, &row)?;
        }
    }
    Ok(true)
}

/// Reads and validates the tables in `dir` (see the module documentation).
pub fn read_tables(dir: &Path, limits: &Limits) -> Result<Tables> {
    if !dir.is_dir() {
        return Err(TrainError::format(dir, "not a directory of tables (expected popularity/, item_cf/, ...)"));
    }
    // config.json, or config_json/part-*.txt where the job wrote to a URL through Spark.
    let mut config_path = dir.join("config.json");
    if !config_path.is_file() {
        if let Ok(rd) = std::fs::read_dir(dir.join("config_json")) {
            let mut parts: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("part-")))
                .collect();
            parts.sort();
            if let Some(p) = parts.into_iter().next() {
                config_path = p;
            }
        }
    }
    let config: serde_json::Value = match std::fs::read_to_string(&config_path) {
        Ok(text) => serde_json::from_str(&text)
            .map_err(|e| TrainError::parse(&config_path, e.line(), format!("invalid JSON: {e}")))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => serde_json::Value::Null,
        Err(e) => return Err(TrainError::io(&config_path, e)),
    };
    let min_cluster_size =
        match config.get("usercf.min_size") {
            None | Some(serde_json::Value::Null) => 10,
            Some(v) => v.as_u64().filter(|&k| (1..=u64::from(u32::MAX)).contains(&k)).ok_or_else(|| {
                TrainError::format(&config_path, format!("usercf.min_size {v} is not a positive integer"))
            })? as u32,
        };

    // Items and popularity.
    let mut pop: Vec<(i64, String, f32, f32)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let present = each_row(dir, "popularity", |at, row| {
        let item = at.string(row, "item")?;
        if !seen.insert(item.clone()) {
            return Err(at.err("item", format!("item {item:?} appears twice")));
        }
        let first = match at.opt(row, "first_seen") {
            Some(f) => at.number(f, "first_seen")? as i64,
            None => i64::MAX,
        };
        let count = at.num(row, "count")?;
        let trend = at.num(row, "trend")?;
        for (c, x) in [("count", count), ("trend", trend)] {
            if !(0.0..=1e30).contains(&x) {
                return Err(at.err(c, format!("{x} out of range [0, 1e30]")));
            }
        }
        pop.push((first, item, count as f32, trend as f32));
        Ok(())
    })?;
    if !present || pop.is_empty() {
        return Err(TrainError::format(
            dir.join("popularity"),
            "the popularity table is missing or empty (it lists the items)",
        ));
    }
    if pop.len() > u32::MAX as usize - 1 {
        return Err(TrainError::format(dir.join("popularity"), "more items than a bundle indexes"));
    }
    pop.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let items: Vec<String> = pop.iter().map(|p| p.1.clone()).collect();
    let index: HashMap<&str, u32> = items.iter().enumerate().map(|(i, s)| (s.as_str(), i as u32)).collect();
    let n = items.len();
    let lookup = |at: &At<'_>, row: &Row, column: &str| -> Result<u32> {
        let id = at.string(row, column)?;
        index
            .get(id.as_str())
            .copied()
            .ok_or_else(|| at.err(column, format!("unknown item {id:?} (not in the popularity table)")))
    };

    let sparse = |table: &str, col: &str| -> Result<Option<Rows>> {
        let mut rows: Rows = vec![Vec::new(); n];
        let present = each_row(dir, table, |at, row| {
            let a = lookup(at, row, "item")?;
            let b = lookup(at, row, col)?;
            if a == b {
                return Err(at.err(col, "an item is its own neighbour"));
            }
            let w = at.weight(row, "weight")?;
            let r = &mut rows[a as usize];
            if r.iter().any(|x| x.0 == b) {
                return Err(at.err(col, format!("duplicate pair ({}, {})", items[a as usize], items[b as usize])));
            }
            if r.len() >= limits.max_row {
                return Err(
                    at.err(col, format!("more than {} entries for item {:?}", limits.max_row, items[a as usize]))
                );
            }
            r.push((b, w));
            Ok(())
        })?;
        for r in rows.iter_mut() {
            r.sort_unstable_by_key(|x| x.0);
        }
        Ok(present.then_some(rows))
    };
    let item_cf = sparse("item_cf", "neighbour")?;
    let transitions = sparse("transitions", "next")?;

    let mut dim = 0usize;
    let mut values: Vec<f32> = Vec::new();
    let mut has_factors = vec![false; n];
    let present = each_row(dir, "item_factors", |at, row| {
        let i = lookup(at, row, "item")? as usize;
        let Field::ListInternal(list) = at.field(row, "factors")? else {
            return Err(at.err("factors", "expected a list of numbers"));
        };
        let xs = list.elements();
        if dim == 0 {
            if xs.is_empty() || xs.len() > limits.max_dim {
                return Err(at.err("factors", format!("dimension {} out of range [1, {}]", xs.len(), limits.max_dim)));
            }
            dim = xs.len();
            values = vec![0f32; n * dim];
        } else if xs.len() != dim {
            return Err(at.err("factors", format!("dimension {} differs from the first row's {dim}", xs.len())));
        }
        if std::mem::replace(&mut has_factors[i], true) {
            return Err(at.err("item", format!("item {:?} has two rows", items[i])));
        }
        for (k, x) in xs.iter().enumerate() {
            let v = at.number(x, "factors")?;
            if v.abs() > 1e30 {
                return Err(at.err("factors", format!("value {v} out of range")));
            }
            values[i * dim + k] = v as f32;
        }
        Ok(())
    })?;
    let factors = (present && dim > 0).then_some((dim, values));

    let mut protos: HashMap<i64, (u32, Vec<(u32, f32)>)> = HashMap::new();
    let present = each_row(dir, "prototypes", |at, row| {
        let p = at.num(row, "prototype")? as i64;
        let size = at.num(row, "size")?;
        if !(size >= f64::from(min_cluster_size) && size <= f64::from(u32::MAX)) {
            return Err(at.err("size", format!("{size} users: below the k-anonymity floor {min_cluster_size}")));
        }
        let i = lookup(at, row, "item")?;
        let w = at.weight(row, "weight")?;
        let e = protos.entry(p).or_insert((size as u32, Vec::new()));
        if e.0 != size as u32 {
            return Err(at.err("size", format!("prototype {p}: size {size} differs from an earlier row's {}", e.0)));
        }
        if e.1.iter().any(|x| x.0 == i) {
            return Err(at.err("item", format!("prototype {p}: item {:?} twice", items[i as usize])));
        }
        if e.1.len() >= limits.max_prototype_items {
            return Err(at.err("item", format!("prototype {p}: more than {} items", limits.max_prototype_items)));
        }
        e.1.push((i, w));
        Ok(())
    })?;
    let prototypes = (present && !protos.is_empty()).then(|| {
        let mut keys: Vec<i64> = protos.keys().copied().collect();
        keys.sort_unstable();
        let mut rows = Vec::with_capacity(keys.len());
        let mut sizes = Vec::with_capacity(keys.len());
        for k in keys {
            if let Some((s, mut r)) = protos.remove(&k) {
                r.sort_unstable_by_key(|x| x.0);
                rows.push(r);
                sizes.push(s);
            }
        }
        (rows, sizes)
    });

    let mut catalog = Catalog::default();
    let present = each_row(dir, "items", |at, row| {
        let id = at.string(row, "item")?;
        let text = |c: &str| -> Result<String> {
            Ok(match at.opt(row, c) {
                Some(Field::Str(s)) => s.clone(),
                Some(other) => return Err(at.err(c, format!("expected a string, found {other}"))),
                None => String::new(),
            })
        };
        let categories = match at.opt(row, "categories") {
            Some(Field::ListInternal(l)) => l
                .elements()
                .iter()
                .filter_map(|f| match f {
                    Field::Str(s) if !s.is_empty() => Some(Ok(s.clone())),
                    Field::Null => None,
                    Field::Str(_) => None,
                    other => Some(Err(at.err("categories", format!("expected strings, found {other}")))),
                })
                .collect::<Result<Vec<String>>>()?,
            Some(other) => return Err(at.err("categories", format!("expected a list of strings, found {other}"))),
            None => Vec::new(),
        };
        let price = match at.opt(row, "price") {
            Some(f) => {
                let p = at.number(f, "price")?;
                if !(0.0..=1e12).contains(&p) {
                    return Err(at.err("price", format!("{p} out of range [0, 1e12]")));
                }
                Some(p as f32)
            }
            None => None,
        };
        let in_stock = match at.opt(row, "in_stock") {
            Some(Field::Bool(b)) => Some(*b),
            Some(other) => return Err(at.err("in_stock", format!("expected a boolean, found {other}"))),
            None => None,
        };
        if catalog.items.contains_key(&id) {
            return Err(at.err("item", format!("item {id:?} appears twice")));
        }
        catalog.order.push(id.clone());
        catalog
            .items
            .insert(id, ItemInfo { title: text("title")?, brand: text("brand")?, categories, price, in_stock });
        Ok(())
    })?;

    Ok(Tables {
        count: pop.iter().map(|p| p.2).collect(),
        trend: pop.iter().map(|p| p.3).collect(),
        items,
        item_cf,
        transitions,
        factors,
        prototypes,
        min_cluster_size,
        catalog: present.then_some(catalog),
        config,
    })
}

impl Tables {
    /// Puts the tables' sections into `model`, whose items are `ids` (an item the tables do not know
    /// gets no neighbours, zero popularity and a zero embedding; entries naming items outside `ids` are
    /// dropped). The catalog section is left as it is.
    pub fn apply(&self, model: &mut Model, ids: &[String]) {
        let to: HashMap<&str, u32> = ids.iter().enumerate().map(|(i, s)| (s.as_str(), i as u32)).collect();
        let map: Vec<Option<u32>> = self.items.iter().map(|s| to.get(s.as_str()).copied()).collect();
        let n = ids.len();
        let remap = |rows: &Rows| -> Csr {
            let mut out: Rows = vec![Vec::new(); n];
            for (a, row) in rows.iter().enumerate() {
                if let Some(Some(na)) = map.get(a) {
                    let mut r: Vec<(u32, f32)> = row
                        .iter()
                        .filter_map(|&(b, w)| map.get(b as usize).copied().flatten().map(|nb| (nb, w)))
                        .collect();
                    r.sort_unstable_by_key(|x| x.0);
                    out[*na as usize] = r;
                }
            }
            Csr::from_rows(&out)
        };
        let mut count = vec![0f32; n];
        let mut trend = vec![0f32; n];
        for (i, m) in map.iter().enumerate() {
            if let Some(j) = m {
                count[*j as usize] = self.count[i];
                trend[*j as usize] = self.trend[i];
            }
        }
        model.popularity = Popularity { count: count.into(), trend: trend.into() };
        model.item_cf = self.item_cf.as_ref().map(remap);
        model.transitions = self.transitions.as_ref().map(remap);
        model.embeddings = self.factors.as_ref().map(|(dim, v)| {
            let mut out = vec![0f32; n * dim];
            for (i, m) in map.iter().enumerate() {
                if let Some(j) = m {
                    out[*j as usize * dim..(*j as usize + 1) * dim].copy_from_slice(&v[i * dim..(i + 1) * dim]);
                }
            }
            crate::fit::quantize_i8(&Embeddings { dim: *dim, data: EmbeddingData::F32(out.into()) })
        });
        model.prototypes = self.prototypes.as_ref().map(|(rows, sizes)| {
            let rows: Rows = rows
                .iter()
                .map(|r| {
                    let mut r: Vec<(u32, f32)> = r
                        .iter()
                        .filter_map(|&(b, w)| map.get(b as usize).copied().flatten().map(|nb| (nb, w)))
                        .collect();
                    r.sort_unstable_by_key(|x| x.0);
                    r
                })
                .collect();
            Prototypes {
                prefs: Csr::from_rows(&rows),
                sizes: sizes.clone().into(),
                min_cluster_size: self.min_cluster_size,
            }
        });
    }

    /// The model of the tables alone: their items, catalog and sections, with `fusion` and `scoring`.
    pub fn into_model(self, fusion: FusionConfig, scoring: ScoringConfig) -> Model {
        let mut model = Model { fusion, scoring, ..Model::default() };
        model.items = crate::fit::items(&self.items, self.catalog.as_ref());
        self.apply(&mut model, &self.items);
        model.info.insert("trainer".into(), format!("recofuse pack {}", env!("CARGO_PKG_VERSION")));
        if let Some(u) = self.config.get("users").and_then(serde_json::Value::as_u64) {
            model.info.insert("users".into(), u.to_string());
        }
        if let Some(e) = self.config.get("events").and_then(serde_json::Value::as_u64) {
            model.info.insert("interactions".into(), e.to_string());
        }
        model
    }
}

/// The fusion and scorer configurations of a `recofuse train --report` file (its `fusion` and
/// `scoring` entries; a missing `scoring` gives the defaults).
pub fn configs_from_report(path: &Path) -> Result<(FusionConfig, ScoringConfig)> {
    let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| TrainError::parse(path, e.line(), format!("invalid JSON: {e}")))?;
    let part = |k: &str| doc.get(k).map(|v| v.to_string());
    let Some(fusion) = part("fusion") else {
        return Err(TrainError::format(path, "no `fusion` entry (expected a `recofuse train --report` file)"));
    };
    let fusion = FusionConfig::from_json(&fusion).map_err(|e| TrainError::format(path, format!("fusion: {e}")))?;
    let scoring = match part("scoring") {
        Some(s) => ScoringConfig::from_json(&s).map_err(|e| TrainError::format(path, format!("scoring: {e}")))?,
        None => ScoringConfig::default(),
    };
    Ok((fusion, scoring))
}
