"""Crew map against a real backend: offline Leaflet page built once, live position batches, selection, screenshot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.api_client import ApiClient
from tests.console_support import loaded_live
from tests.qt_loop import js, qt_loop, run, spin_until, wait_js, wait_until
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
    live = run(loaded_live(api))
    m = CrewMap(api, live.store, tile_url="")
    qtbot.addWidget(m)
    m.resize(1000, 700)
    m.show()
    try:
        m.start()
        _map_ready(m)
        first = js(m.view.page(), f"CrewPage.state({t1})")
        assert first["lat"] == pytest.approx(30.26) and first["loads"] == 1
        # A live event (as the event stream delivers it) moves the marker in the next batch, no reload, no request.
        sent = api.requests_sent
        live._on_event(None, "position.updated", {"technician_id": t1, "lat": 30.301, "lng": -97.701,
                                                  "accuracy_m": 5, "recorded_at": now.isoformat()})
        moved = wait_js(m.view.page(), f"CrewPage.state({t1})", lambda s: abs(s["lat"] - 30.301) < 1e-9, 3)
        assert moved["lng"] == pytest.approx(-97.701)
        assert moved["loads"] == 1 and moved["loadedAt"] == first["loadedAt"]  # same page, never re-rendered
        assert api.requests_sent == sent
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


@SQLITE
def test_screenshots_with_demo_crew(qtbot, server, artifacts) -> None:  # type: ignore[no-untyped-def]
    """The map and the alert panel side by side at 1920×1080 with the demo company (LATE alerts live)."""
    from PySide6.QtWidgets import QSplitter

    from services.backend import demo
    from widgets.late_alerts import LateAlertPanel

    with server.backend.sessions() as s:
        demo.seed(s, server.backend)
        s.commit()
    server.backend.clock.advance(minutes=40)  # a few technicians are now running late
    from models.tables import LatestPosition

    with server.backend.sessions() as s:  # fresh fixes for all but two techs (those show greyed out)
        for i, p in enumerate(s.query(LatestPosition).order_by(LatestPosition.technician_id)):
            if i not in (4, 9):
                p.recorded_at = server.backend.clock.now() - timedelta(seconds=10 + 7 * i)
        s.commit()
    api = ApiClient(server.url)
    qt_loop()
    run(api.login(demo.DISPATCHER_EMAIL, demo.DEMO_PASSWORD))
    spin_until(lambda: any(a["kind"] == "late" for a in run(api.alerts())), 5, "LATE alerts on the demo board")
    split = QSplitter()
    live = run(loaded_live(api, tz=demo.TZ))
    m = CrewMap(api, live.store, split, tile_url="")
    panel = LateAlertPanel(api, live.store, split)
    split.addWidget(m)
    split.addWidget(panel)
    split.setSizes([1440, 480])
    qtbot.addWidget(split)
    split.resize(1920, 1080)
    split.show()
    panel.technicianSelected.connect(m.select_technician)
    try:
        m.start()
        panel.start()
        _map_ready(m)
        counts = js(m.view.page(), "CrewPage.counts()")
        assert counts["techs"] == len(demo.TECHS) and counts["sites"] > 10
        panel._on_current(panel.model.index(0, 0), panel.model.index(0, 0))
        qtbot.wait(600)
        split.grab().save(str(artifacts / "crew_map_and_alerts.png"))
        panel.grab().save(str(artifacts / "late_alerts_panel.png"))
    finally:
        m.shutdown()
        panel.shutdown()
        run(api.aclose())


def test_only_changes_reach_the_page(qapp) -> None:  # type: ignore[no-untyped-def]
    """The page gets each technician and site once, then only what an event changed — never the whole day."""
    from console.store import Store
    from widgets.crew_diff import CrewDiff
    from widgets.schedule_model import ScheduleModel

    store = Store(ScheduleModel("America/Chicago"))
    now = datetime.now(UTC).replace(microsecond=0)

    def appt(i: int, tech: int, status: str = "scheduled", **extra):  # type: ignore[no-untyped-def]
        start = now + timedelta(hours=1 + i)
        return {"id": i, "version": 1, "technician_id": tech, "technician_name": f"Tech {tech}",
                "customer_name": f"Customer {i}", "service_type": "Leak repair", "address": "1 Main St",
                "window_start": start.isoformat(), "window_end": (start + timedelta(hours=1)).isoformat(),
                "status": status, "status_label": status.title(), "late": False, "site_lat": 30.2 + i / 100,
                "site_lng": -97.7, **extra}

    store.load(company=None, technicians=[{"id": t, "name": f"Tech {t}", "active": True} for t in (1, 2, 3)],
               day=store.today(), appointments=[appt(1, 1), appt(2, 1), appt(3, 2, "complete"),
                                                appt(4, 2, site_lat=None)],
               positions=[{"technician_id": t, "lat": 30.2, "lng": -97.7, "recorded_at": now.isoformat()}
                          for t in (1, 2)])
    diff = CrewDiff(store)
    diff.everything(fit=True)
    first = diff.batch()
    assert first is not None and first["fit"] and "skewMs" in first
    assert [t["id"] for t in first["techs"]] == [1, 2]  # tech 3 has no position: nothing to draw
    assert [s["id"] for s in first["sites"]] == [1, 2]  # complete, and without coordinates: no marker
    diff.everything()
    assert set(diff.batch() or {}) <= {"skewMs"}  # nothing changed: nothing sent again

    # A status change: that site, and its technician only if their marker reads differently.
    store.patch_appointment({"id": 2, "version": 2, "status": "dispatched"})
    diff.appointment(store.appointment(2))  # type: ignore[arg-type]
    batch = diff.batch()
    assert batch is not None and [s["id"] for s in batch["sites"]] == [2] and "techs" not in batch
    # A position: a move, not a record.
    store.apply_position({"technician_id": 2, "lat": 30.3, "lng": -97.6, "recorded_at": now.isoformat()})
    diff.position(2)
    assert diff.batch() == {"positions": [[2, 30.3, -97.6, now.timestamp() * 1000, ""]]}
    # Reassigned to Tech 2 and finished: both markers change, the site leaves the map.
    store.upsert_appointment({**appt(1, 2, "in_progress"), "version": 2})
    diff.appointment(store.appointment(1))  # type: ignore[arg-type]
    batch = diff.batch()
    assert batch is not None and {t["id"] for t in batch["techs"]} == {1, 2}
    assert batch["techs"][1]["status"] == "in_progress" and [s["id"] for s in batch["sites"]] == [1]
    store.patch_appointment({"id": 1, "version": 3, "status": "complete"})
    diff.appointment(store.appointment(1))  # type: ignore[arg-type]
    assert (diff.batch() or {}).get("removeSites") == [1]
    # A third position: a technician appears.
    store.apply_position({"technician_id": 3, "lat": 30.1, "lng": -97.8, "recorded_at": now.isoformat()})
    diff.position(3)
    assert [t["id"] for t in (diff.batch() or {})["techs"]] == [3] and diff.crew_changed


def test_partial_redraws_leave_the_map_as_a_full_redraw_would(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Scattered changes repaint only their spots, and the canvas then looks as a repaint of everything would:
    no marker left behind or missing — the only differences are edge smoothing, strongest where a spot's edge
    cuts a circle (Leaflet's own partial repaints have the same)."""
    import random

    from console.store import Store
    from widgets.schedule_model import ScheduleModel

    rng = random.Random(4)
    store = Store(ScheduleModel("America/Chicago"))
    now = datetime.now(UTC).replace(microsecond=0)
    start = now + timedelta(hours=1)
    appts = [{"id": i, "version": 1, "technician_id": i % 30 + 1, "technician_name": f"Tech {i % 30 + 1}",
              "customer_name": f"Customer {i}", "service_type": "Leak repair", "address": "1 Main St",
              "window_start": (start + timedelta(minutes=i)).isoformat(),
              "window_end": (start + timedelta(minutes=i + 60)).isoformat(), "status": "scheduled",
              "status_label": "Scheduled", "late": False, "site_lat": 30.27 + rng.uniform(-0.05, 0.05),
              "site_lng": -97.74 + rng.uniform(-0.06, 0.06)} for i in range(1, 400)]
    store.load(company=None, technicians=[{"id": t, "name": f"Tech {t} Demo", "active": True} for t in range(1, 31)],
               day=store.today(), appointments=appts,
               positions=[{"technician_id": t, "lat": 30.27 + rng.uniform(-0.04, 0.04),
                           "lng": -97.74 + rng.uniform(-0.05, 0.05), "recorded_at": now.isoformat()}
                          for t in range(1, 31)])
    m = CrewMap(None, store, tile_url="", flush_ms=60_000)  # type: ignore[arg-type]  # batches flushed by hand
    qtbot.addWidget(m)
    m.resize(900, 700)
    m.show()
    try:
        m.start()
        _map_ready(m)
        js(m.view.page(), """(function () { var r = CrewPage.renderer, redraw = r._redraw;
            r._redraw = function () { window.lastSpots = this._spots.slice(); return redraw.call(this); };
            return true; })()""")
        for k in range(12):  # scattered: statuses, LATE flags, technicians moving
            a = store.appointment(rng.randrange(1, 400))
            assert a is not None
            store.upsert_appointment({**a, "version": a["version"] + 1, "late": k % 3 == 0,
                                      "status": "dispatched" if k % 2 else "en_route"})
            store.apply_position({"technician_id": rng.randrange(1, 31), "recorded_at": now.isoformat(),
                                  "lat": 30.27 + rng.uniform(-0.04, 0.04), "lng": -97.74 + rng.uniform(-0.05, 0.05)})
        m.flush()
        spots = wait_js(m.view.page(), "window.lastSpots && window.lastSpots.length", lambda n: n and n > 10, 5)
        assert spots <= 200  # repainted spot by spot, not the union of them all
        wrong = js(m.view.page(), """(function () {
            var r = CrewPage.renderer, c = r._container, o = r._bounds.min, spots = window.lastSpots;
            var copy = document.createElement("canvas");
            copy.width = c.width; copy.height = c.height;
            var cc = copy.getContext("2d", { willReadFrequently: true });
            function pixels() { cc.clearRect(0, 0, c.width, c.height); cc.drawImage(c, 0, 0);
                                return cc.getImageData(0, 0, c.width, c.height).data; }
            var before = pixels();
            r._spots = []; r._redrawBounds = null; r._redraw();  // everything, as after a pan
            var after = pixels(), wrong = 0;
            function nearEdge(x, y) {  // within 2 px of a spot's edge
              return spots.some(function (s) {
                if (x < s.min.x - 2 || x > s.max.x + 2 || y < s.min.y - 2 || y > s.max.y + 2) return false;
                return Math.min(Math.abs(x - s.min.x), Math.abs(x - s.max.x), Math.abs(y - s.min.y),
                                Math.abs(y - s.max.y)) <= 2;
              });
            }
            for (var i = 0; i < before.length; i += 4) {  // premultiplied: colour only counts as far as it shows
              var d = Math.abs(before[i + 3] - after[i + 3]);
              for (var k = 0; k < 3; k++) {
                d = Math.max(d, Math.abs(before[i + k] * before[i + 3] - after[i + k] * after[i + 3]) / 255);
              }
              if (d <= 16) continue;  // edge smoothing: a clipped repaint rasterises circles a little differently
              var px = i >> 2, x = px % c.width + o.x, y = Math.floor(px / c.width) + o.y;
              if (d > 64 || !nearEdge(x, y)) wrong++;  // a marker left behind or missing
            }
            return wrong; })()""")
        assert wrong == 0
    finally:
        m.shutdown()


