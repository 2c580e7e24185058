//! The weight of the store's own score in bundles trained from logs that do not carry it (issue 17.5).
//!
//! A log of interactions says nothing about the store's ranker, so fusion learning sees no `server`
//! column and used to give it weight 0: a page passing `serverScores` then had them ignored, and a
//! search result was reranked by taste alone. `train` now gives the server signal a **share** of the
//! personal weights ([`with_server_share`]): `server weight = share × Σ (weights of the other active
//! signals)`, [`DEFAULT_SERVER_SHARE`] unless `--server-share` says otherwise.
//!
//! The default share was chosen by [`experiment`] (`recofuse server-weight`) on the shared datasets:
//! the store's ranker is stood in for by a **proxy** score, and the fused order is compared with the
//! proxy alone and with the personal signals alone over the full catalog, on validation (models fit on
//! the training part) for the choice and on test (models refit on train + validation) for the record.
//! Two proxies: `popularity` (interaction counts of the log's training part, the "bestsellers" order
//! of a category page) and `bm25-itemcf` (item-to-item CF with BM25 weighting summed over the user's
//! history, a personalised ranker the store could run on its server). docs/quality.md has the figures.

use std::collections::BTreeMap;
use std::time::Instant;

use rayon::prelude::*;
use recofuse_core::fusion::fuse;
use recofuse_core::{Engine, FusionConfig, Method, Signal};
use serde::Serialize;

use crate::data::Interaction;
use crate::error::{Result, TrainError};
use crate::fit::{self, CfParams};
use crate::metrics;
use crate::pipeline::{self, Options, Progress};
use crate::split::{Split, Target};

/// The server signal's share of the personal weights in a bundle trained from logs without server
/// scores (see the module documentation and docs/quality.md, "The store's own score").
pub const DEFAULT_SERVER_SHARE: f32 = 0.5;

/// Shares of the personal weights tried by [`experiment`].
pub const SHARES: [f32; 7] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0];

/// `cfg` with the server signal weighted `share × Σ (weights of the other signals)`; for stacking,
/// the server column takes part (weight 1) with a coefficient `share × Σ (positive coefficients of the
/// other active signals)` and no presence term. A `share` of 0 (or not finite, or negative) gives the
/// server weight 0. The other weights are unchanged, so a page that passes no server scores gets the
/// same order as before: an absent column takes no part in any method.
///
/// ```
/// use recofuse_core::{FusionConfig, Method, Signal};
/// use recofuse_train::server_weight::with_server_share;
/// let mut cfg = FusionConfig { method: Method::CombSum, ..FusionConfig::default() };
/// cfg.weights = vec![0.0; Signal::COUNT];
/// cfg.weights[Signal::ItemCf.index()] = 0.75;
/// cfg.weights[Signal::Seq.index()] = 1.0;
/// let out = with_server_share(&cfg, 0.5);
/// assert_eq!(out.weight(Signal::Server), 0.875);
/// assert_eq!(out.weight(Signal::Seq), 1.0);
/// ```
pub fn with_server_share(cfg: &FusionConfig, share: f32) -> FusionConfig {
    let mut out = cfg.clone();
    let share = if share.is_finite() && share > 0.0 { share } else { 0.0 };
    let s = Signal::Server.index();
    out.weights.resize(Signal::COUNT, 0.0);
    let others = |v: &[f32], active: &dyn Fn(usize) -> bool| -> f32 {
        v.iter().enumerate().filter(|&(i, &w)| i != s && active(i) && w.is_finite() && w > 0.0).map(|(_, &w)| w).sum()
    };
    if cfg.method == Method::Stacking {
        let active = |i: usize| cfg.weights.get(i).is_some_and(|&w| w.is_finite() && w > 0.0);
        let total = others(&cfg.stacking.coef, &active);
        out.stacking.coef.resize(Signal::COUNT, 0.0);
        out.stacking.present_coef.resize(Signal::COUNT, 0.0);
        out.stacking.coef[s] = share * total;
        out.stacking.present_coef[s] = 0.0;
        out.weights[s] = if share > 0.0 { 1.0 } else { 0.0 };
    } else {
        out.weights[s] = share * others(&cfg.weights, &|_| true);
    }
    out
}

