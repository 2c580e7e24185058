//! The `recofuse` command-line tool: `train`, `eval`, `frontier`, `server-weight`, `inspect`, `shard`,
//! `demo-bundle`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use recofuse_train::data::LogFormat;
use recofuse_train::{inspect, pipeline, report, storefront, Result, TrainError};

/// recofuse: train model bundles from interaction logs, evaluate them, inspect them.
#[derive(Debug, Parser)]
#[command(name = "recofuse", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a bundle of a small generated demo catalog (for the storefront and tests).
    DemoBundle {
        /// Where to write the bundle (parent directories are created).
        #[arg(long)]
        out: PathBuf,
        /// Number of items.
        #[arg(long, default_value_t = 500)]
        items: usize,
        /// Seed of the generator.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Also add a deep model of the trainer's default size (64-d, 1 head, 2 blocks, 50 positions,
        /// 64-wide feed-forward) with random weights: its scores mean nothing, its cost is the real one
        /// (for benchmarks such as scripts/browser-bench.mjs).
        #[arg(long)]
        neural: bool,
        #[command(flatten)]
        pieces: PiecesArgs,
    },
    /// Rewrite a bundle (format 1 or 2) as a bundle in pieces (format 2): a small head plus the item
    /// rows in shards, which a page fetches on demand.
    Shard {
        /// The bundle to convert.
        bundle: PathBuf,
        /// Where to write the head (and, with --layout single, the shards after it).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        pieces: PiecesArgs,
    },
    /// Print what a bundle holds (or the typed error of a bad one, exit status 1).
    Inspect {
        /// The bundle file.
        bundle: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Fit every model on the whole log, learn fusion by cross-validation, write a bundle.
    Train(TrainArgs),
    /// Run the evaluation protocol (leave-one-out by time, full ranking) and write the reports.
    Eval(EvalArgs),
    /// The size/quality frontier: bundle bytes per item (raw, gzip) against validation and test NDCG@10,
    /// from unconstrained down to about 50 B per item (what `train --bytes-per-item` chooses from).
    Frontier(FrontierArgs),
    /// The store's own score against a bundle's fusion: a proxy server score (popularity, BM25 item-CF)
    /// alone, the personal signals alone, and fused with the server signal at several shares of the
    /// personal weights (how `train`'s default `--server-share` was chosen; docs/quality.md).
    ServerWeight(ServerWeightArgs),
}

#[derive(Debug, Args)]
struct ServerWeightArgs {
    #[command(flatten)]
    input: InputArgs,
    /// JSON report.
    #[arg(long)]
    report_json: Option<PathBuf>,
    /// Markdown table.
    #[arg(long)]
    report_md: Option<PathBuf>,
    /// Validation users the share is chosen on (a seeded sample).
    #[arg(long, default_value_t = 1000)]
    valid_users: usize,
    /// Test users the choice is checked on (a seeded sample).
    #[arg(long, default_value_t = 3000)]
    test_users: usize,
}

#[derive(Debug, Args)]
struct FrontierArgs {
    #[command(flatten)]
    input: InputArgs,
    /// JSON report.
    #[arg(long)]
    report_json: Option<PathBuf>,
    /// Markdown table.
    #[arg(long)]
    report_md: Option<PathBuf>,
    /// Validation users steering the walk (a seeded sample).
    #[arg(long, default_value_t = 1000)]
    valid_users: usize,
    /// Test users measuring each point (a seeded sample; default all).
    #[arg(long)]
    test_users: Option<usize>,
    /// Stop the walk below this many bytes per item.
    #[arg(long, default_value_t = 50.0)]
    floor: f64,
}

/// What a bundle keeps per item (issue 15); see `recofuse_train::budget`.
#[derive(Debug, Args)]
struct KeepArgs {
    /// Bytes per item the bundle must fit: what to keep is chosen by validation NDCG@10 along the
    /// size/quality frontier (`recofuse frontier`), after the per-section bounds below.
    #[arg(long)]
    bytes_per_item: Option<f64>,
    /// Item-CF neighbours kept per item (largest weights; 0 drops the section).
    #[arg(long)]
    keep_neighbours: Option<usize>,
    /// Transitions kept per item (largest weights; 0 drops the section).
    #[arg(long)]
    keep_transitions: Option<usize>,
    /// Leading embedding dimensions kept (0 drops the section).
    #[arg(long)]
    embedding_dim: Option<usize>,
    /// Text terms kept per item (largest weights).
    #[arg(long)]
    text_terms: Option<usize>,
}

