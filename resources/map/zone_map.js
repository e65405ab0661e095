/* Zones editor map: every zone's outline in its colour; the zone being edited in bold. Clicking the map adds a
   corner to its outline (drawn as you go); "undo"/"clear" come from Qt. Qt hears bridge.outlineChanged(json). */
(function () {
  "use strict";
  var Z = { map: null, layer: null, bridge: null, points: [], color: "#0B5CAD", others: [] };
  window.ZonePage = Z;

  Z.init = function (cfg) {
    Z.map = L.map("map", { zoomControl: true, attributionControl: !!cfg.tileUrl, zoomAnimation: false,
      doubleClickZoom: false }).setView(cfg.center, cfg.zoom);
    if (cfg.tileUrl) {
      var t = L.tileLayer(cfg.tileUrl, { maxZoom: 19, attribution: cfg.attribution || "" }).addTo(Z.map);
      t.on("tileerror", function () { Z.map.getContainer().classList.add("tiles-missing"); });
    } else {
      Z.map.getContainer().classList.add("tiles-missing");
    }
    Z.layer = L.layerGroup().addTo(Z.map);
    Z.map.on("click", function (e) { if (Z.editable) Z.addPoint(e.latlng.lat, e.latlng.lng); });
    if (window.QWebChannel && window.qt && qt.webChannelTransport) {
      new QWebChannel(qt.webChannelTransport, function (ch) { Z.bridge = ch.objects.bridge; });
    }
  };

  /* zones: [{name, color, polygon}] other zones; current: {color, polygon}; editable: clicks add corners */
  Z.show = function (zones, current, editable, fit) {
    Z.map.invalidateSize(false);
    Z.others = zones;
    Z.points = (current.polygon || []).map(function (p) { return [p[0], p[1]]; });
    Z.color = current.color || "#0B5CAD";
    Z.editable = !!editable;
    Z.draw(fit);
  };

  Z.draw = function (fit) {
    Z.layer.clearLayers();
    var all = [];
    Z.others.forEach(function (z) {
      if (z.polygon && z.polygon.length >= 3) {
        L.polygon(z.polygon, { color: z.color || "#5B6B7B", weight: 1, opacity: 0.7, fillOpacity: 0.08,
          interactive: false }).bindTooltip(z.name).addTo(Z.layer);
        all = all.concat(z.polygon);
      }
    });
    if (Z.points.length >= 3) {
      L.polygon(Z.points, { color: Z.color, weight: 3, fillOpacity: 0.18, interactive: false }).addTo(Z.layer);
    } else if (Z.points.length === 2) {
      L.polyline(Z.points, { color: Z.color, weight: 3, interactive: false }).addTo(Z.layer);
    }
    Z.points.forEach(function (p, i) {
      L.circleMarker(p, { radius: 5, color: "#FFFFFF", weight: 2, fillColor: Z.color, fillOpacity: 1,
        interactive: false }).bindTooltip(String(i + 1)).addTo(Z.layer);
    });
    all = all.concat(Z.points);
    if (fit && all.length) Z.map.fitBounds(all, { padding: [30, 30], maxZoom: 14, animate: false });
  };

  Z.addPoint = function (lat, lng) {
    Z.points.push([Math.round(lat * 1e6) / 1e6, Math.round(lng * 1e6) / 1e6]);
    Z.draw(false);
    Z.tell();
  };

  Z.undo = function () { Z.points.pop(); Z.draw(false); Z.tell(); };
  Z.clear = function () { Z.points = []; Z.draw(false); Z.tell(); };
  Z.tell = function () { if (Z.bridge) Z.bridge.outlineChanged(JSON.stringify(Z.points)); };
})();
