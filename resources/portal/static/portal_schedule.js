// My Schedule: refresh today's live status every 30 s without reloading the page (the page works without it).
(function () {
  "use strict";
  var section = document.querySelector("[data-today]");
  if (!section) { return; }
  var every = (parseInt(section.getAttribute("data-refresh-s"), 10) || 30) * 1000;
  var STATUSES = ["scheduled", "dispatched", "en_route", "arrived", "in_progress", "paused", "complete", "cancelled"];

  function setClass(el, prefix, status) {
    STATUSES.forEach(function (s) { el.classList.remove(prefix + s); });
    el.classList.add(prefix + status);
  }

  function updateCard(card, a) {
    setClass(card, "status-", a.status);
    var pill = card.querySelector("[data-status-label]");
    if (pill) { pill.textContent = a.status_label; setClass(pill, "pill-", a.status); }
    var steps = card.querySelectorAll("[data-stepper] .step");
    for (var i = 0; i < steps.length; i++) {
      steps[i].classList.toggle("done", a.stage !== null && i < a.stage);
      steps[i].classList.toggle("current", a.stage !== null && i === a.stage);
    }
    var slot = card.querySelector("[data-track-slot]");
    if (slot) {
      var btn = slot.querySelector("[data-track]");
      if (a.track_url && !btn) {
        btn = document.createElement("a");
        btn.className = "btn track";
        btn.setAttribute("data-track", "");
        btn.textContent = "Track";
        slot.appendChild(btn);
      }
      if (btn && a.track_url) { btn.href = a.track_url; }
      if (btn && !a.track_url) { slot.removeChild(btn); }
    }
    var late = card.querySelector("[data-late]");
    if (late) { late.hidden = !a.late; }
    var msg = card.querySelector("[data-pause-msg]");
    if (msg && !a.customer_message) { msg.hidden = true; }
  }

  function stamp() {
    var el = section.querySelector("[data-updated]");
    if (el) {
      var t = new Date();
      el.textContent = "Status updates automatically · last checked " +
        t.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
    }
  }

  function refresh() {
    return fetch("/api/v1/portal/schedule", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (data) {
        var cards = section.querySelectorAll("[data-appt-id]");
        var known = {};
        for (var i = 0; i < cards.length; i++) { known[cards[i].getAttribute("data-appt-id")] = cards[i]; }
        var changedSet = cards.length !== data.today.length;
        data.today.forEach(function (a) {
          var card = known[String(a.id)];
          if (card) { updateCard(card, a); } else { changedSet = true; }
        });
        if (changedSet) { return swapToday(); }
        stamp();
        return data;
      })
      .catch(function () { /* offline: keep what is shown, try again next time */ });
  }

  // A visit was added to or removed from today: take the fresh server-rendered section (no page reload).
  function swapToday() {
    return fetch(window.location.pathname, { credentials: "same-origin" })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector("[data-today]");
        if (fresh) { section.innerHTML = fresh.innerHTML; stamp(); }
      });
  }

  window.portalRefresh = refresh;
  setInterval(refresh, every);
})();
