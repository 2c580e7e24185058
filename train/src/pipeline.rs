//! The protocol end to end: read, split, tune on validation, learn fusion, refit on
//! train+validation, score the test targets through the engine, report.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use recofuse_core::fusion::FusionPlan;
use recofuse_core::{Engine, Event, FusionConfig, History, Method, Model, ScoringConfig, Signal};
use serde::Serialize;

use crate::catalog::{read_catalog, Catalog};
use crate::data::{read_interactions, Dataset, Interaction, LogFormat, ReadOptions, TimeKind};
use crate::error::{Result, TrainError};
use crate::fit;
use crate::learn::{self, Learned, PoolUser};
use crate::metrics::{self, Metrics, Sums};
use crate::split::{Split, Target};
use crate::tune::{self, TuneSet, Tuned};

/// Options of `train` and `eval`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Interaction log.
    pub interactions: PathBuf,
    /// Optional catalog.
    pub items: Option<PathBuf>,
    /// Forced log format.
    pub format: Option<LogFormat>,
    /// Skip malformed rows.
    pub lenient: bool,
    /// Validation users sampled for model tuning.
    pub tune_users: usize,
    /// Validation users sampled for fusion learning.
    pub fusion_users: usize,
    /// Cross-validation folds.
    pub folds: usize,
    /// Seed of the samples.
    pub seed: u64,
    /// Show progress bars.
    pub progress: bool,
    /// Targets per validation user that fusion is learned from (1 to [`MAX_FUSION_HOLDOUTS`]): the
    /// validation event, then each earlier training event, every model refit without it.
    pub fusion_holdouts: usize,
    /// The deep model's parameters; `None` skips it (issue 5, see `crate::neural`).
    pub neural: Option<crate::neural::NeuralParams>,
    /// `train`: what the bundle keeps per item, set by hand (issue 15; `None`: as fitted).
    pub keep: Option<crate::budget::Keep>,
    /// `train`: bytes per item the bundle must fit; what to keep is chosen by validation NDCG@10 along
    /// the frontier walk of [`crate::budget::walk`] (issue 15; applied after `keep`).
    pub bytes_per_item: Option<f64>,
    /// Largest catalog EASE is tried on (its dense inverse needs about `32 n²` bytes and `n³` flops;
    /// see [`crate::ease`]); default [`crate::ease::DEFAULT_MAX_ITEMS`].
    pub ease_max_items: usize,
    /// `train`: the server signal's share of the personal weights in the bundle, for logs without the
    /// store's scores ([`crate::server_weight::with_server_share`]); default
    /// [`crate::server_weight::DEFAULT_SERVER_SHARE`].
    pub server_share: f32,
    /// `eval --tables DIR`: the test targets are scored with the sections of these tables (the Spark job's,
    /// computed on the log without each user's test event: `--set holdout=1`) in place of the refit on
    /// train + validation; tuning and fusion learning are unchanged (issue 19, [`crate::pack`]).
    pub tables: Option<PathBuf>,
}

impl Options {
    /// Defaults for a log (and optional catalog).
    pub fn new(interactions: impl Into<PathBuf>, items: Option<PathBuf>) -> Options {
        Options {
            interactions: interactions.into(),
            items,
            format: None,
            lenient: false,
            tune_users: 3000,
            fusion_users: 1000,
            folds: 5,
            seed: 7,
            progress: false,
            fusion_holdouts: 2,
            neural: None,
            keep: None,
            bytes_per_item: None,
            ease_max_items: crate::ease::DEFAULT_MAX_ITEMS,
            server_share: crate::server_weight::DEFAULT_SERVER_SHARE,
            tables: None,
        }
    }
}

/// Progress reporting: an indicatif spinner/bar when enabled, silent otherwise.
#[derive(Debug, Clone)]
pub struct Progress {
    enabled: bool,
    start: Instant,
}

impl Progress {
    /// A progress reporter.
    pub fn new(enabled: bool) -> Progress {
        Progress { enabled, start: Instant::now() }
    }

    /// A spinner with a message (finished by the caller).
    pub fn spinner(&self, msg: &str) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new_spinner();
        pb.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        pb.set_message(msg.to_string());
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        pb
    }

    /// A bar over `n` steps.
    pub fn bar(&self, n: usize, msg: &str) -> ProgressBar {
        if !self.enabled {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new(n as u64);
        pb.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} [{elapsed_precise} eta {eta}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        pb.set_message(msg.to_string());
        pb
    }

    /// Prints a line (stderr) when enabled.
    pub fn note(&self, msg: &str) {
        if self.enabled {
            eprintln!("[{:>6.1}s] {msg}", self.start.elapsed().as_secs_f64());
        }
    }
}

/// A loaded dataset with its catalog.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// Interactions.
    pub ds: Dataset,
    /// Catalog, if given.
    pub catalog: Option<Catalog>,
}

/// Reads the inputs.
pub fn load(opts: &Options) -> Result<Loaded> {
    let ds = read_interactions(&opts.interactions, &ReadOptions { format: opts.format, lenient: opts.lenient })?;
    let catalog = match &opts.items {
        Some(p) => Some(read_catalog(p)?),
        None => None,
    };
    Ok(Loaded { ds, catalog })
}

/// The most targets per validation user that fusion learning takes (`Options::fusion_holdouts`).
pub const MAX_FUSION_HOLDOUTS: usize = 4;

/// Fit times per model section, in seconds.
pub type FitTimes = BTreeMap<String, f64>;

