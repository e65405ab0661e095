"""Crew map against a real backend: offline Leaflet page built once, live position batches, selection, screenshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.api_client import ApiClient
from tests.qt_loop import js, qt_loop, run, wait_js, wait_until
from widgets.crew_map import CrewMap, build_page, initials, leaflet_static_dir

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _client(server, email: str, password: str) -> ApiClient:  # type: ignore[no-untyped-def]
    qt_loop()
    api = ApiClient(server.url)
    run(api.login(email, password))
    return api


def _map_ready(m: CrewMap) -> None:
    wait_until(lambda: m.page_ready and m.data_ready, 20, "map page and data")
    wait_js(m.view.page(), "CrewPage.stats.batches", lambda n: n and n >= 1, 10)


def test_page_is_offline_and_built_once() -> None:
    html = build_page("")
    assert "cdn.jsdelivr" not in html and "code.jquery.com" not in html and "bootstrap" not in html
    assert 'src="leaflet.js"' in html and "CrewPage.init(" in html and "QWebChannel" in html
    assert (leaflet_static_dir() / "leaflet.js").is_file()
    assert initials("Marcus Reed") == "MR" and initials("Cher") == "C" and initials("") == "?"


@SQLITE
def test_position_update_reaches_page_without_reload(qtbot, world) -> None:  # type: ignore[no-untyped-def]
    api = _client(world.api.server, "dana@example.com", "dispatch123")
    t1 = world.tech1["id"]
    now = datetime.now(UTC)
    r = world.field1.post("/api/v1/field/positions", json={"positions": [
        {"lat": 30.26, "lng": -97.74, "accuracy_m": 5, "recorded_at": (now - timedelta(seconds=20)).isoformat()}]},
        headers={"Idempotency-Key": "p1"})
    assert r.status_code in (200, 202), r.text
    m = CrewMap(api, tile_url="", time_zone="America/Chicago")
    qtbot.addWidget(m)
    m.resize(1000, 700)
    m.show()
    try:
        m.start()
        _map_ready(m)
        first = js(m.view.page(), f"CrewPage.state({t1})")
        assert first["lat"] == pytest.approx(30.26) and first["loads"] == 1
        # A live event (as the event stream delivers it) moves the marker in the next batch, no reload.
        m.handle_event("position.updated", {"technician_id": t1, "lat": 30.301, "lng": -97.701, "accuracy_m": 5,
                                            "recorded_at": now.isoformat()})
        moved = wait_js(m.view.page(), f"CrewPage.state({t1})", lambda s: abs(s["lat"] - 30.301) < 1e-9, 3)
        assert moved["lng"] == pytest.approx(-97.701)
        assert moved["loads"] == 1 and moved["loadedAt"] == first["loadedAt"]  # same page, never re-rendered
        # Clicking a marker comes back through QWebChannel as technicianSelected.
        with qtbot.waitSignal(m.technicianSelected, timeout=3000) as sig:
            m.view.page().runJavaScript(f"CrewPage._clicked({t1})")
            wait_until(lambda: sig.signal_triggered, 3, "marker click")
        assert sig.args == [t1]
        m.select_technician(t1)
        wait_js(m.view.page(), f"CrewPage.state({t1}).selected", bool, 3)
    finally:
        m.shutdown()
        run(api.aclose())
