// @ts-check
// The worksheet page's thin JavaScript layer: binds the build-time form to localStorage (saved at once,
// with or without Python), and asks the Python worker for checks, the progress chart and exports.
import * as store from "./store.mjs";
import { python } from "./python.mjs";
import { $, download, element, fitHeight, startPage } from "./dom.mjs";
import { formatTime, localDateStamp, utcOffsetMinutes } from "./format.mjs";
import { keepOffline } from "./offline.mjs";
import { MAX_DOCUMENT_BYTES } from "./facts.mjs";
import { LockPanel } from "./lock-panel.mjs";
import { PageVoice } from "./page-voice.mjs";
import { SessionLog } from "./session-log.mjs";

const BACKUP_REMINDER_DAYS = 14;
const VIEW_DELAY_MS = 250;


class WorksheetPage {
  constructor(root) {
    this.root = root;
    this.voice = new PageVoice();
    this.lock = new LockPanel(root, {
      voice: this.voice,
      keepItem: (name, value) => this.keepItem(name, value),
      hideAnswers: () => this.clearAnswersFromPage(),
      locked: () => {
        this.clearAnswersFromPage();
        this.setFieldsEnabled(false);
      },
      showAnswers: (doc) => this.showAnswers(doc),
      erased: () => this.startAgain(),
    });
    this.sessions = new SessionLog({
      doc: () => this.doc,
      save: (change) => this.save(change),
      keepItem: (name, value) => this.keepItem(name, value),
      voice: this.voice,
    });
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
    this.lock.bind();
    this.setFieldsEnabled(doc.version === store.VERSION && !locked);
    this.voice.setStatus("loading", "Your answers are saved in this browser as you type. Loading the worksheet’s tools…");
    if (locked) this.lock.showLocked({ focus: false });
    else this.lock.showOffer();
    this.startPython();
    this.updateBackupReminder();
    // Ask the browser not to evict the answers under storage pressure (or, in Safari, after a week away).
    navigator.storage?.persist?.().catch(() => {});
  }

  // --- kept-aside data ------------------------------------------------------------------------------

