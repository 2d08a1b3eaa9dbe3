// What the site uses of @noble/ciphers (audited AES-GCM in plain JavaScript), bundled with esbuild by
// site_tools/build.py into vendor/aes-gcm.mjs: the passcode lock seals every change synchronously with it
// (passcode.mjs), so a change is in storage before the keystroke's event handler returns, and closing the tab
// the moment after cannot lose it (WebCrypto answers only in a later task). The build checks the bundle's
// SHA-256, so a changed package or bundler stops it.
export { gcm } from "@noble/ciphers/aes.js";
