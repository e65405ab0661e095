"""Late-alert panel against a real backend: watchdog LATE → panel within 1 s, acknowledge, reassign, and more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import shiboken6
from PySide6.QtCore import Qt

from console.live import LiveSync
from services.api_client import ApiClient, ApiError
from services.event_stream import LinkState
from tests.console_support import loaded_live
from tests.qt_loop import qt_loop, run, spin_until
from widgets.late_alerts import LateAlertPanel
from widgets.schedule_model import ScheduleModel

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
TZ = "America/Chicago"


def _client(url: str) -> ApiClient:
    qt_loop()
    api = ApiClient(url)
    run(api.login("dana@example.com", "dispatch123"))
    return api


def _closed(dialog) -> bool:  # type: ignore[no-untyped-def]
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def _fix(field, lat: float, lng: float, key: str) -> None:  # type: ignore[no-untyped-def]
    r = field.post("/api/v1/field/positions", headers={"Idempotency-Key": key}, json={"positions": [
        {"lat": lat, "lng": lng, "accuracy_m": 6, "recorded_at": datetime.now(UTC).isoformat()}]})
    assert r.status_code in (200, 202), r.text


def test_watchdog_late_alert_and_actions(qtbot, world, artifacts) -> None:  # type: ignore[no-untyped-def]
    d = world.dispatcher
    _fix(world.field1, 30.40, -97.90, "f1")  # Marcus: far away
    _fix(world.field2, 30.27, -97.745, "f2")  # Elena: next door to Ann
    api = _client(world.api.url)
    start = datetime.now(UTC) - timedelta(minutes=31)
    live = LiveSync(api, ScheduleModel(TZ))
    live.model.day = start.astimezone(ZoneInfo(TZ)).date()
    panel = LateAlertPanel(api, live.store, tick_ms=200)
    qtbot.addWidget(panel)
    panel.resize(520, 900)
    panel.show()
    grid = live.model
    counts: list[int] = []
    panel.countChanged.connect(counts.append)
    notes: list[tuple[str, str]] = []
    panel.notify.connect(lambda t, x: notes.append((t, x)))
    panel.start()
    try:
        run(live.start())
        spin_until(lambda: live.stream.state == LinkState.LIVE and panel.loaded, 5, "event stream live")
        assert panel.model.rowCount() == 0 and panel.empty.isVisible()
        sent = api.requests_sent
        # An appointment whose window started 31 minutes ago: the watchdog (every 0.2 s) raises LATE.
        appt = world.schedule(world.cust1["id"], world.tech1["id"], start=start)
        spin_until(lambda: panel.model.rowCount() == 1 and panel.model.appt(panel.model.items[0]), 10, "LATE row")
        assert api.requests_sent - sent <= 1  # the new appointment, fetched once for every panel
        it = panel.model.items[0]
        assert it.kind == "late" and it.appointment_id == appt["id"]
        assert panel.model.badge(it).startswith("LATE · 31 min") or panel.model.badge(it) == "LATE · 32 min"
        assert "Ann Lee" in panel.model.title(it) and "Congress" in panel.model.address(it)
        details = panel.model.details(it)
        assert "Marcus Reed" in details and "last fix" in details and "ETA unknown" in details
        assert counts[-1] == 1 and notes and "Marcus Reed" in notes[0][1]
        spin_until(lambda: grid.appointment(appt["id"]).late, 2, "LATE on the grid")  # type: ignore[union-attr]
        # Minutes overdue tick on their own (the backend's clock moves 10 minutes; the console's estimate too).
        world.api.server.backend.clock.advance(minutes=10)
        live.store.skew_s -= 600
        assert panel.model.badge(it).startswith("LATE · 4")

        # Selecting the alert selects the appointment and the tech.
        with qtbot.waitSignals([panel.appointmentSelected, panel.technicianSelected], timeout=2000):
            panel.view.setCurrentIndex(panel.model.index(0, 0).siblingAtRow(0))
            panel._on_current(panel.model.index(0, 0), panel.model.index(0, 0))

        # Acknowledge: the backend records who; every console sees it.
        qtbot.mouseClick(panel.ack_btn, Qt.MouseButton.LeftButton)
        spin_until(lambda: it.alert.get("acknowledged_by"), 3, "acknowledged")
        listed = d.get("/api/v1/alerts").json()
        assert listed[0]["acknowledged_by"] == "Dana Dispatcher" and listed[0]["acknowledged_at"]
        assert panel.model.ack_text(it) == "✓ Dana Dispatcher" and not panel.ack_btn.isEnabled()

        # Reassign: the other technicians ranked by who can really be there first (the "who is best" ranking:
        # can be there at, the reason in words, warnings); the top pick selected; If-Match; customer and new
        # tech notified. (The event can announce the acknowledgement before its own answer re-enables the buttons.)
        spin_until(panel.reassign_btn.isEnabled, 3, "the acknowledgement answered")
        qtbot.mouseClick(panel.reassign_btn, Qt.MouseButton.LeftButton)
        dlg = panel.dialog
        spin_until(lambda: dlg.candidates, 3, "candidates")
        assert [c["technician_id"] for c in dlg.candidates] == [world.tech2["id"]]  # not the late tech himself
        first = dlg.candidates[0]
        # Elena is next door but has Bob Diaz booked: she is listed with the warnings in words, not as a top pick.
        assert first["reason"] == "free now, 1 min drive" and not first["top_pick"]
        assert "overlaps Bob Diaz" in [w["message"] for w in first["warnings"]]
        text = dlg.list.model.data(dlg.list.model.index(0))
        assert text.startswith("Elena Torres — can be there at ") and "⚠ " in text and "overlaps Bob Diaz" in text
        assert dlg.list.current() == first
        assert dlg.list.status.text().startswith("No technician can take it without a problem")
        dlg.grab().save(str(artifacts / "late-reassign-who-is-best.png"))
        assert dlg.ok.text() == "Reassign to Elena anyway" and "overlaps Bob Diaz" in dlg.ok.toolTip()
        from sqlalchemy import select

        from models.tables import AuditLog

        def overrides() -> list[tuple[int | None, str]]:
            with world.api.server.backend.sessions() as s:
                rows = s.scalars(select(AuditLog).where(AuditLog.action == "appointment.conflicts_overridden")
                                 .order_by(AuditLog.id))
                return [(r.target_id, r.actor_name) for r in rows]

        before = overrides()
        qtbot.mouseClick(dlg.ok, Qt.MouseButton.LeftButton)
        # "Reassign to Elena anyway" answers the clash it names: saved at once (not asked a second time), and the
        # override is audited.
        spin_until(lambda: _closed(dlg), 3, "reassign dialog closed")
        assert overrides() == [*before, (appt["id"], "Dana Dispatcher")]
        fresh = d.get(f"/api/v1/appointments/{appt['id']}").json()
        assert fresh["technician_id"] == world.tech2["id"] and fresh["updated_by"] == "Dana Dispatcher"
        assert grid.appointment(appt["id"]).technician_id == world.tech2["id"]  # the grid's data
        outbox = d.get("/api/v1/notifications", params={"appointment_id": appt["id"]}).json()
        kinds = {n["kind"] for n in outbox}
        assert {"tech_assigned", "technician_changed"} <= kinds
        spin_until(lambda: panel.model.appt(it)["technician_id"] == world.tech2["id"], 2, "row shows new tech")

        # Someone else changes it first (this console has not heard yet): 412 is explained in words and the
        # row shows the server's version from the answer.
        run(live.stream.stop())
        d.post(f"/api/v1/appointments/{appt['id']}/status", headers={"If-Match": f'"{fresh["version"]}"'},
               json={"status": "dispatched"})
        with pytest.raises(ApiError) as err:
            run(panel.reassign(appt["id"], world.tech1["id"]))
        assert err.value.status == 412
        assert "someone else changed this appointment first" in panel.busy.text.text()
        assert panel.model.appt(it)["version"] == fresh["version"] + 1  # reloaded

        # Message tech through the outbox.
        spin_until(lambda: panel.msg_btn.isEnabled(), 2, "buttons back")
        qtbot.mouseClick(panel.msg_btn, Qt.MouseButton.LeftButton)
        mdlg = panel.dialog
        assert "Ann Lee" in mdlg.text.toPlainText()
        qtbot.mouseClick(mdlg.ok, Qt.MouseButton.LeftButton)
        spin_until(lambda: _closed(mdlg), 3, "message sent")
        outbox = d.get("/api/v1/notifications", params={"appointment_id": appt["id"]}).json()
        assert any(n["kind"] == "dispatcher_message" and n["to"] == "+15125550102" for n in outbox)

        # Call tech: the phone, a tel: link, copy.
        qtbot.mouseClick(panel.call_btn, Qt.MouseButton.LeftButton)
        cdlg = panel.dialog
        cdlg.copy()
        from PySide6.QtGui import QGuiApplication

        assert QGuiApplication.clipboard().text() == "+15125550102"
        cdlg.accept()

        # Reschedule to a new window.
        qtbot.mouseClick(panel.reschedule_btn, Qt.MouseButton.LeftButton)
        rdlg = panel.dialog
        rdlg.hours.setValue(3)
        new_start, new_end = rdlg.new_window()
        assert (new_end - new_start) == timedelta(hours=3)
        qtbot.mouseClick(rdlg.ok, Qt.MouseButton.LeftButton)
        spin_until(rdlg.conflicts.isVisible, 3, "still over Bob Diaz's visit: asked first")
        qtbot.mouseClick(rdlg.conflicts.anyway_btn, Qt.MouseButton.LeftButton)
        spin_until(lambda: _closed(rdlg), 3, "rescheduled")
        moved = d.get(f"/api/v1/appointments/{appt['id']}").json()
        assert datetime.fromisoformat(moved["window_end"]) - datetime.fromisoformat(moved["window_start"]) == \
            timedelta(hours=3)

        # Resolve with a note: the alert leaves the panel; the count follows.
        qtbot.mouseClick(panel.resolve_btn, Qt.MouseButton.LeftButton)
        sdlg = panel.dialog
        sdlg.note.setPlainText("Elena took it; customer informed.")
        qtbot.mouseClick(sdlg.ok, Qt.MouseButton.LeftButton)
        spin_until(lambda: panel.model.rowCount() == 0, 3, "resolved")
        closed = [a for a in d.get("/api/v1/alerts", params={"open": "false"}).json() if a["id"] == it.id][0]
        assert not closed["open"] and closed["resolution_note"] == "Elena took it; customer informed."
        assert counts[-1] == 0 and panel.empty.isVisible()
    finally:
        run(live.stop())
        panel.shutdown()
        run(api.aclose())


def test_errors_are_shown_in_words(qtbot, world) -> None:  # type: ignore[no-untyped-def]
    api = _client(world.api.url)
    live = run(loaded_live(api, tz=TZ))
    panel = LateAlertPanel(api, live.store)
    qtbot.addWidget(panel)
    panel.start()
    try:
        with pytest.raises(ApiError):
            run(panel.acknowledge(999999))
        assert panel.busy.text.text().startswith("Couldn't acknowledge: No alert 999999")
        offline = LiveSync(ApiClient("http://127.0.0.1:9", token="x"), ScheduleModel(TZ))
        failed: list[str] = []
        offline.loadFailed.connect(failed.append)
        assert not run(offline.reload())
        assert failed and "Can't reach the server" in failed[0]
    finally:
        panel.shutdown()
        run(api.aclose())
