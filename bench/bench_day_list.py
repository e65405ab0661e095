"""The day list (GET /api/v1/appointments) with 10,000 appointments: answer time over HTTP, and what checking
and serialising the rows against the response model costs in-process.

Run:  python bench/bench_day_list.py [--appointments 10000] [--runs 15] [--root PATH]
`--root` serves another checkout's backend (e.g. one without response models) for a before/after figure.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TZ = "America/Chicago"


def seed(db_url: str, n_appts: int, n_techs: int = 500) -> str:
    """A day of `n_appts` appointments straight into the database; returns a dispatcher token."""
    from sqlalchemy import insert

    from models.tables import ApiToken, Appointment, Company, Customer, Job, Technician, User
    from services.backend.db import make_engine, upgrade_schema
    from services.backend.security import new_token, token_hash

    engine = make_engine(db_url)
    upgrade_schema(engine)
    rng = random.Random(7)
    now = datetime.now(UTC)
    day = datetime.combine(now.astimezone(ZoneInfo(TZ)).date(), datetime.min.time(), tzinfo=ZoneInfo(TZ))
    n_cust = max(1, n_appts // 4)
    token = new_token()
    with engine.begin() as conn:
        conn.execute(insert(Company), [{"id": 1, "name": "Bench Contracting", "time_zone": TZ}])
        conn.execute(insert(Technician), [{"id": i + 1, "name": f"Tech {i + 1:03d}", "phone": f"+1512555{i:04d}",
                                           "created_at": now} for i in range(n_techs)])
        conn.execute(insert(Customer), [{"id": i + 1, "name": f"Customer {i + 1}", "phone": f"+1737555{i:04d}",
                                         "address": f"{100 + i} Main St", "created_at": now} for i in range(n_cust)])
        conn.execute(insert(Job), [{"id": i + 1, "customer_id": rng.randint(1, n_cust), "service_type": "Leak repair",
                                    "description": "Bench job", "created_at": now} for i in range(n_appts)])
        conn.execute(insert(Appointment), [
            {"id": i + 1, "job_id": i + 1, "technician_id": (i % n_techs) + 1,
             "window_start": day + timedelta(hours=6 + (i % 20) * 0.75),
             "window_end": day + timedelta(hours=7.5 + (i % 20) * 0.75), "status": "scheduled", "version": 1,
             "site_lat": 30.2 + i * 1e-5, "site_lng": -97.7, "created_at": now, "updated_at": now,
             "updated_by": "bench"} for i in range(n_appts)])
        uid = conn.execute(insert(User).returning(User.id), [{
            "email": "bench@example.com", "name": "Bench", "role": "dispatcher", "password_hash": "-",
            "created_at": now}]).scalar_one()
        conn.execute(insert(ApiToken), [{"token_hash": token_hash(token), "user_id": uid, "created_at": now,
                                         "expires_at": now + timedelta(days=1)}])
    engine.dispose()
    return token


def serve(root: Path, db_url: str) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    env = dict(os.environ, DISPATCH_RUN_BACKGROUND_JOBS="false", PYTHONPATH=str(root))
    proc = subprocess.Popen([sys.executable, str(root / "main.py"), "serve", "--db", db_url, "--port", str(port)],
                            cwd=str(root), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("backend did not start")


def over_http(url: str, token: str, runs: int) -> tuple[list[float], int]:
    import httpx

    times = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        c.get("/api/v1/appointments")  # warm up
        for _ in range(runs):
            t = time.perf_counter()
            r = c.get("/api/v1/appointments")
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text[:200]
        return times, len(r.content)


def in_process(db_url: str, runs: int) -> dict[str, float]:
    """Milliseconds to check and serialise the day's rows: as free-form dicts, and against the response model."""
    from pydantic import TypeAdapter

    from models.timefmt import day_bounds, today
    from services.backend.appointment_views import day_list
    from services.backend.db import make_engine, make_sessionmaker

    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as db:
        start, end = day_bounds(today(datetime.now(UTC), TZ), TZ)
        t = time.perf_counter()
        rows = day_list(db, start, end)
        query_ms = (time.perf_counter() - t) * 1000
    engine.dispose()
    out = {"rows": float(len(rows)), "query + dicts": query_ms}
    adapters: dict[str, Any] = {"dicts (no model)": TypeAdapter(list[dict[str, Any]])}
    try:
        from models.public.appointments import AppointmentPublic

        adapters["AppointmentPublic model instances"] = TypeAdapter(list[AppointmentPublic])
        from models.public.appointments import day_rows

        adapters["AppointmentPublic rows (as served)"] = day_rows
    except ImportError:  # a checkout without response models
        pass
    for name, ta in adapters.items():
        best = min(_time(lambda ta=ta: ta.dump_json(ta.validate_python(rows))) for _ in range(runs))
        out[name] = best * 1000
    return out


def _time(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--appointments", type=int, default=10_000)
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--root", type=Path, default=ROOT, help="the checkout whose backend is served")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        token = seed(db_url, args.appointments)
        proc, url = serve(args.root.resolve(), db_url)
        try:
            times, size = over_http(url, token, args.runs)
        finally:
            proc.terminate()
            proc.wait(10)
        print(f"GET /api/v1/appointments, {args.appointments:,} appointments, {size / 1e6:.1f} MB, "
              f"served from {args.root.resolve()}")
        print(f"  over HTTP: median {statistics.median(times) * 1000:.0f} ms, best {min(times) * 1000:.0f} ms "
              f"({args.runs} runs)")
        if args.root.resolve() == ROOT:
            figures = in_process(db_url, args.runs)
            print(f"  in-process, {int(figures.pop('rows')):,} rows (best of {args.runs}):")
            for name, ms in figures.items():
                print(f"    {name}: {ms:.0f} ms" if name == "query + dicts" else
                      f"    check + serialise as {name}: {ms:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