/// Fits every model section on `seqs` with the tuned parameters.
pub fn build_model(
    seqs: &[Vec<Interaction>],
    ids: &[String],
    catalog: Option<&Catalog>,
    t: &Tuned,
    fusion: FusionConfig,
) -> (Model, FitTimes) {
    let n = ids.len();
    let mut times = FitTimes::new();
    let mut timed = |name: &str, f: &mut dyn FnMut()| {
        let s = Instant::now();
        f();
        times.insert(name.to_string(), s.elapsed().as_secs_f64());
    };
    let mut model = Model { fusion, scoring: t.scoring.clone(), ..Model::default() };
    timed("content", &mut || model.items = fit::items(ids, catalog));
    timed("popularity", &mut || model.popularity = fit::popularity(seqs, n, t.pop_recent));
    timed("itemcf", &mut || {
        model.item_cf = Some(match t.ease_lambda {
            // Set only when tuning tried EASE, i.e. the catalog is within `ease_max_items`.
            Some(l) => crate::ease::ease(&crate::ease::gram(seqs, n), n, f64::from(l), t.ease_top_k)
                .unwrap_or_else(|| fit::item_cf(seqs, n, &t.cf)),
            _ => fit::item_cf(seqs, n, &t.cf),
        })
    });
    timed("seq", &mut || model.transitions = Some(fit::transitions(seqs, n, &t.trans)));
    timed("embedding", &mut || model.embeddings = Some(fit::quantize_i8(&fit::embeddings(seqs, n, &t.emb))));
    timed("usercf", &mut || model.prototypes = fit::prototypes(seqs, n, &t.proto));
    model.scoring.history_capacity = seqs.iter().map(Vec::len).max().unwrap_or(1).max(model.scoring.history_capacity);
    (model, times)
}

/// The engine history of a user's events.
pub(crate) fn history(events: &[Interaction], ids: &[String], capacity: usize) -> History {
    let mut h = History::new(capacity.max(events.len()).max(1));
    for e in events {
        if let Some(id) = ids.get(e.item as usize) {
            // Events were validated when read (finite, non-negative times); a rejected one is skipped.
            let _ = h.push(Event::new(id.clone(), e.kind, e.ts.max(0.0)));
        }
    }
    h
}

pub(crate) fn sample(targets: &[Target], k: usize, seed: u64) -> Vec<Target> {
    if targets.len() <= k {
        return targets.to_vec();
    }
    let mut rng = recofuse_testkit::SplitMix64::new(seed);
    let mut idx: Vec<usize> = (0..targets.len()).collect();
    for i in 0..k {
        let j = i + rng.below(idx.len() - i);
        idx.swap(i, j);
    }
    let mut pick: Vec<usize> = idx[..k].to_vec();
    pick.sort_unstable();
    pick.into_iter().map(|i| targets[i].clone()).collect()
}

/// The signals a model has data for.
fn active_signals(model: &Model, has_catalog: bool) -> Vec<Signal> {
    let mut v = vec![Signal::Popularity];
    if model.item_cf.is_some() {
        v.push(Signal::ItemCf);
    }
    if model.transitions.is_some() {
        v.push(Signal::Seq);
    }
    if model.prototypes.is_some() {
        v.push(Signal::UserCf);
    }
    if model.embeddings.is_some() {
        v.push(Signal::Embedding);
    }
    if has_catalog {
        v.push(Signal::Content);
    }
    if model.neural.is_some() {
        v.push(Signal::Neural);
    }
    v.sort();
    v
}

