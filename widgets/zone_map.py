"""The zones editor's map: every zone's outline, and the edited zone's outline drawn by clicking its corners."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from widgets.leaflet_view import LeafletView, page_html, tiles


def build_page(tile_url: str) -> str:
    return page_html("zone_map", "ZonePage", tiles(tile_url, zoom=10), channel=True)


class _Bridge(QObject):
    changed = Signal(str)

    @Slot(str)
    def outlineChanged(self, points: str) -> None:  # noqa: N802 (called from JavaScript)
        self.changed.emit(points)


class ZoneMap(LeafletView):
    """`show_zones(others, polygon, color, editable)`; `outlineChanged(points)` as the admin clicks corners."""

    outlineChanged = Signal(list)

    def __init__(self, tile_url: str = "", parent: QWidget | None = None):
        bridge = _Bridge()
        super().__init__(build_page(tile_url), "Zone outline map: click to add a corner", bridge, parent)
        self.bridge = bridge
        bridge.setParent(self)
        bridge.changed.connect(self._changed)
        self.outline: list[list[float]] = []

    def show_zones(self, others: list[dict[str, Any]], polygon: list[list[float]], color: str, editable: bool) -> None:
        """Other zones faint, this one bold; clicks add corners when `editable`."""
        self.outline = [list(p) for p in polygon]
        zones = [{"name": z["name"], "color": z.get("color") or "", "polygon": z.get("polygon") or []} for z in others]
        self.keep(f"ZonePage.show({json.dumps(zones)}, {json.dumps({'color': color, 'polygon': polygon})}, "
                  f"{'true' if editable else 'false'}, true)")

    def _changed(self, points: str) -> None:
        self.outline = [[float(a), float(b)] for a, b in json.loads(points)]
        self.outlineChanged.emit(self.outline)

    def undo(self) -> None:
        self.js("ZonePage.undo()")

    def clear(self) -> None:
        self.js("ZonePage.clear()")
