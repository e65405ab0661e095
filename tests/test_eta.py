"""ETA providers: offline estimate, OSRM and Google Distance Matrix formats, timeouts and fallback."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from models.geo import distance_m
from services.eta import EtaUnavailable, FallbackEta, GoogleEta, OfflineEta, OsrmEta, provider_from_settings
from tests.fakeservers import FakeHttp, query, slow

A = (30.2672, -97.7431)  # downtown Austin
B = (30.3072, -97.7560)  # Hyde Park


@pytest.fixture
def fake() -> Iterator[list[FakeHttp]]:
    made: list[FakeHttp] = []
    yield made
    for f in made:
        f.close()


def test_offline_estimate_uses_road_factor_and_urban_speed() -> None:
    res = OfflineEta(road_factor=1.4, speed_kmh=36).estimate(*A, *B)
    straight = distance_m(*A, *B)
    assert res.meters == pytest.approx(straight * 1.4)
    assert res.seconds == pytest.approx(straight * 1.4 / 10.0)
    assert res.provider == "offline"


def osrm_handler(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, object]:
    assert path.startswith("/route/v1/driving/-97.743100,30.267200;-97.756000,30.307200")
    assert query(path)["overview"] == "false"
    return 200, {"code": "Ok", "routes": [{"duration": 612.4, "distance": 5830.2, "weight": 612.4, "legs": []}],
                 "waypoints": []}


def test_osrm_route_service(fake: list[FakeHttp]) -> None:
    srv = FakeHttp(osrm_handler)
    fake.append(srv)
    res = OsrmEta(srv.url).estimate(*A, *B)
    assert (res.seconds, res.meters, res.provider) == (612.4, 5830.2, "osrm")


def test_osrm_no_route_is_unavailable(fake: list[FakeHttp]) -> None:
    srv = FakeHttp(lambda *a: (400, {"code": "NoRoute", "message": "Impossible route between points"}))
    fake.append(srv)
    with pytest.raises(EtaUnavailable, match="HTTP 400"):
        OsrmEta(srv.url).estimate(*A, *B)


def google_handler(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, object]:
    q = query(path)
    assert urlpath(path) == "/maps/api/distancematrix/json"
    assert q["key"] == "k-123" and q["departure_time"] == "now" and q["origins"] == "30.267200,-97.743100"
    return 200, {
        "destination_addresses": ["Hyde Park, Austin, TX"], "origin_addresses": ["Congress Ave, Austin, TX"],
        "rows": [{"elements": [{"distance": {"text": "5.9 km", "value": 5901},
                                "duration": {"text": "11 mins", "value": 660},
                                "duration_in_traffic": {"text": "15 mins", "value": 905}, "status": "OK"}]}],
        "status": "OK"}


def urlpath(path: str) -> str:
    return path.split("?", 1)[0]


def test_google_distance_matrix_uses_traffic(fake: list[FakeHttp]) -> None:
    srv = FakeHttp(google_handler)
    fake.append(srv)
    res = GoogleEta("k-123", srv.url).estimate(*A, *B)
    assert (res.seconds, res.meters, res.provider) == (905.0, 5901.0, "google")


def test_google_denied_key_is_unavailable(fake: list[FakeHttp]) -> None:
    srv = FakeHttp(lambda *a: (200, {"status": "REQUEST_DENIED", "error_message": "The provided API key is invalid.",
                                     "rows": []}))
    fake.append(srv)
    with pytest.raises(EtaUnavailable, match="REQUEST_DENIED"):
        GoogleEta("bad", srv.url).estimate(*A, *B)


def test_fallback_on_timeout_error_and_refused_connection(fake: list[FakeHttp]) -> None:
    offline = OfflineEta()
    expected = offline.estimate(*A, *B)
    slow_srv = FakeHttp(slow(1.0, (200, {"code": "Ok", "routes": [{"duration": 1, "distance": 1}]})))
    broken = FakeHttp(lambda *a: (500, b"<html>oops</html>"))
    fake.extend([slow_srv, broken])
    for primary in (OsrmEta(slow_srv.url, timeout=0.2), OsrmEta(broken.url), OsrmEta("http://127.0.0.1:9"),
                    GoogleEta("", broken.url)):
        res = FallbackEta(primary, offline).estimate(*A, *B)
        assert res == expected


def test_provider_from_settings() -> None:
    s = SimpleNamespace(eta_provider="osrm", osrm_url="http://127.0.0.1:1", eta_road_factor=1.5,
                        eta_urban_speed_kmh=30.0)
    p = provider_from_settings(s)
    assert isinstance(p, FallbackEta) and isinstance(p.primary, OsrmEta) and p.fallback.road_factor == 1.5
    s.eta_provider, s.google_api_key, s.google_maps_url = "google", "k", "http://127.0.0.1:1"
    assert isinstance(provider_from_settings(s).primary, GoogleEta)
    s.eta_provider = "offline"
    assert isinstance(provider_from_settings(s), OfflineEta)
