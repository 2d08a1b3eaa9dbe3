"""What the passcode lock's key derivation costs the person and an attacker, with the KDF the site ships.

The person pays Argon2id in WebAssembly (hash-wasm, the site's own bundle in ``site/vendor/argon2.mjs``, run
in Node's V8 as in Chromium) once per lock or unlock; someone who copied the browser's storage pays it in
native code (OpenSSL's Argon2id, through ``cryptography``) once per guess. The second figure is the one the
passcode check counts with (``GUESSES_PER_CORE_DAY`` in ``docs/assets/js/core/passcode.mjs``).

Run after a build: ``.venv/bin/python -m bench.passcode_kdf [runs]``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

ROOT = Path(__file__).resolve().parent.parent
PASSCODE_MODULE = ROOT / "site" / "assets" / "js" / "core" / "passcode.mjs"

WASM_TIMING = """
const { KDF, GUESSES_PER_CORE_DAY } = await import(process.argv[1]);
const { argon2id } = await import(new URL("../../vendor/argon2.mjs", process.argv[1]).href);
const times = [];
for (let run = 0; run < Number(process.argv[2]); run++) {
  const started = performance.now();
  await argon2id({ password: "blue door 1987", salt: crypto.getRandomValues(new Uint8Array(16)), parallelism: KDF.parallelism,
    iterations: KDF.passes, memorySize: KDF.memory_kib, hashLength: 32, outputType: "binary" });
  times.push(performance.now() - started);
}
console.log(JSON.stringify({ KDF, GUESSES_PER_CORE_DAY, times }));
"""


def main(runs: int = 5) -> None:
    if not PASSCODE_MODULE.is_file():
        raise SystemExit("build the site first: .venv/bin/python -m site_tools.build")
    shipped = subprocess.run(
        ["node", "--input-type=module", "-e", WASM_TIMING, PASSCODE_MODULE.as_uri(), str(runs)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(shipped.stdout)
    kdf = result["KDF"]
    native = []
    for _ in range(runs):
        started = time.perf_counter()
        Argon2id(
            salt=os.urandom(16), length=32, iterations=kdf["passes"], lanes=kdf["parallelism"], memory_cost=kdf["memory_kib"]
        ).derive(b"blue door 1987")
        native.append((time.perf_counter() - started) * 1000)
    per_guess = statistics.median(native) / 1000
    print(f"KDF: {kdf}")
    print(
        f"the page (WebAssembly, V8): median {statistics.median(result['times']):.0f} ms  runs {[round(t) for t in result['times']]}"
    )
    print(f"a guesser (native, one core): median {statistics.median(native):.0f} ms  runs {[round(t) for t in native]}")
    print(f"guesses a core-day at that speed: {86_400 / per_guess:,.0f}; the page counts with {result['GUESSES_PER_CORE_DAY']:,}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
