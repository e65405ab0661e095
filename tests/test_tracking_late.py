"""No-show protection: exactly one LATE alert and customer SMS per appointment across repeated watchdog
passes and several backend processes on one database; it resolves itself on arrival."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from models.tables import Alert, Event, Notification
from services.backend import watchdog
from services.backend.clock import OffsetClock
from services.backend.embedded import EmbeddedServer
from tests.conftest import Api, World, make_settings, watchdog_passes
from tests.tracking_helpers import approach, wait_for

ROOT = Path(__file__).resolve().parent.parent
SITE = (30.2650, -97.7440)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def other_process(db_url: str, server: EmbeddedServer) -> Iterator[str]:
    """A second backend as a real OS process (`python main.py serve`) on the same database."""
    port = free_port()
    env = {**os.environ, "DISPATCH_WATCHDOG_INTERVAL_S": "0.2", "DISPATCH_OUTBOX_INTERVAL_S": "0.2"}
    proc = subprocess.Popen([sys.executable, "main.py", "serve", "--db", db_url, "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode()[-2000:] if proc.stderr else "backend exited")
        try:
            return httpx.get(url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(healthy, timeout=60, interval=0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def counts(server: EmbeddedServer, appt: int) -> tuple[int, int, int]:
    with server.backend.sessions() as s:
        alerts = s.scalar(select(func.count(Alert.id)).where(Alert.appointment_id == appt, Alert.kind == "late"))
        sms = s.scalar(select(func.count(Notification.id)).where(Notification.appointment_id == appt,
                                                                 Notification.kind == "late"))
        created = [e for e in s.scalars(select(Event).where(Event.name == "alert.created"))
                   if e.data.get("appointment_id") == appt]
        return alerts or 0, sms or 0, len(created)


def test_late_fires_once_across_processes_and_resolves_on_arrival(
    db_url: str, server: EmbeddedServer, api: Api, other_process: str
) -> None:
    third = EmbeddedServer(make_settings(db_url), clock=OffsetClock()).start()
    try:
        w = World(api)
        with server.backend.sessions() as s:
            c = server.backend.company(s)
            c.name, c.phone = "Mike's Contracting", "(512) 555-0142"
            s.commit()
        start = datetime.now(UTC) - timedelta(minutes=31)
        appt = w.schedule(w.cust1["id"], w.tech1["id"], start=start)["id"]
        wait_for(lambda: counts(server, appt)[0] == 1, timeout=15)

        # Hammer the check from two more backends at once, while the two watchdog loops keep running.
        def hammer(srv: EmbeddedServer) -> None:
            for _ in range(8):
                watchdog.run_checks(srv.backend)

        threads = [threading.Thread(target=hammer, args=(s,)) for s in (server, third, server, third)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert counts(server, appt) == (1, 1, 1)

        alert = [a for a in w.dispatcher.get("/api/v1/alerts").json() if a["appointment_id"] == appt][0]
        assert alert["message"] == "LATE: Marcus Reed has not arrived at Ann Lee — 31 min overdue"
        sms = [n for n in w.dispatcher.get("/api/v1/notifications", params={"appointment_id": appt}).json()
               if n["kind"] == "late"][0]
        assert sms["channel"] == "sms" and sms["to"] == "+15125550199"
        assert sms["body"].startswith("Your appointment was scheduled for ")
        assert "We're checking on your technician now. A team member will follow up shortly." in sms["body"]
        assert "(512) 555-0142" in sms["body"]

        # Arrival reported to the *other process* resolves the alert.
        with httpx.Client(base_url=other_process, timeout=15) as anon:
            tok = anon.post("/api/v1/auth/login", json={"email": "marcus@example.com", "password": "techpass1"})
            field = httpx.Client(base_url=other_process, timeout=15,
                                 headers={"Authorization": f"Bearer {tok.json()['token']}"})
            for step in ("confirm", "on-my-way"):
                assert field.post(f"/api/v1/field/appointments/{appt}/{step}").status_code == 200
            r = field.post("/api/v1/field/positions", json={"positions": approach(SITE, datetime.now(UTC))})
            assert r.status_code == 200, r.text
            field.close()
        resolved = w.dispatcher.get("/api/v1/alerts", params={"open": "false"}).json()
        mine = [a for a in resolved if a["appointment_id"] == appt]
        assert len(mine) == 1 and mine[0]["open"] is False and mine[0]["resolved_by"] == "System"
        for srv in (server, third):
            watchdog.run_checks(srv.backend)
        assert counts(server, appt) == (1, 1, 1)
        with server.backend.sessions() as s:
            updated = [e for e in s.scalars(select(Event).where(Event.name == "alert.updated"))
                       if e.data.get("appointment_id") == appt]
        assert updated and updated[-1].data["open"] is False
    finally:
        third.stop()


def test_not_late_before_threshold_or_once_arrived(world: World, server: EmbeddedServer) -> None:
    now = server.backend.clock.now()
    early = world.schedule(world.cust1["id"], world.tech1["id"], start=now - timedelta(minutes=29))["id"]
    started = world.schedule(world.cust2["id"], world.tech2["id"], start=now - timedelta(minutes=25))["id"]
    for step in ("confirm", "start"):
        assert world.field2.post(f"/api/v1/field/appointments/{started}/{step}").status_code == 200
    watchdog_passes(server)
    assert counts(server, early)[0] == 0
    server.backend.clock.advance(minutes=10)  # type: ignore[attr-defined]
    watchdog_passes(server)
    assert counts(server, early)[0] == 1
    assert counts(server, started) == (0, 0, 0)


def _reschedule(world: World, appt: int, start: datetime) -> None:
    cur = world.dispatcher.get(f"/api/v1/appointments/{appt}").json()
    r = world.dispatcher.patch(f"/api/v1/appointments/{appt}", headers={"If-Match": f'"{cur["version"]}"'},
                               json={"window_start": start.isoformat(), "allow_conflicts": True})  # over Ann Lee's
    assert r.status_code == 200, r.text


def test_a_new_time_ends_the_late_alert_but_a_still_overdue_one_does_not(world: World, server: EmbeddedServer) -> None:
    now = server.backend.clock.now()
    appt = world.schedule(world.cust1["id"], world.tech1["id"], start=now - timedelta(minutes=45))["id"]
    watchdog_passes(server)  # the server's own passes (a direct pass may skip a row one of them holds)
    assert counts(server, appt)[0] == 1

    _reschedule(world, appt, now - timedelta(minutes=40))  # moved, but the customer is still waiting
    open_ids = [a["appointment_id"] for a in world.dispatcher.get("/api/v1/alerts").json() if a["kind"] == "late"]
    assert appt in open_ids

    _reschedule(world, appt, now + timedelta(hours=2))  # a new time later today: nobody is waiting any more
    open_ids = [a["appointment_id"] for a in world.dispatcher.get("/api/v1/alerts").json() if a["kind"] == "late"]
    assert appt not in open_ids
    closed = [a for a in world.dispatcher.get("/api/v1/alerts", params={"open": "false"}).json()
              if a["appointment_id"] == appt]
    assert len(closed) == 1 and closed[0]["resolution_note"].startswith("Rescheduled to ")
