// @ts-check
// "Share with my therapist" on the worksheet page: Python makes the snapshot, WebCrypto encrypts it, the
// server keeps only the ciphertext. The link (key in its #fragment) is shown once and never stored. Opened
// from a therapist's request link, the panel sends to that request instead (share-request.mjs).
import * as store from "../worksheet/store.mjs";
import { python } from "../core/python.mjs";
import { seal, linkFragment } from "./share-crypto.mjs";
import { api, serverReachable, ServerUnreachable, siteRoot } from "../core/api.mjs";
import { copyField, offerShare, qrCode } from "../core/link-tools.mjs";
import { formatDateTime, utcOffsetMinutes } from "../core/format.mjs";
import { renderSnapshot } from "../core/snapshot-view.mjs";
import { $, showMessage, startPage } from "../core/dom.mjs";
import { isRequestLink } from "../core/request-link.mjs";


/** The one-time links made on this device, with their manage tokens (kept by the store: sealed with the
 *  answers under a passcode, and unreadable while they are locked). */
function remembered() {
  const shares = store.getItem("shares");
  return Array.isArray(shares) ? shares.filter((share) => share && typeof share.id === "string") : [];
}

function remember(shares) {
  store.setItem("shares", shares);
}

/** Ask the server to revoke a link, with its manage token: it can then never be opened. */
function revoke(share) {
  return api(`shares/${encodeURIComponent(share.id)}`, { method: "DELETE", token: share.manage_token });
}

const STATE_TEXT = {
  waiting: (s) => `Waiting to be opened. The link works until ${formatDateTime(s.expires_at)}.`,
  opened: (s) => `Opened on ${formatDateTime(s.opened_at)}.`,
  expired: (s) => `Expired on ${formatDateTime(s.expires_at)} without being opened.`,
  revoked: (s) => `Cancelled on ${formatDateTime(s.changed_at)}.`,
  destroyed: (s) => `Destroyed on ${formatDateTime(s.changed_at)} after too many wrong passphrases.`,
};

class SharePanel {
  constructor(root) {
    this.root = root;
  }

  start() {
    store.openPageWorksheet();
    $("#ws-share-create", this.root, HTMLButtonElement).addEventListener("click", () => this.create());
    $("#ws-share-copy", this.root).addEventListener("click", () => this.copy());
    offerShare($("#ws-share-send", this.root, HTMLButtonElement), $("#ws-share-link", this.root, HTMLInputElement),
      (message) => this.say(message));
    $("#ws-share-preview", this.root, HTMLButtonElement).addEventListener("click", () => this.preview());
    $("#ws-share-preview-close", this.root).addEventListener("click", () => {
      $("#ws-share-preview-area", this.root).hidden = true;
      $("#ws-share-preview", this.root, HTMLButtonElement).focus();
    });
    python().ready.then(() => { $("#ws-share-preview", this.root, HTMLButtonElement).disabled = false; }, () => {});
    $("#ws-share-show", this.root).addEventListener("change", (event) => {
      $("#ws-share-passphrase", this.root, HTMLInputElement).type = /** @type {HTMLInputElement} */ (event.target).checked ? "text" : "password";
    });
    this.checkServer();
    this.refreshList();
    // The worksheet locked (or left): nothing the person made stays on the page; unlocked: it comes back.
    document.addEventListener("tsw:answers-hidden", () => this.hideWhatWasMade());
    document.addEventListener("tsw:answers-shown", () => this.refreshList());
    // Only a request link needs HPKE: its modules load then, and not on every visit to the worksheet.
    const served = location.hash;
    if (isRequestLink(served)) {
      import(/* online-only */ "../request/share-request.mjs").then(({ RequestSender }) => new RequestSender(this).start());
    }
    // A request link pasted into a tab that already shows the worksheet changes only the fragment, which
    // loads nothing: load the page afresh, so that the request takes over this panel.
    window.addEventListener("hashchange", () => {
      if (isRequestLink(location.hash) && location.hash !== served) location.reload();
    });
  }

  say(text, { problem = false } = {}) {
    showMessage($("#ws-share-message", this.root), text, { problem });
  }

