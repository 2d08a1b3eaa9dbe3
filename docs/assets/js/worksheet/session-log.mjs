// @ts-check
// A worksheet's session log, where its content has one: its cards (one per session, from the build's template), the compact table
// beside them, and how it is shown. It changes the answers only through `save`, asks through the page's voice,
// and reads the document through `doc()`: it knows nothing else of the page.
import * as store from "./store.mjs";
import { $, element, fitHeight } from "../core/dom.mjs";
import { formatLongDate, formatShortDate, localDateStamp } from "../core/format.mjs";
import { sessionTable } from "../core/snapshot-view.mjs";
// With more sessions than this, a page load shows the newest card open and folds the older ones.
const OPEN_CARDS_ON_LOAD = 3;

export class SessionLog {
  /**
   * @param {{ doc: () => any, save: (change: (doc: any) => void) => void, keepItem: (name: string, value: any) => void,
   *           voice: import("./page-voice.mjs").PageVoice }} page what the log needs of the page
   */
  constructor({ doc, save, keepItem, voice }) {
    this.doc = doc;
    this.save = save;
    this.keepItem = keepItem;
    this.voice = voice;
    this.log = $("#ws-log");
    // The log's columns (id, label, kind and a rating's series name), as the build wrote them from the content.
    /** @type {{ id: string, label: string, kind: string, series: string }[]} */
    this.columns = JSON.parse(/** @type {string} */ (this.log.dataset.wsColumns));
    // The column the log is ordered by: a log's first (the schema).
    this.date = this.columns[0].id;
    this.list = $("#ws-session-list");
    this.template = $("#ws-session-template", document, HTMLTemplateElement);
  }

  bind() {
    $("#ws-add-session").addEventListener("click", () => this.add());
    // A changed date re-sorts the log only once focus has left that session: moving the card while its
    // date is being typed would throw the caret back to the first part of the date.
    this.list.addEventListener("focusout", (event) => {
      const row = /** @type {Element} */ (event.target).closest("[data-ws-session]");
      if (row && !row.contains(/** @type {Node | null} */ (event.relatedTarget))) setTimeout(() => this.render({ reorder: true }));
    });
    $("#ws-log-as-table").addEventListener("click", () => this.showAs(this.log.dataset.view === "table" ? "cards" : "table"));
    $("#ws-log-expand").addEventListener("click", () => this.setCardsOpen(true));
    $("#ws-log-collapse").addEventListener("click", () => this.setCardsOpen(false));
    this.showStoredView();
  }

  /** Cards or table, as the person last chose (kept with the answers, so unreadable while they are locked). */
  showStoredView() {
    this.showAs(store.getItem("logView") === "table" ? "table" : "cards");
  }

