"""Search across dates from the schedule bar: Enter asks the server, shows the number of matches and jumps to the
first (loading its day); Enter again goes to the next; Esc clears."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from console import search_bar
from tests.console_support import Console, local_day, token_of

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_enter_searches_every_date_counts_and_jumps(qtbot: Any, qloop: Any, world: Any, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    soon = world.schedule(world.cust1["id"], world.tech2["id"], start=now + timedelta(days=3))
    past = world.schedule(world.cust1["id"], world.tech1["id"], start=now - timedelta(days=9))
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path, day=local_day(world.appt2["window_start"]))
    try:
        search = search_bar.install(c.window)
        bar = c.window.bar
        bar.search.setFocus()
        qtbot.keyClicks(bar.search, "ann lee")
        assert bar.matches.text() == "Enter: search all dates"
        qtbot.keyClick(bar.search, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: bar.matches.text().startswith("1 of 3 matches"), timeout=5000)
        order = [int(i["id"]) for i in search.items]
        assert set(order) == {world.appt1["id"], soon["id"], past["id"]}
        assert order[0] == world.appt1["id"]  # nearest to now first
        qtbot.waitUntil(lambda: c.window.view.selected_id == order[0], timeout=5000)
        qtbot.keyClick(bar.search, Qt.Key.Key_Return)  # the next match: on another day, loaded
        assert bar.matches.text().startswith("2 of 3 matches")
        second = next(i for i in search.items if int(i["id"]) == order[1])
        qtbot.waitUntil(lambda: c.model.day == local_day(second["window_start"])
                        and c.window.view.selected_id == order[1], timeout=5000)
        qtbot.keyClick(bar.search, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)  # back
        assert bar.matches.text().startswith("1 of 3 matches")
        qtbot.keyClick(bar.search, Qt.Key.Key_Escape)
        assert bar.search.text() == "" and not bar.matches.isVisible()
        qtbot.keyClicks(bar.search, "nobody at all")
        qtbot.keyClick(bar.search, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: bar.matches.text() == "No matches on any date", timeout=5000)
    finally:
        c.close()
