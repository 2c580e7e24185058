//! Hyper-parameter tuning of each model on the validation targets (coordinate ascent over small
//! grids), with the engine's own scorer kernels ([`recofuse_core::scorers`]) called on the model parts
//! of each candidate configuration (no engine is built per configuration).

use std::collections::BTreeMap;

use rayon::prelude::*;
use recofuse_core::history::Digest;
use recofuse_core::model::Csr;
use recofuse_core::scorers::{self, Accumulator};
use recofuse_core::ScoringConfig;
use serde::Serialize;

use crate::data::Interaction;
use crate::fit::{self, CfParams, EmbParams, ProtoParams, TransParams};
use crate::metrics::{dense_rank, gain};

/// Everything tuned on validation.
#[derive(Debug, Clone, Serialize)]
pub struct Tuned {
    /// Scorer parameters (half-life, sequence window, prototypes, trend mix...).
    #[serde(skip)]
    pub scoring: ScoringConfig,
    /// Transitions.
    #[serde(skip)]
    pub trans: TransParams,
    /// Item CF.
    #[serde(skip)]
    pub cf: CfParams,
    /// Embeddings.
    #[serde(skip)]
    pub emb: EmbParams,
    /// Prototypes.
    #[serde(skip)]
    pub proto: ProtoParams,
    /// Per-user recent window of the trend popularity.
    pub pop_recent: usize,
    /// Validation NDCG@10 of each single model at its tuned parameters (tuning sample).
    pub valid_ndcg: BTreeMap<String, f64>,
    /// Chosen parameters, human-readable, per model.
    pub params: BTreeMap<String, String>,
    /// Number of validation users in the tuning sample.
    pub sample_users: usize,
    /// The subsample the dense scorers (embedding, usercf, popularity) were tuned on.
    pub dense_sample_users: usize,
    /// The item-CF section holds EASE weights with this regularisation (instead of cosine CF).
    pub ease_lambda: Option<f32>,
    /// Neighbours kept per EASE row.
    #[serde(skip)]
    pub ease_top_k: usize,
    /// Wall-clock seconds of each tuning step.
    pub seconds: BTreeMap<String, f64>,
}

impl Tuned {
    /// The parameters of the tables the Spark job computes (`spark/recofuse_tables.py`, issue 19), under
    /// the names that job reads: `itemcf.*` ([`CfParams`]), `seq.*` ([`TransParams`]),
    /// `popularity.recent`, `embedding.dim` and `usercf.*` ([`ProtoParams`]). `recofuse train --report`
    /// writes them as `table_config`. The item-CF values are the cosine CF's even where EASE was chosen
    /// (the Spark job computes co-occurrence neighbours only).
    pub fn table_config(&self) -> serde_json::Value {
        let (k1, b) = match self.cf.bm25 {
            Some((k1, b)) => (serde_json::json!(k1), serde_json::json!(b)),
            None => (serde_json::Value::Null, serde_json::Value::Null),
        };
        serde_json::json!({
            "itemcf.alpha": self.cf.alpha,
            "itemcf.shrink": self.cf.shrink,
            "itemcf.gamma": self.cf.gamma,
            "itemcf.top_k": self.cf.top_k,
            "itemcf.bm25_k1": k1,
            "itemcf.bm25_b": b,
            "seq.window": self.trans.window,
            "seq.gap_decay": self.trans.gap_decay,
            "seq.backward": self.trans.backward,
            "seq.alpha": self.trans.alpha,
            "seq.beta": self.trans.beta,
            "seq.top_k": self.trans.top_k,
            "popularity.recent": self.pop_recent,
            "embedding.dim": self.emb.dim,
            "usercf.clusters": self.proto.clusters,
            "usercf.min_size": self.proto.min_size,
            "usercf.top_items": self.proto.top_items,
            "usercf.iters": self.proto.iters,
            "usercf.seed": self.proto.seed,
        })
    }
}

/// The users a tuning run evaluates: (user, validation target item, time of the target).
#[derive(Debug, Clone)]
pub struct TuneSet<'a> {
    /// Training sequences (index = user).
    pub train: &'a [Vec<Interaction>],
    /// Evaluated users.
    pub users: Vec<(u32, u32, f64)>,
    /// Number of items.
    pub n_items: usize,
    /// Largest catalog EASE is tried on (see [`crate::ease`]).
    pub ease_max_items: usize,
}

