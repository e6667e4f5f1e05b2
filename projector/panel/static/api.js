// The panel's only way to the server: same-origin fetch with the session cookie,
// the CSRF token on every request that changes anything, and JSON errors turned
// into ApiError. A lost session (401) is reported once to whoever listens.

import { t } from "./i18n.js";

const CSRF_KEY = "projector.csrf";
const USER_KEY = "projector.user";

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || null;
  }
}

export const session = {
  csrf: null,
  username: null,
  role: null,
  /** Called with the ApiError when the server says the session is gone. */
  onLost: null,

  load() {
    try {
      this.csrf = sessionStorage.getItem(CSRF_KEY);
      const user = JSON.parse(sessionStorage.getItem(USER_KEY) || "null");
      if (user) {
        this.username = user.username;
        this.role = user.role;
      }
    } catch {
      this.csrf = null;
    }
  },

  save(login) {
    this.csrf = login.csrf_token;
    this.username = login.username;
    this.role = login.role;
    try {
      sessionStorage.setItem(CSRF_KEY, this.csrf);
      sessionStorage.setItem(USER_KEY, JSON.stringify({ username: this.username, role: this.role }));
    } catch {
      /* private mode: the token stays in memory only */
    }
  },

  clear() {
    this.csrf = null;
    this.role = null;
    try {
      sessionStorage.removeItem(CSRF_KEY);
      sessionStorage.removeItem(USER_KEY);
    } catch {
      /* ignore */
    }
  },

  get canOperate() {
    return this.role === "operator" || this.role === "admin";
  },
};

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * api("POST", "/api/v1/cue/go", {expected: 2}) -> parsed JSON, or throws ApiError.
 * options.contentType sends `body` as it is (a TOML file); options.auth=false
 * keeps a 401 from counting as a lost session (the login form's own 401).
 */
export async function api(method, path, body, options = {}) {
  const headers = { Accept: "application/json" };
  let payload;
  if (body !== undefined) {
    if (options.contentType) {
      headers["Content-Type"] = options.contentType;
      payload = body;
    } else {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
  }
  if (!SAFE_METHODS.has(method) && session.csrf) headers["X-CSRF-Token"] = session.csrf;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: payload,
      credentials: "same-origin",
      cache: "no-store",
      signal: options.signal,
    });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, "network", t("The server cannot be reached. Check the network."));
  }
  let data = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (response.ok) return data;
  const e = (data && data.error) || {};
  const error = new ApiError(
    response.status,
    e.code || `http_${response.status}`,
    e.message || `${response.status} ${response.statusText || "error"}`,
    e.field,
  );
  if (
    response.status === 401 &&
    options.auth !== false &&
    (error.code === "session_expired" || error.code === "unauthorized") &&
    typeof session.onLost === "function"
  ) {
    session.onLost(error);
  }
  throw error;
}

/** The reply, or null when the server refused or could not be reached (the caller shows nothing new). */
export async function quietly(promise) {
  try {
    return await promise;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return null;
  }
}
