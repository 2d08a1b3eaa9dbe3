// Small DOM helpers shared by the page modules.

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function element(tag, properties = {}, ...children) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

/** Offer text as a file download, made in the browser: nothing is sent anywhere. */
export function download(text, filename, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = element("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Start the controller of the page's component on its root element. A page loads only the modules it
 * names, so a missing root means the page's markup is wrong: fail loudly at start, never silently.
 */
export function startPage(selector, makeController) {
  const root = document.querySelector(selector);
  if (!root) throw new Error(`The page's markup has no ${selector}, which this module needs.`);
  makeController(root).start();
}
