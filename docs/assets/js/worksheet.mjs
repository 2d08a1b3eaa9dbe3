// @ts-check
// The worksheet page's thin JavaScript layer: binds the build-time form to localStorage (saved at once,
// with or without Python), and asks the Python worker for checks, the progress chart and exports.
import * as store from "./store.mjs";
import { python } from "./python.mjs";
import { $, download, element, startPage } from "./dom.mjs";
import { formatLongDate, formatShortDate, formatTime, localDateStamp, utcOffsetMinutes } from "./format.mjs";
import { sessionTable } from "./snapshot-view.mjs";
import { keepOffline } from "./offline.mjs";
import { refusal as passcodeRefusal, unlockFromForm } from "./passcode.mjs";
import { MAX_DOCUMENT_BYTES, SESSION_COLUMNS } from "./facts.mjs";
import { isRequestLink } from "./request-link.mjs";

// The column the log is ordered by.
const DATE = SESSION_COLUMNS.find((column) => column.kind === "date").id;
const BACKUP_REMINDER_DAYS = 14;
/** The status line's short form on phones, by state, where the message does not give its own. */
const SHORT_STATUS = { loading: "Loading…", ready: "Ready ✓", saved: "Saved ✓", locked: "Locked", error: "Not saved ✕" };
const VIEW_DELAY_MS = 250;
// With more sessions than this, a page load shows the newest card open and folds the older ones.
const OPEN_CARDS_ON_LOAD = 3;


class WorksheetPage {
  constructor(root) {
    this.root = root;
    this.status = $("#ws-status");
    this.notice = $("#ws-notice");
    this.sessionList = $("#ws-session-list");
    this.template = $("#ws-session-template", document, HTMLTemplateElement);
    this.log = $("#ws-log");
    this.columns = SESSION_COLUMNS;
    this.viewTimer = null;
    this.pythonReady = false;
  }

  start() {
    const { doc, problem, locked } = store.load();
    this.doc = doc;
    if (problem) this.reportKeptAside(problem.reason);
    // An older version's data is shown once Python has migrated it (see migrateStored).
    if (doc.version === store.VERSION && !locked) this.fill();
    this.bind();
    this.bindLock();
    this.setFieldsEnabled(doc.version === store.VERSION && !locked);
    this.setStatus("loading", "Your answers are saved in this browser as you type. Loading the worksheet’s tools…");
    if (locked) this.showLocked({ focus: false });
    else this.showLockOffer();
    this.startPython();
    this.updateBackupReminder();
    // Ask the browser not to evict the answers under storage pressure (or, in Safari, after a week away).
    navigator.storage?.persist?.().catch(() => {});
  }

  // --- status and messages ------------------------------------------------------------------------------

  /** The status line says a whole sentence; on a phone only its short form shows, on one line, so the bars
   *  over the content stay small. Screen readers always hear the sentence (the short form is hidden from them). */
  setStatus(state, text, short = SHORT_STATUS[state]) {
    this.status.dataset.state = state;
    this.statusMessage = text;
    this.statusShort = short;
    const offline = !navigator.onLine;
    this.status.replaceChildren(
      element("span", { className: "ws-status-full", textContent: offline ? `You are offline. ${text}` : text }),
      element("span", { className: "ws-status-short", ariaHidden: "true", textContent: offline ? `Offline · ${short}` : short }),
    );
  }

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

  reportKeptAside(reason) {
    this.showNotice(
      `Some saved answers could not be read (${reason}). They have been kept aside on this device, not deleted.`,
      ["You can download them to look at them or to ask for help restoring them."],
      [["Download the kept-aside data", () => this.downloadKeptAside()]],
    );
  }

  downloadKeptAside() {
    const entries = store.keptAside();
    download(JSON.stringify(entries, null, 2), `notes-kept-aside-${localDateStamp()}.json`, "application/json");
  }

  // --- the form -----------------------------------------------------------------------------------------

