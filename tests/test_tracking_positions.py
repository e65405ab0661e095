"""Position ingest through the field API: idempotent (also for concurrent duplicates), out-of-order safe,
ETA recomputed every 2 minutes and after a big jump, breadcrumbs pruned after the retention period."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from models.tables import Appointment, Position
from services.backend import positions, watchdog
from services.backend.embedded import EmbeddedServer
from tests.conftest import World
from tests.tracking_helpers import fix, wait_for

SITE = (30.2650, -97.7440)


def latest(w: World, tech_id: int) -> dict:
    return next(p for p in w.dispatcher.get("/api/v1/crew/positions").json() if p["technician_id"] == tech_id)


def test_idempotency_key_replays_and_out_of_order_never_moves_back(world: World, server: EmbeddedServer) -> None:
    w, now = world, server.backend.clock.now()
    batch = {"positions": [fix(SITE, 0, -900, now), fix(SITE, 0, -800, now + timedelta(seconds=5))]}
    r1 = w.field1.post("/api/v1/field/positions", json=batch, headers={"Idempotency-Key": "k-1"})
    r2 = w.field1.post("/api/v1/field/positions", json=batch, headers={"Idempotency-Key": "k-1"})
    assert r1.status_code == r2.status_code == 200
    assert r1.json()["stored"] == 2 and r2.json() == {**r1.json(), "replayed": True}
    # Same fixes, new key (the app lost the answer): duplicates are harmless.
    r3 = w.field1.post("/api/v1/field/positions", json=batch, headers={"Idempotency-Key": "k-2"})
    assert r3.json()["stored"] == 0 and r3.json()["duplicates"] == 2 and r3.json()["latest"] is None
    # An older fix arriving late is kept as a breadcrumb but does not move the tech backwards.
    old = {"positions": [fix(SITE, 0, -2000, now - timedelta(minutes=1))]}
    assert w.field1.post("/api/v1/field/positions", json=old).json()["stored"] == 1
    pos = latest(w, w.tech1["id"])
    assert abs(pos["lat"] - batch["positions"][1]["lat"]) < 1e-9
    blank = w.field1.post("/api/v1/field/positions", json=batch, headers={"Idempotency-Key": ""})
    assert blank.status_code == 422 and "Idempotency-Key" in blank.json()["error"]["message"]
    bad = w.field1.post("/api/v1/field/positions", json={"positions": [{**batch["positions"][0], "lat": 123}]})
    assert bad.status_code == 422 and "lat" in bad.text


def test_concurrent_duplicate_keys_store_once_and_answer_alike(world: World, server: EmbeddedServer) -> None:
    w, now = world, server.backend.clock.now()
    for round_ in range(3):
        batch = {"positions": [fix(SITE, 0, -700 + 10 * i, now + timedelta(seconds=60 * round_ + i))
                               for i in range(10)]}
        answers: list = []

        def send(batch: dict = batch, key: str = f"race-{round_}", answers: list = answers) -> None:
            answers.append(w.field1.post("/api/v1/field/positions", json=batch, headers={"Idempotency-Key": key}))

        threads = [threading.Thread(target=send) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert [a.status_code for a in answers] == [200] * 6, [a.text for a in answers if a.status_code != 200]
        bodies = [{k: v for k, v in a.json().items() if k != "replayed"} for a in answers]
        assert all(b == bodies[0] for b in bodies) and bodies[0]["stored"] == 10
        assert sum(1 for a in answers if not a.json().get("replayed")) == 1
    with server.backend.sessions() as s:
        assert s.scalar(select(func.count(Position.id)).where(Position.technician_id == w.tech1["id"])) == 30


def test_eta_recomputed_after_a_jump_and_every_two_minutes(world: World, server: EmbeddedServer) -> None:
    w, clock = world, server.backend.clock
    appt = w.appt1["id"]
    now = clock.now()
    w.field1.post("/api/v1/field/positions", json={"positions": [fix(SITE, 0, -6000, now)]})
    w.field1.post(f"/api/v1/field/appointments/{appt}/confirm")
    w.field1.post(f"/api/v1/field/appointments/{appt}/on-my-way")

    def eta() -> tuple:
        with server.backend.sessions() as s:
            a = s.get(Appointment, appt)
            return a.eta_at, a.eta_computed_at, a.eta_from_lat

    first = eta()
    assert first[0] is not None
    # A small move within 2 minutes: no recompute.
    w.field1.post("/api/v1/field/positions", json={"positions": [fix(SITE, 0, -5900, now + timedelta(seconds=5))]})
    assert eta() == first
    # A big jump (3 km closer): recomputed at once, earlier arrival.
    w.field1.post("/api/v1/field/positions", json={"positions": [fix(SITE, 0, -2900, now + timedelta(seconds=10))]})
    jumped = eta()
    if jumped[1] == first[1]:  # a watchdog pass held the row that instant (skipped, not waited for): the phone's
        w.field1.post("/api/v1/field/positions",  # next fix recomputes it
                      json={"positions": [fix(SITE, 0, -2900, now + timedelta(seconds=15))]})
        jumped = eta()
    assert jumped[1] > first[1] and jumped[0] < first[0]
    # The phone goes quiet: the watchdog still refreshes the ETA once it is 2 minutes old.
    clock.advance(seconds=125)
    watchdog.run_checks(server.backend)
    wait_for(lambda: eta()[1] > jumped[1])
    tracker_eta = w.dispatcher.get(f"/api/v1/appointments/{appt}").json()["eta_at"]
    assert tracker_eta is not None


def test_breadcrumbs_pruned_after_retention(world: World, server: EmbeddedServer) -> None:
    w, now = world, server.backend.clock.now()
    w.field1.post("/api/v1/field/positions", json={"positions": [
        fix(SITE, 0, -900, now - timedelta(days=31)), fix(SITE, 0, -800, now - timedelta(days=29)),
        fix(SITE, 0, -700, now)]})
    with server.backend.sessions() as s:
        assert positions.prune(s, now, 30) == 1
        s.commit()
        assert s.scalar(select(func.count(Position.id))) == 2
