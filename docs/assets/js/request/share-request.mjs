// @ts-check
// A therapist's request link opened on the worksheet page (#r=…&k=…): the share panel then sends the chosen
// answers sealed to the therapist's public key, instead of making a one-time link. The link holds no
// secret; what is sent can be opened only by the browser that made the request.
import { api, ServerUnreachable } from "../core/api.mjs";
import { $ } from "../core/dom.mjs";
import { formatDateTime, formatShortDate } from "../core/format.mjs";
import { python } from "../core/python.mjs";
import * as store from "../worksheet/store.mjs";
import { fingerprint, readRequestFragment, receiptCode, sealAnswers } from "./request-crypto.mjs";
import { toBase64url } from "../core/bytes.mjs";

export class RequestSender {
  /** @param {{root: HTMLElement, say: Function, snapshotRequest: Function}} panel the share panel */
  constructor(panel) {
    this.panel = panel;
    this.root = panel.root;
    this.request = null;
  }

  /** Take over the share panel when the page was opened from a request link; false when it was not. */
  async start() {
    const read = await readRequestFragment(location.hash);
    if (read === null) return false;
    const box = $("#ws-request", this.root);
    box.hidden = false;
    $("#ws-share-link-options", this.root).hidden = true;
    $("#ws-share-create", this.root).hidden = true;
    const send = $("#ws-request-send", this.root, HTMLButtonElement);
    send.hidden = false;
    send.addEventListener("click", () => this.send());
    $("#ws-request-send-empty", this.root).addEventListener("click", () => this.send({ empty: true }));
    $("#ws-request-restore", this.root).addEventListener("click", () => $("#ws-import-file", document, HTMLInputElement).click());
    box.scrollIntoView({ block: "start" });
    box.focus();
    if (read === "damaged") {
      this.state("This request link is damaged: part of it is missing or was changed, so nothing can be sent with it. Ask your therapist to send the link again.");
      $("#ws-request-fingerprint", this.root).textContent = "unknown";
      return true;
    }
    this.request = read;
    const label = $("#ws-request-label", this.root);
    label.textContent = [read.label && `Their note: “${read.label}”.`, read.sessionDate && `For the session on ${formatShortDate(read.sessionDate)}.`]
      .filter(Boolean).join(" ");
    label.hidden = !label.textContent;
    $("#ws-request-fingerprint", this.root).textContent = await fingerprint(read.publicKey);
    await this.check();
    return true;
  }

  state(text) {
    $("#ws-request-state", this.root).textContent = text;
  }

  /** Ask the server whether the request still takes answers, and whether its key is the link's. */
  async check() {
    const send = $("#ws-request-send", this.root, HTMLButtonElement);
    send.disabled = true;
    try {
      const { status, body } = await api(`requests/${encodeURIComponent(this.request.id)}`);
      if (status === 404) {
        this.state("There is no request at this link any more: it expired and was cleaned up, or it never existed. Ask your therapist for a new link.");
      } else if (status !== 200) {
        this.state(`The request cannot be checked right now (${body.message || `error ${status}`}). Please try again later.`);
      } else if (body.public_key !== toBase64url(this.request.publicKey)) {
        this.state("This link does not match the request it names, so nothing will be sent with it. Ask your therapist to send the link again.");
      } else if (body.state !== "open") {
        this.state(body.message);
      } else {
        this.state(`Your therapist can receive your answers until ${formatDateTime(body.expires_at)}.`);
        send.disabled = false;
      }
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      this.state("The sharing server cannot be reached right now, so nothing can be sent. Your answers are safe on this device; please try again later.");
    }
  }

  /** Send the chosen answers; with nothing answered in this browser, only once the person has said so. */
  async send({ empty = false } = {}) {
    const snapshotRequest = this.panel.snapshotRequest();
    if (!snapshotRequest) return;
    const guard = $("#ws-request-empty", this.root);
    const nothingAnswered = !store.hasAnswers(snapshotRequest.document);
    guard.hidden = !nothingAnswered || empty;
    if (nothingAnswered && !empty) {
      guard.focus();
      return;
    }
    const send = $("#ws-request-send", this.root, HTMLButtonElement);
    send.disabled = true;
    this.panel.say("Encrypting…");
    let sent = false;
    try {
      const made = await python().call("snapshot", snapshotRequest);
      if (made.error) {
        this.panel.say(`The snapshot could not be made: ${made.error.join(" ")}`, { problem: true });
        return;
      }
      const ciphertext = await sealAnswers(made.ok.snapshot, { requestId: this.request.id, publicKey: this.request.publicKey });
      const { status, body } = await api(`requests/${encodeURIComponent(this.request.id)}/responses`, { method: "POST", body: { ciphertext } });
      if (status === 201) {
        sent = true;
        $("#ws-share-preview-area", this.root).hidden = true;
        const receipt = await receiptCode(ciphertext);
        this.state(`Sent on ${formatDateTime(body.received_at)}. Receipt code: ${receipt}.`);
        this.panel.say(`Your answers were sent. Only the browser your therapist asked from can open them. Your receipt code is ${receipt}: your therapist sees the same code beside your answers, so tell it to them (or show them this page) to check the answers they got are the ones you sent. You can close this page.`);
      } else {
        this.panel.say(status === 429 ? "Too much was sent from here recently. Please try again later."
          : `Nothing was sent: ${body.message || `error ${status}`}`, { problem: true });
      }
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      this.panel.say("The sharing server could not be reached, so nothing was sent. Please try again later.", { problem: true });
    } finally {
      if (sent) send.disabled = true;
      else await this.check();
    }
  }
}
