// @ts-check
// The worksheet's Python, off the main thread: starts Python (python-boot.mjs) and answers
// {id, operation, payload} messages with py_client.bridge.call's JSON.
import { startPython } from "./python-boot.mjs";

const ready = startPython();

ready.then(
  ({ pyodide, restored, keep }) => {
    postMessage({ type: "ready", version: pyodide.runPython("import sys; sys.version.split()[0]"), restored });
    // Kept after the page has its answer, so the compression delays nothing it waits for.
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