/// Options of [`experiment`].
#[derive(Debug, Clone)]
pub struct ExperimentOptions {
    /// Validation users the share is chosen on (a seeded sample).
    pub valid_users: usize,
    /// Test users the choice is checked on (a seeded sample; all when larger).
    pub test_users: usize,
}

impl Default for ExperimentOptions {
    fn default() -> Self {
        ExperimentOptions { valid_users: 1000, test_users: 3000 }
    }
}

/// NDCG@10 of one proxy on one split.
#[derive(Debug, Clone, Serialize)]
pub struct ProxyResult {
    /// The proxy's name (`popularity` or `bm25-itemcf`).
    pub proxy: String,
    /// The proxy's order alone (what the store shows today).
    pub proxy_alone: f64,
    /// The personal signals alone (the bundle's fusion, server weight 0).
    pub personal_alone: f64,
    /// The fused order per share of [`SHARES`], by share.
    pub fused: BTreeMap<String, f64>,
}

/// What [`experiment`] measured on one dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Experiment {
    /// Dataset name.
    pub dataset: String,
    /// Items (the candidates of the full ranking).
    pub items: usize,
    /// The bundle's fusion method (learned on validation).
    pub fusion: String,
    /// Validation users (models fit on the training part).
    pub valid_users: usize,
    /// Test users (models refit on train + validation).
    pub test_users: usize,
    /// Per proxy, on validation.
    pub validation: Vec<ProxyResult>,
    /// Per proxy, on test.
    pub test: Vec<ProxyResult>,
    /// The smallest share of [`SHARES`] whose fused order beats both the proxy alone and the personal
    /// signals alone for every query proxy on validation (`None` if none does): the least weight that
    /// lets a store's query count, and so the least cost where the store's score knows nothing the
    /// personal signals do not (the `popularity` and `bm25-itemcf` rows).
    pub best_share: Option<f32>,
    /// Whether [`DEFAULT_SERVER_SHARE`] beats both the proxy alone and the personal signals alone for
    /// every query proxy, on validation and on test.
    pub default_beats_both: BTreeMap<String, bool>,
    /// Wall-clock seconds.
    pub total_s: f64,
}

fn share_key(share: f32) -> String {
    format!("{share}")
}

/// The proxy server scores of a model fit on `seqs`.
struct Proxies {
    /// Interaction counts per item.
    popularity: Vec<f32>,
    /// An engine whose item-CF section is BM25 item-CF (its item-CF column is the proxy).
    bm25: Engine,
}

fn proxies(seqs: &[Vec<Interaction>], n: usize, base: &recofuse_core::Model) -> Result<Proxies> {
    let mut popularity = vec![0f32; n];
    for e in seqs.iter().flatten() {
        if let Some(c) = popularity.get_mut(e.item as usize) {
            *c += 1.0;
        }
    }
    let mut m = base.clone();
    m.item_cf = Some(fit::item_cf(seqs, n, &CfParams { bm25: Some((1.2, 0.75)), ..CfParams::default() }));
    m.neural = None;
    Ok(Proxies { popularity, bm25: Engine::new(m)? })
}

/// The proxies, in the order of the columns [`measure`] computes.
pub const PROXIES: [&str; 4] = ["popularity", "bm25-itemcf", "query-related", "query-category"];

/// Candidates the store sends per page in [`experiment`]: its best 100 unseen items by the proxy.
pub const CANDIDATES: usize = 100;

/// Items a search result holds in the `query-related` proxy: the target and its nearest neighbours.
const RELATED: usize = 100;

