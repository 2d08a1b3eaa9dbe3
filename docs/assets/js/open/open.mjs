// @ts-check
// The therapist's one-time view. Reading the page changes nothing; only "Reveal answers" claims the share.
// The key is taken from the #fragment and removed from the address bar and history at once.
import { python } from "../core/python.mjs";
import { DecryptionError } from "../core/sealed.mjs";
import { deriveSecrets, open as decrypt, readFragment } from "../share/share-crypto.mjs";
import { api, ServerUnreachable } from "../core/api.mjs";
import { formatDateTime, utcOffsetMinutes } from "../core/format.mjs";
import { $, download, startPage } from "../core/dom.mjs";
import { showAnswers } from "../core/snapshot-view.mjs";
import { SHARE_GONE_MESSAGES } from "../core/facts.mjs";

/** What the page says of a share gone in `state` (the server's own wording), at the reader's own time. */
const gone = (state, at) => SHARE_GONE_MESSAGES[state].replace("{at}", formatDateTime(at));

class OpenPage {
  constructor(root) {
    this.root = root;
    this.secrets = null;
  }

  start() {
    $("#ws-open-reveal", this.root, HTMLButtonElement).addEventListener("click", () => this.reveal());
    $("#ws-open-passphrase", this.root, HTMLInputElement).addEventListener("keydown", (event) => {
      if (event.key === "Enter") this.reveal();
    });
    // A link pasted into the address bar of this very page changes only the #fragment: no new page load.
    addEventListener("hashchange", () => this.readLink());
    this.readLink();
  }

  async readLink() {
    const fragment = location.hash;
    if (!fragment && this.link !== undefined) return; // our own removal of the fragment
    // The key must not linger in the address bar, the history entry or a screen share.
    if (fragment) history.replaceState(history.state, "", location.pathname + location.search);
    this.link = fragment ? await readFragment(fragment) : null;
    $("#ws-open-message", this.root).hidden = true;
    if (!this.link) {
      this.fail(fragment
        ? "This link is damaged: part of it is missing or was changed, so it cannot unlock the answers. Nothing was used up. Ask the person to copy the whole link again."
        : "This page opens answers from a one-time link, but no link was given. Open the full link you were sent.");
      return;
    }
    python(); // start loading Python now, while the therapist reads
    $("#ws-open-passphrase-field", this.root).hidden = !this.link.hasPassphrase;
    $("#ws-open-form", this.root).hidden = false;
  }

  fail(text, { final = true } = {}) {
    const message = $("#ws-open-message", this.root);
    message.textContent = text;
    message.hidden = false;
    message.focus();
    if (final) $("#ws-open-form", this.root).hidden = true;
  }

  async reveal() {
    const button = $("#ws-open-reveal", this.root, HTMLButtonElement);
    const passphrase = this.link.hasPassphrase ? $("#ws-open-passphrase", this.root, HTMLInputElement).value : "";
    if (this.link.hasPassphrase && !passphrase) {
      this.fail("Enter the passphrase you were given.", { final: false });
      return;
    }
    button.disabled = true;
    $("#ws-open-message", this.root).hidden = true;
    try {
      const secrets = await deriveSecrets(this.link.linkKey, passphrase);
      const { status, body } = await api(`shares/${encodeURIComponent(this.link.id)}/claim`, {
        method: "POST", body: { claim_token: secrets.claimToken },
      });
      if (status === 200) {
        await this.show(body, secrets.key);
      } else if (status === 403) {
        this.fail(body.attempts_left
          ? `That passphrase does not match. ${body.attempts_left} attempt${body.attempts_left === 1 ? "" : "s"} left before the link is destroyed.`
          : gone("destroyed", new Date().toISOString()), { final: !body.attempts_left });
      } else if (status === 410) {
        this.fail(gone(body.reason, body.at));
      } else if (status === 404) {
        this.fail("There are no answers at this link. It may be older than its expiry and cleaned up, or it was never made.");
      } else if (status === 429) {
        this.fail("Too many attempts from here. Wait a little, then try again; the link has not been used.", { final: false });
      } else {
        this.fail(`The server could not open the link right now (${body.message || `error ${status}`}). The link has not been used; try again later.`, { final: false });
      }
    } catch (error) {
      if (!(error instanceof ServerUnreachable)) throw error;
      this.fail("The server cannot be reached right now. The link has not been used; please try again later.", { final: false });
    } finally {
      button.disabled = false;
    }
  }

  async show(claimed, key) {
    $("#ws-open-form", this.root).hidden = true;
    let text;
    try {
      text = await decrypt(claimed.ciphertext, key);
    } catch (error) {
      if (!(error instanceof DecryptionError)) throw error;
      this.fail("The answers arrived damaged and cannot be decrypted, so they cannot be shown. The link has now been used; ask the person to send a new one.");
      return;
    }
    let outcome;
    try {
      outcome = await python().call("open_snapshot", { text, utc_offset_minutes: utcOffsetMinutes() });
    } catch {
      outcome = null;
    }
    if (!outcome || outcome.error) {
      // Never lose what was claimed: the decrypted answers can still be saved as they are.
      this.fail(`The answers were unlocked but cannot be displayed here${outcome ? `: ${outcome.error.join(" ")}` : ""}. Download them before closing this page.`);
      $("#ws-open-result", this.root).hidden = false;
      $("#ws-open-json", this.root).onclick = () => download(text, "shared-answers.json", "application/json");
      $("#ws-open-markdown", this.root).hidden = true;
      $("#ws-open-print", this.root).hidden = true;
      return;
    }
    const view = outcome.ok;
    showAnswers(this.root, "ws-open", view,
      `Shared on ${formatDateTime(view.created_at)}. These answers are now deleted from the server and exist only on this page: print or download them before you close it.`);
    addEventListener("beforeunload", (event) => event.preventDefault());
    this.root.querySelector("#ws-open-answers h2")?.focus();
  }
}

startPage("#ws-open", (root) => new OpenPage(root));
