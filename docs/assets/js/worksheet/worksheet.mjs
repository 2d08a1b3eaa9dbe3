// @ts-check
// The worksheet page: it wires its parts together and owns the answers on the page (`doc`). The parts receive
// what they need and never import the page: the form (worksheet-form.mjs), the session log (session-log.mjs),
// the passcode lock (lock-panel.mjs), the files (worksheet-files.mjs) and the page's voice (page-voice.mjs).
// Saving goes to localStorage at once, with or without Python; Python (in a worker) checks the answers and
// draws the progress chart.
import * as store from "./store.mjs";
import { python } from "../core/python.mjs";
import { $, element, startPage } from "../core/dom.mjs";
import { formatTime } from "../core/format.mjs";
import { keepOffline } from "../core/offline.mjs";
import { LockPanel } from "./lock-panel.mjs";
import { PageVoice } from "./page-voice.mjs";
import { SessionLog } from "./session-log.mjs";
import { WorksheetFiles } from "./worksheet-files.mjs";
import { WorksheetForm } from "./worksheet-form.mjs";

const VIEW_DELAY_MS = 250;

class WorksheetPage {
  constructor(root) {
    this.root = root;
    this.viewTimer = null;
    this.pythonReady = false;
    const doc = () => this.doc;
    const save = (change) => this.save(change);
    const keepItem = (name, value) => this.keepItem(name, value);
    this.voice = new PageVoice();
    // Only a worksheet whose content has a log has one on its page.
    this.sessions = document.getElementById("ws-log") ? new SessionLog({ doc, save, keepItem, voice: this.voice }) : null;
    this.form = new WorksheetForm(root, { save, sessions: this.sessions });
    this.files = new WorksheetFiles(root, {
      doc,
      keepItem,
      voice: this.voice,
      replaced: (replacement) => {
        this.doc = replacement;
        this.fill();
        this.scheduleView(0);
      },
      erased: () => this.startAgain(),
    });
    this.lock = new LockPanel(root, {
      voice: this.voice,
      keepItem,
      hideAnswers: () => this.clearAnswersFromPage(),
      locked: () => {
        this.clearAnswersFromPage();
        this.form.setEnabled(false);
      },
      showAnswers: (unlocked) => this.showAnswers(unlocked),
      erased: () => this.startAgain(),
    });
  }

  start() {
    const movedAside = store.openPageWorksheet();
    const { doc, problem, locked } = store.load();
    this.doc = doc;
    if (problem) this.files.reportKeptAside(problem.reason);
    else if (movedAside) this.files.reportKeptAside("an earlier version of this site saved them after this one had moved its copy");
    // An older version's data is shown once Python has migrated it (see migrateStored).
    if (doc.version === store.VERSION && !locked) this.fill();
    this.form.bind();
    this.sessions?.bind();
    this.files.bind();
    this.lock.bind();
    window.addEventListener("storage", (event) => this.onOtherTab(event));
    this.form.setEnabled(doc.version === store.VERSION && !locked);
    this.voice.setStatus("loading", "Your answers are saved in this browser as you type. Loading the worksheet’s tools…");
    if (locked) this.lock.showLocked({ focus: false });
    else this.lock.showOffer();
    this.startPython();
    this.files.updateBackupReminder();
    // Ask the browser not to evict the answers under storage pressure (or, in Safari, after a week away).
    navigator.storage?.persist?.().catch(() => {});
  }