/// The two proxies of a store's **search** ranker, which knows what the shopper asked for (the query)
/// and the personal signals do not: `query-related`, a result set of the target and its 99 nearest
/// BM25 item-CF neighbours, all scored 1 (the store's relevance order within the set unknown, so tied),
/// every other item 0; `query-category`, the share of the target's categories a candidate has (a
/// category page for the target's categories; all NaN when the catalog has no categories). Both know
/// the target only as a searcher's intent does: the target is one of many equally relevant items.
fn query_proxies(engine: &Engine, bm25: &Engine, target: usize) -> (Vec<f32>, Vec<f32>) {
    let n = engine.len();
    let mut related = vec![0f32; n];
    if let Some(cf) = &bm25.model().item_cf {
        let (idx, w) = cf.row(target);
        let mut row: Vec<(u32, f32)> = idx.iter().copied().zip(w.iter().copied()).collect();
        row.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (j, _) in row.into_iter().take(RELATED - 1) {
            if let Some(r) = related.get_mut(j as usize) {
                *r = 1.0;
            }
        }
    }
    if let Some(r) = related.get_mut(target) {
        *r = 1.0;
    }
    let cats = &engine.model().items.categories;
    let mut category = vec![f32::NAN; n];
    let (mine, _) = cats.row(target);
    if cats.rows() > 0 && !mine.is_empty() {
        for (i, c) in category.iter_mut().enumerate() {
            let (theirs, _) = cats.row(i);
            let shared = theirs.iter().filter(|t| mine.contains(t)).count();
            *c = shared as f32 / mine.len() as f32;
        }
    }
    (related, category)
}

/// Measures one split: per proxy, the proxy alone, the personal signals alone and each share.
fn measure(
    engine: &Engine,
    px: &Proxies,
    cfg: &FusionConfig,
    seqs: &[Vec<Interaction>],
    ids: &[String],
    targets: &[Target],
) -> Result<Vec<ProxyResult>> {
    let n = ids.len();
    let all: Vec<Option<u32>> = (0..n as u32).map(Some).collect();
    let cap = engine.model().scoring.history_capacity;
    let configs: Vec<FusionConfig> = SHARES.iter().map(|&s| with_server_share(cfg, s)).collect();
    let personal = with_server_share(cfg, 0.0);
    // Per user: [proxy][0 = proxy alone, 1 = personal, 2.. = shares] gains.
    let per_user: Vec<Vec<Vec<f64>>> = targets
        .par_iter()
        .map(|t| -> Result<Vec<Vec<f64>>> {
            let seq = seqs.get(t.user as usize).map_or(&[][..], |s| s.as_slice());
            let h = pipeline::history(seq, ids, cap);
            let mut mask = vec![false; n];
            for e in seq {
                if let Some(m) = mask.get_mut(e.item as usize) {
                    *m = true;
                }
            }
            let target = t.event.item as usize;
            let profile = engine.profile(&h, t.event.ts);
            let mut bm25 = vec![f32::NAN; n];
            px.bm25.score_column(&px.bm25.profile(&h, t.event.ts), Signal::ItemCf, &all, None, &mut bm25);
            let (related, category) = query_proxies(engine, &px.bm25, target);
            let mut out = Vec::new();
            for proxy in [&px.popularity, &bm25, &related, &category] {
                // What the store sends: its best CANDIDATES unseen items, in its order (ties by item
                // index), with its scores; the page reranks them.
                let mut shown: Vec<u32> =
                    (0..n as u32).filter(|&i| !mask[i as usize] && proxy[i as usize].is_finite()).collect();
                shown.sort_by(|&a, &b| proxy[b as usize].total_cmp(&proxy[a as usize]).then(a.cmp(&b)));
                shown.truncate(CANDIDATES);
                let Some(at) = shown.iter().position(|&i| i as usize == target) else {
                    // The target is not on the page: no order finds it.
                    out.push(vec![0.0; 2 + configs.len()]);
                    continue;
                };
                let cands: Vec<Option<u32>> = shown.iter().map(|&i| Some(i)).collect();
                let scores: Vec<f32> = shown.iter().map(|&i| proxy[i as usize]).collect();
                let cols = engine.columns(&profile, &cands, Some(&scores))?;
                let none = vec![false; cands.len()];
                // Ties (and unscored candidates) keep the store's order, as the engine's rerank does.
                let gain =
                    |c: &FusionConfig| metrics::gain(metrics::rank_masked(&fuse(c, &cols, false).scores, at, &none));
                let mut g = vec![metrics::gain(Some(at)), gain(&personal)];
                g.extend(configs.iter().map(gain));
                out.push(g);
            }
            Ok(out)
        })
        .collect::<Result<_>>()?;
    let users = per_user.len().max(1) as f64;
    // Summed in user order: the same bits with any number of threads.
    let mean = |p: usize, k: usize| per_user.iter().map(|u| u[p][k]).sum::<f64>() / users;
    let has_categories = !engine.model().items.categories.idx.is_empty();
    Ok(PROXIES
        .iter()
        .enumerate()
        .filter(|&(p, _)| p != 3 || has_categories)
        .map(|(p, name)| ProxyResult {
            proxy: (*name).to_string(),
            proxy_alone: mean(p, 0),
            personal_alone: mean(p, 1),
            fused: SHARES.iter().enumerate().map(|(k, &s)| (share_key(s), mean(p, 2 + k))).collect(),
        })
        .collect())
}

