// Tiny DOM helpers (no framework): h() builds elements with text content only, never HTML strings.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "style") { for (const [p, x] of Object.entries(v)) if (x !== null && x !== undefined) el.style[p] = x; }
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "hidden") el.hidden = !!v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let toastTimer = null;

export function toast(text, kind = "info", ms = 6000) {
  let el = document.getElementById("toast");
  if (!el) {
    el = h("div", { id: "toast", class: "toast", role: "status" });
    document.body.append(el);
  }
  el.replaceChildren(h("p", { class: "alert alert-" + kind }, text));
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, ms);
}

// The status chip in the console's colours, glyph and label (the palette comes from the server).
export function chip(palette, status) {
  const p = palette[status] || { fill: "#fff", border: "#999", text: "#111", glyph: "", label: status };
  const cls = "chip" + (p.dashed ? " dashed" : "") + (p.struck ? " struck" : "");
  return h("span", { class: cls, style: { background: p.fill, borderColor: p.border, color: p.text } },
    h("span", { "aria-hidden": "true" }, p.glyph), p.label);
}

export function platform() {
  const ua = navigator.userAgent || "";
  if (/android/i.test(ua)) return "android";
  if (/iphone|ipad|ipod/i.test(ua) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1)) return "ios";
  return "web";
}

export function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

export function addDays(day, n) {
  const d = new Date(day + "T12:00:00Z");
  d.setUTCDate(d.getUTCDate() + n);
  return isoDay(d);
}

export function todayIn(tz) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(new Date());
}

export function dayTitle(day) {
  const d = new Date(day + "T12:00:00Z");
  return d.toLocaleDateString("en-US", { weekday: "long", month: "short", day: "numeric", timeZone: "UTC" });
}

export function clock(iso) {
  return new Date(iso).toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" });
}

// A photo from the camera, downscaled on the phone (longest side 1600 px, JPEG) before it is kept or sent.
export async function downscale(file, maxSide = 1600, quality = 0.82) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (e) {
    return file;  // a format the browser cannot draw (e.g. HEIC on some phones): the server converts it
  }
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close && bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
  return blob || file;
}
