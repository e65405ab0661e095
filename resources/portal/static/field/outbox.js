// The outbox: every change (status actions, notes, photos, GPS batches) is written to IndexedDB first, then sent
// strictly in order with its original Idempotency-Key. Without a connection it waits and is sent on reconnect.
import { NetworkError, newKey } from "./api.js";

const RETRY_MS = 8000;
const MAX_COALESCE = 50;  // position batches kept offline go back in one request, each with its own key

export class Outbox extends EventTarget {
  constructor(store, api) {
    super();
    this.store = store;
    this.api = api;
    this.draining = null;
    this.online = navigator.onLine;
    this.blocked = "";  // "", "signed-out" or "server": why the queue is not moving although we are online
    this.timer = null;
    window.addEventListener("online", () => this.drain());
    window.addEventListener("offline", () => this._setOnline(false));
  }

  // Keep a change and start sending. `item`: {kind, method, url, json | blob, label, appt_id?, target?, if_match?}
  async enqueue(item) {
    item.key = item.key || newKey();
    item.created_at = item.created_at || new Date().toISOString();
    item.waited = false;
    item.seq = await this.store.add("outbox", item);
    this._changed();
    this.drain();
    return item;
  }

  pending() {
    return this.store.all("outbox");
  }

  async summary() {
    const items = await this.pending();
    const changes = items.filter((i) => i.kind !== "positions");
    const points = items.filter((i) => i.kind === "positions").reduce((n, i) => n + i.json.positions.length, 0);
    return { changes: changes.length, points, items };
  }

  drain() {
    if (!this.draining) {
      this.draining = this._drain().finally(() => { this.draining = null; });
    }
    return this.draining;
  }

  async idle() {
    while (this.draining) await this.draining;
  }

  async _drain() {
    for (;;) {
      const head = await this._head();
      if (!head.length) {
        this._schedule(false);
        return;
      }
      let answers;
      try {
        answers = await this._sendHead(head);
      } catch (err) {
        if (!(err instanceof NetworkError)) throw err;
        this._setOnline(false);
        await this._waited();
        this._schedule(true);
        return;
      }
      this._setOnline(true);
      const done = [];
      let stop = null;
      for (let i = 0; i < answers.length; i++) {
        const item = head[i], res = answers[i];
        if (res.status >= 500 || res.status === 429 || res.status === 401 || res.status === 403 ||
            (res.status === 409 && item.kind === "positions")) {
          stop = { item, res };  // server trouble or signed out: keep this change and what follows
          break;
        }
        done.push({ item, res });
      }
      if (done.length) {
        this.blocked = "";
        await this.store.many("outbox", "delete", done.map((d) => d.item.seq), true);
        this.dispatchEvent(new CustomEvent("settled", { detail: done }));
        this._changed();
      }
      if (stop) {
        this.blocked = stop.res.status === 401 || stop.res.status === 403 ? "signed-out" : "server";
        await this._waited();
        this.dispatchEvent(new CustomEvent("blocked", { detail: stop }));
        this._schedule(true);
        return;
      }
    }
  }

  // The next thing to send: one change, or the run of position batches at the front of the queue.
  async _head() {
    const first = await this.store.first("outbox");
    if (!first || first.kind !== "positions") return first ? [first] : [];
    const run = [];
    for (const item of await this.store.all("outbox")) {
      if (item.kind !== "positions" || run.length >= MAX_COALESCE) break;
      run.push(item);
    }
    return run;
  }

  async _sendHead(head) {
    if (head.length === 1) return [await this._send(head[0])];
    const res = await this.api.send("POST", "/api/v1/field/positions/batches",
      { json: { batches: head.map((i) => ({ key: i.key, positions: i.json.positions })) } });
    if (res.status === 422) return [await this._send(head[0])];  // one bad batch must not sink the others
    if (!res.ok) return head.map(() => res);  // refused as a whole (signed out, server trouble): kept for later
    return res.data.results.map((r) => ({ status: r.status, ok: r.status === 200, data: r.result || { error: r.error } }));
  }

  // Everything still queued was not sent at once: its result is listed after the reconnect.
  async _waited() {
    for (const item of await this.store.all("outbox")) {
      if (!item.waited) {
        item.waited = true;
        await this.store.put("outbox", item);
      }
    }
    this._changed();
  }

  _send(item) {
    const headers = { "Idempotency-Key": item.key };
    if (item.if_match != null) headers["If-Match"] = '"' + item.if_match + '"';
    if (item.kind === "photo") {
      const form = new FormData();
      form.append("photo", item.blob, item.filename || "photo.jpg");
      if (item.caption) form.append("caption", item.caption);
      return this.api.send(item.method, item.url, { form, headers });
    }
    return this.api.send(item.method, item.url, { json: item.json, headers });
  }

  _schedule(on) {
    clearTimeout(this.timer);
    if (on) this.timer = setTimeout(() => this.drain(), RETRY_MS);
  }

  _setOnline(value) {
    if (this.online !== value) {
      this.online = value;
      this.dispatchEvent(new CustomEvent("connection", { detail: value }));
    }
  }

  _changed() {
    this.dispatchEvent(new Event("changed"));
  }
}