  add() {
    const id = `s${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const session = Object.fromEntries(this.columns.map((column) => [column.id, null]));
    Object.assign(session, { id, [this.date]: localDateStamp() });
    this.save((doc) => doc.sessions.push(session));
    this.showAs("cards");
    this.render({ reorder: true });
    /** @type {HTMLInputElement | null} */ (this.list.querySelector(`[data-id="${CSS.escape(id)}"] input[type="date"]`))?.focus();
  }

  async delete(id, title) {
    if (!(await this.voice.confirm(`Delete ${title}?`, "This session’s date, topic, ratings and notes will be removed from this device.", "Delete session"))) return;
    const index = this.rows().findIndex((row) => row.dataset.id === id);
    this.save((doc) => { doc.sessions = doc.sessions.filter((row) => row.id !== id); });
    this.render({ reorder: true });
    const rows = this.rows();
    (rows[Math.min(index, rows.length - 1)]?.querySelector("input") || $("#ws-add-session")).focus();
  }

  /** The session cards as they stand in the list. @returns {HTMLElement[]} */
  rows() {
    return /** @type {HTMLElement[]} */ ([...this.list.children]);
  }

  ordered() {
    const sessions = this.doc().sessions;
    const order = new Map(sessions.map((session, index) => [session.id, index]));
    const date = this.date;
    return [...sessions].sort((a, b) =>
      (a[date] ? 0 : 1) - (b[date] ? 0 : 1) || (a[date] || "").localeCompare(b[date] || "") || order.get(a.id) - order.get(b.id));
  }

  /** The sessions in the order their cards stand now; sessions without a card go last, by date. */
  shownOrder() {
    const shown = this.rows().map((row) => row.dataset.id);
    const position = (session) => (shown.includes(session.id) ? shown.indexOf(session.id) : Infinity);
    return this.ordered().sort((a, b) => position(a) - position(b));
  }

  /** Bring the cards and the table up to date with the document. The cards are sorted by date unless
   *  focus is inside the log (see the focusout listener): `reorder` overrides that. */
  render({ keepFocused = true, reorder = !this.list.contains(document.activeElement) } = {}) {
    const focused = document.activeElement;
    const rows = new Map(this.rows().map((row) => [row.dataset.id, row]));
    const firstRender = rows.size === 0;
    const sessions = reorder ? this.ordered() : this.shownOrder();
    sessions.forEach((session, index) => {
      let row = rows.get(session.id);
      if (!row) {
        const foldOlder = firstRender && sessions.length > OPEN_CARDS_ON_LOAD && index < sessions.length - 1;
        row = this.createRow(session.id, !foldOlder);
      }
      rows.delete(session.id);
      const date = session[this.date] ? formatLongDate(session[this.date]) : "no date yet";
      for (const title of row.querySelectorAll("[data-ws-session-title]")) title.textContent = `Session ${index + 1}, ${date}`;
      $("[data-ws-session-figures]", row).textContent = this.ratings(session);
      $("[data-ws-delete-session]", row).setAttribute("aria-label", `Delete session ${index + 1} (${date})`);
      row.dataset.title = `session ${index + 1} (${date})`;
      for (const control of /** @type {NodeListOf<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>} */ (row.querySelectorAll("[data-ws-column]"))) {
        if (keepFocused && control === focused) continue;
        const raw = session[control.dataset.wsColumn];
        const value = raw === null || raw === undefined ? "" : String(raw);
        // Writing an unchanged value is not harmless: it resets a date field that is being typed in (its
        // parts may add up to no date yet), and Chromium can fire that field's change without its focus.
        if (control.value === value) continue;
        control.value = value;
        if (control instanceof HTMLTextAreaElement) fitHeight(control);
      }
      if (this.list.children[index] !== row) this.list.insertBefore(row, this.list.children[index] || null);
    });
    for (const row of rows.values()) row.remove();
    if (focused instanceof HTMLElement && this.list.contains(focused) && document.activeElement !== focused) focused.focus();
    $("#ws-sessions-empty").hidden = sessions.length > 0;
    $("#ws-log-views").hidden = sessions.length === 0;
    this.renderTable(sessions);
  }

  /** The whole log as one compact table: an overview on screen, and what the log prints as. */
  renderTable(sessions) {
    const rows = sessions.map((session) => this.columns.map((column) => {
      const value = session[column.id];
      if (column.kind === "date") return value ? formatShortDate(value) : "no date";
      return value === null || value === undefined ? "" : String(value);
    }));
    const edit = (index) => {
      const button = element("button", { type: "button", className: "md-button ws-log-edit", textContent: "Edit" });
      button.setAttribute("aria-label", `Edit session ${index + 1}`);
      button.addEventListener("click", () => this.edit(sessions[index].id));
      return button;
    };
    $("#ws-log-table").replaceChildren(sessionTable(this.columns, rows, { caption: "Sessions", action: edit }));
  }

  /** A card's ratings in one line, shown beside its title so a folded card still says the most. */
  ratings(session) {
    const given = this.columns.filter((column) => column.kind === "scale" && session[column.id] !== null && session[column.id] !== undefined);
    // By each rating's series name ("Trust: 6"): the scale is in the card's own labels.
    return given.length ? ` · ${given.map((column) => `${column.series}: ${session[column.id]}`).join(", ")}` : "";
  }

  showAs(view) {
    this.log.dataset.view = view;
    $("#ws-log-as-table").setAttribute("aria-pressed", String(view === "table"));
    if (store.isShut()) return; // nothing is kept while locked
    this.keepItem("logView", view);
  }

  setCardsOpen(open) {
    for (const card of this.list.querySelectorAll("details")) card.open = open;
  }

  edit(id) {
    this.showAs("cards");
    const row = this.list.querySelector(`[data-id="${CSS.escape(id)}"]`);
    $("details", row, HTMLDetailsElement).open = true;
    $("[data-ws-column]", row).focus();
  }

  /** @param {string} id @param {boolean} open @returns {HTMLElement} */
  createRow(id, open) {
    const row = /** @type {HTMLElement} */ (this.template.content.firstElementChild.cloneNode(true));
    row.dataset.id = id;
    $("details", row, HTMLDetailsElement).open = open;
    for (const node of row.querySelectorAll("[id], [for], [aria-describedby]")) {
      for (const attribute of ["id", "for", "aria-describedby"]) {
        const value = node.getAttribute(attribute);
        if (value) node.setAttribute(attribute, value.replaceAll("ROW-", `session-${id}-`));
      }
    }
    $("[data-ws-delete-session]", row).addEventListener("click", () => this.delete(id, row.dataset.title));
    return row;
  }
}
