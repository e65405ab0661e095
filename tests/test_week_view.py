"""Week view against the real backend: technicians × days with load and visit counts from the week endpoint, a click
opens that day on the technician; "Fit the whole day" puts every hour in view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from console import board_views
from tests.console_support import Console, local_day, token_of
from widgets.week_model import WeekModel

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_week_view_loads_counts_and_opens_a_day(qtbot: Any, qloop: Any, world: Any, tmp_path: Path,
                                                artifacts: Path) -> None:
    later = world.schedule(world.cust2["id"], world.tech1["id"], start=datetime.now(UTC) + timedelta(days=2, hours=1))
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path, day=local_day(world.appt1["window_start"]),
                size=(1600, 900))
    try:
        week = board_views.install(c.window, c.live)
        act = c.window.actions_by_name["week"]
        act.trigger()
        assert week.isVisible() and not c.window.view.isVisible()
        qtbot.waitUntil(lambda: week.loads >= 1, timeout=5000)
        m = week.model
        assert [r.name for r in m.rows] == ["Unassigned", "Elena Torres", "Marcus Reed"]
        marcus, elena = 2, 1
        assert len(m.days) == 7 and m.days[0].weekday() == 0
        day1 = local_day(world.appt1["window_start"])
        col = m.days.index(day1)
        cell = m.cell(marcus, col)
        assert cell is not None and cell.visits >= 1 and cell.booked_minutes >= 120
        assert "visit" in m.data(m.index(marcus, col))
        # The other visit two days on (may fall in next week's Monday).
        day2 = local_day(later["window_start"])
        if day2 not in m.days:
            qtbot.mouseClick(week.next_btn, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: day2 in week.model.days, timeout=5000)
        col2 = week.model.days.index(day2)
        assert week.model.cell(marcus, col2).visits == 1  # type: ignore[union-attr]
        assert week.model.cell(elena, col2).visits == 0  # type: ignore[union-attr]
        assert c.window.grab().save(str(artifacts / "week_view.png"))
        # Clicking Marcus's cell opens that day on the grid with his visit selected.
        rect = week.table.visualRect(week.model.index(marcus, col2))
        loads = c.loads
        qtbot.mouseClick(week.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert not act.isChecked() and not week.isVisible() and c.window.view.isVisible()
        qtbot.waitUntil(lambda: c.loads > loads and c.model.day == day2, timeout=5000)
        qtbot.waitUntil(lambda: c.window.view.selected_id == later["id"], timeout=3000)
        assert week.model.data(week.model.index(marcus, col2), WeekModel.TechIdRole) == world.tech1["id"]

        # Fit the whole day: no horizontal scrolling, every hour inside the viewport.
        view = c.window.view
        view.resize(700, 400)
        c.window.resize(1000, 700)
        qtbot.wait(50)
        assert view.horizontalScrollBar().maximum() > 0
        c.window.actions_by_name["fit_day"].trigger()
        assert view.horizontalScrollBar().maximum() == 0
        assert view.x_for(view._origin + (view.end_hour - view.start_hour) * 3600) <= view.viewport().width()
        c.window.actions_by_name["fit_day"].trigger()
        assert view.horizontalScrollBar().maximum() > 0
    finally:
        c.close()
