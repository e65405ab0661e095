"""People a dispatcher keeps up to date, over HTTP as the contract says: add a technician who can sign in to the
field app, edit their details, set a new password (their phone signs out), take them off the team and back; change
a customer's name, phone or email (every console's copy of their visits follows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models.tables import AuditLog, Event
from services.backend.embedded import EmbeddedServer
from tests.conftest import Api, World


def _error(r) -> dict:  # type: ignore[no-untyped-def, type-arg]
    body = r.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    return body["error"]


def test_add_edit_and_field_sign_in(world: World, api: Api, server: EmbeddedServer) -> None:
    d = world.dispatcher
    r = d.post("/api/v1/technicians", json={"name": "Nate Sullivan", "phone": "(512) 555-0177",
                                            "email": "nate@example.com", "password": "wrench123"})
    assert r.status_code == 201, r.text
    nate = r.json()
    assert nate["can_sign_in"] is True and nate["active"] is True
    field = api.login("nate@example.com", "wrench123")
    assert field.get("/api/v1/field/appointments").status_code == 200

    r = d.patch(f"/api/v1/technicians/{nate['id']}", json={"phone": "(512) 555-0178", "vehicle_make": "Ram",
                                                           "vehicle_year": 2022})
    assert r.status_code == 200, r.text
    assert (r.json()["phone"], r.json()["vehicle_make"], r.json()["vehicle_year"]) == ("(512) 555-0178", "Ram", 2022)
    assert r.json()["name"] == "Nate Sullivan" and r.json()["email"] == "nate@example.com"  # the rest kept
    listed = {t["id"]: t for t in d.get("/api/v1/technicians").json()}
    assert listed[nate["id"]]["phone"] == "(512) 555-0178" and listed[nate["id"]]["can_sign_in"] is True
    assert field.get("/api/v1/field/appointments").status_code == 200  # a contact edit keeps the phone signed in

    # A new email is the new sign-in; a new password signs the phone out.
    r = d.patch(f"/api/v1/technicians/{nate['id']}", json={"email": "nate.s@example.com", "password": "newpass99"})
    assert r.status_code == 200, r.text
    assert field.get("/api/v1/field/appointments").status_code == 401
    assert api.anon.post("/api/v1/auth/login", json={"email": "nate@example.com", "password": "wrench123"}
                         ).status_code == 401
    assert api.login("nate.s@example.com", "newpass99").get("/api/v1/field/appointments").status_code == 200

    with server.backend.sessions() as s:
        fields = [a.details.get("fields") for a in s.scalars(select(AuditLog).where(
            AuditLog.action == "technician.updated", AuditLog.target_id == nate["id"]))]
        assert fields == [["phone", "vehicle_make", "vehicle_year"], ["email", "password"]]
        announced = [e.data for e in s.scalars(select(Event).where(Event.name == "technician.updated"))
                     if e.data.get("id") == nate["id"]]
        assert len(announced) >= 3  # created, edited, edited


def test_a_technician_without_a_sign_in_gets_one(world: World, api: Api) -> None:
    d = world.dispatcher
    tech = d.post("/api/v1/technicians", json={"name": "Ruby Jackson"}).json()
    assert tech["can_sign_in"] is False
    r = d.patch(f"/api/v1/technicians/{tech['id']}", json={"password": "pipes1234"})
    assert r.status_code == 422 and _error(r)["details"][0]["field"] == "email"
    r = d.patch(f"/api/v1/technicians/{tech['id']}", json={"email": "ruby@example.com", "password": "pipes1234"})
    assert r.status_code == 200 and r.json()["can_sign_in"] is True
    assert api.login("ruby@example.com", "pipes1234").get("/api/v1/field/appointments").status_code == 200


def test_leaving_the_team_signs_out_and_coming_back_signs_in(world: World, api: Api) -> None:
    d, t1 = world.dispatcher, world.tech1["id"]
    r = d.patch(f"/api/v1/technicians/{t1}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["can_sign_in"] is False
    assert world.field1.get("/api/v1/field/appointments").status_code == 401
    assert api.anon.post("/api/v1/auth/login", json={"email": "marcus@example.com", "password": "techpass1"}
                         ).status_code == 401
    listed = d.get("/api/v1/technicians").json()
    assert listed[-1]["id"] == t1  # inactive last
    # Booked visits stay with them; no new work goes to them.
    assert d.get(f"/api/v1/appointments/{world.appt1['id']}").json()["technician_id"] == t1
    job = d.post("/api/v1/jobs", json={"customer_id": world.cust1["id"], "service_type": "Leak repair"}).json()
    start = datetime.now(UTC) + timedelta(days=1)
    r = d.post("/api/v1/appointments", json={"job_id": job["id"], "technician_id": t1,
                                             "window_start": start.isoformat(),
                                             "window_end": (start + timedelta(hours=2)).isoformat()})
    assert r.status_code == 422 and _error(r)["details"][0]["field"] == "technician_id"
    assert "Marcus Reed is off the team" in _error(r)["message"]
    a2 = d.get(f"/api/v1/appointments/{world.appt2['id']}").json()
    r = d.patch(f"/api/v1/appointments/{a2['id']}", headers={"If-Match": f'"{a2["version"]}"'},
                json={"technician_id": t1})
    assert r.status_code == 422 and _error(r)["details"][0]["field"] == "technician_id"
    r = d.patch(f"/api/v1/technicians/{t1}", json={"active": True})
    assert r.status_code == 200 and r.json()["can_sign_in"] is True
    assert api.login("marcus@example.com", "techpass1").get("/api/v1/field/appointments").status_code == 200


def test_bad_edits_are_refused_with_the_field_named(world: World, api: Api) -> None:
    d, t1, t2 = world.dispatcher, world.tech1["id"], world.tech2["id"]
    cases = [
        ({"email": "elena@example.com"}, 409, None),  # Elena signs in with it
        ({"email": "marcus"}, 422, "email"),
        ({"password": "short"}, 422, "password"),
        ({"name": ""}, 422, "name"),
        ({"name": None}, 422, "name"),
        ({"vehicle_year": 1800}, 422, "vehicle_year"),
        ({"salary": 1}, 422, "salary"),
        ({}, 422, None),
    ]
    for body, status, field in cases:
        r = d.patch(f"/api/v1/technicians/{t1}", json=body)
        assert r.status_code == status, (body, r.text)
        err = _error(r)
        if field:
            assert err["details"][0]["field"] == field and err["message"].count(field), (body, err)
    assert d.patch("/api/v1/technicians/999999", json={"phone": "1"}).status_code == 404
    assert world.field2.patch(f"/api/v1/technicians/{t2}", json={"phone": "1"}).status_code == 403
    after = d.get(f"/api/v1/technicians/{t1}").json()
    assert (after["name"], after["email"], after["can_sign_in"]) == ("Marcus Reed", "marcus@example.com", True)
    r = d.post("/api/v1/technicians", json={"name": "X", "email": "not-an-email"})
    assert r.status_code == 422 and _error(r)["details"][0]["field"] == "email"


def test_a_customer_s_new_number_reaches_every_console_and_the_next_text(world: World, server: EmbeddedServer) -> None:
    d, cust = world.dispatcher, world.cust1
    before = d.get(f"/api/v1/appointments/{world.appt1['id']}").json()
    r = d.patch(f"/api/v1/customers/{cust['id']}", json={"phone": "(512) 555-0142", "name": "Ann Lee-Park"})
    assert r.status_code == 200, r.text
    assert (r.json()["phone"], r.json()["name"]) == ("+15125550142", "Ann Lee-Park")
    after = d.get(f"/api/v1/appointments/{world.appt1['id']}").json()
    assert after["customer_phone"] == "+15125550142" and after["customer_name"] == "Ann Lee-Park"
    assert after["version"] == before["version"] + 1  # an open card reloads instead of saving over it
    with server.backend.sessions() as s:
        ev = [e.data for e in s.scalars(select(Event).where(Event.name == "appointment.updated"))
              if e.data.get("id") == world.appt1["id"]]
        assert ev[-1].get("details") is True
        changed = s.scalars(select(AuditLog).where(AuditLog.action == "customer.changed",
                                                   AuditLog.target_id == cust["id"])).all()
        assert changed[-1].details["phone"] == ["+15125550199", "+15125550142"]
    # Bad input: named, nothing changed.
    for body, field in (({"phone": "call me"}, "phone"), ({"email": "ann@"}, "email"), ({"name": ""}, "name"),
                        ({"name": None}, "name"), ({"phone": "", "email": ""}, "phone")):
        r = d.patch(f"/api/v1/customers/{cust['id']}", json=body)
        assert r.status_code == 422 and _error(r)["details"][0]["field"] == field, (body, r.text)
    assert d.get(f"/api/v1/customers/{cust['id']}").json()["phone"] == "+15125550142"
    # Only email is fine too.
    r = d.patch(f"/api/v1/customers/{cust['id']}", json={"phone": "", "email": "ann.park@example.com"})
    assert r.status_code == 200 and r.json()["phone"] == "" and r.json()["email"] == "ann.park@example.com"
