"""What customers and technicians are told about reschedules, reassignments and corrections — over real HTTP,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from tests.conftest import World


def _etag(c: httpx.Client, appt_id: int) -> str:
    r = c.get(f"/api/v1/appointments/{appt_id}")
    assert r.status_code == 200, r.text
    return r.headers["ETag"]


def _notes(c: httpx.Client, appt_id: int) -> list[dict[str, Any]]:
    r = c.get("/api/v1/notifications", params={"appointment_id": appt_id})
    assert r.status_code == 200, r.text
    return r.json()


def _kinds(c: httpx.Client, appt_id: int) -> list[str]:
    return sorted(n["kind"] for n in _notes(c, appt_id))


def _patch(c: httpx.Client, appt_id: int, body: dict[str, Any]) -> dict[str, Any]:
    r = c.patch(f"/api/v1/appointments/{appt_id}", json={"allow_conflicts": True, **body},  # over other visits too
                headers={"If-Match": _etag(c, appt_id)})
    assert r.status_code == 200, r.text
    return r.json()


def _status(c: httpx.Client, appt_id: int, status: str, reason: str = "") -> dict[str, Any]:
    r = c.post(f"/api/v1/appointments/{appt_id}/status", json={"status": status, "reason": reason},
               headers={"If-Match": _etag(c, appt_id)})
    assert r.status_code == 200, r.text
    return r.json()


def test_reschedule_texts_the_customer_only_when_asked(world: World) -> None:
    d, a = world.dispatcher, world.appt1
    before = _kinds(d, a["id"])
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    _patch(d, a["id"], {"window_start": start.isoformat(), "notify_customer": False})
    new = [k for k in _kinds(d, a["id"])]
    for k in before:
        new.remove(k)
    assert new == ["tech_rescheduled"]  # the tech hears of the move; the customer, as chosen, does not
    _patch(d, a["id"], {"window_start": (start + timedelta(hours=2)).isoformat(), "notify_customer": True})
    notes = _notes(d, a["id"])
    moved = [n for n in notes if n["kind"] == "appointment_rescheduled"]
    assert len(moved) == 1 and "has moved to" in moved[0]["body"] and moved[0]["customer_id"] == world.cust1["id"]
    assert moved[0]["to"] == world.cust1["phone"]
    # The audit trail says whether the customer was texted.
    from models.tables import AuditLog

    with world.api.server.backend.sessions() as s:
        rows = s.scalars(select(AuditLog.details).where(AuditLog.action == "appointment.changed",
                                                        AuditLog.target_id == a["id"]).order_by(AuditLog.id)).all()
    assert [r["customer_texted"] for r in rows] == [False, True]


def test_company_defaults_decide_when_the_dispatcher_does_not_say(world: World, api: Any) -> None:
    from tests.conftest import add_user

    add_user(api.server, "boss@example.com", "boss12345", "admin", "Boss")
    admin = api.login("boss@example.com", "boss12345")
    r = admin.patch("/api/v1/settings", json={"text_customer_on_reassign": False})
    assert r.status_code == 200 and r.json()["text_customer_on_reassign"] is False, r.text
    assert r.json()["text_customer_on_reschedule"] is True
    company = world.dispatcher.get("/api/v1/company").json()
    assert company["text_customer_on_reassign"] is False and company["text_customer_on_reschedule"] is True
    assert company["portal_url"].endswith("/portal/schedule")
    d, a = world.dispatcher, world.appt1
    _patch(d, a["id"], {"technician_id": world.tech2["id"]})
    assert "technician_changed" not in _kinds(d, a["id"])  # reassign default: off
    _patch(d, a["id"], {"window_start": (datetime.now(UTC) + timedelta(days=2)).isoformat()})
    assert "appointment_rescheduled" in _kinds(d, a["id"])  # reschedule default: on
    bad = admin.patch("/api/v1/settings", json={"text_customer_on_reschedule": "yes"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "text_customer_on_reschedule"
    bad = d.patch(f"/api/v1/appointments/{a['id']}", json={"notify_customer": "sure"},
                  headers={"If-Match": _etag(d, a["id"])})
    assert bad.status_code == 422 and "notify_customer" in bad.text


def test_the_tech_who_loses_a_job_is_told_as_is_the_one_who_gains_it(world: World) -> None:
    d, a = world.dispatcher, world.appt1
    _patch(d, a["id"], {"technician_id": world.tech2["id"], "notify_customer": False})
    notes = _notes(d, a["id"])
    lost = [n for n in notes if n["kind"] == "tech_unassigned"]
    gained = [n for n in notes if n["kind"] == "tech_assigned"]
    assert len(lost) == 1 and lost[0]["technician_id"] == world.tech1["id"] and lost[0]["to"] == "+15125550101"
    assert "removed from your schedule" in lost[0]["body"] and "Elena Torres" in lost[0]["body"]
    assert len(gained) == 1 and gained[0]["technician_id"] == world.tech2["id"]
    assert not [n for n in notes if n["customer_id"] and n["kind"] == "technician_changed"]
    # Unassigning tells the tech who had it; the customer hears nothing about who comes.
    _patch(d, a["id"], {"unassign": True, "notify_customer": True})
    lost = [n for n in _notes(d, a["id"]) if n["kind"] == "tech_unassigned"]
    assert len(lost) == 2 and lost[0]["technician_id"] == world.tech2["id"] and "back with dispatch" in lost[0]["body"]
    assert "technician_changed" not in _kinds(d, a["id"])


def test_a_backward_correction_never_notifies_anyone(world: World) -> None:
    d, a = world.dispatcher, world.appt1
    for st in ("dispatched", "en_route", "arrived", "in_progress"):
        _status(d, a["id"], st)
    sent = _kinds(d, a["id"])
    assert sent.count("arrived") == 1 and sent.count("en_route") == 1
    _status(d, a["id"], "arrived", reason="Pressed Start by mistake")
    _status(d, a["id"], "en_route", reason="Geofence fired early")
    assert _kinds(d, a["id"]) == sent
    _status(d, a["id"], "arrived")  # forward again: the customer already heard, nothing new
    assert _kinds(d, a["id"]) == sent


def test_a_backward_correction_is_silent_even_when_the_message_never_went(world: World) -> None:
    """A visit whose arrival left no record (imported, or seeded): In Progress → Arrived still texts nobody."""
    from models.tables import SideEffectRecord

    d, a = world.dispatcher, world.appt2
    for st in ("dispatched", "in_progress"):  # Start on the doorstep: no arrival ping was ever due
        _status(d, a["id"], st)
    with world.api.server.backend.sessions() as s:
        s.query(SideEffectRecord).filter_by(appointment_id=a["id"]).delete()
        s.commit()
    sent = _kinds(d, a["id"])
    _status(d, a["id"], "arrived", reason="Tech forgot to mark the arrival")
    _status(d, a["id"], "en_route", reason="Still driving")
    assert _kinds(d, a["id"]) == sent


def test_demo_history_has_the_records_of_a_live_day(server: Any, api: Any) -> None:
    """The demo's seeded visits carry their side effects and texts: correcting a live demo visit backwards
    and forwards again re-sends nothing."""
    from models.tables import Appointment, Notification, SideEffectRecord
    from services.backend import demo

    with server.backend.sessions() as s:
        demo.seed(s, server.backend)
        s.commit()
        arrived = s.scalars(select(Appointment).where(Appointment.status.in_(["arrived", "in_progress"]))
                            .order_by(Appointment.id)).all()
        assert arrived
        for appt in arrived[:10]:
            kinds = set(s.scalars(select(SideEffectRecord.kind).where(SideEffectRecord.appointment_id == appt.id)))
            texts = set(s.scalars(select(Notification.kind).where(Notification.appointment_id == appt.id)))
            if appt.status == "arrived" or "arrival_ping" in kinds:
                assert {"arrival_ping", "en_route_sms"} <= kinds and {"arrived", "en_route"} <= texts
        target = next(a.id for a in arrived if a.status == "in_progress")
        # Past visits carry their side effects too.
        done = s.scalar(select(Appointment.id).where(Appointment.status == "complete").order_by(Appointment.id))
        assert {"expire_tracker", "close_time_entry"} <= set(
            s.scalars(select(SideEffectRecord.kind).where(SideEffectRecord.appointment_id == done)))
    d = api.login(demo.DISPATCHER_EMAIL, demo.DEMO_PASSWORD)
    sent = _notes(d, target)
    _status(d, target, "arrived", reason="Pressed Start too early")
    _status(d, target, "in_progress")
    assert _notes(d, target) == sent


def test_what_was_sent_for_an_appointment_is_staff_only(world: World) -> None:
    """The card's history reads the outbox per appointment: technicians (and anyone signed out) can't."""
    d, a = world.dispatcher, world.appt1
    notes = _notes(d, a["id"])
    assert notes and all(n["appointment_id"] == a["id"] for n in notes)
    first = notes[-1]
    assert {"channel", "kind", "to", "body", "status", "last_error", "created_at", "sent_at", "customer_id",
            "technician_id"} <= set(first)
    assert world.field1.get("/api/v1/notifications", params={"appointment_id": a["id"]}).status_code == 403
    assert world.api.anon.get("/api/v1/notifications", params={"appointment_id": a["id"]}).status_code == 401


def test_change_texts_rule_without_a_server() -> None:
    """The rule the backend sends and the console previews: kinds, defaults, which texts."""
    from models import change_messages as cm

    assert cm.change_kinds(True, True) == ["reschedule", "reassign"] and cm.change_kinds(False, False) == []
    assert cm.customer_default(["reassign"], {"text_customer_on_reassign": False}) is False
    assert cm.customer_default(["reschedule", "reassign"], {"text_customer_on_reassign": False}) is True
    assert cm.customer_default(["reschedule"], {}) is True  # not set: text
    co = cm.Company("Mike's Contracting", "(512) 555-0142", "https://x.example/portal/schedule")
    both = cm.customer_texts(co, "Leak repair", "Tue, Dec 1 · 2:00 PM – 4:00 PM", reschedule=True, reassign=True,
                             new_first_name="Elena")
    assert len(both) == 1  # one text for a new time and a new technician
    assert both[0].startswith("Mike's Contracting: your Leak repair appointment has moved to Tue, Dec 1")
    assert " with Elena. " in both[0] and both[0].endswith("Check Status: https://x.example/portal/schedule")
    only = cm.customer_texts(co, "Leak repair", "Tue, Dec 1 · 2:00 PM – 4:00 PM", reschedule=False, reassign=True,
                             new_first_name="Elena")
    assert only == ["Mike's Contracting: Elena will now handle your Leak repair visit "
                    "(Tue, Dec 1 · 2:00 PM – 4:00 PM)."]
    assert cm.customer_texts(co, "Leak repair", "x", reschedule=False, reassign=True, new_first_name=None) == []
    assert cm.tech_removed_text("Leak repair", "Ann Lee", "9 AM", None).endswith("It is back with dispatch.")
