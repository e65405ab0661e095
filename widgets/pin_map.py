"""A small map to place or move a job site's pin (offline Leaflet in Qt WebEngine; works with no tiles at all)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from widgets.crew_map import DEFAULT_CENTER, OSM_ATTRIBUTION, _qt_resource, leaflet_static_dir

RESOURCES = Path(__file__).resolve().parent.parent / "resources" / "map"


def build_page(tile_url: str, center: tuple[float, float] = DEFAULT_CENTER, zoom: int = 11,
               pin: tuple[float, float] | None = None) -> str:
    """The page's HTML: Leaflet from the installed package (page base URL), our CSS/JS and qwebchannel inlined."""
    css = (RESOURCES / "pin_map.css").read_text(encoding="utf-8")
    js = (RESOURCES / "pin_map.js").read_text(encoding="utf-8")
    cfg = {"tileUrl": tile_url, "attribution": OSM_ATTRIBUTION if "openstreetmap" in tile_url else "",
           "center": list(pin or center), "zoom": 16 if pin else zoom, "pin": list(pin) if pin else None}
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        '<link rel="stylesheet" href="leaflet.css"><script src="leaflet.js"></script>'
        f"<style>{css}</style><script>{_qt_resource(':/qtwebchannel/qwebchannel.js')}</script></head>"
        f'<body><div id="map"></div><div id="note"></div><script>{js}\nPinPage.init({json.dumps(cfg)});'
        "</script></body></html>"
    )


def show_candidates(places: QListWidget, found: list[dict[str, Any]]) -> None:
    """The geocoder's answers to pick from (the list shows only when there is a choice); the first is selected."""
    places.clear()
    places.setVisible(len(found) > 1)
    for c in found:
        item = QListWidgetItem(c["label"])
        item.setData(Qt.ItemDataRole.UserRole, c)
        places.addItem(item)
    if found:
        places.setCurrentRow(0)


class _Bridge(QObject):
    moved = Signal(float, float)

    @Slot(float, float)
    def pinMoved(self, lat: float, lng: float) -> None:  # noqa: N802 (called from JavaScript)
        self.moved.emit(float(lat), float(lng))


class PinMap(QWidget):
    """Click to place the pin, drag to move it; `pinMoved` says where the dispatcher put it."""

    pinMoved = Signal(float, float)
    ready = Signal()

    def __init__(self, tile_url: str = "", parent: QWidget | None = None,
                 center: tuple[float, float] = DEFAULT_CENTER):
        super().__init__(parent)
        self.tile_url = tile_url
        self.pin: tuple[float, float] | None = None
        self.page_ready = False
        self.view = QWebEngineView(self)
        self.view.setAccessibleName("Job site map: click to place the pin, drag it to move")
        s = self.view.settings()
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, True)
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, True)
        self.bridge = _Bridge(self)
        self.bridge.moved.connect(self._on_moved)
        self.channel = QWebChannel(self.view.page())
        self.channel.registerObject("bridge", self.bridge)
        self.view.page().setWebChannel(self.channel)
        self.view.loadFinished.connect(self._on_loaded)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.view)
        self.view.setHtml(build_page(tile_url, center), QUrl.fromLocalFile(str(leaflet_static_dir()) + "/"))

    def _on_loaded(self, ok: bool) -> None:
        self.page_ready = ok
        if ok:
            if self.pin is not None:
                self._js(f"PinPage.setPin({self.pin[0]}, {self.pin[1]})")
            self.ready.emit()

    def _on_moved(self, lat: float, lng: float) -> None:
        self.pin = (round(lat, 6), round(lng, 6))
        self.pinMoved.emit(*self.pin)

    def _js(self, script: str) -> None:
        if self.page_ready:
            self.view.page().runJavaScript(script)

    def set_pin(self, lat: float, lng: float) -> None:
        """Show the pin at a place (from geocoding or the customer on file) and centre the map on it."""
        self.pin = (round(lat, 6), round(lng, 6))
        self._js(f"PinPage.setPin({lat}, {lng})")

    def clear_pin(self) -> None:
        self.pin = None
        self._js("PinPage.clear()")
