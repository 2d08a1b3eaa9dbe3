// The service worker: keeps the site on this device after a first visit, so every page opens offline and
// the worksheet saves offline. The build writes the precache version and the file list (precache.json,
// with each file's SHA-256); a new build changes this file, so returning browsers install the new version.
//
// - Pages are fetched from the network first (a new build shows on the next visit), the cache when offline.
// - The site's other files come from the cache, which each new version refills, fetching only what changed.
// - Python's files (Pyodide's runtime, py_client) are kept only once the worksheet has loaded them. Pyodide's
//   are versioned and immutable: online, the browser's HTTP cache serves them directly (this worker stays
//   out of the way of its streaming compilation); offline, the copy kept here.
// - Only complete, OK responses whose SHA-256 matches the build's record are kept.
const VERSION = "__PRECACHE_VERSION__";
// Where the API lives under the site (sync_server/paths.py), written in by the build.
const API_PATH = "__API_PATH__";
const PREFIX = "trust-safety-site-";
const CACHE = `${PREFIX}${VERSION}`;
const MANIFEST = "precache.json";
const scope = new URL(self.registration.scope);

class IntegrityError extends Error {}

async function sha256(response) {
  const digest = await crypto.subtle.digest("SHA-256", await response.clone().arrayBuffer());
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A checked copy of one file: from an earlier version's cache when unchanged, else fetched. */
async function fetchChecked(path, hash, { onlyIfCached = false } = {}) {
  const url = new URL(path, scope).href;
  for (const name of await caches.keys()) {
    if (!name.startsWith(PREFIX)) continue;
    const kept = await (await caches.open(name)).match(url);
    if (kept && (await sha256(kept)).startsWith(hash)) return kept;
  }
  // A file not in the HTTP cache makes an only-if-cached fetch fail: it is kept later, once a page used it.
  const response = onlyIfCached
    ? await fetch(url, { cache: "only-if-cached", mode: "same-origin" }).catch(() => null)
    : await fetch(url, { cache: "no-cache" });
  if (!response?.ok) {
    if (onlyIfCached) return null;
    throw new Error(`${path}: ${response.status}`);
  }
  if (!(await sha256(response)).startsWith(hash)) {
    // The HTTP cache may still hold an earlier build's copy of a file whose address does not change
    // (py/py_client.zip): not kept now, but once a page has loaded this build's.
    if (onlyIfCached) return null;
    throw new IntegrityError(`${path} does not match the build's record`);
  }
  return response;
}

async function manifest() {
  const response = await fetch(new URL(MANIFEST, scope), { cache: "no-cache" });
  if (!response.ok) throw new Error(`${MANIFEST}: ${response.status}`);
  return { response, files: (await response.clone().json()) };
}

/** Keep every page file, retrying a file that failed its check once (a bad response in transit). */
async function precachePages() {
  const { response, files } = await manifest();
  const cache = await caches.open(CACHE);
  await Promise.all(Object.entries(files.pages).map(async ([path, hash]) => {
    let copy;
    try {
      copy = await fetchChecked(path, hash);
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      copy = await fetchChecked(path, hash);
    }
    await cache.put(new URL(path, scope).href, copy);
  }));
  await cache.put(new URL(MANIFEST, scope).href, response);
  await precacheRuntime(files);
}

/** Keep the runtime files that the browser already holds (after the worksheet has loaded Python): taken
 *  from its HTTP cache, so keeping them costs no download. */
async function precacheRuntime(files) {
  const cache = await caches.open(CACHE);
  await Promise.all(Object.entries(files.runtime).map(async ([path, hash]) => {
    const url = new URL(path, scope).href;
    if (await cache.match(url)) return;
    const copy = await fetchChecked(path, hash, { onlyIfCached: true });
    if (copy) await cache.put(url, copy);
  }));
}

self.addEventListener("install", (event) => {
  event.waitUntil(precachePages().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// The worksheet says when Python is ready: the runtime is then in the HTTP cache, ready to be kept.
self.addEventListener("message", (event) => {
  if (event.data === "keep-runtime") event.waitUntil(manifest().then(({ files }) => precacheRuntime(files)));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  // Only this site's files; the API (and anything else) always goes to the network.
  if (event.request.method !== "GET" || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname) ||
      url.pathname.startsWith(`${scope.pathname}${API_PATH}`)) {
    return;
  }
  const key = new URL(url.pathname, url.origin).href;
  if (event.request.mode === "navigate") {
    event.respondWith(fetch(event.request).catch(async (error) => {
      const cache = await caches.open(CACHE);
      return (await cache.match(key)) || (await cache.match(new URL("404.html", scope).href)) || Promise.reject(error);
    }));
    return;
  }
  if (url.pathname.startsWith(`${scope.pathname}pyodide/`) && navigator.onLine) return;
  event.respondWith((async () => {
    const cached = await (await caches.open(CACHE)).match(key);
    return cached || fetch(event.request);
  })());
});
