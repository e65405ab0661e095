/* Job-site pin page: click to place the pin, drag to move it; works without tiles (plain grid). */
(function () {
  "use strict";
  var P = { map: null, marker: null, bridge: null, moves: 0 };
  window.PinPage = P;

  P.init = function (cfg) {
    P.map = L.map("map", { zoomControl: true, attributionControl: !!cfg.tileUrl }).setView(cfg.center, cfg.zoom);
    var note = document.getElementById("note");
    if (cfg.tileUrl) {
      var layer = L.tileLayer(cfg.tileUrl, { maxZoom: 19, attribution: cfg.attribution || "" }).addTo(P.map);
      layer.on("tileerror", function () { P._noTiles("Map tiles unavailable — click where the job is anyway."); });
      layer.on("tileload", function () { P.map.getContainer().classList.remove("tiles-missing"); note.style.display = "none"; });
    } else {
      P._noTiles("No map tiles configured — click where the job is; the coordinates show below the map.");
    }
    P.map.on("click", function (e) { P.place(e.latlng.lat, e.latlng.lng, true); });
    if (window.QWebChannel && window.qt && qt.webChannelTransport) {
      new QWebChannel(qt.webChannelTransport, function (ch) { P.bridge = ch.objects.bridge; });
    }
    if (cfg.pin) P.setPin(cfg.pin[0], cfg.pin[1], cfg.zoom);
  };

  P._noTiles = function (text) {
    P.map.getContainer().classList.add("tiles-missing");
    var note = document.getElementById("note");
    note.textContent = text;
    note.style.display = "block";
  };

  P.place = function (lat, lng, fromUser) {
    if (!P.marker) {
      P.marker = L.marker([lat, lng], { draggable: true, title: "Job site (drag to move)", keyboard: true });
      P.marker.addTo(P.map);
      P.marker.on("dragend", function () {
        var ll = P.marker.getLatLng();
        P._tell(ll.lat, ll.lng);
      });
    } else {
      P.marker.setLatLng([lat, lng]);
    }
    if (fromUser) P._tell(lat, lng);
  };

  P._tell = function (lat, lng) {
    P.moves += 1;
    if (P.bridge) P.bridge.pinMoved(lat, lng);
  };

  P.setPin = function (lat, lng, zoom) {
    P.place(lat, lng, false);
    P.map.setView([lat, lng], zoom || Math.max(P.map.getZoom(), 16));
  };

  P.clear = function () {
    if (P.marker) { P.map.removeLayer(P.marker); P.marker = null; }
  };

  P.pin = function () {
    if (!P.marker) return null;
    var ll = P.marker.getLatLng();
    return [ll.lat, ll.lng];
  };
})();
