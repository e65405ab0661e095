// Dispatch Field: the technician's day on a phone. State, loading (network first, IndexedDB when offline),
// the outbox, GPS and live updates; screens are drawn by views.js.
import { Api, errorText } from "./api.js";
import { enRouteMap } from "./map.js";
import { Outbox } from "./outbox.js";
import { Gps } from "./gps.js";
import { Store } from "./store.js";
import { downscale, h, todayIn, toast } from "./ui.js";
import { completeSheet, dayView, jobView, profileView } from "./views.js";
import { renderResults, renderStrips } from "./strips.js";

const cfg = JSON.parse(document.getElementById("field-config").textContent);
const api = new Api(cfg.csrf);
const store = await new Store("dispatch-field-" + cfg.user.id).open();
const outbox = new Outbox(store, api);
const gps = new Gps(outbox, cfg.gps);
const view = document.getElementById("view");
const previews = new Map();  // queued photo → its object URL (made once)

const s = {
  cfg, today: todayIn(cfg.tz), route: { name: "day" }, day: { date: null, jobs: null }, todayJobs: [],
  job: null, jobOffline: false, profile: null, profileError: "", pending: [], map: null, results: [],
  pendingFor: (id) => s.pending.filter((i) => i.appt_id === id && i.kind !== "positions").length,
  pendingNotes: (id) => s.pending.filter((i) => i.kind === "note" && i.appt_id === id)
    .map((i) => ({ author_name: cfg.user.name, author_role: "technician", text: i.json.text, time_text: "now", waiting: true })),
  pendingPhotos: (id) => s.pending.filter((i) => i.kind === "photo" && i.appt_id === id)
    .map((i) => ({ preview: previews.get(i.seq) || previews.set(i.seq, URL.createObjectURL(i.blob)).get(i.seq) })),
  actionsFor: (job) => cfg.actions_by_status[overlay(job).status] || [],
};
window.fieldApp = { s, outbox, gps, store };  // for the browser tests and for debugging on a phone

// --- the outbox overlay: queued status actions already show on screen ------------------------------------------
function overlay(job) {
  const mine = s.pending.filter((i) => i.kind === "action" && i.appt_id === job.id);
  if (!mine.length) return job;
  const last = mine[mine.length - 1];
  return Object.assign({}, job, { status: last.target, version: last.if_match + 1 });
}

function withOverlay(jobs) {
  return (jobs || []).map(overlay);
}

// --- loading ---------------------------------------------------------------------------------------------------
async function fetchCached(url, key) {
  try {
    const res = await api.get(url);
    if (res.ok) {
      await store.remember(key, res.data);
      return { data: res.data, fromCache: false };
    }
    if (res.status === 401) { location.href = "/field/login"; return { data: null }; }
    return { data: null, error: errorText(res) };
  } catch (err) {
    const row = await store.cached(key);
    return row ? { data: row.value, fromCache: true, savedAt: row.saved_at } :
      { data: null, error: "You are offline and this was not loaded before." };
  }
}

async function loadToday() {
  const r = await fetchCached("/api/v1/field/appointments?date=" + s.today, "day:" + s.today);
  if (r.data) s.todayJobs = r.data;
  updateGps();
  return r;
}

async function loadDay(date) {
  s.day = { date, jobs: s.day.date === date ? s.day.jobs : null };
  draw();
  const r = date === s.today ? await loadToday() : await fetchCached("/api/v1/field/appointments?date=" + date, "day:" + date);
  if (s.route.name !== "day" || s.route.day !== date) return;
  s.day = { date, jobs: r.data ? r.data : (s.day.jobs || []), fromCache: !!r.fromCache, savedAt: r.savedAt, error: r.error };
  draw();
  if (r.data && !r.fromCache) prefetch(r.data);
}

function prefetch(jobs) {
  for (const j of jobs) {
    if (!["complete", "cancelled"].includes(j.status)) fetchCached("/api/v1/field/appointments/" + j.id, "job:" + j.id);
  }
}

