// @ts-check
// Material's navigation drawer, for keyboard users on narrow screens. Material opens it with a <label> that
// the keyboard cannot reach, and leaves the closed drawer's links in the tab order although they are off
// screen, so focus would vanish into it. Here the menu button is a real button, and a closed drawer is inert.
const NARROW = matchMedia("(max-width: 76.1875em)"); // where Material moves the navigation into the drawer

/** Material's parts of the drawer; any may be missing on a page laid out without navigation. */
function drawerParts() {
  return {
    toggle: /** @type {HTMLInputElement | null} */ (document.querySelector("[data-md-toggle=drawer]")),
    drawer: /** @type {HTMLElement | null} */ (document.querySelector(".md-sidebar--primary")),
    button: /** @type {HTMLElement | null} */ (document.querySelector('.md-header__button[for="__drawer"]')),
  };
}

function sync() {
  const { toggle, drawer, button } = drawerParts();
  if (!toggle || !drawer) return;
  drawer.inert = NARROW.matches && !toggle.checked;
  button?.setAttribute("aria-expanded", String(toggle.checked));
}

function setOpen(open) {
  const { toggle, drawer, button } = drawerParts();
  toggle.checked = open;
  toggle.dispatchEvent(new Event("change"));
  sync();
  if (open) /** @type {HTMLElement | null} */ (drawer.querySelector("a[href]"))?.focus();
  else button?.focus();
}

function enhance() {
  const { toggle, button } = drawerParts();
  if (!toggle) return;
  if (button) {
    button.tabIndex = 0;
    button.setAttribute("role", "button");
    button.setAttribute("aria-label", "Open the site navigation");
    button.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      setOpen(!toggle.checked);
    });
  }
  toggle.addEventListener("change", sync);
  sync();
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && drawerParts().toggle?.checked && NARROW.matches) setOpen(false);
});
// A click on the button or the overlay toggles the checkbox through its <label>, after this listener.
document.addEventListener("click", () => setTimeout(sync));
NARROW.addEventListener("change", sync);
enhance();
