// Fault tests of the history storage in Debian's Chromium (issue 16): several tabs of one origin record at
// once and nothing is lost. A blank page (tests/e2e/blank/) served by scripts/serve.mjs on 127.0.0.1 (a
// secure context, so the Web Locks API is there) imports /pkg/recofuse.js and loads /models/demo.bundle.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { ROOT, launch, serve, watchErrors } from "./harness.mjs";

for (const f of ["pkg/recofuse.js", "target/demo/demo.bundle"]) {
  if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run build_pkg and scripts/movielens.sh first`);
}

let server;
let chrome;
before(async () => {
  server = await serve({ RECOFUSE_WWW: join("tests", "e2e", "blank") });
  chrome = await launch();
});
after(async () => {
  await chrome?.close();
  server?.close();
});

/** Opens a tab of `context` with a Reranker on `storage` in `window.r`; resolves to the page. */
async function tab(context, storage, capacity) {
  const page = await context.newPage();
  page.errors = watchErrors(page);
  await page.goto(server.url + "/");
  await page.evaluate(async ([storage, capacity]) => {
    const m = await import("/pkg/recofuse.js");
    await m.default();
    const options = { storage, namespace: "tabs" };
    window.r = await m.Reranker.fromUrl("/models/demo.bundle", options);
    window.capacity = window.r.storageInfo().capacity;
    // As a storefront does: another tab's "history changed" re-reads it (flush merges what is stored).
    window.synced = 0;
    window.channel = new BroadcastChannel("recofuse-tabs");
    window.channel.onmessage = async () => { await window.r.flush(); window.synced++; };
  }, [storage, capacity]);
  return page;
}

/** Each tab records `n` events with distinct ids (tab t, event i: `t<t>-<i>`, ts = base + i * tabs + t,
 * so the union has distinct times) as fast as it can, yielding between events; then flushes. */
function burst(page, t, tabs, n) {
  return page.evaluate(async ([t, tabs, n]) => {
    const base = 1.7e12;
    for (let i = 0; i < n; i++) {
      window.r.record({ item: `t${t}-${i}`, kind: "view", ts: base + i * tabs + t });
      if (i % 10 === 0) await new Promise((res) => setTimeout(res, 0));
    }
    await window.r.flush();
  }, [t, tabs, n]);
}

for (const [storage, tabs, n] of [["indexeddb", 4, 100], ["localstorage", 4, 100], ["indexeddb", 2, 500], ["indexeddb", 4, 500],
  ["localstorage", 2, 500], ["localstorage", 4, 500]]) {
  test(`${tabs} tabs on ${storage} record ${n} events each at once; a fresh tab sees the newest capacity of the union`, async () => {
    const context = await chrome.browser.newContext();
    const pages = [];
    for (let t = 0; t < tabs; t++) pages.push(await tab(context, storage));
    await Promise.all(pages.map((p, t) => burst(p, t, tabs, n)));
    const fresh = await tab(context, storage);
    const { events, capacity, backend } = await fresh.evaluate(() => ({
      events: window.r.history(), capacity: window.capacity, backend: window.r.storageInfo().backend,
    }));
    assert.equal(backend, storage);
    // The union, in time order; the newest `capacity` of it must be stored, none lost, none duplicated.
    const union = [];
    for (let i = 0; i < n; i++) for (let t = 0; t < tabs; t++) union.push(`t${t}-${i}`);
    const expected = union.slice(Math.max(0, union.length - capacity));
    const got = events.map((e) => e.item);
    console.log(`# ${storage}: ${tabs} tabs x ${n} events written, capacity ${capacity}, fresh tab found ${got.length}`);
    assert.deepEqual(got, expected);
    // Every tab announces its flush on a BroadcastChannel; each re-reads on the others' messages and then
    // holds the same history.
    await Promise.all(pages.map((p) => p.evaluate(() => window.channel.postMessage("history-changed"))));
    for (const p of pages) {
      await p.waitForFunction((n) => window.synced >= n, tabs - 1);
      const items = await p.evaluate(() => window.r.history().map((e) => e.item));
      assert.deepEqual(items, expected);
    }
    for (const p of [...pages, fresh]) assert.deepEqual(p.errors, []);
    await context.close();
  });
}

test("a history stored by an earlier version (one blob) is kept when new events are appended", async () => {
  const context = await chrome.browser.newContext();
  const first = await tab(context, "indexeddb");
  // The blob the whole-rewrite versions wrote, put in place directly.
  await first.evaluate(async () => {
    window.r.free();
    const old = "recofuse-history 1\n" +
      Array.from({ length: 5 }, (_, i) => JSON.stringify({ i: `old-${i}`, k: "view", t: 1.6e12 + i })).join("\n") + "\n";
    await new Promise((res, rej) => {
      const open = indexedDB.open("recofuse", 1);
      open.onsuccess = () => {
        const tx = open.result.transaction("kv", "readwrite");
        tx.objectStore("kv").put(old, "tabs/history");
        tx.oncomplete = () => { open.result.close(); res(); };
        tx.onabort = () => rej(tx.error);
      };
      open.onerror = () => rej(open.error);
    });
  });
  const page = await tab(context, "indexeddb");
  await burst(page, 0, 1, 3);
  const fresh = await tab(context, "indexeddb");
  const items = await fresh.evaluate(() => window.r.history().map((e) => e.item));
  assert.deepEqual(items, ["old-0", "old-1", "old-2", "old-3", "old-4", "t0-0", "t0-1", "t0-2"]);
  await context.close();
});

