// Service worker of the storefront: after one visit the page, its scripts, the wasm package, the bundle
// and the catalog come from the Cache API when the network is unavailable. Network first (a rebuilt
// package or bundle is picked up when online), cache as the fallback; only same-origin GET requests.
//
// Each byte once: the worker is registered after the page has loaded (www/app.js), so everything it
// caches was just fetched by the page and sits in the browser's HTTP cache. Install and the page's
// "cache" message read it from there (`cache: "force-cache"`: an HTTP-cache entry is used without
// revalidation, the network is asked only for a file the page did not load, such as worker.js under
// `?worker=0`), instead of downloading the page, the package, the bundle and the catalog a second time.
// The copy is the one the page runs on, so the offline copy matches what was online.
const CACHE = "recofuse-demo-v2";
const SHELL = [
  "/", "/style.css", "/app.js", "/client.js", "/dispatch.js", "/engine.js", "/worker.js",
  "/pkg/recofuse.js", "/pkg/recofuse_bg.wasm",
];

// The package's glue imports its JS snippets (src/glue.js) from paths with a build hash
// (`./snippets/recofuse-<hash>/src/glue.js`): read them from the glue itself, as just cached.
/** A request for `url` answered from the HTTP cache when it holds the URL (see the top of this file). */
const fromHttpCache = (url) => new Request(url, { cache: "force-cache" });

async function packageSnippets(cache) {
  const glue = await (await cache.match("/pkg/recofuse.js")).text();
  return [...new Set([...glue.matchAll(/["']\.\/(snippets\/[^"']+\.js)["']/g)].map((m) => `/pkg/${m[1]}`))];
}

self.addEventListener("install", (e) => {
  e.waitUntil((async () => {
    const c = await caches.open(CACHE);
    await c.addAll(SHELL.map(fromHttpCache));
    await c.addAll((await packageSnippets(c)).map(fromHttpCache));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (e) => {
  e.waitUntil((async () => {
    for (const k of await caches.keys()) if (k !== CACHE) await caches.delete(k);
    await self.clients.claim();
  })());
});

// The page asks for its bundle and catalog (their URLs come from its query string) to be cached too.
self.addEventListener("message", (e) => {
  if (e.data?.type !== "cache") return;
  const port = e.ports[0];
  const urls = (e.data.urls ?? []).filter((u) => new URL(u).origin === self.location.origin);
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(urls.map(fromHttpCache)))
    .then(() => port?.postMessage({ ok: true }), (err) => port?.postMessage({ ok: false, error: String(err) })));
});

self.addEventListener("fetch", (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  e.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // Navigations are cached by path only: the query string selects a bundle, not a different page.
    const key = req.mode === "navigate" ? new Request(url.origin + url.pathname) : req;
    try {
      const res = await fetch(req);
      if (res.ok) cache.put(key, res.clone()).catch(() => {});
      return res;
    } catch (err) {
      const hit = await cache.match(key, { ignoreVary: true });
      if (hit) return hit;
      throw err;
    }
  })());
});
