"""The grid selects the right appointment: from a LATE alert (the late visit, not the tech's first), from a crew-map
marker (the tech's current job), and a double-click on an alert opens the late visit's card; alert shortcuts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

from console import alert_keys
from console.wiring import _join
from tests.console_support import Console, local_day, token_of
from tests.portal_helpers import move
from widgets.late_alerts import LateAlertPanel

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _marcus_day(world: Any) -> dict[str, dict[str, Any]]:
    """Marcus: a finished visit first thing, one in progress now, one later; the world's own visit too."""
    now = datetime.now(UTC)
    done = world.schedule(world.cust2["id"], world.tech1["id"], start=now - timedelta(hours=3), hours=1)
    move(world, done["id"], "dispatched", "en_route", "arrived", "in_progress", "complete")
    current = world.schedule(world.cust1["id"], world.tech1["id"], start=now - timedelta(hours=1), hours=2)
    move(world, current["id"], "dispatched", "en_route", "arrived", "in_progress")
    return {"done": done, "current": current}


def test_marker_click_selects_the_technicians_current_job(qtbot: Any, qloop: Any, world: Any,
                                                         tmp_path: Path) -> None:
    jobs = _marcus_day(world)
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path,
                day=local_day(jobs["current"]["window_start"]))
    try:
        w = c.window
        assert w.view.selected_id is None
        w.select_technician(world.tech1["id"])  # what a crew-map marker click calls
        assert w.view.selected_id == jobs["current"]["id"]
        # Elena has nothing under way: her next visit.
        w.view.select(None)
        w.select_technician(world.tech2["id"])
        assert w.view.selected_id == world.appt2["id"]
    finally:
        c.close()


def test_late_alert_selects_and_opens_the_late_appointment(qtbot: Any, qloop: Any, world: Any, tmp_path: Path,
                                                          monkeypatch: Any) -> None:
    jobs = _marcus_day(world)
    late = world.schedule(world.cust2["id"], world.tech1["id"], start=datetime.now(UTC) - timedelta(minutes=31))
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path, day=local_day(late["window_start"]))
    panel = LateAlertPanel(c.client, c.live.store, c.window, tick_ms=200)
    c.window.set_panel("Late alerts", panel)
    _join("Late alerts", panel, c.window, c.live)
    alert_keys.install(c.window, panel)
    panel.start()
    try:
        qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10000)
        c.window.view.select(jobs["done"]["id"])  # the dispatcher was looking at the tech's first job
        # Clicking the alert selects the late visit — and the technician's selection that follows keeps it.
        index = panel.model.index(0, 0)
        rect = panel.view.visualRect(index)
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.waitUntil(lambda: c.window.view.selected_id == late["id"], timeout=3000)
        c.window.select_technician(world.tech1["id"])
        assert c.window.view.selected_id == late["id"]
        # Double-click opens the late appointment's card.
        qtbot.mouseDClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.waitUntil(lambda: late["id"] in c.window.cards, timeout=3000)
        card = c.window.cards[late["id"]]
        qtbot.waitUntil(lambda: card.data.get("id") == late["id"], timeout=5000)
        card.close()
        # Shortcuts: listed under Help → Keyboard shortcuts, and they act.
        acts = c.window.actions_by_name
        assert acts["next_alert"].shortcut() == QKeySequence("F8")
        assert acts["ack_alert"].shortcut() == QKeySequence("Ctrl+Shift+A")
        shown: list[str] = []
        monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, html: shown.append(html))
        c.window.show_shortcuts()  # Help → Keyboard shortcuts
        for name, keys in (("Next alert", "F8"), ("Acknowledge alert", "Ctrl+Shift+A"), ("Clear the search", "Esc"),
                           ("Submit a correction&#x27;s reason", "Ctrl+Enter")):
            assert f"<td>{name}&nbsp;&nbsp;</td><td><b>{keys}</b></td>" in shown[0], name
        panel.view.setCurrentIndex(panel.model.index(-1, 0))
        acts["next_alert"].trigger()
        assert panel.current() is not None and panel.current().appointment_id == late["id"]
        acts["ack_alert"].trigger()
        qtbot.waitUntil(lambda: bool(panel.model.items[0].alert.get("acknowledged_by")), timeout=5000)
        assert panel.model.items[0].alert["acknowledged_by"] == "Dana Dispatcher"
        assert c.window.view.selected_id == late["id"]
    finally:
        panel.shutdown()
        c.close()
