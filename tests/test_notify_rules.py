"""Who gets a job's messages (models/notifications.py, sent by services/backend/notify.py): the arrival ping reaches
everyone on an active visit whatever they chose; every other message — scheduled, on the way, LATE — honours the
job's notifications switch and each person's channels."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from models.enums import Channel
from models.notifications import Kind, Person, channel_for, quiet_hours_end
from models.tables import PushSubscription
from services.backend.clock import OffsetClock
from services.backend.embedded import EmbeddedServer
from tests.conftest import Api, World, make_settings
from tests.tracking_helpers import wait_for

ANN = Person("Ann Lee", "+15125550199", "ann@example.com", sms_ok=True, email_ok=True, customer_id=1)
OFF = replace(ANN, sms_ok=False, email_ok=False)


def test_everything_but_the_arrival_ping_honours_preferences() -> None:
    for kind in (Kind.SCHEDULED, Kind.EN_ROUTE, Kind.LATE, Kind.RESCHEDULED, Kind.BOOKING_CONFIRMED):
        assert channel_for(ANN, kind, notifications_on=True) == Channel.SMS
        assert channel_for(ANN, kind, notifications_on=True, prefer=Channel.EMAIL) == Channel.EMAIL
        assert channel_for(replace(ANN, sms_ok=False), kind, notifications_on=True) == Channel.EMAIL
        assert channel_for(replace(ANN, email_ok=False), kind, notifications_on=True,
                           prefer=Channel.EMAIL) == Channel.SMS
        assert channel_for(OFF, kind, notifications_on=True, appointment_status="en_route") is None
        assert channel_for(ANN, kind, notifications_on=False, appointment_status="en_route") is None


def test_the_arrival_ping_cannot_be_switched_off_while_the_visit_is_active() -> None:
    for status in ("arrived", "in_progress", "paused"):
        assert channel_for(OFF, Kind.ARRIVED, notifications_on=False, appointment_status=status) == Channel.SMS
        assert channel_for(replace(OFF, phone=""), Kind.ARRIVED, notifications_on=False,
                           appointment_status=status) == Channel.EMAIL
    # Once the visit is over (cancelled, complete) it is an ordinary message again.
    for status in ("cancelled", "complete"):
        assert channel_for(OFF, Kind.ARRIVED, notifications_on=False, appointment_status=status) is None
        assert channel_for(ANN, Kind.ARRIVED, notifications_on=True, appointment_status=status) == Channel.SMS
    # No address at all: nothing to send to.
    assert channel_for(replace(OFF, phone="", email=""), Kind.ARRIVED, notifications_on=True,
                       appointment_status="arrived") is None


def test_quiet_hours_end() -> None:
    at = datetime(2026, 11, 23, 22, 30)
    assert quiet_hours_end("21:00", "07:00", at) == datetime(2026, 11, 24, 7, 0)
    assert quiet_hours_end("21:00", "07:00", at.replace(hour=6)) == datetime(2026, 11, 23, 7, 0)
    assert quiet_hours_end("21:00", "07:00", at.replace(hour=12)) is None
    assert quiet_hours_end("12:00", "13:00", at.replace(hour=12, minute=15)) == datetime(2026, 11, 23, 13, 0)
    assert quiet_hours_end(None, None, at) is None


# --- over HTTP: what the outbox holds after each step ---


@pytest.fixture
def quiet_outbox(db_url: str) -> Iterator[World]:
    """A world whose outbox is never delivered (so no push falls back to SMS behind the test's back)."""
    srv = EmbeddedServer(make_settings(db_url, outbox_interval_s=3600), clock=OffsetClock()).start()
    api = Api(srv)
    try:
        yield World(api)
    finally:
        api.close()
        srv.stop()


def _outbox(d: httpx.Client, appt_id: int) -> list[dict[str, Any]]:
    r = d.get("/api/v1/notifications", params={"appointment_id": appt_id})
    assert r.status_code == 200, r.text
    return r.json()


def _sent(d: httpx.Client, appt_id: int, kind: str) -> set[tuple[str, str]]:
    return {(n["channel"], n["to"]) for n in _outbox(d, appt_id) if n["kind"] == kind}


def _contact(d: httpx.Client, job_id: int, **fields: Any) -> None:
    r = d.post(f"/api/v1/jobs/{job_id}/contacts", json={"name": "Lou Landlord", **fields})
    assert r.status_code == 201, r.text


def _overdue_visit(w: World, *contacts: dict[str, Any]) -> dict[str, Any]:
    """A job for Ann with its contacts, then Marcus's visit whose window started 31 minutes ago (LATE at once)."""
    d = w.dispatcher
    job = d.post("/api/v1/jobs", json={"customer_id": w.cust1["id"], "service_type": "Leak repair"}).json()
    for c in contacts:
        _contact(d, job["id"], **c)
    start = datetime.now(UTC) - timedelta(minutes=31)
    r = d.post("/api/v1/appointments", json={"job_id": job["id"], "technician_id": w.tech1["id"],
                                             "window_start": start.isoformat(),
                                             "window_end": (start + timedelta(hours=2)).isoformat(),
                                             "allow_conflicts": True})  # over Marcus's visit with Ann
    assert r.status_code == 201, r.text
    return r.json()


def _late_then_arrive(w: World, appt: dict[str, Any]) -> None:
    """Wait for the LATE alert (its messages commit with it), then on the way and arrived."""
    d, a = w.dispatcher, appt["id"]
    wait_for(lambda: [x for x in d.get("/api/v1/alerts").json() if x["appointment_id"] == a], timeout=15)
    for step in ("confirm", "on-my-way"):
        assert w.field1.post(f"/api/v1/field/appointments/{a}/{step}").status_code == 200
    etag = d.get(f"/api/v1/appointments/{a}").headers["ETag"]
    r = d.post(f"/api/v1/appointments/{a}/status", json={"status": "arrived"}, headers={"If-Match": etag})
    assert r.status_code == 200, r.text


def test_switched_off_job_gets_only_the_arrival_ping(quiet_outbox: World) -> None:
    w = quiet_outbox
    d = w.dispatcher
    assert d.patch(f"/api/v1/customers/{w.cust1['id']}", json={"notifications_enabled": False}).status_code == 200
    appt = _overdue_visit(w, {"phone": "+15125550777"})
    _late_then_arrive(w, appt)
    notes = _outbox(d, appt["id"])
    assert {n["kind"] for n in notes} == {"arrived"}, "no scheduled, on-the-way or LATE message while switched off"
    assert _sent(d, appt["id"], "arrived") == {("sms", "+15125550199"), ("sms", "+15125550777")}


def test_each_person_gets_messages_on_their_own_channels(quiet_outbox: World) -> None:
    w = quiet_outbox
    d = w.dispatcher
    assert d.patch(f"/api/v1/customers/{w.cust1['id']}", json={"notify_sms": False}).status_code == 200
    appt = _overdue_visit(w, {"phone": "+15125550777", "email": "lou@example.com", "notify_sms": False,
                              "notify_email": False}, {"name": "Tina Tenant", "email": "tina@example.com"})
    _late_then_arrive(w, appt)
    a = appt["id"]
    everyone_but_lou = {("email", "ann@example.com"), ("email", "tina@example.com")}
    assert _sent(d, a, "appointment_scheduled") == everyone_but_lou
    assert _sent(d, a, "late") == everyone_but_lou
    assert _sent(d, a, "en_route") == everyone_but_lou
    # The arrival ping reaches everyone, by SMS where there is a phone, opted out or not.
    assert _sent(d, a, "arrived") == {("sms", "+15125550199"), ("sms", "+15125550777"),
                                      ("email", "tina@example.com")}


@pytest.mark.parametrize("push_on", [True, False])
def test_the_arrival_ping_goes_to_the_portal_app_when_the_customer_allows_push(quiet_outbox: World,
                                                                              push_on: bool) -> None:
    w = quiet_outbox
    d = w.dispatcher
    a = w.appt1["id"]
    _contact(d, w.appt1["job_id"], phone="+15125550777")
    assert d.patch(f"/api/v1/customers/{w.cust1['id']}", json={"notify_push": push_on}).status_code == 200
    with w.api.server.backend.sessions() as s:
        sub = PushSubscription(customer_id=w.cust1["id"], endpoint="https://push.example/abc", p256dh="k", auth="a",
                               created_at=datetime.now(UTC))
        s.add(sub)
        s.commit()
        sub_id = sub.id
    for step in ("confirm", "on-my-way"):
        assert w.field1.post(f"/api/v1/field/appointments/{a}/{step}").status_code == 200
    etag = d.get(f"/api/v1/appointments/{a}").headers["ETag"]
    assert d.post(f"/api/v1/appointments/{a}/status", json={"status": "arrived"},
                  headers={"If-Match": etag}).status_code == 200
    customer = ("push", str(sub_id)) if push_on else ("sms", "+15125550199")
    assert _sent(d, a, "arrived") == {customer, ("sms", "+15125550777")}
