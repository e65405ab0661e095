"""Availability on the board, in a signed-in console against the real backend: off-hours and time off shaded on
a technician's row, booked hours / capacity in the row header (following moves at once), the editor opened from
the row header's menu (admins change, dispatchers read), and every console following a change."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6 import QtWebEngineWidgets  # noqa: F401  (before any QApplication)
from PySide6.QtCore import QPoint, QTime
from PySide6.QtWidgets import QDialog

from console.availability_menu import AvailabilityMenu
from console.availability_menu import install as install_availability
from console.booking_menu import install as install_booking
from tests.conftest import Api, World, add_user
from tests.console_support import Console, token_of
from widgets.availability_layer import load_text
from widgets.schedule_paint import GUTTER, ROW_H

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
TZ = "America/Chicago"
DAY = date(2030, 6, 5)  # a Wednesday
WEEKDAYS_8_TO_5 = {"days": [{"weekday": d, "start": "08:00", "end": "17:00"} for d in range(5)]}


def at(h: int, m: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, h, m, tzinfo=ZoneInfo(TZ))


def row_text(c: Console, tech_id: int) -> str:
    row = c.model.lane_row_for_tech(tech_id)
    assert row is not None
    lane = c.model.lanes[row]
    return load_text(c.view.availability.get(tech_id), [c.model.appts[i] for i in lane.ids])


def pixel(c: Console, tech_id: int, when: datetime) -> tuple[int, int, int]:
    view = c.view
    y = view.lane_y(c.model.lane_row_for_tech(tech_id)) + ROW_H - 6
    img = view.viewport().grab().toImage()
    col = img.pixelColor(QPoint(int(view.x_for(when.timestamp())) + 3, y))
    return col.red(), col.green(), col.blue()


@SQLITE
def test_shading_capacity_and_the_editor(qtbot: Any, qloop: Any, api: Api, world: World, tmp_path: Path,
                                         artifacts: Path) -> None:
    add_user(api.server, "boss@example.com", "admin-pass-1", "admin", "Mike Boss")
    admin = api.login("boss@example.com", "admin-pass-1")
    marcus, elena = world.tech1["id"], world.tech2["id"]
    assert admin.put(f"/api/v1/technicians/{marcus}/hours", json=WEEKDAYS_8_TO_5).status_code == 200
    assert admin.post(f"/api/v1/technicians/{marcus}/time-off", json={
        "starts_at": at(12).isoformat(), "ends_at": at(13).isoformat(), "reason": "dentist"}).status_code == 201
    visit = world.schedule(world.cust1["id"], marcus, start=at(9), hours=2)
    world.schedule(world.cust2["id"], elena, start=at(9), hours=1.5)
    c = Console(qtbot, api.url, token_of(admin), tmp_path, day=DAY, size=(1920, 1080))  # role: "dispatcher"
    try:
        install_booking(c.window, c.live)
        hours: AvailabilityMenu = install_availability(c.window, c.live)
        qtbot.waitUntil(lambda: hours.loads >= 1, timeout=5000)
        # Marcus: 8–5 minus the dentist = 8 h; Elena has no hours set (always available, no capacity).
        assert row_text(c, marcus) == "2 / 8 h" and row_text(c, elena) == "1.5 h booked"
        spans = c.view.availability[marcus].unavailable
        assert [(s, e, r) for s, e, r in spans if r == "dentist"] == [(at(12).timestamp(), at(13).timestamp(),
                                                                      "dentist")]
        # Shaded where Marcus is off (7:30 AM, noon), not while he works (3 PM), never on Elena's row.
        assert pixel(c, marcus, at(7, 30)) != pixel(c, marcus, at(15)) == pixel(c, marcus, at(14, 30))
        assert pixel(c, marcus, at(12, 15)) == pixel(c, marcus, at(7, 30))
        assert pixel(c, elena, at(7, 30)) == pixel(c, elena, at(15))
        y_marcus = c.view.lane_y(c.model.lane_row_for_tech(marcus)) + ROW_H // 2
        assert hours.tooltip_at(QPoint(int(c.view.x_for(at(12, 30).timestamp())), y_marcus)) == "Marcus is off: dentist"
        assert hours.tooltip_at(QPoint(int(c.view.x_for(at(18).timestamp())), y_marcus)) == \
            "Outside Marcus's working hours"
        assert hours.tooltip_at(QPoint(int(c.view.x_for(at(15).timestamp())), y_marcus)) is None
        assert hours.tooltip_at(QPoint(30, y_marcus)) == ("Marcus Reed: 2 / 8 h — 8 h available. Right-click for "
                                                         "working hours and time off.")
        c.window.grab().save(str(artifacts / "board_availability_1920.png"))
        c.window.toggle_theme()
        qtbot.wait(50)
        c.window.grab().save(str(artifacts / "board_availability_dark_1920.png"))
        c.window.toggle_theme()
        c.window.resize(1280, 720)
        qtbot.wait(50)
        c.window.grab().save(str(artifacts / "board_availability_1280.png"))
        c.window.resize(1920, 1080)
        # A move changes the header at once (booked from the grid's own blocks).
        c.window.request_move(visit["id"], False, marcus, at(14).timestamp())
        qtbot.waitUntil(lambda: c.model.appointment(visit["id"]).start == at(14).timestamp(),  # type: ignore
                        timeout=5000)
        assert row_text(c, marcus) == "2 / 8 h"
        # The row header's menu opens the editor; a dispatcher reads only.
        y = c.view.lane_y(c.model.lane_row_for_tech(marcus)) + ROW_H // 2
        assert hours.header_menu(QPoint(GUTTER + 40, y)) is None  # only on the row header
        menu = hours.header_menu(QPoint(40, y))
        assert menu is not None
        act = next(a for a in menu.actions() if a.objectName() == "hours_for_row")
        assert act.text() == "Show Marcus Reed's working hours and time off…"
        assert [a.text() for a in menu.actions()][1:] == ["Edit Marcus Reed's details and sign-in…",
                                                          "Pair phone…"]  # the row header's own entry stays
        details = next(a for a in menu.actions() if a.objectName() == "details_for_row")
        details.trigger()  # the team list opens with Marcus's form
        team = next(w for w in c.window.findChildren(QDialog) if w.windowTitle() == "Technicians")
        assert team.form is not None and team.form.name.text() == "Marcus Reed"
        team.form.reject()
        team.hours_btn.click()  # the team list's Working hours… opens the same editor for the selected technician
        assert hours.editor is not None and hours.editor.tech["id"] == marcus
        hours.editor.close()
        team.close()
        act.trigger()
        ed = hours.editor
        assert ed is not None and ed.banner.isVisible()  # read-only for dispatchers
        ed.close()
        # As an administrator (the server checks the role too): Marcus's Wednesday becomes 7:00 AM–3:00 PM.
        c.window.role = "admin"
        ed = hours.open_editor(marcus)
        assert ed is not None and not ed.banner.isVisible()
        qtbot.waitUntil(lambda: ed.days[2][0].isChecked(), timeout=5000)
        ed.days[2][1].setTime(QTime(7, 0))
        ed.days[2][2].setTime(QTime(15, 0))
        before = hours.loads
        ed.tasks.spawn(ed.save_hours())
        qtbot.waitUntil(lambda: hours.loads > before and row_text(c, marcus) == "2 / 7 h", timeout=5000)
        assert pixel(c, marcus, at(7, 30)) == pixel(c, marcus, at(10))  # now a working hour
        ed.close()
        # Another administrator adds time off elsewhere: every console hears it and reshades.
        before = hours.loads
        admin.post(f"/api/v1/technicians/{elena}/time-off", json={
            "starts_at": at(15).isoformat(), "ends_at": at(17).isoformat(), "reason": "school pickup"})
        qtbot.waitUntil(lambda: hours.loads > before, timeout=5000)
        assert [r for _s, _e, r in c.view.availability[elena].unavailable] == ["school pickup"]
        assert pixel(c, elena, at(16)) != pixel(c, elena, at(10))
        c.window.grab().save(str(artifacts / "board_availability_after_1920.png"))
    finally:
        c.close()
