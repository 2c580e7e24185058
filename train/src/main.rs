//! The `recofuse` command-line tool: `train`, `eval`, `pack`, `frontier`, `server-weight`, `inspect`,
//! `shard`, `demo-bundle`, `ab`.

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
        /// A/B experiments to ship in the bundle's fusion config (`fusion.experiments`): a JSON file
        /// holding an array of `{ name, arms: [{ name, weight?, options? }] }` (see the README).
        #[arg(long)]
        experiments: Option<PathBuf>,
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
    /// Validate the Spark job's Parquet tables (spark/recofuse_tables.py) and write them as a bundle.
    Pack(PackArgs),
    /// The size/quality frontier: bundle bytes per item (raw, gzip) against validation and test NDCG@10,
    /// from unconstrained down to about 50 B per item (what `train --bytes-per-item` chooses from).
    Frontier(FrontierArgs),
    /// The store's own score against a bundle's fusion: a proxy server score (popularity, BM25 item-CF)
    /// alone, the personal signals alone, and fused with the server signal at several shares of the
    /// personal weights (how `train`'s default `--server-share` was chosen; docs/quality.md).
    ServerWeight(ServerWeightArgs),
    /// Analyse an A/B test from the devices' randomised-response reports (`experimentReport()`):
    /// de-biased rate and interval per arm and metric, lift over the control with its p-value, and the
    /// devices per arm needed for a minimum detectable effect.
    Ab(AbArgs),
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
struct AbArgs {
    /// The reports, one JSON object per line, as the page sent them.
    #[arg(long)]
    reports: PathBuf,
    /// The control arm (default: the first arm in the file).
    #[arg(long)]
    control: Option<String>,
    /// Confidence of the intervals.
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// Minimum detectable effect: the absolute difference of rates the sample size is computed for.
    #[arg(long, default_value_t = 0.01)]
    mde: f64,
    /// Power of that sample size.
    #[arg(long, default_value_t = 0.8)]
    power: f64,
    /// Skip malformed lines (and report how many) instead of stopping at the first one.
    #[arg(long)]
    lenient: bool,
    /// JSON report.
    #[arg(long)]
    report_json: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct PackArgs {
    /// The tables directory the Spark job wrote (popularity/, item_cf/, transitions/, ...).
    #[arg(long)]
    tables: PathBuf,
    /// Where to write the bundle.
    #[arg(long)]
    out: PathBuf,
    /// Fusion weights and scorer parameters from a `recofuse train --report` file (its `fusion` and
    /// `scoring` entries).
    #[arg(long, conflicts_with = "learn_on")]
    fusion: Option<PathBuf>,
    /// Learn fusion weights and scorer parameters with `recofuse train`'s tuning and learning steps on
    /// this log (a sample of the full log: e.g. every event of a random 1 % of users).
    #[arg(long)]
    learn_on: Option<PathBuf>,
    /// The catalog of --learn-on.
    #[arg(long, requires = "learn_on")]
    learn_items: Option<PathBuf>,
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
    /// A/B experiments to ship in the bundle's fusion config (`fusion.experiments`): a JSON file holding
    /// an array of `{ name, arms: [{ name, weight?, options? }] }` (see the README).
    #[arg(long)]
    experiments: Option<PathBuf>,
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
    /// Score the test targets with the sections of these Spark tables (computed with `--set holdout=1`)
    /// instead of the Rust refit; tuning and fusion learning are unchanged (see docs/scale.md).
    #[arg(long)]
    tables: Option<PathBuf>,
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

/// Encodes a bundle, with the experiments of the JSON file `experiments` in its fusion config if given.
/// Writes a bundle: format 1 (with `experiments`), or format 2 with `--shards` (no experiments yet).
fn write_model(
    model: &recofuse_core::model::Model,
    out: &Path,
    experiments: Option<&Path>,
    pieces: &PiecesArgs,
) -> Result<(usize, String)> {
    if pieces.shards.is_some() {
        if experiments.is_some() {
            return Err(TrainError::Invalid("--experiments with --shards is not supported yet".into()));
        }
        return pieces.write(model, out);
    }
    let bytes = encode_bundle(model, experiments)?;
    write_file(out, &bytes)?;
    Ok((bytes.len(), String::new()))
}

fn encode_bundle(model: &recofuse_core::model::Model, experiments: Option<&Path>) -> Result<Vec<u8>> {
    Ok(match experiments {
        None => recofuse_core::bundle::encode(model, &Default::default())?,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| TrainError::io(path, e))?;
            recofuse_core::bundle::encode_with_experiments(model, &Default::default(), &text)
                .map_err(|e| TrainError::format(path, e.to_string()))?
        }
    })
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::DemoBundle { out, items, seed, neural, experiments, pieces } => {
            let mut model = recofuse_testkit::catalog(items, seed);
            if neural {
                model.neural = Some(recofuse_testkit::random_neural(items, 64, 1, 2, 50, 64, seed));
            }
            let (bytes, more) = write_model(&model, &out, experiments.as_deref(), &pieces)?;
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
            let mut opts = pipeline_options(&a.input, false)?;
            opts.tables = a.tables.clone();
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
        Command::Ab(a) => {
            let (reports, skipped, first) = recofuse_train::ab::read_reports(&a.reports, a.lenient)?;
            if skipped > 0 {
                eprintln!("skipped {skipped} malformed lines (first: {})", first.unwrap_or_default());
            }
            let options = recofuse_train::ab::Options {
                control: a.control.clone(),
                confidence: a.confidence,
                mde: a.mde,
                power: a.power,
            };
            let analysis = recofuse_train::ab::analyse(&reports, &options)?;
            if let Some(path) = &a.report_json {
                let json = serde_json::to_string_pretty(&analysis).map_err(|e| TrainError::Invalid(e.to_string()))?;
                write_file(path, json.as_bytes())?;
            }
            print_stdout(&recofuse_train::ab::markdown(&analysis))
        }
        Command::Pack(a) => {
            let tables = recofuse_train::pack::read_tables(&a.tables, &Default::default())?;
            let (fusion, scoring, source) = match (&a.fusion, &a.learn_on) {
                (Some(f), _) => {
                    let (fusion, scoring) = recofuse_train::pack::configs_from_report(f)?;
                    (fusion, scoring, format!("report {}", f.display()))
                }
                (None, Some(log)) => {
                    let out = pipeline::train(&pipeline::Options::new(log, a.learn_items.clone()))?;
                    (out.model.fusion, out.model.scoring, format!("learned on {}", log.display()))
                }
                (None, None) => (Default::default(), Default::default(), "defaults".to_string()),
            };
            let mut model = tables.into_model(fusion, scoring);
            model.scoring.history_capacity = recofuse_core::ScoringConfig::default().history_capacity;
            model.info.insert("fusion.source".into(), source);
            let bytes = recofuse_core::bundle::encode(&model, &Default::default())?;
            write_file(&a.out, &bytes)?;
            print_stdout(&format!("wrote {} ({} items, {} bytes)\n", a.out.display(), model.items.len(), bytes.len()))
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
            let (bytes, more) = write_model(&out.model, &a.out, a.experiments.as_deref(), &a.pieces)?;
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
