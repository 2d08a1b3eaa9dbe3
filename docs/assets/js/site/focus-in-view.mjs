// @ts-check
// Keeps the focused control clear of the bars that stay on screen while the page scrolls (Material's
// header, the worksheet's save-status line): WCAG 2.2's "Focus Not Obscured". The browser scrolls a newly
// focused control only until it touches the viewport's edge, which is under those bars when tabbing back.
const BARS = ".md-header, [data-sticky-bar]";
const GAP_PX = 8;

function stickyBars() {
  return [...document.querySelectorAll(BARS)].filter((bar) => {
    const { position } = getComputedStyle(bar);
    return position === "sticky" || position === "fixed";
  });
}

/** The browser's own scrolling (focus, anchors, scrollIntoView) keeps clear of the bars' total height. */
function padScrolling() {
  const height = stickyBars().reduce((total, bar) => total + bar.getBoundingClientRect().height, 0);
  document.documentElement.style.scrollPaddingTop = `${Math.ceil(height) + GAP_PX}px`;
}

function coveringBottom(target, rect) {
  let bottom = 0;
  for (const bar of stickyBars()) {
    if (bar.contains(target)) return 0;
    const box = bar.getBoundingClientRect();
    const overlaps = box.bottom > rect.top && box.top < rect.bottom && box.right > rect.left && box.left < rect.right;
    if (overlaps && box.height > 0) bottom = Math.max(bottom, box.bottom);
  }
  return bottom;
}

/** Material's search box is open exactly while the focus is inside it: its overlay covers the whole page, so
 *  open with the focus elsewhere it hides whatever is focused next, in either direction and around the
 *  page's end. Left to itself, Material opens it when its field gains the focus (a moment later) and closes
 *  it on some keys only, and a second visit by keyboard focuses the field without opening it (on a phone
 *  the field is then invisible). So the rule is checked whenever the focus moves or the box opens or
 *  closes, however that happened. */
function searchFollowsFocus() {
  const toggle = /** @type {HTMLInputElement | null} */ (document.querySelector("[data-md-toggle=search]"));
  if (!toggle) return;
  const active = document.activeElement;
  // Focus on nothing (the page itself) is focus lost, not moved: results redrawn under it, a click on
  // the overlay or Escape, which Material answers itself.
  if (!active || active === document.body) return;
  const inSearch = active.closest(".md-search") !== null;
  // The field itself opens the box; another control inside it (a result, the results' scroll area) keeps
  // it as it is, since the results are reached from an open box.
  const open = inSearch && (toggle.checked || active.matches(".md-search__input"));
  if (toggle.checked === open) return;
  toggle.checked = open;
  toggle.dispatchEvent(new Event("change"));
}

/** After the events of the moment have run: a focus that leaves the page for a moment, or a click on the
 *  search icon (which opens the box, then focuses the field), is judged where it lands. */
function searchFollowsFocusSoon() {
  setTimeout(searchFollowsFocus, 50);
}

/** Whatever still covers the focused control once the browser has scrolled it into view. */
function uncover(target) {
  if (document.activeElement !== target) return;
  const rect = target.getBoundingClientRect();
  const bottom = coveringBottom(target, rect);
  if (bottom) window.scrollBy({ top: rect.top - bottom - GAP_PX, behavior: "instant" });
}

const watchBars = new ResizeObserver(padScrolling);
for (const bar of document.querySelectorAll(BARS)) watchBars.observe(bar);

document.querySelector("[data-md-toggle=search]")?.addEventListener("change", searchFollowsFocusSoon);
document.addEventListener("focusout", searchFollowsFocusSoon);
document.addEventListener("focusin", (event) => {
  const target = event.target;
  if (!(target instanceof Element)) return;
  searchFollowsFocus();
  searchFollowsFocusSoon(); // Material opens the box a moment after its field gains the focus
  uncover(target);
  setTimeout(() => uncover(target)); // after the browser's own scrolling to the newly focused control
});
