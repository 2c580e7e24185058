//! The shopper's history digested against a model ([`Profile`]): built once per history change by
//! [`Engine::profile`](crate::Engine::profile), read by every rerank.

use crate::history::{Digest, History};
use crate::model::Model;
use crate::scorers::{self, Accumulator, ContentProfile, Derived};

/// The shopper's history digested against a model: decayed item weights, recent sequence, seen set,
/// and what each history-driven scorer accumulated from them. Build it with
/// [`Engine::profile`](crate::Engine::profile) when the history changes; reuse it across reranks.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Weights, recent sequence and seen set of the known history items.
    pub(crate) digest: Digest,
    /// Ids in the history that the bundle does not know (still count as seen).
    pub(crate) seen_unknown: Vec<String>,
    /// Item-CF sums over the history.
    pub(crate) itemcf: Option<Accumulator>,
    /// Transition sums over the recent sequence.
    pub(crate) seq: Option<Accumulator>,
    /// Prototype-preference sums over the nearest prototypes.
    pub(crate) usercf: Option<Accumulator>,
    /// Unit-length user vector in embedding space.
    pub(crate) user_vector: Option<Vec<f32>>,
    /// For int8 embeddings: `user_vector` quantised to i16 with its scale, computed once per profile
    /// rather than once per rerank.
    pub(crate) user_vector_i16: Option<(Vec<i16>, f32)>,
    /// Category and brand affinity, median price and text profile of the history.
    pub(crate) content: Option<ContentProfile>,
    /// The deep model's user vector over the most recent history items.
    pub(crate) neural: Option<Vec<f32>>,
}

impl Profile {
    /// Digests `history` at `now_ms` against `model` (`item_index` resolves an id to its item index).
    pub(crate) fn build(
        model: &Model,
        derived: &Derived,
        item_index: impl Fn(&str) -> Option<u32>,
        history: &History,
        now_ms: f64,
    ) -> Profile {
        let mut seen_unknown: Vec<String> = Vec::new();
        // The known events' items, newest first.
        let mut known: Vec<u32> = Vec::new();
        let events = history.events().rev().filter_map(|e| match item_index(&e.item) {
            Some(i) => {
                known.push(i);
                Some((i, e.kind, e.ts_ms))
            }
            None => {
                if !seen_unknown.contains(&e.item) {
                    seen_unknown.push(e.item.clone());
                }
                None
            }
        });
        let digest = Digest::new(events, &model.scoring, now_ms);
        let mut p = Profile { digest, seen_unknown, ..Profile::default() };
        if p.digest.weights.is_empty() {
            return p;
        }
        let (weights, n) = (&p.digest.weights[..], model.items.len());
        let accumulate = |fill: &dyn Fn(&mut Accumulator)| {
            let mut acc = Accumulator::new(n);
            fill(&mut acc);
            acc
        };
        p.itemcf = model.item_cf.as_ref().map(|cf| accumulate(&|acc| scorers::item_cf(cf, weights, acc)));
        p.seq = model
            .transitions
            .as_ref()
            .map(|t| accumulate(&|acc| scorers::sequential(t, &p.digest.recent, model.scoring.seq_step_decay, acc)));
        p.usercf = match (&model.prototypes, &derived.prototypes_by_item) {
            (Some(protos), Some(by_item)) => Some(accumulate(&|acc| {
                let k = model.scoring.proto_neighbors;
                scorers::user_cf(&protos.prefs, by_item, &derived.prototype_norms, weights, k, acc)
            })),
            _ => None,
        };
        if let Some(e) = &model.embeddings {
            p.user_vector = scorers::embedding_user_vector(e, &derived.embedding_norms, weights);
            p.user_vector_i16 = p.user_vector.as_deref().and_then(|u| scorers::quantized_user_vector(e, u));
        }
        p.content = scorers::content_profile(&model.items, weights);
        if let Some(m) = &model.neural {
            // The most recent `max_len` known items (repeats kept), oldest first.
            let mut seq: Vec<u32> = known.iter().take(m.max_len).copied().collect();
            seq.reverse();
            p.neural = m.user_vector(&seq);
        }
        p
    }

    /// The digested history: weights, recent sequence and seen set of the items the bundle knows.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Whether item `i` is in the history.
    pub fn has_seen(&self, i: u32) -> bool {
        self.digest.has_seen(i)
    }

    /// The history's ids that the bundle does not know, newest first (each once).
    pub fn unknown_ids(&self) -> &[String] {
        &self.seen_unknown
    }
}