  async checkServer() {
    const unavailable = $("#ws-share-unavailable", this.root);
    const reachable = await serverReachable();
    unavailable.hidden = reachable;
    unavailable.textContent = reachable ? "" :
      "Sharing needs this site’s sharing server, which cannot be reached right now. Your answers are safe on this device, and everything else on this page keeps working.";
    $("#ws-share-create", this.root, HTMLButtonElement).disabled = !reachable;
    return reachable;
  }

  chosenSections() {
    return [...this.root.querySelectorAll('input[name="share-section"]:checked')].map((box) => box.value);
  }

  /** What the snapshot is made from: the answers as saved now, the chosen parts and the note; null, with a
   *  word to the person, when no part is chosen. */
  snapshotRequest() {
    const sections = this.chosenSections();
    if (!sections.length) {
      this.say("Choose at least one part of the worksheet to share.", { problem: true });
      return null;
    }
    return { document: store.load().doc, sections, note: $("#ws-share-note", this.root, HTMLInputElement).value, created_at: new Date().toISOString() };
  }

  async preview() {
    const request = this.snapshotRequest();
    if (!request) return;
    const outcome = await python().call("preview", { ...request, utc_offset_minutes: utcOffsetMinutes() });
    if (store.isShut()) return; // locked while Python worked: the preview stays off the page
    if (outcome.error) {
      this.say(`The preview could not be made: ${outcome.error.join(" ")}`, { problem: true });
      return;
    }
    this.say("");
    const area = $("#ws-share-preview-area", this.root);
    $("#ws-share-preview-body", this.root).replaceChildren(...renderSnapshot(outcome.ok, { headingLevel: 4 }));
    area.hidden = false;
    area.focus();
  }

  async create() {
    const button = $("#ws-share-create", this.root, HTMLButtonElement);
    if (store.isShut()) {
      this.say("Your answers are locked. Unlock them first to share them.", { problem: true });
      return;
    }
    const request = this.snapshotRequest();
    if (!request) return;
    const { sections } = request;
    const lifetime = Number($('input[name="share-lifetime"]:checked', this.root, HTMLInputElement).value);
    const passphrase = $("#ws-share-passphrase", this.root, HTMLInputElement).value;
    button.disabled = true;
    this.say(passphrase ? "Encrypting (a passphrase takes a few seconds)…" : "Encrypting…");
    try {
      const made = await python().call("snapshot", request);
      if (made.error) {
        this.say(`The snapshot could not be made: ${made.error.join(" ")}`, { problem: true });
        return;
      }
      const sealed = await seal(made.ok.snapshot, passphrase);
      const { status, body } = await api("shares", {
        method: "POST", body: { ciphertext: sealed.envelope, claim_hash: sealed.claimHash, expires_in: lifetime },
      });
      if (status === 201 && store.isShut()) {
        // Locked while the link was being made: it was never shown and cannot be kept, so it is withdrawn.
        await revoke(body);
        this.say("The answers were locked before the link was ready, so no link was made.");
        return;
      }
      if (status !== 201) {
        this.say(status === 429 ? "Too many links were made from here recently. Please try again later."
          : `The link could not be made: ${body.message || `error ${status}`}`, { problem: true });
        return;
      }
      const link = new URL(`open/#${await linkFragment(body.id, sealed.linkKey, Boolean(passphrase))}`, siteRoot()).href;
      remember([...remembered(), {
        id: body.id, manage_token: body.manage_token, created_at: new Date().toISOString(),
        expires_at: body.expires_at, sections, passphrase: Boolean(passphrase),
      }]);
      $("#ws-share-passphrase", this.root, HTMLInputElement).value = "";
      $("#ws-share-preview-area", this.root).hidden = true;
      this.showLink(link, body.expires_at, Boolean(passphrase));
      this.say("");
      this.refreshList();
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      this.say("The sharing server could not be reached, so no link was made. Please try again later.", { problem: true });
    } finally {
      button.disabled = false;
    }
  }