test("storage cleared by the browser behind the page's back: nothing throws, the next writes recreate it", async () => {
  const context = await chrome.browser.newContext();
  const page = await tab(context, "indexeddb");
  await burst(page, 0, 1, 5);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Storage.clearDataForOrigin", { origin: server.url, storageTypes: "all" });
  const after = await page.evaluate(async () => {
    for (let i = 0; i < 3; i++) window.r.record({ item: `new-${i}`, kind: "click", ts: 1.8e12 + i });
    let flushError = null;
    try { await window.r.flush(); } catch (e) { flushError = `${e.code}: ${e.message}`; }
    return { flushError, info: window.r.storageInfo(), ranked: window.r.recommend(3).length };
  });
  console.log(`# after clearDataForOrigin: ${JSON.stringify(after)}`);
  assert.equal(after.flushError, null);
  assert.equal(after.ranked, 3);
  const fresh = await tab(context, "indexeddb");
  const items = await fresh.evaluate(() => window.r.history().map((e) => e.item));
  assert.deepEqual(items.filter((x) => x.startsWith("new-")), ["new-0", "new-1", "new-2"]);
  assert.deepEqual(page.errors, []);
  await context.close();
});

for (const how of ["closed", "crashed"]) test(`a tab ${how} in the middle of a burst of writes: every event recorded before the last completed flush is there`, async () => {
  const context = await chrome.browser.newContext();
  const page = await tab(context, "indexeddb");
  // Records without end, 10 events then a flush; window.flushed counts events covered by a completed flush.
  await page.evaluate(() => {
    window.flushed = 0;
    (async () => {
      for (let i = 0; ; i++) {
        window.r.record({ item: `c-${i}`, kind: "view", ts: 1.7e12 + i });
        if (i % 10 === 9) { await window.r.flush(); window.flushed = i + 1; }
        if (i % 3 === 0) await new Promise((res) => setTimeout(res, 0));
      }
    })();
  });
  await page.waitForFunction(() => window.flushed >= 200);
  const flushed = await page.evaluate(() => window.flushed);
  if (how === "closed") await page.close({ runBeforeUnload: false });
  else {
    // The renderer is killed (CDP Page.crash): no unload, no pending task runs.
    // The command itself never answers (its target is gone): wait for the crash event instead.
    const cdp = await context.newCDPSession(page);
    const crashed = new Promise((res) => page.once("crash", res));
    cdp.send("Page.crash").catch(() => {});
    await crashed;
    await page.close();
  }
  const fresh = await tab(context, "indexeddb");
  const { items, info } = await fresh.evaluate(() => ({ items: window.r.history().map((e) => e.item), info: window.r.storageInfo() }));
  console.log(`# tab ${how}: ${flushed} events flushed before the close, ${items.length} found on reopen (capacity ${info.capacity})`);
  // Stored: the newest `capacity` of what reached storage, in order, which includes everything flushed.
  const last = Math.max(...items.map((x) => Number(x.slice(2))));
  assert.ok(last >= flushed - 1, `c-${flushed - 1} was flushed, newest found c-${last}`);
  const lo = Math.max(0, last + 1 - info.capacity);
  assert.deepEqual(items, Array.from({ length: last + 1 - lo }, (_, i) => `c-${lo + i}`));
  assert.equal(info.recovered.dropped, 0);
  assert.equal(info.lastError, undefined);
  await context.close();
});

