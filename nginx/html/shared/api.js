// Small fetch wrapper for the ROP API (SPEC §4).
// Every non-2xx answer becomes an ApiError carrying the error envelope
// {"error":{"code","message","details"},"requestId"}; network failures become
// ApiError with code NETWORK_ERROR, non-JSON error pages get code HTTP_<status>.

export class ApiError extends Error {
  constructor(status, code, message, details, requestId) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details || {};
    this.requestId = requestId || null;
  }
}

/**
 * api('/v1/orders/ord_1', { method: 'POST', token, body: {}, headers: {...} })
 * Resolves to the parsed JSON body (or null for 204/304), rejects with ApiError.
 */
export async function api(path, { method = 'GET', token, body, headers = {}, signal } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  const init = { method, headers: h, signal };
  if (body !== undefined) {
    h['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK_ERROR', 'Could not reach the server', {});
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (res.ok) return data;
  const err = data && typeof data === 'object' && data.error;
  if (err && typeof err.code === 'string') {
    throw new ApiError(res.status, err.code, err.message, err.details, data.requestId);
  }
  throw new ApiError(res.status, `HTTP_${res.status}`, `The server answered ${res.status} ${res.statusText || ''}`.trim(), {},
    res.headers.get('X-Request-Id'));
}

/** Fallback wording for errors a page has no specific text for. */
export function describeError(e) {
  if (!(e instanceof ApiError)) return (e && e.message) || 'Something went wrong';
  switch (e.code) {
    case 'NETWORK_ERROR': return 'Cannot reach the server — check the connection and try again.';
    case 'UNAUTHORIZED': return 'Your session has expired — please sign in again.';
    case 'FORBIDDEN': return 'You are not allowed to do that.';
    case 'RATE_LIMITED': return 'Too many requests — wait a moment and try again.';
    case 'SERVICE_UNAVAILABLE': return 'The system is temporarily unavailable — try again in a moment.';
    case 'VALIDATION_ERROR':
      return e.details && e.details.field ? `${e.message} (field: ${e.details.field})` : (e.message || 'Invalid request');
    default:
      if (e.status >= 500) return `Server error (${e.status}) — try again in a moment.`;
      return e.message || e.code;
  }
}

/** Decode a JWT payload without verifying it (display only: the server decides). */
export function jwtClaims(token) {
  try {
    const part = token.split('.')[1];
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(json);
  } catch {
    return null;
  }
}

/** Random UUID v4; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function uuid() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') {
    try { return crypto.randomUUID(); } catch { /* insecure context */ }
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
