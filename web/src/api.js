// The REST API: JSON in and out, the bearer token, and errors as ApiError (status + the server's message).
import { apiPrefix } from "./settings.js";

const TOKEN_KEY = "messenger.token";
let token = localStorage.getItem(TOKEN_KEY);
let socketId = () => null;
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || (status ? `Request failed (${status})` : "The server cannot be reached"));
    this.status = status;
    this.errors = body?.errors || {};
  }
}

export const auth = {
  get token() { return token; },
  set(value) {
    token = value;
    if (value) localStorage.setItem(TOKEN_KEY, value); else localStorage.removeItem(TOKEN_KEY);
  },
  useSocketId(fn) { socketId = fn; },
  onUnauthorized(fn) { onUnauthorized = fn; },
};

/** `path` is under the messenger API unless it starts with "/"; `json` or `form` is the body. */
export async function api(path, { method = "GET", json, form, signal } = {}) {
  const headers = { Accept: "application/json", "X-Requested-With": "XMLHttpRequest" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const sid = socketId();
  if (sid) headers["X-Socket-ID"] = sid;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) body = form;
  const url = path.startsWith("/") ? path : `${apiPrefix}/${path}`;
  let response;
  try {
    response = await fetch(url, { method, headers, body, signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, null);
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && token && !path.startsWith("/api/auth/")) onUnauthorized();
    throw new ApiError(response.status, data);
  }
  return data;
}

/** Follows a list's `next_page_route` (a path under the API prefix or a full path). */
export function nextPage(meta) {
  if (!meta || meta.final_page || !meta.next_page_route) return null;
  const route = meta.next_page_route;
  return route.startsWith(apiPrefix) ? route : route.startsWith("/") ? route : `${apiPrefix}/${route}`;
}

export const providerKey = (p) => `${p.provider_alias}:${p.provider_id}`;