/// Tunes the models and learns fusion on the validation targets (models fit on the training part).
pub fn tune_and_learn(
    loaded: &Loaded,
    split: &Split,
    opts: &Options,
    progress: &Progress,
    neural: Option<&crate::neural::Fitted>,
) -> Result<(Tuned, Learned)> {
    let ds = &loaded.ds;
    let n = ds.items.len();
    let has_time = ds.time == Some(TimeKind::Time);
    let tune_targets = sample(&split.valid, opts.tune_users, opts.seed);
    let set = TuneSet {
        train: &split.train,
        users: tune_targets.iter().map(|t| (t.user, t.event.item, t.event.ts)).collect(),
        n_items: n,
        ease_max_items: opts.ease_max_items,
    };
    let sp = progress.spinner("tuning models on validation");
    let mut tuned = tune::tune(&set, has_time, &|m| sp.set_message(m.to_string()));
    sp.finish_and_clear();

    let (mut model, _) = build_model(&split.train, &ds.items, loaded.catalog.as_ref(), &tuned, FusionConfig::default());
    if model.items.terms.rows() > 0 {
        let sp = progress.spinner("tuning the content scorer's text weight");
        let s = Instant::now();
        let content_targets = sample(&split.valid, opts.fusion_users, opts.seed ^ 0xc0);
        let (weights, ndcg) = tune_content(&model, &split.train, &ds.items, &content_targets)?;
        model.scoring.content_weights = weights;
        tuned.scoring.content_weights = weights;
        tuned.valid_ndcg.insert("content".into(), ndcg);
        tuned.params.insert("content".into(), format!("content_weights {weights:?} (category, brand, price, text)"));
        tuned.seconds.insert("content".into(), s.elapsed().as_secs_f64());
        sp.finish_and_clear();
    }
    progress.note(&format!("tuned: {:?}", tuned.valid_ndcg));
    model.neural = neural.map(|f| f.model.clone()); // the deep model, fit on the same training part (issue 5)
    let active = active_signals(&model, loaded.catalog.is_some());
    let cap = model.scoring.history_capacity;
    // Its column for a validation user that early stopping evaluated comes from the weights chosen on
    // the other half of those users (`crate::neural::CrossFit`).
    let cross = match neural.and_then(|f| f.cross.as_ref()) {
        Some(c) => {
            let with = |m: &recofuse_core::neural::NeuralModel| {
                let mut x = model.clone();
                x.neural = Some(m.clone());
                Engine::new(x)
            };
            Some((c, [with(&c.chosen_on[0])?, with(&c.chosen_on[1])?]))
        }
        None => None,
    };
    let engine = Engine::new(model)?;
    let fusion_targets = sample(&split.valid, opts.fusion_users, opts.seed ^ 0x5eed);
    let bar =
        progress.bar(fusion_targets.len() * opts.fusion_holdouts.clamp(1, MAX_FUSION_HOLDOUTS), "validation columns");
    let all: Vec<Option<u32>> = (0..n as u32).map(Some).collect();
    // `cross`: the per-half engines for the validation targets (the earlier targets have no deep model).
    type Cross<'c> = Option<&'c (&'c crate::neural::CrossFit, [Engine; 2])>;
    let pools_of = |engine: &Engine, cross: Cross<'_>, train: &[Vec<Interaction>], targets: &[(usize, Target)]| {
        targets
            .par_iter()
            .map(|(g, t)| {
                let engine = cross.and_then(|(c, e)| e.get(c.pick(t.user as usize)?)).unwrap_or(engine);
                let seq = train.get(t.user as usize).map_or(&[][..], |s| s.as_slice());
                let h = history(seq, &ds.items, cap);
                let profile = engine.profile(&h, t.event.ts);
                let seen = seen_of(seq);
                let cols = engine.columns(&profile, &all, None);
                bar.inc(1);
                cols.map(|c| learn::pool(&c, &seen, t.event.item, 25, 50).with_group(*g))
            })
            .collect::<std::result::Result<Vec<PoolUser>, _>>()
    };
    let targets: Vec<(usize, Target)> = fusion_targets.iter().cloned().enumerate().collect();
    let mut pools = pools_of(&engine, cross.as_ref(), &split.train, &targets)?;
    for back in 1..opts.fusion_holdouts.clamp(1, MAX_FUSION_HOLDOUTS) {
        // Earlier targets per user: the training event `back` steps before the validation one,
        // predicted by models fit without it and without what followed (no leak), multiplying the
        // data fusion is learned from. Pools of one user share a cross-validation fold.
        let earlier: Vec<Vec<Interaction>> =
            split.train.iter().map(|s| s[..s.len().saturating_sub(back)].to_vec()).collect();
        let targets_back: Vec<(usize, Target)> = targets
            .iter()
            .filter_map(|(g, t)| {
                let s = split.train.get(t.user as usize)?;
                let e = s.get(s.len().checked_sub(back)?)?;
                (s.len() > back).then(|| (*g, Target { user: t.user, event: e.clone() }))
            })
            .collect();
        let (mut m, _) = build_model(&earlier, &ds.items, loaded.catalog.as_ref(), &tuned, FusionConfig::default());
        m.scoring = engine.model().scoring.clone();
        let e = Engine::new(m)?;
        pools.extend(pools_of(&e, None, &earlier, &targets_back)?);
    }
    bar.finish_and_clear();
    let sp = progress.spinner("learning fusion");
    let learned = learn::learn(&pools, &active, opts.folds, &|m| sp.set_message(m.to_string()));
    sp.finish_and_clear();
    progress.note(&format!("fusion validation: {:?}, default {}", learned.valid_ndcg, learned.default));
    Ok((tuned, learned))
}

/// Text weights tried for the content scorer (category, brand and price keep their defaults).
const TEXT_WEIGHTS: [f32; 6] = [0.0, 0.25, 0.5, 1.0, 2.0, 4.0];

/// Chooses the content scorer's text weight by validation NDCG@10 of the content column alone.
fn tune_content(
    model: &Model,
    train: &[Vec<Interaction>],
    ids: &[String],
    targets: &[Target],
) -> Result<([f32; 4], f64)> {
    let base = Engine::new(model.clone())?;
    let cap = model.scoring.history_capacity;
    let all: Vec<Option<u32>> = (0..ids.len() as u32).map(Some).collect();
    let profiles: Vec<(recofuse_core::Profile, Vec<u32>, u32)> = targets
        .par_iter()
        .map(|t| {
            let seq = train.get(t.user as usize).map_or(&[][..], |s| s.as_slice());
            (base.profile(&history(seq, ids, cap), t.event.ts), seen_of(seq), t.event.item)
        })
        .collect();
    let mut best = (model.scoring.content_weights, f64::NEG_INFINITY);
    for w in TEXT_WEIGHTS {
        let mut m = model.clone();
        m.scoring.content_weights[3] = w;
        let engine = Engine::new(m)?;
        let total: f64 = profiles
            .par_iter()
            .map(|(p, seen, target)| {
                let mut dense = vec![f32::NAN; all.len()];
                engine.score_column(p, Signal::Content, &all, None, &mut dense);
                let col: Vec<Option<f32>> = dense.into_iter().map(|x| (!x.is_nan()).then_some(x)).collect();
                crate::metrics::gain(crate::metrics::rank_of(&col, *target as usize, seen))
            })
            .sum();
        let ndcg = total / profiles.len().max(1) as f64;
        if ndcg > best.1 {
            let mut cw = model.scoring.content_weights;
            cw[3] = w;
            best = (cw, ndcg);
        }
    }
    Ok(best)
}

