//! The dependency graph between core's top-level modules (`src/<module>.rs` or `src/<module>/`) is a
//! DAG, in the direction a reader expects: leaves (tensor, json, sha256, sort) -> signal, config,
//! error -> model -> bundle; history -> profile and scorer kernels -> fusion, rules -> engine.
//!
//! An edge `a -> b` is any `crate::b` path in the code of `a` (comments skipped; `use crate::{b, c}`
//! groups and names re-exported at the crate root resolved to their module), test modules included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without its comments (line comments, doc comments, block comments).
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut block = 0usize;
    for line in text.lines() {
        let mut rest = line;
        let mut kept = String::new();
        loop {
            if block > 0 {
                match rest.find("*/") {
                    Some(i) => {
                        block -= 1;
                        rest = &rest[i + 2..];
                    }
                    None => break,
                }
            } else {
                let (lc, bc) = (rest.find("//"), rest.find("/*"));
                match (lc, bc) {
                    (Some(l), b) if b.is_none_or(|b| l < b) => {
                        kept.push_str(&rest[..l]);
                        break;
                    }
                    (_, Some(b)) => {
                        kept.push_str(&rest[..b]);
                        block += 1;
                        rest = &rest[b + 2..];
                    }
                    _ => {
                        kept.push_str(rest);
                        break;
                    }
                }
            }
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

fn ident(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The first path segment of every `crate::` path in `code` (for `crate::{a::x, b}`: `a` and `b`).
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        // `recofuse_crate::` or `my_crate::` are other paths.
        if code[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = code[i + "crate::".len()..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            // The items of the group at its top level.
            let (mut depth, mut start) = (0usize, 0usize);
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.push(ident(group[start..j].trim()).to_string());
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(ident(group[start..j].trim()).to_string());
                        start = j + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest).to_string());
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Names re-exported at the crate root (`pub use module::{A, B}` in lib.rs) -> their module.
fn reexports(lib: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in lib.lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else { continue };
        let rest = rest.trim_end_matches(';');
        let Some((module, names)) = rest.split_once("::") else { continue };
        for name in names.trim_matches(|c| c == '{' || c == '}').split(',') {
            let name = name.trim();
            if !name.is_empty() {
                map.insert(name.to_string(), module.to_string());
            }
        }
    }
    map
}

/// The module graph of the crate whose sources are in `src`.
fn graph(src: &Path) -> Graph {
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let reexported = reexports(&lib);
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut g = Graph::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap();
        let top = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if top == "lib" {
            continue;
        }
        let deps = g.entry(top.clone()).or_default();
        for first in crate_paths(&code(&std::fs::read_to_string(&f).unwrap())) {
            let module = reexported.get(&first).cloned().unwrap_or(first);
            if module != top {
                deps.insert(module);
            }
        }
    }
    g
}

/// A cycle of `g`, if any (as the list of modules along it, first repeated at the end).
fn cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(g: &Graph, m: &str, state: &mut BTreeMap<String, u8>, stack: &mut Vec<String>) -> Option<Vec<String>> {
        match state.get(m) {
            Some(2) => return None,
            Some(1) => {
                let start = stack.iter().position(|s| s == m).unwrap_or(0);
                let mut c = stack[start..].to_vec();
                c.push(m.to_string());
                return Some(c);
            }
            _ => {}
        }
        state.insert(m.to_string(), 1);
        stack.push(m.to_string());
        for d in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(g, d, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    g.keys().find_map(|m| visit(g, m, &mut state, &mut Vec::new()))
}

fn describe(g: &Graph) -> String {
    g.iter().map(|(m, d)| format!("  {m} -> {}\n", d.iter().cloned().collect::<Vec<_>>().join(", "))).collect()
}

#[test]
fn core_modules_form_a_dag() {
    let g = graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(g.len() > 10, "too few modules found:\n{}", describe(&g));
    if let Some(c) = cycle(&g) {
        panic!("import cycle between core's modules: {}\n{}", c.join(" -> "), describe(&g));
    }
    println!("core module graph:\n{}", describe(&g));
    // The direction: the kernels and the fusion know nothing of the engine or the profile, the model
    // nothing of the codec, the leaves nothing of the crate.
    let forbidden = [
        ("scorers", &["engine", "profile", "rules", "bundle"][..]),
        ("fusion", &["engine", "profile", "scorers", "history", "model"]),
        ("rules", &["engine", "profile", "scorers"]),
        ("model", &["bundle", "engine", "scorers", "profile"]),
        ("history", &["engine", "profile", "scorers", "model"]),
        ("profile", &["engine"]),
        ("config", &["model", "engine", "fusion"]),
        ("json", &["config", "error", "model"]),
        ("tensor", &["model", "error"]),
        ("sort", &["fusion", "model"]),
    ];
    for (from, tos) in forbidden {
        for to in tos {
            assert!(!g.get(from).is_some_and(|d| d.contains(*to)), "{from} must not depend on {to}:\n{}", describe(&g));
        }
    }
}

/// The parser and the cycle finder on small inputs: grouped imports, root re-exports, comments.
#[test]
fn graph_parser_finds_paths_and_cycles() {
    let text = "use crate::{a::X, b};\n// crate::commented\nfn f() { crate::c::g(); my_crate::d(); }\n/* crate::e */";
    assert_eq!(crate_paths(&code(text)), ["a", "b", "c"]);
    assert_eq!(reexports("pub use engine::{Engine, Options};\n").get("Options").map(String::as_str), Some("engine"));
    let mut g = Graph::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    assert_eq!(cycle(&g), None);
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(cycle(&g), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
}
