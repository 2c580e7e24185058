/** Kind of interaction, in increasing order of intent. */
export type EventKind = "view" | "click" | "cart" | "purchase";
/** Where the history is kept: `auto` tries IndexedDB, then localStorage, then memory. */
export type StorageBackend = "auto" | "indexeddb" | "localstorage" | "memory";
/** A score column of the engine. */
export type SignalName = "itemcf" | "seq" | "usercf" | "embedding" | "content" | "popularity" | "server" | "neural";
/** Fusion method (default: the bundle's). */
export type FusionMethod = "simple" | "weighted" | "comb-sum" | "comb-mnz" | "comb-max" | "rrf" | "borda" | "stacking";
/** Per-column normalisation (default: the bundle's). */
export type Normalization = "none" | "min-max" | "max" | "sum" | "z-score" | "rank" | "borda";
/** What to do with out-of-stock items: rank them like the others, rank them after every in-stock one, or drop them. */
export type StockRule = "keep" | "demote" | "filter";
/** Stable error codes found in `error.code` (the README's table says which calls throw each). */
export type ErrorCode =
  | "BUNDLE_TRUNCATED" | "BUNDLE_BAD_HEADER" | "BUNDLE_UNSUPPORTED_VERSION" | "BUNDLE_MISSING_SECTION"
  | "BUNDLE_SHAPE" | "BUNDLE_INDEX_OUT_OF_RANGE" | "BUNDLE_NON_FINITE" | "BUNDLE_CHECKSUM" | "BUNDLE_INVALID"
  | "INTEGRITY_MISMATCH" | "FETCH_FAILED" | "STORAGE_UNAVAILABLE" | "BAD_ARGUMENT" | "INVALID_INPUT"
  | "UNKNOWN_ITEM" | "RANDOM_UNAVAILABLE" | "STORAGE_FAILED" | "BUSY" | "FREED"
  | "STORAGE_QUOTA" | "HISTORY_UNREADABLE";

/**
 * The class of everything recofuse throws and of every rejection of its promises: an `Error` (with its
 * `message` and `stack`) whose `name` is "RecofuseError" and whose `code` is stable.
 *
 * ```js
 * try { r.rerank(ids, options); } catch (e) { if (e instanceof RecofuseError && e.code === "BAD_ARGUMENT") … }
 * ```
 */
export class RecofuseError extends Error {
  private constructor();
  readonly name: "RecofuseError";
  /** Stable, machine-readable code. */
  readonly code: ErrorCode;
  /** The HTTP status of a failed download (`FETCH_FAILED` after a response only). */
  readonly status?: number;
}

/** Options of `Reranker.fromUrl` and `Reranker.fromBytes`. */
export interface LoadOptions {
  /** History namespace (default "default"); history is kept per namespace, across bundle versions. */
  namespace?: string;
  /** Storage backend (default "auto"). An explicit backend that is unavailable throws STORAGE_UNAVAILABLE. */
  storage?: StorageBackend;
  /** Subresource-Integrity hash of the bundle file, "sha256-<base64>"; a mismatch throws INTEGRITY_MISMATCH. */
  integrity?: string;
  /**
   * `fromUrl` of a bundle in pieces (format 2): fetch only its head; item rows come with `prepare(ids)` and, in
   * the background, after `record` (default false: the whole file). With `integrity`, the hash of the head.
   */
  lazy?: boolean;
}
/** An interaction to record. */
export interface RecordEvent {
  item: string | number;
  kind: EventKind | "add-to-cart";
  /** Milliseconds since the Unix epoch (default `Date.now()`). */
  ts?: number;
}
/** A pinned item: placed at `position` (0-based) if it is among the candidates. */
export interface Pin { item: string | number; position: number; }
/**
 * Options of `recommend` (all optional; defaults come from the bundle). `recommend` ranks the whole catalog:
 * it takes no `serverScores`, and its count is its first argument, not `k` (both throw BAD_ARGUMENT).
 */
export interface RecommendOptions {
  method?: FusionMethod;
  normalization?: Normalization;
  /** Override some of the bundle's weights (>= 0; 0 switches a signal off). */
  weights?: Partial<Record<SignalName, number>>;
  /** Add per-signal `contributions` to each result. */
  explain?: boolean;
  /** Drop items already in the history (default: false for rerank, true for recommend). */
  excludeSeen?: boolean;
  /** Out-of-stock items (default "keep"); "filter" reports them in `filtered`. */
  stock?: StockRule;
  pins?: Pin[];
  /** MMR diversity lambda in [0, 1] (1 = relevance only). */
  diversity?: number;
  /** @deprecated Use `stock: "filter"` (kept for one release; BAD_ARGUMENT together with `stock`). */
  inStockOnly?: boolean;
  /** @deprecated Use `stock: "demote"` (kept for one release; BAD_ARGUMENT together with `stock`). */
  demoteOutOfStock?: boolean;
}
/** Options of `rerank` and `rerankDetailed`. */
export interface RerankOptions extends RecommendOptions {
  /** The server's scores, one per candidate (length must match; NaN/null = no score). */
  serverScores?: Float32Array | ArrayLike<number | null>;
  /** Return only the first k. */
  k?: number;
}
/** Per-signal contributions to a fused score (`null`: the signal had nothing to say). */
export type Contributions = Record<SignalName, number | null>;
/** One ranked candidate. */
export interface RankedItem {
  item: string;
  /** Fused score; null when no signal scored the item (e.g. unknown ids). */
  score: number | null;
  /** Whether a pin placed the item. */
  pinned: boolean;
  /** Only with `explain: true`. */
  contributions?: Contributions;
}
/**
 * The result of `rerankTyped`: `order[j]` is the position in the input (array or `CandidateSet`) of the
 * j-th ranked candidate, `scores[j]` its fused score (NaN when no signal scored it).
 */
