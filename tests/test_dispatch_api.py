"""Smart dispatch over HTTP: skills, zones, the conflict check's skills, suggestions, optimize, apply, undo, pins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from models.tables import AuditLog, Notification
from tests.conftest import Api, World, add_user

DAY_AFTER = 2  # days ahead: a day with only the visits a test books


@pytest.fixture
def admin(api: Api, world: World) -> httpx.Client:
    add_user(api.server, "ada@example.com", "admin1234", "admin", "Ada Admin")
    return api.login("ada@example.com", "admin1234")


def _audit(api: Api, action: str) -> list[AuditLog]:
    from sqlalchemy import select

    with api.server.backend.sessions() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def _texts(api: Api, appt_id: int, kinds: tuple[str, ...]) -> list[Notification]:
    from sqlalchemy import select

    with api.server.backend.sessions() as s:
        return list(s.scalars(select(Notification).where(Notification.appointment_id == appt_id,
                                                         Notification.kind.in_(kinds))))


def test_skills_tech_skills_and_service_requirements(api: Api, world: World, admin: httpx.Client) -> None:
    d = world.dispatcher
    assert d.post("/api/v1/skills", json={"name": "HVAC"}).status_code == 403  # admins only
    for name in ("HVAC", "EPA 608", "Plumbing"):
        assert admin.post("/api/v1/skills", json={"name": name}).status_code == 201
    dup = admin.post("/api/v1/skills", json={"name": "hvac"})
    assert dup.status_code == 409 and "already exists" in dup.json()["error"]["message"]
    r = admin.put(f"/api/v1/technicians/{world.tech1['id']}/skills", json={"skills": ["hvac", "EPA 608"]})
    assert r.status_code == 200 and r.json()["skills"] == ["EPA 608", "HVAC"]
    bad = admin.put(f"/api/v1/technicians/{world.tech1['id']}/skills", json={"skills": ["Welding"]})
    assert bad.status_code == 422 and "no skill named 'Welding'" in bad.json()["error"]["message"]
    r = admin.put("/api/v1/service-skills", json={"service_type": "AC repair", "skills": ["HVAC", "EPA 608"]})
    assert r.json() == {"service_type": "AC repair", "bookable": False, "skills": ["EPA 608", "HVAC"]}
    listed = {s["service_type"]: s["skills"] for s in d.get("/api/v1/service-skills").json()}
    assert listed["AC repair"] == ["EPA 608", "HVAC"]
    techs = {t["name"]: t["skills"] for t in d.get("/api/v1/technician-skills").json()}
    assert techs == {"Elena Torres": [], "Marcus Reed": ["EPA 608", "HVAC"]}
    skills = {s["name"]: s for s in d.get("/api/v1/skills").json()}
    assert skills["HVAC"]["technicians"] == 1 and skills["HVAC"]["services"] == ["AC repair"]
    assert admin.delete(f"/api/v1/skills/{skills['EPA 608']['id']}").status_code == 204
    assert [t["skills"] for t in d.get("/api/v1/technician-skills").json() if t["name"] == "Marcus Reed"] == [["HVAC"]]
    assert {a.action for a in _audit(api, "skill.removed")} == {"skill.removed"}
    assert _audit(api, "technician.skills_changed")[0].details["after"] == ["EPA 608", "HVAC"]


def test_zones_crud_and_locate(world: World, admin: httpx.Client) -> None:
    d = world.dispatcher
    poly = [[30.26, -97.76], [30.26, -97.73], [30.28, -97.73], [30.28, -97.76]]
    z = admin.post("/api/v1/zones", json={"name": "Central", "polygon": poly, "zips": ["78704"], "color": "#3366cc"})
    assert z.status_code == 201, z.text
    assert admin.post("/api/v1/zones", json={"name": "North", "zips": ["78758"]}).status_code == 201
    empty = admin.post("/api/v1/zones", json={"name": "Nowhere"})
    assert empty.status_code == 422 and "ZIP codes or an outline" in empty.json()["error"]["message"]
    bad = admin.post("/api/v1/zones", json={"name": "Bad", "zips": ["787"]})
    assert bad.status_code == 422 and "'787' is not a ZIP code" in bad.json()["error"]["message"]
    central = d.get("/api/v1/zones/locate", params={"lat": 30.27, "lng": -97.74}).json()
    assert [x["name"] for x in central] == ["Central"]
    assert [x["name"] for x in d.get("/api/v1/zones/locate", params={"zip": "78758-1111"}).json()] == ["North"]
    r = admin.patch(f"/api/v1/zones/{z.json()['id']}", json={"zips": ["78704", "78701"]})
    assert r.json()["zips"] == ["78704", "78701"] and r.json()["polygon"] == poly
    assert d.delete(f"/api/v1/zones/{z.json()['id']}").status_code == 403
    assert admin.delete(f"/api/v1/zones/{z.json()['id']}").status_code == 204
    assert [x["name"] for x in d.get("/api/v1/zones").json()] == ["North"]


def test_conflict_check_reports_missing_skills(world: World, admin: httpx.Client) -> None:
    admin.post("/api/v1/skills", json={"name": "EPA 608"})
    admin.put("/api/v1/service-skills", json={"service_type": "Leak repair", "skills": ["EPA 608"]})
    start = datetime.now(UTC) + timedelta(days=1)
    r = world.dispatcher.post("/api/v1/appointments/check", json={
        "technician_id": world.tech2["id"], "window_start": start.isoformat(),
        "window_end": (start + timedelta(hours=1)).isoformat(), "appointment_id": world.appt2["id"]})
    assert r.json()["ok"] is False
    assert [c["message"] for c in r.json()["conflicts"]] == ["Elena lacks EPA 608"]


def test_suggest_ranks_free_skilled_tech_first(world: World, admin: httpx.Client) -> None:
    d = world.dispatcher
    admin.post("/api/v1/skills", json={"name": "HVAC"})
    admin.put(f"/api/v1/technicians/{world.tech2['id']}/skills", json={"skills": ["HVAC"]})
    start = datetime.fromisoformat(world.appt1["window_start"])
    # a job at Ann's window: Marcus is booked there (overlap), Elena is booked at Bob's at the same time too
    r = d.post("/api/v1/dispatch/suggest", json={
        "lat": 30.27, "lng": -97.75, "window_start": (start + timedelta(hours=3)).isoformat(),
        "window_end": (start + timedelta(hours=4)).isoformat(), "required_skills": ["HVAC"]})
    assert r.status_code == 200, r.text
    body = r.json()
    names = [s["name"] for s in body["suggestions"]]
    assert names == ["Elena Torres", "Marcus Reed"] and body["top_pick"] == world.tech2["id"]
    elena, marcus = body["suggestions"]
    assert elena["reason"].startswith("free at ") and "after Bob Diaz" in elena["reason"]
    assert [w["message"] for w in marcus["warnings"]] == ["lacks HVAC"]
    assert body["site"] == {"lat": 30.27, "lng": -97.75}
    assert elena["from"] == {"lat": 30.28, "lng": -97.76}  # from Bob Diaz's, where she will be
    # a job not booked yet: the skills its service requires, asked by the service's name
    admin.put("/api/v1/service-skills", json={"service_type": "AC repair", "skills": ["HVAC"]})
    r = d.post("/api/v1/dispatch/suggest", json={
        "lat": 30.27, "lng": -97.75, "window_start": (start + timedelta(hours=3)).isoformat(),
        "window_end": (start + timedelta(hours=4)).isoformat(), "service_type": "ac REPAIR"})
    assert r.json()["required_skills"] == ["HVAC"] and r.json()["top_pick"] == world.tech2["id"]
    # for an existing appointment: its own tech's day leaves it out, and the other tech overlaps
    r = d.post("/api/v1/dispatch/suggest", json={"appointment_id": world.appt1["id"]})
    by_name = {s["name"]: s for s in r.json()["suggestions"]}
    assert "overlaps Bob Diaz" in [w["message"] for w in by_name["Elena Torres"]["warnings"]]
    assert not any(w["kind"] == "overlap" for w in by_name["Marcus Reed"]["warnings"])
    bad = d.post("/api/v1/dispatch/suggest", json={"window_start": start.isoformat(),
                                                    "window_end": (start + timedelta(hours=1)).isoformat()})
    assert bad.status_code == 422 and "job_id or both lat and lng" in bad.json()["error"]["message"]


def _day(world: World, ahead: int = DAY_AFTER) -> str:
    from models.timefmt import local

    start = datetime.fromisoformat(world.appt1["window_start"]) + timedelta(days=ahead)
    return local(start, "America/Chicago").date().isoformat()


def _crossed_day(api: Api, world: World) -> list[dict[str, Any]]:
    """Marcus parks up north, Elena downtown; each is booked at the other's end of town: swapping saves driving."""
    d = world.dispatcher
    now = datetime.now(UTC)
    for client, lat, lng in ((world.field1, 30.51, -97.67), (world.field2, 30.27, -97.745)):
        r = client.post("/api/v1/field/positions", headers={"Idempotency-Key": f"p{lat}"}, json={"positions": [
            {"lat": lat, "lng": lng, "accuracy_m": 10, "recorded_at": (now - timedelta(minutes=1)).isoformat()}]})
        assert r.status_code in (200, 202), r.text
    base = datetime.fromisoformat(world.appt1["window_start"]) + timedelta(days=DAY_AFTER)
    far = d.post("/api/v1/customers", json={"name": "Cy Far", "phone": "+15125550111", "address": "9 Far Rd",
                                             "lat": 30.50, "lng": -97.68}).json()
    near = d.post("/api/v1/customers", json={"name": "Di Near", "phone": "+15125550112", "address": "1 Near St",
                                              "lat": 30.2655, "lng": -97.7445}).json()
    a = world.schedule(far["id"], world.tech2["id"], base, hours=1)  # Elena (downtown) → far north
    b = world.schedule(near["id"], world.tech1["id"], base + timedelta(minutes=15), hours=1)  # Marcus → downtown
    return [a, b]


