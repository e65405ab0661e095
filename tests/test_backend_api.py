"""The backend over real HTTP on loopback (SQLite and PostgreSQL): auth, roles, statuses, audit, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import Api, World


def _etag(c: httpx.Client, appt_id: int) -> str:
    r = c.get(f"/api/v1/appointments/{appt_id}")
    assert r.status_code == 200
    return r.headers["ETag"]


def _error(r: httpx.Response, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_login_bad_password_is_401_with_clear_message(api: Api, world: World) -> None:
    err = _error(api.anon.post("/api/v1/auth/login", json={"email": "dana@example.com", "password": "nope"}), 401)
    assert "email or password" in err["message"]
    _error(api.anon.get("/api/v1/appointments"), 401, "unauthorized")
    _error(api.anon.get("/api/v1/appointments", headers={"Authorization": "Bearer forged"}), 401)
    ok = api.anon.post("/api/v1/auth/login", json={"email": "DANA@example.com", "password": "dispatch123"})
    assert ok.status_code == 200 and ok.json()["user"]["role"] == "dispatcher"


def test_role_rules(world: World) -> None:
    # Technician on dispatcher endpoints → 403.
    for path in ("/api/v1/appointments", "/api/v1/technicians", "/api/v1/customers", "/api/v1/alerts",
                 "/api/v1/notifications", "/api/v1/crew/positions"):
        _error(world.field1.get(path), 403, "forbidden")
    _error(world.field1.post(f"/api/v1/appointments/{world.appt1['id']}/status", json={"status": "dispatched"},
                             headers={"If-Match": '"1"'}), 403)
    # Technician touching another tech's appointment → 404, and nothing changes.
    for action in ("confirm", "on-my-way", "start", "complete"):
        _error(world.field1.post(f"/api/v1/field/appointments/{world.appt2['id']}/{action}"), 404, "not_found")
    assert world.dispatcher.get(f"/api/v1/appointments/{world.appt2['id']}").json()["status"] == "scheduled"
    mine = world.field1.get("/api/v1/field/appointments").json()
    assert [a["id"] for a in mine] == [world.appt1["id"]]
    # Dispatcher on the field API → 403.
    _error(world.dispatcher.get("/api/v1/field/appointments"), 403)


def test_status_rules_and_if_match(world: World) -> None:
    d, a = world.dispatcher, world.appt1
    url = f"/api/v1/appointments/{a['id']}/status"
    _error(d.post(url, json={"status": "dispatched"}), 428, "precondition_required")
    _error(d.post(url, json={"status": "dispatched"}, headers={"If-Match": '"99"'}), 412, "version_mismatch")
    etag = _etag(d, a["id"])
    r = d.post(url, json={"status": "dispatched"}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["status"] == "dispatched"
    assert r.headers["ETag"] != etag
    # The old ETag is now stale: someone else changed it first.
    err = _error(d.post(url, json={"status": "en_route"}, headers={"If-Match": etag}), 412)
    assert err["details"]["updated_by"] == "Dana Dispatcher"
    # Backward correction needs a reason.
    etag = _etag(d, a["id"])
    r = d.post(url, json={"status": "en_route"}, headers={"If-Match": etag})
    etag = r.headers["ETag"]
    err = _error(d.post(url, json={"status": "dispatched"}, headers={"If-Match": etag}), 422)
    assert err["details"][0]["field"] == "reason"
    r = d.post(url, json={"status": "dispatched", "reason": "Tech tapped On My Way by mistake"},
               headers={"If-Match": etag})
    assert r.status_code == 200
    # Tech: a refused transition is a 409 naming the allowed ones.
    err = _error(world.field1.post(f"/api/v1/field/appointments/{a['id']}/complete"), 409, "invalid_transition")
    assert "en_route" in err["message"] and "in_progress" in err["message"]
    assert set(err["details"]["allowed"]) == {"en_route", "in_progress"}
    # Pause needs the customer-facing message.
    assert world.field1.post(f"/api/v1/field/appointments/{a['id']}/start").status_code == 200
    _error(world.field1.post(f"/api/v1/field/appointments/{a['id']}/pause", json={}), 422)
    r = world.field1.post(f"/api/v1/field/appointments/{a['id']}/pause",
                          json={"customer_message": "Part ordered, back Thursday"})
    assert r.status_code == 200 and r.json()["status"] == "paused"
    # Final states stay final.
    etag = _etag(d, a["id"])
    assert d.post(url, json={"status": "complete"}, headers={"If-Match": etag}).status_code == 200
    etag = _etag(d, a["id"])
    err = _error(d.post(url, json={"status": "scheduled", "reason": "x"}, headers={"If-Match": etag}), 409)
    assert "none" in err["message"]


def test_every_change_is_audited(world: World) -> None:
    d, a = world.dispatcher, world.appt1
    f = world.field1
    f.post(f"/api/v1/field/appointments/{a['id']}/confirm")
    f.post(f"/api/v1/field/appointments/{a['id']}/on-my-way")
    etag = _etag(d, a["id"])
    d.post(f"/api/v1/appointments/{a['id']}/status", json={"status": "arrived"}, headers={"If-Match": etag})
    hist = d.get(f"/api/v1/appointments/{a['id']}").json()["history"]
    assert [(h["from_status"], h["to_status"], h["actor"], h["source"]) for h in hist] == [
        ("scheduled", "dispatched", "technician", "field_app"),
        ("dispatched", "en_route", "technician", "field_app"),
        ("en_route", "arrived", "dispatcher", "console"),
    ]
    assert hist[2]["actor_name"] == "Dana Dispatcher" and hist[2]["actor_id"] is not None
    assert all(h["created_at"] for h in hist)


def test_side_effects_fire_once_even_when_retried_or_corrected(world: World) -> None:
    d, a, f = world.dispatcher, world.appt1, world.field1
    f.post(f"/api/v1/field/appointments/{a['id']}/confirm")
    for _ in range(3):  # a retried tap changes nothing
        assert f.post(f"/api/v1/field/appointments/{a['id']}/on-my-way").status_code == 200
    etag = _etag(d, a["id"])
    d.post(f"/api/v1/appointments/{a['id']}/status", json={"status": "dispatched", "reason": "wrong job"},
           headers={"If-Match": etag})
    f.post(f"/api/v1/field/appointments/{a['id']}/on-my-way")
    notes = d.get(f"/api/v1/notifications?appointment_id={a['id']}").json()
    en_route = [n for n in notes if n["kind"] == "en_route"]
    assert len(en_route) == 1
    assert "is on the way — arriving around" in en_route[0]["body"] and "/tracker/" in en_route[0]["body"]
    hist = d.get(f"/api/v1/appointments/{a['id']}").json()["history"]
    assert [h["to_status"] for h in hist] == ["dispatched", "en_route", "dispatched", "en_route"]


def test_reassign_and_reschedule_need_if_match_and_are_audited(world: World) -> None:
    d, a = world.dispatcher, world.appt1
    url = f"/api/v1/appointments/{a['id']}"
    _error(d.patch(url, json={"technician_id": world.tech2["id"]}), 428)
    etag = _etag(d, a["id"])
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    r = d.patch(url, json={"technician_id": world.tech2["id"], "window_start": start.isoformat(),
                           "window_end": (start + timedelta(hours=3)).isoformat()}, headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["technician_id"] == world.tech2["id"] and body["technician_name"] == "Elena Torres"
    assert datetime.fromisoformat(body["window_start"].replace("Z", "+00:00")) == start
    _error(d.patch(url, json={"technician_id": world.tech1["id"]}, headers={"If-Match": etag}), 412)
    _error(d.patch(url, json={"technician_id": 999999}, headers={"If-Match": r.headers["ETag"]}), 422)
    # The new tech sees it; the old one gets a 404.
    assert world.field1.post(f"/api/v1/field/appointments/{a['id']}/confirm").status_code == 404
    notes = d.get(f"/api/v1/notifications?appointment_id={a['id']}").json()
    assert {"tech_assigned", "appointment_rescheduled"} <= {n["kind"] for n in notes}


def test_bad_input_is_422_in_the_api_format_never_500(world: World) -> None:
    d = world.dispatcher
    url = f"/api/v1/appointments/{world.appt1['id']}/status"
    h = {"If-Match": '"1"', "Content-Type": "application/json"}
    err = _error(d.post(url, content=b"{not json", headers=h), 422, "validation_error")
    assert "JSON" in err["message"]
    err = _error(d.post(url, json={"status": 7}, headers=h), 422)
    assert err["details"][0]["field"] == "status"
    err = _error(d.post(url, json={"status": "teleported"}, headers=h), 422)
    assert "scheduled" in err["message"]
    err = _error(d.post("/api/v1/appointments", json={"job_id": "abc", "window_start": "tomorrow",
                                                       "window_end": 5}), 422)
    fields = {x["field"] for x in err["details"]}
    assert {"job_id", "window_start", "window_end"} <= fields
    naive = datetime.now().replace(microsecond=0).isoformat()
    err = _error(d.post("/api/v1/appointments", json={"job_id": 1, "window_start": naive, "window_end": naive}), 422)
    assert "time zone" in err["message"]
    _error(d.post("/api/v1/customers", json=[1, 2]), 422)
    _error(d.post("/api/v1/customers", content=b"", headers={"Content-Type": "application/json"}), 422)
    _error(d.get("/api/v1/appointments?date=22-11-2026"), 422)
    _error(d.get("/api/v1/appointments/abc"), 422)
    _error(d.get("/api/v1/appointments/424242"), 404, "not_found")
    _error(d.get("/api/v1/no-such-thing"), 404)
    _error(d.delete("/api/v1/appointments"), 405)
    _error(d.post("/api/v1/jobs", json={"customer_id": 99999, "service_type": "x"}), 422)
    _error(world.field1.post("/api/v1/field/positions", json={"positions": [{"lat": 200, "lng": 0,
                                                               "accuracy_m": 5, "recorded_at": "x"}]}), 422)


def test_openapi_lists_the_contract_paths(api: Api) -> None:
    spec = api.anon.get("/openapi.json").json()
    for path in ("/api/v1/auth/login", "/api/v1/technicians", "/api/v1/technicians/{tech_id}/bio/approve",
                 "/api/v1/customers", "/api/v1/jobs", "/api/v1/appointments", "/api/v1/appointments/{appt_id}",
                 "/api/v1/appointments/{appt_id}/status", "/api/v1/alerts", "/api/v1/notifications",
                 "/api/v1/crew/positions", "/api/v1/events", "/api/v1/field/appointments",
                 "/api/v1/field/positions", "/api/v1/field/bio", "/healthz"):
        assert path in spec["paths"], path
    assert api.anon.get("/healthz").json()["status"] == "ok"
