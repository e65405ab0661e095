"""Drive-time matrices: offline estimate, OSRM table service and Google Distance Matrix on fake servers, cache,
chunking and the offline fallback."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from models.dispatch_rank import Place
from services.drive_times import DriveTimes, for_eta
from services.eta import FallbackEta, GoogleEta, OfflineEta, OsrmEta
from tests.fakeservers import FakeHttp, query

A, B, C = Place(30.2672, -97.7431), Place(30.3072, -97.7559), Place(30.2500, -97.7000)


def osrm_table(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
    """Answers like OSRM: duration = 100 × source index + destination index + 1 (seconds)."""
    coords = unquote(urlsplit(path).path).split("/table/v1/driving/")[1].split(";")
    q = query(path)
    src = [int(i) for i in q["sources"].split(";")]
    dst = [int(i) for i in q["destinations"].split(";")]
    assert q["annotations"] == "duration" and len(coords) == len(src) + len(dst)
    return 200, {"code": "Ok", "durations": [[100 * s + (d - len(src)) + 1 for d in dst] for s in src]}


def test_offline_matches_the_eta_estimate() -> None:
    dt = DriveTimes()
    secs = dt.pairs([(A, B), (B, A), (A, A)])
    expected = OfflineEta().estimate(A.lat, A.lng, B.lat, B.lng).seconds
    assert secs[(A, B)] == pytest.approx(expected) and secs[(B, A)] == pytest.approx(expected)
    assert secs[(A, A)] == 0
    assert 300 < expected < 900  # ~4.5 km across Austin at 35 km/h with detours: 8–9 minutes


def test_osrm_table_one_request_then_cache() -> None:
    srv = FakeHttp(osrm_table)
    try:
        dt = DriveTimes.from_eta(FallbackEta(OsrmEta(srv.url), OfflineEta()))
        assert dt.kind == "osrm"
        m = dt.matrix([A, B], [C, B])
        assert m == [[1.0, 2.0], [101.0, 0.0]]  # B→B is 0 without asking
        assert len(srv.requests) == 1
        assert srv.requests[0]["path"].startswith("/table/v1/driving/-97.743100,30.267200;")
        dt.matrix([A, B], [C])
        assert len(srv.requests) == 1  # cached
    finally:
        srv.close()


def test_osrm_large_tables_are_chunked() -> None:
    srv = FakeHttp(osrm_table)
    try:
        dt = DriveTimes("osrm", base_url=srv.url)
        pts = [Place(30.2 + i * 0.001, -97.7) for i in range(120)]
        got = dt.pairs([(p, C) for p in pts])
        assert len(got) == 120 and len(srv.requests) == 3  # 50 sources a request
        for r in srv.requests:
            assert len(query(r["path"])["sources"].split(";")) <= 50
    finally:
        srv.close()


def test_osrm_down_falls_back_to_offline_for_those_pairs() -> None:
    srv = FakeHttp(lambda *a: (500, {"message": "boom"}))
    try:
        dt = DriveTimes("osrm", base_url=srv.url)
        got = dt.pairs([(A, B)])
        assert got[(A, B)] == pytest.approx(dt.estimate(A, B)) and dt.fallbacks == 1
    finally:
        srv.close()


def test_google_distance_matrix_with_traffic_and_element_failures() -> None:
    def google(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        q = query(path)
        assert q["key"] == "k123" and q["departure_time"] == "now"
        origins, dests = q["origins"].split("|"), q["destinations"].split("|")
        rows = []
        for i, _ in enumerate(origins):
            els = []
            for j, d in enumerate(dests):
                if d.startswith("30.250000"):
                    els.append({"status": "ZERO_RESULTS"})
                else:
                    els.append({"status": "OK", "duration": {"value": 600}, "distance": {"value": 5000},
                                "duration_in_traffic": {"value": 700 + i + j}})
            rows.append({"elements": els})
        return 200, {"status": "OK", "rows": rows}

    srv = FakeHttp(google)
    try:
        dt = DriveTimes.from_eta(FallbackEta(GoogleEta("k123", srv.url), OfflineEta()))
        assert dt.kind == "google"
        got = dt.pairs([(A, B), (B, C), (C, B)])
        assert got[(A, B)] == 700 and got[(C, B)] == 702  # in traffic (third origin, first destination)
        assert got[(B, C)] == pytest.approx(dt.estimate(B, C))  # no route: estimated
        # 30 origins × 1 destination: Google allows 25 a side, we send 10 a side
        many = [Place(30.3 + i * 0.001, -97.7) for i in range(30)]
        srv.requests.clear()
        dt.pairs([(p, A) for p in many])
        assert len(srv.requests) == 3
    finally:
        srv.close()


def test_google_without_key_estimates_offline() -> None:
    dt = DriveTimes("google", base_url="http://127.0.0.1:9")
    assert dt.pairs([(A, B)])[(A, B)] == pytest.approx(dt.estimate(A, B))


def test_one_shared_instance_per_eta_provider() -> None:
    eta = OfflineEta(road_factor=1.5)
    assert for_eta(eta) is for_eta(eta) and for_eta(eta).offline.road_factor == 1.5
    assert for_eta(OfflineEta()) is not for_eta(eta)
