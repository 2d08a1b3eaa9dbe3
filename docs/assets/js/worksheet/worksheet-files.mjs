// @ts-check
// The worksheet's files and its undo-nothing actions: downloads made by Python (a backup, Markdown, the log
// as CSV), print, restoring a backup, deleting everything, the backup reminder and the kept-aside data. It
// reads the answers through `doc()` and tells the page when they were replaced or erased.
import * as store from "./store.mjs";
import { python } from "../core/python.mjs";
import { $, download } from "../core/dom.mjs";
import { localDateStamp, utcOffsetMinutes } from "../core/format.mjs";
import { MAX_DOCUMENT_BYTES } from "../core/facts.mjs";

const BACKUP_REMINDER_DAYS = 14;
const DOWNLOADS = { json: ["json", "application/json"], markdown: ["md", "text/markdown"], csv: ["csv", "text/csv"] };

export class WorksheetFiles {
  /**
   * @param {HTMLElement} root the worksheet
   * @param {{ doc: () => any, voice: import("./page-voice.mjs").PageVoice, keepItem: (name: string, value: any) => void,
   *           replaced: (doc: any) => void, erased: () => void }} page
   */
  constructor(root, { doc, voice, keepItem, replaced, erased }) {
    this.root = root;
    this.doc = doc;
    this.voice = voice;
    this.keepItem = keepItem;
    this.replaced = replaced;
    this.erased = erased;
  }

  bind() {
    for (const button of /** @type {NodeListOf<HTMLElement>} */ (this.root.querySelectorAll("[data-ws-export]"))) {
      button.addEventListener("click", () => this.exportAs(button.dataset.wsExport));
    }
    $("#ws-print").addEventListener("click", () => window.print());
    $("#ws-import-file").addEventListener("change", (event) => this.importFile(event.target));
    $("#ws-delete-all").addEventListener("click", () => this.deleteEverything());
  }

  async exportAs(kind) {
    const outcome = await python().call("exports", { document: this.doc(), utc_offset_minutes: utcOffsetMinutes() });
    if (store.isShut()) return; // locked while Python worked: no file of the answers is made after the lock
    if (outcome.error) {
      this.voice.showNotice("The download could not be made because some answers need a look:", outcome.error);
      return;
    }
    const [extension, type] = DOWNLOADS[kind];
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
    reminder.hidden = !store.hasAnswers(this.doc()) || days < BACKUP_REMINDER_DAYS;
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
    const outcome = await python().call("import", { text: await file.text(), worksheet: store.worksheetId });
    if (store.isShut()) return; // locked meanwhile: nothing is restored into a locked worksheet
    if (outcome.error) {
      this.voice.showNotice(`“${file.name}” could not be restored. Nothing was changed.`, outcome.error);
      return;
    }
    if (store.hasAnswers(this.doc()) &&
        !(await this.voice.confirm("Replace your current answers?", "The answers on this page will be replaced by the ones in the backup file. If you are not sure, cancel and download a backup of your current answers first.", "Replace my answers"))) {
      return;
    }
    this.replaced(store.replace(outcome.ok.document));
    this.voice.setStatus("saved", `Restored from “${file.name}” and saved in this browser.`, "Restored ✓");
  }

  async deleteEverything() {
    if (!(await this.voice.confirm("Delete everything on this device?", "All your answers to every worksheet on this site, their session logs and any kept-aside data will be removed from this browser. Download a backup first if you may want them later. This cannot be undone.", "Delete everything"))) return;
    store.deleteEverything();
    this.erased();
    this.voice.setStatus("saved", "Everything was deleted from this device.", "Deleted ✓");
  }

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
}
