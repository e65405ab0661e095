"""Panel defects a dispatcher met: the bio being approved unreadable in the dark theme and stamped in UTC, Enter on a
rejection reason; the booking notification's time and its "Open inbox" button."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
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