  reportKeptAside(reason) {
    this.voice.showNotice(
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
      if (field instanceof HTMLTextAreaElement) fitHeight(field);
      this.updatePrintCopy(field);
    }
    this.sessions.render({ keepFocused });
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

  save(change) {
    try {
      this.doc = store.edit(this.doc, change);
      const how = store.isUnlocked() ? "in this browser, encrypted," : "in this browser";
      const at = formatTime(new Date());
      this.voice.setStatus("saved", `Saved ${how} at ${at}.`, `Saved ✓ ${at}`);
    } catch (error) {
      if (error instanceof store.LockedError) {
        this.lock.showLocked({ focus: true }); // another tab has just set a passcode
        return;
      }
      if (!(error instanceof store.StorageFullError)) throw error;
      change(this.doc); // keep the change on screen so it can still be copied or downloaded
      this.voice.setStatus("error", "Not saved: this browser’s storage for the site is full.");
      this.voice.showNotice(
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
    this.voice.setStatus("error", "Not saved: your last change could not be stored.");
    this.voice.showNotice(`Your last change could not be saved (${error.message || error.name}). Everything saved before is safe.`,
      ["Download a backup now so this change is not lost."], [["Download a backup", () => this.exportAs("json")]]);
  }

  bind() {
    this.root.addEventListener("input", (event) => this.onInput(event));
    this.root.addEventListener("change", (event) => this.onChange(event));
    this.sessions.bind();
    for (const button of this.root.querySelectorAll("[data-ws-export]")) {
      button.addEventListener("click", () => this.exportAs(button.dataset.wsExport));
    }
    $("#ws-print").addEventListener("click", () => window.print());
    $("#ws-import-file").addEventListener("change", (event) => this.importFile(event.target));
    $("#ws-delete-all").addEventListener("click", () => this.deleteEverything());
    window.addEventListener("storage", (event) => this.onOtherTab(event));
  }

  onInput(event) {
    const field = event.target;
    if (field instanceof HTMLTextAreaElement) fitHeight(field);
    if (field.matches("[data-ws-field]")) this.updatePrintCopy(field);
    if (field.matches("[data-ws-field]") && field.type !== "checkbox" && field.type !== "radio") {
      this.save((doc) => store.setAnswer(doc, field.name, field.value));
    } else if (field.matches("[data-ws-column]") && field.type !== "date") {
      const row = field.closest("[data-ws-session]");
      this.save((doc) => store.setSessionField(doc, row.dataset.id, field.dataset.wsColumn, field.value));
      this.sessions.render();
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
      this.sessions.render();
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
    this.voice.setStatus("saved", "Updated with changes made in another tab.", "Updated from another tab");
  }

  async onOtherTabLock(event) {
    if (event.newValue === null) { // the passcode was removed (or everything erased) in another tab
      store.lock();
      this.doc = store.load().doc;
      this.lock.showOffer();
      document.dispatchEvent(new CustomEvent("tsw:answers-shown"));
      this.fill();
      this.setFieldsEnabled(this.doc.version === store.VERSION);
      this.scheduleView();
      return;
    }
    if (!store.isUnlocked()) {
      if (!this.lock.isShown) this.lock.showLocked({ focus: false }); // a passcode set elsewhere
      return;
    }
    this.doc = store.reload();
    this.fill({ keepFocused: true });
    this.scheduleView();
    this.voice.setStatus("saved", "Updated with changes made in another tab.", "Updated from another tab");
  }

  // --- the answers on and off the page (the lock panel says when) ----------------------------------------

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

  /** Unlocked: the answers back on the page (brought up to this version first, if need be). */
  async showAnswers(doc) {
    this.doc = doc;
    this.sessions.showStoredView();
    document.dispatchEvent(new CustomEvent("tsw:answers-shown"));
    if (this.pythonReady && this.doc.version !== store.VERSION) await this.migrateStored();
    this.fill();
    this.setFieldsEnabled(this.doc.version === store.VERSION);
    this.scheduleView(0);
    this.updateBackupReminder();
  }

  /** Everything this site kept was erased: an empty worksheet, ready to start again. */
  startAgain() {
    this.doc = store.emptyDocument();
    this.fill();
    this.setFieldsEnabled(true);
    this.scheduleView(0);
    this.updateBackupReminder();
  }

  // --- Python: checks, progress, exports ----------------------------------------------------------------

  startPython() {
    // The service worker starts once Python has its files, so it never competes with them.
    python().ready.finally(() => keepOffline());
    python().ready.then(
      async () => {
        this.pythonReady = true;
        for (const button of this.root.querySelectorAll("[data-ws-export], #ws-import-file, #ws-delete-all, #ws-add-session")) button.disabled = false;
        if (this.doc.version !== store.VERSION && !this.lock.isShown) await this.migrateStored();
        this.setFieldsEnabled(!this.lock.isShown);
        this.root.dataset.python = "ready";
        // Only over "Loading…": a message the person's own action left (saved, erased, locked) stays.
        if (this.voice.state === "loading") this.voice.setStatus("ready", "Ready. Your answers are saved in this browser as you type.");
        this.scheduleView(0);
      },
      (error) => {
        this.root.dataset.python = "failed";
        $("#ws-add-session", document, HTMLButtonElement).disabled = false;
        $("#ws-delete-all", document, HTMLButtonElement).disabled = false;
        this.setFieldsEnabled(this.doc.version === store.VERSION && !this.lock.isShown);
        this.voice.setStatus("saved", "Your answers are saved in this browser as you type.");
        this.voice.showNotice(
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
    this.voice.status.parentElement.after(area);
    return area;
  }

  async exportAs(kind) {
    const outcome = await python().call("exports", { document: this.doc, utc_offset_minutes: utcOffsetMinutes() });
    if (outcome.error) {
      this.voice.showNotice("The download could not be made because some answers need a look:", outcome.error);
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
      this.voice.showNotice("This file is too large to be a worksheet backup. Nothing was changed.");
      return;
    }
    const outcome = await python().call("import", { text: await file.text() });
    if (outcome.error) {
      this.voice.showNotice(`“${file.name}” could not be restored. Nothing was changed.`, outcome.error);
      return;
    }
    if (store.hasAnswers(this.doc) &&
        !(await this.voice.confirm("Replace your current answers?", "The answers on this page will be replaced by the ones in the backup file. If you are not sure, cancel and download a backup of your current answers first.", "Replace my answers"))) {
      return;
    }
    this.doc = store.replace(outcome.ok.document);
    this.fill();
    this.scheduleView(0);
    this.voice.setStatus("saved", `Restored from “${file.name}” and saved in this browser.`, "Restored ✓");
  }

  async deleteEverything() {
    if (!(await this.voice.confirm("Delete everything on this device?", "All your answers, your session log and any kept-aside data will be removed from this browser. Download a backup first if you may want them later. This cannot be undone.", "Delete everything"))) return;
    store.deleteEverything();
    this.doc = store.emptyDocument();
    this.fill();
    this.scheduleView(0);
    this.updateBackupReminder();
    this.voice.setStatus("saved", "Everything was deleted from this device.", "Deleted ✓");
  }
}

startPage("article.md-content__inner:has([data-ws-section])", (root) => new WorksheetPage(root));
