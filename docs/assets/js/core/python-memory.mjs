// @ts-check
// Python's memory after start-up, kept in this browser so that later visits restore it instead of starting
// Python again (Pyodide's memory snapshot): the interpreter initialised, the standard library and py_client
// imported. It is taken before the page has handed Python anything of the person's (py-worker.mjs), so it
// holds no answer, passcode or key, and it is kept gzip-compressed: the compression's checksum turns a
// damaged copy into a refusal instead of a broken Python.
//
// One copy at most, in a Cache Storage cache of its own, named after the runtime it was made with (the
// Pyodide version and the hashes of its standard library and of py_client, `py/runtime.json`): any change
// to them makes a new name, and the old copy is deleted. The service worker's caches have another prefix.

const PREFIX = "trust-safety-python-";
// Kept only when the browser's storage has this many times its size to spare: Python's memory must never
// crowd out the answers or the site's offline copy.
const HEADROOM = 4;

export class PythonMemory {
  /** @param {string} runtimeId @param {URL} siteRoot */
  constructor(runtimeId, siteRoot) {
    this.cacheName = `${PREFIX}${runtimeId}`;
    this.url = new URL(`py/python-memory-${runtimeId}.gz`, siteRoot).href;
  }

  /** The kept copy, or null when there is none or it cannot be read (then it is deleted). */
  async read() {
    if (!globalThis.caches) return null;
    try {
      const kept = await (await caches.open(this.cacheName)).match(this.url);
      if (!kept?.body) return null;
      const plain = kept.body.pipeThrough(new DecompressionStream("gzip"));
      return new Uint8Array(await new Response(plain).arrayBuffer());
    } catch (error) {
      console.warn("Python's kept memory could not be read; starting afresh:", String(error));
      await this.remove();
      return null;
    }
  }

  /** Keep `memory` (a snapshot), and delete copies made with other runtimes. Resolves to what happened:
   *  "kept", "no room" (storage is short), or "unavailable" (no Cache Storage, or it refused). */
  async write(memory) {
    if (!globalThis.caches || !globalThis.CompressionStream) return "unavailable";
    try {
      const { quota = 0, usage = 0 } = (await navigator.storage?.estimate?.()) ?? {};
      if (quota - usage < HEADROOM * memory.byteLength) return "no room";
      const packed = new Blob([memory]).stream().pipeThrough(new CompressionStream("gzip"));
      const response = new Response(packed, { headers: { "Content-Type": "application/gzip" } });
      await (await caches.open(this.cacheName)).put(this.url, response);
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== this.cacheName) await caches.delete(name);
      }
      return "kept";
    } catch (error) {
      console.warn("Python's memory could not be kept:", String(error));
      await this.remove();
      return "unavailable";
    }
  }

  async remove() {
    await globalThis.caches?.delete(this.cacheName).catch(() => {});
  }
}
