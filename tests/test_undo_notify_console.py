"""The console asks before texting a customer about a move, honours the answer, and undoes its last change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea
from sqlalchemy import select

from models.timefmt import parse_iso
from tests.console_support import Console, local_day, token_of
from widgets.notify_choice import ChangePreview, NotifyChoiceDialog, NotifyPrompt

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


class Scripted:
    """Answers "Text the customer?" as a test says, and keeps what was shown."""

    def __init__(self, *answers: bool | None):
        self.answers = list(answers)
        self.asked: list[ChangePreview] = []

    def ask(self, preview: ChangePreview) -> bool | None:
        self.asked.append(preview)
        return self.answers.pop(0)


def _kinds(world: Any, appt_id: int) -> list[str]:
    return sorted(n["kind"] for n in world.dispatcher.get("/api/v1/notifications",
                                                          params={"appointment_id": appt_id}).json())


def _free_elena(world: Any) -> None:
    """Take Elena's own visit off her row, so moving Marcus's visit onto her is no schedule conflict."""
    a2 = world.appt2
    r = world.dispatcher.patch(f"/api/v1/appointments/{a2['id']}", headers={"If-Match": f'"{a2["version"]}"'},
                               json={"unassign": True})
    assert r.status_code == 200, r.text


def _console(qtbot: Any, world: Any, tmp_path: Path) -> Console:
    return Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path,
                   day=local_day(world.appt1["window_start"]))


def _tech_of(c: Console, appt_id: int) -> Any:
    a = c.model.appointment(appt_id)
    return a.data.get("technician_id") if a is not None else "missing"


@SQLITE
def test_move_asks_honours_the_choice_and_ctrl_z_undoes_it(qtbot: Any, qloop: Any, world: Any, tmp_path: Path,
                                                           artifacts: Path) -> None:
    _free_elena(world)
    c = _console(qtbot, world, tmp_path)
    try:
        aid, t1, t2 = world.appt1["id"], world.tech1["id"], world.tech2["id"]
        prompt = Scripted(False, True)
        c.window.changes.prompt = prompt
        start = parse_iso(world.appt1["window_start"]) + timedelta(minutes=30)
        c.window.request_move(aid, True, t2, start.timestamp())
        qtbot.waitUntil(lambda: _tech_of(c, aid) == t2, timeout=5000)
        shown = prompt.asked[0]
        assert shown.kinds == ["reschedule", "reassign"] and len(shown.customer_texts) == 1  # one text for both
        assert "has moved to" in shown.customer_texts[0] and " with Elena." in shown.customer_texts[0]
        assert "Marcus Reed (loses the job)" in shown.techs_told
        kinds = _kinds(world, aid)
        assert "technician_changed" not in kinds and "appointment_rescheduled" not in kinds  # "Don't text"
        assert {"tech_assigned", "tech_unassigned"} <= set(kinds)
        notice = c.window.changes.notice
        qtbot.waitUntil(notice.isVisible, timeout=2000)
        assert "Undo" in notice.text() and "Elena Torres" in notice.text()
        c.window.statusBar().grab().save(str(artifacts / "undo_status_bar.png"))
        c.window.resize(1280, 720)
        qtbot.wait(100)
        c.window.grab().save(str(artifacts / "undo_window_1280.png"))
        c.window.activateWindow()
        c.window.setFocus()
        qtbot.keyClick(c.window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: _tech_of(c, aid) == t1, timeout=5000)
        back = c.model.appointment(aid).data
        assert parse_iso(back["window_start"]) == parse_iso(world.appt1["window_start"])
        undo_preview = prompt.asked[1]
        assert undo_preview.default is False  # the undo suggests what was chosen for the move
        assert " with Marcus." in undo_preview.customer_texts[0]
        qtbot.waitUntil(lambda: not notice.isVisible(), timeout=3000)  # the undo's own answer has come back
        assert not c.window.changes.action.isEnabled()
        assert "appointment_rescheduled" in _kinds(world, aid)  # this time the dispatcher chose to text
        from models.tables import AuditLog

        with world.api.server.backend.sessions() as s:
            rows = s.scalars(select(AuditLog.details).where(AuditLog.action == "appointment.changed",
                                                            AuditLog.target_id == aid).order_by(AuditLog.id)).all()
        assert [r["customer_texted"] for r in rows] == [False, True]  # the undo is an audited change of its own
    finally:
        c.close()


@SQLITE
def test_cancelled_choice_changes_nothing_and_undo_refuses_to_overwrite(qtbot: Any, qloop: Any, world: Any,
                                                                        tmp_path: Path) -> None:
    _free_elena(world)
    c = _console(qtbot, world, tmp_path)
    try:
        aid, t2 = world.appt1["id"], world.tech2["id"]
        c.window.changes.prompt = Scripted(None, True)
        c.window.request_move(aid, True, t2, -1.0)
        qtbot.wait(300)
        fresh = world.dispatcher.get(f"/api/v1/appointments/{aid}").json()
        assert fresh["version"] == world.appt1["version"] and fresh["technician_id"] == world.tech1["id"]
        c.window.request_move(aid, True, t2, -1.0)
        qtbot.waitUntil(lambda: c.window.changes.last is not None, timeout=5000)
        # Someone else changes it before the undo: the undo is refused (412), not forced.
        etag = world.dispatcher.get(f"/api/v1/appointments/{aid}").headers["ETag"]
        r = world.dispatcher.post(f"/api/v1/appointments/{aid}/status", json={"status": "dispatched"},
                                  headers={"If-Match": etag})
        assert r.status_code == 200
        c.window.changes.prompt = Scripted(False)
        c.window.changes.undo()
        qtbot.waitUntil(lambda: c.window.banner.isVisible(), timeout=5000)
        assert "after you" in c.window.banner.text.text() and "not undone" in c.window.banner.text.text()
        assert world.dispatcher.get(f"/api/v1/appointments/{aid}").json()["technician_id"] == t2
        # Undo lasts a while, not for ever.
        c.window.changes.seconds = 0.2
        c.window.changes.record({"id": aid, "technician_id": t2}, {"id": aid, "technician_id": world.tech1["id"]})
        qtbot.waitUntil(lambda: not c.window.changes.notice.isVisible(), timeout=3000)
        assert not c.window.changes.action.isEnabled()
    finally:
        c.close()


@SQLITE
def test_status_undo_and_no_resent_arrival_on_correction(qtbot: Any, qloop: Any, world: Any, tmp_path: Path) -> None:
    d, aid = world.dispatcher, world.appt1["id"]
    for st in ("dispatched", "en_route", "arrived", "in_progress"):
        etag = d.get(f"/api/v1/appointments/{aid}").headers["ETag"]
        assert d.post(f"/api/v1/appointments/{aid}/status", json={"status": st},
                      headers={"If-Match": etag}).status_code == 200
    sent = _kinds(world, aid)
    assert sent.count("arrived") == 1
    c = _console(qtbot, world, tmp_path)
    try:
        card = c.window.open_card(aid)
        qtbot.waitUntil(lambda: card.data.get("status") == "in_progress", timeout=5000)
        card.prompts.reason = lambda current, target: "Pressed Start before the tech was inside"
        card.request_status("arrived")
        qtbot.waitUntil(lambda: card.data.get("status") == "arrived", timeout=5000)
        assert _kinds(world, aid) == sent  # the correction texted nobody
        notice = c.window.changes.notice
        qtbot.waitUntil(notice.isVisible, timeout=2000)
        assert "In Progress → Arrived" in notice.text()
        notice.linkActivated.emit("undo")  # the status bar's Undo link
        qtbot.waitUntil(lambda: c.model.appointment(aid).status == "in_progress", timeout=5000)
        assert _kinds(world, aid) == sent
        hist = d.get(f"/api/v1/appointments/{aid}").json()["history"]
        assert [h["to_status"] for h in hist][-2:] == ["arrived", "in_progress"]
    finally:
        c.close()


@SQLITE
def test_forward_status_undo_is_a_silent_correction(qtbot: Any, qloop: Any, world: Any, tmp_path: Path) -> None:
    d, aid = world.dispatcher, world.appt1["id"]
    c = _console(qtbot, world, tmp_path)
    try:
        card = c.window.open_card(aid)
        qtbot.waitUntil(lambda: card.data.get("status") == "scheduled", timeout=5000)
        card.request_status("dispatched")
        qtbot.waitUntil(lambda: card.data.get("status") == "dispatched", timeout=5000)
        qtbot.waitUntil(lambda: c.window.changes.action.isEnabled(), timeout=2000)
        before = _kinds(world, aid)
        c.window.changes.action.trigger()  # Schedule → Undo
        qtbot.waitUntil(lambda: c.model.appointment(aid).status == "scheduled", timeout=5000)
        last = d.get(f"/api/v1/appointments/{aid}").json()["history"][-1]
        assert (last["from_status"], last["to_status"], last["reason"]) == ("dispatched", "scheduled",
                                                                             "Undo in the console")
        assert _kinds(world, aid) == before
        # Complete can't be undone: no Undo link, and Ctrl+Z explains.
        card.show_data(d.get(f"/api/v1/appointments/{aid}").json())
        card.request_status("in_progress")
        qtbot.waitUntil(lambda: card.data.get("status") == "in_progress", timeout=5000)
        card.request_status("complete")
        qtbot.waitUntil(lambda: card.data.get("status") == "complete", timeout=5000)
        qtbot.waitUntil(lambda: "Complete" in c.window.changes.notice.text(), timeout=3000)
        assert "Undo" not in c.window.changes.notice.text()
        c.window.changes.action.trigger()
        assert "Complete can&#x27;t be undone" in c.window.banner.text.text() and c.window.changes.last is None
    finally:
        c.close()


@SQLITE
def test_card_save_asks_first_and_settings_hold_the_defaults(qtbot: Any, qloop: Any, world: Any, api: Any,
                                                             tmp_path: Path, artifacts: Path) -> None:
    from tests.conftest import add_user

    add_user(api.server, "boss@example.com", "boss12345", "admin", "Boss")
    admin = api.login("boss@example.com", "boss12345")
    assert admin.patch("/api/v1/settings", json={"text_customer_on_reschedule": False}).status_code == 200
    c = _console(qtbot, world, tmp_path)
    try:
        aid = world.appt1["id"]
        qtbot.waitUntil(lambda: c.live.store.company.get("text_customer_on_reschedule") is False, timeout=5000)
        card = c.window.open_card(aid)
        qtbot.waitUntil(lambda: bool(card.data), timeout=5000)
        prompt = Scripted(None, True)
        card.notify = prompt
        card.time_edit.setTime(card.time_edit.time().addSecs(3600))
        card.save_schedule()
        assert prompt.asked[0].default is False and prompt.asked[0].kinds == ["reschedule"]
        qtbot.wait(200)
        assert world.dispatcher.get(f"/api/v1/appointments/{aid}").json()["version"] == world.appt1["version"]
        card.save_schedule()
        qtbot.waitUntil(lambda: "appointment_rescheduled" in _kinds(world, aid), timeout=5000)
        dlg = NotifyChoiceDialog(prompt.asked[0], c.window)
        dlg.set_customer(world.dispatcher.get(f"/api/v1/customers/{world.cust1['id']}").json()
                         | {"notify_sms": False, "quiet_hours_start": "21:00", "quiet_hours_end": "07:00"})
        assert "by email to ann@example.com" in dlg.reach.text() and "21:00–07:00" in dlg.reach.text()
        dlg.show()
        qtbot.waitExposed(dlg)
        dlg.grab().save(str(artifacts / "notify_choice_dialog.png"))
        assert dlg.quiet_btn.isDefault() and not dlg.text_btn.isDefault()
        dlg.quiet_btn.click()
        assert dlg.choice is False
        settings = c.window.open_settings()
        qtbot.waitUntil(lambda: bool(settings.loaded), timeout=5000)
        assert settings.fields["text_customer_on_reschedule"].isChecked() is False
        assert settings.fields["text_customer_on_reassign"].isChecked() is True
        settings.tabs.setCurrentIndex(2)
        settings.grab().save(str(artifacts / "settings_notifications.png"))
        settings.close()
    finally:
        c.close()


@SQLITE
def test_card_shows_what_was_sent_delivered_or_failed(qtbot: Any, qloop: Any, world: Any, tmp_path: Path,
                                                      artifacts: Path) -> None:
    from models.tables import Notification
    from services.backend import outbox

    d, aid = world.dispatcher, world.appt1["id"]
    for st in ("dispatched", "en_route"):
        etag = d.get(f"/api/v1/appointments/{aid}").headers["ETag"]
        assert d.post(f"/api/v1/appointments/{aid}/status", json={"status": st},
                      headers={"If-Match": etag}).status_code == 200
    backend = world.api.server.backend
    with backend.sessions() as s:  # the outbox has run: the scheduled text went, the "on the way" text failed
        outbox.deliver_due(s, backend.clock.now() + timedelta(seconds=1), {})
        note = s.scalars(select(Notification).where(Notification.appointment_id == aid,
                                                    Notification.kind == "en_route")).one()
        note.status, note.last_error = "failed", "Twilio: the number is unreachable (21614)"
        s.commit()
    c = _console(qtbot, world, tmp_path)
    try:
        card = c.window.open_card(aid)
        qtbot.waitUntil(lambda: len(card.sent.items) >= 2, timeout=5000)
        text = card.sent.label.text()
        assert "Ann Lee (customer)" in text and "On the way" in text
        assert "✗ Failed: Twilio: the number is unreachable (21614)" in text
        assert "✓ Delivered" in text and "Appointment scheduled" in text
        # Another console moves the visit: the card's history shows the technician's text as it is queued.
        etag = d.get(f"/api/v1/appointments/{aid}").headers["ETag"]
        start = parse_iso(world.appt1["window_start"]) + timedelta(hours=1)
        r = d.patch(f"/api/v1/appointments/{aid}", json={"window_start": start.isoformat(), "notify_customer": False},
                    headers={"If-Match": etag})
        assert r.status_code == 200
        qtbot.waitUntil(lambda: "Marcus Reed (technician)" in card.sent.label.text(), timeout=8000)
        assert "Job moved" in card.sent.label.text()
        qtbot.wait(100)  # the layout takes the new text's height
        card.sent.parentWidget().grab().save(str(artifacts / "card_messages_sent.png"))
        card.resize(660, 1000)
        bar = card.findChild(QScrollArea).verticalScrollBar()
        bar.setValue(bar.maximum())
        qtbot.wait(100)
        card.grab().save(str(artifacts / "card_with_messages.png"))
        from PySide6.QtWidgets import QApplication

        from console import theme
        from widgets.notify_choice import preview_change

        app = QApplication.instance()
        theme.apply(app, True)
        try:
            qtbot.wait(50)
            card.grab().save(str(artifacts / "card_with_messages_dark.png"))
            data = c.model.appointment(aid).data
            dlg = NotifyChoiceDialog(preview_change(data, c.live.store.company, c.live.store.technicians,
                                                    tech_id=world.tech2["id"], unassign=False, start=None, end=None,
                                                    tz=c.live.store.time_zone), c.window)
            dlg.show()
            qtbot.waitExposed(dlg)
            dlg.grab().save(str(artifacts / "notify_choice_dialog_dark.png"))
            dlg.reject()
        finally:
            theme.apply(app, False)
    finally:
        c.close()


@SQLITE
def test_panels_changes_ask_through_the_real_dialog_and_are_undoable(qtbot: Any, qloop: Any, world: Any,
                                                                     tmp_path: Path) -> None:
    """Dock panels (LATE alert reassign / reschedule) change appointments through the asking client: the
    dialog opens without blocking, its answer is honoured, Cancel changes nothing, and the change can be undone."""
    from services.api_client import ApiError
    from tests.console_support import run

    _free_elena(world)
    c = _console(qtbot, world, tmp_path)
    try:
        aid, t2 = world.appt1["id"], world.tech2["id"]
        c.window.changes.prompt = NotifyPrompt(c.window, c.client.customer)  # the real question
        api = c.window.changes.api
        task = qloop.create_task(api.patch_appointment(aid, world.appt1["version"], technician_id=t2))
        qtbot.waitUntil(lambda: c.window.changes.prompt.last is not None and c.window.changes.prompt.last.isVisible(),
                        timeout=5000)
        dlg = c.window.changes.prompt.last
        assert "Elena will now handle" in dlg.preview.customer_texts[0] and dlg.text_btn.isDefault()
        qtbot.waitUntil(dlg.reach.isVisible, timeout=5000)  # how Ann's own switches let the text reach her
        assert dlg.reach.text() == "Ann Lee gets it by text to (512) 555-0199."
        qtbot.mouseClick(dlg.quiet_btn, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(task.done, timeout=5000)
        assert task.result()["technician_id"] == t2
        assert "technician_changed" not in _kinds(world, aid) and "tech_unassigned" in _kinds(world, aid)
        assert c.window.changes.last is not None and "Elena Torres" in c.window.changes.notice.text()
        # Cancel: nothing is sent to the server.
        version = task.result()["version"]
        task = qloop.create_task(api.patch_appointment(aid, version, technician_id=world.tech1["id"]))
        qtbot.waitUntil(lambda: c.window.changes.prompt.last is not dlg and c.window.changes.prompt.last is not None
                        and c.window.changes.prompt.last.isVisible(), timeout=5000)
        qtbot.mouseClick(c.window.changes.prompt.last.cancel_btn, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(task.done, timeout=5000)
        assert isinstance(task.exception(), ApiError) and "nothing was changed" in str(task.exception())
        assert world.dispatcher.get(f"/api/v1/appointments/{aid}").json()["version"] == version
        # Other calls go straight through.
        assert run(qtbot, api.appointment(aid))["technician_id"] == t2
    finally:
        c.close()


@SQLITE
def test_demo_correction_in_the_console_resends_no_arrival(qtbot: Any, qloop: Any, server: Any,
                                                           tmp_path: Path) -> None:
    """The demo's live visits were seeded with their texts: In Progress → Arrived on the card, and its undo,
    text nobody (the customer was told of the arrival when it happened)."""
    from console.local_auth import local_dispatcher_token
    from models.tables import Notification
    from services.backend.demo import seed_if_empty

    seed_if_empty(server.backend)
    c = Console(qtbot, server.url, local_dispatcher_token(server.backend), tmp_path)
    try:
        qtbot.waitUntil(lambda: any(a.status == "in_progress" for a in c.model.appts.values()), timeout=10000)
        aid = next(a.id for a in c.model.appts.values() if a.status == "in_progress")

        def sent() -> list[tuple[str, str]]:
            with server.backend.sessions() as s:
                return [(n.kind, n.body) for n in s.scalars(select(Notification).where(
                    Notification.appointment_id == aid).order_by(Notification.id))]

        before = sent()
        assert "arrived" in [k for k, _ in before]  # the seeded arrival was texted, as live
        card = c.window.open_card(aid)
        qtbot.waitUntil(lambda: card.data.get("status") == "in_progress", timeout=5000)
        qtbot.waitUntil(lambda: len(card.sent.items) == len(before), timeout=5000)
        assert "Arrived" in card.sent.label.text()
        card.prompts.reason = lambda current, target: "Started the job before going in"
        card.request_status("arrived")
        qtbot.waitUntil(lambda: card.data.get("status") == "arrived", timeout=5000)
        qtbot.waitUntil(c.window.changes.notice.isVisible, timeout=3000)
        c.window.changes.undo()
        qtbot.waitUntil(lambda: c.model.appointment(aid).status == "in_progress", timeout=5000)
        assert sent() == before
    finally:
        c.close()
