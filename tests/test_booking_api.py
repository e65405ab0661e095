"""Booking requests over real HTTP: intake (JSON and the portal form), responses, customer answers, alerts."""

from __future__ import annotations

import html
import io
from typing import Any

from PIL import Image

from tests.booking_support import (
    at,
    day,
    form,
    image,
    jpeg_with_gps,
    portal_client,
    set_company,
    set_customer,
)
from tests.conftest import add_user, watchdog_passes


def _json_request(portal: Any, world: Any, **over: Any) -> Any:
    body = {"service_type": "Leak repair", "preferred_dates": [day(world, 2)], "time_preference": "afternoon",
            "notes": "Gate code is 4821"}
    body.update(over)
    return portal.post("/api/v1/portal/booking-requests", json=body)


def _form_post(portal: Any, data: dict[str, Any], files: list[tuple[str, bytes, str]] | None = None) -> Any:
    parts = [("photos", (n, b, t)) for n, b, t in (files or [])] or [("photos", ("", b"", "application/octet-stream"))]
    return portal.post("/portal/request", data=data, files=parts)


def _error(r: Any) -> dict[str, Any]:
    return r.json()["error"]


def test_json_request_reaches_the_dispatcher(world: Any) -> None:
    portal = portal_client(world, world.cust1["id"])
    r = _json_request(portal, world)
    assert r.status_code == 201, r.text
    mine = r.json()
    assert mine["state"] == "submitted" and mine["status_text"] == "Your request has been received"
    assert mine["address"] == "100 Congress Ave, Austin, TX 78701" and mine["can_cancel"]
    assert "customer_phone" not in mine and "proposed_technician_id" not in mine
    d = world.dispatcher
    listed = d.get("/api/v1/booking-requests").json()
    assert listed[0]["id"] == mine["id"] and listed[0]["customer_name"] == "Ann Lee"
    assert listed[0]["customer_phone"] == "+15125550199" and listed[0]["stale"] is False
    assert d.get("/api/v1/booking-requests", params={"state": "declined"}).json() == []
    detail = d.get(f"/api/v1/booking-requests/{mine['id']}").json()
    assert detail["notes"] == "Gate code is 4821" and detail["allowed_actions"] == ["review", "accept", "counter",
                                                                                    "decline"]
    assert portal.get("/api/v1/portal/booking-requests").json()[0]["id"] == mine["id"]


def test_portal_form_with_photos_strips_location_and_makes_thumbnails(world: Any) -> None:
    portal = portal_client(world, world.cust1["id"])
    import pillow_heif  # noqa: F401  (registers HEIF saving)

    heic = io.BytesIO()
    Image.new("RGB", (500, 400), "#5a5").save(heic, "HEIF")
    r = _form_post(portal, form(world), [("leak.jpg", jpeg_with_gps(), "image/jpeg"),
                                         ("IMG_0001.HEIC", heic.getvalue(), "image/heic"),
                                         ("pipe.webp", image("WEBP"), "image/webp")])
    assert r.status_code == 303, r.text
    page = portal.get(r.headers["location"])
    assert "Your request has been received" in page.text and "Thanks — your request was sent" in page.text
    req = world.dispatcher.get("/api/v1/booking-requests").json()[0]
    assert req["service_type"] == "Leak repair" and req["time_preference"] == "morning"
    assert req["preferred_dates"] == [day(world, 2), day(world, 3)]
    assert [p["content_type"] for p in req["photos"]] == ["image/jpeg", "image/jpeg", "image/webp"]
    full = world.dispatcher.get(req["photos"][0]["url"])
    assert full.status_code == 200 and full.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(full.content)) as img:
        assert not img.getexif() and "exif" not in img.info and img.size == (640, 480)
    assert b"Apple" not in full.content
    thumb = world.dispatcher.get(req["photos"][0]["thumbnail_url"])
    with Image.open(io.BytesIO(thumb.content)) as t:
        assert t.format == "JPEG" and max(t.size) <= 320
    # the customer sees their own thumbnails on the status page
    assert portal.get(f"/portal/requests/{req['id']}/photos/{req['photos'][0]['id']}/thumbnail").status_code == 200


