"""Traccar Client through the OsmAnd endpoint: recorded bodies of both forms, speed units, unknown and revoked
device ids, an arrival made by Traccar fixes alone, and the source shown to dispatchers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models import osmand
from services.backend.embedded import EmbeddedServer
from tests.conftest import Api, World
from tests.tracking_helpers import approach, notes, offset, wait_for

SITE = (30.2650, -97.7440)  # customer 1 in the World fixture

# As Traccar Client up to 8.x sends it: everything in the query string, empty body, speed in knots.
QUERY_FORM = ("/osmand?id={id}&timestamp={ts}&lat={lat}&lon={lon}&speed={kn}&bearing=182.0&altitude=151.0"
              "&accuracy=4.0&batt=87.0")


def json_form(device: str, lat: float, lng: float, when: datetime, speed_mps: float = -1.0) -> dict[str, Any]:
    """As Traccar Client 9+ posts it (its location template; speed in m/s, -1 when unknown)."""
    iso = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return {
        "location": {
            "timestamp": iso,
            "coords": {"latitude": lat, "longitude": lng, "accuracy": 4.8, "speed": speed_mps, "heading": -1,
                       "altitude": 151.2},
            "is_moving": speed_mps > 0, "odometer": 1234, "event": "motionchange",
            "battery": {"level": 0.64, "is_charging": False}, "activity": {"type": "in_vehicle"},
            "extras": {}, "_": f"&id={device}&lat={lat}&lon={lng}&timestamp={iso}&",
        },
        "device_id": device,
    }


def traccar_device(world: World) -> tuple[int, str]:
    r = world.dispatcher.post(f"/api/v1/technicians/{world.tech1['id']}/devices", json={"label": "Marcus's phone"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body["device_id"]) * 6 >= 128 and body["server_url"].endswith("/osmand")
    assert body["config_url"].startswith(body["server_url"] + "?id=" + body["device_id"])
    return body["device"]["id"], body["device_id"]


def status(world: World) -> str:
    return world.dispatcher.get(f"/api/v1/appointments/{world.appt1['id']}").json()["status"]


def dispatched(world: World) -> None:
    assert world.field1.post(f"/api/v1/field/appointments/{world.appt1['id']}/confirm").status_code == 200


@pytest.mark.parametrize(("knots", "arrives"), [(8.0, True), (10.0, False)])
def test_query_form_speed_is_knots(world: World, api: Api, server: EmbeddedServer, knots: float,
                                   arrives: bool) -> None:
    """One certain fix in the driveway counts as parked at ≤ 4.5 m/s: 8 kn = 4.1 m/s does, 10 kn = 5.1 m/s not."""
    _, device = traccar_device(world)
    dispatched(world)
    lat, lng = offset(SITE, 5, -10)
    ts = int(server.backend.clock.now().timestamp())
    r = api.anon.post(QUERY_FORM.format(id=device, ts=ts, lat=lat, lon=lng, kn=knots))
    assert r.status_code == 200 and r.content == b""
    assert status(world) == ("arrived" if arrives else "dispatched")


@pytest.mark.parametrize(("mps", "arrives"), [(4.0, True), (5.0, False)])
def test_json_form_speed_is_metres_per_second(world: World, api: Api, server: EmbeddedServer, mps: float,
                                              arrives: bool) -> None:
    _, device = traccar_device(world)
    dispatched(world)
    lat, lng = offset(SITE, 5, -10)
    r = api.anon.post("/osmand", json=json_form(device, lat, lng, server.backend.clock.now(), mps))
    assert r.status_code == 200 and r.content == b""
    assert status(world) == ("arrived" if arrives else "dispatched")


def test_form_body_get_and_timestamp_forms_are_accepted(world: World, api: Api, server: EmbeddedServer) -> None:
    dev_id, device = traccar_device(world)
    now = server.backend.clock.now().replace(microsecond=0)
    stamps = [str(int((now - timedelta(seconds=40)).timestamp())),
              str(int((now - timedelta(seconds=30)).timestamp() * 1000)),
              (now - timedelta(seconds=20)).isoformat().replace("+00:00", "Z"),
              (now - timedelta(seconds=10)).strftime("%Y-%m-%d %H:%M:%S")]
    lat, lng = offset(SITE, 0, -3000)
    form = {"deviceid": device, "lat": str(lat), "lon": str(lng), "timestamp": stamps[0], "accuracy": "6"}
    assert api.anon.post("/osmand", data=form).status_code == 200
    for ts in stamps[1:]:
        r = api.anon.get("/osmand", params={"id": device, "lat": lat, "lon": lng, "timestamp": ts})
        assert r.status_code == 200, r.text
    crumbs = world.dispatcher.get(f"/api/v1/crew/{world.tech1['id']}/breadcrumbs").json()
    assert [c["recorded_at"][:19] for c in crumbs] == [
        (now - timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%S") for s in (40, 30, 20, 10)]
    future = (now + timedelta(hours=2)).isoformat()
    r = api.anon.get("/osmand", params={"id": device, "lat": lat, "lon": lng, "timestamp": future})
    assert r.status_code == 400 and r.json()["error"]["details"][0]["field"] == "timestamp"
    assert api.anon.get("/osmand", params={"id": device, "lat": 95, "lon": lng}).status_code == 400
    assert api.anon.post("/osmand", content=b"{not json", headers={"Content-Type": "application/json"}
                         ).status_code == 400


def test_unknown_and_revoked_ids_learn_nothing(world: World, api: Api, server: EmbeddedServer) -> None:
    dev_id, device = traccar_device(world)
    body = json_form(device, *SITE, server.backend.clock.now())
    assert api.anon.post("/osmand", json=body).status_code == 200
    unknown = api.anon.post("/osmand", json=json_form("x" * 43, *SITE, server.backend.clock.now()))
    assert unknown.status_code == 404
    revoke = world.dispatcher.post(f"/api/v1/technicians/{world.tech1['id']}/devices/{dev_id}/revoke")
    assert revoke.status_code == 200
    revoked = api.anon.post("/osmand", json=json_form(device, *SITE, server.backend.clock.now()))
    assert revoked.status_code == 404 and revoked.json() == unknown.json()
    q = api.anon.get("/osmand", params={"id": device, "lat": SITE[0], "lon": SITE[1]})
    assert q.status_code == 404 and q.json() == unknown.json()
    missing = api.anon.get("/osmand", params={"lat": SITE[0], "lon": SITE[1]})
    assert missing.status_code == 400 and missing.json()["error"]["details"][0]["field"] == "id"


def test_traccar_fixes_alone_make_the_arrival(world: World, api: Api, server: EmbeddedServer) -> None:
    """En route by the app, then only Traccar Client reports: the geofence arrival, the ping and the source."""
    dev_id, device = traccar_device(world)
    appt = world.appt1["id"]
    dispatched(world)
    assert world.field1.post(f"/api/v1/field/appointments/{appt}/on-my-way").status_code == 200
    for f in approach(SITE, server.backend.clock.now() - timedelta(minutes=5)):
        when = datetime.fromisoformat(f["recorded_at"])
        r = api.anon.post("/osmand", json=json_form(device, f["lat"], f["lng"], when))
        assert r.status_code == 200, r.text
    assert status(world) == "arrived"
    hist = world.dispatcher.get(f"/api/v1/appointments/{appt}").json()["history"]
    assert (hist[-1]["to_status"], hist[-1]["source"]) == ("arrived", "geofence")
    wait_for(lambda: any(n["kind"] == "arrived" for n in notes(world.dispatcher, appt)))
    crew = {p["technician_id"]: p for p in world.dispatcher.get("/api/v1/crew/positions").json()}
    assert crew[world.tech1["id"]]["source"] == "traccar"
    assert crew[world.tech1["id"]]["source_label"] == "Traccar Client"
    dev = next(d for d in world.dispatcher.get(f"/api/v1/technicians/{world.tech1['id']}/devices").json()
               if d["id"] == dev_id)
    assert dev["last_fix_source_label"] == "Traccar Client" and dev["battery_pct"] == 64.0
    assert dev["last_fix_at"] is not None and dev["charging"] is False
    cands = world.dispatcher.get(f"/api/v1/appointments/{world.appt2['id']}/reassign-candidates").json()
    assert next(c for c in cands if c["technician_id"] == world.tech1["id"])["last_fix_source_label"] == \
        "Traccar Client"


def test_parse_rules() -> None:
    now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    r = osmand.parse_params({"id": "abc", "lat": "30.1", "lon": "-97.2", "speed": "10", "batt": "55",
                             "timestamp": str(int(now.timestamp()))}, now)
    assert r.fixes[0].speed_mps == pytest.approx(5.14444, abs=1e-4) and r.battery_pct == 55
    assert r.fixes[0].recorded_at == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert r.fixes[0].accuracy_m is None  # the ingest then assumes osmand.UNKNOWN_ACCURACY_M
    r = osmand.parse_params({"id": "abc", "location": "30.1,-97.2"}, now)
    assert (r.fixes[0].lat, r.fixes[0].lng, r.fixes[0].recorded_at) == (30.1, -97.2, now)
    assert osmand.parse_params({"id": "abc", "batt": "40"}, now).fixes == []  # a heartbeat
    assert osmand.parse_params({"id": "abc", "lat": "0", "lon": "0.0"}, now).fixes == []  # "no fix", not the Atlantic
    j = osmand.parse_json({"location": [{"timestamp": "2026-11-30T14:59:00Z",
                                         "coords": {"latitude": 1, "longitude": 2, "accuracy": 3, "speed": -1,
                                                    "heading": -1, "altitude": 0}}],
                           "device_id": "dev"}, now)
    assert j.fixes[0].speed_mps is None and j.fixes[0].bearing is None
    no_root_id = json_form("from-underscore", 1.0, 2.0, now)
    del no_root_id["device_id"]
    assert osmand.parse_json(no_root_id, now).device_id == "from-underscore"
    with pytest.raises(osmand.OsmAndError):
        osmand.parse_params({"id": "abc", "lat": "x", "lon": "1"}, now)