def test_optimize_proposes_and_apply_saves_one_batch_with_undo(api: Api, world: World) -> None:
    d = world.dispatcher
    a, b = _crossed_day(api, world)
    r = d.post("/api/v1/dispatch/optimize", json={"date": _day(world)})
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["totals"]["after"]["drive_min"] < p["totals"]["before"]["drive_min"]
    moved = {m["appointment_id"]: m for m in p["moves"]}
    assert moved[a["id"]]["technician_id"] == world.tech1["id"]
    assert moved[a["id"]]["words"].startswith("Cy Far: Elena Torres → Marcus Reed")
    assert {t["name"] for t in p["technicians"]} == {"Marcus Reed", "Elena Torres"}
    # nothing saved yet
    assert d.get(f"/api/v1/appointments/{a['id']}").json()["technician_id"] == world.tech2["id"]
    r = d.post("/api/v1/dispatch/apply", json={"changes": p["changes"], "notify_customers": True})
    assert r.status_code == 200, r.text
    assert d.get(f"/api/v1/appointments/{a['id']}").json()["technician_id"] == world.tech1["id"]
    # one text per appointment to the customer, even when both the time and the tech changed
    for appt_id in moved:
        assert len(_texts(api, appt_id, ("rescheduled", "technician_changed"))) == 1
    undo = r.json()["undo"]
    r2 = d.post("/api/v1/dispatch/apply", json={"changes": undo["changes"], "notify_customers": False})
    assert r2.status_code == 200, r2.text
    assert d.get(f"/api/v1/appointments/{a['id']}").json()["technician_id"] == world.tech2["id"]
    assert len(_texts(api, a["id"], ("rescheduled", "technician_changed"))) == 1  # undo told nobody
    assert len(_audit(api, "dispatch.plan_applied")) == 2