fn seen_of(seq: &[Interaction]) -> Vec<u32> {
    let mut v: Vec<u32> = seq.iter().map(|e| e.item).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The JSON report of `eval`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Dataset name.
    pub dataset: String,
    /// Users in the log.
    pub users: usize,
    /// Items in the log (the candidates of the full ranking).
    pub items: usize,
    /// Interactions read.
    pub interactions: usize,
    /// Users with a test target.
    pub test_users: usize,
    /// Detected format details.
    pub input: BTreeMap<String, String>,
    /// Single models on the test targets.
    pub models: BTreeMap<String, Metrics>,
    /// Fusion methods on the test targets.
    pub fusion: BTreeMap<String, Metrics>,
    /// The default fusion method (best on validation); the TREC run is its ranking.
    pub default: String,
    /// Fusion configuration per method (normalisation, weights, RRF k, stacking).
    #[serde(serialize_with = "crate::report::serialize_engine_json")]
    pub fusion_configs: BTreeMap<String, FusionConfig>,
    /// Fusion learning details (cross-validation per normalisation, folds, validation NDCG).
    pub fusion_learning: Learned,
    /// Paired bootstrap over test users of the default method's NDCG@10 against the best single model
    /// and the runner-up method (difference and 95 % interval; see [`crate::significance`]).
    pub significance: Vec<crate::significance::Comparison>,
    /// Model tuning details.
    pub tuning: Tuned,
    /// Scorer parameters of the final model.
    #[serde(serialize_with = "crate::report::serialize_engine_json")]
    pub scoring: ScoringConfig,
    /// MAE / RMSE of a biased-baseline rating predictor on the test targets, for rated logs.
    pub rating: Option<BTreeMap<String, f64>>,
    /// The deep model's training details, when it was fit.
    pub neural: Option<crate::neural::NeuralReport>,
    /// The deep model's refit on train + validation (for `neural.best_epoch` epochs), whose model
    /// scored the test targets.
    pub neural_refit: Option<crate::neural::NeuralReport>,
    /// Rows skipped as malformed (lenient mode).
    pub skipped_rows: usize,
    /// Wall-clock seconds of the whole evaluation.
    pub total_s: f64,
    /// Protocol notes.
    pub protocol: String,
    /// The store's own order (popularity) against the default fusion on NDCG@10 and HR@10, paired over
    /// the test users: the comparison an online A/B test will make (issue 18; absent without a
    /// popularity column).
    pub ab_replay: Option<crate::ab::Replay>,
}

/// Everything `eval` produces.
#[derive(Debug, Clone)]
pub struct EvalOutput {
    /// The report.
    pub report: Report,
    /// TREC run lines.
    pub run: String,
    /// TREC qrels lines.
    pub qrels: String,
}

