//! What the kernels read that depends on the model only, computed once when the engine is built.

use super::{embedding_norms, popularity_prior, ItemAttrs};
use crate::model::{Csr, Model};

/// Data derived once from the model at load, so that profiles and reranks stay cheap.
#[derive(Debug, Clone, Default)]
pub(crate) struct Derived {
    /// L2 norm of each item embedding (empty without embeddings).
    pub(crate) embedding_norms: Vec<f32>,
    /// Prototype preferences transposed: row = item, columns = prototypes.
    pub(crate) prototypes_by_item: Option<Csr>,
    /// L2 norm of each prototype's preference row.
    pub(crate) prototype_norms: Vec<f32>,
    /// Popularity prior per item ([`popularity_prior`]).
    pub(crate) popularity: Vec<f32>,
    /// Per-item attributes for the content scorer, one record per item.
    pub(crate) attrs: Vec<ItemAttrs>,
}

impl Derived {
    pub(crate) fn new(model: &Model) -> Derived {
        let n = model.items.len();
        let mut d = Derived {
            popularity: popularity_prior(&model.popularity, model.scoring.trend_mix, n),
            attrs: ItemAttrs::of_items(&model.items),
            ..Derived::default()
        };
        if let Some(e) = &model.embeddings {
            d.embedding_norms = embedding_norms(e, n);
        }
        if let Some(p) = &model.prototypes {
            d.prototype_norms = p.prefs.row_norms();
            d.prototypes_by_item = Some(p.prefs.transpose(n));
        }
        d
    }
}
