"""Booking and moving over HTTP, on SQLite and PostgreSQL: 409 schedule_conflict unless allow_conflicts (audited),
two consoles racing for one slot, and editing a job (its open visits follow)."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from models.tables import AuditLog, Event
from tests.conftest import Api, World, add_user

TZ = ZoneInfo("America/Chicago")
DAY = date(2030, 6, 5)


def at(h: int, m: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, h, m, tzinfo=TZ)


def job(world: World, customer_id: int, **fields: Any) -> dict[str, Any]:
    r = world.dispatcher.post("/api/v1/jobs", json={"customer_id": customer_id, "service_type": "Leak repair",
                                                    **fields})
    assert r.status_code == 201, r.text
    return r.json()


def book(client: httpx.Client, job_id: int, tech_id: int | None, start: datetime, hours: float = 1,
         **extra: Any) -> httpx.Response:
    return client.post("/api/v1/appointments", json={
        "job_id": job_id, "technician_id": tech_id, "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=hours)).isoformat(), **extra})


def audits(api: Api, action: str) -> list[AuditLog]:
    with api.server.backend.sessions() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def test_create_and_move_refuse_conflicts_unless_allowed(api: Api, world: World) -> None:
    d = world.dispatcher
    marcus, elena = world.tech1["id"], world.tech2["id"]
    ann = world.schedule(world.cust1["id"], marcus, start=at(9), hours=2)
    j = job(world, world.cust2["id"])
    r = book(d, j["id"], marcus, at(10))
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "schedule_conflict" and "allow_conflicts" in err["message"]
    assert [c["message"] for c in err["details"]["conflicts"]] == ["Overlaps Ann Lee 9:00–11:00 AM by 1 h"]
    assert d.get("/api/v1/appointments", params={"date": DAY.isoformat()}).json() == [
        a for a in d.get("/api/v1/appointments", params={"date": DAY.isoformat()}).json() if a["id"] == ann["id"]]
    assert book(d, j["id"], None, at(10)).status_code == 201  # unassigned never conflicts
    free = book(d, j["id"], elena, at(10))
    assert free.status_code == 201
    forced = book(d, j["id"], marcus, at(10), allow_conflicts=True)
    assert forced.status_code == 201
    log = audits(api, "appointment.conflicts_overridden")
    assert [(a.target_id, a.actor_name) for a in log] == [(forced.json()["id"], "Dana Dispatcher")]
    assert log[0].details["conflicts"][0]["appointment_id"] == ann["id"]
    # Moving Elena's visit onto Marcus's busy morning: refused, then allowed.
    moved = free.json()
    r = d.patch(f"/api/v1/appointments/{moved['id']}", json={"technician_id": marcus},
                headers={"If-Match": f'"{moved["version"]}"'})
    assert r.status_code == 409 and r.json()["error"]["code"] == "schedule_conflict"
    assert len(r.json()["error"]["details"]["conflicts"]) == 2  # Ann Lee and the forced booking
    assert d.get(f"/api/v1/appointments/{moved['id']}").json()["technician_id"] == elena  # nothing saved
    r = d.patch(f"/api/v1/appointments/{moved['id']}", json={"technician_id": marcus, "allow_conflicts": True},
                headers={"If-Match": f'"{moved["version"]}"'})
    assert r.status_code == 200 and r.json()["technician_id"] == marcus
    # Unassigning is never refused; a stale version is still a 412, before any conflict.
    r = d.patch(f"/api/v1/appointments/{moved['id']}", json={"unassign": True},
                headers={"If-Match": f'"{moved["version"]}"'})
    assert r.status_code == 412
    fresh = r.json()["error"]["details"]["current_version"]
    r = d.patch(f"/api/v1/appointments/{moved['id']}", json={"unassign": True}, headers={"If-Match": f'"{fresh}"'})
    assert r.status_code == 200 and r.json()["technician_id"] is None
    bad = d.post("/api/v1/appointments", json={"job_id": j["id"], "window_start": at(9).isoformat(),
                                               "window_end": at(10).isoformat(), "allow_conflicts": "yes"})
    assert bad.status_code == 422


def test_two_consoles_racing_for_one_slot_get_one_booking(api: Api, world: World) -> None:
    add_user(api.server, "sam@example.com", "dispatch456", "dispatcher", "Sam Second")
    other = api.login("sam@example.com", "dispatch456")
    marcus = world.tech1["id"]
    jobs = [job(world, world.cust1["id"]), job(world, world.cust2["id"])]
    for attempt in range(4):
        start = at(8) + timedelta(hours=2 * attempt)
        gate = threading.Barrier(2)
        answers: list[int] = []

        def go(client: httpx.Client, job_id: int, gate: threading.Barrier = gate, answers: list[int] = answers,
               start: datetime = start) -> None:
            gate.wait()
            answers.append(book(client, job_id, marcus, start).status_code)

        threads = [threading.Thread(target=go, args=(c, j["id"])) for c, j in zip((world.dispatcher, other), jobs,
                                                                                     strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(answers) == [201, 409], answers
    day = world.dispatcher.get("/api/v1/appointments", params={"date": DAY.isoformat()}).json()
    mine = sorted((a["window_start"], a["technician_id"]) for a in day)
    assert len(mine) == 4 and len({s for s, _t in mine}) == 4  # one visit per slot, never two


def test_editing_a_job_moves_its_open_visits_pin_and_tells_consoles(api: Api, world: World) -> None:
    d = world.dispatcher
    j = job(world, world.cust1["id"], description="Drips", address="1 Old Rd", lat=30.1, lng=-97.1)
    open_visit = book(d, j["id"], world.tech1["id"], at(9)).json()
    done_visit = book(d, j["id"], None, at(13)).json()
    r = d.post(f"/api/v1/appointments/{done_visit['id']}/status", json={"status": "cancelled", "reason": "dup"},
               headers={"If-Match": f'"{done_visit["version"]}"'})
    assert r.status_code == 200
    cancelled_version = r.json()["version"]
    assert d.get(f"/api/v1/jobs/{j['id']}").json()["description"] == "Drips"
    r = d.patch(f"/api/v1/jobs/{j['id']}", json={"description": "Drips and hums", "service_type": "Faucet repair",
                                                 "address": "2 New St", "lat": 30.2, "lng": -97.2})
    assert r.status_code == 200, r.text
    assert (r.json()["description"], r.json()["address"], r.json()["lat"]) == ("Drips and hums", "2 New St", 30.2)
    visit = d.get(f"/api/v1/appointments/{open_visit['id']}").json()
    assert (visit["site_lat"], visit["site_lng"], visit["service_type"]) == (30.2, -97.2, "Faucet repair")
    assert visit["version"] == open_visit["version"] + 1
    assert d.get(f"/api/v1/appointments/{done_visit['id']}").json()["version"] == cancelled_version
    log = audits(api, "job.changed")
    assert len(log) == 1 and log[0].details["lat"] == [30.1, 30.2] and log[0].actor_name == "Dana Dispatcher"
    with api.server.backend.sessions() as s:
        evs = [e.data for e in s.scalars(select(Event).where(Event.name == "appointment.updated"))]
    assert any(e["id"] == open_visit["id"] and e["version"] == visit["version"] and e.get("details") for e in evs)
    # Clearing the pin: allowed (the visit then has no auto-arrival and no ETA).
    r = d.patch(f"/api/v1/jobs/{j['id']}", json={"lat": None, "lng": None})
    assert r.status_code == 200 and r.json()["lat"] is None
    assert d.get(f"/api/v1/appointments/{open_visit['id']}").json()["site_lat"] is None
    # Nothing changed: nothing audited, no new version.
    before = d.get(f"/api/v1/appointments/{open_visit['id']}").json()["version"]
    assert d.patch(f"/api/v1/jobs/{j['id']}", json={"description": "Drips and hums"}).status_code == 200
    assert d.get(f"/api/v1/appointments/{open_visit['id']}").json()["version"] == before
    assert len(audits(api, "job.changed")) == 2
    # Bad input names the field; an unknown job is a 404; the field app can't edit jobs.
    for body, field in (({"lat": 30.3}, "lat"), ({"service_type": ""}, "service_type"), ({"lat": 91, "lng": 0}, "lat"),
                        ({"colour": "red"}, "colour")):
        r = d.patch(f"/api/v1/jobs/{j['id']}", json=body)
        assert r.status_code == 422 and field in r.text, (body, r.text)
    assert d.patch("/api/v1/jobs/999999", json={"description": "x"}).status_code == 404
    assert world.field1.patch(f"/api/v1/jobs/{j['id']}", json={"description": "x"}).status_code == 403
