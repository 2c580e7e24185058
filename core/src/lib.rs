//! # recofuse-core
//!
//! The pure engine of recofuse: the model bundle codec, the scorers, fusion and the shopper's history.
//! No IO, no clock, no randomness of its own (time is passed in), no panics on any input: every
//! failure is an [`Error`] with a stable [`Error::code`].
//!
//! ```
//! use recofuse_core::{Engine, Event, EventKind, History, Options};
//!
//! let model = recofuse_testkit::catalog(200, 7);          // a small generated catalog
//! let bytes = recofuse_core::bundle::encode(&model, &Default::default()).unwrap();
//! let engine = Engine::from_bundle(bytes).unwrap();       // validated once, here
//!
//! let mut history = History::new(100);
//! history.push(Event::new("item-3", EventKind::Click, 1_000.0)).unwrap();
//! let profile = engine.profile(&history, 2_000.0);
//!
//! let candidates = ["item-10", "item-3", "no-such-item", "item-42"];
//! let ranking = engine.rerank(&profile, &candidates, &Options::default()).unwrap();
//! assert_eq!(ranking.items.len(), 4);                     // every candidate comes back
//! assert_eq!(ranking.items[3].position, 2);               // the unknown id last
//! ```
//!
//! # Modules, in dependency order
//!
//! Each module uses only those listed before it (checked by `tests/module_graph.rs`):
//!
//! - [`tensor`], [`json`], [`sha256`]: leaves (typed buffers, the engine's own JSON and SHA-256);
//! - [`signal`], [`error`], [`config`]: the signals, the typed errors, the fusion and scoring
//!   configurations (mapped to JSON here only);
//! - [`neural`], [`model`]: the model parts ([`Model`]); [`bundle`]: their safetensors codec;
//! - [`history`]: the shopper's events and their [`Digest`](history::Digest) by item index;
//! - [`scorers`]: the scorer kernels, plain functions over model parts and the digest (the trainer
//!   calls them too); [`Profile`]: a history digested through them;
//! - [`fusion`]: normalisations, methods, and [`FusionPlan`](fusion::FusionPlan) for many
//!   configurations over the same columns;
//! - [`Engine`]: a validated model plus the rerank pipeline (ids, kernels, fusion, business rules).
//!
//! Generated catalogs and a seeded RNG for tests live in the separate `recofuse-testkit` crate.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod bundle;
pub mod config;
mod engine;
pub mod error;
pub mod fusion;
pub mod history;
pub mod json;
pub mod model;
pub mod neural;
mod profile;
// Public for the integration tests only (property tests against naive versions); not part of the API.
#[doc(hidden)]
pub mod rules;
pub mod scorers;
pub mod sha256;
pub mod signal;
/// Sorting and selection helpers: std natively, one compact merge sort on `wasm32` (module size).
/// Public for the integration tests only (the `wasm32` path checked natively); not part of the API.
#[doc(hidden)]
pub mod sort;
pub mod tensor;

pub use config::{FusionConfig, Method, Normalization, ScoringConfig};
pub use engine::{CandidateSet, Engine, Options, Ranked, Ranking, StockRule};
pub use error::{Error, Result};
pub use history::{Event, EventKind, History, Recovery};
pub use model::Model;
pub use profile::Profile;
pub use signal::{PerSignal, Signal};
pub use tensor::Tensor;
