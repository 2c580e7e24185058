//! Interaction logs: reading (CSV/TSV with header detection, RecBole atomic `.inter`, per-user
//! sequence files, JSON user -> items maps) into a [`Dataset`] of per-user ordered sequences.

use std::collections::HashMap;
use std::path::Path;

use recofuse_core::EventKind;

use crate::error::{Result, TrainError};
use crate::text::{header_name, is_number, parse_time_ms, read_text, Delim};

/// Spacing of the synthetic times given to logs without timestamps: one day per event, so that the
/// engine's history half-life (in days) reads as a number of events when such a log is evaluated.
pub const SYNTHETIC_STEP_MS: f64 = 86_400_000.0;

/// One interaction of a user.
#[derive(Debug, Clone, PartialEq)]
pub struct Interaction {
    /// Item index into [`Dataset::items`].
    pub item: u32,
    /// Time in milliseconds (or the order key when the log has positions instead of times; synthetic
    /// `position * SYNTHETIC_STEP_MS` otherwise).
    pub ts: f64,
    /// Event type (purchase when the log has no event column).
    pub kind: EventKind,
    /// Explicit rating, when the log has one.
    pub rating: Option<f32>,
}

/// Format of an interaction log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Delimited rows `user, item, [timestamp], [event], [rating]` (header optional, detected).
    Table,
    /// RecBole atomic `.inter` file (typed header `user_id:token ...`).
    Inter,
    /// One line per user: `user item1 item2 ...`, in order.
    Seq,
    /// A JSON object `{"user": [item, ...], ...}`, each list in order.
    JsonMap,
    /// JSON Lines: one object per event, `{"user": .., "item": .., "ts": .., "event": .., "rating": ..}`,
    /// keys named as a table's header would be (`user_id`, `sku`, `timestamp`, `type`, ...).
    JsonLines,
}

impl LogFormat {
    /// Parses a `--format` value.
    pub fn parse(s: &str) -> Result<LogFormat> {
        match s.to_ascii_lowercase().as_str() {
            "csv" | "tsv" | "table" | "movielens" => Ok(LogFormat::Table),
            "inter" | "recbole" => Ok(LogFormat::Inter),
            "seq" | "sequence" | "sequences" => Ok(LogFormat::Seq),
            "json" | "json-map" => Ok(LogFormat::JsonMap),
            "jsonl" | "ndjson" | "json-lines" => Ok(LogFormat::JsonLines),
            other => Err(TrainError::Invalid(format!(
                "unknown interaction format {other:?} (csv, tsv, inter, seq, json, jsonl)"
            ))),
        }
    }

    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::Table => "table",
            LogFormat::Inter => "inter",
            LogFormat::Seq => "seq",
            LogFormat::JsonMap => "json",
            LogFormat::JsonLines => "jsonl",
        }
    }
}

/// How the time column orders events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeKind {
    /// No time column: file order.
    None,
    /// Real times (converted to milliseconds).
    Time,
    /// Positions / sequence numbers (an order key, not a time).
    Order,
}

/// Reading options.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Force a format instead of detecting it.
    pub format: Option<LogFormat>,
    /// Skip malformed rows (counted in [`Dataset::skipped`]) instead of failing.
    pub lenient: bool,
}

/// A log read into per-user sequences, each ordered by the protocol of `docs/design.md`: by time with a
/// stable sort, so events of the same time keep the order of their lines in the file; file order when the
/// log has no time.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Name (the file stem, or the parent folder for generic names).
    pub name: String,
    /// External user ids, index = user index.
    pub users: Vec<String>,
    /// External item ids, index = item index.
    pub items: Vec<String>,
    /// Per-user ordered interactions.
    pub sequences: Vec<Vec<Interaction>>,
    /// The detected format.
    pub format: Option<LogFormat>,
    /// What the time column held.
    pub time: Option<TimeKind>,
    /// Whether an event-type column was present.
    pub has_kinds: bool,
    /// Whether a rating column was present.
    pub has_ratings: bool,
    /// Rows skipped as malformed (lenient mode).
    pub skipped: usize,
    /// The first few skipped rows with their reasons.
    pub skipped_examples: Vec<String>,
}

impl Dataset {
    /// Number of interactions.
    pub fn interactions(&self) -> usize {
        self.sequences.iter().map(Vec::len).sum()
    }

