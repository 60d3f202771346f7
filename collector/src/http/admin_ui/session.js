/* manyi admin session, shared by /admin and /admin/dashboard: the bearer
 * token kept for this browser tab (sessionStorage, so closing the tab signs
 * out) and one way to call the admin API with it. Loaded before each
 * page's own script (both `defer`, so in document order). */
(function () {
  'use strict';

  var TOKEN_KEY = 'manyi:admin-token';

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }

  /** Keeps the token for this tab (storage may be off: then for this page only). */
  function save(value) {
    try { sessionStorage.setItem(TOKEN_KEY, value); } catch (e) { /* tab-only */ }
  }

  /** Forgets the token (sign-out, or a 401). */
  function clear() {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
  }

  /** A refused API call: HTTP status, the stable error code, the
   * per-field problems the API lists, and for a 503 reports_warming_up the
   * rebuild's `progress` and the Retry-After seconds (the dashboard waits
   * that long before asking again). */
  function ApiError(status, body, retryAfter) {
    this.status = status;
    this.code = (body && body.code) || 'http_' + status;
    this.message = (body && body.message) || ('HTTP ' + status);
    this.errors = (body && body.errors) || [];
    this.progress = (body && body.progress) || null;
    this.retryAfter = retryAfter || null;
  }

  function parse(text) {
    try { return text ? JSON.parse(text) : null; } catch (e) { return null; }
  }

  /** Calls the admin API. Resolves with the Response on 2xx; otherwise
   * rejects with an ApiError, after calling `onUnauthorized` on a 401 (the
   * token was revoked or the collector restarted with a new demo token). */
  function request(method, path, body, onUnauthorized) {
    var headers = { Authorization: 'Bearer ' + (token() || '') };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(path, {
      method: method, headers: headers, cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      if (r.ok) return r;
      return r.text().then(function (text) {
        if (r.status === 401 && onUnauthorized) onUnauthorized();
        throw new ApiError(r.status, parse(text), Number(r.headers.get('Retry-After')) || null);
      });
    });
  }

  /** `request`, resolving with the parsed JSON body (null when empty). */
  function json(method, path, body, onUnauthorized) {
    return request(method, path, body, onUnauthorized).then(function (r) {
      return r.text().then(parse);
    });
  }

  window.manyiSession = {
    token: token, save: save, clear: clear, ApiError: ApiError, request: request, json: json
  };
})();
