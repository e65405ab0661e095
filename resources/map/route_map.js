/* Optimize day preview: each technician's route (start, then the visits in order) in their colour; the plan
   before as thin dashed lines, after as solid ones with numbered stops. Late stops have an orange ring. */
(function () {
  "use strict";
  var R = { map: null, layer: null, drawn: 0 };
  window.RoutePage = R;

  R.init = function (cfg) {
    R.map = L.map("map", { zoomControl: true, attributionControl: !!cfg.tileUrl, zoomAnimation: false })
      .setView(cfg.center, cfg.zoom);
    if (cfg.tileUrl) {
      var t = L.tileLayer(cfg.tileUrl, { maxZoom: 19, attribution: cfg.attribution || "" }).addTo(R.map);
      t.on("tileerror", function () { R.map.getContainer().classList.add("tiles-missing"); });
    } else {
      R.map.getContainer().classList.add("tiles-missing");
    }
    R.layer = L.layerGroup().addTo(R.map);
  };

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* data: {routes: [{name, color, start: {lat, lng}|null, before: [stop], after: [stop]}], show: "after"|"both"}
     stop: {lat, lng, label, time, late, moved} */
  R.show = function (data) {
    R.map.invalidateSize(false);
    R.layer.clearLayers();
    var pts = [];
    R.drawn = 0;
    data.routes.forEach(function (r) {
      var path = function (stops) {
        var ll = r.start ? [[r.start.lat, r.start.lng]] : [];
        stops.forEach(function (s) { ll.push([s.lat, s.lng]); });
        return ll;
      };
      if (data.show === "both" && r.before.length) {
        L.polyline(path(r.before), { color: r.color, weight: 2, opacity: 0.55, dashArray: "4 6" }).addTo(R.layer);
      }
      var after = path(r.after);
      if (after.length > 1) L.polyline(after, { color: r.color, weight: 4, opacity: 0.9 }).addTo(R.layer);
      if (r.start) {
        L.circleMarker([r.start.lat, r.start.lng], { radius: 5, color: "#FFFFFF", weight: 2, fillColor: r.color,
          fillOpacity: 1 }).bindTooltip(esc(r.name) + " starts here").addTo(R.layer);
        pts.push([r.start.lat, r.start.lng]);
      }
      r.after.forEach(function (s, i) {
        var html = '<div class="stop' + (s.late ? " late" : "") + (s.moved ? " moved" : "") +
          '" style="background:' + r.color + '">' + (i + 1) + "</div>";
        L.marker([s.lat, s.lng], { icon: L.divIcon({ className: "stop-anchor", html: html, iconSize: [0, 0] }),
          title: r.name + " · " + (i + 1) + ". " + s.time + " " + s.label })
          .bindTooltip("<b>" + esc(r.name) + "</b> · " + (i + 1) + ". " + esc(s.time) + " " + esc(s.label) +
            (s.late ? " — late" : ""))
          .addTo(R.layer);
        pts.push([s.lat, s.lng]);
        R.drawn += 1;
      });
    });
    var legend = document.getElementById("legend");
    legend.innerHTML = data.routes.map(function (r) {
      return '<div><span class="swatch" style="background:' + r.color + '"></span>' + esc(r.name) +
        " · " + r.after.length + "</div>";
    }).join("");
    legend.style.display = data.routes.length ? "block" : "none";
    if (pts.length > 1) R.map.fitBounds(pts, { paddingTopLeft: [30, 30], paddingBottomRight: [190, 30], maxZoom: 15,
      animate: false });
    else if (pts.length === 1) R.map.setView(pts[0], 14, { animate: false });
  };
})();