    /// Builds a dataset from in-memory sequences of item ids (file order, synthetic times).
    pub fn from_sequences<U: AsRef<str>, I: AsRef<str>>(name: &str, seqs: &[(U, Vec<I>)]) -> Dataset {
        let mut b = Builder::default();
        for (u, items) in seqs {
            for it in items {
                b.push(u.as_ref(), it.as_ref(), None, EventKind::Purchase, None);
            }
        }
        b.finish(name.to_string(), LogFormat::Seq, TimeKind::None, false, false)
    }
}

/// Reads an interaction log, detecting its format from the content.
pub fn read_interactions(path: &Path, opts: &ReadOptions) -> Result<Dataset> {
    let text = read_text(path)?;
    let format = match opts.format {
        Some(f) => f,
        None => detect_format(path, &text)?,
    };
    let mut ds = match format {
        LogFormat::JsonMap => read_json_map(path, &text)?,
        LogFormat::Seq => read_seq(path, &text, opts)?,
        LogFormat::Table | LogFormat::Inter => read_table(path, &text, opts, format)?,
        LogFormat::JsonLines => read_json_lines(path, &text, opts)?,
    };
    ds.name = dataset_name(path);
    if ds.interactions() == 0 {
        return Err(TrainError::format(path, "no interactions could be read"));
    }
    Ok(ds)
}

/// A name for the dataset: the folder name when the file name is generic (`u.data`, `interactions.tsv`).
pub fn dataset_name(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("dataset").to_string();
    let generic = ["u", "interactions", "ratings", "data", "inter", "events", "log"];
    if generic.contains(&stem.to_ascii_lowercase().as_str()) {
        if let Some(dir) = path.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str()) {
            return dir.to_string();
        }
    }
    stem
}

fn detect_format(path: &Path, text: &str) -> Result<LogFormat> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let one_object_per_line = trimmed.lines().next().is_some_and(|l| l.trim_end().ends_with('}'))
            && trimmed.lines().nth(1).is_none_or(|l| l.trim().is_empty() || l.trim_start().starts_with('{'));
        return Ok(if one_object_per_line { LogFormat::JsonLines } else { LogFormat::JsonMap });
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if ext == "inter" || first.split(['\t', ',']).any(|f| f.contains(":token") || f.contains(":float")) {
        return Ok(LogFormat::Inter);
    }
    let delim = Delim::detect(text.lines());
    if delim == Delim::Whitespace {
        // Sequence files: every token numeric-or-id, row lengths vary, some rows longer than 4 fields.
        let counts: Vec<usize> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(200)
            .map(|l| l.split_ascii_whitespace().count())
            .collect();
        let varies = counts.windows(2).any(|w| w[0] != w[1]);
        if varies && counts.iter().any(|&c| c > 4) {
            return Ok(LogFormat::Seq);
        }
    }
    Ok(LogFormat::Table)
}

/// Accumulates rows, interning ids, then orders each sequence.
#[derive(Default)]
struct Builder {
    users: Vec<String>,
    user_index: HashMap<String, u32>,
    items: Vec<String>,
    item_index: HashMap<String, u32>,
    rows: Vec<Vec<(Interaction, Option<f64>, u32)>>, // (interaction, sort key, file order within user)
}

impl Builder {
    fn push(&mut self, user: &str, item: &str, key: Option<f64>, kind: EventKind, rating: Option<f32>) {
        let u = match self.user_index.get(user) {
            Some(&u) => u,
            None => {
                let u = self.users.len() as u32;
                self.users.push(user.to_string());
                self.user_index.insert(user.to_string(), u);
                self.rows.push(Vec::new());
                u
            }
        };
        let i = match self.item_index.get(item) {
            Some(&i) => i,
            None => {
                let i = self.items.len() as u32;
                self.items.push(item.to_string());
                self.item_index.insert(item.to_string(), i);
                i
            }
        };
        let row = &mut self.rows[u as usize];
        let order = row.len() as u32;
        row.push((Interaction { item: i, ts: 0.0, kind, rating }, key, order));
    }

