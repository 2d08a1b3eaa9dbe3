// @ts-check
// Starts the site's own copy of Pyodide with py_client, in the worker that imports it (py-worker.mjs).
//
// A first start keeps Python's memory once py_client is imported, synchronously, before the worker answers
// its first message: so before anything of the person's has reached Python. Later starts restore it
// (python-memory.mjs). That uses Pyodide's private snapshot options (`_makeSnapshot`, `_loadSnapshot`),
// reviewed for one version only (site_tools/pyodide_pin.py): with any other, Python starts afresh.
import { PYODIDE_LOCK_INFO, PYODIDE_VERSION, PYTHON_MEMORY_REVIEWED_FOR } from "./facts.mjs";
import { PythonMemory } from "./python-memory.mjs";

// The runtime's folder is named after its version, which the build declares once (site_tools/pyodide_pin.py).
const siteRoot = new URL("../../../", import.meta.url);
const pyodideURL = new URL(`pyodide/${PYODIDE_VERSION}/`, siteRoot).href;
const clientURL = new URL("py/py_client.zip", siteRoot).href;
const runtimeURL = new URL("py/runtime.json", siteRoot).href;
const CLIENT_PATH = "/lib/py_client.zip";
// The site loads no Pyodide package: the lock file's info is all Pyodide needs of it, so it is not fetched.
const options = { indexURL: pyodideURL, packages: [], lockFileContents: { info: PYODIDE_LOCK_INFO, packages: {} }, stdout: () => {}, stderr: () => {} };

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
    return await loadPyodide({ ...options, _loadSnapshot: kept });
  } catch (error) {
    console.warn("Python's kept memory did not restore; starting afresh:", String(error));
    await memory.remove();
    return null;
  }
}

/** Python with py_client imported: `bridge` (py_client.bridge), whether it was `restored`, and `keep()`,
 *  which keeps the memory a first start took and resolves to what became of it (python-memory.mjs). */
export async function startPython() {
  const [{ loadPyodide, version }, runtime, client] = await Promise.all([
    import(`${pyodideURL}pyodide.mjs`),
    fetched(runtimeURL).then((response) => response.json()),
    fetched(clientURL).then((response) => response.arrayBuffer()),
  ]);
  const memory = new PythonMemory(runtime.id, siteRoot);
  const reviewed = version === PYTHON_MEMORY_REVIEWED_FOR && runtime.pyodide === version;
  let pyodide = reviewed ? await restore(loadPyodide, memory) : null;
  const restored = pyodide !== null;
  pyodide ??= await loadPyodide({ ...options, _makeSnapshot: reviewed });
  // Imported from the zip itself (zipimport), as the standard library is: nothing to unpack, and a
  // traceback shows py_client's source lines. Restored memory already has the zip on sys.path and knows
  // its contents, but the file lives outside that memory: it is written again.
  pyodide.FS.writeFile(CLIENT_PATH, new Uint8Array(client));
  if (!restored) pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(CLIENT_PATH)})`);
  const bridge = pyodide.pyimport("py_client.bridge");
  const snapshot = reviewed && !restored ? pyodide.makeMemorySnapshot() : null;
  const keep = async () => (restored ? "restored" : snapshot ? memory.write(snapshot) : "unavailable");
  return { pyodide, bridge, restored, keep };
}