/// Input options shared by `train` and `eval`.
#[derive(Debug, Args)]
struct InputArgs {
    /// Interaction log: CSV/TSV (header detected), RecBole `.inter`, JSON Lines events, or per-user sequence file.
    #[arg(long)]
    interactions: PathBuf,
    /// Item catalog: JSONL, CSV/TSV, RecBole `.item`, or MovieLens `u.item`.
    #[arg(long)]
    items: Option<PathBuf>,
    /// Override format detection of the interactions: csv, tsv, inter, seq, json, jsonl.
    #[arg(long)]
    format: Option<String>,
    /// Skip malformed rows (and report how many) instead of stopping at the first one.
    #[arg(long)]
    lenient: bool,
    /// Number of worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Validation users sampled for tuning the models (default 3000).
    #[arg(long)]
    tune_users: Option<usize>,
    /// Validation users sampled for learning fusion (default 1000).
    #[arg(long)]
    fusion_users: Option<usize>,
    /// Targets per validation user for learning fusion: the validation event, then each earlier
    /// training event (every model refit without it), 1 to 4.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=4))]
    fusion_holdouts: u8,
    /// Largest catalog EASE is fitted and tuned for (default 13,000). Its dense inverse needs about
    /// 32·n² bytes of memory (4.7 GB at 12,101 items) and n³ flops; above the limit item-CF uses the
    /// cosine neighbours only.
    #[arg(long)]
    ease_max_items: Option<usize>,
    /// No progress bars.
    #[arg(long, short)]
    quiet: bool,
    /// Progress and notes on stderr even when it is not a terminal.
    #[arg(long, short)]
    verbose: bool,
    /// Fit the deep sequential model (opt-in for `eval`, where it takes minutes; default for `train` when
    /// this binary is built with the `neural` feature, which brings candle).
    #[arg(long, conflicts_with = "no_neural")]
    neural: bool,
    /// Skip the deep sequential model (the bundle then has no `neural` section and still works).
    #[arg(long)]
    no_neural: bool,
    /// Maximum training epochs of the deep model (early stopping on validation usually ends sooner).
    #[arg(long)]
    neural_epochs: Option<usize>,
    /// Seed of the deep model's initialisation, shuffling and dropout.
    #[arg(long)]
    neural_seed: Option<u64>,
    /// Any other parameter of the deep model, as KEY=VALUE (repeatable): dim, heads, layers, max_len,
    /// ffn_dim, dropout, lr, weight_decay, batch, eval_every, patience, eval_users, negatives.
    #[arg(long, value_name = "KEY=VALUE")]
    neural_set: Vec<String>,
}

#[derive(Debug, Args)]
struct TrainArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Where to write the bundle.
    #[arg(long)]
    out: PathBuf,
    /// Where to write a JSON report of the fit (tuned parameters, fusion weights).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Where to write the display catalog for a storefront page (titles, years, brands, categories of
    /// the bundle's items, in bundle order; needs --items). See `recofuse_train::storefront`.
    #[arg(long, requires = "items")]
    catalog_json: Option<PathBuf>,
    /// The weight of the store's own score (`rerank(ids, { serverScores })`) as a share of the sum of
    /// the personal signals' weights: a log without the store's scores cannot learn it (default 0.5,
    /// chosen with `recofuse server-weight` on the shared datasets; 0 ignores the store's score).
    #[arg(long)]
    server_share: Option<f32>,
    #[command(flatten)]
    keep: KeepArgs,
    #[command(flatten)]
    pieces: PiecesArgs,
}

/// Writing a bundle in pieces (format 2, issue 15); see `recofuse_train::shard`.
#[derive(Debug, Args)]
struct PiecesArgs {
    /// Write a bundle in pieces (format 2) with this many shards (0 = about 24 KB per shard); without
    /// it, a format-1 bundle.
    #[arg(long)]
    shards: Option<usize>,
    /// With --shards: `single` (one file, fetched with Range requests) or `files` (the head in --out,
    /// shard s in `<out>.<s>`).
    #[arg(long, default_value = "single")]
    layout: String,
}