    fn finish(self, name: String, format: LogFormat, time: TimeKind, has_kinds: bool, has_ratings: bool) -> Dataset {
        let items = self.items;
        let sequences = self
            .rows
            .into_iter()
            .map(|mut row| {
                if time != TimeKind::None {
                    // Stable protocol (docs/design.md): by time; events of the same time keep the order of
                    // their lines in the input file. Never by item id: that put the highest id of a
                    // same-second batch last (44 % of MovieLens-100K's test targets).
                    row.sort_by(|a, b| {
                        let ka = a.1.unwrap_or(f64::NEG_INFINITY);
                        let kb = b.1.unwrap_or(f64::NEG_INFINITY);
                        ka.total_cmp(&kb).then(a.2.cmp(&b.2))
                    });
                }
                row.into_iter()
                    .enumerate()
                    .map(|(pos, (mut it, key, _))| {
                        it.ts = match (time, key) {
                            (TimeKind::Time, Some(k)) => k,
                            _ => pos as f64 * SYNTHETIC_STEP_MS,
                        };
                        it
                    })
                    .collect()
            })
            .collect();
        Dataset {
            name,
            users: self.users,
            items,
            sequences,
            format: Some(format),
            time: Some(time),
            has_kinds,
            has_ratings,
            skipped: 0,
            skipped_examples: Vec::new(),
        }
    }
}

struct Skips<'a> {
    path: &'a Path,
    lenient: bool,
    count: usize,
    examples: Vec<String>,
}

impl Skips<'_> {
    /// In lenient mode records the bad row and returns Ok; otherwise the error.
    fn bad(&mut self, line: usize, reason: String) -> Result<()> {
        if !self.lenient {
            return Err(TrainError::parse(self.path, line, reason));
        }
        self.count += 1;
        if self.examples.len() < 5 {
            self.examples.push(format!("{}:{line}: {reason}", self.path.display()));
        }
        Ok(())
    }
}

fn read_seq(path: &Path, text: &str, opts: &ReadOptions) -> Result<Dataset> {
    let mut b = Builder::default();
    let mut skips = Skips { path, lenient: opts.lenient, count: 0, examples: Vec::new() };
    for (n, line) in text.lines().enumerate() {
        let mut it = line.split_ascii_whitespace();
        let Some(user) = it.next() else { continue };
        let items: Vec<&str> = it.collect();
        if items.is_empty() {
            skips.bad(n + 1, format!("user {user:?} has no items"))?;
            continue;
        }
        for item in items {
            b.push(user, item, None, EventKind::Purchase, None);
        }
    }
    let mut ds = b.finish(String::new(), LogFormat::Seq, TimeKind::None, false, false);
    ds.skipped = skips.count;
    ds.skipped_examples = skips.examples;
    Ok(ds)
}

fn read_json_map(path: &Path, text: &str) -> Result<Dataset> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| TrainError::parse(path, e.line(), format!("invalid JSON: {e}")))?;
    let Some(map) = value.as_object() else {
        return Err(TrainError::format(path, "expected a JSON object mapping users to lists of items"));
    };
    let mut b = Builder::default();
    for (user, items) in map {
        let Some(list) = items.as_array() else {
            return Err(TrainError::format(path, format!("user {user:?}: expected a list of items")));
        };
        for item in list {
            let id = match item {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                other => return Err(TrainError::format(path, format!("user {user:?}: bad item {other}"))),
            };
            b.push(user, &id, None, EventKind::Purchase, None);
        }
    }
    Ok(b.finish(String::new(), LogFormat::JsonMap, TimeKind::None, false, false))
}

/// Column roles of a table.
#[derive(Debug, Clone, Copy, Default)]
struct Roles {
    user: Option<usize>,
    item: Option<usize>,
    time: Option<usize>,
    order: bool,
    event: Option<usize>,
    rating: Option<usize>,
}

impl Roles {
    /// The roles of named columns (names already normalised by `header_name`): the first column of each
    /// role wins, except that a time column replaces an order column.
    fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Roles {
        let mut roles = Roles::default();
        for (c, n) in names.into_iter().enumerate() {
            match role_of(n) {
                Some("user") if roles.user.is_none() => roles.user = Some(c),
                Some("item") if roles.item.is_none() => roles.item = Some(c),
                Some("time") if roles.time.is_none() || roles.order => {
                    roles.time = Some(c);
                    roles.order = false;
                }
                Some("order") if roles.time.is_none() => {
                    roles.time = Some(c);
                    roles.order = true;
                }
                Some("event") if roles.event.is_none() => roles.event = Some(c),
                Some("rating") if roles.rating.is_none() => roles.rating = Some(c),
                _ => {}
            }
        }
        roles
    }
}

