// Python's kept memory (core/python-memory.mjs) without a browser: what it keeps, where storage is short,
// and what it does with a damaged copy or another runtime's. Node's streams and Response are the browser's;
// Cache Storage and the storage estimate are played by small stand-ins.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { siteModule } from "../support/site.mjs";

const { PythonMemory } = await import(siteModule("core/python-memory.mjs"));
const siteRoot = new URL("https://site.example/");

/** Cache Storage over Maps: enough of it for one module (open, keys, delete; match and put by URL). */
class MemoryCaches {
  constructor() {
    this.named = new Map();
  }
  async open(name) {
    if (!this.named.has(name)) this.named.set(name, new Map());
    const entries = this.named.get(name);
    return {
      match: async (url) => (entries.has(url) ? new Response(entries.get(url)) : undefined),
      put: async (url, response) => void entries.set(url, new Uint8Array(await response.arrayBuffer())),
      keys: async () => [...entries.keys()],
    };
  }
  async keys() {
    return [...this.named.keys()];
  }
  async delete(name) {
    return this.named.delete(name);
  }
}

let room;
beforeEach(() => {
  globalThis.caches = new MemoryCaches();
  room = 1 << 30;
  Object.defineProperty(globalThis, "navigator", { configurable: true, value: { storage: { estimate: async () => ({ quota: room + 1000, usage: 1000 }) } } });
});

const memoryOf = (size) => Uint8Array.from({ length: size }, (_, index) => (index * 7) % 251);

test("memory is kept compressed under its runtime's name and read back whole", async () => {
  const memory = new PythonMemory("aaaa", siteRoot);
  const made = memoryOf(1 << 20);
  assert.equal(await memory.write(made), "kept");
  assert.deepEqual(await caches.keys(), ["trust-safety-python-aaaa"]);
  const [url] = await (await caches.open("trust-safety-python-aaaa")).keys();
  assert.equal(url, "https://site.example/py/python-memory-aaaa.gz");
  const stored = await (await (await caches.open("trust-safety-python-aaaa")).match(url)).arrayBuffer();
  assert.ok(stored.byteLength < made.length / 4, `kept ${stored.byteLength} bytes`);
  assert.deepEqual(await memory.read(), made);
});

test("where storage is short nothing is kept", async () => {
  room = 3 << 20;  // less than four times the memory's size
  assert.equal(await new PythonMemory("aaaa", siteRoot).write(memoryOf(1 << 20)), "no room");
  assert.deepEqual(await caches.keys(), []);
});

test("keeping one runtime's memory deletes every other runtime's, and leaves other caches alone", async () => {
  await new PythonMemory("old1", siteRoot).write(memoryOf(1000));
  await caches.open("trust-safety-site-v1");
  assert.equal(await new PythonMemory("new2", siteRoot).write(memoryOf(1000)), "kept");
  assert.deepEqual(await caches.keys(), ["trust-safety-site-v1", "trust-safety-python-new2"]);
});

test("a damaged copy reads as none, and is deleted", async () => {
  const memory = new PythonMemory("aaaa", siteRoot);
  await memory.write(memoryOf(1 << 16));
  const cache = await caches.open("trust-safety-python-aaaa");
  const [url] = await cache.keys();
  const packed = new Uint8Array(await (await cache.match(url)).arrayBuffer());
  packed[packed.length >> 1] ^= 1;  // in the compressed data: the inflate or the gzip checksum refuses it
  await cache.put(url, new Response(packed));
  const warned = [];
  const { warn } = console;
  console.warn = (...parts) => warned.push(parts.join(" "));
  try {
    assert.equal(await memory.read(), null);
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(await caches.keys(), []);
  assert.match(warned[0], /could not be read/);
});

test("nothing kept reads as none; without Cache Storage nothing is kept or read", async () => {
  const memory = new PythonMemory("aaaa", siteRoot);
  assert.equal(await memory.read(), null);
  delete globalThis.caches;
  assert.equal(await memory.write(memoryOf(10)), "unavailable");
  assert.equal(await memory.read(), null);
});
