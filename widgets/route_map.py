"""The Optimize day map: every technician's route after the plan (numbered stops in their colour, late stops
ringed orange, moved visits outlined), and optionally the plan before as dashed lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWebEngineCore import QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QVBoxLayout, QWidget

from models.timefmt import DEFAULT_TIME_ZONE, clock_time, parse_iso
from widgets.crew_map import DEFAULT_CENTER, OSM_ATTRIBUTION, leaflet_static_dir

RESOURCES = Path(__file__).resolve().parent.parent / "resources" / "map"
#: One colour per technician (distinct for colour-blind readers first, then more).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7A5195", "#2F4B7C",
           "#A05195", "#665191", "#F95D6A", "#003F5C", "#8C6D31", "#31A354", "#636363", "#E7298A"]


def build_page(tile_url: str) -> str:
    css = (RESOURCES / "route_map.css").read_text(encoding="utf-8")
    js = (RESOURCES / "route_map.js").read_text(encoding="utf-8")
    cfg = {"tileUrl": tile_url, "attribution": OSM_ATTRIBUTION if "openstreetmap" in tile_url else "",
           "center": list(DEFAULT_CENTER), "zoom": 11}
    return ('<!DOCTYPE html><html><head><meta charset="utf-8">'
            '<link rel="stylesheet" href="leaflet.css"><script src="leaflet.js"></script>'
            f'<style>{css}</style></head><body><div id="map"></div><div id="legend"></div><script>{js}\n'
            f"RoutePage.init({json.dumps(cfg)});</script></body></html>")


def routes_data(proposal: dict[str, Any], tz: str, *, both: bool) -> dict[str, Any]:
    """What the page draws from an answer of `POST /dispatch/optimize`."""
    moved = {m["appointment_id"] for m in proposal.get("moves") or []}

    def stops(legs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"lat": v["site"]["lat"], "lng": v["site"]["lng"], "label": v["label"],
                 "time": clock_time(parse_iso(v["arrive_at"]), tz), "late": bool(v["late_min"]),
                 "moved": v["appointment_id"] in moved} for v in legs if v.get("site")]

    routes = [{"name": t["name"], "color": PALETTE[i % len(PALETTE)], "start": t.get("start"),
               "before": stops(t["before"]), "after": stops(t["after"])}
              for i, t in enumerate(proposal.get("technicians") or [])]
    return {"routes": routes, "show": "both" if both else "after"}


class RouteMap(QWidget):
    """`show_plan(proposal, tz, both=…)` draws it (once the page is ready); `ready` when the page loaded."""

    ready = Signal()

    def __init__(self, tile_url: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.page_ready = False
        self.pending: str | None = None
        self.view = QWebEngineView(self)
        self.view.setAccessibleName("Map of each technician's route after the plan")
        s = self.view.settings()
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, True)
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, True)
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

    def show_plan(self, proposal: dict[str, Any], tz: str = DEFAULT_TIME_ZONE, *, both: bool = False) -> None:
        self.pending = f"RoutePage.show({json.dumps(routes_data(proposal, tz, both=both))})"
        if self.page_ready:
            self.view.page().runJavaScript(self.pending)
