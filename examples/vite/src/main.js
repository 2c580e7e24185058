// The smallest storefront integration: import the npm package, load a bundle, record an event, rerank.
// `recofuse` is the wasm-pack package (--target web), a `file:` dependency; Vite bundles its JavaScript
// and emits recofuse_bg.wasm as an asset (found through `new URL(..., import.meta.url)`).
import init, { Reranker } from "recofuse";

const BUNDLE = new URLSearchParams(location.search).get("bundle") ?? "/models/movielens.bundle";

async function main() {
  await init();
  const r = await Reranker.fromUrl(BUNDLE, { namespace: "vite-example", storage: "memory" });
  // The "server's" candidates: the catalog's most popular items, in that order.
  const candidates = r.recommend(20, { excludeSeen: false }).map((x) => x.item);
  const before = r.rerank(candidates).map((x) => x.item);
  // The shopper clicks the last candidate's nearest neighbour (in the history from now on).
  const clicked = r.similar(candidates[candidates.length - 1], 1)[0].item;
  r.record({ item: clicked, kind: "click" });
  const after = r.rerank(candidates, { explain: true });
  document.getElementById("list").replaceChildren(...after.map((x) => {
    const li = document.createElement("li");
    li.dataset.id = x.item;
    li.textContent = `${x.item}  score ${x.score?.toFixed(3)}`;
    return li;
  }));
  const moved = after.some((x, i) => x.item !== before[i]);
  document.getElementById("status").textContent =
    `Reranked ${candidates.length} candidates after a click on ${clicked}: ${moved ? "the order changed" : "same order"}.`;
  document.body.dataset.before = before.join(",");
  document.body.dataset.after = after.map((x) => x.item).join(",");
  document.body.dataset.done = "1";
}

main().catch((e) => {
  document.getElementById("status").textContent = `${e.code ?? ""} ${e.message ?? e}`;
  document.body.dataset.done = "error";
});