def test_form_errors_keep_typed_values_and_uploaded_photos(world: Any) -> None:
    portal = portal_client(world, world.cust1["id"])
    r = _form_post(portal, form(world, preferred_dates=["", "", ""], notes="Dog is friendly",
                                use_other_address="1", address_other="42 Elm St, Austin"),
                   [("sink.png", image("PNG"), "image/png")])
    assert r.status_code == 422
    text = r.text
    assert 'id="preferred_dates-error"' in text and "Choose at least one preferred date." in text
    assert "Dog is friendly" in text and 'value="42 Elm St, Austin"' in text and "checked" in text
    assert 'value="Leak repair"' in text and "sink.png" in text
    token = text.split('name="kept" value="')[1].split('"')[0]
    assert portal.get(f"/portal/uploads/{token}/thumbnail").status_code == 200
    other = portal_client(world, world.cust2["id"])
    assert other.get(f"/portal/uploads/{token}/thumbnail").status_code == 404
    r = _form_post(portal, {**form(world, use_other_address="1", address_other="42 Elm St, Austin"), "kept": token})
    assert r.status_code == 303, r.text
    req = world.dispatcher.get("/api/v1/booking-requests").json()[0]
    assert len(req["photos"]) == 1 and req["address"] == "42 Elm St, Austin" and req["lat"] is None


def test_refused_dates(world: Any) -> None:
    portal = portal_client(world, world.cust1["id"])
    r = _json_request(portal, world, preferred_dates=[])
    assert r.status_code == 422 and _error(r)["details"][0]["field"] == "preferred_dates"
    r = _json_request(portal, world, preferred_dates=[day(world, n) for n in (1, 2, 3, 4)])
    assert r.status_code == 422 and "at most 3" in _error(r)["message"]
    r = _json_request(portal, world, preferred_dates=[day(world, -1)])
    assert r.status_code == 422 and "in the past" in _error(r)["message"]
    r = _form_post(portal, form(world, preferred_dates=[day(world, -2), "", ""]))
    assert r.status_code == 422 and "in the past; choose today or a later date" in r.text
    r = _json_request(portal, world, preferred_dates=["next tuesday"])
    assert r.status_code == 422 and "YYYY-MM-DD" in _error(r)["message"]


def test_refused_photos(world: Any) -> None:
    portal = portal_client(world, world.cust1["id"])
    four = [(f"p{i}.png", image("PNG", color=c), "image/png") for i, c in enumerate(["#a00", "#0a0", "#00a", "#aa0"])]
    r = portal.post("/api/v1/portal/booking-requests", data=form(world),
                    files=[("photos", f) for f in four])
    assert r.status_code == 422 and "at most 3 photos" in _error(r)["message"]
    big = jpeg_with_gps() + b"\0" * (11 * 1024 * 1024)
    r = portal.post("/api/v1/portal/booking-requests", data=form(world),
                    files=[("photos", ("big.jpg", big, "image/jpeg"))])
    assert r.status_code == 413 and "10 MB or smaller" in _error(r)["message"]
    fake = b"This is a text file, not a photo.\n" * 20
    r = portal.post("/api/v1/portal/booking-requests", data=form(world),
                    files=[("photos", ("holiday.jpg", fake, "image/jpeg"))])
    assert r.status_code == 422 and "holiday.jpg is not a JPEG, PNG, HEIC or WebP photo" in _error(r)["message"]
    r = _form_post(portal, form(world), [("notes.jpg", fake, "image/jpeg")])
    assert r.status_code == 422 and 'id="photos-error"' in r.text and "Under the kitchen sink." in r.text
    assert world.dispatcher.get("/api/v1/booking-requests").json() == []


