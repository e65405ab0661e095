"""Working hours, time off, the day's availability, the week's load and the conflict check, over HTTP."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import event, select

from models.tables import AuditLog, Event
from tests.conftest import Api, World, add_user

TZ = ZoneInfo("America/Chicago")
DAY = date(2030, 6, 5)  # a Wednesday, far from the fixture's own appointments
WEEKDAYS_8_TO_5 = {"days": [{"weekday": d, "start": "08:00", "end": "17:00"} for d in range(5)]}


def at(h: int, m: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, h, m, tzinfo=TZ)


@pytest.fixture
def admin(api: Api, world: World) -> httpx.Client:
    add_user(api.server, "boss@example.com", "admin-pass-1", "admin", "Mike Boss")
    return api.login("boss@example.com", "admin-pass-1")


def audits(api: Api, action: str) -> list[AuditLog]:
    with api.server.backend.sessions() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def events(api: Api, name: str) -> list[dict[str, Any]]:
    with api.server.backend.sessions() as s:
        return [e.data for e in s.scalars(select(Event).where(Event.name == name).order_by(Event.id))]


def check(client: httpx.Client, tech_id: int | None, start: datetime, end: datetime, **extra: Any) -> httpx.Response:
    return client.post("/api/v1/appointments/check", json={
        "technician_id": tech_id, "window_start": start.isoformat(), "window_end": end.isoformat(), **extra})


def test_admin_sets_working_hours_dispatchers_read_them(api: Api, world: World, admin: httpx.Client) -> None:
    tech = world.tech1["id"]
    d = world.dispatcher
    got = d.get(f"/api/v1/technicians/{tech}/hours").json()
    assert got["set"] is False and got["time_zone"] == "America/Chicago"
    assert [x["name"] for x in got["days"]][:2] == ["Monday", "Tuesday"] and got["days"][0]["start"] is None
    refused = d.put(f"/api/v1/technicians/{tech}/hours", json=WEEKDAYS_8_TO_5)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    saved = admin.put(f"/api/v1/technicians/{tech}/hours", json=WEEKDAYS_8_TO_5)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["set"] is True and body["days"][4] == {"weekday": 4, "name": "Friday", "start": "08:00",
                                                       "end": "17:00"}
    assert body["days"][5]["start"] is None  # Saturday off
    assert d.get(f"/api/v1/technicians/{tech}/hours").json() == body
    log = audits(api, "technician.hours_changed")
    assert len(log) == 1 and log[0].actor_name == "Mike Boss"
    assert log[0].details["before"] is None and log[0].details["after"]["Monday"] == "08:00–17:00"
    assert {"id": tech, "availability": True} in events(api, "technician.updated")
    cleared = admin.delete(f"/api/v1/technicians/{tech}/hours").json()
    assert cleared["set"] is False and d.get(f"/api/v1/technicians/{tech}/hours").json()["set"] is False


@pytest.mark.parametrize("days, field", [
    ([{"weekday": 0, "start": "17:00", "end": "08:00"}], "days.0"),
    ([{"weekday": 0, "start": "8am", "end": "17:00"}], "days.0"),
    ([{"weekday": 7, "start": "08:00", "end": "17:00"}], "days.0.weekday"),
    ([{"weekday": 1, "start": "08:00", "end": "12:00"}, {"weekday": 1, "start": "13:00", "end": "17:00"}], "days"),
])
def test_bad_hours_are_refused_naming_the_field(world: World, admin: httpx.Client, days: Any, field: str) -> None:
    r = admin.put(f"/api/v1/technicians/{world.tech1['id']}/hours", json={"days": days})
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == field
    assert admin.put("/api/v1/technicians/999/hours", json={"days": []}).status_code == 404


def test_time_off_is_added_listed_and_removed_by_admins(api: Api, world: World, admin: httpx.Client) -> None:
    tech, other = world.tech1["id"], world.tech2["id"]
    d = world.dispatcher
    body = {"starts_at": at(13).isoformat(), "ends_at": at(15).isoformat(), "reason": "dentist"}
    assert d.post(f"/api/v1/technicians/{tech}/time-off", json=body).status_code == 403
    made = admin.post(f"/api/v1/technicians/{tech}/time-off", json=body)
    assert made.status_code == 201, made.text
    off = made.json()
    assert off["reason"] == "dentist" and off["technician_id"] == tech
    assert [o["id"] for o in d.get(f"/api/v1/technicians/{tech}/time-off").json()] == [off["id"]]
    assert d.get(f"/api/v1/technicians/{other}/time-off").json() == []
    backwards = admin.post(f"/api/v1/technicians/{tech}/time-off", json={**body, "ends_at": at(12).isoformat()})
    assert backwards.status_code == 422 and "ends_at" in backwards.json()["error"]["message"]
    assert admin.delete(f"/api/v1/technicians/{other}/time-off/{off['id']}").status_code == 404
    assert admin.delete(f"/api/v1/technicians/{tech}/time-off/{off['id']}").status_code == 204
    assert d.get(f"/api/v1/technicians/{tech}/time-off").json() == []
    assert [a.action for a in audits(api, "technician.time_off_added") + audits(api, "technician.time_off_removed")] \
        == ["technician.time_off_added", "technician.time_off_removed"]


def test_check_lists_every_conflict_in_a_dispatchers_words(api: Api, world: World, admin: httpx.Client) -> None:
    tech = world.tech1["id"]
    d = world.dispatcher
    admin.put(f"/api/v1/technicians/{tech}/hours", json=WEEKDAYS_8_TO_5)
    barbara = d.post("/api/v1/customers", json={"name": "Barbara Miller", "phone": "512-555-0142"}).json()
    booked = world.schedule(barbara["id"], tech, start=at(14), hours=2)
    admin.post(f"/api/v1/technicians/{tech}/time-off", json={
        "starts_at": at(17, 0, DAY + timedelta(days=1)).isoformat(),
        "ends_at": at(8, 0, DAY + timedelta(days=6)).isoformat(), "reason": "vacation"})
    r = check(d, tech, at(15, 15), at(16, 15))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["ok"] is False
    assert [c["message"] for c in out["conflicts"]] == ["Overlaps Barbara Miller 2:00–4:00 PM by 45 min"]
    assert out["conflicts"][0]["appointment_id"] == booked["id"] and out["conflicts"][0]["minutes"] == 45
    late = check(d, tech, at(15, 30), at(17, 30)).json()["conflicts"]
    assert [c["kind"] for c in late] == ["overlap", "outside_hours"]
    assert late[1]["message"] == "Outside Marcus's hours (ends 5:00 PM)"
    friday = DAY + timedelta(days=2)
    assert check(d, tech, at(9, day=friday), at(10, day=friday)).json()["conflicts"][0]["message"] == \
        "Marcus is off: vacation"
    # Moving the booked visit itself, assigning nobody, or another tech: no conflict.
    assert check(d, tech, at(15), at(16), appointment_id=booked["id"]).json()["ok"] is True
    assert check(d, None, at(15), at(16)).json() == {"ok": True, "technician_id": None, "conflicts": []}
    assert check(d, world.tech2["id"], at(15), at(16)).json()["ok"] is True
    # A cancelled visit no longer blocks.
    d.post(f"/api/v1/appointments/{booked['id']}/status", json={"status": "cancelled"},
           headers={"If-Match": f'"{booked["version"]}"'})
    assert check(d, tech, at(15), at(16)).json()["ok"] is True


def test_check_refuses_bad_input_with_the_field(world: World) -> None:
    d = world.dispatcher
    assert check(d, 999, at(9), at(10)).json()["error"]["details"][0]["field"] == "technician_id"
    r = check(d, world.tech1["id"], at(10), at(9))
    assert r.status_code == 422 and "window_end" in r.json()["error"]["message"]
    r = d.post("/api/v1/appointments/check", json={"technician_id": world.tech1["id"],
                                                    "window_start": "2030-06-05T09:00:00", "window_end": "x"})
    assert r.status_code == 422
    assert check(d, world.tech1["id"], at(9), at(10), job_id=999).json()["error"]["details"][0]["field"] == "job_id"
    assert world.field1.post("/api/v1/appointments/check", json={}).status_code == 403


def test_day_availability_gives_shading_and_load(api: Api, world: World, admin: httpx.Client) -> None:
    tech, other = world.tech1["id"], world.tech2["id"]
    admin.put(f"/api/v1/technicians/{tech}/hours", json=WEEKDAYS_8_TO_5)
    admin.post(f"/api/v1/technicians/{tech}/time-off", json={
        "starts_at": at(12).isoformat(), "ends_at": at(13).isoformat(), "reason": "lunch with the boss"})
    world.schedule(world.cust1["id"], tech, start=at(9), hours=2)
    world.schedule(world.cust2["id"], tech, start=at(14), hours=1.5)
    world.schedule(world.cust2["id"], None, start=at(10), hours=1)
    out = world.dispatcher.get("/api/v1/availability", params={"date": DAY.isoformat()}).json()
    rows = {t["id"]: t for t in out["technicians"]}
    marcus = rows[tech]
    assert (marcus["visits"], marcus["booked_minutes"], marcus["capacity_minutes"]) == (2, 210, 480)
    assert marcus["text"] == "3.5 / 8 h" and marcus["working"] and marcus["hours_set"]
    assert marcus["time_off"][0]["reason"] == "lunch with the boss"
    shade = [(datetime.fromisoformat(s["starts_at"]).astimezone(TZ).hour,
              datetime.fromisoformat(s["ends_at"]).astimezone(TZ).hour) for s in marcus["unavailable"]]
    assert shade == [(0, 8), (12, 13), (17, 0)]
    elena = rows[other]
    assert elena["hours_set"] is False and elena["capacity_minutes"] is None and elena["unavailable"] == []
    assert out["unassigned"] == {"visits": 1, "booked_minutes": 60}
    bad = world.dispatcher.get("/api/v1/availability", params={"date": "06/05/2030"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "date"


@pytest.fixture
def quiet(db_url: str) -> Any:
    """A backend without background jobs, so only the requests' own statements reach the database."""
    from services.backend.clock import OffsetClock
    from services.backend.embedded import EmbeddedServer
    from tests.conftest import make_settings

    srv = EmbeddedServer(make_settings(db_url, run_background_jobs=False), clock=OffsetClock()).start()
    a = Api(srv)
    yield a, World(a)
    a.close()
    srv.stop()


