"""The live crew map: a folium-built Leaflet page (offline Leaflet) in QWebEngineView, updated in batches."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import folium
from PySide6.QtCore import QFile, QIODevice, QObject, QSettings, QTimer, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from models.crew import CREW_LABELS, STALE_FIX_S, crew_standing
from models.enums import FIX_SOURCE_LABELS
from models.timefmt import clock_time
from resources.leaflet import leaflet_static_dir
from services.api_client import ApiClient, ApiError
from widgets.tasks import TaskSet

log = logging.getLogger(__name__)

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
SETTINGS_KEY = "map/tile_url"
FLUSH_MS = 250
DEFAULT_CENTER = (30.2672, -97.7431)
RESOURCES = Path(__file__).resolve().parent.parent / "resources" / "map"
FINAL = ("complete", "cancelled")


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
    cfg = {"hasTiles": bool(tile_url), "staleSeconds": STALE_FIX_S}
    html = root.render()
    init = f"<script>\n{page_js}\nCrewPage.init({m.get_name()}, {json.dumps(cfg)});\n</script>\n"
    head, sep, tail = html.rpartition("</html>")
    return head + init + sep + tail if sep else html + init


def initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    if not parts:
        return "?"
    return (parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")).upper()


def _dt(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


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
    pairPhoneRequested = Signal(int)
    loaded = Signal()
    failed = Signal(str)

    def __init__(self, api: ApiClient, parent: QWidget | None = None, tile_url: str | None = None,
                 time_zone: str | None = None, flush_ms: int = FLUSH_MS):
        super().__init__(parent)
        self.api = api
        self.time_zone = time_zone
        # The company's tile URL (Settings → Map and ETA) wins; the last one seen starts the page meanwhile.
        self._company_tiles = tile_url is None
        self.tile_url = tile_url if tile_url is not None else str(QSettings().value(SETTINGS_KEY, OSM_TILES) or "")
        self.tasks = TaskSet()
        self.techs: dict[int, dict[str, Any]] = {}
        self.positions: dict[int, dict[str, Any]] = {}
        self.appts: dict[int, dict[str, Any]] = {}
        self.late: dict[int, str] = {}  # appointment id -> alert text
        self.selected: int | None = None
        self.skew_ms = 0.0
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
        self.pair_btn = QPushButton("Pair phone…")
        self.pair_btn.setToolTip("Pair the selected technician's phone: field app QR code, Traccar Client, devices")
        self.pair_btn.setEnabled(False)
        self.pair_btn.clicked.connect(lambda: self.selected is not None and self.pairPhoneRequested.emit(self.selected))
        self.status = QLabel("Loading the crew…")
        self.status.setStyleSheet("color: palette(placeholder-text);")
        for w in (self.fit_btn, self.follow_box, self.trail_box, self.pair_btn):
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

    # --- loading ------------------------------------------------------------------------------------------
    def start(self) -> None:
        self.tasks.spawn(self._company_tile_url())
        self.tasks.spawn(self.reload())

    async def reload(self) -> bool:
        """Fetch technicians, latest positions and today's appointments; push them as one batch."""
        try:
            if self.time_zone is None:
                self.time_zone = str((await self.api.company()).get("time_zone") or "America/Chicago")
            today = datetime.now(ZoneInfo(self.time_zone)).date()
            techs = await self.api.technicians()
            positions = await self.api.crew_positions()
            appts = await self.api.appointments(today)
            alerts = await self.api.alerts()
        except ApiError as exc:
            self.status.setText(f"Crew map not updated: {exc.message}")
            self.failed.emit(exc.message)
            return False
        now_ms = time.time() * 1000
        self.techs = {int(t["id"]): t for t in techs if t.get("active", True)}
        self.positions = {}
        skews = []
        for p in positions:
            fix = _dt(p["recorded_at"]).timestamp() * 1000
            self.positions[int(p["technician_id"])] = {"lat": p["lat"], "lng": p["lng"], "fix_ms": fix,
                                                       "source": p.get("source_label") or ""}
            skews.append(now_ms - (fix + float(p.get("age_s") or 0) * 1000))
        self.skew_ms = sorted(skews)[len(skews) // 2] if skews else 0.0
        old_sites = set(self.appts)
        self.appts = {int(a["id"]): a for a in appts}
        self.late = {int(a["appointment_id"]): a["message"] for a in alerts
                     if a.get("kind") == "late" and a.get("appointment_id")}
        self._pending_pos.clear()
        batch: dict[str, Any] = {
            "skewMs": self.skew_ms,
            "removeTechs": [],
            "techs": [self._tech_record(tid) for tid in self.techs],
            "removeSites": [i for i in old_sites if i not in self.appts],
            "sites": [self._site_record(a) for a in self.appts.values() if a["status"] not in FINAL],
            "fit": not self.data_ready,
        }
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
            self._pending_sites |= set(self.appts)
            self._fit_next = True
        if self.selected is not None:
            self.select_technician(self.selected)

    # --- records sent to the page ------------------------------------------------------------------------
    def _fmt_time(self, value: Any) -> str:
        return clock_time(_dt(value), self.time_zone or "America/Chicago")

    def _tech_record(self, tech_id: int) -> dict[str, Any]:
        t = self.techs[tech_id]
        mine = [a for a in self.appts.values() if a.get("technician_id") == tech_id]
        standing = crew_standing(mine)
        pos = self.positions.get(tech_id, {})
        nxt, cur = standing["next"], standing["current"]
        late = next((self.late[a["id"]] for a in mine if a["id"] in self.late and a["status"] not in FINAL), "")
        return {
            "id": tech_id, "name": t["name"], "initials": initials(str(t["name"])), "status": standing["status"],
            "label": CREW_LABELS[standing["status"]], "lat": pos.get("lat"), "lng": pos.get("lng"),
            "fix_ms": pos.get("fix_ms"), "source": pos.get("source", ""), "late": late.split(" — ")[-1] if late else "",
            "current": f"{cur['customer_name']} ({cur['status_label']})" if cur and cur is not nxt else "",
            "next": None if nxt is None else {
                "label": f"{nxt['customer_name']} · {self._fmt_time(nxt['window_start'])}",
                "lat": nxt.get("site_lat"), "lng": nxt.get("site_lng")},
        }

    def _site_record(self, a: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": a["id"], "lat": a.get("site_lat"), "lng": a.get("site_lng"), "customer": a.get("customer_name"),
            "address": a.get("address"), "service": a.get("service_type"), "status": a["status"],
            "status_label": a.get("status_label") or a["status"], "tech": a.get("technician_name"),
            "tech_id": a.get("technician_id"), "late": a["id"] in self.late,
            "window": f"{self._fmt_time(a['window_start'])}–{self._fmt_time(a['window_end'])}",
        }

    # --- live updates --------------------------------------------------------------------------------------
    def handle_event(self, name: str, data: dict[str, Any]) -> None:
        """Feed one event from the stream; changes are coalesced and flushed every FLUSH_MS."""
        if name == "settings.updated" and "tile_url" in (data.get("changed") or []):
            self.tasks.spawn(self._company_tile_url())
            return
        if name == "position.updated" and "technician_id" in data:
            tid = int(data["technician_id"])
            fix = _dt(data["recorded_at"]).timestamp() * 1000 if data.get("recorded_at") else time.time() * 1000
            prev = self.positions.get(tid)
            if prev is not None and prev["fix_ms"] > fix:
                return
            self.positions[tid] = {"lat": data["lat"], "lng": data["lng"], "fix_ms": fix,
                                   "source": FIX_SOURCE_LABELS.get(str(data.get("source") or ""), "")}
            if tid not in self.techs:
                if self.data_ready:
                    self.tasks.spawn(self._fetch_tech(tid))
                return
            if prev is None:
                self._pending_techs.add(tid)  # first fix: the marker must be created
            else:
                self._pending_pos[tid] = [tid, data["lat"], data["lng"], fix, self.positions[tid]["source"]]
        elif name == "appointment.updated" and "id" in data:
            self.tasks.spawn(self._fetch_appt(int(data["id"])))
        elif name in ("alert.created", "alert.updated") and data.get("kind") == "late" and data.get("appointment_id"):
            aid = int(data["appointment_id"])
            if data.get("open", True):
                self.late[aid] = str(data.get("message") or "LATE")
            else:
                self.late.pop(aid, None)
            self._touch_appt(aid)
        elif name == "technician.updated" and "id" in data:
            self.tasks.spawn(self._fetch_tech(int(data["id"])))

    def _touch_appt(self, appt_id: int) -> None:
        self._pending_sites.add(appt_id)
        a = self.appts.get(appt_id)
        if a is not None and a.get("technician_id") in self.techs:
            self._pending_techs.add(int(a["technician_id"]))

    async def _fetch_appt(self, appt_id: int) -> None:
        try:
            a = await self.api.appointment(appt_id)
        except ApiError as exc:
            if exc.status == 404 and self.appts.pop(appt_id, None) is not None:
                self._pending_sites.add(appt_id)
            return
        old = self.appts.get(appt_id)
        if old is not None and int(old.get("version", 0)) > int(a.get("version", 0)):
            return
        tz = ZoneInfo(self.time_zone or "America/Chicago")
        if _dt(a["window_start"]).astimezone(tz).date() != datetime.now(tz).date():
            if old is not None:
                self.appts.pop(appt_id)
                self._pending_sites.add(appt_id)
                if old.get("technician_id") in self.techs:
                    self._pending_techs.add(int(old["technician_id"]))
            return
        self.appts[appt_id] = a
        self._touch_appt(appt_id)
        if old is not None and old.get("technician_id") in self.techs:
            self._pending_techs.add(int(old["technician_id"]))

    async def _fetch_tech(self, tech_id: int) -> None:
        try:
            t = await self.api.technician(tech_id)
        except ApiError:
            return
        if t.get("active", True):
            self.techs[tech_id] = t
        else:
            self.techs.pop(tech_id, None)
        self._pending_techs.add(tech_id)

    def flush(self) -> None:
        """Push what changed since the last flush as one batch (nothing when nothing changed)."""
        if not (self.page_ready and self.data_ready):
            return
        if not (self._pending_pos or self._pending_techs or self._pending_sites or self._fit_next):
            return
        batch: dict[str, Any] = {}
        techs = [self._tech_record(t) for t in sorted(self._pending_techs) if t in self.techs]
        gone = [t for t in self._pending_techs if t not in self.techs]
        if techs:
            batch["techs"] = techs
        if gone:
            batch["removeTechs"] = gone
        pos = [p for t, p in self._pending_pos.items() if t not in self._pending_techs]
        if pos:
            batch["positions"] = pos
        sites = [self._site_record(self.appts[i]) for i in sorted(self._pending_sites)
                 if i in self.appts and self.appts[i]["status"] not in FINAL]
        drop = [i for i in self._pending_sites if i not in self.appts or self.appts[i]["status"] in FINAL]
        if sites:
            batch["sites"] = sites
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
        with_fix = sum(1 for t in self.techs if t in self.positions)
        stale_ms = STALE_FIX_S * 1000
        now = time.time() * 1000 - self.skew_ms
        stale = sum(1 for t in self.techs if t in self.positions and now - self.positions[t]["fix_ms"] > stale_ms)
        text = f"{len(self.techs)} technicians · {with_fix} on the map"
        if stale:
            text += f" · {stale} without a recent fix"
        self.status.setText(text)

    # --- selection and view controls --------------------------------------------------------------------
    def _on_marker_clicked(self, tech_id: int) -> None:
        self.selected = tech_id
        self.pair_btn.setEnabled(True)
        self.technicianSelected.emit(tech_id)
        if self.trail_box.isChecked():
            self.tasks.spawn(self._load_trail(tech_id))

    @Slot(int)
    def select_technician(self, tech_id: int) -> None:
        """Highlight a tech (from the grid or the alert panel) and draw their line to their next job."""
        self.selected = tech_id
        self.pair_btn.setEnabled(True)
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
        pos = self.positions.get(tech_id)
        coords = [[p["lat"], p["lng"]] for p in pts] + ([[pos["lat"], pos["lng"]]] if pos else [])
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
