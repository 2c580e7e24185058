//! `recofuse pack` on small hand-written Parquet tables: the bundle it builds, and the errors of bad
//! tables naming the table, row and column (issue 19 item 2).

use std::path::Path;
use std::sync::Arc;

use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use recofuse_train::pack::{read_tables, Limits};
use recofuse_train::TrainError;

/// A column of a test table.
enum Col<'a> {
    Str(&'a str, Vec<&'a str>),
    F64(&'a str, Vec<f64>),
    I64(&'a str, Vec<i64>),
}

/// Writes `dir/table/part-00000.parquet` with the given required columns.
fn write_table(dir: &Path, table: &str, cols: &[Col<'_>]) {
    let fields: Vec<String> = cols
        .iter()
        .map(|c| match c {
            Col::Str(n, _) => format!("required binary {n} (STRING);"),
            Col::F64(n, _) => format!("required double {n};"),
            Col::I64(n, _) => format!("required int64 {n};"),
        })
        .collect();
    let schema = Arc::new(parse_message_type(&format!("message t {{ {} }}", fields.join(" "))).unwrap());
    let d = dir.join(table);
    std::fs::create_dir_all(&d).unwrap();
    let file = std::fs::File::create(d.join("part-00000.parquet")).unwrap();
    let mut w = SerializedFileWriter::new(file, schema, Arc::new(WriterProperties::builder().build())).unwrap();
    let mut rg = w.next_row_group().unwrap();
    for c in cols {
        let mut col = rg.next_column().unwrap().unwrap();
        match c {
            Col::Str(_, v) => {
                let v: Vec<ByteArray> = v.iter().map(|s| ByteArray::from(*s)).collect();
                col.typed::<ByteArrayType>().write_batch(&v, None, None).unwrap();
            }
            Col::F64(_, v) => {
                col.typed::<DoubleType>().write_batch(v, None, None).unwrap();
            }
            Col::I64(_, v) => {
                col.typed::<Int64Type>().write_batch(v, None, None).unwrap();
            }
        }
        col.close().unwrap();
    }
    rg.close().unwrap();
    w.close().unwrap();
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("recofuse-pack-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Popularity of items a (first seen 30), b (10), c (20): bundle order b, c, a.
fn popularity(dir: &Path) {
    write_table(
        dir,
        "popularity",
        &[
            Col::Str("item", vec!["a", "b", "c"]),
            Col::I64("first_seen", vec![30, 10, 20]),
            Col::F64("count", vec![1.0, 2.0, 3.0]),
            Col::F64("trend", vec![0.5, 0.0, 1.0]),
        ],
    );
}

fn err_text(dir: &Path) -> String {
    match read_tables(dir, &Limits::default()) {
        Ok(_) => panic!("bad tables were accepted"),
        Err(e @ TrainError::Table { .. }) => e.to_string(),
        Err(other) => panic!("not a table error: {other}"),
    }
}

#[test]
fn good_tables_become_a_bundle_in_first_seen_order() {
    let dir = tmp("good");
    popularity(&dir);
    write_table(
        &dir,
        "item_cf",
        &[
            Col::Str("item", vec!["a", "a", "b"]),
            Col::Str("neighbour", vec!["c", "b", "a"]),
            Col::F64("weight", vec![0.5, 0.25, 2.0]),
        ],
    );
    write_table(
        &dir,
        "prototypes",
        &[
            Col::I64("prototype", vec![0, 0]),
            Col::I64("size", vec![12, 12]),
            Col::Str("item", vec!["c", "a"]),
            Col::F64("weight", vec![0.1, 0.3]),
        ],
    );
    let t = read_tables(&dir, &Limits::default()).unwrap();
    assert_eq!(t.items, vec!["b", "c", "a"]);
    let model = t.into_model(Default::default(), Default::default());
    let bytes = recofuse_core::bundle::encode(&model, &Default::default()).unwrap();
    let back = recofuse_core::bundle::decode(bytes).unwrap();
    let ids: Vec<String> = back.items.ids.iter().map(|s| s.to_string()).collect();
    assert_eq!(ids, vec!["b", "c", "a"]);
    assert_eq!(&back.popularity.count[..], &[2.0, 3.0, 1.0]);
    let cf = back.item_cf.as_ref().unwrap();
    // a (index 2): b (0) with 0.25, c (1) with 0.5; b (0): a (2) with 2.
    assert_eq!(cf.row(2).0, &[0, 1]);
    assert_eq!(cf.row(2).1, &[0.25, 0.5]);
    assert_eq!(cf.row(0).0, &[2]);
    assert!(cf.row(1).0.is_empty());
    assert!(back.transitions.is_none() && back.embeddings.is_none());
    let p = back.prototypes.as_ref().unwrap();
    assert_eq!(&p.sizes[..], &[12]);
    assert_eq!(p.prefs.row(0).0, &[1, 2]);
}

#[test]
fn bad_values_are_named_by_table_row_and_column() {
    // An unknown neighbour on row 2.
    let dir = tmp("unknown");
    popularity(&dir);
    write_table(
        &dir,
        "item_cf",
        &[Col::Str("item", vec!["a", "a"]), Col::Str("neighbour", vec!["b", "zz"]), Col::F64("weight", vec![1.0, 1.0])],
    );
    let e = err_text(&dir);
    assert!(e.contains("table item_cf") && e.contains("row 2") && e.contains("column neighbour"), "{e}");
    assert!(e.contains("unknown item \"zz\""), "{e}");

    // A NaN weight on row 1 of the transitions.
    let dir = tmp("nan");
    popularity(&dir);
    write_table(
        &dir,
        "transitions",
        &[Col::Str("item", vec!["c"]), Col::Str("next", vec!["a"]), Col::F64("weight", vec![f64::NAN])],
    );
    let e = err_text(&dir);
    assert!(e.contains("table transitions") && e.contains("row 1") && e.contains("column weight"), "{e}");

    // A negative popularity.
    let dir = tmp("negative");
    write_table(
        &dir,
        "popularity",
        &[
            Col::Str("item", vec!["a", "b"]),
            Col::I64("first_seen", vec![0, 1]),
            Col::F64("count", vec![1.0, -1.0]),
            Col::F64("trend", vec![0.0, 0.0]),
        ],
    );
    let e = err_text(&dir);
    assert!(e.contains("table popularity") && e.contains("row 2") && e.contains("column count"), "{e}");

    // A prototype below the k-anonymity floor of config.json.
    let dir = tmp("small");
    popularity(&dir);
    std::fs::write(dir.join("config.json"), r#"{"usercf.min_size": 20}"#).unwrap();
    write_table(
        &dir,
        "prototypes",
        &[
            Col::I64("prototype", vec![3]),
            Col::I64("size", vec![12]),
            Col::Str("item", vec!["a"]),
            Col::F64("weight", vec![0.5]),
        ],
    );
    let e = err_text(&dir);
    assert!(e.contains("table prototypes") && e.contains("column size") && e.contains("k-anonymity"), "{e}");

    // A self-neighbour, a duplicate pair, a row over the size bound.
    let dir = tmp("self");
    popularity(&dir);
    write_table(
        &dir,
        "item_cf",
        &[Col::Str("item", vec!["b"]), Col::Str("neighbour", vec!["b"]), Col::F64("weight", vec![1.0])],
    );
    assert!(err_text(&dir).contains("its own neighbour"));
    let dir = tmp("dup");
    popularity(&dir);
    write_table(
        &dir,
        "item_cf",
        &[Col::Str("item", vec!["b", "b"]), Col::Str("neighbour", vec!["a", "a"]), Col::F64("weight", vec![1.0, 2.0])],
    );
    assert!(err_text(&dir).contains("duplicate pair"));
    let limits = Limits { max_row: 1, ..Limits::default() };
    let dir = tmp("long");
    popularity(&dir);
    write_table(
        &dir,
        "item_cf",
        &[Col::Str("item", vec!["b", "b"]), Col::Str("neighbour", vec!["a", "c"]), Col::F64("weight", vec![1.0, 2.0])],
    );
    let e = read_tables(&dir, &limits).unwrap_err().to_string();
    assert!(e.contains("row 2") && e.contains("more than 1 entries"), "{e}");

    // A missing required column, a file that is not Parquet, no popularity table at all.
    let dir = tmp("column");
    popularity(&dir);
    write_table(&dir, "item_cf", &[Col::Str("item", vec!["b"]), Col::Str("neighbour", vec!["a"])]);
    let e = err_text(&dir);
    assert!(e.contains("column weight: missing column"), "{e}");
    let dir = tmp("garbage");
    popularity(&dir);
    std::fs::create_dir_all(dir.join("item_cf")).unwrap();
    std::fs::write(dir.join("item_cf/part-0.parquet"), b"not parquet").unwrap();
    assert!(err_text(&dir).contains("unreadable Parquet"));
    let dir = tmp("empty");
    let e = read_tables(&dir, &Limits::default()).unwrap_err().to_string();
    assert!(e.contains("popularity table is missing"), "{e}");
}
