// Dispatch Field service worker (scope /field): keeps the app shell so the page opens without a connection.
// API answers are never cached here; the page keeps its own copy of the day in IndexedDB.
const CACHE = "dispatch-field-__VERSION__";
const SHELL = __SHELL__;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL.map((u) => new Request(u, { cache: "reload" })))).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k.startsWith("dispatch-field-") && k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (req.mode === "navigate" && (url.pathname === "/field" || url.pathname === "/field/")) {
    // Network first, so a new day and a revoked session show at once; the cached shell when offline.
    event.respondWith(fetch(req).then((resp) => {
      if (resp.ok && !resp.redirected) {
        const copy = resp.clone();
        caches.open(CACHE).then((c) => c.put("/field", copy));
      }
      return resp;
    }).catch(() => caches.match("/field").then((hit) => hit || Response.error())));
    return;
  }
  const path = url.pathname + url.search;
  if (SHELL.includes(path) || SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(path).then((hit) => hit || caches.match(url.pathname))
      .then((hit) => hit || fetch(req)));
  }
});
