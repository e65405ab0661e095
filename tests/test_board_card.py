"""The appointment card with the board's additions, in a signed-in console against the real backend: book a
follow-up from a paused visit, cancel with a reason, a reassign that meets a conflict, edit the job."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6 import QtWebEngineWidgets  # noqa: F401  (before any QApplication)
from PySide6.QtCore import Qt
from sqlalchemy import select

from console.booking_menu import BookingMenu, install
from models.tables import AuditLog
from tests.conftest import Api, World
from tests.console_support import Console, token_of
from widgets.card_booking import CardBooking
from widgets.follow_up import FollowUpDialog
from widgets.job_editor import NO_LOCATION, JobEditor

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
TZ = "America/Chicago"
DAY = date(2030, 6, 5)


def at(h: int, m: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, h, m, tzinfo=ZoneInfo(TZ))


def board(qtbot: Any, api: Api, world: World, tmp: Path) -> tuple[Console, BookingMenu]:
    c = Console(qtbot, api.url, token_of(world.dispatcher), tmp, day=DAY, size=(1920, 1080))
    return c, install(c.window, c.live)


def open_card(c: Console, qtbot: Any, appt_id: int) -> tuple[Any, CardBooking]:
    card = c.window.open_card(appt_id)
    qtbot.waitUntil(lambda: bool(card.data), timeout=5000)
    extra = card.findChild(CardBooking)
    assert extra is not None
    return card, extra


def set_status(world: World, appt_id: int, status: str, **body: Any) -> None:
    version = world.dispatcher.get(f"/api/v1/appointments/{appt_id}").json()["version"]
    r = world.dispatcher.post(f"/api/v1/appointments/{appt_id}/status", json={"status": status, **body},
                              headers={"If-Match": f'"{version}"'})
    assert r.status_code == 200, r.text


@SQLITE
def test_follow_up_from_a_paused_visit(qtbot: Any, qloop: Any, api: Api, world: World, tmp_path: Path,
                                       artifacts: Path) -> None:
    visit = world.schedule(world.cust1["id"], world.tech1["id"], start=at(9), hours=1.5)
    c, _booking = board(qtbot, api, world, tmp_path)
    try:
        card, extra = open_card(c, qtbot, visit["id"])
        assert not extra.follow_btn.isVisible()  # only a paused visit is followed up
        for status in ("dispatched", "en_route", "arrived", "in_progress"):
            set_status(world, visit["id"], status)
        set_status(world, visit["id"], "paused", customer_message="Part ordered; we'll be back Thursday.")
        card.reload()
        qtbot.waitUntil(lambda: card.data.get("status") == "paused" and extra.follow_btn.isVisible(), timeout=5000)
        card.grab().save(str(artifacts / "card_paused_follow_up.png"))
        extra.follow_btn.click()
        dlg = extra.dialog
        assert isinstance(dlg, FollowUpDialog)
        # Prefilled: the next day at the same time, the same length, the same technician.
        assert dlg.window() == (at(9, day=date(2030, 6, 6)), at(10, 30, day=date(2030, 6, 6)))
        assert dlg.tech.currentText() == "Marcus Reed"
        qtbot.waitUntil(lambda: dlg.checks >= 1, timeout=5000)
        assert dlg.check_label.text() == "Marcus Reed is free then."
        dlg.grab().save(str(artifacts / "follow_up_dialog.png"))
        with qtbot.waitSignal(dlg.created, timeout=10000) as made:
            dlg.ok.click()
        new = made.args[0]
        assert new["job_id"] == visit["job_id"] and new["id"] != visit["id"] and new["status"] == "scheduled"
        assert new["technician_id"] == world.tech1["id"]
        assert "Follow-up booked for Thu, Jun 6 at 9:00 AM with Marcus Reed" in card.notice_text.text()
        jobs = [a for a in world.dispatcher.get("/api/v1/appointments", params={"date": "2030-06-06"}).json()]
        assert [a["id"] for a in jobs] == [new["id"]]
    finally:
        c.close()


@SQLITE
def test_cancel_needs_a_reason_and_keeps_it(qtbot: Any, qloop: Any, api: Api, world: World,
                                            tmp_path: Path) -> None:
    visit = world.schedule(world.cust2["id"], world.tech2["id"], start=at(13), hours=2)
    c, _booking = board(qtbot, api, world, tmp_path)
    try:
        card, _extra = open_card(c, qtbot, visit["id"])
        card.prompts.cancel_reason = lambda who: None  # type: ignore[method-assign]
        qtbot.mouseClick(card.status_buttons["cancelled"], Qt.MouseButton.LeftButton)
        assert "Not cancelled: say why" in card.notice_text.text()
        assert world.dispatcher.get(f"/api/v1/appointments/{visit['id']}").json()["status"] == "scheduled"
        asked: list[str] = []
        card.prompts.cancel_reason = lambda who: asked.append(who) or "Customer sold the house"  # type: ignore
        qtbot.mouseClick(card.status_buttons["cancelled"], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: card.data.get("status") == "cancelled", timeout=5000)
        assert asked == ["Bob Diaz"]
        assert "Customer sold the house" in card.history.text()
        full = world.dispatcher.get(f"/api/v1/appointments/{visit['id']}").json()
        assert full["history"][-1]["reason"] == "Customer sold the house"
        qtbot.waitUntil(lambda: c.model.appointment(visit["id"]).status == "cancelled", timeout=5000)  # type: ignore
    finally:
        c.close()


@SQLITE
def test_card_reassign_meets_a_conflict_then_saves_anyway(qtbot: Any, qloop: Any, api: Api, world: World,
                                                          tmp_path: Path, artifacts: Path) -> None:
    world.schedule(world.cust1["id"], world.tech1["id"], start=at(9), hours=2)
    bob = world.schedule(world.cust2["id"], world.tech2["id"], start=at(10), hours=1)
    c, _booking = board(qtbot, api, world, tmp_path)
    try:
        card, extra = open_card(c, qtbot, bob["id"])
        card.tech_combo.setCurrentIndex(card.tech_combo.findData(world.tech1["id"]))
        card.save_btn.click()
        qtbot.waitUntil(lambda: extra.checks >= 1, timeout=5000)
        assert extra.conflicts.isVisible()
        assert extra.conflicts.title.text() == "Marcus Reed has a conflict at that time. Save anyway?"
        assert extra.conflicts.body.text() == "•  Overlaps Ann Lee 9:00–11:00 AM by 1 h"
        card.grab().save(str(artifacts / "card_reassign_conflict.png"))
        assert world.dispatcher.get(f"/api/v1/appointments/{bob['id']}").json()["technician_id"] == world.tech2["id"]
        extra.conflicts.anyway_btn.click()
        qtbot.waitUntil(lambda: card.data.get("technician_id") == world.tech1["id"], timeout=5000)
        with api.server.backend.sessions() as s:
            assert s.scalars(select(AuditLog).where(AuditLog.action == "appointment.conflicts_overridden",
                                                    AuditLog.target_id == bob["id"])).first() is not None
    finally:
        c.close()


@SQLITE
def test_edit_the_job_and_remove_its_pin(qtbot: Any, qloop: Any, api: Api, world: World, tmp_path: Path,
                                         artifacts: Path) -> None:
    visit = world.schedule(world.cust1["id"], world.tech1["id"], start=at(9), hours=2, lat=30.265, lng=-97.744,
                           address="100 Congress Ave, Austin, TX 78701")
    c, _booking = board(qtbot, api, world, tmp_path)
    try:
        card, extra = open_card(c, qtbot, visit["id"])
        assert extra.location.text() == ""  # pinned: nothing to warn about
        dlg = None

        async def opened() -> Any:
            return await extra.edit_job()

        import asyncio

        fut = asyncio.ensure_future(opened())
        qtbot.waitUntil(fut.done, timeout=5000)
        dlg = fut.result()
        assert isinstance(dlg, JobEditor)
        qtbot.waitUntil(lambda: dlg.map.page_ready, timeout=20000)
        assert dlg.description.toPlainText() == "Kitchen sink drips" and dlg.map.pin == (30.265, -97.744)
        dlg.description.setPlainText("Kitchen sink drips; also the bathroom tap")
        dlg.service.setCurrentText("Faucet repair")
        dlg.clear_pin()
        assert dlg.location.text().startswith(NO_LOCATION)
        assert dlg.changes() == {"description": "Kitchen sink drips; also the bathroom tap",
                                 "service_type": "Faucet repair", "lat": None, "lng": None}
        dlg.grab().save(str(artifacts / "job_editor.png"))
        with qtbot.waitSignal(dlg.saved, timeout=10000):
            dlg.ok.click()
        qtbot.waitUntil(lambda: card.data.get("service_type") == "Faucet repair", timeout=5000)
        assert extra.location.text() == "⚠ " + NO_LOCATION
        full = world.dispatcher.get(f"/api/v1/appointments/{visit['id']}").json()
        assert full["site_lat"] is None and full["description"] == "Kitchen sink drips; also the bathroom tap"
        assert full["version"] == visit["version"] + 1  # an open card elsewhere reloads instead of saving over it
        card.grab().save(str(artifacts / "card_no_location.png"))
        # The grid heard it too (the event bumped the version; the console refetched).
        qtbot.waitUntil(lambda: c.model.appointment(visit["id"]).data.get("service_type") == "Faucet repair",  # type: ignore
                        timeout=5000)
        bad = world.dispatcher.patch(f"/api/v1/jobs/{visit['job_id']}", json={"lat": 30.1})
        assert bad.status_code == 422 and "lat" in bad.text
    finally:
        c.close()


@SQLITE
def test_edit_the_customer_from_the_card(qtbot: Any, qloop: Any, api: Api, world: World, tmp_path: Path,
                                         artifacts: Path) -> None:
    """A customer's new mobile number: the refusal of a bad one is shown under the field; a good one is saved in
    E.164, the card shows it and the grid's copy follows."""
    import asyncio

    from widgets.customer_editor import CustomerEditor

    visit = world.schedule(world.cust1["id"], world.tech1["id"], start=at(9), hours=2)
    c, _booking = board(qtbot, api, world, tmp_path)
    try:
        card, extra = open_card(c, qtbot, visit["id"])
        fut = asyncio.ensure_future(extra.edit_customer())
        qtbot.waitUntil(fut.done, timeout=5000)
        dlg = fut.result()
        assert isinstance(dlg, CustomerEditor)
        assert (dlg.name.text(), dlg.phone.text()) == ("Ann Lee", "(512) 555-0199")  # shown as people type it
        assert dlg.changes() == {}
        dlg.phone.setText("call me")
        dlg.save_btn.click()
        qtbot.waitUntil(lambda: dlg.errors["phone"].isVisible(), timeout=5000)
        assert "not a phone number" in dlg.errors["phone"].text() and dlg.isVisible()
        assert dlg.status.text() == "Not saved: see the field marked in red."
        dlg.phone.setFocus()
        dlg.phone.selectAll()
        qtbot.keyClicks(dlg.phone, "512-555-0142")  # typing over it clears the field's error
        assert not dlg.errors["phone"].isVisibleTo(dlg)
        assert dlg.changes() == {"phone": "512-555-0142"}
        dlg.grab().save(str(artifacts / "customer_editor.png"))
        with qtbot.waitSignal(dlg.saved, timeout=10000):
            dlg.save_btn.click()
        qtbot.waitUntil(lambda: card.data.get("customer_phone") == "+15125550142", timeout=5000)
        assert "(512) 555-0142" in card.customer_box.text() and "Customer saved" in card.notice_text.text()
        assert world.dispatcher.get(f"/api/v1/customers/{world.cust1['id']}").json()["phone"] == "+15125550142"
        qtbot.waitUntil(lambda: c.model.appointment(visit["id"]).data.get("customer_phone")  # type: ignore
                        == "+15125550142", timeout=5000)
    finally:
        c.close()