def test_unknown_service_when_free_text_is_off(world: Any) -> None:
    set_company(world, bookable_services=["Leak repair", "AC tune-up"], free_text_services=False)
    portal = portal_client(world, world.cust1["id"])
    r = _json_request(portal, world, service_type="Build a treehouse")
    assert r.status_code == 422 and "not a service we book online" in _error(r)["message"]
    assert _json_request(portal, world, service_type="ac TUNE-up").json()["service_type"] == "AC tune-up"
    page = portal.get("/portal/request").text
    assert "Something else" not in page and '<option value="AC tune-up"' in page
    set_company(world, free_text_services=True)
    assert _json_request(portal, world, service_type="Build a treehouse").status_code == 201


def test_booking_off_or_onboarding_not_done(world: Any) -> None:
    set_company(world, phone="(512) 555-0142", email="office@example.com")
    portal = portal_client(world, world.cust1["id"])
    set_customer(world, world.cust1["id"], booking_allowed=False)
    r = _json_request(portal, world)
    assert r.status_code == 403 and "Online booking isn't available for your account" in _error(r)["message"]
    assert "(512) 555-0142" in _error(r)["message"]
    page = portal.get("/portal/request")
    assert "Online booking isn't available for your account" in html.unescape(page.text)
    assert 'href="tel:(512) 555-0142"' in page.text
    assert "<form class=\"card bk-form\"" not in page.text
    set_customer(world, world.cust1["id"], booking_allowed=None, onboarding_done=False)
    r = _json_request(portal, world)
    assert r.status_code == 403 and "account setup is finished" in _error(r)["message"]
    set_customer(world, world.cust1["id"], onboarding_done=True)
    set_company(world, booking_enabled=False)
    assert _json_request(portal, world).status_code == 403
    set_customer(world, world.cust1["id"], booking_allowed=True)
    assert _json_request(portal, world).status_code == 201


def test_preview_session_cannot_book(world: Any) -> None:
    preview = portal_client(world, world.cust1["id"], preview=True)
    r = _json_request(preview, world)
    assert r.status_code == 403 and "Preview" in _error(r)["message"]
    assert _form_post(preview, form(world)).status_code == 403


