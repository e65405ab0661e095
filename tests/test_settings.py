"""Company settings, per-customer switches, job contacts and quiet hours, end to end over HTTP."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from tests.conftest import Api, World, add_user, watchdog_passes
from tests.sse import SseReader


def _admin(api: Api):  # type: ignore[no-untyped-def]
    add_user(api.server, "boss@example.com", "admin-pass-1", "admin", "Mike Boss")
    return api.login("boss@example.com", "admin-pass-1")


def test_only_admins_change_settings_and_every_change_is_validated_audited_and_live(api: Api, world: World) -> None:
    admin = _admin(api)
    d = world.dispatcher
    assert d.get("/api/v1/settings").status_code == 200
    r = d.patch("/api/v1/settings", json={"name": "Hacked"})
    assert r.status_code == 403
    bad = admin.patch("/api/v1/settings", json={"time_zone": "Mars/Olympus", "late_threshold_min": 2,
                                                 "tile_url": "ftp://tiles", "bookable_services": ["A", "a"]})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["error"]["details"]}
    assert fields == {"time_zone", "late_threshold_min", "tile_url", "bookable_services"}
    assert "America/Chicago" in bad.json()["error"]["message"]
    assert admin.get("/api/v1/settings").json()["time_zone"] != "Mars/Olympus"  # nothing stored
    reader = SseReader(api.url, d.headers["Authorization"].split()[1])
    ok = admin.patch("/api/v1/settings", json={"name": "Mike's Contracting", "time_zone": "America/Denver",
                                               "late_threshold_min": 45, "smtp_password": "hunter2",
                                               "tile_url": "http://127.0.0.1:9/{z}/{x}/{y}.png"})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["name"] == "Mike's Contracting" and body["late_threshold_min"] == 45
    assert "hunter2" not in ok.text and body["secrets_set"]["smtp_password"] is True
    assert "hunter2" not in d.get("/api/v1/settings").text
    reader.wait_for(lambda e: e[1] == "settings.updated" and "late_threshold_min" in e[2]["changed"])
    reader.close()
    assert d.get("/api/v1/company").json()["time_zone"] == "America/Denver"
    from models.tables import AuditLog

    with api.server.backend.sessions() as s:
        audit = [a for a in s.query(AuditLog) if a.action == "settings.changed"]
    assert audit and audit[-1].actor_name == "Mike Boss" and audit[-1].details["smtp_password"] == ["", "•••"]


def _wait(pred, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


def test_late_threshold_setting_moves_the_alert(api: Api, world: World) -> None:
    admin = _admin(api)
    assert admin.patch("/api/v1/settings", json={"late_threshold_min": 45}).status_code == 200
    start = datetime.now(UTC) - timedelta(minutes=35)
    appt = world.schedule(world.cust1["id"], world.tech1["id"], start=start)
    watchdog_passes(api.server)
    alerts = world.dispatcher.get("/api/v1/alerts").json()
    assert not [a for a in alerts if a["appointment_id"] == appt["id"]], "35 min is not late with a 45 min threshold"
    api.server.backend.clock.advance(minutes=11)  # now 46 min after the window start
    late = _wait(lambda: [a for a in world.dispatcher.get("/api/v1/alerts").json()
                          if a["appointment_id"] == appt["id"] and a["kind"] == "late"])
    assert late and "has not arrived at Ann Lee" in late[0]["message"]


def test_quiet_hours_hold_routine_texts_but_not_the_arrival_ping(api: Api, world: World) -> None:
    from zoneinfo import ZoneInfo

    from models.tables import Customer

    # Quiet hours around the current local time (overnight windows work too).
    local = datetime.now(UTC).astimezone(ZoneInfo(world.dispatcher.get("/api/v1/company").json()["time_zone"]))
    with api.server.backend.sessions() as s:
        c = s.get(Customer, world.cust1["id"])
        c.quiet_hours_start = (local - timedelta(hours=1)).strftime("%H:%M")
        c.quiet_hours_end = (local + timedelta(hours=1)).strftime("%H:%M")
        s.commit()
    d, f = world.dispatcher, world.field1
    appt = world.schedule(world.cust1["id"], world.tech1["id"])
    a = appt["id"]
    for step in ("confirm", "on-my-way"):
        assert f.post(f"/api/v1/field/appointments/{a}/{step}").status_code == 200
    etag = d.get(f"/api/v1/appointments/{a}").headers["ETag"]
    assert d.post(f"/api/v1/appointments/{a}/status", json={"status": "arrived"},
                  headers={"If-Match": etag}).status_code == 200
    notes = _wait(lambda: [n for n in d.get(f"/api/v1/notifications?appointment_id={a}").json()
                           if n["kind"] == "arrived" and n["status"] == "sent"])
    assert notes, "the arrival ping must go out during quiet hours"
    by_kind = {n["kind"]: n for n in d.get(f"/api/v1/notifications?appointment_id={a}").json()}
    assert by_kind["appointment_scheduled"]["status"] == "held"
    assert by_kind["en_route"]["status"] == "sent"


def test_job_contact_gets_the_en_route_text(api: Api, world: World) -> None:
    d, f = world.dispatcher, world.field1
    job_id = world.appt1["job_id"]
    bad = d.post(f"/api/v1/jobs/{job_id}/contacts", json={"name": "Landlord"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "phone"
    contact = d.post(f"/api/v1/jobs/{job_id}/contacts",
                     json={"name": "Lou Landlord", "phone": "+15125550777", "relation": "landlord"})
    assert contact.status_code == 201
    assert [c["name"] for c in d.get(f"/api/v1/jobs/{job_id}/contacts").json()] == ["Lou Landlord"]
    a = world.appt1["id"]
    f.post(f"/api/v1/field/appointments/{a}/confirm")
    f.post(f"/api/v1/field/appointments/{a}/on-my-way")
    en_route = [n for n in d.get(f"/api/v1/notifications?appointment_id={a}").json() if n["kind"] == "en_route"]
    assert {n["to"] for n in en_route} == {"+15125550199", "+15125550777"}
    assert d.delete(f"/api/v1/jobs/{job_id}/contacts/{contact.json()['id']}").status_code == 204
    assert d.delete(f"/api/v1/jobs/{job_id + 999}/contacts/1").status_code == 404


def test_per_customer_booking_switch_is_audited(api: Api, world: World) -> None:
    d = world.dispatcher
    cid = world.cust1["id"]
    r = d.patch(f"/api/v1/customers/{cid}", json={"booking_allowed": False})
    assert r.status_code == 200 and r.json()["booking_allowed"] is False
    r = d.patch(f"/api/v1/customers/{cid}", json={"use_company_booking_default": True})
    assert r.json()["booking_allowed"] is None
    assert d.patch(f"/api/v1/customers/{cid}", json={"booking_allowed": "maybe"}).status_code == 422
    assert d.patch("/api/v1/customers/99999", json={"booking_allowed": True}).status_code == 404


def test_job_contact_signs_in_with_own_link_and_sees_that_job_only(api: Api, world: World) -> None:
    import re

    d, f = world.dispatcher, world.field1
    other = world.schedule(world.cust1["id"], world.tech2["id"])  # a second job of the same customer
    job_id = world.appt1["job_id"]
    assert d.post(f"/api/v1/jobs/{job_id}/contacts",
                  json={"name": "Terry Tenant", "phone": "+15125550555", "relation": "tenant"}).status_code == 201
    a = world.appt1["id"]
    f.post(f"/api/v1/field/appointments/{a}/confirm")
    f.post(f"/api/v1/field/appointments/{a}/on-my-way")
    texts = [n for n in d.get(f"/api/v1/notifications?appointment_id={a}").json()
             if n["kind"] == "en_route" and n["to"] == "+15125550555"]
    assert len(texts) == 1 and "is on the way" in texts[0]["body"]
    assert api.anon.post("/api/v1/portal/magic-link", json={"phone": "(512) 555-0555"}).status_code == 202
    link = next(n for n in d.get("/api/v1/notifications?limit=50").json()
                if n["kind"] == "portal_magic_link" and n["to"] == "+15125550555")
    token = re.search(r"/portal/login/([\w-]+)", link["body"]).group(1)  # type: ignore[union-attr]
    import httpx

    with httpx.Client(base_url=api.url, follow_redirects=True, timeout=15) as tenant:
        assert tenant.get(f"/portal/login/{token}").status_code == 200
        sched = tenant.get("/api/v1/portal/schedule")
        assert sched.status_code == 200
        text = sched.text
        assert f'"id":{a}' in text.replace(" ", "") or str(a) in text
        ids = {x["id"] for group in ("today", "upcoming", "past") for x in sched.json().get(group, [])
               if isinstance(x, dict) and "id" in x}
        assert a in ids and other["id"] not in ids
        assert tenant.get(f"/api/v1/portal/visits/{other['id']}").status_code == 404


def test_removed_bookable_service_leaves_the_form_and_is_refused(api: Api, world: World) -> None:
    from tests.booking_support import day, portal_client

    admin = _admin(api)
    assert admin.patch("/api/v1/settings", json={"bookable_services": ["Leak repair", "Drain cleaning"],
                                                 "free_text_services": False}).status_code == 200
    customer = portal_client(world, world.cust1["id"])
    form = customer.get("/portal/request")
    assert form.status_code == 200 and "Drain cleaning" in form.text
    body = {"service_type": "Drain cleaning", "preferred_dates": [day(world, 2)], "time_preference": "morning"}
    assert customer.post("/api/v1/portal/booking-requests", json=body).status_code == 201
    assert admin.patch("/api/v1/settings", json={"bookable_services": ["Leak repair"]}).status_code == 200
    assert "Drain cleaning" not in customer.get("/portal/request").text
    r = customer.post("/api/v1/portal/booking-requests", json=body)
    assert r.status_code == 422 and "service_type" in r.text


def test_arrival_clock_in_opens_on_geofence_arrival_and_closes_on_completion(api: Api, world: World) -> None:
    """Arrival (geofence or Start) opens a time entry, completion closes it; the card shows it."""
    from tests.tracking_helpers import approach, fix, post_fixes

    site = (30.2650, -97.7440)  # Ann Lee's address (world.cust1)
    f1, d = world.field1, world.dispatcher
    appt = world.schedule(world.cust1["id"], world.tech1["id"])["id"]
    now = datetime.now(UTC)
    assert d.get(f"/api/v1/appointments/{appt}").json()["time_entry"] is None
    for step in ("confirm", "on-my-way"):
        assert f1.post(f"/api/v1/field/appointments/{appt}/{step}").status_code == 200
    post_fixes(f1, [fix(site, 0, -1500, now)])
    post_fixes(f1, approach(site, now + timedelta(seconds=10)))
    got = d.get(f"/api/v1/appointments/{appt}").json()
    assert got["status"] == "arrived" and got["time_entry"]["ended_at"] is None  # opened by the geofence
    opened = got["time_entry"]["started_at"]
    assert f1.post(f"/api/v1/field/appointments/{appt}/start").status_code == 200  # no second entry
    api.server.backend.clock.advance(minutes=47)
    assert f1.post(f"/api/v1/field/appointments/{appt}/complete").status_code == 200
    entry = d.get(f"/api/v1/appointments/{appt}").json()["time_entry"]
    assert entry["started_at"] == opened and entry["ended_at"] is not None and entry["minutes_on_site"] >= 47


def test_start_on_a_visit_that_already_has_a_clock_in_is_not_an_error(api: Api, world: World) -> None:
    """A visit whose time entry came in with its data (seeded, imported) still starts normally."""
    from models.tables import TimeEntry

    appt = world.appt1["id"]
    for step in ("confirm", "on-my-way"):
        assert world.field1.post(f"/api/v1/field/appointments/{appt}/{step}").status_code == 200
    with api.server.backend.sessions() as s:
        s.add(TimeEntry(appointment_id=appt, technician_id=world.tech1["id"], started_at=datetime.now(UTC)))
        s.commit()
    r = world.field1.post(f"/api/v1/field/appointments/{appt}/start")
    assert r.status_code == 200, r.text
    assert world.dispatcher.get(f"/api/v1/appointments/{appt}").json()["time_entry"]["ended_at"] is None
