"""Alerts carry structured fields (technician, customer, window start, the backend's ETA) in every place a client
reads them — GET /api/v1/alerts, acknowledge/resolve answers, alert events — and every ETA comes from the one
configured provider (road factor and speed from the settings, also when the company changes them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from models.timefmt import parse_iso
from services.backend.clock import OffsetClock
from services.backend.embedded import EmbeddedServer
from services.eta import OfflineEta
from tests.conftest import Api, World, add_user, make_settings
from tests.sse import SseReader
from tests.tracking_helpers import offset, post_fixes, wait_for

SITE = (30.2650, -97.7440)  # Ann Lee's house (World)


@pytest.fixture
def slow_roads(db_url: str) -> Iterator[World]:
    """A world whose ETA settings differ from the defaults: twice the straight line, at 20 km/h."""
    srv = EmbeddedServer(make_settings(db_url, eta_road_factor=2.0, eta_urban_speed_kmh=20.0),
                         clock=OffsetClock()).start()
    api = Api(srv)
    try:
        yield World(api)
    finally:
        api.close()
        srv.stop()


def _fix(field, lat_lng: tuple[float, float]) -> None:  # type: ignore[no-untyped-def]
    post_fixes(field, [{"lat": lat_lng[0], "lng": lat_lng[1], "accuracy_m": 8,
                        "recorded_at": datetime.now(UTC).isoformat()}])


def _near(at: str | None, expected: datetime, within_s: float = 5) -> bool:
    return at is not None and abs((parse_iso(at) - expected).total_seconds()) <= within_s


def test_alert_payload_names_people_window_and_eta(slow_roads: World) -> None:
    w = slow_roads
    d = w.dispatcher
    marcus_at = offset(SITE, 0, -3000)  # 3 km south of Ann
    _fix(w.field1, marcus_at)
    seconds = OfflineEta(road_factor=2.0, speed_kmh=20.0).estimate(*marcus_at, *SITE).seconds
    token = d.headers["Authorization"].split()[1]
    reader = SseReader(w.api.url, token)
    try:
        start = datetime.now(UTC) - timedelta(minutes=31)
        appt = w.schedule(w.cust1["id"], w.tech1["id"], start=start)
        _, _, created = reader.wait_for(lambda e: e[1] == "alert.created"
                                        and e[2]["appointment_id"] == appt["id"], timeout=15)
    finally:
        reader.close()
    expected = {"kind": "late", "technician_id": w.tech1["id"], "technician_name": "Marcus Reed",
                "customer_name": "Ann Lee", "open": True}
    assert {k: created[k] for k in expected} == expected
    assert parse_iso(created["window_start"]) == parse_iso(appt["window_start"])
    assert _near(created["eta_at"], parse_iso(created["created_at"]) + timedelta(seconds=seconds))

    listed = [a for a in d.get("/api/v1/alerts").json() if a["id"] == created["id"]][0]
    assert {k: listed[k] for k in expected} == expected
    assert parse_iso(listed["window_start"]) == parse_iso(appt["window_start"])
    assert _near(listed["eta_at"], datetime.now(UTC) + timedelta(seconds=seconds))
    ack = d.post(f"/api/v1/alerts/{created['id']}/acknowledge")
    assert ack.status_code == 200 and ack.json()["technician_name"] == "Marcus Reed"
    assert ack.json()["acknowledged_by"] == "Dana Dispatcher" and ack.json()["eta_at"] is not None

    # On the way: the alert shows the ETA stored on the appointment (the one the customer was texted).
    for step in ("confirm", "on-my-way"):
        assert w.field1.post(f"/api/v1/field/appointments/{appt['id']}/{step}").status_code == 200
    appt_eta = d.get(f"/api/v1/appointments/{appt['id']}").json()["eta_at"]
    assert appt_eta is not None
    listed = [a for a in d.get("/api/v1/alerts").json() if a["id"] == created["id"]][0]
    assert listed["eta_at"] == appt_eta

    done = d.post(f"/api/v1/alerts/{created['id']}/resolve", json={"note": "Marcus called"})
    assert done.status_code == 200
    body = done.json()
    assert body["open"] is False and body["customer_name"] == "Ann Lee" and body["technician_id"] == w.tech1["id"]
    assert body["eta_at"] is None  # a closed alert has nothing to wait for


def test_reassign_candidates_use_the_configured_and_the_company_eta_settings(slow_roads: World) -> None:
    w = slow_roads
    d = w.dispatcher
    elena_at = offset(SITE, 2000, 0)
    _fix(w.field2, elena_at)

    def elena_eta() -> int:
        rows = d.get(f"/api/v1/appointments/{w.appt1['id']}/reassign-candidates").json()
        return [r for r in rows if r["technician_id"] == w.tech2["id"]][0]["eta_seconds"]

    assert elena_eta() == round(OfflineEta(road_factor=2.0, speed_kmh=20.0).estimate(*elena_at, *SITE).seconds)
    add_user(w.api.server, "boss@example.com", "boss-pass-1", "admin", "Mike Boss")
    admin = w.api.login("boss@example.com", "boss-pass-1")
    assert admin.patch("/api/v1/settings", json={"eta_road_factor": 3.0}).status_code == 200
    expected = round(OfflineEta(road_factor=3.0, speed_kmh=20.0).estimate(*elena_at, *SITE).seconds)
    assert wait_for(lambda: elena_eta() == expected, timeout=5)