/// Whether a proxy stands in for a search ranker (it knows the query).
fn is_query(r: &ProxyResult) -> bool {
    r.proxy.starts_with("query-")
}

/// Whether `share`'s fused order beats both the proxy alone and the personal signals alone for every
/// query proxy of `results`.
fn beats_both(results: &[ProxyResult], share: f32) -> bool {
    results
        .iter()
        .filter(|r| is_query(r))
        .all(|r| r.fused.get(&share_key(share)).is_some_and(|&f| f > r.proxy_alone && f > r.personal_alone))
}

/// `recofuse server-weight`: tunes and learns fusion on validation as `train` does (without the deep
/// model), then measures the proxy server scores against the fused orders (see the module
/// documentation).
pub fn experiment(opts: &Options, e: &ExperimentOptions) -> Result<Experiment> {
    let t0 = Instant::now();
    let progress = Progress::new(opts.progress);
    let loaded = pipeline::load(opts)?;
    let ds = &loaded.ds;
    let split = Split::leave_one_out(ds);
    if split.test.is_empty() {
        return Err(TrainError::format(&opts.interactions, "no user has 3 or more interactions: nothing to evaluate"));
    }
    let (tuned, learned) = pipeline::tune_and_learn(&loaded, &split, opts, &progress, None)?;
    let cfg =
        learned.settings.iter().find(|s| s.method.name() == learned.default).map(|s| s.config()).unwrap_or_default();
    let n = ds.items.len();
    let fit = |seqs: &[Vec<Interaction>]| {
        pipeline::build_model(seqs, &ds.items, loaded.catalog.as_ref(), &tuned, cfg.clone()).0
    };
    let valid = pipeline::sample(&split.valid, e.valid_users, opts.seed ^ 0x5e4e);
    let test = pipeline::sample(&split.test, e.test_users, opts.seed ^ 0x7e57);
    progress.note("server weight: validation");
    let train_model = fit(&split.train);
    let px = proxies(&split.train, n, &train_model)?;
    let validation = measure(&Engine::new(train_model)?, &px, &cfg, &split.train, &ds.items, &valid)?;
    progress.note("server weight: test");
    let train_valid = split.train_valid();
    let test_model = fit(&train_valid);
    let px = proxies(&train_valid, n, &test_model)?;
    let test_res = measure(&Engine::new(test_model)?, &px, &cfg, &train_valid, &ds.items, &test)?;
    let best_share = SHARES.iter().copied().find(|&sh| beats_both(&validation, sh));
    let default_beats_both = BTreeMap::from([
        ("validation".to_string(), beats_both(&validation, DEFAULT_SERVER_SHARE)),
        ("test".to_string(), beats_both(&test_res, DEFAULT_SERVER_SHARE)),
    ]);
    Ok(Experiment {
        dataset: ds.name.clone(),
        items: n,
        fusion: learned.default.clone(),
        valid_users: valid.len(),
        test_users: test.len(),
        validation,
        test: test_res,
        best_share,
        default_beats_both,
        total_s: t0.elapsed().as_secs_f64(),
    })
}

