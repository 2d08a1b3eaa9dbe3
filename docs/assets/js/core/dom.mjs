// @ts-check
// Small DOM helpers shared by the page modules.
import { coveredAfterExit } from "./exit-mark.mjs";

/** Markup a module needs is not on the page: the page's HTML and its module disagree. */
export class MissingMarkupError extends Error {
  /** @param {string} selector */
  constructor(selector) {
    super(`The page's markup has no ${selector}, which this module needs.`);
    this.name = "MissingMarkupError";
  }
}

/**
 * The element that `selector` names under `root`, of the class `kind` (HTMLElement unless a caller needs a
 * form control or a dialog). Throws MissingMarkupError when there is none, or it is of another kind, so
 * wrong markup fails where it is first used and says what is missing, not later as "null has no
 * properties".
 * @template {Element} [T=HTMLElement]
 * @param {string} selector
 * @param {ParentNode} [root]
 * @param {{new (): T, name: string}} [kind]
 * @returns {T}
 */
export function $(selector, root = document, kind = /** @type {{new (): T, name: string}} */ (/** @type {unknown} */ (HTMLElement))) {
  const found = root.querySelector(selector);
  if (!found) throw new MissingMarkupError(selector);
  if (!(found instanceof kind)) throw new MissingMarkupError(`${selector} as a ${kind.name}`);
  return found;
}

export function element(tag, properties = {}, ...children) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

/** Grow a textarea to its text, so the whole answer shows without a scrollbar of its own. */
export function fitHeight(textarea) {
  textarea.style.height = "auto";
  textarea.style.height = `${textarea.scrollHeight + 2}px`;
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
  const root = $(selector); // wrong markup fails loudly, covered or not
  // Brought back by Back/Forward after "Exit this page": the page stays covered and shows nothing of the
  // person's until they choose to see it, which loads it afresh (exit-mark.mjs).
  if (coveredAfterExit()) return;
  keepNothingInTheBackForwardCache();
  makeController(root).start();
}

let cacheGuarded = false;

/** A page with the person's words on it goes into the back/forward cache empty, and comes back loaded
 *  afresh (from storage, past the lock if one is set), never as it was left on screen. */
function keepNothingInTheBackForwardCache() {
  if (cacheGuarded) return;
  cacheGuarded = true;
  window.addEventListener("pagehide", (event) => {
    if (event.persisted) document.querySelector("main")?.replaceChildren();
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && !coveredAfterExit()) location.reload();
  });
}

/** Show `text` in a page's message line (hidden when empty), marked as a problem or not for its styles. */
export function showMessage(message, text, { problem = false } = {}) {
  message.textContent = text;
  message.dataset.problem = problem ? "true" : "false";
  message.hidden = !text;
}
