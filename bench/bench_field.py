"""Field app benchmark: offline replay after reconnect, and Traccar Client (OsmAnd) ingest beside the field API.

1. A real phone-sized browser (Playwright + /usr/bin/chromium) signed in to the field app goes offline; 500 GPS
   fixes (in the batches of 3 the app makes every 10 s while en route) and 20 status actions (5 jobs × Confirm,
   On My Way, Start, Complete) are queued in IndexedDB in their original order; then the connection returns and
   the time until the outbox is empty is measured. The same requests sent by a plain HTTP client show the
   server's share.
2. Position ingest in the same server process: Traccar Client's OsmAnd JSON body and query form (one fix per
   request, as the app sends them) next to the field API (batches of 1 and 10), 16 concurrent clients.

  python bench/bench_field.py [--pg postgresql://postgres:postgres@127.0.0.1/postgres] [--fixes 500]
"""

from __future__ import annotations

import argparse
import json
import os
import random
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

from bench.bench_positions import pg_database, start_server  # noqa: E402
from models.tables import (  # noqa: E402
    ApiToken,
    Appointment,
    Company,
    Customer,
    FieldDevice,
    Job,
    Technician,
    User,
)
from services.backend.db import make_engine, make_sessionmaker, upgrade_schema  # noqa: E402
from services.backend.security import hash_password, token_hash  # noqa: E402

CENTER = (30.2672, -97.7431)
PASSWORD = "bench-pass-1"
BATCH = 3  # fixes per batch the field app makes while en route (one kept fix every ~4 s, sent every 10 s)
JOBS = 5


def seed(url: str, techs: int) -> dict[str, list[str]]:
    """`techs` technicians (password, bearer token, Traccar device id), each with 5 scheduled jobs today."""
    engine = make_engine(url)
    upgrade_schema(engine)
    sessions = make_sessionmaker(engine)
    now = datetime.now(UTC)
    rng = random.Random(5)
    out: dict[str, list[str]] = {"tokens": [], "devices": [], "emails": []}
    pw = hash_password(PASSWORD)
    with sessions() as s:
        if s.get(Company, 1) is None:
            s.add(Company(id=1, name="Bench Co", time_zone="America/Chicago"))
        for i in range(techs):
            t = Technician(name=f"Tech {i}", created_at=now)
            s.add(t)
            s.flush()
            u = User(email=f"t{i}@bench.example", name=t.name, role="technician", technician_id=t.id,
                     password_hash=pw, created_at=now)
            s.add(u)
            s.flush()
            for k in range(JOBS):
                c = Customer(name=f"Customer {i}-{k}", phone="+15125550100", created_at=now)
                s.add(c)
                s.flush()
                lat, lng = CENTER[0] + rng.uniform(-0.05, 0.05), CENTER[1] + rng.uniform(-0.05, 0.05)
                j = Job(customer_id=c.id, service_type="Bench", lat=lat, lng=lng, created_at=now)
                s.add(j)
                s.flush()
                start = now + timedelta(minutes=5 + 30 * k)
                s.add(Appointment(job_id=j.id, technician_id=t.id, window_start=start,
                                  window_end=start + timedelta(hours=1), status="scheduled", site_lat=lat,
                                  site_lng=lng, created_at=now, updated_at=now))
            tok, dev = uuid.uuid4().hex * 2, uuid.uuid4().hex * 2
            s.add(ApiToken(token_hash=token_hash(tok), user_id=u.id, created_at=now,
                           expires_at=now + timedelta(days=1)))
            s.add(FieldDevice(technician_id=t.id, kind="traccar", token_hash=token_hash(dev), hint=dev[-4:],
                              label="bench", created_at=now))
            out["tokens"].append(tok)
            out["devices"].append(dev)
            out["emails"].append(u.email)
        s.commit()
    engine.dispose()
    return out


