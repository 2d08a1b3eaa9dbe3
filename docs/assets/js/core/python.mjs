// @ts-check
// A promise-based client for the Python worker (py-worker.mjs).
export class PythonWorker {
  constructor() {
    this.pending = new Map();
    this.nextId = 1;
    this.worker = new Worker(new URL("./py-worker.mjs", import.meta.url), { type: "module" });
    /** What became of Python's memory after start-up (python-memory.mjs): "restored" from an earlier visit,
     *  or "kept", "no room" or "unavailable" after a first start. */
    this.memory = new Promise((resolve) => {
      this.worker.addEventListener("message", ({ data }) => data.type === "memory" && resolve(data.kept));
    });
    this.ready = new Promise((resolve, reject) => {
      this.worker.addEventListener("message", ({ data }) => {
        // Stamped here, as the bench's bare page stamps its own (bench/pages.py): the moment the page hears.
        if (data.type === "ready") {
          performance.mark("python-ready");
          resolve(data);
        }
        else if (data.type === "failed") reject(new Error(data.message));
        else if (data.type === "result") {
          if (!performance.getEntriesByName("python-first-call").length) performance.mark("python-first-call");
          this.pending.get(data.id)?.(data.result);
          this.pending.delete(data.id);
        }
      });
      this.worker.addEventListener("error", (event) => reject(new Error(event.message || "the worker failed to start")));
    });
  }

  /** Run a py_client.bridge operation; resolves to {ok: …} or {error: [problems]}. */
  async call(operation, payload) {
    await this.ready;
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ id, operation, payload });
    });
  }
}

let shared = null;

/** The one Python worker of this page, shared by its modules. */
export function python() {
  shared ||= new PythonWorker();
  return shared;
}