/// Runs the whole protocol.
pub fn evaluate(opts: &Options) -> Result<EvalOutput> {
    let t0 = Instant::now();
    let progress = Progress::new(opts.progress);
    let sp = progress.spinner("reading inputs");
    let loaded = load(opts)?;
    sp.finish_and_clear();
    let ds = &loaded.ds;
    progress.note(&format!(
        "{}: {} users, {} items, {} interactions ({} skipped)",
        ds.name,
        ds.users.len(),
        ds.items.len(),
        ds.interactions(),
        ds.skipped
    ));
    let split = Split::leave_one_out(ds);
    if split.test.is_empty() {
        return Err(TrainError::format(&opts.interactions, "no user has 3 or more interactions: nothing to evaluate"));
    }
    let neural = fit_neural(&split, ds.items.len(), opts, &progress)?;
    let (tuned, learned) = tune_and_learn(&loaded, &split, opts, &progress, neural.as_ref())?;

    // Refit on train + validation.
    let train_valid = split.train_valid();
    let default_cfg =
        learned.settings.iter().find(|s| s.method.name() == learned.default).map(|s| s.config()).unwrap_or_default();
    let sp = progress.spinner("refitting on train + validation");
    let (mut model, mut fit_times) = build_model(&train_valid, &ds.items, loaded.catalog.as_ref(), &tuned, default_cfg);
    sp.finish_and_clear();
    if let Some(dir) = &opts.tables {
        crate::pack::read_tables(dir, &crate::pack::Limits::default())?.apply(&mut model, &ds.items);
    }
    // The deep model is refit on train + validation too, from scratch for the epochs early stopping
    // chose: every other model learns the validation interactions before scoring test, and a deep model
    // that did not would score test weaker than the validation scores fusion was learned on, which
    // overweights it (measured: test/validation NDCG ratio 0.61 on MovieLens against 0.83 for `seq`).
    let neural_refit =
        refit_neural(neural.as_ref(), opts, &train_valid, &mut model, &mut fit_times, &progress, "train + validation")?;
    let cap = model.scoring.history_capacity;
    let scoring = model.scoring.clone();
    let active = active_signals(&model, loaded.catalog.is_some());
    let engine = Engine::new(model)?;
    let configs: Vec<(Method, FusionConfig)> = learned.settings.iter().map(|s| (s.method, s.config())).collect();

    // Score the test targets.
    let n = ds.items.len();
    let all: Vec<Option<u32>> = (0..n as u32).map(Some).collect();
    let needed: Vec<Signal> = Signal::ALL
        .into_iter()
        .filter(|s| configs.iter().any(|(_, c)| c.weight(*s).is_finite() && c.weight(*s) > 0.0))
        .collect();
    let bar = progress.bar(split.test.len(), "scoring test users");
    let default_method = Method::parse(&learned.default).unwrap_or(Method::Weighted);
    struct PerUser {
        ranks: Vec<Option<usize>>, // per active signal, then per method
        top10: Vec<Vec<u32>>,      // same order
        run: Vec<(u32, f32)>,      // default method top 100
        t_columns: f64,
        t_methods: Vec<f64>,
    }
    let per_user: Vec<PerUser> = split
        .test
        .par_iter()
        .map_init(
            || (vec![false; n], FusionPlan::new()),
            |(mask, plan), t| -> Result<PerUser> {
                let seq = train_valid.get(t.user as usize).map_or(&[][..], |s| s.as_slice());
                let s0 = Instant::now();
                let h = history(seq, &ds.items, cap);
                let profile = engine.profile(&h, t.event.ts);
                let cols = engine.columns(&profile, &all, None)?;
                let t_columns = s0.elapsed().as_secs_f64();
                for e in seq {
                    if let Some(m) = mask.get_mut(e.item as usize) {
                        *m = true;
                    }
                }
                let target = t.event.item as usize;
                let mut ranks = Vec::with_capacity(active.len() + configs.len());
                let mut top10 = Vec::with_capacity(active.len() + configs.len());
                for &s in &active {
                    let c = cols.column(s);
                    ranks.push(metrics::rank_masked(c, target, mask));
                    top10.push(metrics::top_k_masked(c, 10, mask).into_iter().map(|i| i as u32).collect());
                }
                let mut t_methods = Vec::with_capacity(configs.len());
                let mut run = Vec::new();
                plan.load(&cols, &needed);
                for (m, cfg) in &configs {
                    let s1 = Instant::now();
                    // The plan gives `fusion::fuse`'s bits while sharing the column work between methods
                    // and users (core's property test, and a spot check here).
                    let fused = plan.fuse(cfg, false);
                    let scores: &[Option<f32>] = &fused.scores;
                    if *m == default_method && t.user % 64 == 0 {
                        // Spot check against `fuse`: identical bits or the evaluation stops.
                        let core = recofuse_core::fusion::fuse(cfg, &cols, false).scores;
                        let same = core.len() == scores.len()
                            && core.iter().zip(scores).all(|(a, b)| a.map(f32::to_bits) == b.map(f32::to_bits));
                        if !same {
                            return Err(TrainError::Invalid(format!(
                                "the fusion plan disagrees with fusion::fuse ({}) for user {}",
                                m.name(),
                                ds.users[t.user as usize]
                            )));
                        }
                    }
                    let k = if *m == default_method { 100 } else { 10 };
                    let top = metrics::top_k_masked(scores, k, mask);
                    ranks.push(metrics::rank_masked(scores, target, mask));
                    t_methods.push(s1.elapsed().as_secs_f64());
                    top10.push(top.iter().take(10).map(|&i| i as u32).collect());
                    if *m == default_method {
                        run = top.iter().map(|&i| (i as u32, scores[i].unwrap_or(f32::MIN))).collect();
                    }
                }
                for e in seq {
                    if let Some(m) = mask.get_mut(e.item as usize) {
                        *m = false;
                    }
                }
                bar.inc(1);
                Ok(PerUser { ranks, top10, run, t_columns, t_methods })
            },
        )
        .collect::<Result<_>>()?;
    bar.finish_and_clear();

    let names: Vec<String> =
        active.iter().map(|s| s.name().to_string()).chain(configs.iter().map(|(m, _)| m.name().to_string())).collect();
    let columns_s: f64 = per_user.iter().map(|p| p.t_columns).sum();
    let mut models = BTreeMap::new();
    let mut fusion = BTreeMap::new();
    let fit_all: f64 = fit_times.values().sum();
    for (k, name) in names.iter().enumerate() {
        let mut sums = Sums::default();
        let mut cover = std::collections::HashSet::new();
        for p in &per_user {
            sums.add(p.ranks[k]);
            cover.extend(p.top10[k].iter().copied());
        }
        let coverage = cover.len() as f64 / n.max(1) as f64;
        if k < active.len() {
            let fit_s = fit_times.get(name).copied().unwrap_or(0.0);
            models.insert(name.clone(), sums.finish(coverage, fit_s, columns_s));
        } else {
            let m = k - active.len();
            let t: f64 = per_user.iter().map(|p| p.t_methods[m]).sum();
            fusion.insert(name.clone(), sums.finish(coverage, fit_all, columns_s + t));
        }
    }

    // Paired bootstrap over test users of the default method against the best single model (on test)
    // and against the runner-up method on validation (the one that would have been the default).
    let gains = |k: usize| -> Vec<f64> { per_user.iter().map(|p| metrics::gain(p.ranks[k])).collect() };
    let col = |name: &str| names.iter().skip(active.len()).position(|x| x == name).map(|i| i + active.len());
    let mut significance = Vec::new();
    if let Some(d) = col(&learned.default) {
        let best_single = (0..active.len())
            .max_by(|&x, &y| models[&names[x]].ndcg10.total_cmp(&models[&names[y]].ndcg10).then(y.cmp(&x)));
        if let Some(s) = best_single {
            significance.push(crate::significance::compare(
                (&names[d], &gains(d)),
                (&names[s], &gains(s)),
                "best single model on test",
            ));
        }
        let runner_up = learned
            .valid_ndcg
            .iter()
            .filter(|(k, _)| **k != learned.default)
            .max_by(|x, y| x.1.total_cmp(y.1).then(y.0.cmp(x.0)))
            .and_then(|(k, _)| col(k));
        if let Some(r) = runner_up {
            significance.push(crate::significance::compare(
                (&names[d], &gains(d)),
                (&names[r], &gains(r)),
                "runner-up method on validation",
            ));
        }
    }

    // Issue 18: the A/B replay, the store's own order (popularity) against the default fusion.
    let ranks_of = |k: usize| -> Vec<Option<usize>> { per_user.iter().map(|p| p.ranks[k]).collect() };
    let ab_replay = match (active.iter().position(|s| *s == Signal::Popularity), col(&learned.default)) {
        (Some(s), Some(d)) => Some(crate::ab::replay((&names[s], &ranks_of(s)), (&names[d], &ranks_of(d)))),
        _ => None,
    };

    let mut run = String::new();
    let mut qrels = String::new();
    for (t, p) in split.test.iter().zip(&per_user) {
        let user = &ds.users[t.user as usize];
        for (r, (i, s)) in p.run.iter().enumerate() {
            run.push_str(&format!("{user} Q0 {} {} {} recofuse\n", ds.items[*i as usize], r + 1, s));
        }
        qrels.push_str(&format!("{user} 0 {} 1\n", ds.items[t.event.item as usize]));
    }

    let mut input = BTreeMap::new();
    input.insert("interactions".into(), opts.interactions.display().to_string());
    if let Some(p) = &opts.items {
        input.insert("items".into(), p.display().to_string());
    }
    input.insert("format".into(), ds.format.map_or("?", LogFormat::name).to_string());
    if let Some(t) = &opts.tables {
        input.insert("tables".into(), t.display().to_string());
    }
    input.insert(
        "order".into(),
        match ds.time {
            Some(TimeKind::Time) => "timestamp, stable (same-time events keep file order)",
            Some(TimeKind::Order) => "position column, stable (equal positions keep file order)",
            _ => "file order",
        }
        .to_string(),
    );
    let rating = ds.has_ratings.then(|| rating_baseline(&train_valid, &split.test));
    let report = Report {
        dataset: ds.name.clone(),
        users: ds.users.len(),
        items: n,
        interactions: ds.interactions(),
        test_users: split.test.len(),
        input,
        models,
        fusion,
        default: learned.default.clone(),
        fusion_configs: configs.iter().map(|(m, c)| (m.name().to_string(), c.clone())).collect(),
        fusion_learning: learned,
        significance,
        tuning: tuned,
        scoring,
        rating,
        neural: neural.map(|f| f.report),
        neural_refit,
        skipped_rows: ds.skipped,
        total_s: t0.elapsed().as_secs_f64(),
        protocol: "leave-one-out by time (last = test, second-to-last = validation, users with >= 3 interactions); \
                   full ranking over all items, history excluded; tuned on validation, refit on train+validation"
            .into(),
        ab_replay,
    };
    Ok(EvalOutput { report, run, qrels })
}

