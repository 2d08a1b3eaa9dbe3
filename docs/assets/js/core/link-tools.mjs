// @ts-check
// What every page that hands out a link offers with it: a QR code to scan, a copy button, and where the browser
// has a share sheet (most phones) a "Share…" button.
import { renderSVG } from "../../../vendor/uqr.mjs";

/** A QR code of `text` as an SVG element, announced by `label`. */
export function qrCode(text, label) {
  const svg = new DOMParser().parseFromString(renderSVG(text, { border: 2 }), "image/svg+xml").documentElement;
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  return document.importNode(svg, true);
}

/**
 * Copy a read-only field's text; where the clipboard is refused, select it for the person to copy.
 * @param {HTMLInputElement} field
 * @returns {Promise<boolean>} whether it was copied
 */
export async function copyField(field) {
  try {
    await navigator.clipboard.writeText(field.value);
    return true;
  } catch {
    field.select();
    return false;
  }
}

/**
 * Offer the browser's share sheet for a read-only field's link, where there is one: on a phone it hands the
 * link straight to the apps the person already uses. Only the address is handed over: no title or text
 * that a chat app would show in its preview. Hidden where the browser has no share sheet.
 * @param {HTMLButtonElement} button
 * @param {HTMLInputElement} field
 * @param {(message: string) => void} say how the page tells the person what happened
 */
export function offerShare(button, field, say) {
  button.hidden = typeof navigator.share !== "function";
  button.addEventListener("click", async () => {
    try {
      await navigator.share({ url: field.value });
      say("The link was handed to the app you chose.");
    } catch (error) {
      if (!(error instanceof DOMException) || error.name !== "AbortError") throw error;
      say("Nothing was shared: the link is still here.");
    }
  });
}