/// A Markdown table of an [`Experiment`].
pub fn markdown(x: &Experiment) -> String {
    let mut s = format!(
        "### {} ({} items; fusion {}; {} validation users, {} test users)\n\n\
         | split | proxy | proxy alone | personal alone |{} \n|---|---|---:|---:|{}\n",
        x.dataset,
        x.items,
        x.fusion,
        x.valid_users,
        x.test_users,
        SHARES.iter().map(|s| format!(" share {s} |")).collect::<String>(),
        SHARES.iter().map(|_| "---:|").collect::<String>()
    );
    for (split, rows) in [("validation", &x.validation), ("test", &x.test)] {
        for r in rows {
            s.push_str(&format!("| {split} | {} | {:.4} | {:.4} |", r.proxy, r.proxy_alone, r.personal_alone));
            for sh in SHARES {
                let f = r.fused.get(&share_key(sh)).copied().unwrap_or(f64::NAN);
                let mark = if f > r.proxy_alone && f > r.personal_alone { "**" } else { "" };
                s.push_str(&format!(" {mark}{f:.4}{mark} |"));
            }
            s.push('\n');
        }
    }
    s.push_str(&format!(
        "\nBold: beats both the proxy alone and the personal signals alone. Smallest share that beats both \
         on every query proxy on validation: {}. Default share {DEFAULT_SERVER_SHARE} beats both on every \
         query proxy: validation {}, test {}.\n",
        x.best_share.map_or("none".to_string(), |b| b.to_string()),
        x.default_beats_both.get("validation").copied().unwrap_or(false),
        x.default_beats_both.get("test").copied().unwrap_or(false)
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use recofuse_core::config::Stacking;

    #[test]
    fn share_scales_with_the_personal_weights_and_zero_removes_the_server() {
        let mut cfg = FusionConfig { method: Method::CombMnz, ..FusionConfig::default() };
        cfg.weights = vec![0.0; Signal::COUNT];
        cfg.weights[Signal::ItemCf.index()] = 0.75;
        cfg.weights[Signal::Seq.index()] = 1.0;
        cfg.weights[Signal::Embedding.index()] = 0.5;
        cfg.weights[Signal::Server.index()] = 3.0; // replaced, not added to
        for share in [0.1f32, 0.5, 2.0] {
            let out = with_server_share(&cfg, share);
            assert!((out.weight(Signal::Server) - share * 2.25).abs() < 1e-6);
            assert!(out.validate().is_ok());
            for s in Signal::ALL.into_iter().filter(|&s| s != Signal::Server) {
                assert_eq!(out.weight(s), cfg.weight(s));
            }
        }
        for bad in [0.0, -1.0, f32::NAN] {
            assert_eq!(with_server_share(&cfg, bad).weight(Signal::Server), 0.0);
        }
        // Stacking: the column takes part with a coefficient, inactive signals do not count.
        let mut st = FusionConfig { method: Method::Stacking, ..FusionConfig::default() };
        st.weights = vec![0.0; Signal::COUNT];
        st.weights[Signal::ItemCf.index()] = 1.0;
        st.weights[Signal::Seq.index()] = 1.0;
        let mut coef = vec![0.0; Signal::COUNT];
        coef[Signal::ItemCf.index()] = 2.0;
        coef[Signal::Seq.index()] = -1.0; // negative: not counted
        coef[Signal::UserCf.index()] = 5.0; // weight 0: not counted
        st.stacking = Stacking { bias: 0.0, coef, present_coef: vec![0.0; Signal::COUNT] };
        let out = with_server_share(&st, 0.5);
        assert_eq!(out.weight(Signal::Server), 1.0);
        assert_eq!(out.stacking.coef[Signal::Server.index()], 1.0);
        assert!(out.validate().is_ok());
    }

    /// With the share, a candidate the store ranks first and taste ranks last moves up; without server
    /// scores the order is the personal one (the column is absent).
    #[test]
    fn the_store_score_moves_the_order_only_when_passed() {
        use recofuse_core::signal::Columns;
        let mut cfg = FusionConfig { method: Method::CombSum, ..FusionConfig::default() };
        cfg.weights = vec![0.0; Signal::COUNT];
        cfg.weights[Signal::Seq.index()] = 1.0;
        let shared = with_server_share(&cfg, DEFAULT_SERVER_SHARE);
        let mut cols = Columns::new(3);
        cols.column_mut(Signal::Seq).copy_from_slice(&[Some(0.0), Some(0.6), Some(1.0)]);
        let order = |c: &FusionConfig, cols: &Columns| {
            let f = fuse(c, cols, false).scores;
            recofuse_core::rules::order(&f, &[], None)
        };
        assert_eq!(order(&shared, &cols), order(&cfg, &cols));
        cols.column_mut(Signal::Server).copy_from_slice(&[Some(10.0), Some(9.0), Some(0.0)]);
        assert_eq!(order(&cfg, &cols), vec![2, 1, 0], "weight 0: the store's score is dropped");
        assert_eq!(order(&shared, &cols), vec![1, 2, 0], "share 0.5: taste and the store both count");
    }
}
