// @ts-check
// What every page that hands out a link offers with it: a QR code to scan, and a copy button.
import { renderSVG } from "../../vendor/uqr.mjs";

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
