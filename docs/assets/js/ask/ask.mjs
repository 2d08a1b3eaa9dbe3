// @ts-check
// "Ask for answers", the therapist's page. Making a request makes a key pair in this browser and keeps it
// (inbox-store.mjs: IndexedDB, optionally under a passcode), the private key not extractable; the server
// gets the public key, the link carries it. The inbox lists this browser's requests and opens what arrived,
// decrypted here and never stored decrypted.
import { api, serverReachable, ServerUnreachable, siteRoot } from "../core/api.mjs";
import { $, element, showMessage, startPage } from "../core/dom.mjs";
import { LEGACY_WORKSHEET, REQUEST_MAX_LIFETIME, WORKSHEETS_FOLDER } from "../core/facts.mjs";
import { formatDateTime, formatShortDate, utcOffsetMinutes } from "../core/format.mjs";
import { copyField, offerShare, qrCode } from "../core/link-tools.mjs";
import { python } from "../core/python.mjs";
import { fingerprint, newKeyPair, openAnswers, receiptCode, requestFragment } from "../request/request-crypto.mjs";
import * as inbox from "./inbox-store.mjs";
import { refusal as passcodeRefusal, unlockFromForm } from "../core/passcode.mjs";
import { fromBase64url, toBase64url } from "../core/bytes.mjs";
import { DecryptionError } from "../core/sealed.mjs";
import { showAnswers } from "../core/snapshot-view.mjs";

const DAY_SECONDS = 86_400;
const STATE_TEXT = {
  open: (r) => `Waiting for answers until ${formatDateTime(r.expires_at)}.`,
  full: (r) => `Answered. The answers stay on the server until you delete them, or until ${formatDateTime(r.expires_at)}.`,
  expired: (r) => `Expired on ${formatDateTime(r.expires_at)}; anything sent to it was deleted from the server.`,
  closed: () => "Closed: it takes no more answers, and nothing sent to it is left on the server.",
};

/** Seconds from now to the end of the day after the session (local time); null without a date. */
function lifetimeUntilDayAfter(sessionDate) {
  if (!sessionDate) return null;
  const end = new Date(`${sessionDate}T23:59:59`);
  end.setDate(end.getDate() + 1);
  return Math.floor((end.getTime() - Date.now()) / 1000);
}

/** An answer as the inbox remembers it opened: its place in the request and when it came (a place freed by
 *  a deletion takes new answers). */
function answerKey(answer) {
  return `${answer.number}@${answer.received_at}`;
}

/** The worksheet a request asked for: requests made before there were several asked for the first. */
const askedFor = (record) => record.worksheet ?? LEGACY_WORKSHEET;

class AskPage {
  constructor(root) {
    this.root = root;
    // How many times the inbox has locked on this page: work begun before a lock must not show its result.
    this.locks = 0;
  }

  /** A check for work that awaits (the server, decryption, Python): true while no lock has come since it
   *  began, so that what it found never reaches a page that has locked in the meantime. */
  unlockedSince() {
    const locks = this.locks;
    return () => locks === this.locks;
  }

