"""Assign on the map: the job and every candidate technician where they would drive from, each labelled with their
rank and "can be there at" (top pick green, warnings orange), beside the same ranked list. Clicking a technician on
the map selects them in the list; Assign (or a double-click) emits `picked(tech_id)`."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QDialog, QLabel, QSplitter, QVBoxLayout, QWidget

from models.timefmt import DEFAULT_TIME_ZONE, clock_time, parse_iso
from services.api_client import ApiClient, ApiError
from widgets.leaflet_view import LeafletView, page_html, tiles
from widgets.suggest_list import SuggestList
from widgets.tasks import TaskSet


def build_page(tile_url: str) -> str:
    return page_html("assign_map", "AssignPage", tiles(tile_url), channel=True)


def map_data(answer: dict[str, Any], label: str, tz: str) -> dict[str, Any]:
    """What the page draws from an answer of `POST /dispatch/suggest`."""
    site = answer.get("site")
    techs = []
    for s in answer.get("suggestions") or []:
        warns = [w["message"] for w in s.get("warnings") or []]
        techs.append({"id": s["technician_id"], "name": s["name"], "rank": s["rank"], "from": s.get("from"),
                      "at": f"can be there at {clock_time(parse_iso(s['arrive_at']), tz)}",
                      "kind": "top" if s.get("top_pick") else "warn" if warns else "ok",
                      "warn": warns[0] + (f" (+{len(warns) - 1})" if len(warns) > 1 else "") if warns else ""})
    return {"site": {**site, "label": label} if site else None, "techs": techs}


class _Bridge(QObject):
    clicked = Signal(int)

    @Slot(int)
    def techClicked(self, tech_id: int) -> None:  # noqa: N802 (called from JavaScript)
        self.clicked.emit(int(tech_id))


class AssignMapDialog(QDialog):
    """The map and the ranked list for one visit; `picked(tech_id)` when the dispatcher assigns."""

    picked = Signal(int)
    loaded = Signal()

    def __init__(self, api: ApiClient, appt: dict[str, Any], *, time_zone: str = DEFAULT_TIME_ZONE,
                 tile_url: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.appt, self.tz = api, appt, time_zone
        self.tasks = TaskSet()
        self.answer: dict[str, Any] | None = None
        self.setWindowTitle("Assign on the map")
        self.resize(1280, 760)
        root = QVBoxLayout(self)
        who = appt.get("technician_name") or "nobody (unassigned)"
        head = QLabel(f"{appt.get('customer_name')} — {appt.get('service_type')} · {appt.get('address') or ''} · "
                      f"now with {who}. Click a technician on the map or in the list, then Assign.", wordWrap=True)
        head.setTextFormat(Qt.TextFormat.PlainText)
        head.setStyleSheet("font-weight: 600;")
        root.addWidget(head)
        split = QSplitter()
        self.bridge = _Bridge(self)
        self.bridge.clicked.connect(self.select_technician)
        self.map = LeafletView(build_page(tile_url), "Map of the job and the technicians who could take it",
                               self.bridge)
        self.map.ready.connect(self._draw)
        self.view = self.map.view
        self.list = SuggestList(time_zone=time_zone, assign_text="Assign")
        self.list.chosen.connect(self._chosen)
        self.list.view.selectionModel().currentChanged.connect(lambda *_: self._sync_map())
        split.addWidget(self.map)
        split.addWidget(self.list)
        split.setSizes([820, 460])
        root.addWidget(split, 1)
        self.list.status.setText("Finding who can be there first…")
        self.tasks.spawn(self._load(), "rank the technicians")

    async def _load(self) -> None:
        try:
            self.answer = await self.api.suggest(appointment_id=int(self.appt["id"]))
        except ApiError as exc:
            self.list.status.setText(f"Couldn't rank technicians: {exc.message}")
            self.loaded.emit()
            return
        self.list.set_suggestions(self.answer)
        if not self.answer.get("site"):
            self.list.status.setText("This visit has no map location, so the map can't show it; the list still "
                                     "ranks who is free first. " + self.list.status.text())
        self._draw()
        self.loaded.emit()

    @property
    def page_ready(self) -> bool:
        return self.map.page_ready

    def _draw(self) -> None:
        if self.answer is None or not self.map.page_ready:
            return
        data = map_data(self.answer, str(self.appt.get("customer_name") or "Job"), self.tz)
        self.map.js(f"AssignPage.show({json.dumps(data)})")
        self._sync_map()

    def _sync_map(self) -> None:
        cur = self.list.current()
        if cur is not None:
            self.map.js(f"AssignPage.select({int(cur['technician_id'])})")

    def select_technician(self, tech_id: int) -> None:
        """A technician clicked on the map: selected in the list (Assign then assigns them)."""
        rows = self.list.model.rows
        row = next((i for i, s in enumerate(rows) if int(s["technician_id"]) == tech_id), None)
        if row is not None:
            self.list.view.setCurrentIndex(self.list.model.index(row))

    def _chosen(self, tech_id: int) -> None:
        self.picked.emit(tech_id)
        self.accept()

    def done(self, result: int) -> None:
        self.tasks.cancel()
        self.list.tasks.cancel()
        super().done(result)