/// A history digested as the engine digests a profile (`events` oldest first).
pub fn digest(events: &[Interaction], cfg: &ScoringConfig, now_ms: f64) -> Digest {
    Digest::new(events.iter().rev().map(|e| (e.item, e.kind, e.ts)), cfg, now_ms)
}

/// Per-thread buffers of [`TuneSet::ndcg`]: an accumulator and a column over every item.
struct Scratch {
    acc: Accumulator,
    column: Vec<f32>,
}

impl TuneSet<'_> {
    fn hists(&self, cfg: &ScoringConfig) -> Vec<Digest> {
        self.users
            .par_iter()
            .map(|&(u, _, now)| digest(self.train.get(u as usize).map_or(&[][..], |s| s.as_slice()), cfg, now))
            .collect()
    }

    /// Mean NDCG@10 over the users of a scorer whose column over every item (index = item, higher
    /// first, missing scored 0) `score` fills, in the accumulator or the column of the scratch
    /// buffers (it returns the one it filled).
    fn ndcg<F>(&self, hists: &[Digest], score: F) -> f64
    where
        F: for<'s> Fn(&Digest, &'s mut Scratch) -> &'s [f32] + Sync,
    {
        let n = self.n_items;
        let total: f64 = self
            .users
            .par_iter()
            .zip(hists.par_iter())
            .map_init(
                || Scratch { acc: Accumulator::new(n), column: vec![0f32; n] },
                |scratch, (&(_, target, _), h)| {
                    scratch.acc.reset();
                    gain(dense_rank(score(h, scratch), target, &h.seen))
                },
            )
            // Summed in user order, not by rayon's thread-dependent tree: the same bits on any machine.
            .collect::<Vec<f64>>()
            .iter()
            .sum();
        total / self.users.len().max(1) as f64
    }
}

/// The column of an accumulator-based scorer (item-CF, sequential, user-CF): what `fill` accumulates.
fn accumulated(scratch: &mut Scratch, fill: impl FnOnce(&mut Accumulator)) -> &[f32] {
    fill(&mut scratch.acc);
    scratch.acc.values()
}

/// Users × items budget of one evaluation of a dense scorer during tuning.
const DENSE_BUDGET: usize = 12_000_000;

