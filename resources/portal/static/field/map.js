// The small En Route map: the tech and the job site as dots on the company's tiles (Leaflet, served by the
// backend from the installed package). Without tiles (offline, none configured) the dots and the line still show.
let loading = null;

function loadLeaflet(base) {
  if (window.L) return Promise.resolve(window.L);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = base + "leaflet.js";
      s.onload = () => resolve(window.L);
      s.onerror = () => { loading = null; reject(new Error("Leaflet did not load")); };
      document.head.appendChild(s);
    });
  }
  return loading;
}

export async function enRouteMap(el, note, { base, tileUrl, site, tech }) {
  let L;
  try {
    L = await loadLeaflet(base);
  } catch (e) {
    note.textContent = "The map could not load; use Get Directions below.";
    note.hidden = false;
    return null;
  }
  const map = L.map(el, { zoomControl: false, attributionControl: !!tileUrl, dragging: true, tap: true });
  if (tileUrl) {
    let failed = 0;
    const layer = L.tileLayer(tileUrl, { maxZoom: 19, attribution: "© OpenStreetMap contributors" });
    layer.on("tileerror", () => {
      failed += 1;
      if (failed === 1) {
        note.textContent = "Street map unavailable right now — the dots show you and the job site.";
        note.hidden = false;
      }
    });
    layer.addTo(map);
  } else {
    note.textContent = "No street map is set up — the dots show you and the job site.";
    note.hidden = false;
  }
  const siteDot = site ? L.circleMarker(site, { radius: 11, color: "#FFFFFF", weight: 3, fillColor: "#0B5FA5",
    fillOpacity: 1 }).addTo(map).bindTooltip("Job site", { permanent: true, direction: "top", offset: [0, -10] }) : null;
  let techDot = null, line = null;

  function update(pos) {
    if (pos) {
      const ll = [pos.lat, pos.lng];
      if (!techDot) {
        techDot = L.circleMarker(ll, { radius: 10, color: "#111827", weight: 3, fillColor: "#E69F00",
          fillOpacity: 1 }).addTo(map).bindTooltip("You", { permanent: true, direction: "right", offset: [10, 0] });
      } else {
        techDot.setLatLng(ll);
      }
      if (site) {
        if (!line) line = L.polyline([ll, site], { color: "#111827", weight: 3, dashArray: "6 8" }).addTo(map);
        else line.setLatLngs([ll, site]);
      }
    }
    const pts = [site, pos ? [pos.lat, pos.lng] : null].filter(Boolean);
    if (pts.length === 2) map.fitBounds(pts, { paddingTopLeft: [40, 48], paddingBottomRight: [60, 28], maxZoom: 16 });
    else if (pts.length === 1) map.setView(pts[0], 15);
    else map.setView([30.2672, -97.7431], 11);
  }

  update(tech);
  return { map, update, remove: () => map.remove() };
}
