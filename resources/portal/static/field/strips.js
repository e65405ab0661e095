// The strips under the top bar: connection, changes waiting to send, location sharing; and the results of
// changes sent after a reconnect.
import { h } from "./ui.js";

function show(id, cls, children) {
  const el = document.getElementById(id);
  if (!children) {
    el.hidden = true;
    return;
  }
  el.className = "strip " + cls;
  el.replaceChildren(...children.filter(Boolean));
  el.hidden = false;
}

function plural(n, one, many) {
  return n + " " + (n === 1 ? one : many);
}

export function renderStrips(s, outbox, gps) {
  show("net", "strip-offline", outbox.online ? null : [h("span", { class: "dot" }),
    h("div", { class: "grow" }, "Offline",
      h("small", {}, "Your changes are kept on this phone and sent when the connection returns."))]);

  const items = s.pending;
  const changes = items.filter((i) => i.kind !== "positions").length;
  const points = items.filter((i) => i.kind === "positions").reduce((n, i) => n + i.json.positions.length, 0);
  const waiting = items.some((i) => i.waited);
  let pending = null;
  if (changes || (points && waiting)) {
    const head = changes ? plural(changes, "change", "changes") + " waiting to send" :
      plural(points, "location point", "location points") + " waiting to send";
    const why = outbox.blocked === "signed-out" ? "You were signed out — sign in again to send them." :
      outbox.blocked === "server" ? "The office server did not answer; trying again shortly." :
      outbox.online ? "Sending…" : "They will be sent in order when you are back online.";
    const extra = changes && points ? " (and " + plural(points, "location point", "location points") + ")" : "";
    pending = [h("div", { class: "grow", id: "outbox-text" }, head + extra, h("small", {}, why)),
      outbox.blocked === "signed-out" ? h("a", { class: "btn btn-secondary strip-btn", href: "/field/login" }, "Sign in") : null];
  }
  show("outbox", "strip-pending", pending);

  let loc = null, cls = "strip-gps-idle";
  const screenNote = "It stops when the screen locks — see My profile for background tracking.";
  if (gps.state === "on") {
    cls = "strip-gps-on";
    loc = [h("span", { class: "dot dot-live" }), h("div", { class: "grow", id: "gps-text" }, "Sharing location with the office",
      h("small", {}, (gps.lock ? "The screen stays on while En Route. " : "") + screenNote))];
  } else if (gps.state === "waiting") {
    loc = [h("span", { class: "dot" }), h("div", { class: "grow", id: "gps-text" }, "Finding your location…",
      h("small", {}, "Allow location when your phone asks, so the office and your customer see you coming."))];
  } else if (gps.state === "denied") {
    cls = "strip-gps-off";
    loc = [h("span", { class: "dot" }), h("div", { class: "grow", id: "gps-text" },
      "Location is blocked — the office and your customer can't see you coming",
      h("small", {}, "Allow location for this site in your browser's settings (the icon next to the address), " +
        "then reload. Or use Traccar Client (ask the office)."))];
  } else if (gps.state === "unavailable") {
    cls = "strip-gps-off";
    loc = [h("span", { class: "dot" }), h("div", { class: "grow", id: "gps-text" }, "No GPS fix right now",
      h("small", {}, "Move to open sky if you can. " + screenNote))];
  } else if (gps.state === "unsupported") {
    cls = "strip-gps-off";
    loc = [h("span", { class: "dot" }), h("div", { class: "grow", id: "gps-text" }, "This browser can't share your location here",
      h("small", {}, "Phones share GPS only with pages opened over https://. Ask the office, or use Traccar Client."))];
  }
  show("gps", cls, loc);
  renderResults(s);
}

export function renderResults(s) {
  const box = document.getElementById("results");
  const rows = s.results || [];
  if (!rows.length) {
    box.hidden = true;
    return;
  }
  const points = rows.filter((r) => r.kind === "positions");
  const shown = rows.filter((r) => r.kind !== "positions");
  const sentPts = points.filter((r) => r.ok).reduce((n, r) => n + r.points, 0);
  const badPts = points.filter((r) => !r.ok).reduce((n, r) => n + r.points, 0);
  const items = shown.map((r) => h("li", { class: r.ok ? "res-ok" : "res-bad" }, h("span", {}, r.text)));
  if (sentPts) items.push(h("li", { class: "res-ok" }, h("span", {}, plural(sentPts, "location point", "location points") + " sent")));
  if (badPts) items.push(h("li", { class: "res-bad" }, h("span", {}, plural(badPts, "location point", "location points") + " refused")));
  box.className = "results";
  box.replaceChildren(h("h2", {}, "Changes sent after you were back online"), h("ul", {}, items),
    h("button", { class: "btn btn-secondary btn-block", type: "button", "data-dismiss": "1" }, "OK, got it"));
  box.hidden = false;
}
