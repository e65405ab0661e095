"""Console against a real backend on loopback: live repaint, card statusing, conflicts, offline/online, drag."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from sqlalchemy import select

from models.enums import Actor, Source
from models.tables import Appointment, StatusEvent
from services.backend.appointment_ops import Who, change_status
from services.backend.embedded import EmbeddedServer
from tests.console_support import Console, local_day, run, token_of

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def console(qtbot: Any, qloop: Any, world: Any, tmp_path: Path) -> Iterator[Console]:
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path,
                day=local_day(world.appt1["window_start"]))
    yield c
    c.close()


def test_field_change_repaints_grid_within_one_second(console: Console, world: Any, qtbot: Any) -> None:
    aid = world.appt1["id"]
    assert console.model.appointment(aid) is not None
    console.painted.clear()
    t0 = time.monotonic()
    r = world.field1.post(f"/api/v1/field/appointments/{aid}/confirm")
    assert r.status_code == 200, r.text
    qtbot.waitUntil(lambda: any(i == aid and s == "dispatched" for _, i, s, _ in console.painted), timeout=1000)
    painted_at = next(t for t, i, s, _ in console.painted if i == aid and s == "dispatched")
    assert painted_at - t0 < 1.0
    assert console.model.appointment(aid).status == "dispatched"  # type: ignore[union-attr]
    assert console.window.link_label.text().endswith("Live")


def test_status_through_card_lands_in_audit_as_dispatcher_console(console: Console, world: Any, qtbot: Any) -> None:
    aid = world.appt1["id"]
    console.view.select(aid)
    qtbot.keyClick(console.view, Qt.Key.Key_Return)
    card = console.window.cards[aid]
    qtbot.waitUntil(lambda: bool(card.data) and "dispatched" in card.status_buttons, timeout=5000)
    assert set(card.status_buttons) == set(card.data["allowed_transitions"])
    assert "Gate 4821" in card.notes.text() and "Ann Lee" in card.customer_box.text()
    qtbot.mouseClick(card.status_buttons["dispatched"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.data.get("status") == "dispatched", timeout=5000)
    hist = world.dispatcher.get(f"/api/v1/appointments/{aid}").json()["history"]
    assert hist[-1]["to_status"] == "dispatched"
    assert (hist[-1]["actor"], hist[-1]["source"]) == ("dispatcher", "console")
    assert "Dana Dispatcher (dispatcher) set it to Dispatched in the console" in card.history.text() or \
        "moved it from Scheduled to Dispatched in the console" in card.history.text()
    qtbot.waitUntil(lambda: console.model.appointment(aid).status == "dispatched", timeout=2000)  # type: ignore

    # Backward needs a reason; without one nothing is sent.
    card.prompts.reason = lambda cur, tgt: None  # type: ignore[method-assign]
    qtbot.mouseClick(card.status_buttons["scheduled"], Qt.MouseButton.LeftButton)
    assert card.notice.isVisible() and "needs a reason" in card.notice_text.text()
    card.prompts.reason = lambda cur, tgt: "Tech called in sick"  # type: ignore[method-assign]
    qtbot.mouseClick(card.status_buttons["scheduled"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.data.get("status") == "scheduled", timeout=5000)
    assert "Reason: “Tech called in sick”" in card.history.text()

    # Cancel asks for a reason first; giving none changes nothing.
    card.prompts.cancel_reason = lambda who: None  # type: ignore[method-assign]
    sent = console.client.requests_sent
    qtbot.mouseClick(card.status_buttons["cancelled"], Qt.MouseButton.LeftButton)
    assert console.client.requests_sent == sent  # the click asked first: no request was sent
    assert world.dispatcher.get(f"/api/v1/appointments/{aid}").json()["status"] == "scheduled"


def test_pause_requires_customer_message(console: Console, world: Any, qtbot: Any) -> None:
    aid = world.appt1["id"]
    for step in ("confirm", "start"):
        assert world.field1.post(f"/api/v1/field/appointments/{aid}/{step}").status_code == 200
    card = console.window.open_card(aid)
    qtbot.waitUntil(lambda: "paused" in getattr(card, "status_buttons", {}), timeout=5000)
    card.prompts.customer_message = lambda: "Part ordered; we'll call you."  # type: ignore[method-assign]
    qtbot.mouseClick(card.status_buttons["paused"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.data.get("status") == "paused", timeout=5000)
    assert card.data["customer_message"] == "Part ordered; we'll call you."


def test_conflicting_edit_in_card_shows_who_changed_what_and_retries(console: Console, world: Any,
                                                                     qtbot: Any) -> None:
    aid = world.appt1["id"]
    card = console.window.open_card(aid)
    qtbot.waitUntil(lambda: "in_progress" in getattr(card, "status_buttons", {}), timeout=5000)
    assert world.field1.post(f"/api/v1/field/appointments/{aid}/confirm").status_code == 200
    qtbot.mouseClick(card.status_buttons["in_progress"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.notice.isVisible() and card.retry_btn.isVisible(), timeout=5000)
    text = card.notice_text.text()
    assert "Marcus Reed" in text and "Scheduled → Dispatched" in text and "not applied" in text
    assert card.data["status"] == "dispatched"  # reloaded
    qtbot.mouseClick(card.retry_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: card.data.get("status") == "in_progress", timeout=5000)
    assert world.dispatcher.get(f"/api/v1/appointments/{aid}").json()["status"] == "in_progress"


def _drag(qtbot: Any, view: Any, start: QPoint, end: QPoint) -> None:
    vp = view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=start)
    steps = 6
    for k in range(1, steps + 1):
        p = start + (end - start) * (k / steps)
        qtbot.mouseMove(vp, QPoint(int(p.x()), int(p.y())))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=end)


def _free_elena(console: Console, world: Any, qtbot: Any) -> None:
    """Unassign Elena's own visit, so dropping Marcus's visit on her row is no schedule conflict."""
    a2 = world.dispatcher.get(f"/api/v1/appointments/{world.appt2['id']}").json()
    r = world.dispatcher.patch(f"/api/v1/appointments/{a2['id']}", json={"unassign": True},
                               headers={"If-Match": f'"{a2["version"]}"'})
    assert r.status_code == 200, r.text
    qtbot.waitUntil(lambda: console.model.lane_row_of(a2["id"]) == 0, timeout=5000)


def test_drag_and_drop_reassigns_and_reschedules(console: Console, world: Any, qtbot: Any) -> None:
    aid = world.appt1["id"]
    _free_elena(console, world, qtbot)
    view = console.view
    rect = view.block_rect(aid)
    assert rect is not None
    target_row = console.model.lane_row_for_tech(world.tech2["id"])
    start = rect.center().toPoint()
    end = QPoint(start.x(), view.lane_y(target_row) + 20)
    _drag(qtbot, view, start, end)
    qtbot.waitUntil(lambda: console.model.lane_row_of(aid) == target_row, timeout=5000)
    server = world.dispatcher.get(f"/api/v1/appointments/{aid}").json()
    assert server["technician_id"] == world.tech2["id"]
    assert server["window_start"] == world.appt1["window_start"].replace("+00:00", "Z") or \
        server["window_start"][:16] == world.appt1["window_start"][:16]
    # Now along the time axis: +1 h, snapped to 15 minutes.
    rect = view.block_rect(aid)
    assert rect is not None
    start = rect.center().toPoint()
    _drag(qtbot, view, start, QPoint(int(start.x() + view.pph), start.y()))
    qtbot.waitUntil(lambda: world.dispatcher.get(f"/api/v1/appointments/{aid}").json()["version"]
                    == server["version"] + 1, timeout=5000)
    moved = world.dispatcher.get(f"/api/v1/appointments/{aid}").json()
    from datetime import datetime

    new_start = datetime.fromisoformat(moved["window_start"])
    assert new_start.minute % 15 == 0 and new_start.second == 0
    old_start = datetime.fromisoformat(server["window_start"])
    assert 45 * 60 <= (new_start - old_start).total_seconds() <= 75 * 60


def test_drag_with_stale_version_shows_conflict_and_retry(console: Console, world: Any, qtbot: Any) -> None:
    aid = world.appt1["id"]
    _free_elena(console, world, qtbot)
    run(qtbot, console.live.stream.stop())  # the console misses the next change
    assert world.field1.post(f"/api/v1/field/appointments/{aid}/confirm").status_code == 200
    target = console.model.lane_row_for_tech(world.tech2["id"])
    rect = console.view.block_rect(aid)
    start = rect.center().toPoint()  # type: ignore[union-attr]
    _drag(qtbot, console.view, start, QPoint(start.x(), console.view.lane_y(target) + 20))
    banner = console.window.banner
    qtbot.waitUntil(lambda: banner.isVisible() and banner.retry.isVisible(), timeout=5000)
    assert "Marcus Reed" in banner.text.text() and "Scheduled → Dispatched" in banner.text.text()
    assert console.model.appointment(aid).status == "dispatched"  # type: ignore[union-attr]
    qtbot.mouseClick(banner.retry, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: world.dispatcher.get(f"/api/v1/appointments/{aid}").json()["technician_id"]
                    == world.tech2["id"], timeout=5000)


def test_backend_restart_shows_offline_then_live_and_loses_no_event(console: Console, world: Any, server: Any,
                                                                     qtbot: Any) -> None:
    a1, a2 = world.appt1["id"], world.appt2["id"]
    assert world.field1.post(f"/api/v1/field/appointments/{a1}/confirm").status_code == 200
    qtbot.waitUntil(lambda: console.live.stream.last_event_id is not None
                    and console.model.appointment(a1).status == "dispatched", timeout=3000)  # type: ignore
    loads = console.loads
    server.stop()
    qtbot.waitUntil(lambda: console.window.link_state == "offline", timeout=8000)
    assert "Offline since" in console.window.link_label.text()
    assert "may be stale" in console.window.link_label.text()
    # While the backend is down, another replica records a change (straight into the shared database).
    ctx = server.backend
    with ctx.sessions() as s:
        appt = s.scalar(select(Appointment).where(Appointment.id == a2))
        change_status(s, ctx, appt, "dispatched", Who(Actor.TECHNICIAN, None, "Elena Torres"), Source.FIELD_APP)
        s.commit()
    again = EmbeddedServer(server.settings, clock=ctx.clock, port=server.port).start()
    try:
        qtbot.waitUntil(lambda: console.window.link_state == "live", timeout=8000)
        qtbot.waitUntil(lambda: console.model.appointment(a2).status == "dispatched", timeout=3000)  # type: ignore
        assert console.loads == loads  # replayed from Last-Event-ID, not reloaded
        assert console.live.stream.connections >= 2
        assert console.window.link_label.text().endswith("Live")
        with again.backend.sessions() as s:
            assert s.scalar(select(StatusEvent.actor_name).where(StatusEvent.appointment_id == a2)) == "Elena Torres"
    finally:
        run(qtbot, console.live.stream.stop())
        again.stop()
