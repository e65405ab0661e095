"""Position ingest benchmark: 1,000 simulated technicians posting fixes (batches of 1 and 10) over HTTP to a
real backend process, on SQLite and PostgreSQL, plus the in-process ingest rate and the per-position cost of
the geofence rule and the offline ETA.

  python bench/bench_positions.py [--pg postgresql://postgres:postgres@127.0.0.1/postgres] [--techs 1000]
"""

from __future__ import annotations

import argparse
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from models.geo import GeoState  # noqa: E402
from models.schemas import PositionIn  # noqa: E402
from models.tables import (  # noqa: E402
    ApiToken,
    Appointment,
    Company,
    Customer,
    Job,
    Technician,
    User,
)
from services.backend.db import make_engine, make_sessionmaker, upgrade_schema  # noqa: E402
from services.backend.security import token_hash  # noqa: E402
from services.eta import OfflineEta  # noqa: E402

CENTER = (30.2672, -97.7431)


def seed(url: str, n: int) -> list[str]:
    """n technicians, each with a login token and one en-route appointment ~3 km away; returns the tokens."""
    engine = make_engine(url)
    upgrade_schema(engine)
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    rng = random.Random(1)
    tokens = []
    with sessions() as s:
        if s.get(Company, 1) is None:
            s.add(Company(id=1, name="Bench Co", time_zone="America/Chicago"))
        techs = [Technician(name=f"Tech {i}", created_at=now) for i in range(n)]
        s.add_all(techs)
        s.flush()
        users = [User(email=f"t{i}@bench.example", name=t.name, role="technician", technician_id=t.id,
                      password_hash="x", created_at=now) for i, t in enumerate(techs)]
        s.add_all(users)
        custs = [Customer(name=f"C {i}", created_at=now) for i in range(n)]
        s.add_all(custs)
        s.flush()
        jobs = [Job(customer_id=c.id, service_type="Bench", created_at=now) for c in custs]
        s.add_all(jobs)
        s.flush()
        for t, j, u in zip(techs, jobs, users, strict=True):
            lat, lng = CENTER[0] + rng.uniform(-0.05, 0.05), CENTER[1] + rng.uniform(-0.05, 0.05)
            s.add(Appointment(job_id=j.id, technician_id=t.id, window_start=now, window_end=now + timedelta(hours=2),
                              status="en_route", site_lat=lat, site_lng=lng, created_at=now, updated_at=now))
            tok = uuid.uuid4().hex + uuid.uuid4().hex
            s.add(ApiToken(token_hash=token_hash(tok), user_id=u.id, created_at=now,
                           expires_at=now + timedelta(days=1)))
            tokens.append(tok)
        s.commit()
    engine.dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "DISPATCH_WATCHDOG_INTERVAL_S": "30", "DISPATCH_OUTBOX_INTERVAL_S": "2"}
    proc = subprocess.Popen([sys.executable, "main.py", "serve", "--db", url, "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("backend did not start")


class Track:
    """Per-tech position generator: drives in a straight line from a random point, one fix per second."""

    def __init__(self, n: int):
        rng = random.Random(2)
        self.pos = [[CENTER[0] + rng.uniform(-0.08, 0.08), CENTER[1] + rng.uniform(-0.08, 0.08)] for _ in range(n)]
        self.t = [datetime.now(UTC) - timedelta(hours=1)] * n
        self.lock = threading.Lock()

    def batch(self, i: int, size: int) -> list[dict[str, object]]:
        with self.lock:
            out = []
            for _ in range(size):
                self.pos[i][0] += 0.0001
                self.t[i] += timedelta(seconds=1)
                out.append({"lat": self.pos[i][0], "lng": self.pos[i][1], "accuracy_m": 8.0,
                            "recorded_at": self.t[i].isoformat()})
            return out


def http_run(base: str, tokens: list[str], track: Track, batch: int, requests: int, threads: int) -> float:
    """Positions per second accepted over HTTP by `threads` concurrent phones."""
    counter = iter(range(requests))
    lock = threading.Lock()
    errors: list[str] = []

    def worker(w: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            while True:
                with lock:
                    k = next(counter, None)
                if k is None:
                    return
                i = (k * 7919 + w) % len(tokens)
                r = c.post("/api/v1/field/positions", json={"positions": track.batch(i, batch)},
                           headers={"Authorization": f"Bearer {tokens[i]}", "Idempotency-Key": uuid.uuid4().hex})
                if r.status_code != 200:
                    errors.append(f"{r.status_code} {r.text[:200]}")

    ts = [threading.Thread(target=worker, args=(w,)) for w in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.perf_counter() - t0
    if errors:
        print(f"    {len(errors)} errors, e.g. {errors[0]}")
    return requests * batch / dt


def inprocess_run(url: str, n: int, batch: int, batches: int) -> float:
    """Positions per second through services.backend.positions.ingest (no HTTP), one transaction per batch."""
    from services.backend.clock import Clock
    from services.backend.context import Backend
    from services.backend.events import EventBus
    from services.backend.positions import ingest

    engine = make_engine(url)
    ctx = Backend(settings=__import__("services.backend.settings", fromlist=["Settings"]).Settings(db_url=url),
                  clock=Clock(), engine=engine, sessions=make_sessionmaker(engine), bus=EventBus())
    track = Track(n)
    track.t = [datetime.now(UTC)] * n
    t0 = time.perf_counter()
    for k in range(batches):
        i = (k * 7919) % n
        fixes = [PositionIn(**f) for f in track.batch(i, batch)]  # type: ignore[arg-type]
        with ctx.sessions() as s:
            ingest(s, ctx, i + 1, fixes)
            s.commit()
    dt = time.perf_counter() - t0
    engine.dispose()
    return batches * batch / dt


def writer_run(url: str, n: int, batch: int, batches: int, threads: int) -> float:
    """Positions per second through the group-commit writer the HTTP route uses, fed by `threads` at once."""
    from services.backend.clock import Clock
    from services.backend.context import Backend
    from services.backend.events import EventBus
    from services.backend.ingest_writer import Batch, IngestWriter
    from services.backend.settings import Settings

    engine = make_engine(url)
    ctx = Backend(settings=Settings(db_url=url), clock=Clock(), engine=engine, sessions=make_sessionmaker(engine),
                  bus=EventBus())
    w = IngestWriter(ctx)
    track = Track(n)
    track.t = [datetime.now(UTC) + timedelta(hours=1)] * n
    counter = iter(range(batches))
    lock = threading.Lock()

    def feed(k0: int) -> None:
        while True:
            with lock:
                k = next(counter, None)
            if k is None:
                return
            i = (k * 7919 + k0) % n
            w.submit(Batch(i + 1, i + 1, [PositionIn(**f) for f in track.batch(i, batch)],  # type: ignore[arg-type]
                           uuid.uuid4().hex))

    ts = [threading.Thread(target=feed, args=(j,)) for j in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.perf_counter() - t0
    engine.dispose()
    return batches * batch / dt


def rule_cost(n: int = 20000) -> tuple[float, float]:
    """Microseconds per position for the geofence rule and for the offline ETA."""
    state = GeoState()
    t = datetime.now(UTC)
    site = CENTER
    t0 = time.perf_counter()
    for k in range(n):
        lat = site[0] - 0.01 + k * 1e-6
        state.observe(1, *site, lat, site[1], 8.0, t + timedelta(seconds=k), radius=91.44, max_accuracy=100.0)
        state.remember(lat, site[1], t + timedelta(seconds=k))
    geo = (time.perf_counter() - t0) / n * 1e6
    eta = OfflineEta()
    t0 = time.perf_counter()
    for k in range(n):
        eta.estimate(site[0] - 0.01 + k * 1e-6, site[1], *site)
    return geo, (time.perf_counter() - t0) / n * 1e6


def bench_db(label: str, url: str, n: int, threads: int) -> None:
    tokens = seed(url, n)
    proc, base = start_server(url)
    try:
        track = Track(n)
        http_run(base, tokens, track, 1, 200, threads)  # warm up
        b1 = http_run(base, tokens, track, 1, 3000, threads)
        b10 = http_run(base, tokens, track, 10, 600, threads)
    finally:
        proc.terminate()
        proc.wait(20)
    ip1 = inprocess_run(url, n, 1, 2000)
    ip10 = inprocess_run(url, n, 10, 400)
    g1 = writer_run(url, n, 1, 4000, threads)
    g10 = writer_run(url, n, 10, 800, threads)
    print(f"{label}:")
    print(f"  HTTP end to end (auth, idempotency, ingest)   batch 1: {b1:7.0f} pos/s   batch 10: {b10:7.0f} pos/s")
    print(f"  ingest, one transaction per batch (1 thread)  batch 1: {ip1:7.0f} pos/s   batch 10: {ip10:7.0f} pos/s")
    print(f"  group-commit writer ({threads} threads)          batch 1: {g1:7.0f} pos/s   batch 10: {g10:7.0f} pos/s")


def pg_database(admin: str) -> tuple[str, str]:
    import psycopg

    name = f"dispatch_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.rpartition("/")[0] + "/" + name, name


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--techs", type=int, default=1000)
    p.add_argument("--threads", type=int, default=16, help="concurrent phones posting at once")
    p.add_argument("--pg", default=os.environ.get("DISPATCH_TEST_PG_URL", ""), help="PostgreSQL admin URL")
    args = p.parse_args()
    geo, eta = rule_cost()
    print(f"{os.cpu_count()} CPU cores · {args.techs} technicians · {args.threads} concurrent clients")
    print(f"per position: geofence rule {geo:.1f} µs, offline ETA {eta:.1f} µs  "
          f"(≈ {1e6 / (geo + eta):,.0f} positions/s per core for the rules alone)")
    with tempfile.TemporaryDirectory() as d:
        bench_db("SQLite", f"sqlite:///{Path(d) / 'bench.db'}", args.techs, args.threads)
    if args.pg:
        import psycopg

        url, name = pg_database(args.pg)
        try:
            bench_db("PostgreSQL", url, args.techs, args.threads)
        finally:
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        print("PostgreSQL: skipped (pass --pg URL or set DISPATCH_TEST_PG_URL)")
    return 0 if math.isfinite(geo) else 1


if __name__ == "__main__":
    sys.exit(main())
