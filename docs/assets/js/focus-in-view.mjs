// Keeps the focused control clear of the bars that stay on screen while the page scrolls (Material's
// header, the worksheet's save-status line): WCAG 2.2's "Focus Not Obscured". The browser scrolls a newly
// focused control only until it touches the viewport's edge, which is under those bars when tabbing back.
const BARS = ".md-header, [data-sticky-bar]";
const GAP_PX = 8;

function coveringBottom(target, rect) {
  let bottom = 0;
  for (const bar of document.querySelectorAll(BARS)) {
    if (bar.contains(target)) return 0;
    const { position } = getComputedStyle(bar);
    if (position !== "sticky" && position !== "fixed") continue;
    const box = bar.getBoundingClientRect();
    const overlaps = box.bottom > rect.top && box.top < rect.bottom && box.right > rect.left && box.left < rect.right;
    if (overlaps && box.height > 0) bottom = Math.max(bottom, box.bottom);
  }
  return bottom;
}

document.addEventListener("focusin", (event) => {
  const target = event.target;
  if (!(target instanceof Element)) return;
  const rect = target.getBoundingClientRect();
  const bottom = coveringBottom(target, rect);
  if (bottom) window.scrollBy({ top: rect.top - bottom - GAP_PX, behavior: "instant" });
});
