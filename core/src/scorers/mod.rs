//! The scorer kernels: one small module per signal, each a plain function over model parts (CSR
//! matrices, embedding tables, per-item slices) and the digested history
//! ([`Digest`](crate::history::Digest)). The engine's pipeline calls them for every profile and rerank;
//! the trainer calls the same functions to tune the models on its logs.
//!
//! A column is dense: `out[i]` is candidate `i`'s score (`candidates[i]` is its item index, `None` for
//! an id the bundle does not know), NaN when the scorer has nothing to say (unknown id, cold start,
//! signal not in the bundle), never a silent 0.0; every other value is finite.
//!
//! | signal | history part (once per profile) | column (per request) |
//! |---|---|---|
//! | item-CF | [`item_cf`] into an [`Accumulator`] | [`accumulated_column`] |
//! | sequential | [`sequential`] into an [`Accumulator`] | [`accumulated_column`] |
//! | user-CF | [`user_cf`] into an [`Accumulator`] | [`accumulated_column`] |
//! | embedding | [`embedding_user_vector`], [`quantized_user_vector`] | [`embedding_column`] |
//! | content | [`content_profile`] | [`content_column`] |
//! | popularity | — ([`popularity_prior`] once per model) | [`popularity_column`] |
//! | server | — | [`server_column`] |
//! | neural | [`NeuralModel::user_vector`](crate::neural::NeuralModel::user_vector) | [`neural_column`] |

mod accumulator;
mod content;
mod derived;
mod embedding;
mod itemcf;
mod neural;
mod popularity;
mod seq;
mod server;
mod usercf;

pub(crate) use accumulator::accumulated_columns3;
pub use accumulator::{accumulated_column, Accumulator};
pub use content::{content_column, content_profile, ContentProfile, ItemAttrs};
pub(crate) use derived::Derived;
pub use embedding::{embedding_column, embedding_norms, embedding_user_vector, quantized_user_vector};
pub use itemcf::item_cf;
pub use neural::neural_column;
pub use popularity::{popularity_column, popularity_prior};
pub use seq::sequential;
pub use server::server_column;
pub use usercf::user_cf;
