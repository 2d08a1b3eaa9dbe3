// Boots the pinned Pyodide in Node and runs compile.py on a zip of standard-library sources, writing the
// zip of their bytecode. Prints compile.py's last line (the optimisation level and the bytecode's magic
// number). Usage:
//   node compile.mjs PYODIDE_FOLDER LOCK_FILE SOURCES_ZIP COMPILED_ZIP
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [pyodideFolder, lockFile, sourcesZip, compiledZip] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(`${pyodideFolder}/pyodide.mjs`).href);
const output = [];
const pyodide = await loadPyodide({ indexURL: `${pyodideFolder}/`, lockFileURL: lockFile, packages: [], stdout: (line) => output.push(line) });
pyodide.FS.writeFile("/tmp/stdlib-sources.zip", new Uint8Array(readFileSync(sourcesZip)));
await pyodide.runPythonAsync(readFileSync(new URL("./compile.py", import.meta.url), "utf8"));
writeFileSync(compiledZip, pyodide.FS.readFile("/tmp/stdlib-compiled.zip"));
process.stdout.write(`${output.at(-1)}\n`);
