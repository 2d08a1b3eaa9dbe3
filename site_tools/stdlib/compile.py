"""Compiles the trimmed standard library to bytecode inside Pyodide, for its exact CPython: reads the sources
zip at ``SOURCES``, writes ``COMPILED`` with one ``.pyc`` for each ``.py`` and no source. Run by
``site_tools/stdlib/compile.mjs`` (Node) at build time.

Each file is an unchecked hash-based pyc (PEP 552): zipimport loads it without looking for a source or
comparing times. Its code names the file where it lives in Pyodide (``/lib/python3XY.zip/…``), so a
traceback through the standard library names the right file and line. Docstrings and asserts are left out
(optimize=2): the same speed, a third fewer bytes to download.
"""

import importlib._bootstrap_external as bootstrap
import importlib.util
import sys
import zipfile

SOURCES, COMPILED = "/tmp/stdlib-sources.zip", "/tmp/stdlib-compiled.zip"
OPTIMIZE = 2
STDLIB_ZIP = next(path for path in sys.path if path.endswith(".zip"))

with zipfile.ZipFile(SOURCES) as sources, zipfile.ZipFile(COMPILED, "w", zipfile.ZIP_STORED) as compiled:
    for info in sources.infolist():
        if not info.filename.endswith(".py"):
            raise SystemExit(f"not a Python source: {info.filename}")
        source = sources.read(info)
        code = compile(source, f"{STDLIB_ZIP}/{info.filename}", "exec", dont_inherit=True, optimize=OPTIMIZE)
        pyc = bootstrap._code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False)
        compiled.writestr(zipfile.ZipInfo(info.filename + "c", date_time=info.date_time), bytes(pyc))
print(f"{OPTIMIZE} {importlib.util.MAGIC_NUMBER.hex()}")