  fields() {
    return this.root.querySelectorAll("[data-ws-field]");
  }

  setFieldsEnabled(enabled) {
    for (const field of this.fields()) field.disabled = !enabled;
    for (const control of this.root.querySelectorAll("#ws-add-session, [data-ws-session] :is(input, select, textarea, button)")) {
      control.disabled = !enabled;
    }
  }

  /** Show the document in the form. `keepFocused` leaves the field being typed in alone (for updates
   *  from another tab); a restore or a deletion replaces everything. */
  fill({ keepFocused = false } = {}) {
    for (const field of this.fields()) {
      if (keepFocused && field === document.activeElement) continue;
      const value = this.doc.answers[field.name];
      if (field.type === "checkbox") field.checked = value === true;
      else if (field.type === "radio") field.checked = value !== undefined && String(value) === field.value;
      else field.value = value === undefined ? "" : String(value);
      if (field.tagName === "TEXTAREA") this.fitHeight(field);
      this.updatePrintCopy(field);
    }
    this.renderSessions({ keepFocused });
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

  fitHeight(textarea) {
    textarea.style.height = "auto";
    textarea.style.height = `${textarea.scrollHeight + 2}px`;
  }

  save(change) {
    try {
      this.doc = store.edit(this.doc, change);
      const how = store.isUnlocked() ? "in this browser, encrypted," : "in this browser";
      const at = formatTime(new Date());
      this.setStatus("saved", `Saved ${how} at ${at}.`, `Saved ✓ ${at}`);
    } catch (error) {
      if (error instanceof store.LockedError) {
        this.showLocked({ focus: true }); // another tab has just set a passcode
        return;
      }
      if (!(error instanceof store.StorageFullError)) throw error;
      change(this.doc); // keep the change on screen so it can still be copied or downloaded
      this.setStatus("error", "Not saved: this browser’s storage for the site is full.");
      this.showNotice(
        "Your last change could not be saved because this browser’s storage is full. Everything saved before is safe.",
        ["Download a backup now so this change is not lost, then free some space in the browser."],
        [["Download a backup", () => this.exportAs("json")]],
      );
    }
    this.scheduleView();
    this.updateBackupReminder();
  }

  /** Keep one of the store's items, saying so when it could not be kept. */
  keepItem(name, value) {
    try {
      store.setItem(name, value);
    } catch (error) {
      this.notSaved(error);
    }
  }

  notSaved(error) {
    this.setStatus("error", "Not saved: your last change could not be stored.");
    this.showNotice(`Your last change could not be saved (${error.message || error.name}). Everything saved before is safe.`,
      ["Download a backup now so this change is not lost."], [["Download a backup", () => this.exportAs("json")]]);
  }

  bind() {
    this.root.addEventListener("input", (event) => this.onInput(event));
    this.root.addEventListener("change", (event) => this.onChange(event));
    $("#ws-add-session").addEventListener("click", () => this.addSession());
    // A changed date re-sorts the log only once focus has left that session: moving the card while its
    // date is being typed would throw the caret back to the first part of the date.
    this.sessionList.addEventListener("focusout", (event) => {
      const row = /** @type {Element} */ (event.target).closest("[data-ws-session]");
      if (row && !row.contains(/** @type {Node | null} */ (event.relatedTarget))) setTimeout(() => this.renderSessions({ reorder: true }));
    });
    $("#ws-log-as-table").addEventListener("click", () => this.showLogAs(this.log.dataset.view === "table" ? "cards" : "table"));
    $("#ws-log-expand").addEventListener("click", () => this.setCardsOpen(true));
    $("#ws-log-collapse").addEventListener("click", () => this.setCardsOpen(false));
    this.showLogAs(store.getItem("logView") === "table" ? "table" : "cards");
    for (const button of this.root.querySelectorAll("[data-ws-export]")) {
      button.addEventListener("click", () => this.exportAs(button.dataset.wsExport));
    }
    $("#ws-print").addEventListener("click", () => window.print());
    $("#ws-import-file").addEventListener("change", (event) => this.importFile(event.target));
    $("#ws-delete-all").addEventListener("click", () => this.deleteEverything());
    window.addEventListener("storage", (event) => this.onOtherTab(event));
    for (const change of ["online", "offline"]) {
      window.addEventListener(change, () => this.setStatus(this.status.dataset.state, this.statusMessage, this.statusShort));
    }
  }

  onInput(event) {
    const field = event.target;
    if (field.matches("textarea")) this.fitHeight(field);
    if (field.matches("[data-ws-field]")) this.updatePrintCopy(field);
    if (field.matches("[data-ws-field]") && field.type !== "checkbox" && field.type !== "radio") {
      this.save((doc) => store.setAnswer(doc, field.name, field.value));
    } else if (field.matches("[data-ws-column]") && field.type !== "date") {
      const row = field.closest("[data-ws-session]");
      this.save((doc) => store.setSessionField(doc, row.dataset.id, field.dataset.wsColumn, field.value));
      this.renderSessions();
    }
  }

  onChange(event) {
    const field = event.target;
    if (field.matches("[data-ws-field]") && field.type === "checkbox") {
      this.save((doc) => store.setAnswer(doc, field.name, field.checked));
    } else if (field.matches("[data-ws-field]") && field.type === "radio") {
      this.save((doc) => store.setAnswer(doc, field.name, field.value));
    } else if (field.matches("[data-ws-column]")) {
      const row = field.closest("[data-ws-session]");
      this.save((doc) => store.setSessionField(doc, row.dataset.id, field.dataset.wsColumn, field.value));
      this.renderSessions();
    }
  }

  async onOtherTab(event) {
    if (event.key === store.KEYS.locked) {
      await this.onOtherTabLock(event);
      return;
    }
    if (store.isLocked() && event.key !== null) return; // the plain copy going away as a passcode is set
    if (event.key !== store.KEYS.answers || event.newValue === null) {
      if (event.key === store.KEYS.answers || event.key === null) { this.doc = store.emptyDocument(); this.fill(); this.scheduleView(); }
      return;
    }
    const { doc } = store.load();
    if (doc.version !== store.VERSION) return;
    this.doc = doc;
    this.fill({ keepFocused: true });
    this.scheduleView();
    this.setStatus("saved", "Updated with changes made in another tab.", "Updated from another tab");
  }

  async onOtherTabLock(event) {
    if (event.newValue === null) { // the passcode was removed (or everything erased) in another tab
      store.lock();
      this.doc = store.load().doc;
      this.showLockOffer();
      document.dispatchEvent(new CustomEvent("tsw:answers-shown"));
      this.fill();
      this.setFieldsEnabled(this.doc.version === store.VERSION);
      this.scheduleView();
      return;
    }
    if (!store.isUnlocked()) {
      if (this.root.dataset.wsLocked !== "true") this.showLocked({ focus: false }); // a passcode set elsewhere
      return;
    }
    this.doc = store.reload();
    this.fill({ keepFocused: true });
    this.scheduleView();
    this.setStatus("saved", "Updated with changes made in another tab.", "Updated from another tab");
  }

  // --- the passcode lock ------------------------------------------------------------------------------

  bindLock() {
    this.lockAfter = $("#ws-lock-after", document, HTMLSelectElement);
    // Without a stored choice, the option the markup marks as selected is the default.
    this.defaultLockAfter = Number(this.lockAfter.value); // the option the markup marks as selected
    this.readLockAfter();
    this.lockAfter.addEventListener("change", () => {
      this.lockAfterSeconds = Number(this.lockAfter.value);
      this.keepItem("lockAfterSeconds", this.lockAfterSeconds);
      this.keepAwake();
    });
    $("#ws-lock-open", document, HTMLButtonElement).disabled = false;
    $("#ws-lock-open").addEventListener("click", () => this.showLockForm());
    $("#ws-lock-cancel").addEventListener("click", () => this.showLockOffer({ focus: true }));
    $("#ws-lock-set").addEventListener("submit", (event) => { event.preventDefault(); this.setPasscode(); });
    $("#ws-unlock").addEventListener("submit", (event) => { event.preventDefault(); this.unlock(); });
    $("#ws-lock-now").addEventListener("click", () => this.lockNow());
    $("#ws-lock-remove").addEventListener("click", () => this.removePasscode());
    $("#ws-lock-forgot").addEventListener("click", () => this.forgotPasscode());
    for (const activity of ["input", "keydown", "pointerdown"]) {
      document.addEventListener(activity, () => this.keepAwake(), { passive: true });
    }
    // Leaving in a hurry (quick-exit.mjs): the key goes at once, and the answers leave the page (which the
    // back/forward cache may keep); every change is already saved.
    document.addEventListener("tsw:quick-exit", () => {
      store.lock();
      this.clearAnswersFromPage();
    });
  }

  /** The idle time chosen (kept with the answers, so unreadable while they are locked), or the default. */
  readLockAfter() {
    const stored = Number(store.getItem("lockAfterSeconds"));
    this.lockAfterSeconds = Number.isFinite(stored) && stored > 0 ? stored : this.defaultLockAfter;
    if ([...this.lockAfter.options].some((option) => Number(option.value) === this.lockAfterSeconds)) {
      this.lockAfter.value = String(this.lockAfterSeconds);
    }
  }

  lockParts(shown) {
    for (const id of ["ws-lock-offer", "ws-lock-set", "ws-lock-controls", "ws-unlock"]) $(`#${id}`).hidden = id !== shown;
  }

  showLockOffer({ focus = false } = {}) {
    delete this.root.dataset.wsLocked;
    this.lockParts(store.isUnlocked() ? "ws-lock-controls" : "ws-lock-offer");
    if (focus) $(store.isUnlocked() ? "#ws-lock-now" : "#ws-lock-open").focus();
  }

  showLockForm() {
    this.lockParts("ws-lock-set");
    $("#ws-lock-set-message").textContent = "";
    $("#ws-passcode-new").focus();
  }

  async setPasscode() {
    const code = $("#ws-passcode-new", document, HTMLInputElement).value;
    const message = $("#ws-lock-set-message");
    message.textContent = "Checking the passcode…";
    const refused = await passcodeRefusal(code, $("#ws-passcode-repeat", document, HTMLInputElement).value);
    if (refused) {
      message.textContent = refused.text;
      $(`#ws-passcode-${refused.field}`).focus();
      return;
    }
    message.textContent = "Locking…";
    this.doc = await store.setPasscode(code);
    for (const id of ["#ws-passcode-new", "#ws-passcode-repeat"]) $(id, document, HTMLInputElement).value = "";
    message.textContent = "";
    this.showLockOffer({ focus: true });
    this.setStatus("saved", "Locked with your passcode: your answers are now stored encrypted.", "Encrypted ✓");
    this.keepAwake();
  }

  /** Take every answer off the page: the form, the log, the chart, the print copies, the preview. */
  clearAnswersFromPage() {
    this.doc = store.emptyDocument();
    this.fill({ keepFocused: false });
    for (const copy of this.root.querySelectorAll(".ws-print-copy")) copy.textContent = "";
    $("#ws-chart").replaceChildren();
    $("#ws-progress").hidden = true;
    // The share panel takes what it shows off the page itself (share.mjs).
    document.dispatchEvent(new CustomEvent("tsw:answers-hidden"));
  }

  showLocked({ focus }) {
    clearTimeout(this.idleTimer);
    this.clearAnswersFromPage();
    this.root.dataset.wsLocked = "true";
    this.notice.hidden = true;
    this.lockParts("ws-unlock");
    $("#ws-unlock-message").textContent = "";
    this.setFieldsEnabled(false);
    // Opened from a therapist's request link: say so at once, and bring the passcode field (far below the
    // top of the page) to the person, rather than leave the request unseen until after unlocking.
    const asked = isRequestLink(location.hash);
    this.setStatus("locked", asked
      ? "Your therapist asked for your answers. They are locked: enter your passcode to see and send them."
      : "Your answers are locked. Enter your passcode to see them.");
    if (focus || asked) $("#ws-passcode").focus();
  }

  async unlock() {
    const outcome = await unlockFromForm($("#ws-passcode", document, HTMLInputElement), $("#ws-unlock-message"),
      (code) => store.unlock(code), { locked: "Your locked answers", kept: "They are kept on this device as they are." });
    if (!outcome.unlocked) return;
    this.doc = outcome.value;
    this.showLockOffer();
    this.readLockAfter();
    this.showLogAs(store.getItem("logView") === "table" ? "table" : "cards");
    document.dispatchEvent(new CustomEvent("tsw:answers-shown"));
    if (this.pythonReady && this.doc.version !== store.VERSION) await this.migrateStored();
    this.fill();
    this.setFieldsEnabled(this.doc.version === store.VERSION);
    this.scheduleView(0);
    this.updateBackupReminder();
    this.setStatus("saved", "Unlocked. Your answers are saved in this browser, encrypted, as you type.", "Unlocked ✓");
    $("#ws-lock-now").focus();
    this.keepAwake();
  }

  lockNow() {
    store.lock();
    this.showLocked({ focus: true });
  }

  /** Lock again after the chosen time without input, while a passcode is set and the page is unlocked. */
  keepAwake() {
    clearTimeout(this.idleTimer);
    if (!store.isUnlocked()) return;
    this.idleTimer = setTimeout(() => this.lockNow(), this.lockAfterSeconds * 1000);
  }

  async removePasscode() {
    if (!(await this.confirm("Remove the passcode?", "Your answers will be stored in this browser without encryption again, and anyone using this browser could read them.", "Remove passcode"))) return;
    clearTimeout(this.idleTimer);
    this.doc = store.removePasscode();
    this.showLockOffer({ focus: true });
    this.setStatus("saved", "The passcode was removed. Your answers are saved in this browser as you type.", "Passcode removed");
  }

  async forgotPasscode() {
    if (!(await this.confirm("Erase everything on this device?", "Without the passcode nobody can open the locked answers, including us. Erasing removes them, and everything else this site keeps in this browser, so that you can start again. This cannot be undone.", "Erase everything"))) return;
    store.deleteEverything();
    this.doc = store.emptyDocument();
    this.showLockOffer({ focus: true });
    this.fill();
    this.setFieldsEnabled(true);
    this.scheduleView(0);
    this.updateBackupReminder();
    this.setStatus("saved", "Everything was erased from this device.", "Erased ✓");
  }

  // --- the session log ----------------------------------------------------------------------------------

  addSession() {
    const id = `s${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const session = Object.fromEntries(this.columns.map((column) => [column.id, null]));
    Object.assign(session, { id, [DATE]: localDateStamp() });
    this.save((doc) => doc.sessions.push(session));
    this.showLogAs("cards");
    this.renderSessions({ reorder: true });
    /** @type {HTMLInputElement | null} */ (this.sessionList.querySelector(`[data-id="${CSS.escape(id)}"] input[type="date"]`))?.focus();
  }

  async deleteSession(id, title) {
    if (!(await this.confirm(`Delete ${title}?`, "This session’s date, topic, ratings and notes will be removed from this device.", "Delete session"))) return;
    const index = this.rows().findIndex((row) => row.dataset.id === id);
    this.save((doc) => { doc.sessions = doc.sessions.filter((row) => row.id !== id); });
    this.renderSessions({ reorder: true });
    const rows = this.rows();
    (rows[Math.min(index, rows.length - 1)]?.querySelector("input") || $("#ws-add-session")).focus();
  }

  /** The session cards as they stand in the list. @returns {HTMLElement[]} */
  rows() {
    return /** @type {HTMLElement[]} */ ([...this.sessionList.children]);
  }

  orderedSessions() {
    const order = new Map(this.doc.sessions.map((session, index) => [session.id, index]));
    return [...this.doc.sessions].sort((a, b) =>
      (a[DATE] ? 0 : 1) - (b[DATE] ? 0 : 1) || (a[DATE] || "").localeCompare(b[DATE] || "") || order.get(a.id) - order.get(b.id));
  }

  /** The sessions in the order their cards stand now; sessions without a card go last, by date. */
  shownOrder() {
    const shown = this.rows().map((row) => row.dataset.id);
    const position = (session) => (shown.includes(session.id) ? shown.indexOf(session.id) : Infinity);
    return this.orderedSessions().sort((a, b) => position(a) - position(b));
  }

  /** Bring the cards and the table up to date with the document. The cards are sorted by date unless
   *  focus is inside the log (see the focusout listener): `reorder` overrides that. */
  renderSessions({ keepFocused = true, reorder = !this.sessionList.contains(document.activeElement) } = {}) {
    const focused = document.activeElement;
    const rows = new Map(this.rows().map((row) => [row.dataset.id, row]));
    const firstRender = rows.size === 0;
    const sessions = reorder ? this.orderedSessions() : this.shownOrder();
    sessions.forEach((session, index) => {
      let row = rows.get(session.id);
      if (!row) {
        const foldOlder = firstRender && sessions.length > OPEN_CARDS_ON_LOAD && index < sessions.length - 1;
        row = this.createRow(session.id, !foldOlder);
      }
      rows.delete(session.id);
      const date = session[DATE] ? formatLongDate(session[DATE]) : "no date yet";
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
        if (control.tagName === "TEXTAREA") this.fitHeight(control);
      }
      if (this.sessionList.children[index] !== row) this.sessionList.insertBefore(row, this.sessionList.children[index] || null);
    });
    for (const row of rows.values()) row.remove();
    if (focused instanceof HTMLElement && this.sessionList.contains(focused) && document.activeElement !== focused) focused.focus();
    $("#ws-sessions-empty").hidden = sessions.length > 0;
    $("#ws-log-views").hidden = sessions.length === 0;
    this.renderLogTable(sessions);
  }

  /** The whole log as one compact table: an overview on screen, and what the log prints as. */
  renderLogTable(sessions) {
    const rows = sessions.map((session, index) => this.columns.map((column) => {
      const value = session[column.id];
      if (column.kind === "date") return value ? formatShortDate(value) : "no date";
      return value === null || value === undefined ? "" : String(value);
    }));
    const edit = (index) => {
      const button = element("button", { type: "button", className: "md-button ws-log-edit", textContent: "Edit" });
      button.setAttribute("aria-label", `Edit session ${index + 1}`);
      button.addEventListener("click", () => this.editSession(sessions[index].id));
      return button;
    };
    $("#ws-log-table").replaceChildren(sessionTable(this.columns, rows, { caption: "Sessions", action: edit }));
  }

  /** A card's ratings in one line, shown beside its title so a folded card still says the most. */
  ratings(session) {
    const given = this.columns.filter((column) => column.kind === "scale" && session[column.id] !== null && session[column.id] !== undefined);
    // "Trust (1-10)" reads as "Trust: 6" here: the scale is in the card's own labels.
    const name = (column) => column.label.replace(/\s*\(.*\)$/, "");
    return given.length ? ` · ${given.map((column) => `${name(column)}: ${session[column.id]}`).join(", ")}` : "";
  }

  showLogAs(view) {
    this.log.dataset.view = view;
    $("#ws-log-as-table").setAttribute("aria-pressed", String(view === "table"));
    if (store.isShut()) return; // nothing is kept while locked
    this.keepItem("logView", view);
  }

  setCardsOpen(open) {
    for (const card of this.sessionList.querySelectorAll("details")) card.open = open;
  }

  editSession(id) {
    this.showLogAs("cards");
    const row = this.sessionList.querySelector(`[data-id="${CSS.escape(id)}"]`);
    $("details", row, HTMLDetailsElement).open = true;
    $("[data-ws-column]", row).focus();
  }

  /** @param {string} id @param {boolean} open @returns {HTMLElement} */
  createRow(id, open) {
    const row = /** @type {HTMLElement} */ (this.template.content.firstElementChild.cloneNode(true));
    row.dataset.id = id;
    $("details", row, HTMLDetailsElement).open = open;
    for (const element of row.querySelectorAll("[id], [for], [aria-describedby]")) {
      for (const attribute of ["id", "for", "aria-describedby"]) {
        const value = element.getAttribute(attribute);
        if (value) element.setAttribute(attribute, value.replaceAll("ROW-", `session-${id}-`));
      }
    }
    $("[data-ws-delete-session]", row).addEventListener("click", () => this.deleteSession(id, row.dataset.title));
    return row;
  }

  // --- Python: checks, progress, exports ----------------------------------------------------------------

  startPython() {
    // The service worker starts once Python has its files, so it never competes with them.
    python().ready.finally(() => keepOffline());
    python().ready.then(
      async () => {
        this.pythonReady = true;
        for (const button of this.root.querySelectorAll("[data-ws-export], #ws-import-file, #ws-delete-all, #ws-add-session")) button.disabled = false;
        if (this.doc.version !== store.VERSION && this.root.dataset.wsLocked !== "true") await this.migrateStored();
        this.setFieldsEnabled(this.root.dataset.wsLocked !== "true");
        this.root.dataset.python = "ready";
        // Only over "Loading…": a message the person's own action left (saved, erased, locked) stays.
        if (this.status.dataset.state === "loading") this.setStatus("ready", "Ready. Your answers are saved in this browser as you type.");
        this.scheduleView(0);
      },
      (error) => {
        this.root.dataset.python = "failed";
        $("#ws-add-session", document, HTMLButtonElement).disabled = false;
        $("#ws-delete-all", document, HTMLButtonElement).disabled = false;
        this.setFieldsEnabled(this.doc.version === store.VERSION && this.root.dataset.wsLocked !== "true");
        this.setStatus("saved", "Your answers are saved in this browser as you type.");
        this.showNotice(
          "The worksheet’s tools (the progress chart, downloads and restoring a backup) could not load. Your answers are still saved in this browser as you type.",
          [],
          [["Try again", () => location.reload()]],
        );
        console.warn("worksheet tools unavailable:", error.message);
      },
    );
  }

  async migrateStored() {
    const original = store.isUnlocked() ? JSON.stringify(this.doc) : localStorage.getItem(store.KEYS.answers);
    const outcome = await python().call("view", { document: this.doc });
    if (outcome.error) {
      const aside = store.keepAside(original, "it could not be updated to this version");
      if (store.isUnlocked()) store.replace(store.emptyDocument());
      else localStorage.removeItem(store.KEYS.answers);
      this.doc = store.emptyDocument();
      this.reportKeptAside(aside.reason);
    } else {
      store.keepAside(original, "copy kept from before the update");
      this.doc = store.replace(outcome.ok.document);
    }
    this.fill();
  }

  scheduleView(delay = VIEW_DELAY_MS) {
    if (!this.pythonReady) return;
    clearTimeout(this.viewTimer);
    this.viewTimer = setTimeout(() => this.refreshView(), delay);
  }

  async refreshView() {
    const outcome = await python().call("view", { document: this.doc });
    const problems = document.getElementById("ws-problems") || this.createProblemsArea();
    if (outcome.error) {
      problems.hidden = false;
      $("ul", problems).replaceChildren(...outcome.error.map((text) => element("li", { textContent: text })));
      return;
    }
    problems.hidden = true;
    const { summary, description, chart } = outcome.ok;
    const progress = $("#ws-progress");
    progress.hidden = !summary.first_date;
    $("#ws-progress-description").textContent = description;
    const svg = new DOMParser().parseFromString(chart, "image/svg+xml").documentElement;
    $("#ws-chart").replaceChildren(document.importNode(svg, true));
  }

  createProblemsArea() {
    const area = element("div", { id: "ws-problems", className: "ws-problems", hidden: true },
      element("p", { textContent: "Some answers need a look (they are saved as they are):" }), element("ul"));
    area.setAttribute("role", "status");
    this.status.parentElement.after(area);
    return area;
  }

  async exportAs(kind) {
    const outcome = await python().call("exports", { document: this.doc, utc_offset_minutes: utcOffsetMinutes() });
    if (outcome.error) {
      this.showNotice("The download could not be made because some answers need a look:", outcome.error);
      return;
    }
    const types = { json: ["json", "application/json"], markdown: ["md", "text/markdown"], csv: ["csv", "text/csv"] };
    const [extension, type] = types[kind];
    // Plain names: a Downloads folder others can see should not say what the file is about.
    const name = kind === "csv" ? "notes-log" : "notes";
    download(outcome.ok[kind], `${name}-${localDateStamp()}.${extension}`, `${type};charset=utf-8`);
    if (kind === "json") {
      this.keepItem("lastBackup", new Date().toISOString());
      this.updateBackupReminder();
    }
  }

  updateBackupReminder() {
    const reminder = $("#ws-backup-reminder");
    const last = store.getItem("lastBackup");
    const days = last ? (Date.now() - Date.parse(last)) / 86400000 : Infinity;
    reminder.hidden = !store.hasAnswers(this.doc) || days < BACKUP_REMINDER_DAYS;
    reminder.textContent = last
      ? `Your last backup was ${Math.floor(days)} days ago. A fresh one keeps your newer answers safe too.`
      : "You have not downloaded a backup yet. It takes a moment and keeps your answers safe if this browser clears its data.";
  }

  async importFile(input) {
    const file = input.files[0];
    input.value = "";
    if (!file) return;
    if (file.size > MAX_DOCUMENT_BYTES) {
      this.showNotice("This file is too large to be a worksheet backup. Nothing was changed.");
      return;
    }
    const outcome = await python().call("import", { text: await file.text() });
    if (outcome.error) {
      this.showNotice(`“${file.name}” could not be restored. Nothing was changed.`, outcome.error);
      return;
    }
    if (store.hasAnswers(this.doc) &&
        !(await this.confirm("Replace your current answers?", "The answers on this page will be replaced by the ones in the backup file. If you are not sure, cancel and download a backup of your current answers first.", "Replace my answers"))) {
      return;
    }
    this.doc = store.replace(outcome.ok.document);
    this.fill();
    this.scheduleView(0);
    this.setStatus("saved", `Restored from “${file.name}” and saved in this browser.`, "Restored ✓");
  }

  async deleteEverything() {
    if (!(await this.confirm("Delete everything on this device?", "All your answers, your session log and any kept-aside data will be removed from this browser. Download a backup first if you may want them later. This cannot be undone.", "Delete everything"))) return;
    store.deleteEverything();
    this.doc = store.emptyDocument();
    this.fill();
    this.scheduleView(0);
    this.updateBackupReminder();
    this.setStatus("saved", "Everything was deleted from this device.", "Deleted ✓");
  }

  confirm(title, text, action) {
    const dialog = $("#ws-confirm", document, HTMLDialogElement);
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

startPage("article.md-content__inner:has([data-ws-section])", (root) => new WorksheetPage(root));
