"""The live crew map: a folium-built Leaflet page (offline Leaflet) in QWebEngineView, updated in batches."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
from PySide6.QtCore import QFile, QIODevice, QObject, QSettings, QTimer, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from models.crew import CREW_LABELS, STALE_FIX_S, crew_standing
from models.enums import AlertKind, AppointmentStatus
from models.timefmt import clock_time, parse_iso, parse_iso_or_none
from services.api_client import ApiClient, ApiError
from widgets.status_colors import CREW_COLORS, LATE_COLOR, SITE_COLORS, label_for
from widgets.tasks import TaskSet

if TYPE_CHECKING:
    from console.store import Store

log = logging.getLogger(__name__)

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
SETTINGS_KEY = "map/tile_url"
FLUSH_MS = 250
DEFAULT_CENTER = (30.2672, -97.7431)
RESOURCES = Path(__file__).resolve().parent.parent / "resources" / "map"
FINAL = (AppointmentStatus.COMPLETE, AppointmentStatus.CANCELLED)


def leaflet_static_dir() -> Path:
    """Where the installed django-js-lib-leaflet package keeps leaflet.js/css (also inside a PyInstaller bundle)."""
    candidates: list[Path] = []
    spec = importlib.util.find_spec("js_lib_leaflet")
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) / "static" / "js_lib_leaflet" for p in spec.submodule_search_locations]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "js_lib_leaflet" / "static" / "js_lib_leaflet")
    for c in candidates:
        if (c / "leaflet.js").is_file() and (c / "leaflet.css").is_file():
            return c
    raise FileNotFoundError("Leaflet is missing: install the 'django-js-lib-leaflet' package (pip install "
                            "django-js-lib-leaflet) so the crew map can work offline.")


def _qt_resource(path: str) -> str:
    f = QFile(path)
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        return ""
    try:
        return bytes(f.readAll().data()).decode("utf-8")
    finally:
        f.close()


class _OfflineMap(folium.Map):
    """folium.Map that loads only Leaflet, from the page's base URL (the installed package), nothing from a CDN."""

    default_js = [("leaflet", "leaflet.js")]
    default_css = [("leaflet_css", "leaflet.css")]


def build_page(tile_url: str = OSM_TILES, attribution: str = OSM_ATTRIBUTION,
               center: tuple[float, float] = DEFAULT_CENTER, zoom: int = 11) -> str:
    """The page's HTML, built once with folium; our own CSS/JS (and qwebchannel.js) are inlined."""
    m = _OfflineMap(location=list(center), zoom_start=zoom, tiles=None, prefer_canvas=True, control_scale=True,
                    zoom_control=True)
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=attribution or "Map tiles", name="Streets", max_zoom=19,
                         detect_retina=False).add_to(m)
    root = m.get_root()
    css = (RESOURCES / "crew_map.css").read_text(encoding="utf-8")
    root.header.add_child(folium.Element(f"<style>{css}</style>"), name="crew_css")
    root.html.add_child(folium.Element('<div id="crew-legend"></div><div id="tile-note"></div>'), name="crew_ui")
    channel_js = _qt_resource(":/qtwebchannel/qwebchannel.js")
    root.header.add_child(folium.Element(f"<script>{channel_js}</script>"), name="qwebchannel")
    page_js = (RESOURCES / "crew_map.js").read_text(encoding="utf-8")
    cfg = {"hasTiles": bool(tile_url), "staleSeconds": STALE_FIX_S, "labels": CREW_LABELS, "colors": CREW_COLORS,
           "siteColors": SITE_COLORS, "late": LATE_COLOR}
    html = root.render()
    init = f"<script>\n{page_js}\nCrewPage.init({m.get_name()}, {json.dumps(cfg)});\n</script>\n"
    head, sep, tail = html.rpartition("</html>")
    return head + init + sep + tail if sep else html + init


def initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    if not parts:
        return "?"
    return (parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")).upper()


class _Bridge(QObject):
    """The page calls markerClicked(id) through QWebChannel."""

    clicked = Signal(int)

    @Slot(int)
    def markerClicked(self, tech_id: int) -> None:  # noqa: N802 (called from JavaScript)
        self.clicked.emit(int(tech_id))


class CrewMap(QWidget):
    """Every active tech as a status-coloured canvas marker, today's job sites, live in 250 ms batches.

    The page is built once; positions, statuses and sites are pushed with runJavaScript as JSON batches.
    """

    technicianSelected = Signal(int)
    loaded = Signal()
    failed = Signal(str)

    def __init__(self, api: ApiClient, store: Store, parent: QWidget | None = None, tile_url: str | None = None,
                 flush_ms: int = FLUSH_MS):
        super().__init__(parent)
        self.api = api
        self.store = store
        # The company's tile URL (Settings → Map and ETA) wins; the last one seen starts the page meanwhile.
        self._company_tiles = tile_url is None
        self.tile_url = tile_url if tile_url is not None else str(QSettings().value(SETTINGS_KEY, OSM_TILES) or "")
        self.selected: int | None = None
        self.page_ready = False
        self.data_ready = False
        self.pushed_batches = 0
        self._pending_pos: dict[int, list[Any]] = {}
        self._pending_techs: set[int] = set()
        self._pending_sites: set[int] = set()
        self._fit_next = False

        self.view = QWebEngineView(self)
        self.view.setAccessibleName("Crew map")
        s = self.view.settings()
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, True)
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, True)
        self.bridge = _Bridge(self)
        self.bridge.clicked.connect(self._on_marker_clicked)
        self.channel = QWebChannel(self.view.page())
        self.channel.registerObject("bridge", self.bridge)
        self.view.page().setWebChannel(self.channel)
        self.view.loadFinished.connect(self._on_load_finished)

        bar = QHBoxLayout()
        bar.setContentsMargins(8, 6, 8, 6)
        self.fit_btn = QPushButton("Fit to crew")
        self.fit_btn.setToolTip("Zoom to show every technician")
        self.fit_btn.clicked.connect(self.fit_to_crew)
        self.follow_box = QCheckBox("Follow selected")
        self.follow_box.setToolTip("Keep the selected technician in the middle of the map")
        self.follow_box.toggled.connect(self._on_follow)
        self.trail_box = QCheckBox("Breadcrumbs")
        self.trail_box.setToolTip("Show where technicians have driven (last two hours for the selected one)")
        self.trail_box.toggled.connect(self.set_breadcrumbs)
        self.status = QLabel("Loading the crew…")
        self.status.setStyleSheet("color: palette(placeholder-text);")
        self.tasks = TaskSet(self.status.setText)
        self._shown: set[int] = set()  # technicians with a marker on the page
        self._sites: set[int] = set()  # job sites on the page
        self._site_tech: dict[int, int] = {}  # job site -> the technician it was last drawn for
        for w in (self.fit_btn, self.follow_box, self.trail_box):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.status)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(bar)
        lay.addWidget(self.view, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(flush_ms)
        self.timer.timeout.connect(self.flush)
        self.timer.start()
        self._build_page()

    def _build_page(self) -> None:
        """(Re)build the Leaflet page; data already loaded is pushed again once it has loaded."""
        self.page_ready = False
        self.view.setHtml(build_page(self.tile_url), QUrl.fromLocalFile(str(leaflet_static_dir()) + "/"))

    def use_tile_url(self, url: str) -> None:
        """Switch the map's tiles (an empty URL: no tiles, a plain grid)."""
        if url == self.tile_url:
            return
        self.tile_url = url
        QSettings().setValue(SETTINGS_KEY, url)
        self._build_page()

    async def _company_tile_url(self) -> None:
        if not self._company_tiles:
            return
        try:
            settings = await self.api.get_settings()
        except ApiError:
            return  # keep the last known tiles
        if "tile_url" in settings:
            self.use_tile_url(str(settings.get("tile_url") or ""))

    def _settings_changed(self, changed: list[str]) -> None:
        if "tile_url" in changed:
            self.tasks.spawn(self._company_tile_url(), "switch the map tiles")

    # --- following the store ------------------------------------------------------------------------------
    def start(self) -> None:
        st = self.store
        st.reset.connect(self.reload)
        st.timeZoneChanged.connect(lambda _tz: self.reload())
        st.positionChanged.connect(self._on_position)
        st.appointmentChanged.connect(self._on_appointment)
        st.appointmentRemoved.connect(self._on_removed)
        st.alertChanged.connect(self._on_alert)
        st.technicianChanged.connect(lambda t: self._pending_techs.add(int(t["id"])))
        st.settingsChanged.connect(self._settings_changed)
        self.tasks.spawn(self._company_tile_url(), "load the map tiles setting")
        if st.loaded:
            self.reload()

    # --- what the page shows, read from the store ---------------------------------------------------------
    @property
    def techs(self) -> dict[int, dict[str, Any]]:
        return {int(t["id"]): t for t in self.store.active_technicians()}

    def _today(self) -> dict[int, dict[str, Any]]:
        return {int(a["id"]): a for a in self.store.todays_appointments()}

    def _late_minutes(self, a: dict[str, Any]) -> int | None:
        """Minutes overdue when the appointment has an open LATE alert (the server's clock)."""
        if not a.get("late") or a["status"] in FINAL:
            return None
        start = parse_iso_or_none(a.get("window_start"))
        return None if start is None else max(0, int((self.store.server_now() - start).total_seconds() // 60))

    def reload(self) -> bool:
        """Push every technician and today's job sites as one batch (start-up, reconnect, new time zone)."""
        today = self._today()
        techs, by_tech = self.techs, self._by_tech(today)
        batch: dict[str, Any] = {
            "skewMs": self.store.skew_s * 1000,
            "removeTechs": [t for t in self._shown if t not in techs],
            "techs": [self._tech_record(tid, by_tech.get(tid, [])) for tid in techs],
            "removeSites": [i for i in self._sites if i not in today],
            "sites": [self._site_record(a) for a in today.values() if a["status"] not in FINAL],
            "fit": not self.data_ready,
        }
        self._shown = set(techs)
        self._sites = {int(s["id"]) for s in batch["sites"]}
        self._site_tech = {i: int(a["technician_id"]) for i, a in today.items() if a.get("technician_id")}
        self._pending_pos.clear()
        self.data_ready = True
        self._push(batch)
        self._update_status()
        self.loaded.emit()
        return True

    def _on_load_finished(self, ok: bool) -> None:
        self.page_ready = ok
        if not ok:
            self.status.setText("The map page failed to load.")
            return
        if self.data_ready:  # data arrived first: push everything now
            self._pending_techs |= set(self.techs)
            self._pending_sites |= set(self._today())
            self._fit_next = True
        if self.selected is not None:
            self.select_technician(self.selected)

    # --- records sent to the page ------------------------------------------------------------------------
    def _fmt_time(self, value: Any) -> str:
        return clock_time(parse_iso(value), self.store.time_zone)

    def _by_tech(self, today: dict[int, dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for a in today.values():
            if a.get("technician_id") is not None:
                out[int(a["technician_id"])].append(a)
        return out

    def _tech_record(self, tech_id: int, mine: list[dict[str, Any]]) -> dict[str, Any]:
        t = self.store.technicians[tech_id]
        standing = crew_standing(mine)
        fix = self.store.positions.get(tech_id)
        nxt, cur = standing["next"], standing["current"]
        late = next((m for a in mine if (m := self._late_minutes(a)) is not None), None)
        return {
            "id": tech_id, "name": t["name"], "initials": initials(str(t["name"])), "status": standing["status"],
            "label": CREW_LABELS[standing["status"]], "lat": fix.lat if fix else None,
            "lng": fix.lng if fix else None, "fix_ms": fix.ms if fix else None,
            "late": f"{late} min overdue" if late is not None else "",
            "current": f"{cur['customer_name']} ({cur['status_label']})" if cur and cur is not nxt else "",
            "next": None if nxt is None else {
                "label": f"{nxt['customer_name']} · {self._fmt_time(nxt['window_start'])}",
                "lat": nxt.get("site_lat"), "lng": nxt.get("site_lng")},
        }

    def _site_record(self, a: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": a["id"], "lat": a.get("site_lat"), "lng": a.get("site_lng"), "customer": a.get("customer_name"),
            "address": a.get("address"), "service": a.get("service_type"), "status": a["status"],
            "status_label": a.get("status_label") or label_for(a["status"]), "tech": a.get("technician_name"),
            "tech_id": a.get("technician_id"), "late": self._late_minutes(a) is not None,
            "window": f"{self._fmt_time(a['window_start'])}–{self._fmt_time(a['window_end'])}",
        }

    # --- live updates (coalesced, flushed every FLUSH_MS) ----------------------------------------------------
    def _on_position(self, tech_id: int) -> None:
        fix = self.store.positions.get(tech_id)
        if fix is None or tech_id not in self.store.technicians:
            return
        if tech_id not in self._shown:
            self._pending_techs.add(tech_id)  # first fix: the marker must be created
        else:
            self._pending_pos[tech_id] = [tech_id, fix.lat, fix.lng, fix.ms]

    def _on_appointment(self, a: dict[str, Any]) -> None:
        appt_id = int(a["id"])
        was = self._site_tech.get(appt_id)
        if was is not None:
            self._pending_techs.add(was)  # the technician it left (or still has)
        self._pending_sites.add(appt_id)
        if a.get("technician_id") is not None:
            self._pending_techs.add(int(a["technician_id"]))

    def _on_removed(self, appt_id: int) -> None:
        self._on_appointment({"id": appt_id})

    def _on_alert(self, alert: dict[str, Any]) -> None:
        if alert.get("kind") == AlertKind.LATE and alert.get("appointment_id"):
            appt = self.store.appointment(int(alert["appointment_id"]))
            if appt is not None:
                self._on_appointment(appt)

    def flush(self) -> None:
        """Push what changed since the last flush as one batch (nothing when nothing changed)."""
        if not (self.page_ready and self.data_ready):
            return
        if not (self._pending_pos or self._pending_techs or self._pending_sites or self._fit_next):
            return
        batch: dict[str, Any] = {}
        today, techs_now = self._today(), self.techs
        by_tech = self._by_tech(today)
        techs = [self._tech_record(t, by_tech.get(t, [])) for t in sorted(self._pending_techs) if t in techs_now]
        gone = [t for t in self._pending_techs if t not in techs_now and t in self._shown]
        self._shown = (self._shown | {t["id"] for t in techs}) - set(gone)
        if techs:
            batch["techs"] = techs
        if gone:
            batch["removeTechs"] = gone
        pos = [p for t, p in self._pending_pos.items() if t not in self._pending_techs]
        if pos:
            batch["positions"] = pos
        live = [today[i] for i in sorted(self._pending_sites) if i in today and today[i]["status"] not in FINAL]
        drop = [i for i in self._pending_sites if (i not in today or today[i]["status"] in FINAL) and i in self._sites]
        for a in live:
            self._sites.add(int(a["id"]))
            if a.get("technician_id") is not None:
                self._site_tech[int(a["id"])] = int(a["technician_id"])
        self._sites -= set(drop)
        if live:
            batch["sites"] = [self._site_record(a) for a in live]
        if drop:
            batch["removeSites"] = drop
        if self._fit_next:
            batch["fit"] = True
        self._pending_pos.clear()
        self._pending_techs.clear()
        self._pending_sites.clear()
        self._fit_next = False
        self._push(batch)
        if techs or gone:
            self._update_status()

    def _push(self, batch: dict[str, Any]) -> None:
        if not self.page_ready:
            return  # _on_load_finished re-sends everything
        self.pushed_batches += 1
        self.view.page().runJavaScript(f"CrewPage.applyBatch({json.dumps(batch, default=str)})")

    def _update_status(self) -> None:
        techs, ages = self.techs, [self.store.fix_age_s(t) for t in self.techs]
        with_fix = sum(1 for a in ages if a is not None)
        stale = sum(1 for a in ages if a is not None and a > STALE_FIX_S)
        text = f"{len(techs)} technicians · {with_fix} on the map"
        if stale:
            text += f" · {stale} without a recent fix"
        self.status.setText(text)

    # --- selection and view controls --------------------------------------------------------------------
    def _on_marker_clicked(self, tech_id: int) -> None:
        self.selected = tech_id
        self.technicianSelected.emit(tech_id)
        if self.trail_box.isChecked():
            self.tasks.spawn(self._load_trail(tech_id))

    @Slot(int)
    def select_technician(self, tech_id: int) -> None:
        """Highlight a tech (from the grid or the alert panel) and draw their line to their next job."""
        self.selected = tech_id
        follow = "true" if self.follow_box.isChecked() else "false"
        self.run_js(f"CrewPage.select({int(tech_id)}, {follow})")
        if self.trail_box.isChecked():
            self.tasks.spawn(self._load_trail(tech_id))

    def fit_to_crew(self) -> None:
        self.run_js("CrewPage.fit()")

    def _on_follow(self, on: bool) -> None:
        self.run_js(f"CrewPage.setFollow({'true' if on else 'false'})")

    def set_breadcrumbs(self, on: bool) -> None:
        if self.trail_box.isChecked() != on:
            self.trail_box.setChecked(on)
            return
        self.run_js(f"CrewPage.setBreadcrumbs({'true' if on else 'false'})")
        if on and self.selected is not None:
            self.tasks.spawn(self._load_trail(self.selected))

    async def _load_trail(self, tech_id: int) -> None:
        try:
            pts = await self.api.breadcrumbs(tech_id)
        except ApiError as exc:
            self.status.setText(f"Breadcrumbs unavailable: {exc.message}")
            return
        fix = self.store.positions.get(tech_id)
        coords = [[p["lat"], p["lng"]] for p in pts] + ([[fix.lat, fix.lng]] if fix else [])
        self.run_js(f"CrewPage.setTrail({int(tech_id)}, {json.dumps(coords)})")

    def run_js(self, script: str, callback: Any = None) -> None:
        """Run JavaScript in the page once it is ready (dropped before; the load re-applies state)."""
        if not self.page_ready:
            return
        if callback is None:
            self.view.page().runJavaScript(script)
        else:
            self.view.page().runJavaScript(script, 0, callback)

    def shutdown(self) -> None:
        self.timer.stop()
        self.tasks.cancel()
