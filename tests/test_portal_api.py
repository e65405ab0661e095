"""Customer portal over real HTTP: magic links, My Schedule, visits, activity, notes, change requests, surveys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.portal_helpers import add_visit_data, magic_token, move, png, set_customer, sign_in


def test_magic_link_never_reveals_accounts_and_is_single_use(world) -> None:
    anon = world.api.anon
    known = anon.post("/api/v1/portal/magic-link", json={"email": "ANN@example.com"})
    unknown = anon.post("/api/v1/portal/magic-link", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    by_phone = anon.post("/api/v1/portal/magic-link", json={"phone": "(512) 555-0199"})
    assert by_phone.status_code == 202
    notes = world.dispatcher.get("/api/v1/notifications", params={"customer_id": world.cust1["id"]}).json()
    kinds = [(n["kind"], n["channel"]) for n in notes if n["kind"] == "portal_magic_link"]
    assert ("portal_magic_link", "email") in kinds and ("portal_magic_link", "sms") in kinds
    bad = anon.post("/api/v1/portal/magic-link", json={})
    assert bad.status_code == 422 and "email" in bad.json()["error"]["message"]

    token = magic_token(world, world.cust1)
    c = httpx.Client(base_url=world.api.url)
    first = c.get(f"/portal/login/{token}")
    assert first.status_code == 303
    cookie = first.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert c.get("/api/v1/portal/schedule").status_code == 200
    again = httpx.get(f"{world.api.url}/portal/login/{token}")
    assert again.status_code == 410 and "expired or was already used" in again.text
    c.close()


def test_magic_link_expires_after_15_minutes(world) -> None:
    token = magic_token(world, world.cust2)
    world.api.server.backend.clock.advance(minutes=16)
    r = httpx.get(f"{world.api.url}/portal/login/{token}")
    assert r.status_code == 410


def test_magic_link_rate_limited(world) -> None:
    codes = [world.api.anon.post("/api/v1/portal/magic-link", json={"email": "spam@example.com"}).status_code
             for _ in range(7)]
    assert codes[:5] == [202] * 5 and codes[-1] == 429
    r = world.api.anon.post("/api/v1/portal/magic-link", json={"email": "spam@example.com"})
    assert r.json()["error"]["code"] == "rate_limited"


def test_schedule_buckets_labels_and_track_button(world) -> None:
    d = world.dispatcher
    now = datetime.now(UTC)
    later = world.schedule(world.cust1["id"], world.tech1["id"], start=now + timedelta(days=3),
                           service_type="AC tune-up")
    sooner = world.schedule(world.cust1["id"], world.tech1["id"], start=now + timedelta(days=2),
                            service_type="Drain cleaning")
    past = world.schedule(world.cust1["id"], world.tech1["id"], start=now - timedelta(days=3))
    move(world, past["id"], "dispatched", "en_route", "arrived", "in_progress", "complete")
    c = sign_in(world, world.cust1)
    data = c.get("/api/v1/portal/schedule").json()
    assert [a["id"] for a in data["upcoming"]] == [sooner["id"], later["id"]]
    assert data["upcoming"][0]["technician"]["name"] == "Marcus Reed"
    assert [a["id"] for a in data["past"]] == [past["id"]]
    assert data["past"][0]["status_label"] == "Visit Complete ✅"
    today_ids = [a["id"] for a in data["today"]]
    assert world.appt1["id"] in today_ids or world.appt1["id"] in [a["id"] for a in data["upcoming"]]
    text = c.get("/api/v1/portal/schedule").text
    assert "Gate 4821" not in text and "internal" not in text and "Bob" not in text
    labels = {}
    for st in ("dispatched", "en_route", "arrived", "in_progress", "complete"):
        move(world, world.appt1["id"], st)
        a = c.get(f"/api/v1/portal/visits/{world.appt1['id']}").json()
        labels[st] = (a["status_label"], a["track_url"] is not None, a["stage"])
    assert labels == {
        "dispatched": ("Getting Ready", False, 1), "en_route": ("On the Way 🚗", True, 2),
        "arrived": ("Technician Arrived", True, 3), "in_progress": ("Work in Progress", False, 4),
        "complete": ("Visit Complete ✅", False, 5),
    }
    del d


def test_visit_summary_only_shared_photos_and_documents(world) -> None:
    appt = world.appt1
    move(world, appt["id"], "dispatched", "en_route", "arrived", "in_progress", "complete")
    ids = add_visit_data(world, appt["id"], appt["job_id"])
    c = sign_in(world, world.cust1)
    v = c.get(f"/api/v1/portal/visits/{appt['id']}").json()
    assert v["summary"]["notes"] == "Replaced the P-trap washer."
    assert v["technician"]["name"] == "Marcus Reed"
    assert [p["id"] for p in v["photos"]] == [ids["shared_photo"]]
    assert c.get(v["photos"][0]["url"]).headers["content-type"] == "image/png"
    assert c.get(f"/api/v1/portal/visits/{appt['id']}/photos/{ids['private_photo']}").status_code == 404
    assert {d["id"] for d in v["documents"]} == {ids["estimate"], ids["invoice"]}
    assert "Internal: old part" not in c.get(f"/api/v1/portal/visits/{appt['id']}").text
    assert c.get(f"/api/v1/portal/documents/{ids['hidden_invoice']}").status_code == 404
    inv = c.get(f"/api/v1/portal/documents/{ids['invoice']}").json()
    assert inv["can_pay_online"] is False
    assert inv["total_text"] == "$189.00"
    assert c.post(f"/api/v1/portal/documents/{ids['invoice']}/checkout").status_code == 409
    approved = c.post(f"/api/v1/portal/documents/{ids['estimate']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert c.post(f"/api/v1/portal/documents/{ids['estimate']}/approve").status_code == 409
    alerts = world.dispatcher.get("/api/v1/alerts", params={"open": "true"}).json()
    assert any(a["kind"] == "estimate_approved" and "Ann Lee" in a["message"] for a in alerts)


def test_activity_in_customer_words_with_pause_message(world) -> None:
    appt = world.appt1
    move(world, appt["id"], "dispatched", "en_route", "arrived", "in_progress")
    move(world, appt["id"], "paused", message="Part ordered — we'll call Tuesday to book the follow-up.")
    c = sign_in(world, world.cust1)
    items = c.get(f"/api/v1/portal/jobs/{appt['job_id']}/activity").json()
    texts = [i["text"] for i in items]
    assert texts[0] == "Visit paused: Part ordered — we'll call Tuesday to book the follow-up."
    for t in ("Marcus is getting ready for your visit.", "Marcus is on the way.", "Marcus has arrived.",
              "Work has started.", "We received your request for Leak repair."):
        assert t in texts
    assert all(i["time_text"] for i in items)
    v = c.get(f"/api/v1/portal/visits/{appt['id']}").json()
    assert v["status_label"] == "Paused" and v["customer_message"].startswith("Part ordered")


def test_change_request_note_photo_and_alerts(world) -> None:
    c = sign_in(world, world.cust1)
    aid = world.appt1["id"]
    r = c.post("/api/v1/portal/change-requests", json={"appointment_id": aid, "message": "Can you come after 2?"})
    assert r.status_code == 201
    assert c.get("/api/v1/portal/change-requests").json()[0]["message"] == "Can you come after 2?"
    assert c.post("/api/v1/portal/change-requests", json={"appointment_id": aid, "message": ""}).status_code == 422
    n = c.post(f"/api/v1/portal/appointments/{aid}/notes", json={"text": "Dog in the yard, he's friendly."})
    assert n.status_code == 201 and n.json()["photo_url"] is None
    m = c.post(f"/api/v1/portal/appointments/{aid}/notes", data={"text": "Here's the leak"},
               files={"photo": ("leak.png", png("#136"), "image/png")})
    assert m.status_code == 201, m.text
    photo = c.get(m.json()["photo_url"])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    bad = c.post(f"/api/v1/portal/appointments/{aid}/notes", files={"photo": ("x.png", b"not an image", "image/png")})
    assert bad.status_code == 422 and "photo" in bad.json()["error"]["message"]
    empty = c.post(f"/api/v1/portal/appointments/{aid}/notes", json={"text": ""})
    assert empty.status_code == 422
    alerts = world.dispatcher.get("/api/v1/alerts", params={"open": "true"}).json()
    kinds = [a["kind"] for a in alerts if a["appointment_id"] == aid]
    assert kinds.count("customer_note") == 2 and kinds.count("change_request") == 1


def test_survey_once_with_company_type(world) -> None:
    from models.tables import Company

    with world.api.server.backend.sessions() as s:
        co = s.get(Company, 1)
        co.survey_type, co.survey_categories = "nps", ["Punctuality", "Quality of work"]
        s.commit()
    aid = world.appt1["id"]
    c = sign_in(world, world.cust1)
    early = c.post(f"/api/v1/portal/appointments/{aid}/survey", json={"score": 9})
    assert early.status_code == 409
    move(world, aid, "dispatched", "in_progress", "complete")
    assert c.get(f"/api/v1/portal/visits/{aid}").json()["survey_due"] is True
    bad = c.post(f"/api/v1/portal/appointments/{aid}/survey", json={"score": 9, "categories": ["Speed"]})
    assert bad.status_code == 422 and "categories" in bad.json()["error"]["message"]
    ok = c.post(f"/api/v1/portal/appointments/{aid}/survey",
                json={"score": 10, "categories": ["Punctuality"], "comment": "Great"})
    assert ok.status_code == 201 and ok.json()["kind"] == "nps"
    again = c.post(f"/api/v1/portal/appointments/{aid}/survey", json={"score": 3})
    assert again.status_code == 409
    assert c.get(f"/api/v1/portal/visits/{aid}").json()["survey"]["score"] == 10


def test_jobs_reach_portal_only_with_notifications_on(world) -> None:
    c = sign_in(world, world.cust1)
    assert c.get(f"/api/v1/portal/visits/{world.appt1['id']}").status_code == 200
    set_customer(world, world.cust1["id"], notifications_enabled=False)
    data = c.get("/api/v1/portal/schedule").json()
    assert data["today"] == data["upcoming"] == data["past"] == [] and data["notifications_enabled"] is False
    assert c.get(f"/api/v1/portal/visits/{world.appt1['id']}").status_code == 404
    before = len(world.dispatcher.get("/api/v1/notifications", params={"customer_id": world.cust1["id"]}).json())
    world.api.anon.post("/api/v1/portal/magic-link", json={"email": "ann@example.com"})
    after = len(world.dispatcher.get("/api/v1/notifications", params={"customer_id": world.cust1["id"]}).json())
    assert after == before


def test_portal_pages_need_sign_in_and_render(world) -> None:
    anon = httpx.Client(base_url=world.api.url)
    r = anon.get("/portal/schedule")
    assert r.status_code == 303 and r.headers["location"] == "/portal"
    assert anon.get("/api/v1/portal/schedule").status_code == 401
    login = anon.get("/portal")
    assert "Send me a sign-in link" in login.text and "script-src 'self'" in login.headers["content-security-policy"]
    sent = anon.post("/portal/login", data={"address": "nobody@example.com"})
    assert sent.status_code == 202 and "Check your messages" in sent.text
    logo = anon.get("/portal/logo.png")
    assert logo.status_code == 200 and logo.content[:4] == b"\x89PNG"
    anon.close()
    c = sign_in(world, world.cust1)
    page = c.get("/portal/schedule")
    assert page.status_code == 200 and "My Schedule" in page.text and "Leak repair" in page.text
    assert "Gate 4821" not in page.text
    visit = c.get(f"/portal/visits/{world.appt1['id']}")
    assert "Request Change" in visit.text and "Add a note or photo" in visit.text
    form = c.post(f"/portal/visits/{world.appt1['id']}/change", data={"message": "Later please"})
    assert form.status_code == 303 and "done=change" in form.headers["location"]
    out = c.post("/portal/logout")
    assert out.status_code == 303
    assert c.get("/api/v1/portal/schedule").status_code == 401


def test_dispatcher_chooses_shared_visit_photos(world) -> None:
    d = world.dispatcher
    aid = world.appt1["id"]
    ids = add_visit_data(world, aid, world.appt1["job_id"])
    photos = d.get(f"/api/v1/appointments/{aid}/photos").json()
    assert [(p["id"], p["shared_with_customer"]) for p in photos] == [(ids["shared_photo"], True),
                                                                      (ids["private_photo"], False)]
    assert d.get(photos[1]["url"]).headers["content-type"] == "image/png"
    c = sign_in(world, world.cust1)
    r = d.patch(f"/api/v1/appointments/{aid}/photos/{ids['private_photo']}", json={"shared_with_customer": True})
    assert r.status_code == 200 and r.json()["shared_with_customer"] is True
    d.patch(f"/api/v1/appointments/{aid}/photos/{ids['shared_photo']}", json={"shared_with_customer": False})
    assert [p["id"] for p in c.get(f"/api/v1/portal/visits/{aid}").json()["photos"]] == [ids["private_photo"]]
    assert d.patch(f"/api/v1/appointments/{world.appt2['id']}/photos/{ids['shared_photo']}",
                   json={"shared_with_customer": True}).status_code == 404
    bad = d.patch(f"/api/v1/appointments/{aid}/photos/{ids['shared_photo']}", json={"shared_with_customer": "x"})
    assert bad.status_code == 422 and "shared_with_customer" in bad.json()["error"]["message"]
    assert world.field1.get(f"/api/v1/appointments/{aid}/photos").status_code == 403
