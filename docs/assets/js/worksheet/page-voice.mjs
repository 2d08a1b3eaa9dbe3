// @ts-check
// The worksheet page's voice: the status line, the notice box and the confirm dialog. Every part of the page
// speaks through one of these, so what the person hears is said one way.
import { $, element } from "../core/dom.mjs";

/** The status line's short form on phones, by state, where the message does not give its own. */
const SHORT_STATUS = { loading: "Loading…", ready: "Ready ✓", saved: "Saved ✓", locked: "Locked", error: "Not saved ✕" };

export class PageVoice {
  constructor() {
    this.status = $("#ws-status");
    this.notice = $("#ws-notice");
    this.dialog = $("#ws-confirm", document, HTMLDialogElement);
    this.message = "";
    this.short = "";
    // Going on or offline changes what the status line says first, never what it reports.
    for (const change of ["online", "offline"]) {
      window.addEventListener(change, () => this.setStatus(this.state, this.message, this.short));
    }
  }

  /** The state the status line reports (loading, ready, saved, locked or error). */
  get state() {
    return this.status.dataset.state;
  }

  /** The status line says a whole sentence; on a phone only its short form shows, on one line, so the bars
   *  over the content stay small. Screen readers always hear the sentence (the short form is hidden from them). */
  setStatus(state, text, short = SHORT_STATUS[state]) {
    this.status.dataset.state = state;
    this.message = text;
    this.short = short;
    const offline = !navigator.onLine;
    this.status.replaceChildren(
      element("span", { className: "ws-status-full", textContent: offline ? `You are offline. ${text}` : text }),
      element("span", { className: "ws-status-short", ariaHidden: "true", textContent: offline ? `Offline · ${short}` : short }),
    );
  }

  /** A notice with a title, lines and buttons (label, handler), and a way to dismiss it. */
  showNotice(title, lines = [], actions = []) {
    const button = (label, handler) => {
      const node = element("button", { type: "button", className: "md-button", textContent: label });
      node.addEventListener("click", handler);
      return node;
    };
    this.notice.replaceChildren(
      element("p", { className: "ws-notice-title", textContent: title }),
      ...(lines.length ? [element("ul", {}, ...lines.map((line) => element("li", { textContent: line })))] : []),
      ...actions.map(([label, handler]) => button(label, handler)),
      button("Dismiss", () => { this.notice.hidden = true; }),
    );
    this.notice.hidden = false;
  }

  hideNotice() {
    this.notice.hidden = true;
  }

  /** Ask before something that cannot be undone; resolves true when the person confirms. The focus goes
   *  back where it was. @returns {Promise<boolean>} */
  confirm(title, text, action) {
    const dialog = this.dialog;
    $("#ws-confirm-title", dialog).textContent = title;
    $("#ws-confirm-text", dialog).textContent = text;
    $("#ws-confirm-yes", dialog).textContent = action;
    const opener = document.activeElement;
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => {
        if (opener instanceof HTMLElement) opener.focus();
        resolve(dialog.returnValue === "confirm");
      }, { once: true });
      dialog.returnValue = "";
      dialog.showModal();
    });
  }
}
