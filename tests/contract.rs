//! The JavaScript contract is written once, in Rust: the error table (`recofuse::error::ERROR_CODES`), the
//! option keys (`recofuse::options`) and the engine's names (signals, methods, normalisations, event
//! kinds). These native tests fail when the TypeScript declarations (`src/types.d.ts`, emitted verbatim
//! into `pkg/recofuse.d.ts`) or the README's tables say something else.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use recofuse::convert::EVENT_KEYS;
use recofuse::error::ERROR_CODES;
use recofuse::options::{DEPRECATED_KEYS, LOAD_KEYS, PIN_KEYS, RECOMMEND_KEYS, RERANK_KEYS, STOCK_RULES};
use recofuse::storage::StoragePreference;
use recofuse::types::DECLARATIONS;
use recofuse_core::{EventKind, Method, Normalization, Signal};

const README: &str = include_str!("../README.md");

/// The declaration `export type NAME = ...;` or `export interface NAME ... { ... }`, from its name to its end.
fn declaration(name: &str) -> &'static str {
    let start = [format!("export type {name} ="), format!("export interface {name} "), format!("export class {name} ")]
        .iter()
        .find_map(|head| DECLARATIONS.find(head.as_str()))
        .unwrap_or_else(|| panic!("src/types.d.ts declares {name}"));
    let rest = &DECLARATIONS[start..];
    if rest.starts_with("export type") {
        return &rest[..rest.find(';').expect("a type ends with ;") + 1];
    }
    let mut depth = 0;
    for (i, c) in rest.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 1 => return &rest[..=i],
            '}' => depth -= 1,
            _ => {}
        }
    }
    panic!("unbalanced braces in {name}")
}

/// The string literals of a union type, e.g. `"a" | "b"`.
fn ts_union(name: &str) -> Vec<String> {
    declaration(name).split('"').skip(1).step_by(2).map(str::to_string).collect()
}

/// The property names of an interface, with its parents' (`extends`), and whether each is `@deprecated`.
fn ts_properties(name: &str) -> Vec<(String, bool)> {
    let decl = declaration(name);
    let head = &decl[..decl.find('{').expect("interface body")];
    let mut out = match head.split_once(" extends ") {
        Some((_, parent)) => ts_properties(parent.trim()),
        None => Vec::new(),
    };
    let body = &decl[decl.find('{').expect("body") + 1..decl.len() - 1];
    let (mut depth, mut deprecated, mut in_comment) = (0, false, false);
    for line in body.lines().map(str::trim) {
        if in_comment || line.starts_with("/**") {
            deprecated |= line.contains("@deprecated");
            in_comment = !line.contains("*/");
        } else if depth == 0 && !line.is_empty() && !line.starts_with("//") {
            // One property or several (`{ item: string; position: number; }`), nested braces left out.
            for part in without_braces(line).split(';').map(str::trim).filter(|p| !p.is_empty()) {
                let key: String = part.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                assert!(!key.is_empty(), "a property of {name}: {line}");
                out.push((key, deprecated));
            }
            deprecated = false;
        }
        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
    }
    out
}

/// `line` without what stands between balanced braces.
fn without_braces(line: &str) -> String {
    let mut depth = 0;
    line.chars()
        .filter(|c| {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => return depth == 0,
            }
            false
        })
        .collect()
}

fn keys(props: &[(String, bool)]) -> BTreeSet<&str> {
    props.iter().map(|(k, _)| k.as_str()).collect()
}

/// The cells of a Markdown table row, split at the `|` that are not escaped as `\|`.
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                out.last_mut().expect("a cell").push_str("\\|");
                chars.next();
            }
            '|' => out.push(String::new()),
            _ => out.last_mut().expect("a cell").push(c),
        }
    }
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

/// The body rows of the first table after the README heading `heading` (and its header row).
fn readme_table(heading: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let start = README.find(&format!("\n{heading}\n")).unwrap_or_else(|| panic!("README has {heading}"));
    let mut rows = README[start..].lines().skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|'));
    let header = cells(rows.next().expect("a table header"));
    let body: Vec<Vec<String>> = rows.skip(1).map(cells).collect();
    (header, body)
}

/// `` `key` `` -> `key`.
fn unquote(cell: &str) -> &str {
    cell.trim_matches('`')
}

fn signal_names() -> Vec<&'static str> {
    Signal::ALL.iter().map(|s| s.name()).collect()
}

#[test]
fn every_engine_code_has_a_row_and_every_row_is_unique() {
    let table: Vec<&str> = ERROR_CODES.iter().map(|row| row.code).collect();
    for code in recofuse_core::Error::CODES {
        assert!(table.contains(code), "engine code {code} is missing from recofuse::error::ERROR_CODES");
    }
    let unique: BTreeSet<&str> = table.iter().copied().collect();
    assert_eq!(unique.len(), table.len(), "duplicate rows in {table:?}");
}

#[test]
fn the_typescript_error_union_is_the_table() {
    let ts: BTreeSet<String> = ts_union("ErrorCode").into_iter().collect();
    let table: BTreeSet<String> = ERROR_CODES.iter().map(|row| row.code.to_string()).collect();
    assert_eq!(ts, table, "ErrorCode in src/types.d.ts against recofuse::error::ERROR_CODES");
    let class = declaration("RecofuseError");
    assert!(class.contains("extends Error") && class.contains("code: ErrorCode"), "{class}");
}

#[test]
fn the_readme_error_table_is_the_table() {
    let (header, rows) = readme_table("### Errors");
    assert_eq!(header, ["code", "thrown by", "meaning"]);
    let want: Vec<Vec<String>> = ERROR_CODES
        .iter()
        .map(|row| vec![format!("`{}`", row.code), row.thrown_by.to_string(), row.meaning.to_string()])
        .collect();
    let rendered: String = want.iter().map(|r| format!("| {} |\n", r.join(" | "))).collect::<Vec<_>>().concat();
    assert_eq!(rows, want, "README's ### Errors table differs from ERROR_CODES; it should read:\n{rendered}");
}

