// Customer tracker: refreshes the ETA, car and route from the tracker JSON without reloading; arrival push opt-in.
(function () {
  "use strict";
  var body = document.body;
  var token = body.getAttribute("data-token");
  if (!token) { return; }
  var api = "/api/v1/tracker/" + encodeURIComponent(token);
  var state = body.getAttribute("data-state");
  var refresh = parseInt(body.getAttribute("data-refresh") || "0", 10);

  function byId(id) { return document.getElementById(id); }
  function setText(id, text) {
    var el = byId(id);
    if (!el) { return; }
    el.textContent = text || "";
    el.hidden = !text;
  }

  function apply(t) {
    if (t.state !== state) { window.location.reload(); return; }
    setText("trk-headline", t.headline);
    setText("trk-eta", t.eta ? t.eta.text : "");
    setText("trk-eta-min", t.eta ? "About " + t.eta.minutes + " min away" : "");
    setText("trk-message", t.message);
    var late = byId("trk-late");
    if (late) {
      late.hidden = !t.late;
      if (t.late) {
        setText("trk-late-text", t.late.message);
        var call = byId("trk-late-call");
        call.textContent = t.late.call_label;
        call.setAttribute("href", t.late.tel);
      }
    }
    if (t.map) {
      var car = byId("trk-car");
      if (car && t.map.car) {
        car.setAttribute("transform", "translate(" + t.map.car.x + " " + t.map.car.y + ")");
        car.hidden = false;
      }
      var site = byId("trk-site");
      if (site) { site.setAttribute("transform", "translate(" + t.map.site.x + " " + t.map.site.y + ")"); }
      var route = byId("trk-route");
      if (route) {
        route.setAttribute("points", t.map.route.map(function (p) { return p.x + "," + p.y; }).join(" "));
        route.hidden = t.map.route.length === 0;
      }
      if (t.position) { setText("trk-map-note", "Updated " + t.position.age_s + " s ago"); }
    }
    if (t.refresh_s) { refresh = t.refresh_s; }
  }

  function poll() {
    fetch(api, { headers: { "Accept": "application/json" }, cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (t) { if (t) { apply(t); } })
      .catch(function () { /* offline for a moment: keep the last view */ })
      .then(function () { if (refresh > 0) { window.setTimeout(poll, refresh * 1000); } });
  }
  if (refresh > 0) { window.setTimeout(poll, refresh * 1000); }

  // Web Push (installable PWA): offered only when the server has VAPID keys and the browser supports it.
  var vapid = body.getAttribute("data-vapid");
  var box = byId("trk-push");
  function b64ToBytes(s) {
    var pad = "=".repeat((4 - (s.length % 4)) % 4);
    var raw = window.atob((s + pad).replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/tracker/sw.js", { scope: "/tracker/" }).then(function (reg) {
      if (!vapid || !box || !("PushManager" in window) || !("Notification" in window)) { return; }
      if (Notification.permission === "denied") { return; }
      box.hidden = false;
      byId("trk-push-btn").addEventListener("click", function () {
        Notification.requestPermission().then(function (perm) {
          if (perm !== "granted") { throw new Error("Notifications are blocked for this site."); }
          return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(vapid) });
        }).then(function (sub) {
          return fetch(api + "/push-subscriptions", {
            method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(sub.toJSON())
          });
        }).then(function (r) {
          if (!r.ok) { throw new Error("Could not save the subscription (" + r.status + ")."); }
          byId("trk-push-btn").hidden = true;
          setText("trk-push-note", "Arrival alerts are on for this phone.");
        }).catch(function (err) {
          setText("trk-push-note", err.message + " We will text you instead.");
        });
      });
    }).catch(function () { /* no service worker: the SMS fallback still reaches the customer */ });
  }
})();
