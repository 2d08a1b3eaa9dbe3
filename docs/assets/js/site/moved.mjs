// @ts-check
// A page that has moved (its link marked `data-moved-to`) sends the visit on at once, replacing its own
// history entry rather than adding one, and keeps the fragment: a therapist's request link made for the
// old address (#r=…&k=…) still opens the worksheet with the request. Without JavaScript, the link is there.
import { $ } from "../core/dom.mjs";

const link = $("a[data-moved-to]", document, HTMLAnchorElement); // wrong markup fails loudly
location.replace(new URL(link.getAttribute("href") + location.hash, location.href).href);
