/* The REST API, as the browser uses it: the login session, the CSRF header on writes, and the
   one error shape ({code, detail, fields}) turned into an ApiError. */

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `Request failed (${status})`);
    this.status = status;
    this.body = body || {};
    this.code = this.body.code || "error";
    this.detail = this.body.detail || this.message;
    this.fields = this.body.fields || {};
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) return meta.content;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    search.append(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/**
 * api("PATCH", "/api/v1/projects/1/endpoints/2/", {body: {...}, version: 3})
 * Resolves with the parsed JSON (null for 204); rejects with ApiError.
 */
export async function api(method, path, options = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
  if (options.version !== undefined && options.version !== null) {
    headers["If-Match"] = `"${options.version}"`;
  }
  let body;
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(path + query(options.query), {
      method,
      headers,
      body,
      credentials: "same-origin",
      signal: options.signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, { code: "network", detail: "The server could not be reached. Check your connection." });
  }
  if (response.status === 204) return null;
  let data = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
  }
  if (!response.ok) {
    if (response.status === 401 || (data && data.code === "not_authenticated")) {
      window.location.assign(`/accounts/login/?next=${encodeURIComponent(location.pathname)}`);
    }
    throw new ApiError(response.status, data);
  }
  return data;
}

export const get = (path, params) => api("GET", path, { query: params });

/** Every page of a paginated list ({count, next, results}), up to `limit` items. */
export async function getAll(path, params = {}, limit = 5000) {
  const items = [];
  let page = 1;
  while (items.length < limit) {
    const data = await api("GET", path, { query: { ...params, page, page_size: 500 } });
    items.push(...data.results);
    if (!data.next) break;
    page += 1;
  }
  return items;
}

/** A readable one-line message for an error, with the first field problem if there is one. */
export function describeError(error) {
  if (!(error instanceof ApiError)) return String(error && error.message ? error.message : error);
  const fields = Object.entries(error.fields || {});
  if (fields.length) {
    const [path, messages] = fields[0];
    const more = fields.length > 1 ? ` (and ${fields.length - 1} more)` : "";
    return `${path}: ${[].concat(messages)[0]}${more}`;
  }
  if (error.body && error.body.unresolved && error.body.unresolved.length) {
    const names = [...new Set(error.body.unresolved.map((item) => item.name))];
    return `Unknown variable${names.length > 1 ? "s" : ""}: ${names.join(", ")}`;
  }
  return error.detail;
}

export function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}