  /** Show the document on the page. `keepFocused` leaves the field being typed in alone. */
  fill({ keepFocused = false } = {}) {
    this.form.fill(this.doc, { keepFocused });
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
        [["Download a backup", () => this.files.exportAs("json")]],
      );
    }
    this.scheduleView();
    this.files.updateBackupReminder();
  }

  /** Keep one of the store's items, saying so when it could not be kept. */
  keepItem(name, value) {
    try {
      store.setItem(name, value);
    } catch (error) {
      this.voice.setStatus("error", "Not saved: your last change could not be stored.");
      this.voice.showNotice(`Your last change could not be saved (${error.message || error.name}). Everything saved before is safe.`,
        ["Download a backup now so this change is not lost."], [["Download a backup", () => this.files.exportAs("json")]]);
    }
  }

  // --- another tab's changes ----------------------------------------------------------------------------

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
      this.form.setEnabled(this.doc.version === store.VERSION);
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

  // --- the answers on and off the page (the lock panel and the files say when) -----------------------------

  /** Take every answer off the page: the form, the log, the chart, the print copies, the preview. */
  clearAnswersFromPage() {
    this.doc = store.emptyDocument();
    this.fill();
    this.form.clearPrintCopies();
    $("#ws-chart").replaceChildren();
    $("#ws-progress").hidden = true;
    // The share panel takes what it shows off the page itself (share.mjs).
    document.dispatchEvent(new CustomEvent("tsw:answers-hidden"));
  }

  /** Unlocked: the answers back on the page (brought up to this version first, if need be). */
  async showAnswers(doc) {
    this.doc = doc;
    this.sessions?.showStoredView();
    document.dispatchEvent(new CustomEvent("tsw:answers-shown"));
    if (this.pythonReady && this.doc.version !== store.VERSION) await this.migrateStored();
    this.fill();
    this.form.setEnabled(this.doc.version === store.VERSION);
    this.scheduleView(0);
    this.files.updateBackupReminder();
  }

  /** Everything this site kept was erased: an empty worksheet, ready to start again. */
  startAgain() {
    this.doc = store.emptyDocument();
    this.fill();
    this.form.setEnabled(true);
    this.scheduleView(0);
    this.files.updateBackupReminder();
  }

  // --- Python: checks and the progress chart -------------------------------------------------------------

  startPython() {
    // The service worker starts once Python has its files, so it never competes with them.
    python().ready.finally(() => keepOffline());
    python().memory.then((memory) => { this.root.dataset.pythonMemory = memory; });
    python().ready.then(
      async () => {
        this.pythonReady = true;
        for (const button of this.root.querySelectorAll("[data-ws-export], #ws-import-file, #ws-delete-all, #ws-add-session")) button.disabled = false;
        if (this.doc.version !== store.VERSION && !this.lock.isShown) await this.migrateStored();
        this.form.setEnabled(!this.lock.isShown);
        this.root.dataset.python = "ready";
        // Only over "Loading…": a message the person's own action left (saved, erased, locked) stays.
        if (this.voice.state === "loading") this.voice.setStatus("ready", "Ready. Your answers are saved in this browser as you type.");
        this.scheduleView(0);
      },
      (error) => {
        this.root.dataset.python = "failed";
        $("#ws-add-session", document, HTMLButtonElement).disabled = false;
        $("#ws-delete-all", document, HTMLButtonElement).disabled = false;
        this.form.setEnabled(this.doc.version === store.VERSION && !this.lock.isShown);
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
    const original = store.storedText();
    const outcome = await python().call("view", { document: this.doc });
    if (outcome.error) {
      const aside = store.keepAside(original, "it could not be updated to this version");
      store.clearAnswers();
      this.doc = store.emptyDocument();
      this.files.reportKeptAside(aside.reason);
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
    if (store.isShut()) return; // locked while Python worked: its view of the answers stays off the page
    const problems = document.getElementById("ws-problems") || this.createProblemsArea();
    if (outcome.error) {
      problems.hidden = false;
      $("ul", problems).replaceChildren(...outcome.error.map((text) => element("li", { textContent: text })));
      return;
    }
    problems.hidden = true;
    const { summary, description, chart } = outcome.ok;
    if (!this.sessions) return; // no log, so no progress to show
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
}

startPage("article.md-content__inner:has([data-ws-section])", (root) => new WorksheetPage(root));