fn role_of(name: &str) -> Option<&'static str> {
    let n = name.replace([' ', '-'], "_");
    let is = |c: &[&str]| c.iter().any(|x| n == *x);
    if is(&[
        "user",
        "user_id",
        "userid",
        "uid",
        "visitor",
        "visitorid",
        "visitor_id",
        "customer",
        "customer_id",
        "session",
        "session_id",
        "reviewerid",
        "reviewer_id",
    ]) {
        Some("user")
    } else if is(&[
        "item",
        "item_id",
        "itemid",
        "iid",
        "product",
        "product_id",
        "productid",
        "sku",
        "movie",
        "movie_id",
        "movieid",
        "asin",
        "article_id",
    ]) {
        Some("item")
    } else if is(&["seq_pos", "pos", "position", "order", "seq", "rank", "index"]) {
        Some("order")
    } else if is(&[
        "timestamp",
        "ts",
        "time",
        "datetime",
        "date",
        "event_time",
        "unix_time",
        "unixreviewtime",
        "created_at",
    ]) {
        Some("time")
    } else if is(&[
        "event",
        "event_type",
        "eventtype",
        "kind",
        "type",
        "action",
        "behavior",
        "behaviour",
        "interaction",
    ]) {
        Some("event")
    } else if is(&["rating", "ratings", "score", "stars", "overall", "label"]) {
        Some("rating")
    } else {
        None
    }
}

fn read_table(path: &Path, text: &str, opts: &ReadOptions, format: LogFormat) -> Result<Dataset> {
    let delim = Delim::detect(text.lines());
    let records = delim.records(text);
    let mut lines = records.iter().peekable();
    let Some(first_record) = lines.peek() else {
        return Err(TrainError::format(path, "the file is empty"));
    };
    let first_fields = match &first_record.fields {
        Ok(f) => f.clone(),
        Err(e) => return Err(TrainError::parse(path, first_record.line, e.clone())),
    };
    let first = text.lines().nth(first_record.line.saturating_sub(1)).unwrap_or("");
    let names: Vec<String> = first_fields.iter().map(|f| header_name(f)).collect();
    let named = names.iter().filter(|n| role_of(n).is_some()).count();
    let has_header =
        format == LogFormat::Inter || named >= 2 || (named >= 1 && !first_fields.iter().any(|f| is_number(f)));
    let mut roles = Roles::default();
    if has_header {
        lines.next();
        roles = Roles::from_names(names.iter().map(String::as_str));
        if roles.user.is_none() || roles.item.is_none() {
            return Err(TrainError::parse(
                path,
                1,
                format!(
                    "header {:?} names no user column or no item column (expected e.g. user_id, item_id)",
                    first.trim()
                ),
            ));
        }
    } else {
        // Headerless: user, item, then numeric columns (rating then timestamp when both), or an event name.
        let sample: Vec<&Vec<String>> = records.iter().take(200).filter_map(|r| r.fields.as_ref().ok()).collect();
        let ncol = first_fields.len();
        if ncol < 2 {
            return Err(TrainError::parse(path, 1, format!("expected at least 2 fields (user, item), found {ncol}")));
        }
        roles.user = Some(0);
        roles.item = Some(1);
        let numeric: Vec<bool> =
            (0..ncol).map(|c| sample.iter().all(|r| r.get(c).is_some_and(|f| is_number(f)))).collect();
        let max_of = |c: usize| sample.iter().filter_map(|r| r.get(c)?.parse::<f64>().ok()).fold(f64::MIN, f64::max);
        for (c, &is_num) in numeric.iter().enumerate().skip(2) {
            if is_num {
                if max_of(c) > 1e5 && roles.time.is_none() {
                    roles.time = Some(c);
                } else if max_of(c) <= 10.0 && roles.rating.is_none() {
                    roles.rating = Some(c);
                } else if roles.time.is_none() {
                    roles.time = Some(c);
                    roles.order = true;
                }
            } else if roles.event.is_none() {
                roles.event = Some(c);
            }
        }
    }
    let rows = lines.map(|r| (r.line, r.fields.clone()));
    collect_rows(path, rows, roles, opts, format)
}

