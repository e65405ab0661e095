"""Insights over a year of history for 500 technicians (~1.5 M status changes), on SQLite and PostgreSQL.

    python bench/bench_insights.py [--pg postgresql://user:pw@host/db] [--techs 500] [--days 365]

The PostgreSQL server URL comes from --pg or DISPATCH_TEST_PG_URL (a scratch database is created and dropped).
History is written with the drivers' bulk paths (sqlite3 executemany, PostgreSQL COPY) into a schema built by
the real migrations, then every request the Insights panel makes is timed, in-process and over HTTP. Prints
the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TZ = "America/Chicago"
SERVICES = ["Leak repair", "Water heater service", "Drain cleaning", "AC tune-up", "Furnace repair",
            "Thermostat install", "Panel upgrade", "Outlet & switch repair", "Ceiling fan install", "Toilet repair"]
COLS = {
    "jobs": ("id", "customer_id", "service_type", "description", "internal_notes", "source", "source_partner",
             "bios_allowed", "address", "lat", "lng", "created_at"),
    "appointments": ("id", "job_id", "technician_id", "window_start", "window_end", "status", "version",
                     "site_lat", "site_lng", "customer_message", "location_stopped", "created_at", "updated_at",
                     "updated_by"),
    "status_events": ("id", "appointment_id", "version", "from_status", "to_status", "actor", "actor_id",
                      "actor_name", "reason", "customer_message", "source", "created_at"),
    "time_entries": ("id", "appointment_id", "technician_id", "started_at", "ended_at"),
    "alerts": ("id", "kind", "dedupe_key", "appointment_id", "message", "is_open", "acknowledged_by",
               "resolved_by", "resolved_at", "resolution_note", "created_at", "cause", "ended_at", "technician_id",
               "window_start"),
    "surveys": ("id", "appointment_id", "customer_id", "kind", "score", "categories", "comment", "created_at"),
    "booking_requests": ("id", "customer_id", "service_type", "preferred_dates", "time_preference", "address",
                         "notes", "state", "response_message", "responded_at", "created_at", "updated_at"),
}


def history(techs: int, days: int, end: date, customers: int) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """(table, rows) chunks, one local day at a time: visits with their audit trail, LATE alerts, clock-ins,
    surveys and booking requests. Technicians differ in punctuality and in how often dispatch statuses for them."""
    rng = random.Random(17)
    tz = ZoneInfo(TZ)
    punctual = [rng.choice([0.02, 0.04, 0.06, 0.1, 0.25]) for _ in range(techs)]
    backup = [rng.choice([0.02, 0.05, 0.05, 0.1, 0.4]) for _ in range(techs)]
    ids = {t: 0 for t in COLS}

    def nid(table: str) -> int:
        ids[table] += 1
        return ids[table]

    for d in range(days):
        day = end - timedelta(days=days - 1 - d)
        rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in COLS}
        if day.weekday() < 5:
            for t in range(techs):
                for slot in range(2 + (t % 5 == 0)):
                    start = datetime.combine(day, dtime(8 + 3 * slot), tzinfo=tz).astimezone(UTC)
                    _visit(rng, rows, nid, t + 1, start, punctual[t], backup[t], customers)
        for _ in range(rng.randint(15, 45)):
            created = datetime.combine(day, dtime(rng.randint(6, 21), rng.randint(0, 59)), tzinfo=tz)
            wait = timedelta(minutes=rng.choice([20, 45, 90, 200, 600, 1500, 2500, 3500]) + rng.randint(0, 30))
            answered = rng.random() < 0.93
            state = rng.choice(["confirmed", "counter_proposed", "declined"]) if answered else "submitted"
            rows["booking_requests"].append((
                nid("booking_requests"), rng.randint(1, customers), rng.choice(SERVICES), "[]", "morning", "",
                "", state, "", created + wait if answered else None, created, created + wait))
        for table, chunk in rows.items():
            if chunk:
                yield table, chunk


def _visit(rng: random.Random, rows: dict[str, list[tuple[Any, ...]]], nid: Callable[[str], int], tech: int,
           start: datetime, late_p: float, backup_p: float, customers: int) -> None:
    cust = rng.randint(1, customers)
    job = nid("jobs")
    service = SERVICES[(job * 7 + tech) % len(SERVICES)]
    rows["jobs"].append((job, cust, service, "", "", "direct", "", True, "", 30.27, -97.74,
                         start - timedelta(days=3)))
    appt = nid("appointments")
    end = start + timedelta(hours=2)
    cancelled = rng.random() < 0.02
    paused = not cancelled and rng.random() < 0.04
    status = "cancelled" if cancelled else ("paused" if paused else "complete")
    if cancelled:
        steps = [("scheduled", "cancelled", "dispatcher", "console", start - timedelta(hours=5))]
    else:
        late = rng.random() < late_p
        arrive = start + timedelta(minutes=rng.randint(35, 140) if late else rng.randint(-20, 100))
        leave = arrive - timedelta(minutes=rng.randint(10, 40))
        site = timedelta(minutes=rng.randint(25, 150))
        steps = [("scheduled", "dispatched", "technician", "field_app", start - timedelta(minutes=90)),
                 ("dispatched", "en_route", "technician", "field_app", leave),
                 ("en_route", "arrived", "system", "geofence", arrive),
                 ("arrived", "in_progress", "technician", "field_app", arrive + timedelta(minutes=3)),
                 ("in_progress", status, "technician", "field_app", arrive + site)]
        if rng.random() < 0.15:  # a dispatcher's correction and redo
            steps.insert(2, ("en_route", "dispatched", "dispatcher", "console", leave + timedelta(minutes=1)))
            steps.insert(3, ("dispatched", "en_route", "technician", "field_app", leave + timedelta(minutes=2)))
        if late:
            alert_at = start + timedelta(minutes=30)
            rows["alerts"].append((nid("alerts"), "late", f"late:{appt}", appt, "LATE", False, "", "System",
                                   arrive, "Status became Arrived", alert_at, "arrived", arrive, tech, start))
        rows["time_entries"].append((nid("time_entries"), appt, tech, arrive, arrive + site))
        if status == "complete" and rng.random() < 0.2:
            rows["surveys"].append((nid("surveys"), appt, cust, "stars", rng.choice([3, 4, 5, 5, 5]), "[]", "",
                                    arrive + site + timedelta(hours=2)))
    for step, (frm, to, actor, source, at) in enumerate(steps):
        if actor == "technician" and rng.random() < backup_p:
            actor, source = "dispatcher", "console"
        rows["status_events"].append((nid("status_events"), appt, step + 2, frm, to, actor, None, "", "", "", source,
                                      at))
    rows["appointments"].append((appt, job, tech, start, end, status, 1 + len(steps), 30.27, -97.74, "", True,
                                 start - timedelta(days=2), steps[-1][4], "bench"))


def _people(session: Any, techs: int, customers: int) -> None:
    from models.tables import Company, Customer, Technician, User
    from services.backend.security import hash_password

    now = datetime.now(UTC)
    session.add(Company(id=1, name="Bench Contracting", time_zone=TZ))
    session.add_all(Technician(name=f"Tech {i:03d}", created_at=now) for i in range(1, techs + 1))
    session.add_all(Customer(name=f"Customer {i}", created_at=now) for i in range(1, customers + 1))
    session.add(User(email="bench@example.com", name="Bench Dispatcher", role="dispatcher",
                     password_hash=hash_password("bench-pass"), created_at=now))
    session.commit()


def _sqlite_text(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return v


def fill(url: str, techs: int, days: int, customers: int, analyze: bool) -> tuple[int, float]:
    """Build the schema with the migrations, then bulk-load the history. Returns (status changes, seconds)."""
    from services.backend.db import make_engine, make_sessionmaker, upgrade_schema

    engine = make_engine(url)
    upgrade_schema(engine)
    with make_sessionmaker(engine)() as s:
        _people(s, techs, customers)
    end = datetime.now(ZoneInfo(TZ)).date()
    t0 = time.perf_counter()
    events = 0
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            cur.execute("BEGIN")
        for table, rows in history(techs, days, end, customers):
            events += len(rows) if table == "status_events" else 0
            cols = COLS[table]
            if sqlite:
                marks = ",".join("?" * len(cols))
                cur.executemany(f"INSERT INTO {table} ({','.join(cols)}) VALUES ({marks})",
                                [tuple(_sqlite_text(v) for v in r) for r in rows])
            else:
                with cur.copy(f"COPY {table} ({','.join(cols)}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
        if not sqlite:
            for table in COLS:
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {table}))")
        cur.execute("COMMIT") if sqlite else raw.commit()
        if not sqlite:
            raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            cur.execute("VACUUM ANALYZE")  # what autovacuum does on a live server
        elif analyze:
            cur.execute("ANALYZE")
    finally:
        raw.close()
    load = time.perf_counter() - t0
    from services.backend.db import session_scope
    from services.backend.visit_facts import rebuild_all

    t0 = time.perf_counter()
    with session_scope(make_sessionmaker(engine)) as s:
        facts = rebuild_all(s)
    print(f"  per-visit facts for {facts:,} visits built in {time.perf_counter() - t0:.1f} s "
          "(once, after loading history in bulk; live changes refresh them as they happen)")
    if engine.dialect.name == "postgresql":  # statistics for the new rows, as autovacuum would gather
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE visit_facts")
    engine.dispose()
    return events, load


REQUESTS = [
    ("last 30 days by day (the panel's default)", 30, "day", False),
    ("last 30 days by technician", 30, "technician", False),
    ("last 30 days, one technician, by day", 30, "day", True),
    ("last 365 days by week", 365, "week", False),
    ("last 365 days by technician", 365, "technician", False),
    ("last 365 days by day", 365, "day", False),
]


def measure(url: str, label: str, runs: int = 3) -> None:
    import httpx

    from models.insights import GroupBy
    from services.backend import insights_query
    from services.backend.embedded import EmbeddedServer
    from services.backend.settings import Settings

    srv = EmbeddedServer(Settings(db_url=url, run_background_jobs=False)).start()
    try:
        ctx = srv.backend
        c = httpx.Client(base_url=srv.url, timeout=120)
        token = c.post("/api/v1/auth/login", json={"email": "bench@example.com", "password": "bench-pass"}).json()
        c.headers["Authorization"] = f"Bearer {token['token']}"
        today = datetime.now(ZoneInfo(TZ)).date()
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\n{label}: seconds, best / median of {runs} (in-process query, with this process's CPU time · "
              f"HTTP GET /api/v1/insights); load average {load} on {os.cpu_count()} cores")
        for name, span, group_by, one_tech in REQUESTS:
            first = today - timedelta(days=span - 1)
            tech = 7 if one_tech else None
            inproc, cpu, http = [], [], []
            for _ in range(runs):
                with ctx.reader() as db:
                    t, c0 = time.perf_counter(), time.process_time()
                    out = insights_query.compute(db, insights_query.Query(
                        first=first, last=today, time_zone=TZ, now=ctx.clock.now(), group_by=GroupBy(group_by),
                        technician_id=tech))
                    inproc.append(time.perf_counter() - t)
                    cpu.append(time.process_time() - c0)
                    db.rollback()
                t = time.perf_counter()
                params = {"from": first.isoformat(), "to": today.isoformat(), "group_by": group_by}
                r = c.get("/api/v1/insights", params=params | ({"technician_id": tech} if tech else {}))
                http.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
            tot = out["totals"]
            print(f"  {name:44s} {min(inproc):6.3f} / {statistics.median(inproc):6.3f} (cpu {min(cpu):5.3f})  ·  "
                  f"{min(http):6.3f} / {statistics.median(http):6.3f}   "
                  f"({tot['visits']:,} visits, on time {tot['on_time_pct']} %, {tot['late_alerts']:,} LATE, "
                  f"{tot['bookings']:,} bookings)")
        c.close()
    finally:
        srv.stop()
        listener = srv.backend.bus._listener  # let the LISTEN thread see the stop before the database goes
        if listener is not None:
            listener.join(3)
        srv.backend.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", default=os.environ.get("DISPATCH_TEST_PG_URL", ""), help="PostgreSQL server URL")
    ap.add_argument("--techs", type=int, default=500)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--customers", type=int, default=20000)
    ap.add_argument("--only", choices=["sqlite", "postgresql"], default=None)
    ap.add_argument("--analyze", action="store_true", help="run ANALYZE on SQLite after loading")
    args = ap.parse_args()
    from argon2 import PasswordHasher

    from services.backend import security

    security._hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    print(f"{args.techs} technicians, {args.days} days of history; machine: {os.cpu_count()} cores")
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            events, secs = fill(url, args.techs, args.days, args.customers, args.analyze)
            size = (Path(tmp) / "bench.db").stat().st_size / 1e6
            print(f"SQLite: {events:,} status changes loaded in {secs:.1f} s ({size:,.0f} MB file)")
            measure(url, "SQLite")
    if args.only in (None, "postgresql"):
        if not args.pg:
            print("PostgreSQL skipped: pass --pg URL or set DISPATCH_TEST_PG_URL")
            return
        import psycopg

        name = f"bench_insights_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{args.pg.rpartition('/')[0]}/{name}"
        try:
            events, secs = fill(url, args.techs, args.days, args.customers, args.analyze)
            print(f"\nPostgreSQL: {events:,} status changes loaded in {secs:.1f} s")
            measure(url, "PostgreSQL")
        finally:
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
