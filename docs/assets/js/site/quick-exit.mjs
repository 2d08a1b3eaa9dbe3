// @ts-check
// "Exit this page" (GOV.UK Design System's pattern, researched with survivors of domestic abuse). The link
// works alone; here, activating it or pressing Shift three times within five seconds (anywhere, inside a
// text field too) at once covers the page, takes what it shows off it, replaces its history entry and
// leaves for the neutral site. Whatever was typed is already saved: the worksheet saves every keystroke.
// Pages that keep something open (the worksheet's lock, which drops its key) hear "tsw:quick-exit" first.
//
// So that Back after an exit shows nothing of this site, the whole visit is one history entry: moving to
// another of the site's pages or within a page (a link, a table of contents, the skip link, a search
// result) replaces the current entry instead of adding one (exit-mark.mjs, which runs first). What the
// browser adds itself (an address typed into the tab) is covered by exit-mark.mjs when Back brings it back.
import { coveredAfterExit, markExit, showAgain } from "../core/exit-mark.mjs";

const PRESSES = 3;
const WITHIN_MS = 5000;

// Self-contained rather than importing dom.mjs's $: it runs on every page, and one module is one request.
function parts() {
  const root = document.querySelector("[data-quick-exit]");
  if (!root) throw new Error("The page's markup has no [data-quick-exit], which quick-exit.mjs needs.");
  /** @param {string} name */
  const named = (name) => {
    const node = document.querySelector(`[data-quick-exit-${name}]`);
    if (!(node instanceof HTMLElement)) throw new Error(`The quick exit's markup has no [data-quick-exit-${name}].`);
    return node;
  };
  return {
    link: /** @type {HTMLAnchorElement} */ (named("link")), count: named("count"), cover: named("cover"), show: named("show"),
  };
}

const { link, count, cover, show } = parts();
let presses = [];

function leave() {
  cover.hidden = false;
  document.documentElement.classList.add("tsw-quick-exit-active");
  document.title = "Loading";
  markExit();
  document.dispatchEvent(new CustomEvent("tsw:quick-exit"));
  // Nothing the page showed stays in it: a page kept in the back/forward cache comes back empty.
  document.querySelector("main")?.replaceChildren();
  window.location.replace(link.href);
}

show.addEventListener("click", showAgain);
const showCoverIfBroughtBack = () => { if (coveredAfterExit()) cover.hidden = false; };
showCoverIfBroughtBack();
window.addEventListener("pageshow", showCoverIfBroughtBack); // exit-mark.mjs's listener, added earlier, runs first

function showCount() {
  count.textContent = presses.length ? `Shift pressed ${presses.length} of ${PRESSES} times` : "";
}

link.addEventListener("click", (event) => {
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  leave();
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Shift" || event.repeat) {
    if (event.key !== "Shift" && presses.length) {
      presses = [];
      showCount();
    }
    return;
  }
  const now = performance.now();
  presses = [...presses.filter((at) => now - at < WITHIN_MS), now];
  showCount();
  if (presses.length >= PRESSES) {
    presses = [];
    leave();
    return;
  }
  setTimeout(() => {
    presses = presses.filter((at) => performance.now() - at < WITHIN_MS);
    showCount();
  }, WITHIN_MS);
}, true);