/// MAE and RMSE of `mu + b_u + b_i` (regularised biases fit on the training ratings) on the test targets.
fn rating_baseline(train: &[Vec<Interaction>], test: &[Target]) -> BTreeMap<String, f64> {
    let ratings: Vec<(usize, u32, f64)> = train
        .iter()
        .enumerate()
        .flat_map(|(u, s)| s.iter().filter_map(move |e| e.rating.map(|r| (u, e.item, f64::from(r)))))
        .collect();
    let mu = ratings.iter().map(|x| x.2).sum::<f64>() / ratings.len().max(1) as f64;
    let lo = ratings.iter().map(|x| x.2).fold(f64::INFINITY, f64::min).min(mu);
    let hi = ratings.iter().map(|x| x.2).fold(f64::NEG_INFINITY, f64::max).max(mu);
    let n_items = ratings
        .iter()
        .map(|x| x.1 as usize + 1)
        .max()
        .unwrap_or(0)
        .max(test.iter().map(|t| t.event.item as usize + 1).max().unwrap_or(0));
    let mut bi = vec![0f64; n_items];
    let mut bu = vec![0f64; train.len()];
    for _ in 0..10 {
        let mut s = vec![(0f64, 0f64); n_items];
        for &(u, i, r) in &ratings {
            s[i as usize].0 += r - mu - bu[u];
            s[i as usize].1 += 1.0;
        }
        for (b, (a, c)) in bi.iter_mut().zip(&s) {
            *b = a / (c + 25.0);
        }
        let mut s = vec![(0f64, 0f64); train.len()];
        for &(u, i, r) in &ratings {
            s[u].0 += r - mu - bi[i as usize];
            s[u].1 += 1.0;
        }
        for (b, (a, c)) in bu.iter_mut().zip(&s) {
            *b = a / (c + 10.0);
        }
    }
    let (mut ae, mut se, mut k) = (0f64, 0f64, 0usize);
    for t in test {
        if let Some(r) = t.event.rating {
            let p = (mu
                + bu.get(t.user as usize).copied().unwrap_or(0.0)
                + bi.get(t.event.item as usize).copied().unwrap_or(0.0))
            .clamp(lo, hi);
            ae += (p - f64::from(r)).abs();
            se += (p - f64::from(r)).powi(2);
            k += 1;
        }
    }
    let k = k.max(1) as f64;
    BTreeMap::from([("mae".to_string(), ae / k), ("rmse".to_string(), (se / k).sqrt())])
}

/// Fits the deep model when `opts.neural` asks for it (issue 5; `None` otherwise).
fn fit_neural(
    split: &Split,
    items: usize,
    opts: &Options,
    progress: &Progress,
) -> Result<Option<crate::neural::Fitted>> {
    let Some(params) = &opts.neural else { return Ok(None) };
    let sp = progress.spinner("training the neural model");
    let f = crate::neural::fit_on_split(split, items, params, &|m| sp.set_message(m.to_string()))?;
    sp.finish_and_clear();
    progress.note(&format!(
        "neural: {} epochs (best {}), {:.1}s/epoch, {:.1}s, validation NDCG@10 {:?}",
        f.report.epochs, f.report.best_epoch, f.report.epoch_s, f.report.total_s, f.report.valid_ndcg
    ));
    Ok(Some(f))
}

/// Refits the deep model (when it was fit) from scratch on `seqs` for the epochs early stopping chose,
/// puts it into `model` and records its fit time; returns its report.
fn refit_neural(
    neural: Option<&crate::neural::Fitted>,
    opts: &Options,
    seqs: &[Vec<Interaction>],
    model: &mut Model,
    fit_times: &mut BTreeMap<String, f64>,
    progress: &Progress,
    what: &str,
) -> Result<Option<crate::neural::NeuralReport>> {
    let (Some(f), Some(params)) = (neural, &opts.neural) else { return Ok(None) };
    let sp = progress.spinner(&format!("refitting the neural model on {what}"));
    let r = crate::neural::refit(seqs, model.items.len(), params, &f.report, &|m| sp.set_message(m.to_string()))?;
    sp.finish_and_clear();
    fit_times.insert(Signal::Neural.name().to_string(), r.report.total_s);
    model.neural = Some(r.model);
    Ok(Some(r.report))
}