async function loadJob(id) {
  const r = await fetchCached("/api/v1/field/appointments/" + id, "job:" + id);
  if (s.route.name !== "job" || s.route.id !== id) return;
  if (!r.data) {
    const brief = [...s.todayJobs, ...(s.day.jobs || [])].find((j) => j.id === id);
    if (!brief) { view.replaceChildren(h("p", { class: "alert alert-error" }, r.error || "This job is not among yours.")); return; }
    r.data = brief;
    r.fromCache = true;
  }
  s.job = r.data;
  s.jobOffline = !!r.fromCache;
  draw();
}

async function loadProfile() {
  const res = await api.get("/api/v1/field/profile").catch(() => null);
  s.profile = res && res.ok ? res.data : null;
  s.profileError = res ? (res.ok ? "" : errorText(res)) : "Your profile needs a connection. Try again when you are back online.";
  if (s.route.name === "profile") draw();
}

// --- drawing ---------------------------------------------------------------------------------------------------
function draw() {
  const typed = ["note-text", "bio"].map((id) => [id, document.getElementById(id)])
    .filter(([, el]) => el && el.value).map(([id, el]) => [id, el.value, document.activeElement === el]);
  drawView();
  for (const [id, value, focused] of typed) {  // a redraw never loses what the tech is typing
    const el = document.getElementById(id);
    if (el) { el.value = value; if (focused) el.focus(); }
  }
}

function drawView() {
  if (s.map) { s.map.remove(); s.map = null; }
  let parts;
  if (s.route.name === "job" && s.job) {
    const job = overlay(s.job);
    parts = jobView(Object.assign({}, s, { job }), handlers);
    view.replaceChildren(...parts);
    if (job.status === "en_route") showMap(job);
  } else if (s.route.name === "job") {
    view.replaceChildren(h("p", { class: "empty" }, "Loading the job…"));
  } else if (s.route.name === "profile") {
    view.replaceChildren(...profileView(s, handlers));
  } else {
    view.replaceChildren(...dayView(Object.assign({}, s, { day: Object.assign({}, s.day, { jobs: s.day.jobs && withOverlay(s.day.jobs) }) }), handlers));
  }
  renderStrips(s, outbox, gps);
}

async function showMap(job) {
  const el = document.getElementById("minimap");
  if (!el) return;
  const site = job.map && job.map.site;
  const m = await enRouteMap(el, document.getElementById("map-note"),
    { base: cfg.leaflet, tileUrl: job.map ? job.map.tile_url : cfg.tile_url, site, tech: gps.lastFix });
  if (document.getElementById("minimap") === el) s.map = m; else if (m) m.remove();
}

// --- actions ---------------------------------------------------------------------------------------------------
const LABELS = { confirm: "Confirm Job", "on-my-way": "On My Way", start: "Start Appointment", complete: "Complete",
                 pause: "Pause for follow-up" };

async function send(job, action, message, button) {
  if (button) button.disabled = true;
  const current = overlay(job);
  await outbox.enqueue({ kind: "action", method: "POST", url: `/api/v1/field/appointments/${job.id}/${action.action}`,
    json: action.action === "pause" ? { customer_message: message } : undefined, appt_id: job.id,
    target: action.target, if_match: current.version, label: `${LABELS[action.action]} — ${job.customer_name}` });
  await refreshPending();
  draw();
}

