"""A small offline Leaflet page in Qt WebEngine — the one setup the route, zone, pin and assign maps share.

Leaflet comes from the installed package (the page's base URL); the shared `leaflet_page.css` and the page's own
CSS and JS from resources/map (`<name>.css`, `<name>.js`, whose `<Page>.init(config)` starts it); qwebchannel is
inlined when the page talks back through a bridge object. It works with blank tiles (no network): the tile URL is
a setting.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QVBoxLayout, QWidget

from widgets.crew_map import DEFAULT_CENTER, OSM_ATTRIBUTION, _qt_resource, leaflet_static_dir

RESOURCES = Path(__file__).resolve().parent.parent / "resources" / "map"


def tiles(tile_url: str, center: tuple[float, float] = DEFAULT_CENTER, zoom: int = 11) -> dict[str, Any]:
    """The page config every map starts from: tiles (with OpenStreetMap's credit when they are its), centre, zoom."""
    return {"tileUrl": tile_url, "attribution": OSM_ATTRIBUTION if "openstreetmap" in tile_url else "",
            "center": list(center), "zoom": zoom}


def page_html(name: str, page: str, config: dict[str, Any], *, channel: bool = False, extra_body: str = "") -> str:
    """The HTML of resources/map/`name`.{css,js}, started with `page.init(config)`."""
    css = "\n".join((RESOURCES / f"{css}.css").read_text(encoding="utf-8") for css in ("leaflet_page", name))
    js = (RESOURCES / f"{name}.js").read_text(encoding="utf-8")
    bridge = f"<script>{_qt_resource(':/qtwebchannel/qwebchannel.js')}</script>" if channel else ""
    return ('<!DOCTYPE html><html><head><meta charset="utf-8">'
            '<link rel="stylesheet" href="leaflet.css"><script src="leaflet.js"></script>'
            f"<style>{css}</style>{bridge}</head>"
            f'<body><div id="map"></div>{extra_body}<script>{js}\n{page}.init({json.dumps(config)});</script>'
            "</body></html>")


class LeafletView(QWidget):
    """The web view of one map page. `keep(script)` runs a script now or, before the page is ready, once it is
    (the last one kept wins); `js(script)` runs it only on a ready page; `ready` when the page has loaded."""

    ready = Signal()

    def __init__(self, html: str, accessible_name: str, bridge: QObject | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.page_ready = False
        self.pending: str | None = None
        self.view = QWebEngineView(self)
        self.view.setAccessibleName(accessible_name)
        s = self.view.settings()
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, True)
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, True)
        if bridge is not None:
            self.channel = QWebChannel(self.view.page())
            self.channel.registerObject("bridge", bridge)
            self.view.page().setWebChannel(self.channel)
        self.view.loadFinished.connect(self._loaded)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.view)
        self.view.setHtml(html, QUrl.fromLocalFile(str(leaflet_static_dir()) + "/"))

    def _loaded(self, ok: bool) -> None:
        self.page_ready = ok
        if ok and self.pending is not None:
            self.view.page().runJavaScript(self.pending)
        self.ready.emit()

    def js(self, script: str) -> None:
        if self.page_ready:
            self.view.page().runJavaScript(script)

    def keep(self, script: str) -> None:
        self.pending = script
        self.js(script)
