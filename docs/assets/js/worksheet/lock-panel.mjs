// @ts-check
// The worksheet's passcode lock, as the person works it: offering a lock, setting a passcode, unlocking,
// locking now and after the chosen idle time, removing the passcode, and erasing everything when it is
// forgotten. The answers themselves are the page's: the panel tells it when they must leave the page
// (`hideAnswers`, on a quick exit; `locked`, which also shuts the form), when they may come back
// (`showAnswers`) and when they were erased (`erased`).
import * as store from "./store.mjs";
import { $ } from "../core/dom.mjs";
import { refusal as passcodeRefusal, unlockFromForm } from "../core/passcode.mjs";
import { isRequestLink } from "../core/request-link.mjs";

const PARTS = ["ws-lock-offer", "ws-lock-set", "ws-lock-controls", "ws-unlock"];

export class LockPanel {
  /**
   * @param {HTMLElement} root the worksheet, marked `data-ws-locked` while its answers are locked
   * @param {{ voice: import("./page-voice.mjs").PageVoice, keepItem: (name: string, value: any) => void,
   *           hideAnswers: () => void, locked: () => void, showAnswers: (doc: any) => Promise<void>, erased: () => void }} page
   */
  constructor(root, { voice, keepItem, hideAnswers, locked, showAnswers, erased }) {
    this.root = root;
    this.voice = voice;
    this.keepItem = keepItem;
    this.hideAnswers = hideAnswers;
    this.locked = locked;
    this.showAnswers = showAnswers;
    this.erased = erased;
    this.lockAfter = $("#ws-lock-after", document, HTMLSelectElement);
    this.idleTimer = undefined;
  }

  bind() {
    // Without a stored choice, the option the markup marks as selected is the default.
    this.defaultLockAfter = Number(this.lockAfter.value);
    this.readLockAfter();
    this.lockAfter.addEventListener("change", () => {
      this.lockAfterSeconds = Number(this.lockAfter.value);
      this.keepItem("lockAfterSeconds", this.lockAfterSeconds);
      this.keepAwake();
    });
    $("#ws-lock-open", document, HTMLButtonElement).disabled = false;
    $("#ws-lock-open").addEventListener("click", () => this.showForm());
    $("#ws-lock-cancel").addEventListener("click", () => this.showOffer({ focus: true }));
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
      this.hideAnswers();
    });
  }

  get isShown() {
    return this.root.dataset.wsLocked === "true";
  }

  /** The idle time chosen (kept with the answers, so unreadable while they are locked), or the default. */
  readLockAfter() {
    const stored = Number(store.getItem("lockAfterSeconds"));
    this.lockAfterSeconds = Number.isFinite(stored) && stored > 0 ? stored : this.defaultLockAfter;
    if ([...this.lockAfter.options].some((option) => Number(option.value) === this.lockAfterSeconds)) {
      this.lockAfter.value = String(this.lockAfterSeconds);
    }
  }

  parts(shown) {
    for (const id of PARTS) $(`#${id}`).hidden = id !== shown;
  }

  /** The offer to lock, or, with a passcode set and open, its controls. */
  showOffer({ focus = false } = {}) {
    delete this.root.dataset.wsLocked;
    // Each worksheet has its own lock: one locked elsewhere on this device does not cover this one's answers.
    $("#ws-lock-elsewhere").hidden = store.lockedElsewhere().length === 0;
    this.parts(store.isUnlocked() ? "ws-lock-controls" : "ws-lock-offer");
    if (focus) $(store.isUnlocked() ? "#ws-lock-now" : "#ws-lock-open").focus();
  }

  showForm() {
    this.parts("ws-lock-set");
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
    await store.setPasscode(code);
    for (const id of ["#ws-passcode-new", "#ws-passcode-repeat"]) $(id, document, HTMLInputElement).value = "";
    message.textContent = "";
    this.showOffer({ focus: true });
    this.voice.setStatus("saved", "Locked with your passcode: your answers are now stored encrypted.", "Encrypted ✓");
    this.keepAwake();
  }

  /** The answers are locked: off the page, and the unlock form in their place. */
  showLocked({ focus }) {
    clearTimeout(this.idleTimer);
    this.locked();
    this.root.dataset.wsLocked = "true";
    this.voice.hideNotice();
    this.parts("ws-unlock");
    $("#ws-unlock-message").textContent = "";
    // Opened from a therapist's request link: say so at once, and bring the passcode field (far below the
    // top of the page) to the person, rather than leave the request unseen until after unlocking.
    const asked = isRequestLink(location.hash);
    this.voice.setStatus("locked", asked
      ? "Your therapist asked for your answers. They are locked: enter your passcode to see and send them."
      : "Your answers are locked. Enter your passcode to see them.");
    if (focus || asked) $("#ws-passcode").focus();
  }

  async unlock() {
    const outcome = await unlockFromForm($("#ws-passcode", document, HTMLInputElement), $("#ws-unlock-message"),
      (code) => store.unlock(code), { locked: "Your locked answers", kept: "They are kept on this device as they are." });
    if (!outcome.unlocked) return;
    this.showOffer();
    this.readLockAfter();
    await this.showAnswers(outcome.value);
    this.voice.setStatus("saved", "Unlocked. Your answers are saved in this browser, encrypted, as you type.", "Unlocked ✓");
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
    if (!(await this.voice.confirm("Remove the passcode?", "Your answers will be stored in this browser without encryption again, and anyone using this browser could read them.", "Remove passcode"))) return;
    clearTimeout(this.idleTimer);
    store.removePasscode();
    this.showOffer({ focus: true });
    this.voice.setStatus("saved", "The passcode was removed. Your answers are saved in this browser as you type.", "Passcode removed");
  }

  async forgotPasscode() {
    if (!(await this.voice.confirm("Erase everything on this device?", "Without the passcode nobody can open the locked answers, including us. Erasing removes them, and everything else this site keeps in this browser, so that you can start again. This cannot be undone.", "Erase everything"))) return;
    store.deleteEverything();
    this.showOffer({ focus: true });
    this.erased();
    this.voice.setStatus("saved", "Everything was erased from this device.", "Erased ✓");
  }
}