def replay_items(fixes: int, appt_ids: list[int], start: datetime) -> list[dict[str, object]]:
    """What the outbox holds after a drive without signal: position batches with the actions in between."""
    batches = []
    t = start
    rng = random.Random(7)
    lat, lng = CENTER
    for b in range(0, fixes, BATCH):
        pts = []
        for _ in range(min(BATCH, fixes - b)):
            t += timedelta(seconds=4)
            lat += rng.uniform(-1, 1) * 2e-4
            lng += rng.uniform(-1, 1) * 2e-4
            pts.append({"lat": lat, "lng": lng, "accuracy_m": 6.0, "recorded_at": t.isoformat()})
        batches.append({"kind": "positions", "method": "POST", "url": "/api/v1/field/positions",
                        "json": {"positions": pts}, "label": f"{len(pts)} location points"})
    actions = []
    for a in appt_ids:
        steps = (("confirm", "dispatched"), ("on-my-way", "en_route"), ("start", "in_progress"),
                 ("complete", "complete"))
        for v, (act, target) in enumerate(steps, start=1):
            actions.append({"kind": "action", "method": "POST", "url": f"/api/v1/field/appointments/{a}/{act}",
                            "appt_id": a, "target": target, "if_match": v, "label": f"{act} #{a}"})
    items: list[dict[str, object]] = []
    every = max(1, len(batches) // max(1, len(actions)))
    for i, b in enumerate(batches):
        items.append(b)
        if i % every == every - 1 and actions:
            items.append(actions.pop(0))
    items.extend(actions)
    return items


def appts_of(url: str, email: str) -> list[int]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        from sqlalchemy import select

        tech = s.scalar(select(User.technician_id).where(User.email == email))
        ids = list(s.scalars(select(Appointment.id).where(Appointment.technician_id == tech)
                             .order_by(Appointment.window_start)))
    engine.dispose()
    return ids


def browser_replay(base: str, url: str, email: str, fixes: int) -> tuple[float, int]:
    """Seconds from reconnect until the browser's outbox is empty, and the number of requests it sent."""
    from playwright.sync_api import sync_playwright

    items = replay_items(fixes, appts_of(url, email), datetime.now(UTC) - timedelta(hours=1))
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        ctx = b.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
        page = ctx.new_page()
        page.goto(base + "/field")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#view .daynav", timeout=30_000)
        ctx.set_offline(True)
        page.evaluate("""async (items) => { for (const it of items) await window.fieldApp.outbox.enqueue(it);
                                           await window.fieldApp.outbox.idle(); }""", items)
        pending = page.evaluate("async () => (await window.fieldApp.outbox.pending()).length")
        assert pending == len(items), f"{pending} queued, expected {len(items)}"
        t0 = time.perf_counter()
        ctx.set_offline(False)
        page.evaluate("""async () => { const o = window.fieldApp.outbox; o.drain();
            while ((await o.pending()).length) await new Promise((r) => setTimeout(r, 10)); }""")
        dt = time.perf_counter() - t0
        bad = page.evaluate("async () => (await window.fieldApp.store.all('results')).filter(r => !r.ok)"
                            ".map(r => r.text)")
        assert not bad, bad[:3]
        b.close()
    return dt, len(items)


def http_replay(base: str, url: str, email: str, token: str, fixes: int) -> float:
    """The same changes sent by a plain HTTP client the way the app sends them (the server's share)."""
    items = replay_items(fixes, appts_of(url, email), datetime.now(UTC) - timedelta(hours=1))
    with httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}) as c:
        t0 = time.perf_counter()
        run: list[dict[str, object]] = []
        for it in [*items, None]:
            if it is not None and it["kind"] == "positions":
                run.append({"key": uuid.uuid4().hex, "positions": it["json"]["positions"]})  # type: ignore[index]
                continue
            for k in range(0, len(run), 50):  # as the app does: a run of kept batches in one request
                r = c.post("/api/v1/field/positions/batches", json={"batches": run[k:k + 50]})
                assert r.status_code == 200 and all(x["status"] == 200 for x in r.json()["results"]), r.text
            run = []
            if it is None:
                break
            headers = {"Idempotency-Key": uuid.uuid4().hex, "If-Match": f'"{it["if_match"]}"'}
            r = c.request(str(it["method"]), str(it["url"]), headers=headers)
            assert r.status_code == 200, r.text
        return time.perf_counter() - t0