def test_week_is_one_aggregate_whatever_the_crew_size(quiet: Any) -> None:
    api, world = quiet
    add_user(api.server, "boss@example.com", "admin-pass-1", "admin", "Mike Boss")
    admin = api.login("boss@example.com", "admin-pass-1")
    tech = world.tech1["id"]
    monday = DAY - timedelta(days=DAY.weekday())
    admin.put(f"/api/v1/technicians/{tech}/hours", json=WEEKDAYS_8_TO_5)
    admin.post(f"/api/v1/technicians/{tech}/time-off", json={
        "starts_at": at(0, day=monday + timedelta(days=1)).isoformat(),
        "ends_at": at(0, day=monday + timedelta(days=2)).isoformat(), "reason": "training"})
    world.schedule(world.cust1["id"], tech, start=at(9, day=monday), hours=2)
    world.schedule(world.cust1["id"], tech, start=at(13, day=monday), hours=1)
    world.schedule(world.cust2["id"], tech, start=at(23, 30, day=monday + timedelta(days=3)), hours=1)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, stmt: str, *a: Any) -> None:
        statements.append(stmt)

    engine = api.server.backend.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        out = world.dispatcher.get("/api/v1/schedule/week", params={"start": monday.isoformat()}).json()
        small = len(statements)
        for i in range(10):
            world.dispatcher.post("/api/v1/technicians", json={"name": f"Extra Tech {i}"})
        statements.clear()
        world.dispatcher.get("/api/v1/schedule/week", params={"start": monday.isoformat()})
        assert len(statements) == small  # no query per technician or per row
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert out["days"][0] == monday.isoformat() and len(out["days"]) == 7
    marcus = next(t for t in out["technicians"] if t["id"] == tech)
    cells = [(c["visits"], c["booked_minutes"], c["capacity_minutes"]) for c in marcus["days"]]
    assert cells == [(2, 180, 540), (0, 0, 0), (0, 0, 540), (1, 60, 540), (0, 0, 540), (0, 0, 0), (0, 0, 0)]
    assert marcus["days"][0]["text"] == "3 / 9 h" and marcus["days"][1]["text"] == "Off"
    default = world.dispatcher.get("/api/v1/schedule/week").json()
    assert date.fromisoformat(default["start"]).weekday() == 0