def test_skills_and_zones_filter_what_the_map_shows(qapp) -> None:  # type: ignore[no-untyped-def]
    """The schedule's skills filter keeps only those technicians and their job sites (unassigned work stays); the
    zones filter keeps only job sites in the zones; clearing it brings everything back."""
    from console.store import Store
    from widgets.crew_diff import CrewDiff
    from widgets.schedule_model import ScheduleModel

    store = Store(ScheduleModel("America/Chicago"))
    now = datetime.now(UTC).replace(microsecond=0)

    def appt(i: int, tech: int | None) -> dict:  # type: ignore[type-arg]
        start = now + timedelta(hours=1 + i)
        return {"id": i, "version": 1, "technician_id": tech, "technician_name": f"Tech {tech}" if tech else None,
                "customer_name": f"Customer {i}", "service_type": "Leak repair", "address": "1 Main St",
                "window_start": start.isoformat(), "window_end": (start + timedelta(hours=1)).isoformat(),
                "status": "scheduled", "status_label": "Scheduled", "late": False, "site_lat": 30.2 + i / 100,
                "site_lng": -97.7}

    store.load(company=None, technicians=[{"id": t, "name": f"Tech {t}", "active": True} for t in (1, 2)],
               day=store.today(), appointments=[appt(1, 1), appt(2, 2), appt(3, None)],
               positions=[{"technician_id": t, "lat": 30.2, "lng": -97.7, "recorded_at": now.isoformat()}
                          for t in (1, 2)])
    diff = CrewDiff(store)
    diff.everything()
    first = diff.batch() or {}
    assert [t["id"] for t in first["techs"]] == [1, 2] and [s["id"] for s in first["sites"]] == [1, 2, 3]
    diff.set_filter({1}, None)  # technicians with a ticked skill: Tech 1
    batch = diff.batch() or {}
    assert batch.get("removeTechs") == [2] and batch.get("removeSites") == [2] and "techs" not in batch
    diff.set_filter(None, lambda a: a["id"] != 3)  # a zone around visits 1 and 2 only
    batch = diff.batch() or {}
    assert [t["id"] for t in batch["techs"]] == [2] and [s["id"] for s in batch["sites"]] == [2]
    assert batch.get("removeSites") == [3]
    diff.set_filter(None, None)
    assert [s["id"] for s in (diff.batch() or {})["sites"]] == [3]
    assert set(diff.techs) == {1, 2} and set(diff.sites) == {1, 2, 3}


