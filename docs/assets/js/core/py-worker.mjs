// @ts-check
// The worksheet's Python, off the main thread: boots the site's own copy of Pyodide, unpacks py_client
// and answers {id, operation, payload} messages with py_client.bridge.call's JSON.
import { PYODIDE_VERSION } from "./facts.mjs";

// The runtime's folder is named after its version, which the build declares once (site_tools/pyodide_pin.py).
const pyodideURL = new URL(`../../../pyodide/${PYODIDE_VERSION}/`, import.meta.url).href;
const clientURL = new URL("../../../py/py_client.zip", import.meta.url).href;
const CLIENT_PATH = "/lib/py_client.zip";

async function boot() {
  const { loadPyodide } = await import(`${pyodideURL}pyodide.mjs`);
  const [pyodide, archive] = await Promise.all([
    loadPyodide({ indexURL: pyodideURL, packages: [], stdout: () => {}, stderr: () => {} }),
    fetch(clientURL).then((response) => {
      if (!response.ok) throw new Error(`py_client could not be loaded (${response.status})`);
      return response.arrayBuffer();
    }),
  ]);
  // Imported from the zip itself (zipimport), as the standard library is: nothing to unpack, and a
  // traceback still shows py_client's source lines.
  pyodide.FS.writeFile(CLIENT_PATH, new Uint8Array(archive));
  pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(CLIENT_PATH)})`);
  const bridge = pyodide.pyimport("py_client.bridge");
  const version = pyodide.runPython("import sys; sys.version.split()[0]");
  return { bridge, version };
}

const ready = boot();

ready.then(
  ({ version }) => postMessage({ type: "ready", version }),
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
