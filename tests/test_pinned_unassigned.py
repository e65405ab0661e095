"""The Unassigned row stays pinned under the time header while the grid scrolls (painted there, and clicks in that
band hit the Unassigned lane); other rows scroll under it and are revealed below it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QPoint, Qt

from widgets.schedule_grid import ScheduleView
from widgets.schedule_model import ScheduleModel
from widgets.schedule_paint import HEADER, ROW_H

DAY = date(2030, 5, 6)


def _appt(i: int, tech: int | None, hour: int) -> dict[str, Any]:
    start = datetime(2030, 5, 6, hour, 0, tzinfo=UTC)
    return {"id": i, "technician_id": tech, "technician_name": f"Tech {tech}", "customer_name": f"Customer {i}",
            "service_type": "Leak repair", "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=2)).isoformat(), "status": "scheduled", "version": 1,
            "late": False}


def test_unassigned_row_pinned_while_scrolling(qtbot: Any, artifacts: Any) -> None:
    m = ScheduleModel("America/Chicago")
    techs = [{"id": t, "name": f"Tech {t:02d}"} for t in range(1, 41)]
    m.load(DAY, techs, [_appt(1, None, 16)] + [_appt(100 + t, t, 15 + t % 4) for t in range(1, 41)])
    view = ScheduleView(m)
    qtbot.addWidget(view)
    view.resize(1000, 500)
    view.show()
    qtbot.waitExposed(view)
    assert not view.pin.isVisible() and view.lane_y(0) == HEADER
    view.verticalScrollBar().setValue(20 * ROW_H)
    assert view.pinned() and view.pin.isVisible()
    assert view.pin.geometry().top() == HEADER
    assert view.lane_y(0) == HEADER  # still under the header
    r = view.block_rect(1)
    assert r is not None and HEADER <= r.top() < HEADER + ROW_H
    assert view.lane_at(HEADER + 5) == 0 and view.lane_at(HEADER + ROW_H + 5) not in (None, 0)
    # Clicking the pinned block selects it (the overlay lets the click through to the grid).
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=r.center().toPoint())
    assert view.selected_id == 1
    assert view.grab().save(str(artifacts / "grid_pinned_unassigned.png"))
    # Revealing a row scrolled under the pinned lane puts it below the band, not under it.
    row5 = m.lane_row_of(105)
    assert row5 is not None
    view.select(105)
    assert view.lane_y(row5) >= HEADER + ROW_H
    view.verticalScrollBar().setValue(0)
    assert not view.pinned() and not view.pin.isVisible()
    assert view.block_at(QPoint(int(r.center().x()), HEADER + ROW_H // 2)) == 1
