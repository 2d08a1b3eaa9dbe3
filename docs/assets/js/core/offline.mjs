// @ts-check
// Registers the service worker (sw.js) on every page, so the whole site is available offline after a first
// visit. It waits until the page has loaded, and on the worksheet until Python is ready (the worksheet calls
// keepOffline), so that nothing it fetches competes with what the person is waiting for.
const siteRoot = new URL("../../../", import.meta.url);

export async function keepOffline() {
  if (!("serviceWorker" in navigator)) return;
  try {
    const registration = await navigator.serviceWorker.register(new URL("sw.js", siteRoot), { scope: siteRoot.pathname });
    // Already installed (from a visit to another page): ask it to keep the runtime the worksheet just loaded.
    registration.active?.postMessage("keep-runtime");
  } catch (error) {
    console.warn("offline copy unavailable:", error.message);
  }
}

if (!document.querySelector("[data-ws-section]")) {
  if (document.readyState === "complete") keepOffline();
  else addEventListener("load", () => keepOffline(), { once: true });
}