def test_the_key_stays_clear_of_the_crew(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Fit to crew keeps every marker out from under the key. In a short dock the key shrinks to its title line
    (with the late count) so the crew stays in view; clicking it opens the whole key; a tall map shows all of it."""
    from console.store import Store
    from widgets.schedule_model import ScheduleModel

    store = Store(ScheduleModel("America/Chicago"))
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(minutes=50)
    appts = [{"id": t, "version": 1, "technician_id": t, "technician_name": f"Tech {t}", "customer_name": f"C {t}",
              "service_type": "Leak repair", "address": "1 Main St", "window_start": start.isoformat(),
              "window_end": (start + timedelta(hours=2)).isoformat(), "status": "dispatched",
              "status_label": "Dispatched", "late": t == 1, "site_lat": 30.2 + t / 100, "site_lng": -97.7}
             for t in (1, 2, 3)]
    store.load(company=None, technicians=[{"id": t, "name": f"Tech {t}", "active": True} for t in (1, 2, 3)],
               day=store.today(), appointments=appts,
               positions=[{"technician_id": t, "lat": lat, "lng": lng, "recorded_at": now.isoformat()}
                          for t, lat, lng in ((1, 30.0, -98.0), (2, 30.3, -97.7), (3, 30.0, -97.7))])  # 2: NE corner
    m = CrewMap(None, store, tile_url="")  # type: ignore[arg-type]
    qtbot.addWidget(m)
    m.resize(700, 700)
    m.show()
    shown_rows = "[...document.querySelectorAll('#crew-legend .row')].filter(r => r.offsetParent).length"
    try:
        m.start()
        _map_ready(m)
        assert wait_js(m.view.page(), shown_rows, lambda n: n == 9, 5) == 9
        clear_of_key = """(function () { CrewPage.fit(); var l = document.getElementById('crew-legend');
            var ids = Object.keys(CrewPage.techs); return ids.length === 3 && ids.every(function (id) {
              var p = CrewPage.map.latLngToContainerPoint(CrewPage.techs[id].marker.getLatLng());
              return p.x < l.offsetLeft - 8 || p.y > l.offsetTop + l.offsetHeight + 8; }); })()"""
        assert js(m.view.page(), clear_of_key) is True  # Fit to crew keeps every marker out from under the key
        m.resize(700, 220)
        assert wait_js(m.view.page(), shown_rows, lambda n: n == 0, 5) == 0
        title = js(m.view.page(), "document.querySelector('#crew-legend .title').innerText")
        assert title.startswith("Crew · 3") and "1 late" in title
        legend_h = js(m.view.page(), "document.getElementById('crew-legend').offsetHeight")
        assert legend_h < 40
        js(m.view.page(), "document.getElementById('crew-legend').click() || true")
        assert wait_js(m.view.page(), shown_rows, lambda n: n == 9, 5) == 9
        page_scrolls = js(m.view.page(), "document.scrollingElement.scrollHeight > window.innerHeight")
        assert page_scrolls is False
    finally:
        m.shutdown()
