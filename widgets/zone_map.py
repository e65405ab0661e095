"""The zones editor's map: every zone's outline, and the edited zone's outline drawn by clicking its corners."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QVBoxLayout, QWidget

from widgets.crew_map import DEFAULT_CENTER, OSM_ATTRIBUTION, _qt_resource, leaflet_static_dir

RESOURCES = Path(__file__).resolve().parent.parent / "resources" / "map"


def build_page(tile_url: str) -> str:
    css = (RESOURCES / "zone_map.css").read_text(encoding="utf-8")
    js = (RESOURCES / "zone_map.js").read_text(encoding="utf-8")
    cfg = {"tileUrl": tile_url, "attribution": OSM_ATTRIBUTION if "openstreetmap" in tile_url else "",
           "center": list(DEFAULT_CENTER), "zoom": 10}
    return ('<!DOCTYPE html><html><head><meta charset="utf-8">'
            '<link rel="stylesheet" href="leaflet.css"><script src="leaflet.js"></script>'
            f"<style>{css}</style><script>{_qt_resource(':/qtwebchannel/qwebchannel.js')}</script></head>"
            f'<body><div id="map"></div><script>{js}\nZonePage.init({json.dumps(cfg)});</script></body></html>')


class _Bridge(QObject):
    changed = Signal(str)

    @Slot(str)
    def outlineChanged(self, points: str) -> None:  # noqa: N802 (called from JavaScript)
        self.changed.emit(points)


class ZoneMap(QWidget):
    """`show_zones(others, polygon, color, editable)`; `outlineChanged(points)` as the admin clicks corners."""

    outlineChanged = Signal(list)
    ready = Signal()

    def __init__(self, tile_url: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.page_ready = False
        self.outline: list[list[float]] = []
        self.pending: str | None = None
        self.view = QWebEngineView(self)
        self.view.setAccessibleName("Zone outline map: click to add a corner")
        s = self.view.settings()
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, True)
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, True)
        self.bridge = _Bridge(self)
        self.bridge.changed.connect(self._changed)
        self.channel = QWebChannel(self.view.page())
        self.channel.registerObject("bridge", self.bridge)
        self.view.page().setWebChannel(self.channel)
        self.view.loadFinished.connect(self._loaded)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.view)
        self.view.setHtml(build_page(tile_url), QUrl.fromLocalFile(str(leaflet_static_dir()) + "/"))

    def _loaded(self, ok: bool) -> None:
        self.page_ready = ok
        if ok and self.pending is not None:
            self.view.page().runJavaScript(self.pending)
        self.ready.emit()

    def js(self, script: str) -> None:
        if self.page_ready:
            self.view.page().runJavaScript(script)

    def show_zones(self, others: list[dict[str, Any]], polygon: list[list[float]], color: str, editable: bool) -> None:
        """Other zones faint, this one bold; clicks add corners when `editable`."""
        self.outline = [list(p) for p in polygon]
        zones = [{"name": z["name"], "color": z.get("color") or "", "polygon": z.get("polygon") or []} for z in others]
        self.pending = (f"ZonePage.show({json.dumps(zones)}, {json.dumps({'color': color, 'polygon': polygon})}, "
                        f"{'true' if editable else 'false'}, true)")
        self.js(self.pending)

    def _changed(self, points: str) -> None:
        self.outline = [[float(a), float(b)] for a, b in json.loads(points)]
        self.outlineChanged.emit(self.outline)

    def undo(self) -> None:
        self.js("ZonePage.undo()")

    def clear(self) -> None:
        self.js("ZonePage.clear()")
