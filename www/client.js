// The page's handle on the engine: in a module Web Worker by default, on the page with `?worker=0`.
// Both expose `call(op, args) -> Promise` and report another tab's history change through `onChange`.
export async function connect({ worker, onChange }) {
  if (worker && typeof Worker === "function") {
    const w = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    const pending = new Map();
    let next = 1;
    w.onmessage = (e) => {
      const m = e.data;
      if (m.type === "changed") return onChange();
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
    };
    w.onerror = (e) => {
      e.preventDefault();
      for (const p of pending.values()) p.reject(new Error(`engine worker failed: ${e.message ?? "unknown error"}`));
      pending.clear();
    };
    return {
      mode: "worker",
      call(op, args) {
        const id = next++;
        return new Promise((resolve, reject) => {
          pending.set(id, { resolve, reject });
          w.postMessage({ id, op, args });
        });
      },
    };
  }
  const { makeDispatcher } = await import("./dispatch.js");
  const dispatch = makeDispatcher((m) => { if (m.type === "changed") onChange(); });
  return { mode: "page", call: dispatch };
}
