"""Races between two backend replicas on one PostgreSQL database, and the checks that judge their outcome.

Two `main.py serve` processes share the database (as a team server with two replicas would). Each race
sends two (or more) requests to different replicas with a swept offset between them, then reads what the
database kept and counts anomalies:

- geofence arrival vs. a dispatcher's cancel: exactly one wins (cancel 200 → cancelled and no arrival;
  cancel 412 → arrived), one linear history, no "has arrived" message for a cancelled visit;
- geofence arrival vs. the technician's Start: either order is allowed, but the history stays linear and
  an arrival ping only follows a real arrival;
- arrival vs. the LATE watchdog pass of both replicas on a busy day: a LATE alert raised for a visit that
  then arrived is resolved, and neither the alert nor the customer's "we're checking" message comes after
  the arrival.

Used by tests/test_races_pg.py (a bounded run in CI) and bench/bench_races.py (many more attempts).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from models.tables import (
    Alert,
    ApiToken,
    Appointment,
    Customer,
    Event,
    Job,
    Notification,
    SideEffectRecord,
    StatusEvent,
    Technician,
    User,
)
from services.backend.db import make_engine, make_sessionmaker
from services.backend.security import token_hash

ROOT = Path(__file__).resolve().parent.parent
CENTER = (30.2672, -97.7431)
LATE_MIN = 30  # the default LATE threshold (Settings.late_threshold_min)


@dataclass
class Outcome:
    """How many races ran and what went wrong in them (one line per anomaly)."""

    name: str
    attempts: int = 0
    anomalies: list[str] = field(default_factory=list)
    winners: dict[str, int] = field(default_factory=dict)

    def won(self, who: str) -> None:
        self.winners[who] = self.winners.get(who, 0) + 1


class Replica:
    """One `main.py serve` process on a port the OS chose; its log goes to a file."""

    def __init__(self, db_url: str, log_dir: Path, name: str, env: dict[str, str]):
        self.log = log_dir / f"{name}.log"
        self._fh = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "main.py", "serve", "--db", db_url, "--port", "0"], cwd=ROOT,
            env={**os.environ, **env}, stdout=self._fh, stderr=subprocess.STDOUT)
        self.url = ""

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        pattern = re.compile(r"Uvicorn running on (http://[\d.]+:\d+)")
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"replica exited: {self.log.read_text(errors='replace')[-2000:]}")
            m = pattern.search(self.log.read_text(errors="replace"))
            if m:
                self.url = m.group(1)
                try:
                    if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        raise TimeoutError(f"replica did not start: {self.log.read_text(errors='replace')[-2000:]}")

    def errors(self) -> list[str]:
        """Tracebacks the replica logged (a race must never end in a server error)."""
        log = self.log.read_text(errors="replace")
        return [chunk[:600] for chunk in re.split(r"\n(?=\S)", log) if "Traceback" in chunk]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._fh.close()


class RaceLab:
    """Two replicas, a dispatcher token and a pool of technicians created straight in the database."""

    def __init__(self, db_url: str, watchdog_interval_s: float = 0.05):
        self.db_url = db_url
        self._tmp = tempfile.TemporaryDirectory(prefix="races-")
        env = {"DISPATCH_WATCHDOG_INTERVAL_S": str(watchdog_interval_s), "DISPATCH_OUTBOX_INTERVAL_S": "3600",
               "DISPATCH_ETA_PROVIDER": "offline"}
        self.replicas = [Replica(db_url, Path(self._tmp.name), f"replica{i}", env) for i in (1, 2)]
        self.engine: Engine | None = None
        self.dispatcher_token = ""
        self._n = 0

    def __enter__(self) -> RaceLab:
        try:
            for r in self.replicas:
                r.wait_ready()
        except BaseException:
            self.close()
            raise
        self.engine = make_engine(self.db_url)
        self.sessions = make_sessionmaker(self.engine)
        self.dispatcher_token = self._user("dispatcher", None)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for r in self.replicas:
            r.stop()
        if self.engine is not None:
            self.engine.dispose()
        self._tmp.cleanup()

    def server_errors(self) -> list[str]:
        return [e for r in self.replicas for e in r.errors()]

    # --- set-up straight in the database (not what is under test) ---

    def _user(self, role: str, technician_id: int | None) -> str:
        token = uuid.uuid4().hex + uuid.uuid4().hex
        now = datetime.now(UTC)
        with self.sessions() as s:
            u = User(email=f"{role}-{uuid.uuid4().hex[:10]}@race.example", name=f"Race {role}", role=role,
                     password_hash="!", technician_id=technician_id, created_at=now)
            s.add(u)
            s.flush()
            s.add(ApiToken(token_hash=token_hash(token), user_id=u.id, created_at=now,
                           expires_at=now + timedelta(days=1)))
            s.commit()
        return token

    def new_visit(self, start: datetime) -> tuple[int, int, str, tuple[float, float]]:
        """A technician (with a field-app token) and a scheduled visit for a new customer at a new site."""
        self._n += 1
        k = self._n
        site = (CENTER[0] + (k % 40) * 0.01, CENTER[1] + (k // 40) * 0.01)
        now = datetime.now(UTC)
        with self.sessions() as s:
            tech = Technician(name=f"Tech{k} Race", phone=f"+1512555{k:04d}", created_at=now)
            cust = Customer(name=f"Customer {k}", phone=f"+1737555{k:04d}", email=f"c{k}@race.example",
                            lat=site[0], lng=site[1], created_at=now)
            s.add_all([tech, cust])
            s.flush()
            job = Job(customer_id=cust.id, service_type="Race check", address=f"{k} Race St", lat=site[0],
                      lng=site[1], created_at=now)
            s.add(job)
            s.flush()
            appt = Appointment(job_id=job.id, technician_id=tech.id, window_start=start,
                               window_end=start + timedelta(hours=2), status="scheduled", version=1,
                               site_lat=site[0], site_lng=site[1], created_at=now, updated_at=now,
                               updated_by="race")
            s.add(appt)
            s.commit()
            tech_id, appt_id = tech.id, appt.id
        return tech_id, appt_id, self._user("technician", tech_id), site

    def client(self, replica: int, token: str) -> httpx.Client:
        c = httpx.Client(base_url=self.replicas[replica].url, timeout=30,
                         headers={"Authorization": f"Bearer {token}"})
        c.get("/healthz")  # open the connection before the race
        return c

    def set_status(self, d: httpx.Client, appt_id: int, *targets: str) -> int:
        """Move a visit through `targets` as the dispatcher; returns its version."""
        version = int(d.get(f"/api/v1/appointments/{appt_id}").headers["ETag"].strip('"'))
        for target in targets:
            r = d.post(f"/api/v1/appointments/{appt_id}/status", json={"status": target},
                       headers={"If-Match": f'"{version}"'})
            if r.status_code != 200:
                raise AssertionError(f"set-up {target}: {r.status_code} {r.text}")
            version = r.json()["version"]
        return version

    # --- reading what the database kept ---

    def facts(self, appt_id: int) -> dict[str, Any]:
        with self.sessions() as s:
            appt = s.get(Appointment, appt_id)
            assert appt is not None
            hist = list(s.scalars(select(StatusEvent).where(StatusEvent.appointment_id == appt_id)
                                  .order_by(StatusEvent.id)))
            events = [(e.id, e.name, e.data) for e in s.scalars(
                select(Event).where(Event.name.in_(["appointment.updated", "alert.created", "alert.updated",
                                                    "notification.created"])).order_by(Event.id))
                if e.data.get("id") == appt_id or e.data.get("appointment_id") == appt_id]
            notes = list(s.scalars(select(Notification).where(Notification.appointment_id == appt_id)
                                   .order_by(Notification.id)))
            alerts = list(s.scalars(select(Alert).where(Alert.appointment_id == appt_id, Alert.kind == "late")))
            effects = set(s.scalars(select(SideEffectRecord.kind).where(SideEffectRecord.appointment_id == appt_id)))
            return {"status": appt.status, "version": appt.version,
                    "history": [(h.from_status, h.to_status, getattr(h, "version", None)) for h in hist],
                    "events": events, "notes": [(n.id, n.kind) for n in notes],
                    "late_alerts": [(a.id, a.is_open) for a in alerts], "effects": effects}

    # --- the races ---

    def geofence_vs_cancel(self, attempts: int, sweep_ms: float = 40.0) -> Outcome:
        """A parked arrival fix on one replica while the dispatcher cancels (valid If-Match) on the other."""
        out = Outcome("geofence arrival vs. dispatcher cancel")
        d_clients = [self.client(i, self.dispatcher_token) for i in (0, 1)]
        try:
            for k in range(attempts):
                offset = _sweep(k, attempts, sweep_ms)
                _, appt_id, tech_token, site = self.new_visit(datetime.now(UTC) + timedelta(hours=2))
                version = self.set_status(d_clients[0], appt_id, "dispatched", "en_route")
                field_replica = k % 2
                tech = self.client(field_replica, tech_token)
                d = d_clients[1 - field_replica]
                fix = {"lat": site[0], "lng": site[1], "accuracy_m": 5.0, "speed_mps": 0.0,
                       "recorded_at": datetime.now(UTC).isoformat()}
                answers = _together(
                    lambda tech=tech, fix=fix: tech.post("/api/v1/field/positions", json={"positions": [fix]},
                                                         headers={"Idempotency-Key": uuid.uuid4().hex}),
                    lambda appt_id=appt_id, version=version, d=d: d.post(
                        f"/api/v1/appointments/{appt_id}/status",
                        json={"status": "cancelled", "reason": "Customer called to cancel"},
                        headers={"If-Match": f'"{version}"'}),
                    offset)
                tech.close()
                out.attempts += 1
                self._judge_cancel(out, appt_id, answers[0], answers[1])
        finally:
            for c in d_clients:
                c.close()
        return out

    def _judge_cancel(self, out: Outcome, appt_id: int, fix: httpx.Response, cancel: httpx.Response) -> None:
        f = self.facts(appt_id)
        where = f"visit {appt_id}"
        problems = _linear(f)
        if fix.status_code != 200:
            problems.append(f"position batch answered {fix.status_code}: {fix.text[:200]}")
        arrived = any(to == "arrived" for _, to, _ in f["history"])
        if cancel.status_code == 200:
            out.won("cancel")
            if f["status"] != "cancelled":
                problems.append(f"cancel answered 200 but the visit ended {f['status']}")
            if arrived:
                problems.append("cancel answered 200 but the history also has an arrival")
            if any(kind == "arrived" for _, kind in f["notes"]):
                problems.append("'has arrived' message queued for a cancelled visit")
            if "arrival_ping" in f["effects"] or "open_time_entry" in f["effects"]:
                problems.append(f"arrival side effects for a cancelled visit: {sorted(f['effects'])}")
        elif cancel.status_code == 412:
            out.won("arrival")
            if f["status"] != "arrived":
                problems.append(f"cancel refused (412) but the visit is {f['status']}, not arrived")
        else:
            problems.append(f"cancel answered {cancel.status_code}: {cancel.text[:200]}")
        out.anomalies += [f"{where}: {p}" for p in problems]

    def arrival_vs_start(self, attempts: int, sweep_ms: float = 40.0) -> Outcome:
        """A parked arrival fix on one replica while the technician taps Start on the other."""
        out = Outcome("geofence arrival vs. technician Start")
        d = self.client(0, self.dispatcher_token)
        try:
            for k in range(attempts):
                offset = _sweep(k, attempts, sweep_ms)
                _, appt_id, tech_token, site = self.new_visit(datetime.now(UTC) + timedelta(hours=2))
                self.set_status(d, appt_id, "dispatched", "en_route")
                phone = self.client(k % 2, tech_token)
                tap = self.client(1 - k % 2, tech_token)
                fix = {"lat": site[0], "lng": site[1], "accuracy_m": 5.0, "speed_mps": 0.0,
                       "recorded_at": datetime.now(UTC).isoformat()}
                answers = _together(
                    lambda phone=phone, fix=fix: phone.post("/api/v1/field/positions", json={"positions": [fix]},
                                                            headers={"Idempotency-Key": uuid.uuid4().hex}),
                    lambda tap=tap, appt_id=appt_id: tap.post(f"/api/v1/field/appointments/{appt_id}/start"),
                    offset)
                phone.close()
                tap.close()
                out.attempts += 1
                f = self.facts(appt_id)
                problems = _linear(f)
                for r in answers:
                    if r.status_code != 200:
                        problems.append(f"{r.request.url.path} answered {r.status_code}: {r.text[:200]}")
                if f["status"] != "in_progress":
                    problems.append(f"the visit ended {f['status']}, not in_progress")
                arrived = any(to == "arrived" for _, to, _ in f["history"])
                out.won("arrival first" if arrived else "start first")
                if not arrived and any(kind == "arrived" for _, kind in f["notes"]):
                    problems.append("'has arrived' message without an arrival")
                out.anomalies += [f"visit {appt_id}: {p}" for p in problems]
        finally:
            d.close()
        return out

    def late_vs_arrival(self, rounds: int, busy: int = 8, sweep_ms: float = 200.0) -> Outcome:
        """`busy` visits become LATE at the same instant while both replicas' watchdogs poll; each visit's
        arrival fix lands around that instant (offsets swept from -sweep/4 to +sweep)."""
        out = Outcome("arrival vs. LATE watchdog pass (busy day)")
        d = self.client(0, self.dispatcher_token)
        try:
            for rnd in range(rounds):
                self._late_round(out, d, [
                    (rnd * busy + i) * 7 % (rounds * busy) / max(1, rounds * busy - 1) for i in range(busy)],
                    sweep_ms)
        finally:
            d.close()
        return out

    def _late_round(self, out: Outcome, d: httpx.Client, fracs: list[float], sweep_ms: float) -> None:
        visits: list[tuple[int, tuple[float, float], httpx.Client]] = []
        for i in range(len(fracs)):
            _, appt_id, tech_token, site = self.new_visit(datetime.now(UTC) + timedelta(hours=6))
            self.set_status(d, appt_id, "dispatched", "en_route")
            visits.append((appt_id, site, self.client(i % 2, tech_token)))  # arrivals reach both replicas
        due_at = datetime.now(UTC) + timedelta(seconds=0.4)
        with self.sessions() as s:  # the clock reaches the window start + threshold at `due_at`
            s.execute(update(Appointment).where(Appointment.id.in_([v[0] for v in visits]))
                      .values(window_start=due_at - timedelta(minutes=LATE_MIN)))
            s.commit()
        lo, hi = -sweep_ms / 4, sweep_ms
        answers: list[httpx.Response | None] = [None] * len(visits)

        def arrive(i: int) -> None:
            at = due_at + timedelta(milliseconds=lo + (hi - lo) * fracs[i])
            time.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()))
            _, site, phone = visits[i]
            fix = {"lat": site[0], "lng": site[1], "accuracy_m": 5.0, "speed_mps": 0.0,
                   "recorded_at": datetime.now(UTC).isoformat()}
            answers[i] = phone.post("/api/v1/field/positions", json={"positions": [fix]},
                                    headers={"Idempotency-Key": uuid.uuid4().hex})

        threads = [threading.Thread(target=arrive, args=(i,)) for i in range(len(visits))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        time.sleep(0.3)  # let both watchdogs make further passes over the now-arrived visits
        for i, (appt_id, _, phone) in enumerate(visits):
            phone.close()
            out.attempts += 1
            self._judge_late(out, appt_id, answers[i])

    def _judge_late(self, out: Outcome, appt_id: int, answer: httpx.Response | None) -> None:
        f = self.facts(appt_id)
        problems = _linear(f)
        if answer is None or answer.status_code != 200:
            problems.append(f"position batch answered {answer.status_code if answer else 'nothing'}")
        if f["status"] != "arrived":
            problems.append(f"the visit ended {f['status']}, not arrived")
        arrival_ids = [eid for eid, name, data in f["events"]
                       if name == "appointment.updated" and data.get("status") == "arrived"]
        arrival_id = arrival_ids[0] if arrival_ids else None
        if len(f["late_alerts"]) > 1:
            problems.append(f"{len(f['late_alerts'])} LATE alerts")
        if any(is_open for _, is_open in f["late_alerts"]):
            problems.append("the LATE alert is still open after the arrival")
        out.won("late first" if f["late_alerts"] else "arrival first")
        if arrival_id is not None:
            late_after = [eid for eid, name, data in f["events"] if eid > arrival_id and (
                name == "alert.created" or (name == "notification.created" and data.get("kind") == "late"))]
            if late_after:
                problems.append("LATE alert or 'checking on your technician' message after the arrival")
        out.anomalies += [f"visit {appt_id}: {p}" for p in problems]


def _linear(f: dict[str, Any]) -> list[str]:
    """One history: each change starts where the previous ended, and no version is claimed twice."""
    problems = []
    prev = None
    for frm, to, _ in f["history"]:
        if prev is not None and frm != prev:
            problems.append(f"history forks: {[(a, b) for a, b, _ in f['history']]}")
            break
        prev = to
    if prev is not None and prev != f["status"]:
        problems.append(f"history ends {prev} but the visit is {f['status']}")
    versions = [v for _, _, v in f["history"] if v is not None]
    if len(versions) != len(set(versions)):
        problems.append(f"two status changes claim one version: {versions}")
    seen: dict[int, str] = {}
    for _, name, data in f["events"]:
        if name != "appointment.updated" or "status" not in data or "eta_at" in data:
            continue
        v, st = int(data["version"]), str(data["status"])
        if seen.get(v, st) != st:
            problems.append(f"version {v} announced as both {seen[v]} and {st}")
        seen[v] = st
    return problems


def _sweep(k: int, n: int, span_ms: float) -> float:
    """Offsets from -span to +span ms across the attempts (interleaved so every region is hit early)."""
    if n <= 1:
        return 0.0
    frac = ((k * 7) % n) / (n - 1)
    return (-span_ms + 2 * span_ms * frac) / 1000.0


def _together(a: Callable[[], httpx.Response], b: Callable[[], httpx.Response],
              offset_s: float) -> list[httpx.Response]:
    """Run a and b on two threads; b starts `offset_s` after a (before it when negative)."""
    results: list[Any] = [None, None]
    barrier = threading.Barrier(2)

    def run(i: int, fn: Callable[[], httpx.Response], delay: float) -> None:
        barrier.wait()
        if delay > 0:
            time.sleep(delay)
        try:
            results[i] = fn()
        except Exception as exc:  # reported as an anomaly by the caller
            results[i] = exc

    ts = [threading.Thread(target=run, args=(0, a, max(0.0, -offset_s))),
          threading.Thread(target=run, args=(1, b, max(0.0, offset_s)))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for r in results:
        if isinstance(r, Exception):
            raise r
    return results