  showLink(link, expiresAt, hasPassphrase) {
    const result = $("#ws-share-result", this.root);
    $("#ws-share-link", this.root, HTMLInputElement).value = link;
    $("#ws-share-expiry", this.root).textContent =
      `It opens once, until ${formatDateTime(expiresAt)}.${hasPassphrase ? " Your therapist will also need the passphrase." : ""}`;
    $("#ws-share-qr", this.root).replaceChildren(qrCode(link, "QR code of the one-time link"));
    result.hidden = false;
    result.focus();
  }

  async copy() {
    this.say(await copyField($("#ws-share-link", this.root, HTMLInputElement))
      ? "The link was copied. Paste it into a message to your therapist."
      : "Select the link and copy it (Ctrl+C, or long-press on a phone).");
  }

  /** Take off the page every link made and everything about to be shared: the list (ids, times, what was
   *  shared), a link on show with its QR code, the preview, the note and the passphrase. */
  hideWhatWasMade() {
    $("#ws-share-list", this.root).replaceChildren();
    $("#ws-share-none", this.root).hidden = true;
    $("#ws-share-result", this.root).hidden = true;
    $("#ws-share-link", this.root, HTMLInputElement).value = "";
    $("#ws-share-qr", this.root).replaceChildren();
    $("#ws-share-preview-area", this.root).hidden = true;
    $("#ws-share-preview-body", this.root).replaceChildren();
    for (const id of ["#ws-share-note", "#ws-share-passphrase"]) $(id, this.root, HTMLInputElement).value = "";
    this.say("");
  }

  async refreshList() {
    if (store.isShut()) {
      this.hideWhatWasMade();
      return;
    }
    const list = $("#ws-share-list", this.root);
    const shares = remembered();
    $("#ws-share-none", this.root).hidden = shares.length > 0;
    list.replaceChildren(...shares.slice().reverse().map((share) => this.row(share)));
    await Promise.all(shares.map((share) => this.refreshState(share)));
  }

  row(share) {
    const item = document.createElement("li");
    item.dataset.shareId = share.id;
    const made = Object.assign(document.createElement("span"), {
      className: "ws-share-made",
      textContent: `Link made on ${formatDateTime(share.created_at)}${share.passphrase ? ", with a passphrase" : ""}. `,
    });
    const state = Object.assign(document.createElement("span"), { className: "ws-share-state", textContent: "Checking…" });
    const cancel = Object.assign(document.createElement("button"), {
      type: "button", className: "md-button ws-share-cancel", textContent: "Cancel this link", hidden: true,
    });
    cancel.addEventListener("click", () => this.cancel(share));
    const forget = Object.assign(document.createElement("button"), {
      type: "button", className: "md-button ws-share-forget", textContent: "Remove from this list", hidden: true,
    });
    forget.addEventListener("click", () => {
      remember(remembered().filter((other) => other.id !== share.id));
      this.refreshList();
    });
    item.append(made, state, " ", cancel, forget);
    return item;
  }

  async refreshState(share) {
    const item = this.root.querySelector(`[data-share-id="${CSS.escape(share.id)}"]`);
    if (!item) return;
    const state = $(".ws-share-state", item);
    try {
      const { status, body } = await api(`shares/${encodeURIComponent(share.id)}`, { token: share.manage_token });
      if (status === 200) {
        state.textContent = STATE_TEXT[body.state](body);
        item.dataset.state = body.state;
        $(".ws-share-cancel", item).hidden = body.state !== "waiting";
        $(".ws-share-forget", item).hidden = body.state === "waiting";
      } else {
        state.textContent = "No longer on the server.";
        $(".ws-share-forget", item).hidden = false;
      }
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      state.textContent = "Its state cannot be checked right now: the server cannot be reached.";
    }
  }

  async cancel(share) {
    try {
      const { status } = await revoke(share);
      this.say(status === 204 ? "The link was cancelled. It can no longer be opened." : "The link could not be cancelled.",
        { problem: status !== 204 });
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      this.say("The server cannot be reached, so the link could not be cancelled. Please try again later.", { problem: true });
    }
    await this.refreshState(share);
  }
}

startPage("#ws-share", (root) => new SharePanel(root));
