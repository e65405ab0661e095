"""Geocoding: Nominatim, Google and Mapbox against fake HTTP servers; the endpoint, its cache and its errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.backend.clock import OffsetClock
from services.backend.embedded import EmbeddedServer
from services.geocode import GeocodeError, Google, Mapbox, Nominatim, normalise_query, wait_turn
from tests.conftest import Api, World, add_user, make_settings
from tests.fakeservers import FakeHttp, query

CONGRESS = {"display_name": "100, Congress Avenue, Austin, Travis County, Texas, 78701, United States",
            "lat": "30.2650", "lon": "-97.7440"}


def nominatim_handler(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
    q = query(path).get("q", "").lower()
    if not path.startswith("/search"):
        return 404, {"error": "no such path"}
    return 200, [CONGRESS] if "congress" in q else []


@pytest.fixture
def nominatim() -> Iterator[FakeHttp]:
    times: list[float] = []

    def h(*a: Any) -> tuple[int, Any]:
        times.append(time.monotonic())
        return nominatim_handler(*a)

    fake = FakeHttp(h)
    fake.times = times  # type: ignore[attr-defined]
    yield fake
    fake.close()


@pytest.fixture
def admin(api: Api, world: World) -> httpx.Client:
    add_user(api.server, "boss@example.com", "admin-pass-1", "admin", "Mike Boss")
    return api.login("boss@example.com", "admin-pass-1")


def test_nominatim_provider_respects_the_usage_policy(nominatim: FakeHttp) -> None:
    geo = Nominatim(nominatim.url, email="ops@mikes.example", country="US",
                    user_agent="DispatchConsole/1.0 (Mike's Contracting; ops@mikes.example)")
    found = geo.search("100 Congress Ave, Austin")
    assert found[0].label.startswith("100, Congress Avenue") and (found[0].lat, found[0].lng) == (30.265, -97.744)
    assert geo.search("nowhere at all") == []
    req = nominatim.requests[0]
    assert req["headers"]["user-agent"] == "DispatchConsole/1.0 (Mike's Contracting; ops@mikes.example)"
    params = query(req["path"])
    assert params == {"q": "100 Congress Ave, Austin", "format": "jsonv2", "limit": "5",
                      "email": "ops@mikes.example", "countrycodes": "us"}
    gap = nominatim.times[1] - nominatim.times[0]  # type: ignore[attr-defined]
    assert gap >= 0.95, f"two requests {gap:.2f} s apart; the policy allows one per second"
    geo.close()


def test_providers_say_what_went_wrong() -> None:
    down = Nominatim("http://127.0.0.1:9", min_interval_s=0)
    with pytest.raises(GeocodeError, match="Can't reach Nominatim"):
        down.search("100 Congress Ave")
    refused = FakeHttp(lambda *a: (403, {"error": "blocked"}))
    try:
        with pytest.raises(GeocodeError, match="refused the request"):
            Nominatim(refused.url, min_interval_s=0).search("100 Congress Ave")
    finally:
        refused.close()
    with pytest.raises(GeocodeError, match="needs an API key"):
        Google("").search("100 Congress Ave")
    with pytest.raises(GeocodeError, match="needs an access token"):
        Mapbox("").search("100 Congress Ave")


def test_google_provider() -> None:
    def h(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        p = query(path)
        if p.get("key") != "g-key":
            return 200, {"status": "REQUEST_DENIED", "error_message": "The provided API key is invalid."}
        if "congress" not in p["address"].lower():
            return 200, {"status": "ZERO_RESULTS", "results": []}
        return 200, {"status": "OK", "results": [{"formatted_address": "100 Congress Ave, Austin, TX 78701, USA",
                                                  "geometry": {"location": {"lat": 30.265, "lng": -97.744}}}]}

    fake = FakeHttp(h)
    try:
        found = Google("g-key", fake.url, country="US").search("100 congress ave")
        assert [(c.label, c.lat, c.lng) for c in found] == [
            ("100 Congress Ave, Austin, TX 78701, USA", 30.265, -97.744)]
        assert query(fake.requests[0]["path"])["region"] == "us"
        assert Google("g-key", fake.url).search("nowhere") == []
        with pytest.raises(GeocodeError, match="REQUEST_DENIED: The provided API key is invalid"):
            Google("bad", fake.url).search("100 congress ave")
    finally:
        fake.close()


def test_mapbox_provider() -> None:
    def h(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        assert path.startswith("/search/geocode/v6/forward")
        if query(path).get("access_token") != "mb-token":
            return 401, {"message": "Not Authorized - Invalid Token"}
        return 200, {"type": "FeatureCollection", "features": [
            {"geometry": {"type": "Point", "coordinates": [-97.744, 30.265]},
             "properties": {"full_address": "100 Congress Avenue, Austin, Texas 78701, United States"}},
            {"geometry": {"type": "Point", "coordinates": [-97.7, 30.3]},
             "properties": {"name": "Congress Ave", "place_formatted": "Austin, Texas"}}]}

    fake = FakeHttp(h)
    try:
        found = Mapbox("mb-token", fake.url, country="US").search("100 Congress")
        assert [(c.label, c.lat, c.lng) for c in found] == [
            ("100 Congress Avenue, Austin, Texas 78701, United States", 30.265, -97.744),
            ("Congress Ave, Austin, Texas", 30.3, -97.7)]
        with pytest.raises(GeocodeError, match="refused the request"):
            Mapbox("wrong", fake.url).search("100 Congress")
    finally:
        fake.close()


def test_throttle_queues_callers_and_refuses_a_long_queue() -> None:
    key, done, refused = f"test-{time.monotonic()}", [], []

    def call() -> None:
        try:
            wait_turn(key, 0.2, max_wait_s=0.5)
            done.append(time.monotonic())
        except GeocodeError as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=call) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(done) == 3 and len(refused) == 2 and "busy" in refused[0]
    done.sort()
    assert done[1] - done[0] >= 0.19 and done[2] - done[1] >= 0.19
    assert normalise_query("  100  Congress AVE ,Austin ") == "100 congress ave, austin"


def test_endpoint_without_a_geocoder_says_what_to_do(world: World) -> None:
    r = world.dispatcher.get("/api/v1/geocode", params={"q": "100 Congress Ave"})
    assert r.status_code == 503
    assert r.json()["error"] == {
        "code": "geocoder_not_configured", "details": None,
        "message": "No geocoder is set up. Set a geocoder in Settings → Map and ETA, or place the pin on the map."}
    assert world.dispatcher.get("/api/v1/geocode", params={"q": "ab"}).status_code == 422
    assert world.field1.get("/api/v1/geocode", params={"q": "100 Congress"}).status_code == 403


def test_endpoint_caches_in_the_database_across_restarts(api: Api, world: World, admin: httpx.Client,
                                                         nominatim: FakeHttp, db_url: str) -> None:
    saved = admin.patch("/api/v1/settings", json={"geocoder": "nominatim", "nominatim_url": nominatim.url,
                                                  "geocoder_email": "ops@mikes.example"})
    assert saved.status_code == 200, saved.text
    d = world.dispatcher
    first = d.get("/api/v1/geocode", params={"q": "100 Congress Ave, Austin"}).json()
    assert first["cached"] is False and first["provider"] == "nominatim"
    assert first["candidates"] == [{"label": CONGRESS["display_name"], "lat": 30.265, "lng": -97.744}]
    ua = nominatim.requests[0]["headers"]["user-agent"]
    assert ua.startswith("DispatchConsole/") and "ops@mikes.example" in ua
    again = d.get("/api/v1/geocode", params={"q": "100  congress ave,  AUSTIN"}).json()
    assert again["cached"] is True and again["candidates"] == first["candidates"]
    assert len(nominatim.requests) == 1
    other = EmbeddedServer(make_settings(db_url, run_background_jobs=False), clock=OffsetClock()).start()
    try:
        token = d.headers["Authorization"]
        r = httpx.get(other.url + "/api/v1/geocode", params={"q": "100 Congress Ave, Austin"},
                      headers={"Authorization": token}, timeout=15)
        assert r.json()["cached"] is True and len(nominatim.requests) == 1
    finally:
        other.stop()
    empty = d.get("/api/v1/geocode", params={"q": "Nowhere Lane 1"}).json()
    assert empty["candidates"] == [] and len(nominatim.requests) == 2


def test_endpoint_reports_a_failing_geocoder(world: World, admin: httpx.Client) -> None:
    admin.patch("/api/v1/settings", json={"geocoder": "google"})
    r = world.dispatcher.get("/api/v1/geocode", params={"q": "100 Congress Ave"})
    assert r.status_code == 502 and r.json()["error"]["code"] == "geocoder_unavailable"
    assert r.json()["error"]["message"] == ("Google geocoding needs an API key: set it in Settings → Map and ETA. "
                                            "You can place the pin on the map instead.")
    bad = admin.patch("/api/v1/settings", json={"geocoder": "bing"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "geocoder"
