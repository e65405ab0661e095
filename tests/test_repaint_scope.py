"""A live change repaints what it changed: one alert card, one block (and its lane's label only when the label's
counts change), so a busy day's stream of events stays cheap for the console."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, QStringListModel
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from widgets.row_list import RowListView
from widgets.schedule_grid import ScheduleView
from widgets.schedule_model import ScheduleModel

DAY = date(2030, 5, 6)


class CountingDelegate(QStyledItemDelegate):
    def __init__(self) -> None:
        super().__init__()
        self.painted: list[int] = []

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(300, 60)

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        self.painted.append(index.row())
        super().paint(p, option, index)


def test_changed_row_repaints_alone(qtbot: Any) -> None:
    model = QStringListModel([f"Alert {i}" for i in range(12)])
    view = RowListView()
    delegate = CountingDelegate()
    view.setItemDelegate(delegate)
    view.setUniformItemSizes(True)
    view.setModel(model)
    qtbot.addWidget(view)
    view.resize(320, 400)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: 0 in delegate.painted)
    delegate.painted.clear()
    model.setData(model.index(3, 0), "Alert 3 · acknowledged")
    qtbot.waitUntil(lambda: 3 in delegate.painted)
    assert set(delegate.painted) == {3}
    delegate.painted.clear()
    model.dataChanged.emit(model.index(0, 0), model.index(5, 0))  # a range (the minutes tick) repaints them all
    qtbot.waitUntil(lambda: set(delegate.painted) >= {0, 1, 2, 3, 4, 5})


def _appt(i: int, tech: int, hour: int, status: str = "scheduled") -> dict[str, Any]:
    start = datetime(2030, 5, 6, hour, 0, tzinfo=UTC)
    return {"id": i, "technician_id": tech, "technician_name": f"Tech {tech}", "customer_name": f"Customer {i}",
            "service_type": "Leak repair", "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=1)).isoformat(), "status": status, "version": 1, "late": False}


def test_lane_label_repaints_only_when_its_counts_change(qtbot: Any) -> None:
    m = ScheduleModel("UTC")
    m.load(DAY, [{"id": 1, "name": "Ana Diaz"}], [_appt(10, 1, 15), _appt(11, 1, 17)])
    view = ScheduleView(m)
    qtbot.addWidget(view)
    view.resize(1200, 400)
    view.show()
    qtbot.waitExposed(view)
    row = m.lane_row_of(10)
    assert row is not None
    qtbot.waitUntil(lambda: row in view._gutter_seen)
    labels: list[int] = []
    blocks: list[int] = []
    paint_gutter, observe = view._paint_gutter, view._observe
    view._paint_gutter = lambda p, lanes, *a: (labels.append(len(lanes)), paint_gutter(p, lanes, *a))[1]
    view._observe = lambda a: (blocks.append(a.id), observe(a))[1]
    m.upsert({**_appt(10, 1, 15, "dispatched"), "version": 2})  # the label reads "2 jobs · 0 done" either way
    qtbot.waitUntil(lambda: 10 in blocks)
    assert labels == [] and view._gutter_seen[row][2:4] == (2, 0)
    m.upsert({**_appt(11, 1, 17, "complete"), "version": 2})  # now "1 done": the label repaints
    qtbot.waitUntil(lambda: view._gutter_seen[row][3] == 1)
    assert labels
