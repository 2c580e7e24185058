//! # recofuse-testkit
//!
//! Deterministic generators for recofuse, kept out of the engine's public API: a seeded RNG
//! ([`SplitMix64`]), generated catalogs with every bundle section ([`catalog`], [`generate`]) and deep
//! models with random weights ([`random_neural`]). Used by the engine's integration tests, benchmarks
//! and examples, the facade's wasm tests, the fuzz targets, and the trainer (its sampling and
//! initialisation draw from [`SplitMix64`]; `recofuse demo-bundle` writes a generated catalog).
//! Not published.
//!
//! ```
//! use recofuse_core::{Engine, History, Options};
//!
//! let model = recofuse_testkit::catalog(200, 7);
//! let engine = Engine::new(model).unwrap();
//! let profile = engine.profile(&History::new(10), 0.0);
//! let ranking = engine.rerank(&profile, &["item-1", "item-2"], &Options::default()).unwrap();
//! assert_eq!(ranking.items.len(), 2);
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod catalog;
mod neural;
mod rng;

pub use catalog::{catalog, category_of, generate, DemoSpec};
pub use neural::random_neural;
pub use rng::SplitMix64;
