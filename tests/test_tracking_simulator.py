"""The field simulator moves demo technicians through the real HTTP API within a minute."""

from __future__ import annotations

from sqlalchemy import select

from models.tables import StatusEvent
from services.backend.clock import Clock
from services.backend.demo import DISPATCHER_EMAIL, seed_if_empty
from services.backend.embedded import EmbeddedServer
from services.simulator import Simulator, _step_towards
from tests.conftest import Api, make_settings
from tests.tracking_helpers import wait_for


def test_street_like_steps_reach_the_target() -> None:
    lat, lng, done, path = 30.25, -97.75, False, []
    while not done:
        lat, lng, done = _step_towards(lat, lng, 30.26, -97.74, 50)
        path.append((lat, lng))
    # Manhattan: first only latitude changes, then only longitude.
    turn = next(i for i, p in enumerate(path) if abs(p[0] - 30.26) < 1e-5)
    assert all(abs(p[1] + 97.75) < 1e-9 for p in path[:turn])
    assert abs(path[-1][0] - 30.26) < 1e-5 and abs(path[-1][1] + 97.74) < 1e-5


def test_simulator_drives_demo_techs_through_the_field_api(sqlite_url: str) -> None:
    srv = EmbeddedServer(make_settings(sqlite_url, watchdog_interval_s=1.0), clock=Clock()).start()
    seed_if_empty(srv.backend)
    api = Api(srv)
    disp = api.login(DISPATCHER_EMAIL, "demo1234")
    before = {p["technician_id"]: (p["lat"], p["lng"]) for p in disp.get("/api/v1/crew/positions").json()}
    # Someone opened the field app as Marcus: the simulator leaves him to them.
    from tests.field_helpers import Phone

    phone = Phone(srv.url)
    assert phone.sign_in("marcus@mikescontracting.example", "demo1234").status_code == 303
    marcus = next(t["id"] for t in disp.get("/api/v1/technicians").json() if t["name"] == "Marcus Reed")
    sim = Simulator(lambda: srv.url, speed=20.0, seed=3)
    sim.start_thread()
    try:
        def moved() -> int:
            now = {p["technician_id"]: (p["lat"], p["lng"]) for p in disp.get("/api/v1/crew/positions").json()}
            return sum(1 for k, v in now.items() if before.get(k) != v)

        wait_for(lambda: moved() >= 5, timeout=45, interval=0.5)
        assert len(sim.techs) == 14

        start = srv.backend.clock.now()

        def field_changes() -> list:
            with srv.backend.sessions() as s:
                return list(s.scalars(select(StatusEvent).where(StatusEvent.source.in_(["field_app", "geofence"]),
                                                                StatusEvent.created_at >= start)))

        wait_for(field_changes, timeout=45, interval=0.5)
        wait_for(lambda: sim.positions_sent > 28, timeout=30, interval=0.5)
        sources = {p["source"] for p in disp.get("/api/v1/crew/positions").json()
                   if before.get(p["technician_id"]) != (p["lat"], p["lng"])}
        assert sources == {"simulator"}  # the console shows these fixes as the simulator's
        assert not [c for c in field_changes() if c.actor_name == "Marcus Reed"]
        now = {p["technician_id"]: (p["lat"], p["lng"]) for p in disp.get("/api/v1/crew/positions").json()}
        assert now.get(marcus) == before.get(marcus)

        # A dispatcher takes Elena off the team: the simulator stops driving her and goes on with the others.
        elena = next(t["id"] for t in disp.get("/api/v1/technicians").json() if t["name"] == "Elena Torres")
        assert disp.patch(f"/api/v1/technicians/{elena}", json={"active": False}).status_code == 200
        wait_for(lambda: len(sim.techs) == 13 and all(t.tech_id != elena for t in sim.techs), timeout=30,
                 interval=0.5)
        errors, sent = sim.errors, sim.positions_sent
        wait_for(lambda: sim.positions_sent > sent + 10, timeout=30, interval=0.5)
        assert sim.errors == errors
    finally:
        phone.close()
        sim.stop()
        api.close()
        srv.stop()
