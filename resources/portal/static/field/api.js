// The field API over fetch: same-origin cookie session, CSRF header on every write, readable errors.
export class NetworkError extends Error {}

export class Api {
  constructor(csrf) {
    this.csrf = csrf;
  }

  headers(extra) {
    return Object.assign({ "Accept": "application/json", "X-CSRF-Token": this.csrf }, extra || {});
  }

  // One request; resolves {status, ok, data, etag} for any HTTP answer, throws NetworkError when offline.
  async send(method, url, { json, form, headers } = {}) {
    const init = { method, headers: this.headers(headers), credentials: "same-origin", cache: "no-store" };
    if (json !== undefined) {
      init.body = JSON.stringify(json);
      init.headers["Content-Type"] = "application/json";
    } else if (form !== undefined) {
      init.body = form;
    }
    let resp;
    try {
      resp = await fetch(url, init);
    } catch (err) {
      throw new NetworkError(String(err && err.message || err));
    }
    let data = null;
    const type = resp.headers.get("content-type") || "";
    if (type.includes("json")) {
      try { data = await resp.json(); } catch (e) { data = null; }
    }
    return { status: resp.status, ok: resp.ok, data, etag: resp.headers.get("etag") };
  }

  get(url) { return this.send("GET", url); }
}

export function errorText(res, fallback) {
  const err = res && res.data && res.data.error;
  return (err && err.message) || fallback || ("The server answered " + (res ? res.status : "nothing") + ".");
}

export function newKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
