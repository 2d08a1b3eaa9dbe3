// What the site uses of @hpke/core (RFC 9180 HPKE on WebCrypto), bundled with esbuild by site_tools/build.py
// into vendor/hpke.mjs, one module with its @hpke/common dependency inside. The build checks the bundle's
// SHA-256, so a changed package or bundler stops it.
export { Aes256Gcm, CipherSuite, DhkemP256HkdfSha256, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