const handlers = {
  action(job, a, button) {
    if (a.action === "finish") {
      const sheet = completeSheet(job, a.choices, {
        finish: (j, choice, msg) => { sheet.remove(); send(j, choice, msg); },
        close: () => sheet.remove(),
      });
      document.body.append(sheet);
      return;
    }
    send(job, a, "", button);
  },
  async note(job, textarea) {
    const text = textarea.value.trim();
    if (!text) { toast("Write the note first.", "error"); return; }
    textarea.value = "";
    await outbox.enqueue({ kind: "note", method: "POST", url: `/api/v1/field/appointments/${job.id}/notes`,
      json: { text }, appt_id: job.id, label: `Note on ${job.customer_name}` });
    await refreshPending();
    draw();
  },
  async photo(job, input) {
    const file = input.files && input.files[0];
    if (!file) return;
    const blob = await downscale(file);
    await outbox.enqueue({ kind: "photo", method: "POST", url: `/api/v1/field/appointments/${job.id}/photos`,
      blob, filename: "visit.jpg", appt_id: job.id, label: `Photo for ${job.customer_name}` });
    await refreshPending();
    draw();
  },
  async saveBio(text) {
    const res = await api.send("PUT", "/api/v1/field/bio", { json: { bio: text.trim() } }).catch(() => null);
    if (!res) { toast("You are offline — send your bio when you are back online.", "error"); return; }
    if (!res.ok) { toast(errorText(res), "error"); return; }
    toast("Bio sent. The office will approve it before customers see it.", "ok");
    loadProfile();
  },
  async profilePhoto(input) {
    const file = input.files && input.files[0];
    if (!file) return;
    const form = new FormData();
    form.append("photo", await downscale(file, 1024), "me.jpg");
    const res = await api.send("PUT", "/api/v1/field/profile/photo", { form }).catch(() => null);
    if (!res) { toast("You are offline — change your photo when you are back online.", "error"); return; }
    if (!res.ok) { toast(errorText(res), "error"); return; }
    toast("Photo sent. The office will approve it before customers see it.", "ok");
    s.profile = res.data;
    draw();
  },
  async signOut(e) {
    const { changes, points } = await outbox.summary();
    if ((changes || points) && !confirm(`${changes} change(s) and ${points} location point(s) have not been sent yet ` +
        "and will be lost. Sign out anyway?")) {
      e.preventDefault();
      return;
    }
  },
};

// --- answers from the server for queued changes --------------------------------------------------------------
function conflictText(item, res) {
  const d = (res.data && res.data.error && res.data.error.details) || {};
  const who = d.updated_by || "Someone else";
  const now = d.current && d.current.status_label ? ` — it is now ${d.current.status_label}` : "";
  return `${who} changed this job first${now}. Your “${item.label}” was not applied. The screen shows the latest.`;
}

function describe(item, res) {
  if (res.ok) return { ok: true, text: item.label + (item.kind === "positions" ? " sent" : " — sent") };
  if (res.status === 412) return { ok: false, text: conflictText(item, res) };
  return { ok: false, text: item.label + " — not applied: " + errorText(res) };
}

outbox.addEventListener("settled", async (e) => {
  const results = [];
  let refreshNeeded = false;
  for (const { item, res } of e.detail) {
    const r = describe(item, res);
    if (item.waited) {
      results.push({ kind: item.kind, ok: r.ok, text: r.text, label: item.label,
        points: item.kind === "positions" ? item.json.positions.length : 0, at: new Date().toISOString() });
    } else if (!r.ok) {
      toast(r.text, "error", 10000);
    }
    if (item.kind === "action" && res.ok && res.data) {
      mergeJob(res.data);
      if (!item.waited) toast(item.label.split(" — ")[0] + " ✓", "ok", 3000);
    }
    refreshNeeded = refreshNeeded || item.kind !== "positions";
  }
  if (results.length) {
    await store.many("results", "add", results);
    const bad = results.filter((r) => !r.ok).length;
    toast(bad ? `${bad} change${bad === 1 ? " was" : "s were"} not applied — see the list at the top.` :
      "Back online — everything waiting was sent ✓", bad ? "error" : "ok", 8000);
  }
  if (refreshNeeded) scheduleRefresh();
});

