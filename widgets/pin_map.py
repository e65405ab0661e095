"""A small map to place or move a job site's pin (offline Leaflet in Qt WebEngine; works with no tiles at all)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from widgets.crew_map import DEFAULT_CENTER
from widgets.leaflet_view import LeafletView, page_html, tiles


def build_page(tile_url: str, center: tuple[float, float] = DEFAULT_CENTER, zoom: int = 11,
               pin: tuple[float, float] | None = None) -> str:
    cfg = {**tiles(tile_url, pin or center, 16 if pin else zoom), "pin": list(pin) if pin else None}
    return page_html("pin_map", "PinPage", cfg, channel=True, extra_body='<div id="note"></div>')


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


class PinMap(LeafletView):
    """Click to place the pin, drag to move it; `pinMoved` says where the dispatcher put it."""

    pinMoved = Signal(float, float)

    def __init__(self, tile_url: str = "", parent: QWidget | None = None,
                 center: tuple[float, float] = DEFAULT_CENTER):
        bridge = _Bridge()
        super().__init__(build_page(tile_url, center), "Job site map: click to place the pin, drag it to move",
                         bridge, parent)
        self.bridge = bridge
        bridge.setParent(self)
        bridge.moved.connect(self._on_moved)
        self.tile_url = tile_url
        self.pin: tuple[float, float] | None = None

    def _on_moved(self, lat: float, lng: float) -> None:
        self.pin = (round(lat, 6), round(lng, 6))
        self.pinMoved.emit(*self.pin)

    def set_pin(self, lat: float, lng: float) -> None:
        """Show the pin at a place (from geocoding or the customer on file) and centre the map on it."""
        self.pin = (round(lat, 6), round(lng, 6))
        self.keep(f"PinPage.setPin({lat}, {lng})")

    def clear_pin(self) -> None:
        self.pin = None
        self.keep("PinPage.clear()")