test("a storage quota of a few KB (CDP Storage.overrideQuotaForOrigin): ranking goes on from memory, storageInfo says why, nothing throws", async () => {
  const context = await chrome.browser.newContext();
  const page = await tab(context, "indexeddb");
  const cdp = await context.newCDPSession(page);
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: server.url, quotaSize: 4096 });
  const out = await page.evaluate(async () => {
    let thrown = null;
    try {
      for (let i = 0; i < 400; i++) window.r.record({ item: `q-${i}-${"x".repeat(100)}`, kind: "view", ts: 1.7e12 + i });
      await window.r.flush();
    } catch (e) { thrown = `${e.code}: ${e.message}`; }
    return { thrown, info: window.r.storageInfo(), ranked: window.r.recommend(5).length, events: window.r.history().length };
  });
  console.log(`# quota 4096 B: ${JSON.stringify({ ...out.info, recovered: undefined })}`);
  assert.equal(out.thrown, null);
  assert.equal(out.info.lastError, "STORAGE_QUOTA");
  assert.equal(out.events, 400, "the in-memory history is kept whole");
  assert.equal(out.ranked, 5);
  assert.deepEqual(page.errors, []);
  // Space returns: the next flush writes the whole history back to IndexedDB.
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: server.url });
  const back = await page.evaluate(async () => {
    for (let i = 400; i < 410; i++) window.r.record({ item: `q-${i}-${"x".repeat(100)}`, kind: "view", ts: 1.7e12 + i });
    await window.r.flush();
    return window.r.storageInfo();
  });
  console.log(`# quota lifted: ${JSON.stringify({ ...back, recovered: undefined })}`);
  assert.equal(back.backend, "indexeddb");
  assert.equal(back.lastError, undefined);
  assert.equal(back.persistedCapacity, back.capacity);
  const fresh = await tab(context, "indexeddb");
  const items = await fresh.evaluate(() => window.r.history().map((e) => e.item.split("-").slice(0, 2).join("-")));
  const cap = back.capacity;
  assert.deepEqual(items, Array.from({ length: Math.min(410, cap) }, (_, i) => `q-${410 - Math.min(410, cap) + i}`),
    "the newest capacity of the 410 events are stored again, once each");
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("a half-written record never breaks loading: the intact records are kept, the broken one dropped and reported", async () => {
  for (const storage of ["indexeddb", "localstorage"]) {
    const context = await chrome.browser.newContext();
    const first = await tab(context, storage);
    // The stored text as a write cut short would leave it: a record cut in the middle, then a torn line.
    await first.evaluate(async (storage) => {
      window.r.free();
      const good = Array.from({ length: 5 }, (_, i) => JSON.stringify({ i: `ok-${i}`, k: "view", t: 1.6e12 + i }));
      const text = "recofuse-history 1\n" + good.join("\n") + '\n{"i":"half","k":"cl';
      if (storage === "localstorage") { localStorage.setItem("recofuse:tabs/history", text); return; }
      await new Promise((res, rej) => {
        const open = indexedDB.open("recofuse", 1);
        open.onsuccess = () => {
          const tx = open.result.transaction("kv", "readwrite");
          tx.objectStore("kv").put(text, "tabs/history");
          tx.oncomplete = () => { open.result.close(); res(); };
          tx.onabort = () => rej(tx.error);
        };
        open.onerror = () => rej(open.error);
      });
    }, storage);
    const page = await tab(context, storage);
    const loaded = await page.evaluate(() => ({ items: window.r.history().map((e) => e.item), info: window.r.storageInfo(),
      ranked: window.r.recommend(3).length }));
    console.log(`# half-written record on ${storage}: ${loaded.items.length} of 5 intact records loaded, dropped ${loaded.info.recovered.dropped}`);
    assert.deepEqual(loaded.items, ["ok-0", "ok-1", "ok-2", "ok-3", "ok-4"]);
    assert.equal(loaded.info.recovered.dropped, 1);
    assert.equal(loaded.ranked, 3);
    // Writing goes on, and the next load is clean.
    await burst(page, 0, 1, 3);
    const fresh = await tab(context, storage);
    const again = await fresh.evaluate(() => ({ items: window.r.history().map((e) => e.item), info: window.r.storageInfo() }));
    assert.deepEqual(again.items, ["ok-0", "ok-1", "ok-2", "ok-3", "ok-4", "t0-0", "t0-1", "t0-2"]);
    assert.equal(again.info.recovered.dropped, 0);
    for (const p of [page, fresh]) assert.deepEqual(p.errors, []);
    await context.close();
  }
});

test("an IndexedDB that refuses writes: ranking goes on from memory, storageInfo says why, nothing reaches the page; writes resume when it accepts them", async () => {
  const context = await chrome.browser.newContext();
  const page = await tab(context, "indexeddb");
  const out = await page.evaluate(async () => {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function () { throw new DOMException("refused by the test", "UnknownError"); };
    for (let i = 0; i < 50; i++) {
      window.r.record({ item: `f-${i}`, kind: "view", ts: 1.7e12 + i });
      if (i % 10 === 0) await new Promise((res) => setTimeout(res, 0));
    }
    await new Promise((res) => setTimeout(res, 100));
    const during = { info: window.r.storageInfo(), events: window.r.history().length, ranked: window.r.recommend(5).length };
    let flushError = null;
    try { await window.r.flush(); } catch (e) { flushError = e.code; }
    IDBObjectStore.prototype.put = put;
    await window.r.flush();
    return { during, flushError, after: window.r.storageInfo() };
  });
  console.log(`# IndexedDB refusing writes: 50 events recorded, in memory ${out.during.events}, lastError ${out.during.info.lastError}, flush rejected with ${out.flushError}`);
  assert.equal(out.during.info.lastError, "STORAGE_FAILED");
  assert.equal(out.during.events, 50);
  assert.equal(out.during.ranked, 5);
  assert.equal(out.flushError, "STORAGE_FAILED", "flush rejects as documented (a RecofuseError, caught)");
  assert.equal(out.after.backend, "indexeddb");
  const fresh = await tab(context, "indexeddb");
  const items = await fresh.evaluate(() => window.r.history().map((e) => e.item));
  assert.deepEqual(items, Array.from({ length: 50 }, (_, i) => `f-${i}`), "all 50 written once the store accepts writes");
  for (const p of [page, fresh]) assert.deepEqual(p.errors, []);
  await context.close();
});
