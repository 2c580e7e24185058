// The storefront page both example builds share (examples/vite and examples/webpack): they differ only in
// how they import the package (see their src/main.js), so each hands this page the package's exports once
// they are ready. The page loads a bundle, takes the catalog's most popular items as the "server's"
// candidates, reranks them before and after a click, and shows that a call with an option `recommend`
// does not take throws a RecofuseError. It reports what it saw in data- attributes of <body> for
// tests/e2e/examples.test.mjs.
export async function show(ready) {
  const status = document.getElementById("status");
  try {
    const { Reranker, RecofuseError } = await ready;
    const bundle = new URLSearchParams(location.search).get("bundle") ?? "/models/movielens.bundle";
    const r = await Reranker.fromUrl(bundle, { namespace: "example", storage: "memory" });
    const candidates = r.recommend(20, { excludeSeen: false }).map((x) => x.item);
    const before = r.rerank(candidates).map((x) => x.item);
    // The shopper clicks the last candidate's nearest neighbour (in the history from now on).
    const clicked = r.similar(candidates[candidates.length - 1], 1)[0].item;
    r.record({ item: clicked, kind: "click" });
    const after = r.rerank(candidates, { explain: true, stock: "demote" });
    let error = "nothing thrown";
    try {
      r.recommend(5, { k: 3 });
    } catch (e) {
      error = [e instanceof RecofuseError, e instanceof Error, e.name, e.code].join(" ");
      status.title = e.message;
    }
    document.getElementById("list").replaceChildren(...after.map((x) => {
      const li = document.createElement("li");
      li.dataset.id = x.item;
      li.textContent = `${x.item}  score ${x.score?.toFixed(3)}`;
      return li;
    }));
    const moved = after.some((x, i) => x.item !== before[i]);
    const [isClass, isError, name, code] = error.split(" ");
    status.textContent = `Reranked ${candidates.length} candidates after a click on ${clicked}: ` +
      `${moved ? "the order changed" : "same order"}. recommend(5, { k: 3 }) threw a ${name} ${code} ` +
      `(instanceof RecofuseError: ${isClass}, instanceof Error: ${isError}).`;
    document.body.dataset.before = before.join(",");
    document.body.dataset.after = after.map((x) => x.item).join(",");
    document.body.dataset.error = error;
    document.body.dataset.done = "1";
  } catch (e) {
    status.textContent = `${e.code ?? ""} ${e.message ?? e}`;
    document.body.dataset.done = "error";
  }
}
