/* Crew map page logic: canvas tech markers with initials, job sites, next-job line, breadcrumbs, batched updates. */
(function () {
  "use strict";
  // Labels and colours come from Python (models/crew.py, widgets/status_colors.py) through CrewPage.init.
  var COLORS = {}, LABELS = {}, SITE_COLORS = {};
  var LATE = "#D55E00";
  var TRAIL_MAX = 80;

  // A canvas circle with the tech's initials and an optional LATE ring, drawn by the shared canvas renderer.
  var TechMarker = L.CircleMarker.extend({
    _updatePath: function () {
      var r = this._renderer;
      if (this.options.late && !this._empty()) {
        var c = r._ctx, p = this._point;
        c.beginPath();
        c.arc(p.x, p.y, this._radius + 4, 0, Math.PI * 2);
        c.globalAlpha = 1; c.lineWidth = 3; c.strokeStyle = LATE; c.setLineDash([]); c.stroke();
      }
      r._updateCircle(this);
      if (!this._empty() && this.options.initials) {
        var ctx = r._ctx, pt = this._point;
        ctx.save();
        ctx.font = "700 " + (this._radius >= 13 ? 11 : 10) + "px 'Segoe UI', system-ui, sans-serif";
        ctx.textAlign = "center"; ctx.textBaseline = "middle";
        ctx.fillStyle = this.options.textColor || "#fff";
        ctx.fillText(this.options.initials, pt.x, pt.y + 0.5);
        ctx.restore();
      }
    }
  });

  // The LATE ring reaches past the circle: the marker's bounds include it, so partial redraws never cut it.
  TechMarker.include({
    _updateBounds: function () {
      L.CircleMarker.prototype._updateBounds.call(this);
      if (this.options.late && this._pxBounds) {
        this._pxBounds = L.bounds(this._pxBounds.min.subtract([6, 6]), this._pxBounds.max.add([6, 6]));
      }
    }
  });

  // Leaflet's canvas repaints the union of what changed: with thousands of job sites, a batch touching a few
  // scattered markers repaints them all. This renderer repaints each changed spot on its own (up to MAX_SPOTS,
  // then the union as before); panning and zooming still repaint everything.
  var MAX_SPOTS = 200, CELL = 128;
  function overlaps(a, b) { return a.max.x >= b.min.x && a.min.x <= b.max.x && a.max.y >= b.min.y && a.min.y <= b.max.y; }
  function spotRenderer(options) {
    var r = L.canvas(options);
    var extend = r._extendRedrawBounds, redraw = r._redraw;
    r._spots = [];
    r._extendRedrawBounds = function (layer) {
      extend.call(this, layer);
      var pb = layer._pxBounds, spots = this._spots, last = spots[spots.length - 1];
      if (pb && spots.length <= MAX_SPOTS) {
        var pad = (layer.options.weight || 0) + 1;  // whole pixels: the spot cleared is the spot redrawn
        var spot = L.bounds([Math.floor(pb.min.x - pad), Math.floor(pb.min.y - pad)],
                            [Math.ceil(pb.max.x + pad), Math.ceil(pb.max.y + pad)]);
        if (!last || !last.min.equals(spot.min) || !last.max.equals(spot.max)) { spots.push(spot); }
      }
    };
    r._redraw = function () {
      var spots = this._spots;
      this._spots = [];
      if (!this._redrawBounds || !spots.length || spots.length > MAX_SPOTS) { return redraw.call(this); }
      this._redrawRequest = null;
      this._redrawBounds = null;
      // One pass over the markers, through a coarse grid of the spots, finds what each spot must repaint.
      var grid = new Map(), i, k, cx, cy, key, cell;
      for (i = 0; i < spots.length; i++) {
        var sp = spots[i];
        sp.layers = [];
        for (cx = Math.floor(sp.min.x / CELL); cx <= Math.floor(sp.max.x / CELL); cx++) {
          for (cy = Math.floor(sp.min.y / CELL); cy <= Math.floor(sp.max.y / CELL); cy++) {
            key = cx * 65536 + cy;
            cell = grid.get(key);
            if (cell) { cell.push(i); } else { grid.set(key, [i]); }
          }
        }
      }
      for (var order = this._drawFirst; order; order = order.next) {
        var layer = order.layer, pb = layer._pxBounds;
        if (!pb) { continue; }
        var x0 = Math.floor(pb.min.x / CELL), x1 = Math.floor(pb.max.x / CELL);
        var y0 = Math.floor(pb.min.y / CELL), y1 = Math.floor(pb.max.y / CELL);
        if ((x1 - x0 + 1) * (y1 - y0 + 1) > 64) {  // a long trail or line: checked against every spot
          for (k = 0; k < spots.length; k++) { if (overlaps(pb, spots[k])) { spots[k].layers.push(layer); } }
          continue;
        }
        var hit = null;
        for (cx = x0; cx <= x1; cx++) {
          for (cy = y0; cy <= y1; cy++) {
            cell = grid.get(cx * 65536 + cy);
            for (k = 0; cell && k < cell.length; k++) {
              i = cell[k];
              if ((hit && hit[i]) || !overlaps(pb, spots[i])) { continue; }
              (hit = hit || {})[i] = true;
              spots[i].layers.push(layer);
            }
          }
        }
      }
      var ctx = this._ctx;
      this._drawing = true;
      for (i = 0; i < spots.length; i++) {
        var b = spots[i], x = b.min.x, y = b.min.y, w = b.max.x - x, h = b.max.y - y;
        ctx.clearRect(x, y, w, h);
        ctx.save();
        ctx.beginPath();
        ctx.rect(x, y, w, h);
        ctx.clip();
        for (k = 0; k < b.layers.length; k++) { b.layers[k]._updatePath(); }
        ctx.restore();
      }
      this._drawing = false;
    };
    return r;
  }

  var P = {
    map: null, renderer: null, techs: {}, sites: {}, trails: {}, selected: null, follow: false,
    showTrails: false, bridge: null, skewMs: 0, staleMs: 300000, line: null,
    stats: { batches: 0, updates: 0, totalMs: 0, maxMs: 0, lastMs: 0, loads: 0, redrawMs: 0, spots: 0 }
  };
  window.CrewPage = P;

  P.init = function (map, cfg) {
    P.map = map;
    P.loadedAt = performance.now();
    P.renderer = spotRenderer({ padding: 0.5, tolerance: 4 });
    P.siteLayer = L.layerGroup().addTo(map);
    P.trailLayer = L.layerGroup();
    P.techLayer = L.layerGroup().addTo(map);
    P.staleMs = (cfg.staleSeconds || 300) * 1000;
    COLORS = cfg.colors || {}; LABELS = cfg.labels || {}; SITE_COLORS = cfg.siteColors || {};
    LATE = cfg.late || LATE;
    P.stats.loads += 1;
    map.eachLayer(function (l) {
      if (l instanceof L.TileLayer) {
        l.on("tileerror", function () { P._tilesMissing(true); });
        l.on("tileload", function () { P._tilesMissing(false); });
      }
    });
    if (!cfg.hasTiles) P._tilesMissing(true, "No map tiles configured — crew positions are still live.");
    P._legend();
    if (window.QWebChannel && window.qt && qt.webChannelTransport) {
      new QWebChannel(qt.webChannelTransport, function (ch) { P.bridge = ch.objects.bridge; });
    }
    setInterval(P._tick, 15000);
  };

  P._tilesMissing = function (missing, text) {
    var el = document.getElementById("tile-note");
    var box = P.map.getContainer();
    if (missing) {
      box.classList.add("tiles-missing");
      if (el) { el.textContent = text || "Map tiles unavailable (offline?) — crew positions are still live."; el.style.display = "block"; }
    } else {
      box.classList.remove("tiles-missing");
      if (el) el.style.display = "none";
    }
  };

  P._legend = function () {
    var box = document.getElementById("crew-legend");
    if (!box) return;
    if (!box.onclick) box.onclick = function () { box.classList.toggle("open"); };  // a short map folds the key
    var order = ["en_route", "arrived", "in_progress", "dispatched", "available", "done"];
    var counts = {}; var total = 0, stale = 0, late = 0, now = P.now();
    Object.keys(P.techs).forEach(function (id) {
      var t = P.techs[id].data; counts[t.status] = (counts[t.status] || 0) + 1; total++;
      if (P._isStale(t, now)) stale++;
      if (t.late) late++;
    });
    var html = '<div class="title" title="Show or hide the key">Crew · ' + total +
      '<span class="brief">' + (late ? " · " + late + " late" : "") + '</span><span class="toggle"></span></div>';
    order.forEach(function (s) {
      html += '<div class="row"><span class="dot" style="background:' + COLORS[s] + '"></span>' + LABELS[s] +
        '<span class="count">' + (counts[s] || 0) + "</span></div>";
    });
    html += '<div class="row"><span class="dot" style="background:' + COLORS.stale + ';border-style:dashed"></span>' +
      'No recent fix<span class="count">' + stale + "</span></div>";
    html += '<div class="row"><span class="dot" style="background:#fff;border:3px solid ' + LATE + '"></span>' +
      'Running late<span class="count">' + late + "</span></div>";
    html += '<div class="row"><span class="site"></span>Job site today<span class="count">' + Object.keys(P.sites).length + "</span></div>";
    box.innerHTML = html;
  };

  P.now = function () { return Date.now() - P.skewMs; };
  P._isStale = function (t, now) { return !t.fix_ms || (now - t.fix_ms) > P.staleMs; };

  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; }); }

  function age(ms) {
    if (ms == null) return "no fix yet";
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + " s ago";
    var m = Math.round(s / 60);
    if (m < 90) return m + " min ago";
    return Math.round(m / 60) + " h ago";
  }

  P._style = function (t, now) {
    var stale = P._isStale(t, now);
    var sel = P.selected === t.id;
    return {
      renderer: P.renderer, radius: sel ? 14 : 11, weight: sel ? 3 : 1.5,
      color: sel ? "#0F172A" : (stale ? "#7A828C" : "#FFFFFF"), dashArray: stale ? "3 3" : null,
      fillColor: stale ? COLORS.stale : (COLORS[t.status] || COLORS.available), fillOpacity: stale ? 0.85 : 1,
      opacity: 1, textColor: stale ? "#3E4650" : (t.status === "done" || t.status === "dispatched" || t.status === "en_route" ? "#10212F" : "#FFFFFF"),
      initials: t.initials, late: !!t.late, bubblingMouseEvents: false
    };
  };

  P._tip = function (t) {
    var now = P.now(), stale = P._isStale(t, now);
    var color = stale ? COLORS.stale : (COLORS[t.status] || COLORS.available);
    var html = "<b>" + esc(t.name) + '</b> <span class="st" style="background:' + color + '">' + esc(t.label || LABELS[t.status] || t.status) + "</span>";
    if (t.late) html += '<br><span class="late">Running late: ' + esc(t.late) + "</span>";
    if (t.current) html += '<br><span class="muted">Now:</span> ' + esc(t.current);
    html += '<br><span class="muted">Next job:</span> ' + esc(t.next ? t.next.label : "none today");
    html += '<br><span class="muted">Last fix:</span> ' + (stale ? '<span class="stale">' + age(t.fix_ms ? now - t.fix_ms : null) + " (stale)</span>" : age(now - t.fix_ms));
    if (t.fix_ms && t.source) html += ' <span class="muted">· ' + esc(t.source) + "</span>";
    return html;
  };

  P._upsertTech = function (t) {
    var now = P.now(), e = P.techs[t.id];
    if (t.lat == null || t.lng == null) { if (e) P._removeTech(t.id); return; }
    if (!e) {
      var m = new TechMarker([t.lat, t.lng], P._style(t, now));
      m.bindTooltip("", { className: "crew-tip", direction: "top", offset: [0, -10] });
      m.on("click", function () { P._clicked(t.id); });
      m.on("tooltipopen", function () { m.setTooltipContent(P._tip(P.techs[t.id].data)); });
      m.addTo(P.techLayer);
      e = P.techs[t.id] = { marker: m, data: t };
    } else {
      var ll = e.marker.getLatLng(), style = P._style(t, now);
      e.data = t;
      if (ll.lat !== t.lat || ll.lng !== t.lng) { e.marker.setLatLng([t.lat, t.lng]); }
      e.marker.setStyle(style);  // (a circle marker's setStyle also sets its radius)
    }
    e.marker.setTooltipContent(P._tip(t));
    if (P.showTrails) P._trailPush(t.id, t.lat, t.lng);
  };

  P._removeTech = function (id) {
    var e = P.techs[id];
    if (e) { P.techLayer.removeLayer(e.marker); delete P.techs[id]; }
    if (P.trails[id]) { P.trailLayer.removeLayer(P.trails[id]); delete P.trails[id]; }
  };

  P._move = function (id, lat, lng, fixMs, source) {
    var e = P.techs[id];
    if (!e) return false;
    var t = e.data, wasStale = P._isStale(t, P.now());
    t.lat = lat; t.lng = lng; t.fix_ms = fixMs;
    if (source) t.source = source;
    e.marker.setLatLng([lat, lng]);
    if (wasStale) e.marker.setStyle(P._style(t, P.now()));
    if (P.showTrails) P._trailPush(id, lat, lng);
    return true;
  };

  P._trailPush = function (id, lat, lng) {
    var tr = P.trails[id];
    if (!tr) {
      tr = P.trails[id] = L.polyline([], { renderer: P.renderer, color: "#1F5F8B", weight: 2, opacity: 0.55, interactive: false });
      tr.addTo(P.trailLayer);
    }
    var pts = tr.getLatLngs();
    var last = pts[pts.length - 1];
    if (last && last.lat === lat && last.lng === lng) return;
    pts.push(L.latLng(lat, lng));
    if (pts.length > TRAIL_MAX) pts.splice(0, pts.length - TRAIL_MAX);
    tr.setLatLngs(pts);
  };

  P.setTrail = function (id, points) {
    if (P.trails[id]) P.trailLayer.removeLayer(P.trails[id]);
    P.trails[id] = L.polyline(points, { renderer: P.renderer, color: "#1F5F8B", weight: 2.5, opacity: 0.7, interactive: false });
    P.trails[id].addTo(P.trailLayer);
  };

  P.setBreadcrumbs = function (on) {
    P.showTrails = !!on;
    if (on) {
      Object.keys(P.techs).forEach(function (id) { var t = P.techs[id].data; P._trailPush(Number(id), t.lat, t.lng); });
      P.trailLayer.addTo(P.map);
    } else {
      P.map.removeLayer(P.trailLayer);
    }
  };

  P._upsertSite = function (s) {
    var e = P.sites[s.id];
    if (s.lat == null || s.lng == null) { if (e) { P.siteLayer.removeLayer(e.marker); delete P.sites[s.id]; } return; }
    var style = {
      renderer: P.renderer, radius: s.late ? 6 : 5, weight: 2, color: s.late ? LATE : (SITE_COLORS[s.status] || "#8792A2"),
      fillColor: s.late ? "#FBE0CF" : "#FFFFFF", fillOpacity: 1, bubblingMouseEvents: false
    };
    var tip = "<b>" + esc(s.customer) + "</b>" + (s.late ? ' <span class="late">LATE</span>' : "") +
      "<br>" + esc(s.window) + " · " + esc(s.status_label) + "<br>" + esc(s.service) +
      '<br><span class="muted">' + esc(s.address) + "</span><br>" + '<span class="muted">Tech:</span> ' + esc(s.tech || "Unassigned");
    if (!e) {
      var m = L.circleMarker([s.lat, s.lng], style);
      m.bindTooltip(tip, { className: "crew-tip", direction: "top", offset: [0, -6] });
      m.on("click", function () { var d = P.sites[s.id].data; if (d.tech_id) P._clicked(d.tech_id); });
      m.addTo(P.siteLayer);
      m.bringToBack();  // job sites stay under the technicians (one canvas draws both, in this order)
      P.sites[s.id] = { marker: m, data: s };
    } else {
      var at = e.marker.getLatLng();
      e.data = s;
      if (at.lat !== s.lat || at.lng !== s.lng) { e.marker.setLatLng([s.lat, s.lng]); }
      e.marker.setStyle(style); e.marker.setTooltipContent(tip);
    }
  };

  P._removeSite = function (id) {
    var e = P.sites[id];
    if (e) { P.siteLayer.removeLayer(e.marker); delete P.sites[id]; }
  };

  P._updateLine = function () {
    if (P.line) { P.map.removeLayer(P.line); P.line = null; }
    var e = P.techs[P.selected];
    if (!e || !e.data.next || e.data.next.lat == null) return;
    P.line = L.polyline([[e.data.lat, e.data.lng], [e.data.next.lat, e.data.next.lng]], {
      renderer: P.renderer, color: "#0F172A", weight: 3, opacity: 0.8, dashArray: "8 6", interactive: false
    }).addTo(P.map);
    e.marker.bringToFront();  // the line starts under the technician's initials, not across them
  };

  P._clicked = function (id) {
    P.select(id, P.follow);
    if (P.bridge) P.bridge.markerClicked(id);
  };

  /** Select a tech: restyle, draw their line to their next job, optionally pan to them. */
  P.select = function (id, follow) {
    var prev = P.selected;
    P.selected = id;
    P.follow = !!follow;
    var now = P.now();
    [prev, id].forEach(function (k) {
      var e = P.techs[k];
      if (e) { e.marker.setStyle(P._style(e.data, now)); e.marker.setRadius(P._style(e.data, now).radius); }
    });
    if (P.techs[id]) P.techs[id].marker.bringToFront();
    P._updateLine();
    if (P.follow && P.techs[id]) P.map.panTo(P.techs[id].marker.getLatLng(), { animate: false });
    return !!P.techs[id];
  };

  P.setFollow = function (on) {
    P.follow = !!on;
    if (P.follow && P.techs[P.selected]) P.map.panTo(P.techs[P.selected].marker.getLatLng(), { animate: false });
  };

  /** Zoom to show every tech with a position (and today's sites when there are no techs). */
  P.fit = function () {
    var pts = Object.keys(P.techs).map(function (id) { return P.techs[id].marker.getLatLng(); });
    if (!pts.length) pts = Object.keys(P.sites).map(function (id) { return P.sites[id].marker.getLatLng(); });
    if (!pts.length) return false;
    var legend = document.getElementById("crew-legend");
    var right = legend && legend.offsetHeight > 40 ? legend.offsetWidth + 20 : 0;  // clear of the key (unless folded)
    if (right > P.map.getSize().x * 0.45) right = 0;
    P.map.options.zoomSnap = 0.25;  // a fit uses the room there is (the +/- buttons still step whole levels)
    P.map.fitBounds(L.latLngBounds(pts).pad(0.05), { animate: false, maxZoom: 15,
      paddingTopLeft: [48, 16], paddingBottomRight: [right, 24] });
    return true;
  };

  /** Apply one batch from the console. Returns the time spent in ms (apply + one synchronous canvas redraw). */
  P.applyBatch = function (b) {
    var t0 = performance.now(), n = 0;
    if (b.skewMs != null) P.skewMs = b.skewMs;
    (b.removeTechs || []).forEach(function (id) { P._removeTech(id); n++; });
    (b.techs || []).forEach(function (t) { P._upsertTech(t); n++; });
    (b.removeSites || []).forEach(function (id) { P._removeSite(id); n++; });
    (b.sites || []).forEach(function (s) { P._upsertSite(s); n++; });
    var moves = b.positions || [];
    for (var i = 0; i < moves.length; i++) { P._move(moves[i][0], moves[i][1], moves[i][2], moves[i][3], moves[i][4]); n++; }
    if (P.selected != null && (b.techs || moves.length)) {
      P._updateLine();
      if (P.follow && P.techs[P.selected]) P.map.panTo(P.techs[P.selected].marker.getLatLng(), { animate: false });
    }
    if (b.techs || b.removeTechs || b.sites || b.removeSites) P._legend();
    if (b.fit) P.fit();
    var r = P.renderer, t1 = performance.now(), spots = r._spots.length;
    if (r._redrawRequest) { L.Util.cancelAnimFrame(r._redrawRequest); r._redrawRequest = null; r._redraw(); }
    var dt = performance.now() - t0;
    var s = P.stats;
    s.redrawMs += performance.now() - t1; s.spots += spots;
    s.batches++; s.updates += n; s.totalMs += dt; s.lastMs = dt; s.maxMs = Math.max(s.maxMs, dt);
    return dt;
  };

  P._tick = function () {
    var now = P.now();
    Object.keys(P.techs).forEach(function (id) { var e = P.techs[id]; e.marker.setStyle(P._style(e.data, now)); });
    P._legend();
  };

  /** Read back one tech's state (tests, diagnostics). */
  P.state = function (id) {
    var e = P.techs[id];
    if (!e) return null;
    var ll = e.marker.getLatLng();
    return { id: id, lat: ll.lat, lng: ll.lng, status: e.data.status, fix_ms: e.data.fix_ms, selected: P.selected === id,
             loads: P.stats.loads, loadedAt: P.loadedAt, batches: P.stats.batches, late: !!e.data.late };
  };
  P.counts = function () { return { techs: Object.keys(P.techs).length, sites: Object.keys(P.sites).length, stats: P.stats }; };
})();
