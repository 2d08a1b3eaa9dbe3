// Boots Pyodide in Node with its full standard library, unpacks py_client and runs exercise.py, which
// prints (as the last line) the standard-library files that were imported. Usage:
//   node trace.mjs PYODIDE_FOLDER LOCK_FILE PY_CLIENT_ZIP
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [pyodideFolder, lockFile, clientZip] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(`${pyodideFolder}/pyodide.mjs`).href);
const output = [];
const pyodide = await loadPyodide({ indexURL: `${pyodideFolder}/`, lockFileURL: lockFile, packages: [], stdout: (line) => output.push(line) });
pyodide.unpackArchive(new Uint8Array(readFileSync(clientZip)), "zip");
await pyodide.runPythonAsync(readFileSync(new URL("./exercise.py", import.meta.url), "utf8"));
process.stdout.write(`${output.at(-1)}\n`);