#[test]
fn load_options_are_the_same_everywhere() {
    let ts = ts_properties("LoadOptions");
    assert_eq!(keys(&ts), LOAD_KEYS.into_iter().collect(), "LoadOptions in src/types.d.ts");
    let (header, rows) = readme_table("### Load options (`fromUrl`, `fromBytes`)");
    assert_eq!(header, ["option", "type", "default", "meaning"]);
    let readme: Vec<&str> = rows.iter().map(|r| unquote(&r[0])).collect();
    assert_eq!(readme, LOAD_KEYS, "README's load options table, in order");
    let storage = &rows[LOAD_KEYS.iter().position(|k| *k == "storage").expect("storage")][1];
    for p in StoragePreference::ALL {
        assert!(storage.contains(&format!("\"{}\"", p.name())), "README's storage row names {}", p.name());
    }
}

#[test]
fn rerank_and_recommend_options_are_the_same_everywhere() {
    let rerank = ts_properties("RerankOptions");
    let recommend = ts_properties("RecommendOptions");
    assert_eq!(keys(&rerank), RERANK_KEYS.into_iter().collect(), "RerankOptions in src/types.d.ts");
    assert_eq!(keys(&recommend), RECOMMEND_KEYS.iter().copied().collect(), "RecommendOptions in src/types.d.ts");

    let (header, rows) = readme_table("### Rerank options (`rerank`, `rerankDetailed`, `recommend`)");
    assert_eq!(header, ["option", "type", "default", "`recommend`", "meaning"]);
    let readme: Vec<&str> = rows.iter().map(|r| unquote(&r[0])).collect();
    assert_eq!(readme, RERANK_KEYS, "README's rerank options table, in order");
    for row in &rows {
        let key = unquote(&row[0]);
        let want = if RECOMMEND_KEYS.contains(&key) { "yes" } else { "no" };
        assert_eq!(row[3], want, "README: does recommend take {key}?");
    }
    let row = |key: &str| &rows[RERANK_KEYS.iter().position(|k| *k == key).expect("a key")];
    for name in signal_names() {
        assert!(row("weights")[1].contains(&format!("{name}?")), "README's weights row names {name}");
    }
    for m in Method::ALL {
        assert!(row("method")[1].contains(&format!("`{}`", m.name())), "README's method row names {}", m.name());
    }
    for n in Normalization::ALL {
        assert!(row("normalization")[1].contains(&format!("`{}`", n.name())), "README names {}", n.name());
    }
    for (name, _) in STOCK_RULES {
        assert!(row("stock")[1].contains(&format!("\"{name}\"")), "README's stock row names {name}");
    }
}

#[test]
fn deprecated_options_are_marked_as_such_everywhere() {
    let (_, rows) = readme_table("### Rerank options (`rerank`, `rerankDetailed`, `recommend`)");
    for props in [ts_properties("RerankOptions"), ts_properties("RecommendOptions")] {
        let marked: BTreeSet<&str> = props.iter().filter(|(_, d)| *d).map(|(k, _)| k.as_str()).collect();
        assert_eq!(marked, DEPRECATED_KEYS.iter().map(|(k, _)| *k).collect(), "@deprecated in src/types.d.ts");
    }
    for row in &rows {
        let key = unquote(&row[0]);
        let deprecated = DEPRECATED_KEYS.iter().find(|(k, _)| *k == key);
        assert_eq!(row[4].starts_with("**deprecated**"), deprecated.is_some(), "README: is {key} deprecated?");
        if let Some((_, stock)) = deprecated {
            assert!(row[4].contains(&format!("`stock: \"{stock}\"`")), "README: {key} says what replaces it");
        }
    }
}

#[test]
fn event_and_pin_keys_are_the_same_in_typescript() {
    assert_eq!(keys(&ts_properties("RecordEvent")), EVENT_KEYS.into_iter().collect(), "RecordEvent");
    assert_eq!(keys(&ts_properties("Pin")), PIN_KEYS.into_iter().collect(), "Pin");
}

#[test]
fn the_typescript_names_are_the_engines() {
    let set = |v: Vec<String>| v.into_iter().collect::<BTreeSet<_>>();
    let owned = |v: Vec<&str>| v.into_iter().map(str::to_string).collect::<BTreeSet<_>>();
    assert_eq!(set(ts_union("SignalName")), owned(signal_names()));
    assert_eq!(set(ts_union("FusionMethod")), owned(Method::ALL.iter().map(|m| m.name()).collect()));
    assert_eq!(set(ts_union("Normalization")), owned(Normalization::ALL.iter().map(|n| n.name()).collect()));
    assert_eq!(set(ts_union("EventKind")), owned(EventKind::ALL.iter().map(|k| k.name()).collect()));
    assert_eq!(set(ts_union("StockRule")), owned(STOCK_RULES.iter().map(|(n, _)| *n).collect()));
    let backends: Vec<&str> = StoragePreference::ALL.iter().map(|p| p.name()).collect();
    assert_eq!(set(ts_union("StorageBackend")), owned(backends));
    for p in StoragePreference::ALL {
        assert_eq!(StoragePreference::parse(p.name()), Some(p));
    }
}

#[test]
fn the_readme_example_shows_every_signal() {
    let line = README.lines().find(|l| l.contains("contributions: {")).expect("README shows contributions");
    for name in signal_names() {
        assert!(line.contains(&format!("{name}:")), "README's contributions example lacks {name}: {line}");
    }
}