def test_apply_aborts_whole_batch_when_one_appointment_changed(api: Api, world: World) -> None:
    d = world.dispatcher
    a, b = _crossed_day(api, world)
    p = d.post("/api/v1/dispatch/optimize", json={"date": _day(world)}).json()
    assert len(p["changes"]) >= 2
    first = p["changes"][0]["appointment_id"]
    other = next(c["appointment_id"] for c in p["changes"] if c["appointment_id"] != first)
    cur = d.get(f"/api/v1/appointments/{other}")
    d.patch(f"/api/v1/appointments/{other}", headers={"If-Match": cur.headers["ETag"]},
            json={"window_start": (datetime.fromisoformat(cur.json()["window_start"]) + timedelta(minutes=5))
                  .isoformat()})
    r = d.post("/api/v1/dispatch/apply", json={"changes": p["changes"], "notify_customers": False})
    assert r.status_code == 412
    msg = r.json()["error"]["message"]
    assert "was changed by Dana Dispatcher after this plan was made, so nothing was saved" in msg
    assert r.json()["error"]["details"]["appointment_id"] == other
    before = next(t for t in p["technicians"] for v in t["before"] if v["appointment_id"] == first)
    assert d.get(f"/api/v1/appointments/{first}").json()["technician_id"] == before["technician_id"]