  start() {
    $("#ws-ask-form", this.root, HTMLFormElement).addEventListener("submit", (event) => {
      event.preventDefault();
      this.create();
    });
    $("#ws-ask-copy", this.root).addEventListener("click", async () => {
      this.say(await copyField($("#ws-ask-link", this.root, HTMLInputElement))
        ? "The link was copied. Paste it into a message to the person."
        : "Select the link and copy it (Ctrl+C, or long-press on a phone).");
    });
    offerShare($("#ws-ask-send", this.root, HTMLButtonElement), $("#ws-ask-link", this.root, HTMLInputElement),
      (message) => this.say(message));
    this.startLock();
    this.checkServer();
    this.refreshList();
    // Answers may have arrived while the therapist was elsewhere: look again when they come back.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.refreshList();
    });
  }

  // --- the inbox's passcode ------------------------------------------------------------------------------

  startLock() {
    const section = $("#ws-ask-lock", this.root);
    this.lockAfterMs = Number(section.dataset.lockAfterMinutes) * 60_000;
    if (!(this.lockAfterMs > 0)) throw new Error("#ws-ask-lock has no data-lock-after-minutes, which ask.mjs needs.");
    const onSubmit = (id, action) => $(id, this.root, HTMLFormElement).addEventListener("submit", (event) => {
      event.preventDefault();
      action();
    });
    onSubmit("#ws-ask-lock-set", () => this.setPasscode());
    onSubmit("#ws-ask-unlock", () => this.unlock());
    $("#ws-ask-lock-now", this.root).addEventListener("click", () => this.lockNow());
    $("#ws-ask-lock-remove", this.root).addEventListener("click", () => this.removePasscode());
    $("#ws-ask-lock-forgot", this.root).addEventListener("click", () => this.forgotPasscode());
    for (const activity of ["input", "keydown", "pointerdown"]) {
      document.addEventListener(activity, () => this.keepAwake(), { passive: true });
    }
    // A page kept in the back/forward cache keeps its memory: the keys go when the page is left.
    window.addEventListener("pagehide", () => inbox.lock());
    section.hidden = false;
    this.showLockState();
  }

  lockParts(shown) {
    for (const id of ["ws-ask-lock-set", "ws-ask-lock-controls", "ws-ask-unlock"]) $(`#${id}`, this.root).hidden = id !== shown;
  }

  async showLockState() {
    if (inbox.isUnlocked()) this.lockParts("ws-ask-lock-controls");
    else if (await inbox.isLocked()) return this.showLocked({ focus: false });
    else this.lockParts("ws-ask-lock-set");
    $("#ws-ask-work", this.root).hidden = false;
  }

  /** Take every request and answer off the page and ask for the passcode. */
  showLocked({ focus }) {
    this.locks += 1;
    clearTimeout(this.idleTimer);
    inbox.lock();
    $("#ws-ask-work", this.root).hidden = true;
    $("#ws-ask-list", this.root).replaceChildren();
    $("#ws-ask-link", this.root, HTMLInputElement).value = "";
    $("#ws-ask-qr", this.root).replaceChildren();
    $("#ws-ask-link-result", this.root).hidden = true;
    $("#ws-ask-answers", this.root).replaceChildren();
    $("#ws-ask-warning", this.root).textContent = "";
    for (const kind of ["print", "json", "markdown"]) $(`#ws-ask-${kind}`, this.root).onclick = null; // they held the answers
    $("#ws-ask-result", this.root).hidden = true;
    this.say("");
    this.lockParts("ws-ask-unlock");
    if (focus) $("#ws-ask-passcode", this.root).focus();
  }

  async setPasscode() {
    const code = $("#ws-ask-passcode-new", this.root, HTMLInputElement).value;
    const message = $("#ws-ask-lock-set-message", this.root);
    message.textContent = "Checking the passcode…";
    const refused = await passcodeRefusal(code, $("#ws-ask-passcode-repeat", this.root, HTMLInputElement).value);
    if (refused) {
      message.textContent = refused.text;
      $(`#ws-ask-passcode-${refused.field}`, this.root).focus();
      return;
    }
    message.textContent = "Locking…";
    try {
      await inbox.setPasscode(code);
    } catch (error) {
      if (!(error instanceof inbox.UnsealableRequestsError)) throw error;
      message.textContent = `This inbox holds ${error.count === 1 ? "a request" : `${error.count} requests`} made before it had a passcode. Their keys were made so that they can never leave this browser, so they cannot be put under a passcode. Delete them below once their answers are read, then lock the inbox.`;
      return;
    }
    for (const id of ["#ws-ask-passcode-new", "#ws-ask-passcode-repeat"]) $(id, this.root, HTMLInputElement).value = "";
    message.textContent = "";
    await this.showLockState();
    this.say("This inbox is locked with your passcode: requests you make now are stored encrypted.");
    $("#ws-ask-lock-now", this.root).focus();
    this.keepAwake();
  }

  async unlock() {
    const outcome = await unlockFromForm($("#ws-ask-passcode", this.root, HTMLInputElement), $("#ws-ask-unlock-message", this.root),
      (code) => inbox.unlock(code), { locked: "The locked inbox", kept: "It is kept on this device as it is." });
    if (!outcome.unlocked) return;
    await this.showLockState();
    await this.refreshList();
    $("#ws-ask-inbox-title", this.root).focus();
    this.keepAwake();
  }

  lockNow() {
    this.showLocked({ focus: true });
  }

  /** Lock again after the set time without use, while the inbox is unlocked. */
  keepAwake() {
    clearTimeout(this.idleTimer);
    if (inbox.isUnlocked()) this.idleTimer = setTimeout(() => this.lockNow(), this.lockAfterMs);
  }

  async removePasscode() {
    if (!confirm("Remove the inbox’s passcode? The requests’ keys will be stored in this browser’s files without encryption again, readable by anyone who can copy this browser profile.")) return;
    clearTimeout(this.idleTimer);
    await inbox.removePasscode();
    await this.showLockState();
    this.say("The passcode was removed.");
    $("#ws-ask-passcode-new", this.root).focus();
  }

  async forgotPasscode() {
    if (!confirm("Erase the locked inbox? Without the passcode nothing in it can be read: its requests and anything sent to them can then never be opened, and they stay on the server until they expire.")) return;
    await inbox.eraseLocked();
    await this.showLockState();
    this.say("The locked inbox was erased.");
    $("#ws-ask-passcode-new", this.root).focus();
  }

  say(text, { problem = false } = {}) {
    showMessage($("#ws-ask-message", this.root), text, { problem });
  }

  async checkServer() {
    const reachable = await serverReachable();
    const unavailable = $("#ws-ask-unavailable", this.root);
    unavailable.hidden = reachable;
    unavailable.textContent = reachable ? "" : "This site’s sharing server cannot be reached right now, so no request can be made or read. Please try again later.";
    $("#ws-ask-create", this.root, HTMLButtonElement).disabled = !reachable;
  }

  async create() {
    const button = $("#ws-ask-create", this.root, HTMLButtonElement);
    const label = $("#ws-ask-label", this.root, HTMLInputElement).value.trim();
    const privateName = $("#ws-ask-name", this.root, HTMLInputElement).value.trim();
    const sessionDate = $("#ws-ask-date", this.root, HTMLInputElement).value;
    const chosen = $('input[name="ask-worksheet"]:checked', this.root, HTMLInputElement);
    const worksheet = { id: chosen.value, title: /** @type {string} */ (chosen.dataset.title) };
    const lifetime = lifetimeUntilDayAfter(sessionDate);
    if (lifetime !== null && lifetime < DAY_SECONDS) {
      this.say("That session date has passed. Choose the date of your next session, or leave it empty.", { problem: true });
      $("#ws-ask-date", this.root).focus();
      return;
    }
    // Until the end of the day after the session: a session N days ahead needs up to N + 2 days, so the
    // latest date that always fits is two days short of the maximum.
    if (lifetime !== null && lifetime > REQUEST_MAX_LIFETIME) {
      this.say(`A request can take answers for ${REQUEST_MAX_LIFETIME / DAY_SECONDS} days at most: choose a session date within the next ${REQUEST_MAX_LIFETIME / DAY_SECONDS - 2} days, or leave it empty.`, { problem: true });
      $("#ws-ask-date", this.root).focus();
      return;
    }
    button.disabled = true;
    this.say("Making the keys…");
    try {
      const { kem, keys, publicKey, pkcs8 } = await newKeyPair(undefined, { sealable: inbox.isUnlocked() });
      const { status, body } = await api("requests", {
        method: "POST",
        body: { public_key: toBase64url(publicKey), kem, ...(lifetime === null ? {} : { expires_in: lifetime }) },
      });
      if (status !== 201) {
        this.say(status === 429 ? "Too many requests were made from here recently. Please try again later."
          : `The request could not be made: ${body.message || `error ${status}`}`, { problem: true });
        return;
      }
      const record = {
        id: body.id, manage_token: body.manage_token, expires_at: body.expires_at, created_at: new Date().toISOString(),
        label, private_name: privateName, seen: [], session_date: sessionDate, worksheet: worksheet.id, worksheet_title: worksheet.title, kem, keys, public_key: toBase64url(publicKey), fingerprint: await fingerprint(publicKey),
      };
      try {
        await inbox.add(record, pkcs8);
      } catch {
        // Without its key the request could never be read: take it back from the server rather than leave it.
        await api(`requests/${encodeURIComponent(record.id)}`, { method: "DELETE", token: record.manage_token });
        this.say("This browser cannot keep the request’s key (its storage is blocked or full, as in some private windows), so no request was made. Try a normal window.", { problem: true });
        return;
      }
      $("#ws-ask-form", this.root, HTMLFormElement).reset();
      this.say("");
      await this.showLink(record);
      this.refreshList();
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      this.say("The server could not be reached, so no request was made. Please try again later.", { problem: true });
    } finally {
      button.disabled = false;
    }
  }

  async showLink(record) {
    // The person's link opens the worksheet asked for.
    const link = new URL(`${WORKSHEETS_FOLDER}/${encodeURIComponent(askedFor(record))}/#${await requestFragment({
      id: record.id, publicKey: fromBase64url(record.public_key), label: record.label, sessionDate: record.session_date,
    })}`, siteRoot()).href;
    $("#ws-ask-link", this.root, HTMLInputElement).value = link;
    $("#ws-ask-link-about", this.root).textContent =
      `It takes answers until ${formatDateTime(record.expires_at)}. Key fingerprint: ${record.fingerprint}.`;
    $("#ws-ask-qr", this.root).replaceChildren(qrCode(link, "QR code of the request link"));
    const result = $("#ws-ask-link-result", this.root);
    result.hidden = false;
    result.focus();
  }

  async refreshList() {
    const unlocked = this.unlockedSince();
    let all;
    try {
      all = (await inbox.list()).sort((a, b) => b.created_at.localeCompare(a.created_at));
    } catch (error) {
      if (error instanceof inbox.InboxLockedError) {
        if (!$("#ws-ask-work", this.root).hidden) this.showLocked({ focus: false }); // locked in another tab
        return;
      }
      this.say("This browser’s storage cannot be read (it may be blocked, as in some private windows), so the requests made here cannot be listed.", { problem: true });
      return;
    }
    if (!unlocked()) return;
    $("#ws-ask-none", this.root).hidden = all.length > 0;
    $("#ws-ask-list", this.root).replaceChildren(...all.map((record) => this.row(record)));
    await Promise.all(all.map((record) => this.refreshState(record)));
    if (unlocked()) this.showNews();
  }

  /** Which requests have answers not yet opened in this browser, said once above the list. */
  showNews() {
    const fresh = [...this.root.querySelectorAll(".ws-ask-request[data-new=true] .ws-ask-title")].map((title) => `“${title.textContent}”`);
    $("#ws-ask-news", this.root).textContent = fresh.length
      ? `New answers, not yet opened here: ${fresh.join(", ")}.`
      : "";
  }

  row(record) {
    const title = record.private_name || record.label || "Request without a note";
    const note = record.private_name && record.label ? `Their note: “${record.label}”. ` : "";
    const asked = record.worksheet_title ? `For “${record.worksheet_title}”. ` : "";
    const made = `${asked}${note}Made on ${formatDateTime(record.created_at)}${record.session_date ? `, for the session on ${formatShortDate(record.session_date)}` : ""}. Key fingerprint ${record.fingerprint}.`;
    const item = element("li", { className: "ws-ask-request" },
      element("strong", { className: "ws-ask-title", id: this.titleId(record), textContent: title }), " ",
      element("span", { className: "ws-share-made", textContent: made }), " ",
      element("span", { className: "ws-ask-state", textContent: "Checking…" }),
      element("ul", { className: "ws-plain-list ws-ask-answers" }),
      element("div", { className: "ws-buttons" },
        this.button("Show the link again", () => this.showLink(record), "ws-ask-show-link"),
        this.button("Rename", () => this.startRename(record, item), "ws-ask-rename"),
        this.button("Delete this request", () => this.remove(record), "ws-ask-delete")));
    item.dataset.requestId = record.id;
    item.querySelectorAll("button").forEach((button) => button.setAttribute("aria-describedby", this.titleId(record)));
    return item;
  }

  /** The private name, changed in place: a small form over the request's title. */
  startRename(record, item) {
    const id = `${this.titleId(record)}-name`;
    const field = element("input", {
      type: "text", id, value: record.private_name || "", autocomplete: "off",
      maxLength: $("#ws-ask-name", this.root, HTMLInputElement).maxLength,
    });
    const form = element("form", { className: "ws-ask-rename-form" },
      element("label", { htmlFor: id, textContent: "Private name (only in this browser)" }), field,
      element("span", { className: "ws-buttons" },
        element("button", { type: "submit", className: "md-button md-button--primary", textContent: "Save the name" }),
        this.button("Cancel", () => this.refreshList().then(() => this.focusRow(record.id, ".ws-ask-rename")), "ws-ask-rename-cancel")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await inbox.update(record.id, (entry) => { entry.private_name = field.value.trim(); });
      this.say(field.value.trim() ? `Renamed “${field.value.trim()}”, in this browser only.` : "The private name was removed.");
      await this.refreshList();
      this.focusRow(record.id, ".ws-ask-rename");
    });
    $(".ws-ask-title", item).replaceWith(form);
    field.focus();
  }

  focusRow(id, selector) {
    this.root.querySelector(`[data-request-id="${CSS.escape(id)}"] ${selector}`)?.focus();
  }

  titleId(record) {
    return `ws-ask-title-${record.id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  }

  button(text, action, className) {
    const button = element("button", { type: "button", className: `md-button ${className}`, textContent: text });
    button.addEventListener("click", action);
    return button;
  }

  async refreshState(record) {
    const item = this.root.querySelector(`[data-request-id="${CSS.escape(record.id)}"]`);
    if (!item) return;
    const state = $(".ws-ask-state", item);
    const unlocked = this.unlockedSince();
    try {
      const { status, body } = await api(`requests/${encodeURIComponent(record.id)}/responses`, { token: record.manage_token });
      if (!unlocked()) return;
      if (status !== 200) {
        state.textContent = "No longer on the server.";
        return;
      }
      item.dataset.state = body.state;
      state.textContent = STATE_TEXT[body.state]({ expires_at: body.expires_at });
      $(".ws-ask-show-link", item).hidden = body.state !== "open";
      const seen = new Set(record.seen || []);
      const fresh = (answer) => !seen.has(answerKey(answer));
      item.dataset.new = String(body.responses.some(fresh));
      $(".ws-ask-answers", item).replaceChildren(...body.responses.map((answer) => element("li", {},
        ...(fresh(answer) ? [element("strong", { className: "ws-ask-new", textContent: "New: " })] : []),
        `Answers received on ${formatDateTime(answer.received_at)}. `,
        this.button("Open", () => this.openAnswer(record, answer), "md-button--primary ws-ask-open"), " ",
        this.button("Delete from the server", () => this.deleteAnswer(record, answer), "ws-ask-delete-answer"))));
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      state.textContent = "Its state cannot be checked right now: the server cannot be reached.";
    }
  }

  async openAnswer(record, answer) {
    this.say("Opening…");
    const unlocked = this.unlockedSince();
    try {
      const { status, body } = await api(`requests/${encodeURIComponent(record.id)}/responses/${answer.number}`, { token: record.manage_token });
      if (!unlocked()) return;
      if (status !== 200) {
        this.say(body.message || `The answers could not be fetched (error ${status}).`, { problem: true });
        return;
      }
      let text;
      try {
        text = await openAnswers(body.ciphertext, { requestId: record.id, kem: record.kem, keys: record.keys });
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        this.say("These answers do not open with this request’s key: they were damaged or altered on the way. Ask the person to send them again.", { problem: true });
        return;
      }
      const outcome = await python().call("open_snapshot", { text, utc_offset_minutes: utcOffsetMinutes() });
      if (!unlocked()) return;
      if (outcome.error) {
        this.say(`The answers were opened but cannot be shown: ${outcome.error.join(" ")}`, { problem: true });
        return;
      }
      this.say("");
      await this.markSeen(record, answer);
      const receipt = await receiptCode(body.ciphertext);
      if (!unlocked()) return;
      // The link names the worksheet it opens, and a person can open another one's page with it: say so.
      const other = outcome.ok.worksheet.id === askedFor(record) ? "" : ` These are answers to “${outcome.ok.worksheet.title}”, not to the worksheet this request asked for${record.worksheet_title ? ` (“${record.worksheet_title}”)` : ""}.`;
      showAnswers(this.root, "ws-ask", outcome.ok,
        `Sent on ${formatDateTime(outcome.ok.created_at)}${record.private_name || record.label ? ` for “${record.private_name || record.label}”` : ""}.${other} Receipt code ${receipt}: the person was shown a code when they sent their answers; if theirs is not ${receipt}, or they sent nothing, someone else with the link sent these. Opened in this browser only; nothing decrypted is kept here. The encrypted copy stays on the server until you delete it, or until ${formatDateTime(record.expires_at)}.`);
      // The answers come below the inbox: bring their heading to the top, not just into view at the bottom.
      const title = $("#ws-ask-result-title", this.root);
      title.focus({ preventScroll: true });
      title.scrollIntoView({ block: "start" });
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      this.say("The server cannot be reached right now. Please try again later.", { problem: true });
    }
  }

  /** Remember, in this browser, that these answers were opened: they are no longer new. */
  async markSeen(record, answer) {
    const key = answerKey(answer);
    if (record.seen?.includes(key)) return;
    record.seen = [...(record.seen || []), key];
    await inbox.update(record.id, (entry) => { entry.seen = [...new Set([...(entry.seen || []), key])]; });
    await this.refreshState(record);
    this.showNews();
  }

  async deleteAnswer(record, answer) {
    try {
      const { status } = await api(`requests/${encodeURIComponent(record.id)}/responses/${answer.number}`, { method: "DELETE", token: record.manage_token });
      this.say(status === 204 || status === 404 ? "Those answers were deleted from the server. Their place in the request is open again, so the person can still send theirs." : "The answers could not be deleted. Please try again later.",
        { problem: status !== 204 && status !== 404 });
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      this.say("The server cannot be reached, so nothing was deleted. Please try again later.", { problem: true });
    }
    await this.refreshState(record);
  }

  async remove(record) {
    if (!(await inbox.list()).some((other) => other.id === record.id)) return;
    if (!confirm("Delete this request? Anything sent to it is deleted from the server, and this browser forgets its key, so it can no longer be opened.")) return;
    try {
      const { status } = await api(`requests/${encodeURIComponent(record.id)}`, { method: "DELETE", token: record.manage_token });
      if (status !== 204 && status !== 404) {
        this.say("The request could not be deleted from the server, so its key was kept. Please try again later.", { problem: true });
        return;
      }
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      this.say("The server cannot be reached, so the request was not deleted. Please try again later.", { problem: true });
      return;
    }
    await inbox.remove(record.id);
    this.say("The request was deleted, with anything sent to it.");
    await this.refreshList();
    $("#ws-ask-inbox-title", this.root).focus();
  }
}

startPage("#ws-ask", (root) => new AskPage(root));