/// Turns rows of fields (by line number; `Err` for a line that could not be split into fields) into a
/// dataset, the columns given by `roles`.
fn collect_rows(
    path: &Path,
    rows: impl Iterator<Item = (usize, std::result::Result<Vec<String>, String>)>,
    roles: Roles,
    opts: &ReadOptions,
    format: LogFormat,
) -> Result<Dataset> {
    let (Some(uc), Some(ic)) = (roles.user, roles.item) else {
        return Err(TrainError::format(path, "no user or item column"));
    };
    let mut b = Builder::default();
    let mut skips = Skips { path, lenient: opts.lenient, count: 0, examples: Vec::new() };
    for (line_no, f) in rows {
        let f = match f {
            Ok(f) => f,
            Err(reason) => {
                skips.bad(line_no, reason)?;
                continue;
            }
        };
        let get = |c: usize| f.get(c).map(String::as_str).filter(|s| !s.is_empty());
        let (Some(user), Some(item)) = (get(uc), get(ic)) else {
            skips.bad(line_no, format!("missing user or item field (found {} fields)", f.len()))?;
            continue;
        };
        let key = match roles.time {
            None => None,
            Some(c) => match get(c) {
                None => {
                    skips.bad(line_no, "missing time field".into())?;
                    continue;
                }
                Some(s) => {
                    let v =
                        if roles.order { s.parse::<f64>().ok().filter(|x| x.is_finite()) } else { parse_time_ms(s) };
                    match v {
                        Some(v) => Some(v),
                        None => {
                            skips.bad(line_no, format!("bad time {s:?}"))?;
                            continue;
                        }
                    }
                }
            },
        };
        let kind = match roles.event.and_then(get) {
            None => EventKind::Purchase,
            Some(s) => match parse_kind(s) {
                Some(k) => k,
                None => {
                    skips.bad(line_no, format!("unknown event type {s:?} (view, click, cart, purchase)"))?;
                    continue;
                }
            },
        };
        let rating = match roles.rating.and_then(get) {
            None => None,
            Some(s) => match s.parse::<f32>() {
                Ok(r) if r.is_finite() => Some(r),
                _ => {
                    skips.bad(line_no, format!("bad rating {s:?}"))?;
                    continue;
                }
            },
        };
        b.push(user, item, key, kind, rating);
    }
    let time = match (roles.time, roles.order) {
        (None, _) => TimeKind::None,
        (Some(_), true) => TimeKind::Order,
        (Some(_), false) => TimeKind::Time,
    };
    let mut ds = b.finish(String::new(), format, time, roles.event.is_some(), roles.rating.is_some());
    ds.skipped = skips.count;
    ds.skipped_examples = skips.examples;
    Ok(ds)
}

/// Event names of common logs mapped to the engine's kinds.
fn parse_kind(s: &str) -> Option<EventKind> {
    if let Ok(k) = EventKind::parse(s) {
        return Some(k);
    }
    match s.to_ascii_lowercase().as_str() {
        "pv" | "impression" | "detail" | "page_view" | "pageview" | "view_item" => Some(EventKind::View),
        "fav" | "like" | "wishlist" | "clk" | "select" => Some(EventKind::Click),
        "addtocart" | "add" | "basket" | "add_to_basket" => Some(EventKind::Cart),
        "transaction" | "order" | "checkout" | "buy_item" | "sale" => Some(EventKind::Purchase),
        _ => None,
    }
}

/// Reads JSON Lines events. The keys of the first object name the roles (as a table header would);
/// numbers and strings are both accepted as values; a line that is not a JSON object is a bad row.
fn read_json_lines(path: &Path, text: &str, opts: &ReadOptions) -> Result<Dataset> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()).peekable();
    let Some(&(first_no, first)) = lines.peek() else {
        return Err(TrainError::format(path, "the file is empty"));
    };
    let first: serde_json::Map<String, serde_json::Value> = serde_json::from_str(first)
        .map_err(|e| TrainError::parse(path, first_no + 1, format!("expected a JSON object: {e}")))?;
    let keys: Vec<String> = first.keys().cloned().collect();
    let names: Vec<String> = keys.iter().map(|k| header_name(k)).collect();
    let roles = Roles::from_names(names.iter().map(String::as_str));
    if roles.user.is_none() || roles.item.is_none() {
        return Err(TrainError::parse(
            path,
            first_no + 1,
            format!("keys {keys:?} name no user or no item (expected e.g. \"user\", \"item\")"),
        ));
    }
    let rows = lines.map(|(n, line)| {
        let fields = match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line) {
            Ok(obj) => Ok(keys
                .iter()
                .map(|k| match obj.get(k) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Number(x)) => x.to_string(),
                    Some(serde_json::Value::Bool(b)) => b.to_string(),
                    _ => String::new(),
                })
                .collect()),
            Err(e) => Err(format!("expected a JSON object: {e}")),
        };
        (n + 1, fields)
    });
    collect_rows(path, rows, roles, opts, LogFormat::JsonLines)
}
