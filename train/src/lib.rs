//! # recofuse-train
//!
//! The native side of recofuse: readers for interaction logs and item catalogs, the leave-one-out
//! evaluation protocol of `docs/design.md`, model fitting into a [`recofuse_core::Model`], fusion learned by
//! cross-validation, metrics and reports, and the `recofuse` command-line tool.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod ab;
pub mod budget;
pub mod error;
pub mod inspect;

pub use error::{Result, TrainError};
pub mod catalog;
pub mod data;
pub mod ease;
pub mod fit;
pub mod learn;
pub mod linalg;
pub mod metrics;
pub mod neural;
pub mod pack;
pub mod pipeline;
pub mod report;
pub mod server_weight;
pub mod shard;
pub mod significance;
pub mod split;
pub mod storefront;
pub mod text;
pub mod tfidf;
pub mod tune;