/// What `train` produces.
#[derive(Debug, Clone)]
pub struct TrainOutput {
    /// The model to write as a bundle.
    pub model: Model,
    /// Fit report (tuning, fusion learning, fit times).
    pub report: serde_json::Value,
}

/// `train`: tunes and learns fusion on the validation split exactly as `eval` does, then fits every
/// model on the whole log.
pub fn train(opts: &Options) -> Result<TrainOutput> {
    let t0 = Instant::now();
    let progress = Progress::new(opts.progress);
    let sp = progress.spinner("reading inputs");
    let loaded = load(opts)?;
    sp.finish_and_clear();
    let ds = &loaded.ds;
    let split = Split::leave_one_out(ds);
    if split.valid.is_empty() {
        return Err(TrainError::format(&opts.interactions, "no user has 3 or more interactions: nothing to tune on"));
    }
    let neural = fit_neural(&split, ds.items.len(), opts, &progress)?;
    let (tuned, learned) = tune_and_learn(&loaded, &split, opts, &progress, neural.as_ref())?;
    let cfg =
        learned.settings.iter().find(|s| s.method.name() == learned.default).map(|s| s.config()).unwrap_or_default();
    // The log carries no server scores, so fusion learning gave the store's score weight 0: it gets a
    // documented share of the personal weights instead, never silently dropped (issue 17.5).
    let cfg = crate::server_weight::with_server_share(&cfg, opts.server_share);
    let sp = progress.spinner("fitting on the whole log");
    let (mut model, mut fit_times) = build_model(&ds.sequences, &ds.items, loaded.catalog.as_ref(), &tuned, cfg);
    sp.finish_and_clear();
    // Refit on the whole log for the epochs early stopping chose on the split.
    let neural_report =
        refit_neural(neural.as_ref(), opts, &ds.sequences, &mut model, &mut fit_times, &progress, "the whole log")?;
    // Shoppers' devices keep a bounded history; the evaluation's capacity is only for replaying logs.
    model.scoring.history_capacity = ScoringConfig::default().history_capacity;
    model.info.insert("dataset".into(), ds.name.clone());
    model.info.insert("trainer".into(), format!("recofuse-train {}", env!("CARGO_PKG_VERSION")));
    model.info.insert("users".into(), ds.users.len().to_string());
    model.info.insert("interactions".into(), ds.interactions().to_string());
    model.info.insert("fusion.default".into(), learned.default.clone());
    model.info.insert("fusion.normalization".into(), learned.normalization.clone());
    model.info.insert("fusion.server_share".into(), opts.server_share.to_string());
    model.info.insert("fusion.valid_ndcg10".into(), serde_json::to_string(&learned.valid_ndcg).unwrap_or_default());
    model.info.insert("models.valid_ndcg10".into(), serde_json::to_string(&tuned.valid_ndcg).unwrap_or_default());
    let fusion = model.fusion.clone();
    let budget = budget_model(&loaded, &split, &tuned, &fusion, opts, &progress, &mut model)?;
    let report = serde_json::json!({
        "dataset": ds.name,
        "users": ds.users.len(),
        "items": ds.items.len(),
        "interactions": ds.interactions(),
        "skipped_rows": ds.skipped,
        "tuning": tuned,
        "table_config": tuned.table_config(),
        "fusion_learning": learned,
        "fusion": crate::report::engine_json(&model.fusion),
        "scoring": crate::report::engine_json(&model.scoring),
        "fit_s": fit_times,
        "neural": neural_report,
        "budget": budget,
        "total_s": t0.elapsed().as_secs_f64(),
    });
    Ok(TrainOutput { model, report })
}

/// Bounds the shipped `model` as `opts.keep` and `opts.bytes_per_item` ask (issue 15); returns what was
/// kept and, for a budget, the frontier point chosen (as JSON for the fit report), `None` otherwise.
fn budget_model(
    loaded: &Loaded,
    split: &Split,
    tuned: &Tuned,
    cfg: &FusionConfig,
    opts: &Options,
    progress: &Progress,
    model: &mut Model,
) -> Result<Option<serde_json::Value>> {
    use crate::budget;
    if opts.keep.is_none() && opts.bytes_per_item.is_none() {
        return Ok(None);
    }
    if let Some(k) = &opts.keep {
        *model = budget::apply(model, k);
    }
    // Sizes are measured with the info entry in place (the longest label: the final one is no longer).
    model.info.insert("budget.keep".into(), budget::Keep::ALL.label());
    let mut chosen = None;
    if let Some(limit) = opts.bytes_per_item {
        let ds = &loaded.ds;
        let sp = progress.spinner("choosing what to keep for --bytes-per-item by validation NDCG@10");
        let (mut train_model, _) = build_model(&split.train, &ds.items, loaded.catalog.as_ref(), tuned, cfg.clone());
        train_model.neural = None;
        if let Some(k) = &opts.keep {
            train_model = budget::apply(&train_model, k);
        }
        let valid = sample(&split.valid, opts.tune_users, opts.seed ^ 0xb17e);
        let fits = budget::Fits {
            train: &train_model,
            train_seqs: &split.train,
            valid: &valid,
            shipped: model,
            fusion: cfg,
            ids: &ds.items,
        };
        let points = budget::walk(&fits, limit, &|m| sp.set_message(m.to_string()))?;
        sp.finish_and_clear();
        let Some(p) = points.iter().find(|p| p.bytes_per_item <= limit).cloned() else {
            return Err(TrainError::Invalid(format!(
                "--bytes-per-item {limit}: the smallest setting ({}) takes {:.0} B per item",
                points.last().map_or_else(String::new, |p| p.label.clone()),
                points.last().map_or(0.0, |p| p.bytes_per_item)
            )));
        };
        progress.note(&format!("--bytes-per-item {limit}: keeping {} ({:.0} B/item)", p.label, p.bytes_per_item));
        *model = budget::apply(model, &p.keep);
        chosen = Some(p);
    }
    let keep = chosen.as_ref().map(|p| p.keep).or(opts.keep).unwrap_or_default();
    model.info.insert("budget.keep".into(), keep.label());
    Ok(Some(serde_json::json!({ "keep": keep, "bytes_per_item": opts.bytes_per_item, "chosen": chosen })))
}

