// Module Web Worker hosting the engine (see engine.js): requests { id, op, args } in, { id, ok, value }
// or { id, ok: false, error } out, and unsolicited { type: "changed" } when another tab changed history.
import { makeDispatcher } from "./dispatch.js";

const dispatch = makeDispatcher((msg) => self.postMessage(msg));

self.onmessage = async (e) => {
  const { id, op, args } = e.data;
  try {
    self.postMessage({ id, ok: true, value: await dispatch(op, args) });
  } catch (err) {
    self.postMessage({ id, ok: false, error: { message: String(err?.message ?? err), code: err?.code ?? null } });
  }
};
