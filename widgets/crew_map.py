"""The live crew map: a folium-built Leaflet page (offline Leaflet) in QWebEngineView, updated in batches."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
from PySide6.QtCore import QFile, QIODevice, QObject, QSettings, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from models.crew import CREW_LABELS, STALE_FIX_S
from models.enums import AlertKind
from resources.leaflet import leaflet_static_dir
from services.api_client import ApiClient, ApiError
from widgets.crew_diff import CrewDiff, initials
from widgets.elided_label import ElidedLabel
from widgets.status_colors import CREW_COLORS, LATE_COLOR, SITE_COLORS
from widgets.tasks import TaskSet

if TYPE_CHECKING:
    from console.store import Store

log = logging.getLogger(__name__)

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
SETTINGS_KEY = "map/tile_url"
FLUSH_MS = 250
STATUS_MS = 15_000  # the count line follows ageing fixes at the page's own pace
DEFAULT_CENTER = (30.2672, -97.7431)
RESOURCES = Path(__file__).resolve().parent.parent / "resources" / "map"
__all__ = ["CrewMap", "build_page", "initials", "leaflet_static_dir"]


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
        self.diff = CrewDiff(store)
        self._status_due = True
        self._starting = False

        # The web page starts with the first data (right after the schedule's first paint): Qt WebEngine's
        # processes would otherwise compete with the first load for the CPU.
        self.view: QWebEngineView | None = None
        self.placeholder = QLabel("Loading the map…")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: palette(placeholder-text);")
        self.bridge = _Bridge(self)
        self.bridge.clicked.connect(self._on_marker_clicked)

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
        self.status = ElidedLabel("Loading the crew…")  # gives way when narrow
        self.status.setStyleSheet("color: palette(placeholder-text);")
        self.status.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.tasks = TaskSet(self.status.setText)
        for w in (self.fit_btn, self.follow_box, self.trail_box, self.pair_btn):
            bar.addWidget(w)
        bar.addWidget(self.status, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(bar)
        lay.addWidget(self.placeholder, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(flush_ms)
        self.timer.timeout.connect(self.flush)
        self.timer.start()
        self._soon = QTimer(self, singleShot=True, interval=0)  # a full comparison, after this event-loop turn
        self._soon.timeout.connect(self.flush)
        self.status_timer = QTimer(self, interval=STATUS_MS)
        self.status_timer.timeout.connect(self._status_tick)
        self.status_timer.start()

    def _make_view(self) -> QWebEngineView:
        view = QWebEngineView(self)
        view.setAccessibleName("Crew map")
        s = view.settings()
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, True)
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, True)
        self.channel = QWebChannel(view.page())
        self.channel.registerObject("bridge", self.bridge)
        view.page().setWebChannel(self.channel)
        view.loadFinished.connect(self._on_load_finished)
        lay = self.layout()
        assert isinstance(lay, QVBoxLayout)
        lay.replaceWidget(self.placeholder, view)
        self.placeholder.hide()
        return view

    def _build_page(self) -> None:
        """(Re)build the Leaflet page; data already loaded is pushed again once it has loaded."""
        self.page_ready = False
        if self.view is None:
            self.view = self._make_view()
        self.view.setHtml(build_page(self.tile_url), QUrl.fromLocalFile(str(leaflet_static_dir()) + "/"))

    def use_tile_url(self, url: str) -> None:
        """Switch the map's tiles (an empty URL: no tiles, a plain grid)."""
        if url == self.tile_url:
            return
        self.tile_url = url
        QSettings().setValue(SETTINGS_KEY, url)
        if self.view is not None:
            self._build_page()

    async def _start_page(self) -> None:
        """The company's tiles first (so the page is built once), then the page."""
        try:
            await self._company_tile_url()
        except Exception:  # the map starts anyway, with the last tiles seen
            log.exception("the map tiles setting could not be read")
        if self.view is None:
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
        st, diff = self.store, self.diff
        st.reset.connect(self.reload)
        st.timeZoneChanged.connect(lambda _tz: self.reload())
        st.skewChanged.connect(lambda _s: diff.skew())
        st.positionChanged.connect(diff.position)
        st.appointmentChanged.connect(diff.appointment)
        st.appointmentRemoved.connect(diff.appointment_removed)
        st.alertChanged.connect(self._on_alert)
        st.technicianChanged.connect(self._on_technician)
        st.settingsChanged.connect(self._settings_changed)
        if st.loaded:
            self.reload()

    def reload(self) -> None:
        """Bring the page in line with the whole store (start-up, reconnect, new time zone) — right after this
        event-loop turn, so a first load paints the schedule first — sending only what differs."""
        self.diff.everything(fit=not self.data_ready)
        self._status_due = True
        self._soon.start()

    def set_filter(self, tech_ids: set[int] | None, site_match: Any = None) -> None:
        """The schedule's skills and zones filter on the map: only these technicians (None: all) and their job
        sites, only the sites `site_match(appointment)` keeps (None: all); unassigned sites stay with skills."""
        self.diff.set_filter(tech_ids, site_match)
        self._status_due = True
        self._soon.start()

    def _on_load_finished(self, ok: bool) -> None:
        self.page_ready = ok
        if not ok:
            self.status.setText("The map page failed to load.")
            return
        self.diff.page_cleared()  # a new page shows nothing: everything is sent again
        self.flush()
        if self.selected is not None:
            self.select_technician(self.selected)

    def _on_technician(self, tech: dict[str, Any]) -> None:
        self.diff.technician(int(tech["id"]))
        self._status_due = True

    def _on_alert(self, alert: dict[str, Any]) -> None:
        if alert.get("kind") == AlertKind.LATE and alert.get("appointment_id"):
            appt = self.store.appointment(int(alert["appointment_id"]))
            if appt is not None:
                self.diff.appointment(appt)

    # --- live updates (coalesced, flushed every FLUSH_MS) ----------------------------------------------------
    def flush(self) -> None:
        """Push what changed since the last flush as one batch (nothing when nothing changed)."""
        if self.view is None and self.store.loaded and not self._starting:
            self._starting = True  # the first data: the page starts now, and gets everything once loaded
            if self._company_tiles:
                self.tasks.spawn(self._start_page(), "load the map tiles setting")
            else:
                self._build_page()
        if not (self.page_ready and self.store.loaded):
            return
        first = not self.data_ready
        if self.diff.pending:
            batch = self.diff.batch()
            if batch is not None:
                self._push(batch)
            self._status_due |= self.diff.crew_changed
        if first:
            self.data_ready = True
            self.loaded.emit()
        if self._status_due:
            self._update_status()

    def _push(self, batch: dict[str, Any]) -> None:
        if not self.page_ready or self.view is None:
            return  # _on_load_finished re-sends everything
        self.pushed_batches += 1
        self.view.page().runJavaScript(f"CrewPage.applyBatch({json.dumps(batch, default=str)})")

    def _update_status(self) -> None:
        """The count line (every technician once; on crew changes and every STATUS_MS as fixes age)."""
        self._status_due = False
        techs = self.store.active_technicians()
        ages = [self.store.fix_age_s(int(t["id"])) for t in techs]
        with_fix = sum(1 for a in ages if a is not None)
        stale = sum(1 for a in ages if a is not None and a > STALE_FIX_S)
        text = f"{len(techs)} technicians · {with_fix} on the map"
        if self.diff.tech_ids is not None or self.diff.site_match is not None:
            text = f"{len(self.diff.techs)} of {len(techs)} technicians (filtered)"
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
        fix = self.store.positions.get(tech_id)
        coords = [[p["lat"], p["lng"]] for p in pts] + ([[fix.lat, fix.lng]] if fix else [])
        self.run_js(f"CrewPage.setTrail({int(tech_id)}, {json.dumps(coords)})")

    def run_js(self, script: str, callback: Any = None) -> None:
        """Run JavaScript in the page once it is ready (dropped before; the load re-applies state)."""
        if not self.page_ready or self.view is None:
            return
        if callback is None:
            self.view.page().runJavaScript(script)
        else:
            self.view.page().runJavaScript(script, 0, callback)

    def _status_tick(self) -> None:
        self._status_due = True

    def shutdown(self) -> None:
        self.timer.stop()
        self._soon.stop()
        self.status_timer.stop()
        self.tasks.cancel()