impl PiecesArgs {
    /// Writes `model` at `out` as asked: format 1, or format 2 in the chosen layout. Returns the bytes
    /// written in total and a description.
    fn write(&self, model: &recofuse_core::Model, out: &Path) -> Result<(usize, String)> {
        match self.shards {
            None => {
                let bytes = recofuse_core::bundle::encode(model, &Default::default())?;
                write_file(out, &bytes)?;
                Ok((bytes.len(), String::new()))
            }
            Some(n) => {
                let w =
                    recofuse_train::shard::write(model, out, n, recofuse_train::shard::Layout::parse(&self.layout)?)?;
                Ok((
                    w.head_bytes + w.shard_bytes,
                    format!(", {} shards, head {} bytes, {} files", w.shards, w.head_bytes, w.files.len()),
                ))
            }
        }
    }
}

#[derive(Debug, Args)]
struct EvalArgs {
    #[command(flatten)]
    input: InputArgs,
    /// JSON report.
    #[arg(long)]
    report_json: PathBuf,
    /// Markdown report.
    #[arg(long)]
    report_md: Option<PathBuf>,
    /// TREC run file of the default fusion's test ranking (top 100 per user).
    #[arg(long)]
    trec_run: PathBuf,
    /// TREC qrels of the test targets.
    #[arg(long)]
    qrels: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn pipeline_options(a: &InputArgs, neural_by_default: bool) -> Result<pipeline::Options> {
    let mut o = pipeline::Options::new(&a.interactions, a.items.clone());
    if (neural_by_default || a.neural) && !a.no_neural {
        let mut p = recofuse_train::neural::NeuralParams::default();
        if let Some(e) = a.neural_epochs {
            p.epochs = e.max(1);
        }
        if let Some(s) = a.neural_seed {
            p.seed = s;
        }
        for kv in &a.neural_set {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| TrainError::Invalid(format!("--neural-set wants KEY=VALUE, got {kv:?}")))?;
            p.set(k.trim(), v.trim())?;
        }
        o.neural = Some(p);
    }
    o.format = a.format.as_deref().map(LogFormat::parse).transpose()?;
    o.lenient = a.lenient;
    o.progress = !a.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()) || a.verbose;
    if let Some(t) = a.threads {
        // Only fails when a global pool already exists, which is then used as it is.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(t.max(1)).build_global();
    }
    if let Some(n) = a.tune_users {
        o.tune_users = n.max(1);
    }
    o.fusion_holdouts = usize::from(a.fusion_holdouts);
    if let Some(n) = a.ease_max_items {
        o.ease_max_items = n;
    }
    if let Some(n) = a.fusion_users {
        o.fusion_users = n.max(2);
    }
    Ok(o)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| TrainError::io(parent, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| TrainError::io(path, e))
}

