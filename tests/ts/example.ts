// A storefront's use of the recofuse package, type-checked against the generated pkg/recofuse.d.ts by
// scripts/test.sh (`tsc -p tests/ts`). Every API is exercised; the `@ts-expect-error` lines prove that the
// declarations are precise (they fail the check if the mistake they show were accepted, e.g. by `any`).
import init, {
  CandidateSet,
  RecofuseError,
  Reranker,
  type BundleInfo,
  type Contributions,
  type HistoryEvent,
  type HistoryExport,
  type ErrorCode,
  type ExperimentAssignment,
  type ExperimentCounters,
  type ExperimentReport,
  type RankedItem,
  type RecommendOptions,
  type RerankOptions,
  type RerankResult,
  type ScoredItem,
  type StockRule,
  type StorageInfo,
  type TypedRanking,
} from "recofuse";

export async function storefront(candidates: string[], serverScores: Float32Array): Promise<string[]> {
  await init();
  const r: Reranker = await Reranker.fromUrl("/models/store.bundle", {
    integrity: "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    namespace: "shop",
  });
  const bytes = new Uint8Array(await (await fetch("/models/store.bundle")).arrayBuffer());
  const r2 = await Reranker.fromBytes(bytes, { namespace: "shop", storage: "memory" });
  await Reranker.fromBytes(bytes.buffer as ArrayBuffer);
  // @ts-expect-error: not a storage backend
  await Reranker.fromBytes(bytes, { storage: "cookies" });

  const recorded: boolean = r.record({ item: "sku-42", kind: "click" });
  r.record({ item: 42, kind: "purchase", ts: Date.now() });
  // @ts-expect-error: not an event kind
  r.record({ item: "sku-42", kind: "like" });

  const options: RerankOptions = {
    serverScores,
    k: 24,
    method: "weighted",
    normalization: "min-max",
    weights: { itemcf: 1, server: 2, popularity: 0 },
    explain: true,
    excludeSeen: false,
    stock: "filter",
    pins: [{ item: "sku-1", position: 0 }],
    diversity: 0.7,
  };
  // @ts-expect-error: misspelt option
  const typo: RerankOptions = { exludeSeen: true };
  void typo;
  // @ts-expect-error: not a fusion method
  r.rerank(candidates, { method: "magic" });
  const rule: StockRule = "demote";
  r.rerank(candidates, { stock: rule });
  // @ts-expect-error: not a stock rule
  r.rerank(candidates, { stock: "hide" });
  // The deprecated booleans still type-check (editors strike them through: @deprecated).
  r.rerank(candidates, { inStockOnly: true, demoteOutOfStock: false });

  const ranked: RankedItem[] = r.rerank(candidates, options);
  const first: RankedItem | undefined = ranked[0];
  const score: number | null = first ? first.score : null;
  const pinned: boolean = first?.pinned ?? false;
  const contributions: Contributions | undefined = first?.contributions;
  const fromItemCf: number | null | undefined = contributions?.itemcf;
  const fromServer: number | null | undefined = contributions?.server;
  // @ts-expect-error: the score may be null
  const notNull: number = first!.score;
  void notNull;

  // A shelf resolved once, reranked after every click; typed results for reordering DOM nodes.
  const shelf: CandidateSet = r.candidates(candidates);
  const shelfCount: number = shelf.length;
  const fromSet: RankedItem[] = r.rerank(shelf, options);
  const typed: TypedRanking = r.rerankTyped(shelf, { serverScores, k: 24 });
  const firstPosition: number | undefined = typed.order[0];
  const order: Uint32Array = r.rerankTyped(candidates).order;
  const typedScores: Float32Array = typed.scores;
  r.rerankDetailed(shelf);
  // @ts-expect-error: a set is not an array of ids
  shelf.map((x: string) => x);
  shelf.free();
  void [shelfCount, fromSet, firstPosition, order, typedScores];

  const detailed: RerankResult = r2.rerankDetailed([1, 2, "sku-3"], { k: 2 });
  const unknown: string[] = detailed.unknown.concat(detailed.filtered, detailed.excludedSeen);

  const recs: RankedItem[] = r.recommend(10);
  r.recommend(5, { excludeSeen: true, explain: true });
  // @ts-expect-error: recommend ranks the whole catalog and takes no server scores
  r.recommend(5, { serverScores });
  // @ts-expect-error: recommend's count is its argument, not k
  r.recommend(5, { k: 3 });
  const recOptions: RecommendOptions = { stock: "filter", diversity: 0.5 };
  r.recommend(5, recOptions);
  const similar: ScoredItem[] = r.similar("sku-42", 8);
  const similarScore: number = similar.length > 0 ? similar[0].score : 0;

  const events: HistoryEvent[] = r.history();
  const exported: HistoryExport = JSON.parse(r.exportHistory()) as HistoryExport;
  const lastKind: "view" | "click" | "cart" | "purchase" | undefined = events.at(-1)?.kind;
  await r.clearHistory();
  r.pause();
  const paused: boolean = r.isPaused();
  r.resume();
  const bucket: number = r.abBucket();
  const bucket4: number = r.abBucket(4);
  const info: StorageInfo = r.storageInfo();
  const backend: "indexeddb" | "localstorage" | "memory" = info.backend;
  const dropped: number = info.recovered.dropped;
  const movedAside: string | null = info.recovered.movedAside;
  await r.flush();
  const bundle: BundleInfo = r.bundleInfo();
  const integrity: string = bundle.integrity;
  const version: number = bundle.formatVersion;

  try {
    await Reranker.fromBytes(new Uint8Array([1, 2, 3]));
  } catch (e) {
    if (e instanceof RecofuseError) {
      const code: ErrorCode = e.code;
      const name: "RecofuseError" = e.name;
      const status: number | undefined = e.status;
      const asError: Error = e;
      if (code === "BUNDLE_TRUNCATED" || code === "FETCH_FAILED") console.warn(e.message, status, name, asError.stack);
      // @ts-expect-error: not one of the documented codes
      if (e.code === "OOPS") console.warn("unreachable");
    } else {
      throw e;
    }
  }
  // @ts-expect-error: errors are made by recofuse only
  new RecofuseError();
  const fromUrl: Promise<Reranker> = Reranker.fromUrl(new URL("/models/store.bundle", "https://shop.example"));
  void fromUrl;

  // A/B experiments (issue 18).
  const assigned: ExperimentAssignment = r.experiment({ name: "fusion-vs-store", arms: [
    { name: "store", weight: 1, options: { weights: { server: 1, itemcf: 0 } } }, { name: "fused" }] });
  const shownCounted: boolean = r.impression(["sku-1", "sku-2"]);
  const counters: ExperimentCounters[] = r.experiments();
  const listed: ExperimentCounters[] = r.history().experiments;
  const report: ExperimentReport = r.experimentReport("fusion-vs-store", { epsilon: 1 });
  const bits: boolean[] = [report.clicked, report.carted, report.purchased];
  const since: number | null = counters[0]?.since ?? null;
  // @ts-expect-error: arms' options take no k (the call's)
  r.experiment({ name: "x", arms: [{ name: "A", options: { k: 3 } }] });
  console.log(assigned.arm, shownCounted, listed.length, bits, since, report.period.from);

  r2.free();
  r.free();
  console.log(recorded, score, pinned, fromItemCf, fromServer, unknown, recs, similarScore, exported.version,
    lastKind, paused, bucket, bucket4, backend, dropped, movedAside, integrity, version);
  return ranked.map((x) => x.item);
}
