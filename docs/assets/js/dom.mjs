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
 * Run a page controller whenever a page that has its root is shown, stopping the previous one: on load and
 * after each of Material's instant navigations (its document$ observable).
 */
export function mountPage(findRoot, makeController) {
  let current = null;
  const mount = () => {
    current?.stop();
    current = null;
    const root = findRoot();
    if (!root) return;
    current = makeController(root);
    current.start();
  };
  if (typeof document$ !== "undefined") document$.subscribe(mount);
  else mount();
}