type Knob<P> = (&'static str, Vec<f32>, fn(&mut P, f32));

/// Coordinate ascent: for each knob in turn, try its values and keep the best; `rounds` passes.
fn ascend<P: Clone>(start: P, knobs: &[Knob<P>], rounds: usize, eval: &mut dyn FnMut(&P) -> f64) -> (P, f64) {
    let mut best = start;
    let mut best_score = eval(&best);
    for _ in 0..rounds {
        let before = best_score;
        for (_, values, set) in knobs {
            for &v in values {
                let mut p = best.clone();
                set(&mut p, v);
                let s = eval(&p);
                if s > best_score + 1e-9 {
                    best_score = s;
                    best = p;
                }
            }
        }
        if best_score <= before + 1e-9 {
            break;
        }
    }
    (best, best_score)
}

#[derive(Clone)]
struct SeqP {
    t: TransParams,
    recent: usize,
    decay: f32,
}

#[derive(Clone)]
struct CfP {
    c: CfParams,
    half_life: f32,
}

/// Tunes every model; `progress` is called with a short step name before each step.
pub fn tune(set: &TuneSet<'_>, has_time: bool, progress: &dyn Fn(&str)) -> Tuned {
    let n = set.n_items;
    let mut seconds = BTreeMap::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &str| {
        seconds.insert(name.to_string(), clock.elapsed().as_secs_f64());
        clock = std::time::Instant::now();
    };
    let mut scoring = ScoringConfig::default();
    let mut valid = BTreeMap::new();
    let mut params = BTreeMap::new();

    // Sequential transitions.
    progress("tuning seq");
    let knobs: Vec<Knob<SeqP>> = vec![
        ("window", vec![1.0, 2.0, 3.0, 5.0], |p, v| p.t.window = v as usize),
        ("gap_decay", vec![0.25, 0.5, 0.75, 1.0], |p, v| p.t.gap_decay = v),
        ("alpha", vec![0.0, 0.25, 0.5, 0.75, 1.0], |p, v| p.t.alpha = v),
        ("beta", vec![0.0, 0.15, 0.3, 0.5], |p, v| p.t.beta = v),
        ("backward", vec![0.0, 0.1, 0.25, 0.5], |p, v| p.t.backward = v),
        ("seq_recent", vec![1.0, 2.0, 3.0, 5.0, 8.0], |p, v| p.recent = v as usize),
        ("seq_step_decay", vec![0.2, 0.4, 0.6, 0.8, 1.0], |p, v| p.decay = v),
    ];
    let mut cache: Vec<(usize, Vec<Digest>)> = Vec::new();
    let mut tcache: Option<(TransParams, Csr)> = None;
    let (sp, s) = ascend(
        SeqP { t: TransParams::default(), recent: scoring.seq_recent, decay: scoring.seq_step_decay },
        &knobs,
        2,
        &mut |p: &SeqP| {
            if tcache.as_ref().is_none_or(|c| c.0 != p.t) {
                tcache = Some((p.t, fit::transitions(set.train, n, &p.t)));
            }
            let Some((_, t)) = tcache.as_ref() else { return 0.0 };
            if !cache.iter().any(|c| c.0 == p.recent) {
                let cfg = ScoringConfig { seq_recent: p.recent, ..scoring.clone() };
                cache.push((p.recent, set.hists(&cfg)));
            }
            let hists = cache.iter().find(|c| c.0 == p.recent).map(|c| &c.1[..]).unwrap_or(&[]);
            set.ndcg(hists, |h, s| accumulated(s, |acc| scorers::sequential(t, &h.recent, p.decay, acc)))
        },
    );
    scoring.seq_recent = sp.recent;
    scoring.seq_step_decay = sp.decay;
    valid.insert("seq".to_string(), s);
    params.insert("seq".into(), format!("{:?}, seq_recent {}, seq_step_decay {}", sp.t, sp.recent, sp.decay));
    let trans = sp.t;
    lap("seq");

    // Item CF (and the history half-life it shares with the other history-weighted scorers).
    progress("tuning itemcf");
    let half_lives: Vec<f32> =
        if has_time { vec![1.0, 7.0, 30.0, 180.0, 1e5] } else { vec![1.0, 2.0, 4.0, 8.0, 16.0, 1e5] };
    let knobs: Vec<Knob<CfP>> = vec![
        ("half_life_days", half_lives, |p, v| p.half_life = v),
        ("bm25", vec![0.0, 1.0], |p, v| p.c.bm25 = (v > 0.0).then_some((1.2, 0.75))),
        ("alpha", vec![0.3, 0.5, 0.7, 0.9], |p, v| p.c.alpha = v),
        ("shrink", vec![0.0, 20.0, 100.0], |p, v| p.c.shrink = v),
        ("gamma", vec![0.0, 1.0, 2.0], |p, v| p.c.gamma = v),
        ("top_k", vec![50.0, 200.0], |p, v| p.c.top_k = v as usize),
    ];
    let mut hcache: Vec<(u32, Vec<Digest>)> = Vec::new();
    let mut cfcache: Option<(CfParams, Csr)> = None;
    let mut hists_for = |half: f32, set: &TuneSet<'_>, scoring: &ScoringConfig| -> Vec<Digest> {
        if let Some(c) = hcache.iter().find(|c| c.0 == half.to_bits()) {
            return c.1.clone();
        }
        let cfg = ScoringConfig { half_life_days: half, ..scoring.clone() };
        let h = set.hists(&cfg);
        hcache.push((half.to_bits(), h.clone()));
        h
    };
    let (cp, s) =
        ascend(CfP { c: CfParams::default(), half_life: scoring.half_life_days }, &knobs, 2, &mut |p: &CfP| {
            if cfcache.as_ref().is_none_or(|c| c.0 != p.c) {
                cfcache = Some((p.c, fit::item_cf(set.train, n, &p.c)));
            }
            let Some((_, cf)) = cfcache.as_ref() else { return 0.0 };
            let hists = hists_for(p.half_life, set, &scoring);
            set.ndcg(&hists, |h, s| accumulated(s, |acc| scorers::item_cf(cf, &h.weights, acc)))
        });
    scoring.half_life_days = cp.half_life;
    valid.insert("itemcf".to_string(), s);
    params.insert("itemcf".into(), format!("{:?}, half_life_days {}", cp.c, cp.half_life));
    let cf = cp.c;
    lap("itemcf");

    // EASE in the item-CF section, for catalogs small enough for its dense inverse.
    let mut ease_lambda = None;
    let ease_top_k = 200;
    if (2..=set.ease_max_items).contains(&n) {
        progress("tuning EASE");
        let g = crate::ease::gram(set.train, n);
        let mut best: Option<(f32, f32, f64)> = None; // lambda, half-life, NDCG
        let mut fits: Vec<(f32, Csr)> = Vec::new();
        for lambda in [100.0f32, 400.0] {
            let Some(b) = crate::ease::ease(&g, n, f64::from(lambda), ease_top_k) else { continue };
            let hists = hists_for(scoring.half_life_days, set, &scoring);
            let sc = set.ndcg(&hists, |h, s| accumulated(s, |acc| scorers::item_cf(&b, &h.weights, acc)));
            if best.is_none_or(|x| sc > x.2) {
                best = Some((lambda, scoring.half_life_days, sc));
            }
            fits.push((lambda, b));
        }
        if let Some((lambda, _, _)) = best {
            // The history half-life for the chosen lambda.
            let b = fits.iter().find(|f| f.0 == lambda).map(|f| &f.1);
            let lives: Vec<f32> =
                if has_time { vec![1.0, 7.0, 30.0, 180.0, 1e5] } else { vec![1.0, 2.0, 4.0, 8.0, 16.0, 1e5] };
            for half in lives {
                let hists = hists_for(half, set, &scoring);
                if let Some(b) = b {
                    let sc = set.ndcg(&hists, |h, s| accumulated(s, |acc| scorers::item_cf(b, &h.weights, acc)));
                    if best.is_none_or(|x| sc > x.2 + 1e-9) {
                        best = Some((lambda, half, sc));
                    }
                }
            }
        }
        if let Some((lambda, half, sc)) = best {
            valid.insert("ease".to_string(), sc);
            params.insert(
                "ease".into(),
                format!(
                    "lambda {lambda}, top_k {ease_top_k}, half_life_days {half}; {}",
                    if sc > s {
                        "in the item-CF section (better than cosine CF)"
                    } else {
                        "not used (cosine CF better)"
                    }
                ),
            );
            if sc > s {
                ease_lambda = Some(lambda);
                scoring.half_life_days = half;
                valid.insert("itemcf".to_string(), sc);
                params.insert(
                    "itemcf".into(),
                    format!("EASE lambda {lambda}, top_k {ease_top_k}, half_life_days {half}"),
                );
            }
        }
        lap("ease");
    }
    let hists = hists_for(scoring.half_life_days, set, &scoring);

    // The dense scorers (embedding, prototypes, popularity) cost users × items per evaluation: on
    // large catalogs they are tuned on a subsample of the tuning users.
    let dense_users = (DENSE_BUDGET / n.max(1)).max(500).min(set.users.len().max(1));
    // An evenly spaced subsample (the tuning users are in user order, which need not be random).
    let stride = set.users.len().div_ceil(dense_users.max(1)).max(1);
    let dense_set = TuneSet {
        train: set.train,
        users: set.users.iter().step_by(stride).copied().collect(),
        n_items: n,
        ease_max_items: set.ease_max_items,
    };
    let sample_users = set.users.len();
    let hists: Vec<Digest> = hists.into_iter().step_by(stride).collect();
    let set = &dense_set;

    // Embeddings.
    progress("tuning embedding");
    let all: Vec<Option<u32>> = (0..n as u32).map(Some).collect();
    let knobs: Vec<Knob<EmbParams>> = vec![
        ("beta", vec![0.0, 0.25, 0.5], |p, v| p.beta = v),
        ("power", vec![0.25, 0.5, 1.0], |p, v| p.power = v),
        ("dim", vec![32.0, 64.0], |p, v| p.dim = v as usize),
    ];
    // The eigen decomposition depends on beta only: dimensions are truncated, the power rescales.
    let mut ecache: Vec<(u32, fit::Eigen)> = Vec::new();
    let (emb, s) = ascend(EmbParams::default(), &knobs, 1, &mut |p: &EmbParams| {
        if !ecache.iter().any(|c| c.0 == p.beta.to_bits()) {
            let full = EmbParams { dim: p.dim.max(fit::EMB_FIT_DIM), ..*p };
            ecache.push((p.beta.to_bits(), fit::eigen(set.train, n, &full)));
        }
        let Some((_, eig)) = ecache.iter().find(|c| c.0 == p.beta.to_bits()) else { return 0.0 };
        let e = eig.embeddings(p.dim, p.power);
        let norms = scorers::embedding_norms(&e, n);
        set.ndcg(&hists, |h, s| {
            // No user vector (a zero or non-finite history vector): every item scores 0.
            s.column.fill(0.0);
            if let Some(u) = scorers::embedding_user_vector(&e, &norms, &h.weights) {
                scorers::embedding_column(&e, &norms, &u, None, &all, &mut s.column);
                s.column.iter_mut().filter(|x| x.is_nan()).for_each(|x| *x = 0.0);
            }
            &s.column
        })
    });
    valid.insert("embedding".to_string(), s);
    params.insert("embedding".into(), format!("{emb:?}"));
    lap("embedding");

    // Prototypes.
    progress("tuning usercf");
    let users_n = set.train.iter().filter(|s| !s.is_empty()).count().max(1) as f32;
    #[derive(Clone)]
    struct PP {
        p: ProtoParams,
        k: usize,
    }
    let knobs: Vec<Knob<PP>> = vec![
        // Capped: k-means cost grows with clusters × users × items per user.
        ("clusters", vec![users_n / 15.0, users_n / 40.0, users_n / 100.0], |p, v| {
            p.p.clusters = (v as usize).clamp(1, 300)
        }),
        ("top_items", vec![100.0, 300.0], |p, v| p.p.top_items = v as usize),
        ("proto_neighbors", vec![1.0, 3.0, 8.0], |p, v| p.k = v as usize),
    ];
    let start = PP {
        p: ProtoParams { clusters: ((users_n / 40.0) as usize).clamp(1, 300), ..ProtoParams::default() },
        k: scoring.proto_neighbors,
    };
    type ProtoFit = (ProtoParams, Option<(Csr, Csr, Vec<f32>)>);
    let mut pcache: Vec<ProtoFit> = Vec::new();
    let (pp, s) = ascend(start, &knobs, 1, &mut |p: &PP| {
        if !pcache.iter().any(|c| c.0 == p.p) {
            let fitted = fit::prototypes(set.train, n, &p.p).map(|pr| {
                let by_item = pr.prefs.transpose(n);
                let norms = pr.prefs.row_norms();
                (pr.prefs, by_item, norms)
            });
            pcache.push((p.p, fitted));
        }
        let Some((_, Some((prefs, by_item, norms)))) = pcache.iter().find(|c| c.0 == p.p) else { return 0.0 };
        set.ndcg(&hists, |h, s| accumulated(s, |acc| scorers::user_cf(prefs, by_item, norms, &h.weights, p.k, acc)))
    });
    scoring.proto_neighbors = pp.k;
    valid.insert("usercf".to_string(), s);
    params.insert("usercf".into(), format!("{:?}, proto_neighbors {}", pp.p, pp.k));
    lap("usercf");

    // Popularity.
    progress("tuning popularity");
    #[derive(Clone)]
    struct Pop {
        recent: usize,
        mix: f32,
    }
    let knobs: Vec<Knob<Pop>> = vec![
        ("recent", vec![1.0, 2.0, 5.0], |p, v| p.recent = v as usize),
        ("trend_mix", vec![0.0, 0.25, 0.5, 0.75, 1.0], |p, v| p.mix = v),
    ];
    let (pop, s) = ascend(Pop { recent: 2, mix: scoring.trend_mix }, &knobs, 1, &mut |p: &Pop| {
        let prior = scorers::popularity_prior(&fit::popularity(set.train, n, p.recent), p.mix, n);
        set.ndcg(&hists, |_, s| {
            scorers::popularity_column(&prior, &all, &mut s.column);
            &s.column
        })
    });
    scoring.trend_mix = pop.mix;
    valid.insert("popularity".to_string(), s);
    params.insert("popularity".into(), format!("trend window {} events, trend_mix {}", pop.recent, pop.mix));
    lap("popularity");

    Tuned {
        scoring,
        trans,
        cf,
        emb,
        proto: pp.p,
        pop_recent: pop.recent,
        valid_ndcg: valid,
        params,
        sample_users,
        dense_sample_users: set.users.len(),
        ease_lambda,
        ease_top_k,
        seconds,
    }
}
