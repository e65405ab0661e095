"""Week view data for 500 technicians: `GET /api/v1/schedule/week` over HTTP, and the day's availability.

    python bench/bench_week.py [--techs 500] [--per-day 20] [--pg postgresql://…]

Builds a week of appointments (500 techs × 7 days × 20 visits = 70,000) with working hours for every tech and
some time off, runs the backend as an embedded server, and times the endpoints end to end (auth, one SQL
aggregate, capacity per tech and day, JSON). Target: week view data < 1 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.tables import (  # noqa: E402
    Appointment,
    Customer,
    Job,
    Technician,
    TimeOffRow,
    User,
    WorkingHoursRow,
)
from services.backend.embedded import EmbeddedServer  # noqa: E402
from services.backend.security import hash_password  # noqa: E402
from services.backend.settings import Settings  # noqa: E402

TZ = ZoneInfo("America/Chicago")
MONDAY = date(2026, 11, 30)
STATUSES = ["scheduled"] * 6 + ["dispatched", "complete", "cancelled", "in_progress"]


def seed(server: EmbeddedServer, techs: int, per_day: int) -> int:
    rnd = random.Random(15)
    now = datetime.now(UTC)
    with server.backend.sessions() as s:
        s.add(User(email="bench@example.com", name="Bench", role="dispatcher",
                   password_hash=hash_password("bench-pw-1"), created_at=now))
        s.execute(insert(Technician), [{"name": f"Tech {i:03d}", "created_at": now} for i in range(1, techs + 1)])
        s.execute(insert(Customer), [{"name": f"Customer {i}", "created_at": now} for i in range(1, 2001)])
        s.execute(insert(Job), [{"customer_id": rnd.randint(1, 2000), "service_type": "Tune-up", "created_at": now}
                                for _ in range(5000)])
        s.execute(insert(WorkingHoursRow), [{"technician_id": t, "weekday": d, "start_min": 480, "end_min": 1020}
                                            for t in range(1, techs + 1) for d in range(5)])
        s.execute(insert(TimeOffRow), [{"technician_id": t, "starts_at": datetime.combine(MONDAY, datetime.min.time(),
                                                                                          TZ) + timedelta(days=2),
                                        "ends_at": datetime.combine(MONDAY, datetime.min.time(), TZ)
                                        + timedelta(days=3), "reason": "training", "created_at": now}
                                       for t in range(1, techs + 1, 10)])
        rows = []
        for t in range(1, techs + 1):
            for d in range(7):
                for _ in range(per_day):
                    start = datetime.combine(MONDAY + timedelta(days=d), datetime.min.time(), TZ) + timedelta(
                        minutes=7 * 60 + 15 * rnd.randrange(0, 44))
                    rows.append({"job_id": rnd.randint(1, 5000), "technician_id": t, "window_start": start,
                                 "window_end": start + timedelta(minutes=rnd.choice([30, 60, 90, 120])),
                                 "status": rnd.choice(STATUSES), "version": 1, "created_at": now, "updated_at": now})
        for i in range(0, len(rows), 10_000):
            s.execute(insert(Appointment), rows[i:i + 10_000])
        s.commit()
    return len(rows)


def timed(client: httpx.Client, path: str, params: dict[str, str], runs: int) -> tuple[list[float], int]:
    out, size = [], 0
    for _ in range(runs):
        t = time.perf_counter()
        r = client.get(path, params=params)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text[:300]
        size = len(r.content)
    return out, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--techs", type=int, default=500)
    ap.add_argument("--per-day", type=int, default=20)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--pg", help="PostgreSQL server URL (a scratch database is created and dropped)")
    args = ap.parse_args()
    import logging

    logging.getLogger("services.backend.events").setLevel(logging.ERROR)  # the listener sees the scratch db go
    scratch = None
    if args.pg:
        import psycopg

        scratch = f"bench_week_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{scratch}"')
        url = args.pg.rsplit("/", 1)[0] + "/" + scratch
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench_week.db"
    server = EmbeddedServer(Settings(db_url=url, run_background_jobs=False)).start()
    try:
        t = time.perf_counter()
        n = seed(server, args.techs, args.per_day)
        print(f"{'PostgreSQL' if args.pg else 'SQLite'}: {args.techs} technicians, {n:,} appointments in the week "
              f"(seeded in {time.perf_counter() - t:.1f} s)")
        anon = httpx.Client(base_url=server.url, timeout=60)
        token = anon.post("/api/v1/auth/login", json={"email": "bench@example.com", "password": "bench-pw-1"}).json()
        client = httpx.Client(base_url=server.url, timeout=60, headers={"Authorization": f"Bearer {token['token']}"})
        for label, path, params in (("GET /schedule/week (7 days)", "/api/v1/schedule/week",
                                     {"start": MONDAY.isoformat()}),
                                    ("GET /availability (one day)", "/api/v1/availability",
                                     {"date": (MONDAY + timedelta(days=2)).isoformat()})):
            ms, size = timed(client, path, params, args.runs)
            print(f"{label}: first {ms[0]:.0f} ms, then median {statistics.median(ms[1:]):.0f} ms, "
                  f"max {max(ms[1:]):.0f} ms; {size / 1024:.0f} KiB  (target < 1000 ms)")
        client.close()
        anon.close()
    finally:
        server.stop()
        if scratch:
            import psycopg

            with psycopg.connect(args.pg, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


if __name__ == "__main__":
    main()
