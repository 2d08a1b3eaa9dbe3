// What the site uses of hash-wasm (Argon2id in WebAssembly, RFC 9106), bundled with esbuild by
// site_tools/build.py into vendor/argon2.mjs: the passcode lock's key derivation (passcode.mjs). The build
// checks the bundle's SHA-256, so a changed package or bundler stops it.
export { argon2id } from "hash-wasm";
