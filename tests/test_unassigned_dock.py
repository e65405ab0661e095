"""The Unassigned dock: the grid day's unassigned work sorted by priority, window or age; a row dropped on a
technician's row of the grid assigns it (over the real API), keeping its time when dropped inside its window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragMoveEvent, QDropEvent

from console.wiring import install_unassigned
from tests.console_support import Console, local_day, token_of
from widgets.unassigned_dock import MIME, UnassignedModel

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _order(dock: Any) -> list[int]:
    p = dock.proxy
    return [int(p.index(r, 0).data(UnassignedModel.IdRole)) for r in range(p.rowCount())]


def test_unassigned_dock_sorts_and_drops_onto_a_technician(qtbot: Any, qloop: Any, world: Any, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    later = world.schedule(world.cust1["id"], None, start=now + timedelta(hours=5))  # booked first
    soon = world.schedule(world.cust2["id"], None, start=now + timedelta(hours=1, minutes=30))
    begun = world.schedule(world.cust2["id"], None, start=now - timedelta(minutes=10), hours=1)  # booked last
    if len({local_day(a["window_start"]) for a in (later, soon, begun)}) > 1:
        pytest.skip("the three windows straddle midnight in the company time zone")
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path, day=local_day(soon["window_start"]))
    try:
        dock = install_unassigned(c.window, c.live)
        assert set(_order(dock)) == {later["id"], soon["id"], begun["id"]}
        assert "3 unassigned" in dock.count.text()
        dock.sort.setCurrentText("Priority")
        assert _order(dock) == [begun["id"], soon["id"], later["id"]]
        words = [dock.proxy.index(r, 0).data() for r in range(3)]
        assert words == ["Urgent", "Soon", "Normal"]
        dock.sort.setCurrentText("Age")  # longest waiting first
        assert _order(dock) == [later["id"], soon["id"], begun["id"]]
        dock.sort.setCurrentText("Window")
        assert _order(dock) == [begun["id"], soon["id"], later["id"]]
        mime = dock.model.mimeData([dock.model.index(dock.model.rows.index(
            next(r for r in dock.model.rows if r["id"] == later["id"])), 0)])
        assert bytes(mime.data(MIME).data()).decode() == str(later["id"])

        # Drag "later" over Marcus's row, inside its own window: the ghost names Marcus; the drop keeps its time.
        view = c.window.view
        row = c.model.lane_row_for_tech(world.tech1["id"])
        assert row is not None
        appt = c.model.appointment(later["id"])
        assert appt is not None
        view.ensure_visible(later["id"])
        y = view.lane_y(row) + 10
        x = int(view.x_for(appt.start + 1800))
        drag = QMimeData()
        drag.setData(MIME, QByteArray(str(later["id"]).encode()))
        move = QDragMoveEvent(QPoint(x, y), Qt.DropAction.MoveAction, drag, Qt.MouseButton.LeftButton,
                              Qt.KeyboardModifier.NoModifier)
        # (QApplication only delivers drag events during a real drag: hand them to the grid's drop filter.)
        grid_drop = c.window.grid_drop
        assert view.viewport().acceptDrops()
        assert grid_drop.eventFilter(view.viewport(), move)
        assert move.isAccepted() and view._drag == (later["id"], row, appt.start)
        drop = QDropEvent(QPointF(x, y), Qt.DropAction.MoveAction, drag, Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.NoModifier)
        assert grid_drop.eventFilter(view.viewport(), drop) and drop.isAccepted()
        assert view._drag is None
        qtbot.waitUntil(lambda: (a := c.model.appointment(later["id"])) is not None
                        and a.technician_id == world.tech1["id"], timeout=5000)
        fresh = world.dispatcher.get(f"/api/v1/appointments/{later['id']}").json()
        assert fresh["technician_id"] == world.tech1["id"] and fresh["window_start"] == later["window_start"]
        qtbot.waitUntil(lambda: later["id"] not in _order(dock), timeout=3000)
        assert "2 unassigned" in dock.count.text()
    finally:
        c.close()