def test_accept_checks_the_technicians_schedule(world: Any) -> None:
    portal = portal_client(world, world.cust1["id"])
    req = _json_request(portal, world).json()
    d, tech = world.dispatcher, world.tech1
    busy = world.schedule(world.cust2["id"], tech["id"], start=at(day(world, 2), 9), hours=2)
    body = {"technician_id": tech["id"], "window_start": at(day(world, 2), 10).isoformat(),
            "window_end": at(day(world, 2), 12).isoformat()}
    r = d.post(f"/api/v1/booking-requests/{req['id']}/accept", json=body)
    assert r.status_code == 409, r.text
    err = _error(r)
    assert "Marcus Reed has a conflict at that time" in err["message"] and "Bob Diaz" in err["message"]
    assert "allow_overlap: true" in err["message"]
    assert err["details"]["conflicts"][0]["appointment_id"] == busy["id"]
    assert d.get(f"/api/v1/booking-requests/{req['id']}").json()["state"] == "submitted"  # nothing half-done
    r = d.post(f"/api/v1/booking-requests/{req['id']}/accept", json={**body, "allow_overlap": True,
                                                                     "message": "See you then!"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["state"] == "confirmed" and out["appointment_id"]
    appts = d.get("/api/v1/appointments", params={"date": day(world, 2), "technician_id": tech["id"]}).json()
    mine = next(a for a in appts if a["id"] == out["appointment_id"])
    assert mine["customer_name"] == "Ann Lee" and mine["service_type"] == "Leak repair"
    assert mine["status"] == "scheduled" and mine["source"] == "online_booking"
    notes = d.get("/api/v1/notifications", params={"customer_id": world.cust1["id"]}).json()
    sent = [n for n in notes if n["kind"] == "booking_confirmed"]
    assert len(sent) == 1 and "See you then!" in sent[0]["body"] and sent[0]["channel"] == "sms"
    assert portal.get(f"/api/v1/portal/booking-requests/{req['id']}").json()["can_cancel"] is False
    r = portal.post(f"/api/v1/portal/booking-requests/{req['id']}/cancel")
    assert r.status_code == 409 and "confirmed" in _error(r)["message"]


def test_accept_keeps_the_boards_rule_time_off_too(world: Any) -> None:
    """Accepting books a visit like the board does: time off (not only another visit) is a conflict."""
    add_user(world.api.server, "boss@example.com", "admin-pass-1", "admin", "Mike Boss")
    admin = world.api.login("boss@example.com", "admin-pass-1")
    tech = world.tech1["id"]
    off = {"starts_at": at(day(world, 3), 8).isoformat(), "ends_at": at(day(world, 3), 17).isoformat(),
           "reason": "training"}
    assert admin.post(f"/api/v1/technicians/{tech}/time-off", json=off).status_code == 201
    req = _json_request(portal_client(world, world.cust1["id"]), world).json()
    body = {"technician_id": tech, "window_start": at(day(world, 3), 10).isoformat(),
            "window_end": at(day(world, 3), 12).isoformat()}
    r = world.dispatcher.post(f"/api/v1/booking-requests/{req['id']}/accept", json=body)
    assert r.status_code == 409, r.text
    assert [c["kind"] for c in _error(r)["details"]["conflicts"]] == ["time_off"]
    assert world.dispatcher.get(f"/api/v1/booking-requests/{req['id']}").json()["state"] == "submitted"
    r = world.dispatcher.post(f"/api/v1/booking-requests/{req['id']}/accept", json={**body, "allow_overlap": True})
    assert r.status_code == 200 and r.json()["state"] == "confirmed"


def test_decline_needs_a_message_and_notifies(world: Any) -> None:
    set_customer(world, world.cust1["id"], notify_sms=False)
    portal = portal_client(world, world.cust1["id"])
    req = _json_request(portal, world).json()
    d = world.dispatcher
    r = d.post(f"/api/v1/booking-requests/{req['id']}/decline", json={"message": ""})
    assert r.status_code == 422 and _error(r)["details"][0]["field"] == "message"
    assert d.post(f"/api/v1/booking-requests/{req['id']}/review").json()["state"] == "under_review"
    assert "reviewing your request" in portal.get(f"/portal/requests/{req['id']}").text
    r = d.post(f"/api/v1/booking-requests/{req['id']}/decline", json={"message": "We don't service pools."})
    assert r.status_code == 200 and r.json()["state"] == "declined"
    note = next(n for n in d.get("/api/v1/notifications", params={"customer_id": world.cust1["id"]}).json()
                if n["kind"] == "booking_declined")
    assert note["channel"] == "email" and "We don't service pools." in note["body"]
    page = portal.get(f"/portal/requests/{req['id']}").text
    assert "We can&#39;t take this request" in page and "We don&#39;t service pools." in page
    # a counter-proposal on a declined request is refused with the allowed moves
    r = d.post(f"/api/v1/booking-requests/{req['id']}/counter", json={
        "proposed_start": at(day(world, 4), 9).isoformat(), "proposed_end": at(day(world, 4), 11).isoformat(),
        "message": "How about Thursday?"})
    assert r.status_code == 409 and _error(r)["code"] == "invalid_transition"
    assert "declined" in _error(r)["message"] and "Allowed now: none" in _error(r)["message"]


def test_counter_then_customer_decides(world: Any) -> None:
    portal = portal_client(world, world.cust1["id"])
    d = world.dispatcher
    first, second = _json_request(portal, world).json(), _json_request(portal, world).json()
    counter = {"proposed_start": at(day(world, 5), 13).isoformat(), "proposed_end": at(day(world, 5), 15).isoformat(),
               "message": "We're booked on your dates — would this work?", "technician_id": world.tech2["id"]}
    for req in (first, second):
        r = d.post(f"/api/v1/booking-requests/{req['id']}/counter", json=counter)
        assert r.status_code == 200 and r.json()["state"] == "counter_proposed"
    notes = [n for n in d.get("/api/v1/notifications", params={"customer_id": world.cust1["id"]}).json()
             if n["kind"] == "booking_counter_proposed"]
    assert len(notes) == 2 and f"/portal/requests/{first['id']}" in notes[-1]["body"] + notes[0]["body"]
    page = portal.get(f"/portal/requests/{first['id']}").text
    assert "Accept this time" in page and "would this work?" in page and "1:00 PM – 3:00 PM" in page
    r = portal.post(f"/portal/requests/{first['id']}/accept-counter")
    assert r.status_code == 303
    done = portal.get(f"/api/v1/portal/booking-requests/{first['id']}").json()
    assert done["state"] == "confirmed" and done["appointment_id"]
    appt = d.get(f"/api/v1/appointments/{done['appointment_id']}").json()
    assert appt["technician_id"] == world.tech2["id"] and appt["customer_name"] == "Ann Lee"
    r = portal.post(f"/api/v1/portal/booking-requests/{second['id']}/decline-counter")
    assert r.status_code == 200 and r.json()["state"] == "declined"
    r = portal.post(f"/api/v1/portal/booking-requests/{second['id']}/accept-counter")
    assert r.status_code == 409


def test_another_customers_request_is_not_found(world: Any) -> None:
    ann = portal_client(world, world.cust1["id"])
    bob = portal_client(world, world.cust2["id"])
    req = _json_request(ann, world).json()
    assert bob.get(f"/api/v1/portal/booking-requests/{req['id']}").status_code == 404
    for action in ("cancel", "accept-counter", "decline-counter"):
        r = bob.post(f"/api/v1/portal/booking-requests/{req['id']}/{action}")
        assert r.status_code == 404 and _error(r)["message"] == f"No booking request {req['id']}."
    assert bob.get(f"/portal/requests/{req['id']}").status_code == 404
    assert bob.post(f"/portal/requests/{req['id']}/cancel").status_code == 404
    assert bob.get("/api/v1/portal/booking-requests").json() == []
    assert ann.post(f"/api/v1/portal/booking-requests/{req['id']}/cancel").json()["state"] == "cancelled"


def test_stale_request_raises_one_alert(world: Any) -> None:
    portal = portal_client(world, world.cust1["id"])
    req = _json_request(portal, world).json()
    answered = _json_request(portal, world).json()
    d = world.dispatcher
    d.post(f"/api/v1/booking-requests/{answered['id']}/decline", json={"message": "Fully booked this month."})

    def stale() -> list[dict[str, Any]]:
        return [a for a in d.get("/api/v1/alerts").json() if a["kind"] == "booking_stale"]

    watchdog_passes(world.api.server)
    assert stale() == []
    world.api.server.backend.clock.advance(hours=49)
    watchdog_passes(world.api.server)
    watchdog_passes(world.api.server)  # and more passes after the one that raised it: still one alert
    alerts = stale()
    assert len(alerts) == 1 and alerts[0]["booking_request_id"] == req["id"]
    assert "Ann Lee" in alerts[0]["message"] and "no response for 49 hours" in alerts[0]["message"]
    assert alerts[0]["customer_name"] == "Ann Lee"  # structured, and no visit yet: no tech, window or ETA
    assert [alerts[0][k] for k in ("technician_id", "technician_name", "window_start", "eta_at")] == [None] * 4
    assert d.get(f"/api/v1/booking-requests/{req['id']}").json()["stale"] is True
    # answering resolves the reminder
    d.post(f"/api/v1/booking-requests/{req['id']}/decline", json={"message": "Sorry for the wait."})
    assert stale() == []
