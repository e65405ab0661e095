"""The field API the phone app uses: If-Match / Idempotency-Key on actions, cookie sessions with CSRF, pairing
links, revoking a phone, job details and their privacy, notes and photos reaching the console, profile approval,
live updates scoped to the tech. Over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select

from models.tables import CustomerNote, JobContact, StatusEvent
from services.backend.embedded import EmbeddedServer
from tests.conftest import Api, World
from tests.field_helpers import FieldSse, Phone, today_start
from tests.tracking_helpers import approach, post_fixes

SITE = (30.2650, -97.7440)  # customer 1 in the World fixture


def _jpeg(w: int = 640, h: int = 480, color: str = "#3366aa") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, "JPEG")
    return buf.getvalue()


def _events(server: EmbeddedServer, appt_id: int) -> int:
    with server.backend.sessions() as s:
        return int(s.scalar(select(func.count(StatusEvent.id)).where(StatusEvent.appointment_id == appt_id)) or 0)


def test_action_retry_with_the_same_key_gets_the_first_answer(world: World, server: EmbeddedServer) -> None:
    appt = world.appt1["id"]
    f1, key = world.field1, uuid.uuid4().hex
    r1 = f1.post(f"/api/v1/field/appointments/{appt}/confirm", headers={"Idempotency-Key": key, "If-Match": '"1"'})
    assert r1.status_code == 200, r1.text
    assert r1.json()["status"] == "dispatched" and r1.json()["version"] == 2
    assert [a["action"] for a in r1.json()["actions"]] == ["on-my-way", "start"]
    # The answer was lost on the way; the phone retries with the same key and the same If-Match.
    r2 = f1.post(f"/api/v1/field/appointments/{appt}/confirm", headers={"Idempotency-Key": key, "If-Match": '"1"'})
    assert r2.status_code == 200 and r2.json() == r1.json()
    assert _events(server, appt) == 1
    # The same key for another request is refused, naming the header.
    r3 = f1.post(f"/api/v1/field/appointments/{appt}/start", headers={"Idempotency-Key": key})
    assert r3.status_code == 422 and r3.json()["error"]["details"][0]["field"] == "Idempotency-Key"


def test_stale_if_match_after_a_dispatcher_change_is_412_in_words(world: World) -> None:
    appt = world.appt1["id"]
    d, f1 = world.dispatcher, world.field1
    assert f1.post(f"/api/v1/field/appointments/{appt}/confirm").json()["version"] == 2
    back = d.post(f"/api/v1/appointments/{appt}/status", headers={"If-Match": '"2"'},
                  json={"status": "scheduled", "reason": "Customer asked to wait"})
    assert back.status_code == 200
    r = f1.post(f"/api/v1/field/appointments/{appt}/on-my-way", headers={"If-Match": '"2"',
                                                                           "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 412
    err = r.json()["error"]
    assert err["code"] == "version_mismatch" and r.headers["etag"] == '"3"'
    assert "Dana Dispatcher changed this job first" in err["message"] and "Scheduled" in err["message"]
    assert err["details"]["current"]["status"] == "scheduled"
    assert "internal_cost_cents" not in err["details"]["current"]
    assert f1.post(f"/api/v1/field/appointments/{appt}/on-my-way", headers={"If-Match": 'W/"x"'}).status_code == 422


def test_own_and_system_changes_since_the_version_seen_are_no_conflict(world: World, server: EmbeddedServer) -> None:
    """Offline replay: positions queued before a Start record the arrival first; the Start still applies."""
    appt = world.appt1["id"]
    f1 = world.field1
    f1.post(f"/api/v1/field/appointments/{appt}/confirm")
    seen = f1.post(f"/api/v1/field/appointments/{appt}/on-my-way").json()["version"]
    post_fixes(f1, approach(SITE, server.backend.clock.now() - timedelta(minutes=10)))
    assert world.dispatcher.get(f"/api/v1/appointments/{appt}").json()["status"] == "arrived"  # by the geofence
    r = f1.post(f"/api/v1/field/appointments/{appt}/start", headers={"If-Match": f'"{seen}"'})
    assert r.status_code == 200, r.text
    # Complete queued right after the offline Start carries the version the phone expected (seen + 1).
    r = f1.post(f"/api/v1/field/appointments/{appt}/complete", headers={"If-Match": f'"{seen + 1}"'})
    assert r.status_code == 200 and r.json()["status"] == "complete", r.text


def test_cookie_session_needs_the_csrf_token_and_only_sees_own_jobs(world: World, api: Api) -> None:
    phone = Phone(api.url)
    try:
        assert phone.sign_in("marcus@example.com", "techpass1").status_code == 303
        jobs = phone.get("/api/v1/field/appointments").json()
        assert [j["id"] for j in jobs] == [world.appt1["id"]] or world.appt1["id"] in [j["id"] for j in jobs]
        appt = world.appt1["id"]
        bare = phone.http.post(f"/api/v1/field/appointments/{appt}/confirm")
        assert bare.status_code == 403 and bare.json()["error"]["details"][0]["field"] == "csrf_token"
        assert phone.post(f"/api/v1/field/appointments/{appt}/confirm").status_code == 200
        other = world.appt2["id"]
        assert phone.get(f"/api/v1/field/appointments/{other}").status_code == 404
        assert phone.post(f"/api/v1/field/appointments/{other}/confirm").status_code == 404
        # A dispatcher cannot use the field app's sign-in.
        d = Phone(api.url)
        r = d.sign_in("dana@example.com", "dispatch123")
        assert r.status_code == 403 and "Dispatch Console" in r.text
        d.close()
        assert Phone(api.url).sign_in("marcus@example.com", "wrong-password").status_code == 401
    finally:
        phone.close()


def test_sign_in_form_without_its_csrf_token_is_refused(api: Api, world: World) -> None:
    with_cookie = Phone(api.url)
    with_cookie.http.get("/field/login")
    r = with_cookie.http.post("/field/login", data={"email": "marcus@example.com", "password": "techpass1"})
    assert r.status_code == 403 and "expired" in r.text and "dispatch_field" not in r.cookies
    with_cookie.close()


def test_pairing_link_signs_a_phone_in_once_within_ten_minutes(world: World, api: Api, server: EmbeddedServer
                                                               ) -> None:
    d = world.dispatcher
    # A technician added without a password can still be paired.
    tech = d.post("/api/v1/technicians", json={"name": "Priya Nair", "phone": "+15125550103"}).json()
    link = d.post(f"/api/v1/technicians/{tech['id']}/pairing-links")
    assert link.status_code == 201, link.text
    body = link.json()
    token = body["url"].rsplit("/", 1)[1]
    assert body["url"].startswith(api.url + "/field/pair/") and len(token) * 6 >= 128
    assert body["expires_in_s"] == 600 and body["access"]["reachable"] is False  # loopback: no phone can reach it
    phone = Phone(api.url)
    page = phone.get(f"/field/pair/{token}")
    assert page.status_code == 200 and "Priya Nair" in page.text
    assert phone.pair(body["url"]).status_code == 303
    assert phone.get("/api/v1/field/profile").json()["name"] == "Priya Nair"
    again = Phone(api.url)
    assert again.get(f"/field/pair/{token}").status_code == 410  # single use
    late = d.post(f"/api/v1/technicians/{tech['id']}/pairing-links").json()
    server.backend.clock.advance(minutes=11)
    assert again.get("/field/pair/" + late["url"].rsplit("/", 1)[1]).status_code == 410
    assert "expired" in again.get("/field/pair/" + late["url"].rsplit("/", 1)[1]).text
    phone.close()
    again.close()


def test_revoking_a_phone_signs_it_out_at_once(world: World, api: Api) -> None:
    d = world.dispatcher
    phone = Phone(api.url)
    phone.http.headers["User-Agent"] = "Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile Safari/537.36"
    phone.sign_in("marcus@example.com", "techpass1")
    devices = d.get(f"/api/v1/technicians/{world.tech1['id']}/devices").json()
    assert len(devices) == 1 and devices[0]["kind"] == "field_app" and devices[0]["label"] == "Chrome on Android"
    assert phone.get("/api/v1/field/appointments").status_code == 200
    r = d.post(f"/api/v1/technicians/{world.tech1['id']}/devices/{devices[0]['id']}/revoke")
    assert r.status_code == 200 and r.json()["revoked"] is True and r.json()["revoked_by"] == "Dana Dispatcher"
    assert phone.get("/api/v1/field/appointments").status_code == 401
    assert phone.get("/field").headers["location"] == "/field/login"
    other = d.post(f"/api/v1/technicians/{world.tech2['id']}/devices/{devices[0]['id']}/revoke")
    assert other.status_code == 404
    phone.close()


def test_sign_out_ends_the_session(world: World, api: Api) -> None:
    phone = Phone(api.url)
    phone.sign_in("marcus@example.com", "techpass1")
    r = phone.http.post("/field/logout", data={"csrf_token": phone.csrf})
    assert r.status_code == 303 and r.headers["location"] == "/field/login"
    assert "storage" in r.headers.get("clear-site-data", "")
    phone.http.cookies.clear()
    dev = world.dispatcher.get(f"/api/v1/technicians/{world.tech1['id']}/devices").json()[0]
    assert dev["revoked"] and dev["revoked_by"] == "signed out on the phone"
    phone.close()


def test_job_details_notes_and_photos_reach_the_console(world: World, api: Api, server: EmbeddedServer) -> None:
    appt = world.appt1["id"]
    d, f1 = world.dispatcher, world.field1
    with server.backend.sessions() as s:
        s.add(JobContact(job_id=world.appt1["job_id"], name="Tom Lee", phone="+15125550111", relation="tenant",
                         created_at=server.backend.clock.now()))
        s.add(CustomerNote(appointment_id=appt, customer_id=world.cust1["id"], text="Dog in the yard",
                           photo=_jpeg(), photo_content_type="image/jpeg", created_at=server.backend.clock.now()))
        s.commit()
    assert d.post(f"/api/v1/appointments/{appt}/team-notes", json={"text": "Bring the long ladder"}).status_code == 201
    r = f1.get(f"/api/v1/field/appointments/{appt}")
    assert r.status_code == 200 and r.headers["etag"] == f'"{r.json()["version"]}"'
    job = r.json()
    assert job["description"] == "Kitchen sink drips" and job["internal_notes"] == "Gate 4821"
    assert job["full_address"] == "100 Congress Ave, Austin, TX 78701"
    assert job["directions"]["android"].startswith("geo:30.265000,-97.744000")
    assert job["directions"]["ios"].startswith("https://maps.apple.com/?daddr=30.265000")
    assert job["directions"]["web"].startswith("https://www.google.com/maps/dir/?api=1&destination=30.265000")
    assert job["customer"]["phone"] == "+15125550199"
    assert job["contacts"] == [{"name": "Tom Lee", "phone": "+15125550111", "email": "", "relation": "tenant"}]
    assert [n["text"] for n in job["team_notes"]] == ["Bring the long ladder"]
    cust = job["customer_notes"][0]
    assert cust["text"] == "Dog in the yard" and f1.get(cust["photos"][0]).headers["content-type"] == "image/jpeg"
    assert "internal_cost_cents" not in job
    # The tech's note and photo show on the console's card; the photo stays with the team until shared.
    key = uuid.uuid4().hex
    n1 = f1.post(f"/api/v1/field/appointments/{appt}/notes", json={"text": "Replaced the P-trap"},
                 headers={"Idempotency-Key": key})
    n2 = f1.post(f"/api/v1/field/appointments/{appt}/notes", json={"text": "Replaced the P-trap"},
                 headers={"Idempotency-Key": key})
    assert n1.status_code == 201 and n2.json() == n1.json()
    notes = d.get(f"/api/v1/appointments/{appt}/team-notes").json()
    assert [(n["author_name"], n["text"]) for n in notes] == [("Dana Dispatcher", "Bring the long ladder"),
                                                              ("Marcus Reed", "Replaced the P-trap")]
    p = f1.post(f"/api/v1/field/appointments/{appt}/photos", files={"photo": ("after.jpg", _jpeg(), "image/jpeg")},
                data={"caption": "After repair"}, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert p.status_code == 201, p.text
    listed = d.get(f"/api/v1/appointments/{appt}/photos").json()
    assert [(x["caption"], x["shared_with_customer"]) for x in listed] == [("After repair", False)]
    bad = f1.post(f"/api/v1/field/appointments/{appt}/photos",
                  files={"photo": ("x.jpg", b"not an image", "image/jpeg")})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "photo"
    assert world.field2.get(f"/api/v1/field/appointments/{appt}/photos/{p.json()['id']}").status_code == 404


def test_profile_photo_and_bio_wait_for_approval(world: World) -> None:
    d, f1, tid = world.dispatcher, world.field1, world.tech1["id"]
    assert f1.get("/api/v1/field/profile").json()["bio_status"] == "none"
    r = f1.put("/api/v1/field/profile/photo", files={"photo": ("me.jpg", _jpeg(900, 1200), "image/jpeg")})
    assert r.status_code == 200 and r.json()["bio_status"] == "pending"
    assert r.json()["bio_status_text"] == "Waiting for approval by the office." and r.json()["photo_url"] is None
    assert d.get(f"/api/v1/technicians/{tid}").json()["photo_pending_url"].endswith("pending=true")
    assert d.get(f"/api/v1/technicians/{tid}/photo").status_code == 404  # customers see nothing new yet
    assert d.get(f"/api/v1/technicians/{tid}/photo", params={"pending": "true"}).status_code == 200
    d.post(f"/api/v1/technicians/{tid}/bio/approve")
    prof = f1.get("/api/v1/field/profile").json()
    assert prof["bio_status"] == "approved" and prof["photo_url"] and prof["photo_pending_url"] is None
    with Image.open(io.BytesIO(f1.get(prof["photo_url"]).content)) as img:
        assert img.size == (512, 512)
    f1.put("/api/v1/field/bio", json={"bio": "Ten years of plumbing"})
    d.post(f"/api/v1/technicians/{tid}/bio/reject", json={"reason": "Please add your specialty"})
    prof = f1.get("/api/v1/field/profile").json()
    assert prof["bio_status"] == "rejected" and prof["bio_reject_reason"] == "Please add your specialty"


def test_live_updates_carry_only_the_techs_own_jobs(world: World, api: Api, server: EmbeddedServer) -> None:
    d = world.dispatcher
    phone = Phone(api.url)
    phone.sign_in("marcus@example.com", "techpass1")
    sse = FieldSse(phone)
    try:
        a2 = world.appt2
        d.post(f"/api/v1/appointments/{a2['id']}/status", headers={"If-Match": '"1"'}, json={"status": "dispatched"})
        new = world.schedule(world.cust2["id"], world.tech1["id"], start=today_start(server, 120))
        _, data = sse.wait_for(lambda e: e[0] == "jobs.changed" and new["id"] in e[1]["ids"])
        assert a2["id"] not in data["ids"]
        # Taken away from Marcus: he is told too (the job leaves his list).
        d.patch(f"/api/v1/appointments/{new['id']}", headers={"If-Match": '"1"'},
                json={"technician_id": world.tech2["id"], "allow_conflicts": True})
        sse.wait_for(lambda e: e[0] == "jobs.changed" and new["id"] in e[1]["ids"] and len(sse.events) >= 2)
        assert all(a2["id"] not in e[1].get("ids", []) for e in sse.events)
    finally:
        sse.close()
        phone.close()


def test_field_sign_in_is_throttled_like_every_password_sign_in(world: World, api: Api,
                                                                server: EmbeddedServer) -> None:
    phone = Phone(api.url)
    tries = server.backend.settings.login_account_attempts
    answers = [phone.sign_in("marcus@example.com", f"wrong-{i}").status_code for i in range(tries + 1)]
    assert answers[:tries] == [401] * tries and answers[-1] == 429
    locked = phone.sign_in("marcus@example.com", "techpass1")  # even the right password waits now
    assert locked.status_code == 429 and "Too many sign-in attempts" in locked.text
    phone.close()