def throughput(base: str, kind: str, creds: list[str], total: int, threads: int, batch: int = 1) -> float:
    """Positions per second accepted by `threads` concurrent clients (kind: osmand-json, osmand-query, field)."""
    counter = iter(range(total // batch))
    lock = threading.Lock()
    errors: list[str] = []
    clocks = [datetime.now(UTC) - timedelta(minutes=30) for _ in creds]
    rng = random.Random(9)

    def next_fixes(i: int, n: int) -> list[tuple[float, float, datetime]]:
        with lock:
            out = []
            for _ in range(n):
                clocks[i] += timedelta(seconds=1)
                out.append((CENTER[0] + rng.uniform(-0.05, 0.05), CENTER[1] + rng.uniform(-0.05, 0.05), clocks[i]))
            return out

    def worker(w: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            while True:
                with lock:
                    k = next(counter, None)
                if k is None:
                    return
                i = (k * 31 + w) % len(creds)
                fx = next_fixes(i, batch)
                if kind == "osmand-json":
                    lat, lng, t = fx[0]
                    body = {"location": {"timestamp": t.isoformat().replace("+00:00", "Z"),
                                         "coords": {"latitude": lat, "longitude": lng, "accuracy": 5, "speed": 12,
                                                    "heading": 90, "altitude": 150},
                                         "is_moving": True, "battery": {"level": 0.8, "is_charging": False}},
                            "device_id": creds[i]}
                    r = c.post("/osmand", content=json.dumps(body), headers={"Content-Type": "application/json"})
                elif kind == "osmand-query":
                    lat, lng, t = fx[0]
                    r = c.post("/osmand", params={"id": creds[i], "lat": lat, "lon": lng, "speed": 20,
                                                  "timestamp": int(t.timestamp()), "accuracy": 5, "batt": 80})
                else:
                    r = c.post("/api/v1/field/positions",
                               json={"positions": [{"lat": a, "lng": b, "accuracy_m": 5, "recorded_at": t.isoformat()}
                                                   for a, b, t in fx]},
                               headers={"Authorization": f"Bearer {creds[i]}", "Idempotency-Key": uuid.uuid4().hex})
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
        print(f"    {kind}: {len(errors)} errors, e.g. {errors[0]}")
    return (total // batch) * batch / dt


def bench_db(label: str, url: str, fixes: int, techs: int, threads: int, total: int) -> None:
    creds = seed(url, techs)
    proc, base = start_server(url)
    try:
        print(f"{label}:")
        dt, n = browser_replay(base, url, creds["emails"][0], fixes)
        print(f"  offline replay in the browser: {fixes} fixes + {JOBS * 4} actions ({n} queued changes, in order): "
              f"{dt:.2f} s after reconnect")
        hdt = http_replay(base, url, creds["emails"][1], creds["tokens"][1], fixes)
        print(f"  the same changes from a plain HTTP client: {hdt:.2f} s")
        if not total:
            return
        throughput(base, "osmand-json", creds["devices"], 300, threads)  # warm up
        oj = throughput(base, "osmand-json", creds["devices"][2:], total, threads)
        oq = throughput(base, "osmand-query", creds["devices"][2:], total, threads)
        f1 = throughput(base, "field", creds["tokens"][2:], total, threads)
        f10 = throughput(base, "field", creds["tokens"][2:], total, threads, batch=10)
        print(f"  ingest, {threads} concurrent clients, {techs - 2} technicians, {total} fixes each:")
        print(f"    Traccar Client OsmAnd JSON (1 fix/request):  {oj:7.0f} pos/s")
        print(f"    Traccar Client OsmAnd query (1 fix/request): {oq:7.0f} pos/s")
        print(f"    field API, batch of 1:                       {f1:7.0f} pos/s")
        print(f"    field API, batch of 10:                      {f10:7.0f} pos/s")
    finally:
        proc.terminate()
        proc.wait(20)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fixes", type=int, default=500)
    p.add_argument("--techs", type=int, default=102)
    p.add_argument("--threads", type=int, default=16)
    p.add_argument("--total", type=int, default=3000, help="fixes per ingest measurement (0: replay only)")
    p.add_argument("--pg", default=os.environ.get("DISPATCH_TEST_PG_URL", ""), help="PostgreSQL admin URL")
    args = p.parse_args()
    print(f"{os.cpu_count()} CPU cores · chromium {'/usr/bin/chromium'} · server in its own process")
    with tempfile.TemporaryDirectory() as d:
        bench_db("SQLite", f"sqlite:///{Path(d) / 'bench.db'}", args.fixes, args.techs, args.threads, args.total)
    if args.pg:
        import psycopg

        url, name = pg_database(args.pg)
        try:
            bench_db("PostgreSQL", url, args.fixes, args.techs, args.threads, args.total)
        finally:
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        print("PostgreSQL: skipped (pass --pg URL or set DISPATCH_TEST_PG_URL)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
