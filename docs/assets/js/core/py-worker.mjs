// @ts-check
// The worksheet's Python, off the main thread: boots the site's own copy of Pyodide, with py_client, and
// answers {id, operation, payload} messages with py_client.bridge.call's JSON.
//
// A first start keeps Python's memory once py_client is imported and before any message is answered, so
// before anything of the person's has reached Python; later starts restore it (python-memory.mjs). That
// uses Pyodide's private snapshot options (`_makeSnapshot`, `_loadSnapshot`), reviewed for the pinned
// version only: any other version starts afresh, and tests/core/test_python_memory.py fails on an upgrade.
import { PYODIDE_VERSION } from "./facts.mjs";
import { PythonMemory } from "./python-memory.mjs";

// The runtime's folder is named after its version, which the build declares once (site_tools/pyodide_pin.py).
const siteRoot = new URL("../../../", import.meta.url);
const pyodideURL = new URL(`pyodide/${PYODIDE_VERSION}/`, siteRoot).href;
const clientURL = new URL("py/py_client.zip", siteRoot).href;
const runtimeURL = new URL("py/runtime.json", siteRoot).href;
const CLIENT_PATH = "/lib/py_client.zip";
const quiet = { stdout: () => {}, stderr: () => {} };

async function fetched(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url.split("/").pop()} could not be loaded (${response.status})`);
  return response;
}

/** Python restored from its kept memory, or null (nothing kept, or the restore failed: the copy is deleted). */
async function restore(loadPyodide, memory) {
  const kept = await memory.read();
  if (!kept) return null;
  try {
    return await loadPyodide({ indexURL: pyodideURL, packages: [], ...quiet, _loadSnapshot: kept });
  } catch (error) {
    console.warn("Python's kept memory did not restore; starting afresh:", String(error));
    await memory.remove();
    return null;
  }
}

async function boot() {
  const [{ loadPyodide, version }, runtime, client] = await Promise.all([
    import(`${pyodideURL}pyodide.mjs`),
    fetched(runtimeURL).then((response) => response.json()),
    fetched(clientURL).then((response) => response.arrayBuffer()),
  ]);
  const memory = new PythonMemory(runtime.id, siteRoot);
  const reviewed = version === PYODIDE_VERSION && runtime.pyodide === PYODIDE_VERSION;
  let pyodide = reviewed ? await restore(loadPyodide, memory) : null;
  const restored = pyodide !== null;
  pyodide ??= await loadPyodide({ indexURL: pyodideURL, packages: [], ...quiet, _makeSnapshot: reviewed });
  // Imported from the zip itself (zipimport), as the standard library is: nothing to unpack, and a
  // traceback shows py_client's source lines. Restored memory already has the zip on sys.path and knows
  // its contents, but the file itself lives outside that memory: it is written again.
  pyodide.FS.writeFile(CLIENT_PATH, new Uint8Array(client));
  if (!restored) pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(CLIENT_PATH)})`);
  const bridge = pyodide.pyimport("py_client.bridge");
  // Taken now, synchronously, before the first message is answered: nothing of the person's is in it.
  const snapshot = reviewed && !restored ? pyodide.makeMemorySnapshot() : null;
  const pythonVersion = pyodide.runPython("import sys; sys.version.split()[0]");
  return { bridge, pythonVersion, restored, keep: () => (snapshot ? memory.write(snapshot) : Promise.resolve("restored")) };
}

const ready = boot();

ready.then(
  ({ pythonVersion, restored, keep }) => {
    postMessage({ type: "ready", version: pythonVersion, restored });
    // Kept after the page has had its answer, so the compression does not delay anything it waits for.
    setTimeout(() => keep().then((kept) => postMessage({ type: "memory", kept })), 0);
  },
  (error) => postMessage({ type: "failed", message: String(error && error.message || error) }),
);

onmessage = async ({ data }) => {
  const { id, operation, payload } = data;
  try {
    const { bridge } = await ready;
    postMessage({ type: "result", id, result: JSON.parse(bridge.call(operation, JSON.stringify(payload))) });
  } catch (error) {
    postMessage({ type: "result", id, result: { error: [`Python failed: ${String(error && error.message || error)}`] } });
  }
};
