//! The TypeScript side of the API: the declarations written once in `src/types.d.ts` (emitted into
//! `pkg/recofuse.d.ts` by wasm-bindgen) and the Rust handles that give the exported methods those types.
//! `tests/contract.rs` checks the declarations against the error table ([`crate::error::ERROR_CODES`]), the
//! option keys ([`crate::options`]) and the engine's names.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The declarations of `src/types.d.ts`, for tests that read them.
pub const DECLARATIONS: &str = include_str!("types.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = DECLARATIONS;

#[wasm_bindgen]
extern "C" {
    /// `LoadOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "LoadOptions")]
    pub type LoadOptionsArg;
    /// `RecordEvent` in TypeScript.
    #[wasm_bindgen(typescript_type = "RecordEvent")]
    pub type RecordEventArg;
    /// `RerankOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "RerankOptions")]
    pub type RerankOptionsArg;
    /// `RecommendOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "RecommendOptions")]
    pub type RecommendOptionsArg;
    /// The ids of `candidates(ids)` in TypeScript.
    #[wasm_bindgen(typescript_type = "ReadonlyArray<string | number>")]
    pub type IdListArg;
    /// The candidate list in TypeScript.
    #[wasm_bindgen(typescript_type = "ReadonlyArray<string | number> | CandidateSet")]
    pub type CandidatesArg;
    /// An item id in TypeScript.
    #[wasm_bindgen(typescript_type = "string | number")]
    pub type ItemIdArg;
    /// A count in TypeScript (checked at run time: anything but a non-negative integer is `BAD_ARGUMENT`).
    #[wasm_bindgen(typescript_type = "number")]
    pub type CountArg;
    /// A bundle URL in TypeScript.
    #[wasm_bindgen(typescript_type = "string | URL")]
    pub type UrlArg;
    /// Bundle bytes in TypeScript.
    #[wasm_bindgen(typescript_type = "Uint8Array | ArrayBuffer")]
    pub type BytesArg;
    /// `TypedRanking` in TypeScript.
    #[wasm_bindgen(typescript_type = "TypedRanking")]
    pub type TypedRanking;
    /// `RankedItem[]` in TypeScript.
    #[wasm_bindgen(typescript_type = "RankedItem[]")]
    pub type RankedList;
    /// `RerankResult` in TypeScript.
    #[wasm_bindgen(typescript_type = "RerankResult")]
    pub type RerankResult;
    /// `ScoredItem[]` in TypeScript.
    #[wasm_bindgen(typescript_type = "ScoredItem[]")]
    pub type ScoredList;
    /// `HistoryList` (`HistoryEvent[]` with the A/B counters) in TypeScript.
    #[wasm_bindgen(typescript_type = "HistoryList")]
    pub type HistoryList;
    /// `ExperimentSpec` in TypeScript.
    #[wasm_bindgen(typescript_type = "ExperimentSpec")]
    pub type ExperimentSpecArg;
    /// `ExperimentAssignment` in TypeScript.
    #[wasm_bindgen(typescript_type = "ExperimentAssignment")]
    pub type ExperimentAssignment;
    /// An experiment name in TypeScript.
    #[wasm_bindgen(typescript_type = "string")]
    pub type ExperimentNameArg;
    /// `ReportOptions` in TypeScript.
    #[wasm_bindgen(typescript_type = "ReportOptions")]
    pub type ReportOptionsArg;
    /// `ExperimentReport` in TypeScript.
    #[wasm_bindgen(typescript_type = "ExperimentReport")]
    pub type ExperimentReport;
    /// `ExperimentCounters[]` in TypeScript.
    #[wasm_bindgen(typescript_type = "ExperimentCounters[]")]
    pub type ExperimentCountersList;
    /// `StorageInfo` in TypeScript.
    #[wasm_bindgen(typescript_type = "StorageInfo")]
    pub type StorageInfoObject;
    /// `BundleInfo` in TypeScript.
    #[wasm_bindgen(typescript_type = "BundleInfo")]
    pub type BundleInfoObject;
    /// `Promise<void>` in TypeScript.
    #[wasm_bindgen(typescript_type = "Promise<void>")]
    pub type VoidPromise;
}

impl From<f64> for CountArg {
    fn from(x: f64) -> Self {
        JsValue::from_f64(x).unchecked_into()
    }
}

impl From<&str> for UrlArg {
    fn from(url: &str) -> Self {
        JsValue::from_str(url).unchecked_into()
    }
}

impl From<String> for UrlArg {
    fn from(url: String) -> Self {
        JsValue::from(url).unchecked_into()
    }
}
