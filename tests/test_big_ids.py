"""Ids no database column can hold never reach the database: 404 for any path id (every operation of
/openapi.json and the portal pages), 422 naming the field for a query or body id, and the kept-alive
connection stays open. Object ids are 32-bit integer columns on PostgreSQL, event ids 64-bit."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.portal_helpers import sign_in

HUGE = "9223372036854775808"  # 2**63: one more than the largest 64-bit id
BIG = "2147483648"  # 2**31: one more than the largest id of a PostgreSQL integer column
PAGES = ["/portal/visits/{id}", "/portal/requests/{id}", "/portal/documents/{id}", "/portal/documents/{id}/paid"]


def _int_path_operations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            ints = [p for p in op.get("parameters", []) if p["in"] == "path" and p["schema"].get("type") == "integer"]
            if ints:
                out.append((method.upper(), path))
    return out


@pytest.mark.parametrize("huge", [HUGE, BIG, "-" + BIG + "1"])
def test_every_path_id_beyond_the_columns_is_a_404(world, huge: str) -> None:
    d = world.dispatcher
    portal = sign_in(world, world.cust1)
    for c in (d, portal):  # signed in either way: the answer is the same 404
        c.headers["X-CSRF-Token"] = _csrf(world, portal)
    ops = _int_path_operations(d.get("/openapi.json").json())
    assert len(ops) > 40
    seen = []
    for method, path in ops:
        url = re.sub(r"\{[^}]+\}", huge, path)
        client = portal if "/portal/" in path else d
        r = client.request(method, url, json={})
        seen.append((method, path, r.status_code))
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["error"]["code"] == "not_found"
    for page in PAGES:
        r = portal.get(page.format(id=huge))
        assert r.status_code == 404, (page, r.text)
    # One connection served every answer (a 500 would have closed it).
    assert d.get("/healthz").status_code == 200
    assert len(seen) == len(ops)


def _csrf(world: Any, portal: Any) -> str:
    from services.backend import csrf

    return csrf.token_for(portal.cookies.get("dispatch_portal"))


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/appointments?technician_id={huge}", "technician_id"),
    ("/api/v1/appointments?technician_id=-6088443425", "technician_id"),
    ("/api/v1/notifications?appointment_id=2147483648", "appointment_id"),
    ("/api/v1/notifications?appointment_id={huge}", "appointment_id"),
    ("/api/v1/notifications?customer_id=-{huge}0", "customer_id"),
    ("/api/v1/notifications?limit={huge}", "limit"),
    ("/api/v1/events?after={huge}", "after"),
])
def test_a_query_id_beyond_the_columns_is_a_422_naming_it(world, path: str, field: str) -> None:
    r = world.dispatcher.get(path.format(huge=HUGE))
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["details"][0]["field"] == field and field in err["message"]


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/api/v1/jobs", {"customer_id": int(HUGE), "service_type": "Leak"}, "customer_id"),
    ("/api/v1/appointments", {"job_id": int(HUGE), "window_start": "2026-11-22T09:00:00Z",
                              "window_end": "2026-11-22T11:00:00Z"}, "job_id"),
    ("/api/v1/appointments", {"job_id": 1, "technician_id": 10**30, "window_start": "2026-11-22T09:00:00Z",
                              "window_end": "2026-11-22T11:00:00Z"}, "technician_id"),
    ("/api/v1/appointments", {"job_id": 2**31, "window_start": "2026-11-22T09:00:00Z",
                              "window_end": "2026-11-22T11:00:00Z"}, "job_id"),
    ("/api/v1/portal-preview", {"appointment_id": int(HUGE)}, "appointment_id"),
    ("/api/v1/jobs", {"customer_id": 1, "service_type": "Leak", "internal_cost_cents": 2**31},
     "internal_cost_cents"),
])
def test_a_body_id_beyond_the_columns_is_a_422_naming_it(world, path: str, body: dict[str, Any], field: str) -> None:
    r = world.dispatcher.post(path, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["field"] == field


def test_body_ids_of_the_portal_and_booking_are_bounded(world) -> None:
    portal = sign_in(world, world.cust1)
    r = portal.post("/api/v1/portal/change-requests", json={"appointment_id": int(HUGE), "message": "Later?"},
                    headers={"X-CSRF-Token": _csrf(world, portal)})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "appointment_id", r.text
    r = world.dispatcher.post("/api/v1/booking-requests/1/accept", json={
        "technician_id": int(HUGE), "window_start": "2026-11-22T09:00:00Z", "window_end": "2026-11-22T11:00:00Z"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "technician_id", r.text


def test_a_last_event_id_beyond_64_bits_is_a_422_before_the_stream_starts(world) -> None:
    r = world.dispatcher.get("/api/v1/events", headers={"Last-Event-ID": HUGE + "0"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "Last-Event-ID"
