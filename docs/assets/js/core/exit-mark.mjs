// @ts-check
// The second line behind "Exit this page" (quick-exit.mjs). The first is that a visit makes one history
// entry and the exit replaces it; but the browser itself adds entries the page cannot remove (an address
// typed or pasted into this tab), and Back/Forward can bring such an entry, or a page frozen in the
// back/forward cache, back on screen. So an exit leaves a mark in this tab (sessionStorage: this tab only,
// gone with it), and a page of this site reached by Back/Forward while the mark is there opens covered,
// with one button to show it. A visit the person makes on purpose (a link, a typed address, a reload)
// clears the mark. Loaded in <head> of every page, async, so the cover is up before the page is drawn.
//
// It also holds the first line's rule from the same early moment: a click on a link of this site follows
// it in place of the current history entry. Set up later (with the exit link, at the end of the page), a
// click made while the page was still loading added an entry that Back after an exit would show.
const MARK = "tsw/left-with-exit";
const COVERED = "tsw-left-with-exit";

/** Run `use` on this tab's sessionStorage; `fallback` where storage is blocked (the first line, one entry
 *  replaced, still holds then). */
function withSession(use, fallback = undefined) {
  try {
    return use(sessionStorage);
  } catch {
    return fallback;
  }
}

const marked = () => withSession((storage) => storage.getItem(MARK) !== null, false);
export const markExit = () => withSession((storage) => storage.setItem(MARK, "1"));
const forgetExit = () => withSession((storage) => storage.removeItem(MARK));

/** The person chose to see the page: forget the exit and load it afresh (its answers were taken off it). */
export function showAgain() {
  forgetExit();
  location.reload();
}

/** Whether this page was brought back by Back/Forward after an exit, and is covered. */
export function coveredAfterExit() {
  return document.documentElement.classList.contains(COVERED);
}

function cover() {
  document.documentElement.classList.add(COVERED);
  document.title = "Page closed"; // the tab's title would otherwise name the page
}

function arrivedByHistory() {
  const navigation = /** @type {PerformanceNavigationTiming | undefined} */ (performance.getEntriesByType("navigation")[0]);
  return navigation?.type === "back_forward";
}

if (marked()) {
  if (arrivedByHistory()) cover();
  else forgetExit();
}

// A page frozen in the back/forward cache is shown again without loading: cover it as it comes back.
window.addEventListener("pageshow", (event) => {
  if (event.persisted && marked()) cover();
});

/** A click that would follow a link of this site (in a new entry) follows it in place of this one. */
function sameSiteLink(event) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return null;
  const anchor = event.target instanceof Element ? event.target.closest("a[href]") : null;
  if (!(anchor instanceof HTMLAnchorElement) || anchor.hasAttribute("download")) return null;
  if (anchor.target && anchor.target !== "_self") return null;
  const url = new URL(anchor.href, location.href);
  return url.origin === location.origin && /^https?:$/.test(url.protocol) ? url : null;
}

// On window, so that every handler on the page has had its say first (and may have taken the click).
window.addEventListener("click", (event) => {
  const url = sameSiteLink(event);
  if (!url) return;
  event.preventDefault();
  location.replace(url.href);
});
