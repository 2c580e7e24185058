//! `recofuse inspect`: what a bundle holds, human-readable or as JSON.

use std::fmt::Write as _;

use recofuse_core::bundle::Summary;

/// The summary as a JSON value.
pub fn summary_json(s: &Summary) -> serde_json::Value {
    let tensors: Vec<serde_json::Value> = s
        .tensors
        .iter()
        .map(|t| {
            serde_json::json!({
                "name": t.name.to_string(),
                "dtype": t.dtype.to_string(),
                "shape": t.shape.iter().map(|&d| d as u64).collect::<Vec<u64>>(),
                "bytes": t.bytes as u64,
            })
        })
        .collect();
    let info: serde_json::Map<String, serde_json::Value> =
        s.info.iter().map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string()))).collect();
    serde_json::json!({
        "format_version": s.format_version,
        "items": s.items as u64,
        "scorers": s.scorers.iter().map(|x| x.to_string()).collect::<Vec<String>>(),
        "sha256": s.sha256.to_string(),
        "bytes": s.bytes as u64,
        "tensors": tensors,
        "info": info,
    })
}

/// The summary as human-readable text.
pub fn summary_text(s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "format version : {}", s.format_version);
    let _ = writeln!(out, "items          : {}", s.items);
    let scorers: Vec<String> = s.scorers.iter().map(|x| x.to_string()).collect();
    let _ = writeln!(out, "scorers        : {}", scorers.join(", "));
    let _ = writeln!(out, "sha256         : {}", s.sha256);
    let _ = writeln!(out, "size           : {} bytes", s.bytes);
    let _ = writeln!(out, "tensors        : {}", s.tensors.len());
    let w = s.tensors.iter().map(|t| t.name.len()).max().unwrap_or(4).max(4);
    let _ = writeln!(out, "  {:<w$}  {:<5}  {:<16}  {:>10}", "name", "dtype", "shape", "bytes");
    for t in &s.tensors {
        let shape: Vec<String> = t.shape.iter().map(|d| d.to_string()).collect();
        let _ = writeln!(
            out,
            "  {:<w$}  {:<5}  {:<16}  {:>10}",
            t.name,
            t.dtype.to_string(),
            format!("[{}]", shape.join(", ")),
            t.bytes
        );
    }
    if !s.info.is_empty() {
        let _ = writeln!(out, "info:");
        for (k, v) in &s.info {
            let v = v.to_string();
            let v = if v.chars().count() > 200 { format!("{}…", v.chars().take(200).collect::<String>()) } else { v };
            let _ = writeln!(out, "  {k} = {v}");
        }
    }
    out
}
