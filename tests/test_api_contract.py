"""The served /openapi.json says what runs: real answers of a day's work (dispatcher, technician, customer
portal, tracker, and the errors each can meet) match the operation's documented status, content type, headers
and body; every operation declares its answer and its errors; a method a path does not have is a 405 naming
the ones it has."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from models.events import PAYLOADS, EventName
from services.backend.app import create_app
from services.backend.contract import api_routes, error_statuses
from services.backend.settings import Settings
from tests.booking_support import image, portal_client
from tests.contract_support import Contract
from tests.portal_helpers import add_visit_data
from tests.tracking_helpers import approach, ensure_tracker, post_fixes

ERROR_REF = "#/components/schemas/ErrorResponse"
NON_JSON = ("image/", "text/event-stream")


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    url = f"sqlite:///{tmp_path_factory.mktemp('spec') / 'spec.db'}"
    return create_app(Settings(db_url=url, run_background_jobs=False)).openapi()


def test_every_operation_declares_its_answer_and_its_errors(spec: dict[str, Any]) -> None:
    """A route added without a response model, or whose errors are not in the real error format, fails here."""
    problems = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            ok = [s for s in op["responses"] if s.startswith("2")]
            if not ok:
                problems.append(f"{where}: no success answer")
            for status in ok:
                content = op["responses"][status].get("content") or {}
                if status == "204" or (not content and "empty body" in op["responses"][status]["description"]):
                    continue  # no body, and documented so (Traccar Client's /osmand expects a 200 without one)
                json_schema = (content.get("application/json") or {}).get("schema") or {}
                if not json_schema.get("$ref") and json_schema.get("type") not in ("array", "object") \
                        and not any(k.startswith(NON_JSON) for k in content):
                    problems.append(f"{where} {status}: no response model ({content})")
                if json_schema.get("additionalProperties") is True or json_schema == {"type": "object"}:
                    problems.append(f"{where} {status}: a free-form object, not a model")
            errors = {s: r for s, r in op["responses"].items() if s[0] in "45"}
            if "422" not in errors:
                problems.append(f"{where}: 422 not documented")
            if "{" in path and "404" not in errors:
                problems.append(f"{where}: a path parameter but no 404")
            for status, r in errors.items():
                if (r.get("content") or {}).get("application/json", {}).get("schema", {}).get("$ref") != ERROR_REF:
                    problems.append(f"{where} {status}: not the error format")
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert not problems, "\n".join(problems)


def test_every_api_route_is_in_the_schema_with_its_dependencies_errors(tmp_path: Any) -> None:
    """Pages may stay out of /openapi.json; nothing under /api/ may. Signed-in routes document 401, role-limited
    ones 403, If-Match ones 412 and 428."""
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 'x.db'}", run_background_jobs=False))
    spec = app.openapi()
    for route in api_routes(app):
        if route.path_format.startswith("/api/"):
            assert route.include_in_schema, f"{route.path_format} is an API route missing from /openapi.json"
        if not route.include_in_schema:
            continue
        calls = {d.call.__name__ for d in _dependants(route.dependant)}
        for method in route.methods:
            documented = {int(s) for s in spec["paths"][route.path_format][method.lower()]["responses"]}
            assert error_statuses(route) <= documented
            if calls & {"current_user", "portal_user", "field_technician"}:
                assert 401 in documented, f"{method} {route.path_format}"
            if calls & {"dispatcher", "admin", "technician", "portal_writer", "field_technician"}:
                assert 403 in documented, f"{method} {route.path_format}"
            if any(p.alias == "If-Match" for d in _dependants(route.dependant) for p in d.header_params):
                assert {412, 428} <= documented, f"{method} {route.path_format}"


def _dependants(dep: Any) -> list[Any]:
    out = [dep]
    for d in dep.dependencies:
        out += _dependants(d)
    return out


def test_real_answers_match_the_served_schema(world: Any) -> None:
    api, d, field = world.api, world.dispatcher, world.field1
    contract = Contract(api.anon.get("/openapi.json").json())
    portal = portal_client(world, world.cust1["id"])
    for c in (api.anon, d, field, world.field2, portal):
        contract.watch(c)
    appt = world.appt1
    a_id, job_id = appt["id"], appt["job_id"]

    # Dispatcher: the day, people, the board, settings, the outbox.
    for path in ("/api/v1/appointments", f"/api/v1/appointments/{a_id}", "/api/v1/technicians",
                 f"/api/v1/technicians/{world.tech1['id']}", "/api/v1/customers",
                 f"/api/v1/customers/{world.cust1['id']}", "/api/v1/company", "/api/v1/settings", "/api/v1/alerts",
                 "/api/v1/notifications", "/api/v1/crew/positions", f"/api/v1/appointments/{a_id}/reassign-candidates",
                 f"/api/v1/crew/{world.tech1['id']}/breadcrumbs", "/api/v1/availability", "/api/v1/schedule/week",
                 "/api/v1/appointments/search?q=Ann", f"/api/v1/technicians/{world.tech1['id']}/hours",
                 f"/api/v1/technicians/{world.tech1['id']}/time-off", f"/api/v1/jobs/{job_id}/contacts",
                 f"/api/v1/appointments/{a_id}/photos", "/api/v1/users/locked", "/api/v1/booking-requests",
                 "/api/v1/auth/me", "/healthz"):
        assert d.get(path).status_code == 200, path
    d.post(f"/api/v1/jobs/{job_id}/contacts", json={"name": "Pat", "phone": "+15125550100"})
    d.post("/api/v1/appointments/check", json={"technician_id": world.tech1["id"], "window_start": appt["window_start"],
                                               "window_end": appt["window_end"]})
    d.post("/api/v1/portal-preview", json={"appointment_id": a_id})
    d.post(f"/api/v1/appointments/{a_id}/message-tech", json={"message": "Gate code 4821"})
    d.patch(f"/api/v1/customers/{world.cust2['id']}", json={"booking_allowed": True})
    # Conditional writes: without If-Match (428), with a stale one (412), then right.
    later = datetime.fromisoformat(appt["window_start"]) + timedelta(minutes=30)
    assert d.patch(f"/api/v1/appointments/{a_id}", json={"window_start": later.isoformat()}).status_code == 428
    stale = d.patch(f"/api/v1/appointments/{a_id}", json={"window_start": later.isoformat()},
                    headers={"If-Match": '"999"'})
    assert stale.status_code == 412
    etag = d.get(f"/api/v1/appointments/{a_id}").headers["ETag"]
    assert d.patch(f"/api/v1/appointments/{a_id}", json={"window_start": later.isoformat()},
                   headers={"If-Match": etag}).status_code == 200
    # Refusals: a transition the machine refuses (409), bad input (422), unknown ids (404), wrong roles.
    b_id = world.appt2["id"]
    etag = d.get(f"/api/v1/appointments/{b_id}").headers["ETag"]
    assert d.post(f"/api/v1/appointments/{b_id}/status", json={"status": "paused", "customer_message": "x"},
                  headers={"If-Match": etag}).status_code == 409
    assert d.post("/api/v1/appointments", json={"job_id": job_id, "window_start": "soon"}).status_code == 422
    assert d.get("/api/v1/appointments?date=1.5e-61").status_code == 422
    assert d.get("/api/v1/appointments/999999").status_code == 404
    assert d.post("/api/v1/technicians", content=b'{"name": "\xff"}', headers={"content-type": "application/json"}
                  ).status_code == 400
    assert field.get("/api/v1/technicians").status_code == 403
    assert api.anon.get("/api/v1/appointments").status_code == 401
    assert api.anon.post("/api/v1/auth/login", json={"email": "dana@example.com", "password": "nope"}
                         ).status_code == 401

    # Technician: the day, a bio, On My Way, driving to the site (arrival by geofence), Start, Complete.
    assert field.get("/api/v1/field/appointments").status_code == 200
    field.put("/api/v1/field/bio", json={"bio": "Licensed plumber, 12 years."})
    d.post(f"/api/v1/technicians/{world.tech1['id']}/bio/approve")
    field.post(f"/api/v1/field/appointments/{a_id}/confirm")
    field.post(f"/api/v1/field/appointments/{a_id}/on-my-way")
    token = ensure_tracker(api.server, a_id)
    site = (world.cust1["lat"], world.cust1["lng"])
    fixes = approach(site, datetime.now(UTC) - timedelta(minutes=10))
    key = uuid.uuid4().hex
    post_fixes(field, fixes[:20], key)
    post_fixes(field, fixes[:20], key)  # the replay answers the first result again
    assert api.anon.get(f"/api/v1/tracker/{token}").json()["state"] == "en_route"
    contract.watch(api.anon).post(f"/api/v1/tracker/{token}/push-subscriptions", json={
        "endpoint": "https://push.example.com/send/abc123", "keys": {"p256dh": "B" * 40, "auth": "A" * 16}})
    post_fixes(field, fixes[20:])
    assert world.field2.post(f"/api/v1/field/appointments/{a_id}/start").status_code == 404  # not theirs
    field.post(f"/api/v1/field/appointments/{a_id}/start")
    field.post(f"/api/v1/field/appointments/{a_id}/complete")
    assert field.post(f"/api/v1/field/appointments/{a_id}/pause", json={"customer_message": "x"}).status_code == 409
    d.get(f"/api/v1/appointments/{a_id}")

    # Customer portal: My Schedule, the visit with its documents, a note with a photo, feedback, a booking.
    visit = add_visit_data(world, a_id, job_id)
    for path in ("/api/v1/portal/schedule", f"/api/v1/portal/visits/{a_id}", f"/api/v1/portal/jobs/{job_id}/activity",
                 "/api/v1/portal/documents", f"/api/v1/portal/documents/{visit['estimate']}",
                 "/api/v1/portal/preferences", "/api/v1/portal/change-requests", "/api/v1/portal/booking-requests",
                 f"/api/v1/portal/visits/{a_id}/photos/{visit['shared_photo']}"):
        assert portal.get(path).status_code == 200, path
    assert portal.get(f"/api/v1/portal/visits/{world.appt2['id']}").status_code == 404  # someone else's
    portal.post(f"/api/v1/portal/appointments/{a_id}/survey", json={"score": 5, "comment": "Great"})
    portal.post(f"/api/v1/portal/documents/{visit['estimate']}/approve")
    portal.post(f"/api/v1/portal/documents/{visit['invoice']}/checkout")  # 409: online payment not set up
    portal.put("/api/v1/portal/preferences", json={"quiet_hours_start": "21:00", "quiet_hours_end": "07:00"})
    portal.post("/api/v1/portal/change-requests", json={"appointment_id": world.appt2["id"], "message": "Later?"})
    other = world.schedule(world.cust1["id"], world.tech1["id"], datetime.now(UTC) + timedelta(days=2))
    portal.post("/api/v1/portal/change-requests", json={"appointment_id": other["id"], "message": "Later?"})
    portal.post(f"/api/v1/portal/appointments/{other['id']}/notes", data={"text": "Dog in the yard"},
                files={"photo": ("gate.png", image(), "image/png")})
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    r = portal.post("/api/v1/portal/booking-requests", json={
        "service_type": "Drain cleaning", "preferred_dates": [day], "time_preference": "morning"})
    assert r.status_code == 201, r.text
    req = r.json()["id"]
    portal.post("/api/v1/portal/booking-requests", content=b"x", headers={"content-type": "text/plain"})  # 415
    d.get(f"/api/v1/booking-requests/{req}")
    d.post(f"/api/v1/booking-requests/{req}/review")
    d.post(f"/api/v1/booking-requests/{req}/counter", json={
        "proposed_start": f"{day}T15:00:00Z", "proposed_end": f"{day}T17:00:00Z", "message": "Afternoon works?"})
    assert portal.get(f"/api/v1/portal/booking-requests/{req}").json()["state"] == "counter_proposed"
    portal.post(f"/api/v1/portal/booking-requests/{req}/accept-counter")
    assert portal.post(f"/api/v1/portal/booking-requests/{req}/cancel").status_code == 409
    assert portal.post("/api/v1/portal/logout", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert api.anon.get("/api/v1/portal/schedule").status_code == 401
    api.anon.post("/api/v1/portal/magic-link", json={"email": world.cust1["email"]})
    d.get("/api/v1/alerts?open=false")
    assert api.anon.get("/api/v1/tracker/not-a-real-token-at-all-000000").status_code == 404
    assert portal.post("/api/v1/portal/logout").status_code == 204

    statuses = {s.status for s in contract.seen}
    assert {200, 201, 202, 204, 400, 401, 403, 404, 409, 412, 415, 422, 428} <= statuses, statuses
    assert len({(s.method, s.template) for s in contract.seen}) >= 70
    assert not contract.problems, "\n".join(contract.problems)


def test_a_method_a_path_does_not_have_is_a_405_naming_the_ones_it_has(world: Any, spec: dict[str, Any]) -> None:
    anon: httpx.Client = world.api.anon
    for path in spec["paths"]:
        concrete = path.replace("{", "").replace("}", "")  # any value routes the same
        # /appointments/search is also /appointments/{appt_id} to the router: both paths' methods are allowed
        documented = sorted({m.upper() for rx, p in _templates(spec) if re.fullmatch(rx, concrete)
                             for m in spec["paths"][p]})
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - set(documented)):
            r = anon.request(method, concrete)
            assert r.status_code == 405, f"{method} {path}: {r.status_code}"
            assert r.headers["allow"] == ", ".join(documented), f"{method} {path}"
            assert r.json()["error"]["code"] == "method_not_allowed"


def _templates(spec: dict[str, Any]) -> list[tuple[str, str]]:
    return [("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$", p) for p in spec["paths"]]


def test_every_event_has_a_payload_model() -> None:
    assert set(PAYLOADS) == set(EventName)


def test_the_contract_document_names_every_operation_and_event(spec: dict[str, Any]) -> None:
    """docs/api.md stays true to the code: a new operation or event without a line there fails here."""
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [f"{m.upper()} {p}" for p, item in spec["paths"].items() for m in item if f"`{m.upper()} {p}`" not in doc]
    missing += [f"event {e.value}" for e in EventName if f"`{e.value}`" not in doc]
    assert not missing, "not in docs/api.md:\n" + "\n".join(missing)


def test_field_app_pairing_and_traccar_answers_match_the_served_schema(world: Any) -> None:
    """A technician's day in the field app (job list and detail, a note, a photo, the profile, GPS batches sent
    after a time offline), the dispatcher pairing phones and reading team notes, and Traccar Client reports."""
    api, d, field = world.api, world.dispatcher, world.field1
    contract = Contract(api.anon.get("/openapi.json").json())
    portal = portal_client(world, world.cust1["id"])
    for c in (api.anon, d, field, world.field2, portal):
        contract.watch(c)
    a_id, tech = world.appt1["id"], world.tech1["id"]
    portal.post(f"/api/v1/portal/appointments/{a_id}/notes", data={"text": "The gate sticks"},
                files={"photo": ("gate.png", image(), "image/png")})

    # Dispatcher: can phones reach us, a pairing link, a Traccar Client device id, the devices, team notes.
    assert d.get("/api/v1/field-access").status_code == 200
    assert d.post(f"/api/v1/technicians/{tech}/pairing-links").status_code == 201
    r = d.post(f"/api/v1/technicians/{tech}/devices", json={"label": "Van tablet"})
    assert r.status_code == 201, r.text
    device, secret = r.json()["device"]["id"], r.json()["device_id"]
    assert d.post(f"/api/v1/appointments/{a_id}/team-notes", json={"text": "Bring the long ladder"}).status_code == 201
    assert d.post(f"/api/v1/appointments/{a_id}/team-notes", json={"text": ""}).status_code == 422
    assert d.get("/api/v1/technicians/999999/devices").status_code == 404
    assert field.get(f"/api/v1/technicians/{tech}/devices").status_code == 403

    # Technician: the day, one job in full, a note, a photo, the profile and a new headshot.
    assert field.get("/api/v1/field/appointments").status_code == 200
    field.post(f"/api/v1/field/appointments/{a_id}/confirm")
    key = uuid.uuid4().hex
    assert field.post(f"/api/v1/field/appointments/{a_id}/notes", json={"text": "Parts ordered"},
                      headers={"Idempotency-Key": key}).status_code == 201
    assert field.post(f"/api/v1/field/appointments/{a_id}/notes", json={"text": "Parts ordered"},
                      headers={"Idempotency-Key": key}).status_code == 201  # the replay answers the same note
    r = field.post(f"/api/v1/field/appointments/{a_id}/photos", data={"caption": "Old valve"},
                   files={"photo": ("valve.jpg", image("JPEG"), "image/jpeg")})
    assert r.status_code == 201, r.text
    assert field.post(f"/api/v1/field/appointments/{a_id}/photos", files={"photo": ("x.png", b"nope", "image/png")}
                      ).status_code == 422
    job = field.get(f"/api/v1/field/appointments/{a_id}")
    assert job.status_code == 200 and job.headers["ETag"] == f'"{job.json()["version"]}"'
    urls = [p["url"] for p in job.json()["photos"]] + [u for n in job.json()["customer_notes"] for u in n["photos"]]
    assert len(urls) == 2, job.json()
    for url in urls:
        assert field.get(url).status_code == 200, url
    assert world.field2.get(f"/api/v1/field/appointments/{a_id}").status_code == 404  # not theirs
    # A booking request with a photo, accepted for this technician: the job shows what the customer sent.
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    r = portal.post("/api/v1/portal/booking-requests", files={"photos": ("sink.png", image(), "image/png")}, data={
        "service_type": "Leak repair", "preferred_dates": day, "time_preference": "morning", "notes": "Under the sink"})
    assert r.status_code == 201, r.text
    r = d.post(f"/api/v1/booking-requests/{r.json()['id']}/accept", json={
        "technician_id": tech, "window_start": f"{day}T15:00:00Z", "window_end": f"{day}T17:00:00Z"})
    booked = field.get(f"/api/v1/field/appointments/{r.json()['appointment_id']}").json()
    assert [len(n["photos"]) for n in booked["customer_notes"]] == [1], booked["customer_notes"]
    assert field.get(booked["customer_notes"][0]["photos"][0]).status_code == 200
    assert field.get(f"/api/v1/field/appointments/{a_id}/photos/999999").status_code == 404
    assert field.get("/api/v1/field/profile/photo").status_code == 404  # none approved yet
    assert field.put("/api/v1/field/profile/photo", files={"photo": ("me.png", image(), "image/png")}
                     ).status_code == 200
    assert field.get("/api/v1/field/profile/photo?pending=1").status_code == 200
    assert field.get("/api/v1/field/profile").status_code == 200
    assert api.anon.get("/api/v1/field/profile").status_code == 401
    assert d.get("/api/v1/field/appointments").status_code == 403

    # Back online: the batches kept on the phone, in order, one of them already sent before.
    start = datetime.now(UTC) - timedelta(minutes=20)
    far = [{"lat": 30.20 + i / 1000, "lng": -97.80, "accuracy_m": 8.0,
            "recorded_at": (start + timedelta(seconds=30 * i)).isoformat()} for i in range(6)]
    sent = uuid.uuid4().hex
    post_fixes(field, far[:2], sent)
    r = field.post("/api/v1/field/positions/batches", json={"batches": [
        {"key": sent, "positions": far[:2]}, {"key": uuid.uuid4().hex, "positions": far[2:4]},
        {"key": key, "positions": far[4:]}]})  # the note's key: refused for this batch alone
    assert r.status_code == 200 and [b["status"] for b in r.json()["results"]] == [200, 200, 422], r.text
    assert r.json()["results"][0]["result"]["replayed"] is True
    assert field.post("/api/v1/field/positions", json={"positions": far[4:]}, headers={"Idempotency-Key": key}
                      ).status_code == 422
    assert field.post("/api/v1/field/positions/batches", json={"batches": []}).status_code == 422

    # Traccar Client: the query form, the form body, the JSON body of 9+, a heartbeat, then refusals.
    when = datetime.now(UTC) - timedelta(minutes=5)
    assert api.anon.get(f"/osmand?id={secret}&lat=30.25&lon=-97.75&timestamp={int(when.timestamp())}&speed=20"
                        "&accuracy=5&batt=80").status_code == 200
    assert api.anon.post("/osmand", data={"id": secret, "lat": "30.251", "lon": "-97.75",
                                          "timestamp": str(int(when.timestamp()) + 15)}).status_code == 200
    assert api.anon.post("/osmand", json={"device_id": secret, "location": {
        "timestamp": (when + timedelta(seconds=30)).isoformat(), "coords": {"latitude": 30.252, "longitude": -97.75,
                                                                         "accuracy": 4.8, "speed": 8.0},
        "battery": {"level": 0.6, "is_charging": True}}}).status_code == 200
    assert api.anon.post("/osmand", json={"device_id": secret, "location": {"battery": {"level": 0.5}}}
                         ).status_code == 200
    assert api.anon.get(f"/osmand?id={secret}&lat=95&lon=-97.75").status_code == 400
    assert api.anon.post("/osmand", content=b"{", headers={"content-type": "application/json"}).status_code == 400
    assert api.anon.post("/osmand", content=b"x" * 1_000_001,
                         headers={"content-type": "application/json"}).status_code == 413
    assert d.get(f"/api/v1/technicians/{tech}/devices").status_code == 200
    assert d.post(f"/api/v1/technicians/{tech}/devices/{device}/revoke").status_code == 200
    assert api.anon.get(f"/osmand?id={secret}&lat=30.25&lon=-97.75").status_code == 404
    assert d.post(f"/api/v1/technicians/{tech}/devices/999999/revoke").status_code == 404
    assert d.get(f"/api/v1/appointments/{a_id}/team-notes").status_code == 200

    exercised = {(s.method, s.template) for s in contract.seen}
    for method, path in (
            ("GET", "/api/v1/field/appointments/{appt_id}"), ("POST", "/api/v1/field/appointments/{appt_id}/notes"),
            ("POST", "/api/v1/field/appointments/{appt_id}/photos"),
            ("GET", "/api/v1/field/appointments/{appt_id}/photos/{photo_id}"),
            ("GET", "/api/v1/field/appointments/{appt_id}/customer-notes/{note_id}/photo"),
            ("GET", "/api/v1/field/appointments/{appt_id}/booking-photos/{photo_id}"),
            ("GET", "/api/v1/field/profile"), ("GET", "/api/v1/field/profile/photo"),
            ("PUT", "/api/v1/field/profile/photo"), ("POST", "/api/v1/field/positions/batches"),
            ("GET", "/osmand"), ("POST", "/osmand"), ("GET", "/api/v1/field-access"),
            ("POST", "/api/v1/technicians/{tech_id}/pairing-links"), ("GET", "/api/v1/technicians/{tech_id}/devices"),
            ("POST", "/api/v1/technicians/{tech_id}/devices"),
            ("POST", "/api/v1/technicians/{tech_id}/devices/{device_id}/revoke"),
            ("GET", "/api/v1/appointments/{appt_id}/team-notes"),
            ("POST", "/api/v1/appointments/{appt_id}/team-notes")):
        assert (method, path) in exercised, f"{method} {path} not exercised"
    assert {200, 201, 400, 401, 403, 404, 413, 422} <= {s.status for s in contract.seen}
    assert not contract.problems, "\n".join(contract.problems)
