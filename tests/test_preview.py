"""Console portal preview: short-lived single-use URL, read-only session (403 on every write), audit log."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from models.tables import AuditLog
from tests.portal_helpers import add_visit_data, move, preview_client, sends_csrf


def _writes(ids: dict[str, int]) -> list[tuple[str, str, dict]]:
    appt, est, inv = ids["appt"], ids["estimate"], ids["invoice"]
    return [
        ("POST", "/api/v1/portal/change-requests", {"json": {"appointment_id": appt, "message": "x"}}),
        ("POST", f"/api/v1/portal/appointments/{appt}/notes", {"json": {"text": "x"}}),
        ("POST", f"/api/v1/portal/appointments/{appt}/survey", {"json": {"score": 5}}),
        ("POST", f"/api/v1/portal/documents/{est}/approve", {}),
        ("POST", f"/api/v1/portal/documents/{inv}/checkout", {}),
        ("POST", "/api/v1/portal/booking-requests", {"json": {}}),
        ("POST", "/api/v1/portal/booking-requests/1/cancel", {}),
        ("POST", "/api/v1/portal/booking-requests/1/accept-counter", {}),
        ("POST", "/api/v1/portal/booking-requests/1/decline-counter", {}),
        ("PUT", "/api/v1/portal/preferences", {"json": {}}),
        ("POST", f"/portal/visits/{appt}/note", {"data": {"text": "x"}}),
        ("POST", f"/portal/visits/{appt}/change", {"data": {"message": "x"}}),
        ("POST", f"/portal/visits/{appt}/survey", {"data": {"score": "5"}}),
        ("POST", f"/portal/documents/{est}/approve", {}),
        ("POST", f"/portal/documents/{inv}/pay", {}),
    ]


def test_preview_url_single_use_read_only_and_audited(world) -> None:
    d = world.dispatcher
    aid = world.appt1["id"]
    ids = {"appt": aid, **add_visit_data(world, aid, world.appt1["job_id"])}
    r = d.post("/api/v1/portal-preview", json={"customer_id": world.cust1["id"]})
    assert r.status_code == 201
    url, expires = r.json()["url"], r.json()["expires_at"]
    assert url.startswith(world.api.url + "/portal/preview/") and expires
    c = sends_csrf(httpx.Client(base_url=world.api.url, timeout=15))  # the refusal is the preview's, not CSRF's
    first = c.get(url)
    assert first.status_code == 303 and first.headers["location"] == "/portal/schedule"
    assert "httponly" in first.headers["set-cookie"].lower()
    page = c.get("/portal/schedule")
    assert "Preview — actions disabled" in page.text and "Ann Lee".split()[0] in page.text
    again = httpx.get(url)
    assert again.status_code == 410
    # Every write — mine and the other portal features' — is refused with 403, and nothing changes.
    for method, path, kwargs in _writes(ids):
        resp = c.request(method, path, **kwargs)
        assert resp.status_code == 403, (method, path, resp.status_code, resp.text[:200])
        assert "Preview" in resp.text
    assert d.get("/api/v1/alerts", params={"open": "true"}).json() == [] or all(
        a["kind"] not in ("change_request", "customer_note", "estimate_approved")
        for a in d.get("/api/v1/alerts", params={"open": "true"}).json())
    with world.api.server.backend.sessions() as s:
        actions = [a.action for a in s.scalars(select(AuditLog).where(AuditLog.target_id == world.cust1["id"]))]
    assert actions.count("portal.preview_created") == 1 and actions.count("portal.preview_opened") == 1
    c.close()


def test_preview_of_appointment_opens_visit_or_tracker(world) -> None:
    d = world.dispatcher
    aid = world.appt2["id"]
    c = preview_client(world, appointment_id=aid)
    assert "Bob" in c.get("/portal/schedule").text
    r = d.post("/api/v1/portal-preview", json={"appointment_id": aid}).json()
    first = httpx.get(r["url"])
    assert first.headers["location"] == f"/portal/visits/{aid}"
    move(world, aid, "dispatched", "en_route")
    r = d.post("/api/v1/portal-preview", json={"appointment_id": aid}).json()
    assert httpx.get(r["url"]).headers["location"].startswith("/tracker/")


def test_preview_validation_and_roles(world) -> None:
    d = world.dispatcher
    both = d.post("/api/v1/portal-preview", json={"customer_id": 1, "appointment_id": 1})
    assert both.status_code == 422 and "exactly one" in both.json()["error"]["message"]
    missing = d.post("/api/v1/portal-preview", json={"customer_id": 99999})
    assert missing.status_code == 422 and "customer_id" in missing.json()["error"]["message"]
    assert world.field1.post("/api/v1/portal-preview", json={"customer_id": 1}).status_code == 403
    assert world.api.anon.post("/api/v1/portal-preview", json={"customer_id": 1}).status_code == 401
    # A preview link cannot be used as a customer sign-in link and vice versa.
    url = d.post("/api/v1/portal-preview", json={"customer_id": world.cust1["id"]}).json()["url"]
    token = url.rsplit("/", 1)[1]
    assert httpx.get(f"{world.api.url}/portal/login/{token}").status_code == 410


def test_preview_expires(world) -> None:
    url = world.dispatcher.post("/api/v1/portal-preview", json={"customer_id": world.cust1["id"]}).json()["url"]
    world.api.server.backend.clock.advance(minutes=11)
    assert httpx.get(url).status_code == 410
