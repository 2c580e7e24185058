// One dispatcher for the engine, used in the Web Worker (worker.js) and, with `?worker=0`, on the page.
// Calls are queued so that a history reload from another tab never interleaves with a render.
// Another tab's change arrives on a BroadcastChannel (same origin only, never the network): the history
// is then re-read from storage and the page is told to render again.
import { Store } from "./engine.js";

export function makeDispatcher(notify) {
  let store = null;
  let channel = null;
  let queue = Promise.resolve();

  const announce = async () => {
    await store.flush();
    channel?.postMessage({ type: "history-changed" });
  };

  const ops = {
    async open({ bundleUrl, catalogUrl, namespace }) {
      store = await Store.open({ bundleUrl, catalogUrl, namespace });
      if (typeof BroadcastChannel === "function") {
        channel = new BroadcastChannel(`recofuse-demo:${namespace}`);
        channel.onmessage = (e) => {
          if (e.data?.type !== "history-changed") return;
          run(async () => {
            await store.reopen();
            notify({ type: "changed" });
          });
        };
      }
      return { categories: store.allCategories, items: store.items.length, bundle: store.info.items };
    },
    view: (state) => store.view(state),
    async record({ item, kind, state }) {
      const recorded = store.record(item, kind);
      const view = store.view(state);
      if (recorded) announce().catch(() => {});   // storage problems show in storageInfo().lastError
      return { recorded, view };
    },
    async clear({ state }) {
      await store.clear();
      await announce();
      return store.view(state);
    },
    async pause({ on, state }) {
      await store.pause(on);
      channel?.postMessage({ type: "history-changed" });
      return store.view(state);
    },
    exportHistory: () => store.exportHistory(),
    experiment: () => store.experiment(),
  };

  function run(fn) {
    const p = queue.then(fn);
    queue = p.catch(() => {});
    return p;
  }

  return (op, args) => {
    const f = ops[op];
    if (!f) return Promise.reject(new Error(`unknown operation ${op}`));
    if (op !== "open" && !store) return Promise.reject(new Error("the engine is not open yet"));
    return run(() => f(args ?? {}));
  };
}