/// Options of [`frontier`].
#[derive(Debug, Clone)]
pub struct FrontierOptions {
    /// Validation users the walk is steered by (a seeded sample).
    pub valid_users: usize,
    /// Test users each frontier point is measured on (a seeded sample; all when larger).
    pub test_users: usize,
    /// The walk stops below this many bytes per item.
    pub floor: f64,
}

impl Default for FrontierOptions {
    fn default() -> Self {
        FrontierOptions { valid_users: 1000, test_users: usize::MAX, floor: 50.0 }
    }
}

/// The size/quality frontier of a dataset (issue 15).
#[derive(Debug, Clone, Serialize)]
pub struct Frontier {
    /// Dataset name.
    pub dataset: String,
    /// Items.
    pub items: usize,
    /// Validation users the walk was steered by.
    pub valid_users: usize,
    /// Test users each point was measured on.
    pub test_users: usize,
    /// The default fusion method (learned on validation, unconstrained).
    pub fusion: String,
    /// The points, from unconstrained down.
    pub points: Vec<crate::budget::Point>,
    /// Index in `points` of the smallest point within 2 % of the unconstrained test NDCG@10.
    pub within_2pct: Option<usize>,
    /// Wall-clock seconds.
    pub total_s: f64,
}

/// `frontier`: tunes and learns fusion on validation as `train` does (without the deep model), then
/// walks the size/quality frontier ([`crate::budget::walk`]) steered by validation NDCG@10 and measures
/// every point's test NDCG@10 (models fit on train + validation) and shipped size (fit on the whole log).
pub fn frontier(opts: &Options, f: &FrontierOptions) -> Result<Frontier> {
    use crate::budget;
    let t0 = Instant::now();
    let progress = Progress::new(opts.progress);
    let loaded = load(opts)?;
    let ds = &loaded.ds;
    let split = Split::leave_one_out(ds);
    if split.test.is_empty() {
        return Err(TrainError::format(&opts.interactions, "no user has 3 or more interactions: nothing to evaluate"));
    }
    let (tuned, learned) = tune_and_learn(&loaded, &split, opts, &progress, None)?;
    let cfg =
        learned.settings.iter().find(|s| s.method.name() == learned.default).map(|s| s.config()).unwrap_or_default();
    let fit = |seqs: &[Vec<Interaction>]| build_model(seqs, &ds.items, loaded.catalog.as_ref(), &tuned, cfg.clone()).0;
    let train_model = fit(&split.train);
    let train_valid = split.train_valid();
    let test_model = fit(&train_valid);
    let mut shipped = fit(&ds.sequences);
    shipped.scoring.history_capacity = ScoringConfig::default().history_capacity;
    let valid = sample(&split.valid, f.valid_users, opts.seed ^ 0xb17e);
    let test = sample(&split.test, f.test_users, opts.seed ^ 0x7e57);
    let fits = budget::Fits {
        train: &train_model,
        train_seqs: &split.train,
        valid: &valid,
        shipped: &shipped,
        fusion: &cfg,
        ids: &ds.items,
    };
    let mut points = budget::walk(&fits, f.floor, &|m| progress.note(m))?;
    for p in &mut points {
        let t = budget::ndcg10(&budget::apply(&test_model, &p.keep), &cfg, &train_valid, &ds.items, &test)?;
        progress.note(&format!("{}: test NDCG@10 {t:.4}", p.label));
        p.test_ndcg10 = Some(t);
    }
    let full = points.first().and_then(|p| p.test_ndcg10).unwrap_or(0.0);
    let within_2pct = points
        .iter()
        .enumerate()
        .filter(|(_, p)| p.test_ndcg10.is_some_and(|t| t >= 0.98 * full))
        .min_by(|a, b| a.1.bytes_per_item.total_cmp(&b.1.bytes_per_item))
        .map(|(i, _)| i);
    Ok(Frontier {
        dataset: ds.name.clone(),
        items: ds.items.len(),
        valid_users: valid.len(),
        test_users: test.len(),
        fusion: learned.default.clone(),
        points,
        within_2pct,
        total_s: t0.elapsed().as_secs_f64(),
    })
}

/// A Markdown table of a [`Frontier`].
pub fn frontier_markdown(f: &Frontier) -> String {
    let full = f.points.first().and_then(|p| p.test_ndcg10).unwrap_or(0.0);
    let mut s = format!(
        "### {} ({} items; fusion {}; walk steered by {} validation users, test NDCG@10 on {} test users)\n\n\
         | kept per item | B/item raw | B/item gzip -9 | validation NDCG@10 | test NDCG@10 | test vs unconstrained |\n\
         |---|---:|---:|---:|---:|---:|\n",
        f.dataset, f.items, f.fusion, f.valid_users, f.test_users
    );
    for (i, p) in f.points.iter().enumerate() {
        let t = p.test_ndcg10.unwrap_or(f64::NAN);
        let mark = if Some(i) == f.within_2pct { " **(smallest within 2 %)**" } else { "" };
        s.push_str(&format!(
            "| {}{} | {:.0} | {:.0} | {:.4} | {:.4} | {:+.1} % |\n",
            p.label,
            mark,
            p.bytes_per_item,
            p.gzip_per_item,
            p.valid_ndcg10,
            t,
            if full > 0.0 { 100.0 * (t / full - 1.0) } else { 0.0 }
        ));
    }
    s
}
