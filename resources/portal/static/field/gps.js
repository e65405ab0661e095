// GPS while the app is open: watchPosition (high accuracy) while the tech has a job dispatched or en route, fixes
// sent in batches through the outbox (so they survive a lost connection), Screen Wake Lock held while En Route.
const MIN_GAP_MS = 4000;   // keep at most one fix every 4 s …
const MIN_MOVE_M = 15;     // … unless the phone moved this far
const MAX_BATCH = 50;

function metres(a, b) {
  const r = 6371008.8, rad = Math.PI / 180;
  const dp = (b.lat - a.lat) * rad, dl = (b.lng - a.lng) * rad;
  const h = Math.sin(dp / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dl / 2) ** 2;
  return 2 * r * Math.asin(Math.min(1, Math.sqrt(h)));
}

export class Gps extends EventTarget {
  constructor(outbox, { enRouteS = 10, dispatchedS = 30 } = {}) {
    super();
    this.outbox = outbox;
    this.every = { en_route: enRouteS * 1000, dispatched: dispatchedS * 1000 };
    this.state = "idle";   // idle | waiting | on | denied | unavailable | unsupported
    this.mode = null;      // null | "dispatched" | "en_route"
    this.watch = null;
    this.buffer = [];
    this.lastKept = null;
    this.lastSent = 0;
    this.timer = null;
    this.lock = null;
    this.sent = 0;
    this.lastFix = null;
    document.addEventListener("visibilitychange", () => this._wake());
  }

  // What the day needs: "en_route" (a job under way), "dispatched" (one confirmed) or null (nothing: GPS off).
  setMode(mode) {
    if (mode === this.mode) return;
    this.mode = mode;
    if (mode && this.watch === null) this._start();
    if (!mode && this.watch !== null) this._stop();
    this._wake();
    this._changed();
  }

  _start() {
    if (!("geolocation" in navigator) || !window.isSecureContext) {
      this._set("unsupported");
      return;
    }
    this._set("waiting");
    this.watch = navigator.geolocation.watchPosition((p) => this._fix(p), (e) => this._error(e),
      { enableHighAccuracy: true, maximumAge: 5000, timeout: 60000 });
  }

  _stop() {
    navigator.geolocation.clearWatch(this.watch);
    this.watch = null;
    this.flush();
    this._set("idle");
  }

  _error(err) {
    if (err.code === 1) {  // PERMISSION_DENIED
      this._set("denied");
      if (this.watch !== null) navigator.geolocation.clearWatch(this.watch);
      this.watch = null;
    } else if (this.state !== "on") {
      this._set("unavailable");
    }
  }

  _fix(pos) {
    const c = pos.coords;
    const fix = {
      lat: c.latitude, lng: c.longitude, accuracy_m: Math.min(Math.max(c.accuracy || 0, 0), 100000),
      recorded_at: new Date(pos.timestamp || Date.now()).toISOString(),
    };
    if (typeof c.speed === "number" && c.speed >= 0 && c.speed <= 200) fix.speed_mps = c.speed;
    this.lastFix = fix;
    this._set("on");
    const t = Date.parse(fix.recorded_at);
    const prev = this.lastKept;
    if (prev && t - prev.t < MIN_GAP_MS && metres(prev, fix) < MIN_MOVE_M) return;
    if (prev && t <= prev.t) return;
    this.lastKept = { t, lat: fix.lat, lng: fix.lng };
    this.buffer.push(fix);
    this._due();
  }

  _due() {
    const every = this.every[this.mode] || this.every.dispatched;
    const wait = this.lastSent + every - Date.now();
    if (wait <= 0 || this.buffer.length >= MAX_BATCH) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => { this.timer = null; this.flush(); }, wait);
    }
  }

  // Hand the buffered fixes to the outbox as one batch (one Idempotency-Key, kept if the phone is offline).
  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.buffer.length) return null;
    const positions = this.buffer.splice(0, this.buffer.length);
    this.lastSent = Date.now();
    this.sent += positions.length;
    this._changed();
    return this.outbox.enqueue({ kind: "positions", method: "POST", url: "/api/v1/field/positions",
      json: { positions }, label: positions.length + " location point" + (positions.length === 1 ? "" : "s") });
  }

  async _wake() {
    const want = this.mode === "en_route" && document.visibilityState === "visible" && "wakeLock" in navigator;
    if (want && !this.lock) {
      try {
        this.lock = await navigator.wakeLock.request("screen");
        this.lock.addEventListener("release", () => { this.lock = null; this._changed(); });
      } catch (e) {
        this.lock = null;
      }
      this._changed();
    } else if (!want && this.lock) {
      const l = this.lock;
      this.lock = null;
      l.release().catch(() => null);
      this._changed();
    }
  }

  _set(state) {
    if (state !== this.state) {
      this.state = state;
      this._changed();
    }
  }

  _changed() {
    this.dispatchEvent(new Event("changed"));
  }
}
