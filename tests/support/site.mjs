// What the JavaScript unit tests share: the built site's modules (`site/`, which the README's test command
// builds first; they import the generated facts.mjs and the vendored libraries from there), and a
// localStorage for Node, which has none.

/** The URL of a page module as the build wrote it. `tab` gives a module instance of its own: a second tab. */
export function siteModule(name, tab = "") {
  const url = new URL(`../../site/assets/js/${name}`, import.meta.url);
  if (tab) url.searchParams.set("tab", tab);
  return url.href;
}

/** The Web Storage API over a plain object: keys are own properties, as in a browser, so Object.keys works. */
class MemoryStorage {
  getItem(key) {
    return Object.hasOwn(this, key) ? this[key] : null;
  }
  setItem(key, value) {
    this[key] = String(value);
  }
  removeItem(key) {
    delete this[key];
  }
  clear() {
    for (const key of Object.keys(this)) delete this[key];
  }
  key(index) {
    return Object.keys(this)[index] ?? null;
  }
  get length() {
    return Object.keys(this).length;
  }
}

globalThis.localStorage ??= new MemoryStorage();
