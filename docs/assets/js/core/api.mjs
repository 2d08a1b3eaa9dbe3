// @ts-check
// Calls to the sync server's API. Its address is the site's own API_PREFIX unless the page names another one
// (a <meta name="tsw-sync-api"> written from mkdocs.yml's extra.sync_api, for a site hosted apart).
import { API_PREFIX } from "./facts.mjs";

export class ServerUnreachable extends Error {}

export function apiBase() {
  const configured = /** @type {HTMLMetaElement | null} */ (document.querySelector('meta[name="tsw-sync-api"]'))?.content;
  return configured ? new URL(configured.replace(/\/?$/, "/"), location.href) : new URL(`../../..${API_PREFIX}/`, import.meta.url);
}

/**
 * Send one request; resolves to {status, body} for any HTTP answer, rejects with ServerUnreachable.
 * @param {string} path under the API's address
 * @param {{method?: string, body?: object, token?: string}} [options] a JSON body; a bearer token
 * @returns {Promise<{status: number, body: any}>}
 */
export async function api(path, { method = "GET", body, token } = {}) {
  /** @type {Record<string, string>} */
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(new URL(path, apiBase()), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ServerUnreachable("the sync server could not be reached");
  }
  const text = await response.text();
  let parsed = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { error: "unreadable", message: "The server's answer could not be read." };
  }
  return { status: response.status, body: parsed };
}

export function siteRoot() {
  return new URL("../../../", import.meta.url);
}

/** Whether the sync server answers its health check; false when it cannot be reached at all. */
export async function serverReachable() {
  try {
    return (await api("health")).status === 200;
  } catch (error) {
    if (!(error instanceof ServerUnreachable)) throw error;
    return false;
  }
}
