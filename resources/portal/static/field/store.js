// IndexedDB on the phone: the outbox of changes not sent yet, the last loaded day and jobs (for offline use),
// and the results of changes sent after a reconnect.
const VERSION = 1;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export class Store {
  constructor(name) {
    this.name = name;
    this.db = null;
  }

  async open() {
    const req = indexedDB.open(this.name, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      if (!db.objectStoreNames.contains("cache")) db.createObjectStore("cache", { keyPath: "key" });
      if (!db.objectStoreNames.contains("results")) db.createObjectStore("results", { keyPath: "id", autoIncrement: true });
    };
    this.db = await promised(req);
    return this;
  }

  _store(name, mode) {
    return this.db.transaction(name, mode).objectStore(name);
  }

  add(name, value) { return promised(this._store(name, "readwrite").add(value)); }
  put(name, value) { return promised(this._store(name, "readwrite").put(value)); }
  get(name, key) { return promised(this._store(name, "readonly").get(key)); }
  all(name) { return promised(this._store(name, "readonly").getAll()); }
  delete(name, key) { return promised(this._store(name, "readwrite").delete(key)); }
  clear(name) { return promised(this._store(name, "readwrite").clear()); }
  count(name) { return promised(this._store(name, "readonly").count()); }

  // Several writes in one transaction (one commit on the phone's storage instead of one per row). `relaxed`
  // for bookkeeping that is safe to lose in a crash (a change sent again is answered by its Idempotency-Key).
  many(name, op, values, relaxed = false) {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(name, "readwrite", relaxed ? { durability: "relaxed" } : undefined);
      const store = tx.objectStore(name);
      for (const v of values) store[op](v);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  first(name) {
    return new Promise((resolve, reject) => {
      const req = this._store(name, "readonly").openCursor();
      req.onsuccess = () => resolve(req.result ? req.result.value : null);
      req.onerror = () => reject(req.error);
    });
  }

  async cached(key) {
    const row = await this.get("cache", key);
    return row || null;
  }

  remember(key, value) {
    return this.put("cache", { key, value, saved_at: new Date().toISOString() });
  }

  static destroy(name) {
    return promised(indexedDB.deleteDatabase(name)).catch(() => null);
  }
}
