"""Booking from the board in a signed-in console: New appointment (Ctrl+N, double-click, context menu), the
conflict check before a drop ("Book anyway" / "Cancel"), the server's 409 when another console raced, and the
drop ghost's words. Against the real backend, with screenshots."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6 import QtWebEngineWidgets  # noqa: F401  (before any QApplication)
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from sqlalchemy import select

from console.booking_menu import BookingMenu, install
from models.tables import AuditLog
from tests.conftest import Api, World
from tests.console_support import Console, token_of
from widgets.drop_ghost import ghost_text, keeps_time
from widgets.schedule_paint import ROW_H

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
TZ = "America/Chicago"
DAY = date(2030, 6, 5)


def at(h: int, m: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, h, m, tzinfo=ZoneInfo(TZ))


def board(qtbot: Any, api: Api, world: World, tmp: Path, size: tuple[int, int] = (1600, 900)
          ) -> tuple[Console, BookingMenu]:
    c = Console(qtbot, api.url, token_of(world.dispatcher), tmp, day=DAY, size=size)
    return c, install(c.window, c.live)


def slot_point(c: Console, tech_id: int | None, when: datetime) -> QPoint:
    view = c.view
    row = c.model.lane_row_for_tech(tech_id) if tech_id is not None else 0
    assert row is not None
    return QPoint(int(view.x_for(when.timestamp())) + 4, view.lane_y(row) + ROW_H // 2)


def block_point(c: Console, appt_id: int) -> QPoint:
    r = c.view.block_rect(appt_id)
    assert r is not None
    return r.center().toPoint()


def on_server(world: World, appt_id: int) -> dict[str, Any]:
    return world.dispatcher.get(f"/api/v1/appointments/{appt_id}").json()


def test_ghost_words_and_the_sideways_snap() -> None:
    nine, half_ten = at(9).timestamp(), at(10, 30).timestamp()
    two_h = 2 * 3600
    assert ghost_text(from_name="Marcus Reed", to_name="Elena Torres", old_start=nine, new_start=nine,
                      duration_s=two_h, tz=TZ) == "Reassign to Elena Torres · keeps 9:00–11:00 AM"
    assert ghost_text(from_name="Marcus Reed", to_name="Marcus Reed", old_start=nine, new_start=half_ten,
                      duration_s=two_h, tz=TZ) == "Reschedule 9:00–11:00 AM → 10:30 AM–12:30 PM"
    assert ghost_text(from_name="Marcus Reed", to_name="Elena Torres", old_start=nine, new_start=half_ten,
                      duration_s=two_h, tz=TZ) == "Move to Elena Torres · 9:00–11:00 AM → 10:30 AM–12:30 PM"
    assert ghost_text(from_name="Marcus Reed", to_name="Unassigned", old_start=nine, new_start=nine,
                      duration_s=two_h, tz=TZ) == "Unassign · keeps 9:00–11:00 AM"
    assert ghost_text(from_name="Marcus Reed", to_name="Marcus Reed", old_start=nine, new_start=nine,
                      duration_s=two_h, tz=TZ).startswith("No change")
    # Sideways: a hand's wobble keeps the time; a clear move in time does not. Same row: a few px move it.
    assert keeps_time(20, 140, lane_changed=True) and keeps_time(-45, 140, lane_changed=True)
    assert not keeps_time(60, 140, lane_changed=True)
    assert keeps_time(23, 40, lane_changed=True) and not keeps_time(25, 40, lane_changed=True)  # at least 24 px
    assert not keeps_time(8, 140, lane_changed=False)


@SQLITE
def test_ctrl_n_books_a_new_customer_onto_the_grid(qtbot: Any, qloop: Any, api: Api, world: World,
                                                   tmp_path: Path, artifacts: Path) -> None:
    c, booking = board(qtbot, api, world, tmp_path, size=(1920, 1080))
    try:
        w = c.window
        schedule = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Schedule")
        assert schedule.actions()[0] is booking.action  # first in the Schedule menu, and on the toolbar
        assert booking.action.shortcut().toString() == "Ctrl+N"
        assert c.view.empty_text.endswith("Double-click an empty slot, or press Ctrl+N, to book a visit.")
        qtbot.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: booking.dialog is not None and booking.dialog.isVisible(), timeout=5000)
        dlg = booking.dialog
        assert dlg is not None
        qtbot.waitUntil(lambda: dlg.map.page_ready, timeout=20000)
        qtbot.keyClicks(dlg.customer.search, "Zoe Park")
        qtbot.waitUntil(lambda: dlg.customer.searches >= 1, timeout=10000)
        dlg.customer.new_btn.click()
        for key, text in (("phone", "512 555 0177"), ("address", "12 Elm St"), ("city", "Austin"),
                          ("state", "TX"), ("zip", "78702")):
            qtbot.keyClicks(dlg.customer.fields[key], text)
        dlg.service.setCurrentText("Water heater flush")
        dlg.date.setDate(dlg.date.date().fromString(DAY.isoformat(), "yyyy-MM-dd"))
        dlg.start.setTime(dlg.start.time().fromString("13:00", "HH:mm"))
        dlg.tech.setCurrentIndex(dlg.tech.findData(world.tech2["id"]))
        assert "No location: no auto-arrival, no ETA" in dlg.location.text()
        w.grab().save(str(artifacts / "board_new_appointment_1920.png"))
        dlg.grab().save(str(artifacts / "board_new_appointment_dialog.png"))
        with qtbot.waitSignal(dlg.created, timeout=15000) as made:
            dlg.save_btn.click()
        appt = made.args[0]
        # On the grid through the live store, in Elena's row, selected, and said in the status bar.
        qtbot.waitUntil(lambda: c.model.appointment(appt["id"]) is not None, timeout=5000)
        assert c.model.lane_row_of(appt["id"]) == c.model.lane_row_for_tech(world.tech2["id"])
        assert c.view.selected_id == appt["id"]
        assert "Booked Zoe Park at 1:00 PM · Elena Torres" in w.statusBar().currentMessage()
        full = on_server(world, appt["id"])
        assert full["customer_name"] == "Zoe Park" and full["window_start"].startswith("2030-06-05T18:00:00")
        assert full["site_lat"] is None  # no pin: allowed, and marked in the dialog
        w.grab().save(str(artifacts / "board_after_booking_1920.png"))
    finally:
        c.close()


@SQLITE
def test_double_click_and_context_menu_prefill_tech_and_time(qtbot: Any, qloop: Any, api: Api, world: World,
                                                             tmp_path: Path) -> None:
    world.schedule(world.cust1["id"], world.tech1["id"], start=at(9), hours=2)
    c, booking = board(qtbot, api, world, tmp_path)
    try:
        view = c.view
        QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                          slot_point(c, world.tech2["id"], at(14, 10)))
        qtbot.waitUntil(lambda: booking.dialog is not None, timeout=5000)
        dlg = booking.dialog
        assert dlg is not None
        assert dlg.tech.currentData() == world.tech2["id"] and dlg.tech.currentText() == "Elena Torres"
        assert dlg.window()[0] == at(14)  # the half hour the click fell in
        assert dlg.date.date().toString("yyyy-MM-dd") == DAY.isoformat()
        dlg.close()
        qtbot.waitUntil(lambda: booking.dialog is None, timeout=5000)
        # Double-clicking a block still opens its card, not a new booking.
        first = next(iter(c.model.lanes[c.model.lane_row_for_tech(world.tech1["id"])].ids))
        QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                          block_point(c, first))
        qtbot.waitUntil(lambda: first in c.window.cards, timeout=5000)
        assert booking.dialog is None
        c.window.cards[first].close()
        # The context menu on an empty slot of the Unassigned row.
        menu = booking.context_menu(slot_point(c, None, at(16, 40)))
        here = next(a for a in menu.actions() if a.objectName() == "new_here")
        assert here.text() == "New appointment here…  (Unassigned, 4:30 PM)"
        here.trigger()
        dlg = booking.dialog
        assert dlg is not None and dlg.tech.currentData() is None and dlg.window()[0] == at(16, 30)
        dlg.close()
        # … and on a block: open it (no booking on top of a visit).
        menu = booking.context_menu(block_point(c, first))
        assert [a.text() for a in menu.actions()][0] == "Open appointment"
        assert not any(a.objectName() == "new_here" for a in menu.actions())
    finally:
        c.close()


@SQLITE
def test_drop_on_a_busy_tech_asks_then_books_anyway(qtbot: Any, qloop: Any, api: Api, world: World,
                                                     tmp_path: Path, artifacts: Path) -> None:
    ann = world.schedule(world.cust1["id"], world.tech1["id"], start=at(9), hours=2)
    bob = world.schedule(world.cust2["id"], world.tech2["id"], start=at(9, 30), hours=2)
    c, booking = board(qtbot, api, world, tmp_path, size=(1920, 1080))
    try:
        view, vp = c.view, c.view.viewport()
        src = block_point(c, bob["id"])
        marcus_y = view.lane_y(c.model.lane_row_for_tech(world.tech1["id"])) + ROW_H // 2
        QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, src)
        QTest.mouseMove(vp, QPoint(src.x() + 3, src.y() - 20))
        QTest.mouseMove(vp, QPoint(src.x() + 14, marcus_y))  # sideways with a wobble: the time stays
        assert view.drag_text() == "Reassign to Marcus Reed · keeps 9:30–11:30 AM · ⚠ overlaps Ann Lee"
        vp.repaint()
        c.window.grab().save(str(artifacts / "board_drop_ghost_1920.png"))
        QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                           QPoint(src.x() + 14, marcus_y))
        qtbot.waitUntil(lambda: booking.checks >= 1, timeout=5000)
        panel = booking.conflicts
        assert panel.isVisible()
        assert panel.title.text() == "Marcus Reed has a conflict at that time. Move Bob Diaz anyway?"
        assert panel.body.text() == "•  Overlaps Ann Lee 9:00–11:00 AM by 1 h 30 min"
        c.window.grab().save(str(artifacts / "board_drop_conflict_1920.png"))
        c.window.resize(1280, 720)
        qtbot.wait(50)
        assert panel.anyway_btn.isVisible() and panel.width() <= c.view.width() + 2
        c.window.grab().save(str(artifacts / "board_drop_conflict_1280.png"))
        c.window.resize(1920, 1080)
        assert on_server(world, bob["id"])["technician_id"] == world.tech2["id"]  # nothing saved yet
        assert panel.anyway_btn.hasFocus()  # the question has the keyboard: Esc cancels, Space books anyway
        qtbot.keyClick(panel.anyway_btn, Qt.Key.Key_Escape)
        assert not panel.isVisible() and "Not moved: Bob Diaz stays" in c.window.statusBar().currentMessage()
        assert on_server(world, bob["id"])["technician_id"] == world.tech2["id"]
        # Again, and this time book anyway: moved, and the override is in the audit log.
        booking.on_move(bob["id"], True, world.tech1["id"], -1.0)
        qtbot.waitUntil(lambda: booking.checks >= 2 and panel.isVisible(), timeout=5000)
        panel.anyway_btn.click()
        qtbot.waitUntil(lambda: on_server(world, bob["id"])["technician_id"] == world.tech1["id"], timeout=5000)
        qtbot.waitUntil(lambda: c.model.lane_row_of(bob["id"]) == c.model.lane_row_for_tech(world.tech1["id"]),
                        timeout=5000)
        moved = on_server(world, bob["id"])
        assert datetime.fromisoformat(moved["window_start"]) == at(9, 30)  # sideways: same start
        with api.server.backend.sessions() as s:
            log = s.scalars(select(AuditLog).where(AuditLog.action == "appointment.conflicts_overridden",
                                                   AuditLog.target_id == bob["id"])).all()
            assert len(log) == 1 and log[0].actor_name == "Dana Dispatcher"
        assert ann["id"] in c.model.appts
    finally:
        c.close()


@SQLITE
def test_a_free_move_saves_at_once_and_a_raced_move_is_asked_again(qtbot: Any, qloop: Any, api: Api,
                                                                    world: World, tmp_path: Path) -> None:
    bob = world.schedule(world.cust2["id"], world.tech2["id"], start=at(9), hours=1)
    c, booking = board(qtbot, api, world, tmp_path)
    try:
        # Free: no question, moved to 2 PM.
        booking.on_move(bob["id"], False, world.tech2["id"], at(14).timestamp())
        qtbot.waitUntil(lambda: on_server(world, bob["id"])["window_start"].startswith("2030-06-05T19:00"),
                        timeout=5000)
        assert not booking.conflicts.isVisible()
        # Another console books Marcus at 2 PM; this console's move was decided before it knew: the server
        # answers 409 and the console shows what it found, with Book anyway.
        world.schedule(world.cust1["id"], world.tech1["id"], start=at(14), hours=1)
        qtbot.waitUntil(lambda: c.model.appointment(bob["id"]) is not None
                        and c.model.appointment(bob["id"]).start == at(14).timestamp(), timeout=5000)
        c.window.request_move(bob["id"], True, world.tech1["id"], -1.0)
        qtbot.waitUntil(booking.conflicts.isVisible, timeout=5000)
        assert booking.conflicts.title.text() == ("Marcus Reed has a conflict at that time. Someone else booked "
                                                  "that time first. Move Bob Diaz anyway?")
        assert "Overlaps Ann Lee 2:00–3:00 PM by 1 h" in booking.conflicts.body.text()
        assert on_server(world, bob["id"])["technician_id"] == world.tech2["id"]
        booking.conflicts.anyway_btn.click()
        qtbot.waitUntil(lambda: on_server(world, bob["id"])["technician_id"] == world.tech1["id"], timeout=5000)
    finally:
        c.close()



@SQLITE
def test_new_appointment_raced_by_another_console_is_asked_again(qtbot: Any, qloop: Any, api: Api, world: World,
                                                                 tmp_path: Path, monkeypatch: Any) -> None:
    c, booking = board(qtbot, api, world, tmp_path)
    try:
        dlg = booking.open_new(world.tech1["id"], at(13))
        qtbot.waitUntil(lambda: dlg.checks >= 1, timeout=5000)
        assert dlg.check_label.text() == "Marcus Reed is free then."
        dlg.customer.choose(world.cust2)
        dlg.service.setCurrentText("Leak check")
        raced: list[dict[str, Any]] = []
        check = c.client.check_appointment

        async def then_another_console_books(*a: Any, **kw: Any) -> Any:
            answer = await check(*a, **kw)
            if not dlg.save_btn.isEnabled() and not raced:  # the save's own check said "free"; then, meanwhile…
                raced.append(world.schedule(world.cust1["id"], world.tech1["id"], start=at(13), hours=1))
            return answer

        monkeypatch.setattr(c.client, "check_appointment", then_another_console_books)
        dlg.save_btn.click()
        qtbot.waitUntil(dlg.conflicts.isVisible, timeout=5000)
        assert raced and dlg.status.text() == "Someone else just booked that time."
        assert "Overlaps Ann Lee 1:00–2:00 PM by 1 h" in dlg.conflicts.body.text()
        day = world.dispatcher.get("/api/v1/appointments", params={"date": DAY.isoformat()}).json()
        assert [a["customer_name"] for a in day] == ["Ann Lee"]  # the raced booking only
        with qtbot.waitSignal(dlg.created, timeout=10000):
            dlg.conflicts.anyway_btn.click()
        day = world.dispatcher.get("/api/v1/appointments", params={"date": DAY.isoformat()}).json()
        assert sorted(a["customer_name"] for a in day) == ["Ann Lee", "Bob Diaz"]
    finally:
        c.close()
