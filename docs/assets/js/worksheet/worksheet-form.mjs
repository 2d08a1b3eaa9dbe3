// @ts-check
// The worksheet's form, bound to the answers: the build's fields (`data-ws-field`) and the session cards'
// (`data-ws-column`) are filled from a document, and every change is handed to `save` as a small edit at
// once. Text fields carry a plain copy for print (a textarea prints only what fits its box).
import * as store from "./store.mjs";
import { element, fitHeight } from "../core/dom.mjs";

export class WorksheetForm {
  /**
   * @param {HTMLElement} root the worksheet
   * @param {{ save: (change: (doc: any) => void) => void, sessions: import("./session-log.mjs").SessionLog | null }} page
   */
  constructor(root, { save, sessions }) {
    this.root = root;
    this.save = save;
    this.sessions = sessions;
  }

  bind() {
    this.root.addEventListener("input", (event) => this.onInput(event));
    this.root.addEventListener("change", (event) => this.onChange(event));
  }

  fields() {
    return /** @type {NodeListOf<HTMLInputElement | HTMLTextAreaElement>} */ (this.root.querySelectorAll("[data-ws-field]"));
  }

  setEnabled(enabled) {
    for (const field of this.fields()) field.disabled = !enabled;
    for (const control of this.root.querySelectorAll("#ws-add-session, [data-ws-session] :is(input, select, textarea, button)")) {
      /** @type {HTMLInputElement} */ (control).disabled = !enabled;
    }
  }

  /** Show `doc` in the form. `keepFocused` leaves the field being typed in alone (for updates from another
   *  tab); a restore or a deletion replaces everything. */
  fill(doc, { keepFocused = false } = {}) {
    for (const field of this.fields()) {
      if (keepFocused && field === document.activeElement) continue;
      const value = doc.answers[field.name];
      if (field.type === "checkbox") /** @type {HTMLInputElement} */ (field).checked = value === true;
      else if (field.type === "radio") /** @type {HTMLInputElement} */ (field).checked = value !== undefined && String(value) === field.value;
      else field.value = value === undefined ? "" : String(value);
      if (field instanceof HTMLTextAreaElement) fitHeight(field);
      this.updatePrintCopy(field);
    }
    this.sessions?.render({ keepFocused });
  }

  /** Empty every print copy: nothing of the answers stays in the page's markup. */
  clearPrintCopies() {
    for (const copy of this.root.querySelectorAll(".ws-print-copy")) copy.textContent = "";
  }

  /** Text fields print their whole text through a plain copy beside them: a textarea prints only what fits
   *  its box at screen width, and a one-line field only the end of a long line. */
  updatePrintCopy(field) {
    if (field.type !== "text" && field.tagName !== "TEXTAREA") return;
    let copy = field.nextElementSibling;
    if (!copy?.classList.contains("ws-print-copy")) {
      copy = element("div", { className: "ws-print-copy" });
      copy.setAttribute("aria-hidden", "true");
      field.after(copy);
    }
    copy.textContent = field.value;
    field.classList.toggle("ws-filled", field.value !== "");
  }

  onInput(event) {
    const field = event.target;
    if (field instanceof HTMLTextAreaElement) fitHeight(field);
    if (field.matches("[data-ws-field]")) this.updatePrintCopy(field);
    if (field.matches("[data-ws-field]") && field.type !== "checkbox" && field.type !== "radio") {
      this.save((doc) => store.setAnswer(doc, field.name, field.value));
    } else if (field.matches("[data-ws-column]") && field.type !== "date") {
      this.saveSessionField(field);
    }
  }

  onChange(event) {
    const field = event.target;
    if (field.matches("[data-ws-field]") && field.type === "checkbox") {
      this.save((doc) => store.setAnswer(doc, field.name, field.checked));
    } else if (field.matches("[data-ws-field]") && field.type === "radio") {
      this.save((doc) => store.setAnswer(doc, field.name, field.value));
    } else if (field.matches("[data-ws-column]")) {
      this.saveSessionField(field);
    }
  }

  saveSessionField(field) {
    const row = field.closest("[data-ws-session]");
    this.save((doc) => store.setSessionField(doc, row.dataset.id, field.dataset.wsColumn, field.value));
    this.sessions?.render();
  }
}