/// Writes to stdout; a closed pipe (`recofuse inspect B | head`) is not an error.
fn print_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(TrainError::io("<stdout>", e)),
        _ => Ok(()),
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::DemoBundle { out, items, seed, neural, pieces } => {
            let mut model = recofuse_testkit::catalog(items, seed);
            if neural {
                model.neural = Some(recofuse_testkit::random_neural(items, 64, 1, 2, 50, 64, seed));
            }
            let (bytes, more) = pieces.write(&model, &out)?;
            eprintln!("wrote {} ({} items, {} bytes{more})", out.display(), items, bytes);
            Ok(())
        }
        Command::Shard { bundle, out, mut pieces } => {
            let bytes = std::fs::read(&bundle).map_err(|e| TrainError::io(&bundle, e))?;
            let model = recofuse_core::bundle::decode(bytes)
                .map_err(|e| TrainError::format(&bundle, format!("{} ({})", e, e.code())))?;
            pieces.shards.get_or_insert(0);
            let (bytes, more) = pieces.write(&model, &out)?;
            print_stdout(&format!("wrote {} ({} items, {} bytes{more})\n", out.display(), model.items.len(), bytes))
        }
        Command::Inspect { bundle, json } => {
            let bytes = std::fs::read(&bundle).map_err(|e| TrainError::io(&bundle, e))?;
            let summary = recofuse_core::bundle::inspect(&bytes)
                .map_err(|e| TrainError::format(&bundle, format!("{} ({})", e, e.code())))?;
            if json {
                let text = serde_json::to_string_pretty(&inspect::summary_json(&summary))
                    .map_err(|e| TrainError::Invalid(e.to_string()))?;
                print_stdout(&format!("{text}\n"))
            } else {
                print_stdout(&inspect::summary_text(&summary))
            }
        }
        Command::Eval(a) => {
            let opts = pipeline_options(&a.input, false)?;
            let out = pipeline::evaluate(&opts)?;
            let json = serde_json::to_string_pretty(&out.report).map_err(|e| TrainError::Invalid(e.to_string()))?;
            write_file(&a.report_json, json.as_bytes())?;
            write_file(&a.trec_run, out.run.as_bytes())?;
            write_file(&a.qrels, out.qrels.as_bytes())?;
            if let Some(md) = &a.report_md {
                write_file(md, report::markdown(&out.report).as_bytes())?;
            }
            print_stdout(&report::summary(&out.report))
        }
        Command::Frontier(a) => {
            let opts = pipeline_options(&a.input, false)?;
            let f = pipeline::FrontierOptions {
                valid_users: a.valid_users.max(1),
                test_users: a.test_users.unwrap_or(usize::MAX).max(1),
                floor: a.floor,
            };
            let out = pipeline::frontier(&opts, &f)?;
            let md = pipeline::frontier_markdown(&out);
            if let Some(path) = &a.report_json {
                let json = serde_json::to_string_pretty(&out).map_err(|e| TrainError::Invalid(e.to_string()))?;
                write_file(path, json.as_bytes())?;
            }
            if let Some(path) = &a.report_md {
                write_file(path, md.as_bytes())?;
            }
            print_stdout(&md)
        }
        Command::ServerWeight(a) => {
            let opts = pipeline_options(&a.input, false)?;
            let e = recofuse_train::server_weight::ExperimentOptions {
                valid_users: a.valid_users.max(1),
                test_users: a.test_users.max(1),
            };
            let out = recofuse_train::server_weight::experiment(&opts, &e)?;
            let md = recofuse_train::server_weight::markdown(&out);
            if let Some(path) = &a.report_json {
                let json = serde_json::to_string_pretty(&out).map_err(|e| TrainError::Invalid(e.to_string()))?;
                write_file(path, json.as_bytes())?;
            }
            if let Some(path) = &a.report_md {
                write_file(path, md.as_bytes())?;
            }
            print_stdout(&md)
        }
        Command::Train(a) => {
            let mut opts = pipeline_options(&a.input, recofuse_train::neural::AVAILABLE)?;
            if let Some(s) = a.server_share {
                if !(s.is_finite() && s >= 0.0) {
                    return Err(TrainError::Invalid(format!("--server-share wants a number >= 0, got {s}")));
                }
                opts.server_share = s;
            }
            let k = &a.keep;
            if k.keep_neighbours.is_some()
                || k.keep_transitions.is_some()
                || k.embedding_dim.is_some()
                || k.text_terms.is_some()
            {
                opts.keep = Some(recofuse_train::budget::Keep {
                    neighbours: k.keep_neighbours,
                    transitions: k.keep_transitions,
                    embedding_dim: k.embedding_dim,
                    terms: k.text_terms,
                });
            }
            if let Some(b) = k.bytes_per_item {
                if !(b.is_finite() && b > 0.0) {
                    return Err(TrainError::Invalid(format!("--bytes-per-item wants a positive number, got {b}")));
                }
                opts.bytes_per_item = Some(b);
            }
            let out = pipeline::train(&opts)?;
            let (bytes, more) = a.pieces.write(&out.model, &a.out)?;
            if let (Some(path), Some(items)) = (&a.catalog_json, &a.input.items) {
                let doc = storefront::catalog_json(
                    &recofuse_train::catalog::read_catalog(items)?,
                    &storefront::read_years(items)?,
                    out.model.items.ids.iter(),
                );
                write_file(path, doc.to_string().as_bytes())?;
            }
            if let Some(r) = &a.report {
                let json = serde_json::to_string_pretty(&out.report).map_err(|e| TrainError::Invalid(e.to_string()))?;
                write_file(r, json.as_bytes())?;
            }
            print_stdout(&format!(
                "wrote {} ({} items, {} bytes, default fusion {}{more})\n",
                a.out.display(),
                out.model.items.len(),
                bytes,
                out.model.fusion.method.name()
            ))
        }
    }
}
