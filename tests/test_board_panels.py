"""Panel defects a dispatcher met: the bio being approved unreadable in the dark theme and stamped in UTC, Enter on a
rejection reason; the booking notification's time and its "Open inbox" button."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from console import theme
from models.timefmt import day_time, parse_iso
from services.api_client import ApiClient
from tests.console_support import loaded_live
from tests.qt_loop import run as run_on_qt
from tests.qt_portal_support import until

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def dark_theme(qapp: Any) -> Iterator[None]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style, pal, qss = app.style().name(), app.palette(), app.styleSheet()
    theme.apply(app, True)
    yield
    app.setStyle(style)
    app.setPalette(pal)
    app.setStyleSheet(qss)


def _dark_share(img: Any) -> float:
    """The share of pixels darker than mid-grey (text on a light card)."""
    dark = total = 0
    for y in range(0, img.height(), 2):
        for x in range(0, img.width(), 2):
            total += 1
            dark += QColor(img.pixel(x, y)).lightness() < 110
    return dark / max(1, total)


def test_bio_in_dark_theme_readable_company_time_enter_rejects(world: Any, qloop: Any, dark_theme: None,
                                                               artifacts: Any) -> None:
    from widgets.bio_approvals import BioApprovals

    world.field1.put("/api/v1/field/bio", json={"bio": "I fix water heaters and love old houses."})

    async def scenario() -> None:
        api = ApiClient(world.api.url)
        await api.login("dana@example.com", "dispatch123")
        live = await loaded_live(api)
        w = BioApprovals(api, live.store)
        w.start()
        w.resize(1000, 520)
        w.show()
        await until(lambda: w.current is not None, what="the pending bio")
        tech = live.store.technicians[w.current]
        when = day_time(parse_iso(tech["bio_submitted_at"]), live.store.time_zone)
        assert w.submitted.text() == f"Submitted {when}" and "UTC" not in w.submitted.text()
        card = w.card.grab()
        geo = w.preview.geometry()
        text = card.copy(geo).toImage()
        assert _dark_share(text) > 0.01, "the bio must be dark text on the white customer card"
        assert QColor(card.toImage().pixel(geo.right() - 2, geo.bottom() - 2)).lightness() > 200
        assert w.grab().save(str(artifacts / "bio_approvals_dark.png"))
        # Enter submits the rejection once a reason is typed (not before).
        w.reason.setFocus()
        w.reason.returnPressed.emit()
        await until(lambda: True)
        assert live.store.technicians[w.current]["bio_status"] == "pending"
        w.reason.setText("Please leave out personal details")
        w.reason.returnPressed.emit()
        await until(lambda: w.model.rowCount() == 0, what="rejected")
        techs = {t["id"]: t for t in await api.technicians()}
        assert techs[world.tech1["id"]]["bio_status"] == "rejected"
        w.close()

    run_on_qt(scenario(), 60)


def test_reschedule_from_an_alert_defaults_to_the_technicians_eta(world: Any, qloop: Any) -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from models.tables import Appointment
    from widgets.alert_dialogs import RescheduleDialog

    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=40)
    late = world.schedule(world.cust1["id"], world.tech1["id"], start=start)
    eta = start + timedelta(minutes=71, seconds=20)  # the tech's ETA: 1 h 11 min 20 s after the window start
    with world.api.server.backend.sessions() as s:
        row = s.get(Appointment, late["id"])
        assert row is not None
        row.eta_at = eta
        s.commit()
    appt = world.dispatcher.get(f"/api/v1/appointments/{late['id']}").json()
    tz = "America/Chicago"
    dlg = RescheduleDialog(appt, tz, lambda s, e: None)  # type: ignore[arg-type,return-value]
    new_start, new_end = dlg.new_window()
    expected = eta.replace(second=0) + timedelta(minutes=1)
    expected += timedelta(minutes=-expected.minute % 5)
    assert new_start == expected.astimezone(ZoneInfo(tz))
    assert new_end - new_start == timedelta(hours=2)  # the window keeps its length
    # Without an ETA the old start stays the default.
    appt["eta_at"] = None
    dlg2 = RescheduleDialog(appt, tz, lambda s, e: None)  # type: ignore[arg-type,return-value]
    assert dlg2.new_window()[0] == start.astimezone(ZoneInfo(tz))
    dlg.deleteLater()
    dlg2.deleteLater()


def test_booking_notice_company_time_not_zero_padded_and_open_inbox(world: Any, qloop: Any, qtbot: Any,
                                                                   tmp_path: Any) -> None:
    import re
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from console.wiring import join_booking_notice
    from tests.booking_support import form, portal_client, set_company
    from tests.console_support import Console, token_of
    from widgets.booking_inbox import BookingInbox

    # The backend's clock at 3:05 AM company time: the notice must say "3:05 AM", not "03:05 AM".
    clock = world.api.server.backend.clock
    tz = ZoneInfo("America/Chicago")
    now = clock.now().astimezone(tz)
    target = now.replace(hour=3, minute=5, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    clock.advance(seconds=(target - now).total_seconds())
    set_company(world, bookable_services=["Leak repair", "AC tune-up"])
    portal = portal_client(world, world.cust1["id"])
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path, size=(1280, 720))
    inbox = BookingInbox(c.client, c.live.store, c.window)
    c.window.set_panel("Booking requests", inbox)
    inbox.start()
    notice = join_booking_notice(c.window, inbox, c.live.store)
    try:
        c.window.docks["Late alerts"].raise_()
        r = portal.post("/portal/request", data=form(world, service="AC tune-up"))
        assert r.status_code == 303, r.text
        rid = int(r.headers["location"].split("/")[-1].split("?")[0])
        qtbot.waitUntil(notice.isVisible, timeout=10000)
        text = notice.text.text()
        assert re.fullmatch(r"New booking request 3:0[5-9] AM: Ann Lee — AC tune-up", text), text
        qtbot.mouseClick(notice.open_btn, Qt.MouseButton.LeftButton)
        assert not notice.isVisible()
        assert inbox.detail.request is not None and int(inbox.detail.request["id"]) == rid
        assert inbox.isVisible()  # the dock was raised over the late alerts
        assert inbox.detail.contact.text().startswith("(512) 555-0199")  # phones formatted for display
    finally:
        inbox.shutdown()
        c.close()