def test_pinned_visits_stay_and_pinning_is_audited(api: Api, world: World) -> None:
    d = world.dispatcher
    a, b = _crossed_day(api, world)
    r = d.post(f"/api/v1/appointments/{a['id']}/pin", json={"pinned": True})
    assert r.status_code == 200 and r.json()["pinned"] is True
    stale = d.post(f"/api/v1/appointments/{a['id']}/pin", json={"pinned": False}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    p = d.post("/api/v1/dispatch/optimize", json={"date": _day(world)}).json()
    assert a["id"] not in {c["appointment_id"] for c in p["changes"]}
    assert len(_audit(api, "appointment.pinned")) == 1
    listed = d.get("/api/v1/appointments", params={"date": _day(world)}).json()
    listed = listed["items"] if isinstance(listed, dict) else listed
    assert {x["id"]: x["pinned"] for x in listed}[a["id"]] is True


def test_optimize_one_tech_and_unassigned_work(world: World) -> None:
    d = world.dispatcher
    start = datetime.fromisoformat(world.appt1["window_end"]) + timedelta(minutes=30)
    u = world.schedule(world.cust1["id"], None, start, hours=1)
    p = d.post("/api/v1/dispatch/optimize", json={"date": _day(world, 0), "technician_ids": [world.tech1["id"]],
                                                  "include_unassigned": True}).json()
    assert [t["name"] for t in p["technicians"]] == ["Marcus Reed"]
    assert {"appointment_id": u["id"], "version": u["version"], "technician_id": world.tech1["id"],
            "window_start": u["window_start"].replace("+00:00", "Z"), "window_end": u["window_end"].replace(
                "+00:00", "Z")} in p["changes"] or any(c["appointment_id"] == u["id"] for c in p["changes"])
    bad = d.post("/api/v1/dispatch/optimize", json={"date": _day(world, 0), "technician_ids": [999]})
    assert bad.status_code == 422 and "no technician 999" in bad.json()["error"]["message"]


def test_pinning_migration_runs_on_a_database_with_data(server: Any, db_url: str) -> None:
    """An install upgraded with visits on file: the pinned column is added in place (SQLite would otherwise copy
    `appointments`, which the foreign keys pointing at it refuse), and the way back keeps the visits too."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from services.backend.db import MIGRATIONS_DIR, make_engine, upgrade_schema
    from services.backend.demo import seed_if_empty

    seed_if_empty(server.backend)  # the demo company: visits, status history, alerts, photos… all pointing at them
    server.stop()
    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006_field_devices")
    upgrade_schema(engine)
    with engine.connect() as conn:
        n, pinned = conn.execute(text("SELECT count(*), sum(CASE WHEN pinned THEN 1 ELSE 0 END) FROM appointments")
                                 ).one()
    engine.dispose()
    assert n > 50 and pinned == 0