let shownPending = "";
outbox.addEventListener("changed", async () => {
  await refreshPending();
  const now = s.pending.filter((i) => i.kind !== "positions").map((i) => i.seq).join(",");
  if (now !== shownPending) { shownPending = now; draw(); } else renderStrips(s, outbox, gps);
});
outbox.addEventListener("connection", (e) => { renderStrips(s, outbox, gps); if (e.detail) scheduleRefresh(); });
gps.addEventListener("changed", () => {
  renderStrips(s, outbox, gps);
  if (s.map && gps.lastFix) s.map.update(gps.lastFix);
});

function mergeJob(data) {
  const swap = (list) => (list || []).map((j) => (j.id === data.id ? Object.assign({}, j, data) : j));
  s.todayJobs = swap(s.todayJobs);
  if (s.day.jobs) s.day.jobs = swap(s.day.jobs);
  if (s.job && s.job.id === data.id) s.job = Object.assign({}, s.job, data);
  updateGps();
}

async function refreshPending() {
  s.pending = await outbox.pending();
  s.results = await store.all("results");
  updateGps();
}

let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 150);
}

async function refresh() {
  await outbox.idle();
  await refreshPending();
  if (s.route.name === "job") await loadJob(s.route.id);
  else if (s.route.name === "day") await loadDay(s.route.day);
  else await loadProfile();
  if (!(s.route.name === "day" && s.route.day === s.today)) await loadToday();
  draw();
}

function updateGps() {
  const jobs = withOverlay(s.todayJobs);
  gps.setMode(jobs.some((j) => j.status === "en_route") ? "en_route" :
    jobs.some((j) => j.status === "dispatched") ? "dispatched" : null);
}

// --- live updates: only this tech's jobs, only while the page is visible ---------------------------------------
let source = null;
function live() {
  const visible = document.visibilityState === "visible";
  if (visible && !source) {
    source = new EventSource("/api/v1/field/events");
    source.addEventListener("jobs.changed", scheduleRefresh);
    source.addEventListener("profile.changed", () => { if (s.route.name === "profile") loadProfile(); });
    source.addEventListener("signed.out", () => { location.href = "/field/login"; });
  } else if (!visible && source) {
    source.close();
    source = null;
  }
  if (visible) { outbox.drain(); scheduleRefresh(); }
}
document.addEventListener("visibilitychange", live);
window.addEventListener("pagehide", () => gps.flush());  // fixes still in memory go to the outbox first

// --- routing ---------------------------------------------------------------------------------------------------
function route() {
  document.querySelectorAll(".sheet-back").forEach((el) => el.remove());
  const hash = location.hash.replace(/^#\/?/, "");
  const [name, arg] = hash.split("/");
  s.today = todayIn(cfg.tz);
  if (name === "job" && /^\d+$/.test(arg || "")) {
    const id = Number(arg);
    if (!s.job || s.job.id !== id) s.job = null;
    s.route = { name: "job", id };
    draw();
    loadJob(id);
  } else if (name === "profile") {
    s.route = { name: "profile" };
    draw();
    loadProfile();
  } else {
    const day = name === "day" && /^\d{4}-\d\d-\d\d$/.test(arg || "") ? arg : s.today;
    s.route = { name: "day", day };
    loadDay(day);
  }
  window.scrollTo(0, 0);
}
window.addEventListener("hashchange", route);

document.getElementById("results").addEventListener("click", async (e) => {
  if (e.target.closest("[data-dismiss]")) { await store.clear("results"); await refreshPending(); renderResults(s); }
});

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/field/sw.js", { scope: "/field" }).catch(() => null);
}
await refreshPending();
route();
if (s.route.name !== "day" || s.route.day !== s.today) loadToday();
live();
outbox.drain();
setInterval(() => { if (document.visibilityState === "visible") scheduleRefresh(); }, 120000);
setInterval(() => { if (s.today !== todayIn(cfg.tz)) { s.today = todayIn(cfg.tz); route(); } }, 60000);
