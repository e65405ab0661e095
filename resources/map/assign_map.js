/* Map-based assignment: the job (red pin), each candidate technician where they would drive from, labelled with
   their rank and "can be there at"; a dashed line to the job. Clicking a technician tells Qt (bridge.techClicked). */
(function () {
  "use strict";
  var A = { map: null, bridge: null, layer: null, markers: {}, selected: null, clicks: 0 };
  window.AssignPage = A;

  A.init = function (cfg) {
    A.map = L.map("map", { zoomControl: true, attributionControl: !!cfg.tileUrl }).setView(cfg.center, cfg.zoom);
    if (cfg.tileUrl) {
      var t = L.tileLayer(cfg.tileUrl, { maxZoom: 19, attribution: cfg.attribution || "" }).addTo(A.map);
      t.on("tileerror", function () { A.map.getContainer().classList.add("tiles-missing"); });
    } else {
      A.map.getContainer().classList.add("tiles-missing");
    }
    A.layer = L.layerGroup().addTo(A.map);
    if (window.QWebChannel && window.qt && qt.webChannelTransport) {
      new QWebChannel(qt.webChannelTransport, function (ch) { A.bridge = ch.objects.bridge; });
    }
  };

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* data: {site: {lat, lng, label}, techs: [{id, name, rank, at, kind: top|ok|warn, warn, from: {lat, lng}}]} */
  A.show = function (data) {
    A.map.invalidateSize(false);  /* the page may have been laid out before the dialog had its size */
    A.layer.clearLayers();
    A.markers = {};
    var pts = [];
    if (data.site) {
      var job = L.circleMarker([data.site.lat, data.site.lng], { radius: 11, color: "#FFFFFF", weight: 3,
        fillColor: "#C62828", fillOpacity: 1 }).addTo(A.layer);
      job.bindTooltip(esc(data.site.label), { permanent: true, direction: "left", offset: [-12, 0], className: "job" });
      pts.push([data.site.lat, data.site.lng]);
    }
    data.techs.forEach(function (t) {
      if (!t.from) return;
      var ll = [t.from.lat, t.from.lng];
      if (data.site) {
        L.polyline([ll, [data.site.lat, data.site.lng]], { color: "#5B6B7B", weight: 2, dashArray: "5 6",
          opacity: 0.7 }).addTo(A.layer);
      }
      var html = '<div class="dot ' + t.kind + '"></div><div class="tech ' + t.kind + '"><b>' + t.rank + ". " + esc(t.name) + "</b><br>" + esc(t.at) +
        (t.warn ? "<br><i>⚠ " + esc(t.warn) + "</i>" : "") + "</div>";
      var m = L.marker(ll, { icon: L.divIcon({ className: "tech-anchor", html: html, iconSize: [0, 0] }),
        title: t.name + " — " + t.at, keyboard: true, riseOnHover: true });
      m.on("click", function () { A.select(t.id); A.clicks += 1; if (A.bridge) A.bridge.techClicked(t.id); });
      m.addTo(A.layer);
      A.markers[t.id] = m;
      pts.push(ll);
    });
    if (pts.length > 1) A.map.fitBounds(pts, { paddingTopLeft: [70, 60], paddingBottomRight: [260, 60], maxZoom: 15, animate: false });
    else if (pts.length === 1) A.map.setView(pts[0], 14, { animate: false });
  };

  A.select = function (id) {
    Object.keys(A.markers).forEach(function (k) {
      var el = A.markers[k].getElement();
      var box = el && el.querySelector(".tech");
      if (box) box.classList.toggle("selected", String(k) === String(id));
      if (String(k) === String(id)) A.markers[k].setZIndexOffset(1000); else A.markers[k].setZIndexOffset(0);
    });
    A.selected = id;
  };

  A.click = function (id) {  /* what a click on a marker does (tests) */
    var m = A.markers[id];
    if (m) m.fire("click");
    return !!m;
  };
})();