export interface TypedRanking { order: Uint32Array; scores: Float32Array; }
/** The full result of a rerank: nothing is dropped without being reported. */
export interface RerankResult {
  ranked: RankedItem[];
  /** Removed by `stock: "filter"`. */
  filtered: string[];
  /** Removed by `excludeSeen`. */
  excludedSeen: string[];
  /** Ids the bundle does not know (still ranked, after the known ones). */
  unknown: string[];
  /** Of `unknown`, the ids whose rows are not loaded yet (a bundle in pieces: call `prepare`); else empty. */
  pending: string[];
}
/** An item with a score. */
export interface ScoredItem { item: string; score: number; }
/** One recorded interaction. */
export interface HistoryEvent { item: string; kind: EventKind; ts: number; }
/** The result of `history()`: the events, oldest first, with the A/B outcome counters on this device. */
export type HistoryList = HistoryEvent[] & { experiments: ExperimentCounters[] };
/** The JSON document returned by `exportHistory()`. */
export interface HistoryExport { format: "recofuse-history-export"; version: 1; namespace: string; exportedAt: number; events: HistoryEvent[]; experiments: ExperimentCounters[]; }
/** One arm of an A/B experiment. */
export interface ExperimentArm {
  name: string;
  /** Share of devices (>= 0, default 1; relative to the other arms' weights). */
  weight?: number;
  /** Options applied over those of `rerank`/`recommend` on devices in this arm (no `k`, `serverScores` or `pins`). */
  options?: RecommendOptions;
}
/** An A/B experiment: `{ name }` alone names one of the bundle's `fusion.experiments`. */
export interface ExperimentSpec { name: string; arms?: ExperimentArm[]; }
/** The arm this device is in. */
export interface ExperimentAssignment { experiment: string; arm: string; options: RecommendOptions; }
/** Outcomes counted on this device for one experiment and arm. */
export interface ExperimentCounters {
  experiment: string;
  arm: string;
  /** Whether this is the device's arm on this page now. */
  current: boolean;
  /** Time of the first counted outcome (ms since the epoch), null before any. */
  since: number | null;
  impressions: number;
  clicks: number;
  carts: number;
  purchases: number;
  /** Clicks by 1-based position of the clicked item in the last impression. */
  clickPositions: Record<string, number>;
}
/** Options of `experimentReport`. */
export interface ReportOptions {
  /** Privacy parameter of the randomised response of each bit, in (0, 20] (default 1.0). */
  epsilon?: number;
}
/**
 * What `experimentReport` returns for the page to send, if it chooses to: each bit is the truth with
 * probability e^ε / (1 + e^ε) and its negation otherwise.
 */
export interface ExperimentReport {
  format: "recofuse-ab-report";
  version: 1;
  experiment: string;
  arm: string;
  epsilon: number;
  /** UTC days (YYYY-MM-DD) from the first counted outcome (or today) to today. */
  period: { from: string; to: string };
  clicked: boolean;
  carted: boolean;
  purchased: boolean;
}
/** What loading the history had to repair. */
export interface StorageRecovery {
  /** Corrupt records dropped (the rest was kept and rewritten cleaned). */
  dropped: number;
  /** Why, for the first few. */
  reasons: string[];
  /** Key the unreadable history blob was moved to, if it was. */
  movedAside: string | null;
}
/** State of the history storage. */
export interface StorageInfo {
  backend: "indexeddb" | "localstorage" | "memory";
  /** Code of the last storage problem (e.g. "STORAGE_QUOTA"), or null. */
  lastError: ErrorCode | null;
  /** Its message, or null. */
  lastErrorMessage: string | null;
  recovered: StorageRecovery;
  /** Events in memory. */
  events: number;
  /** Most events kept. */
  capacity: number;
  /** Most events written to storage (halved after a quota error). */
  persistedCapacity: number;
  paused: boolean;
  /** A bundle in pieces (`lazy: true`): its shards; null otherwise. */
  shards: ShardsInfo | null;
}
/** The shards of a bundle in pieces. */
export interface ShardsInfo {
  /** Shards verified and in use. */
  present: number;
  /** Shards in the bundle. */
  total: number;
  /** Bytes received: the head and every shard (from the network or Cache Storage). */
  bytes: number;
  /** Code of the last shard failure ("FETCH_FAILED", "BUNDLE_CHECKSUM", "BUNDLE_TRUNCATED"), or null. */
  lastError: ErrorCode | null;
  /** Its message, or null. */
  lastErrorMessage: string | null;
}
/** Description of the loaded bundle. */
export interface BundleInfo {
  formatVersion: number;
  items: number;
  /** Signals the bundle can feed. */
  scorers: SignalName[];
  /** The bundle's checksum from its header, verified: hex SHA-256 of the whole file with these 64 digits read as "0"s. */
  sha256: string;
  /** Subresource-Integrity hash of the whole file, usable as the `integrity` option. */
  integrity: string;
  /** Size of the bundle in bytes. */
  bytes: number;
  /** The bundle's default fusion. */
  fusion: { method: FusionMethod; normalization: Normalization; weights: Record<SignalName, number> };
  /** Provenance written by the trainer. */
  info: Record<string, string>;
}
