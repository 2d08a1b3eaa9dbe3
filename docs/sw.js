// The service worker: keeps the whole site, Pyodide included, on this device once the worksheet has been
// visited, so the worksheet opens and saves offline. The build writes the precache version below; a new
// version fetches only the files whose content changed.
const VERSION = "__PRECACHE_VERSION__";
const PREFIX = "trust-safety-site-";
const CACHE = `${PREFIX}${VERSION}`;
const MANIFEST = "precache.json";
const scope = new URL(self.registration.scope);

async function previousCopies() {
  const names = (await caches.keys()).filter((name) => name.startsWith(PREFIX) && name !== CACHE);
  const copies = [];
  for (const name of names) {
    const cache = await caches.open(name);
    const manifest = await cache.match(new URL(MANIFEST, scope).href);
    if (manifest) copies.push({ cache, files: (await manifest.json()).files });
  }
  return copies;
}

async function precache() {
  const response = await fetch(new URL(MANIFEST, scope), { cache: "no-cache" });
  const manifest = await response.clone().json();
  const cache = await caches.open(CACHE);
  const copies = await previousCopies();
  await Promise.all(Object.entries(manifest.files).map(async ([path, hash]) => {
    const url = new URL(path, scope).href;
    const reusable = copies.find((copy) => copy.files[path] === hash);
    const kept = reusable && (await reusable.cache.match(url));
    await cache.put(url, kept || (await fetch(url, { cache: "no-cache" })));
  }));
  await cache.put(new URL(MANIFEST, scope).href, response);
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  // Only this site's files; the API (and anything else) always goes to the network.
  if (event.request.method !== "GET" || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname) ||
      url.pathname.startsWith(`${scope.pathname}api/`)) {
    return;
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const key = new URL(url.pathname.endsWith("/") ? `${url.pathname}index.html` : url.pathname, url.origin).href;
    const cached = await cache.match(key);
    if (cached) return cached;
    try {
      return await fetch(event.request);
    } catch (error) {
      if (event.request.mode === "navigate") {
        const fallback = await cache.match(new URL("404.html", scope).href);
        if (fallback) return fallback;
      }
      throw error;
    }
  })());
});
