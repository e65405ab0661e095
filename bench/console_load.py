"""The console benchmark's other side: the seeded day, the backend process, the live load and a stream listener.

The load and the listener run as processes of their own (`python bench/console_load.py send|listen …`), as the
field apps and other consoles do, so nothing but the console shares the console's interpreter.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TZ = "America/Chicago"  # the benchmark company's zone
SERVICES = ["Leak repair", "Water heater service", "Drain cleaning", "AC tune-up", "Furnace repair"]


def seed(db_url: str, n_techs: int, n_appts: int) -> None:
    """Bulk-insert a big day straight into SQLite (past windows complete, the rest scheduled), with a job site
    for every appointment and a fresh position for every technician, so the crew map has its full load."""
    from sqlalchemy import insert

    from models.tables import Appointment, Company, Customer, Job, LatestPosition, Technician
    from services.backend.db import make_engine, upgrade_schema

    engine = make_engine(db_url)
    upgrade_schema(engine)
    rng = random.Random(7)
    now = datetime.now(UTC)
    tz = ZoneInfo(TZ)
    day_start = datetime.combine(now.astimezone(tz).date(), datetime.min.time(), tzinfo=tz)
    with engine.begin() as conn:
        conn.execute(insert(Company), [{"id": 1, "name": "Bench Contracting", "time_zone": TZ}])
        conn.execute(insert(Technician), [{"id": i + 1, "name": f"Tech {i + 1:03d}", "phone": f"+1512555{i:04d}",
                                           "created_at": now} for i in range(n_techs)])
        conn.execute(insert(LatestPosition), [{"technician_id": i + 1, "lat": 30.27 + rng.uniform(-0.15, 0.15),
                                               "lng": -97.74 + rng.uniform(-0.18, 0.18), "accuracy_m": 8.0,
                                               "recorded_at": now, "geo_state": {}} for i in range(n_techs)])
        n_cust = max(1, n_appts // 4)
        conn.execute(insert(Customer), [{"id": i + 1, "name": f"Customer {i + 1}", "phone": f"+1737555{i:04d}",
                                         "address": f"{100 + i} Main St", "created_at": now,
                                         "notifications_enabled": False} for i in range(n_cust)])
        conn.execute(insert(Job), [{"id": i + 1, "customer_id": rng.randint(1, n_cust),
                                    "service_type": rng.choice(SERVICES), "description": "Bench job",
                                    "created_at": now} for i in range(n_appts)])
        rows = []
        for i in range(n_appts):
            start = day_start + timedelta(hours=6 + (i % 20) * 0.75)
            end = start + timedelta(hours=1.5)
            status = "complete" if end < now else "scheduled"
            rows.append({"id": i + 1, "job_id": i + 1, "technician_id": (i % n_techs) + 1, "window_start": start,
                         "window_end": end, "status": status, "version": 1, "created_at": now,
                         "updated_at": now, "updated_by": "bench", "site_lat": 30.27 + rng.uniform(-0.2, 0.2),
                         "site_lng": -97.74 + rng.uniform(-0.25, 0.25)})
        conn.execute(insert(Appointment), rows)
    engine.dispose()


def add_users(db_url: str, tech_ids: list[int]) -> str:
    """A dispatcher token plus field-app logins (password 'benchpass') for the given technicians."""
    from sqlalchemy import insert

    from models.tables import ApiToken, User
    from services.backend.db import make_engine
    from services.backend.security import hash_password, new_token, token_hash

    engine = make_engine(db_url)
    now = datetime.now(UTC)
    pw = hash_password("benchpass")
    token = new_token()
    with engine.begin() as conn:
        res = conn.execute(insert(User).returning(User.id), [{"email": "bench@example.com", "name": "Bench Dispatcher",
                                                              "role": "dispatcher", "password_hash": pw,
                                                              "created_at": now}])
        uid = res.scalar_one()
        conn.execute(insert(ApiToken), [{"token_hash": token_hash(token), "user_id": uid, "created_at": now,
                                         "expires_at": now + timedelta(days=1)}])
    engine.dispose()
    return token


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_backend(db_url: str) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    port = free_port()
    env = dict(os.environ, DISPATCH_WATCHDOG_INTERVAL_S="3600", DISPATCH_OUTBOX_INTERVAL_S="5")
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "serve", "--db", db_url, "--port", str(port)],
                            cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("backend did not start")


class Load(threading.Thread):
    """Sends status changes at `rate`/s: every `field_every`-th is a field-app confirm on a visible block.

    It runs in a process of its own (`send`): its HTTP threads would otherwise share the console's interpreter
    lock and delay the UI thread (the benchmark's `--load-in-process` shows by how much).
    """

    def __init__(self, url: str, token: str, background: list[int], visible: list[tuple[int, int]], rate: float,
                 seconds: float, field_every: int = 5):
        super().__init__(daemon=True)
        self.url, self.token, self.rate, self.seconds = url, token, rate, seconds
        self.background, self.visible, self.field_every = list(background), list(visible), field_every
        self.sent: dict[int, float] = {}
        self.answered: dict[int, float] = {}  # when the server answered each field change
        self.count = 0
        self.errors = 0
        self.field_tokens: dict[int, str] = {}

    def login_techs(self) -> None:
        import httpx

        with httpx.Client(base_url=self.url, timeout=20) as c:
            for tech in {t for _, t in self.visible}:
                r = c.post("/api/v1/auth/login", json={"email": f"tech{tech}@example.com", "password": "benchpass"})
                self.field_tokens[tech] = r.json()["token"]

    def run(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        import httpx

        disp = {"Authorization": f"Bearer {self.token}", "If-Match": '"1"'}
        local = threading.local()

        def client() -> httpx.Client:
            if not hasattr(local, "c"):
                local.c = httpx.Client(base_url=self.url, timeout=20)
            return local.c

        def one(k: int) -> None:
            try:
                if k % self.field_every == 0 and self.visible:
                    appt, tech = self.visible.pop()
                    self.sent[appt] = time.monotonic()
                    r = client().post(f"/api/v1/field/appointments/{appt}/confirm",
                                      headers={"Authorization": f"Bearer {self.field_tokens[tech]}"})
                    self.answered[appt] = time.monotonic()
                else:
                    appt = self.background.pop()
                    r = client().post(f"/api/v1/appointments/{appt}/status", json={"status": "dispatched"},
                                      headers=disp)
                if r.status_code >= 400:
                    self.errors += 1
                self.count += 1
            except Exception:
                self.errors += 1

        start = time.monotonic()
        total = int(self.rate * self.seconds)
        with ThreadPoolExecutor(6) as pool:
            for k in range(total):
                target = start + k / self.rate
                delay = target - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(one, k)


    def spec(self) -> dict[str, Any]:
        return {"url": self.url, "token": self.token, "background": self.background, "visible": self.visible,
                "rate": self.rate, "seconds": self.seconds, "field_every": self.field_every,
                "field_tokens": self.field_tokens}

    async def run_elsewhere(self) -> None:
        """Run in a separate process (`send`) and take its results back."""
        tmp = Path(tempfile.mkdtemp())
        (tmp / "spec.json").write_text(json.dumps(self.spec()))
        proc = subprocess.Popen([sys.executable, __file__, "send", str(tmp / "spec.json"), str(tmp / "out.json")])
        while proc.poll() is None:
            await asyncio.sleep(0.05)
        res = json.loads((tmp / "out.json").read_text())
        self.sent = {int(k): v for k, v in res["sent"].items()}
        self.answered = {int(k): v for k, v in res["answered"].items()}
        self.count, self.errors = res["count"], res["errors"]


def send(spec_path: str, out_path: str) -> None:
    """The `send` process: one load run, its timings written as JSON (monotonic clock, shared by processes)."""
    spec = json.loads(Path(spec_path).read_text())
    load = Load(spec["url"], spec["token"], spec["background"], [tuple(v) for v in spec["visible"]], spec["rate"],
                spec["seconds"], spec["field_every"])
    load.field_tokens = {int(k): v for k, v in spec["field_tokens"].items()}
    load.run()
    Path(out_path).write_text(json.dumps({"sent": load.sent, "answered": load.answered, "count": load.count,
                                          "errors": load.errors}))


def add_field_users(db_url: str, tech_ids: list[int]) -> None:
    from sqlalchemy import insert

    from models.tables import User
    from services.backend.db import make_engine
    from services.backend.security import hash_password

    engine = make_engine(db_url)
    pw = hash_password("benchpass")
    now = datetime.now(UTC)
    if not tech_ids:
        return
    with engine.begin() as conn:
        conn.execute(insert(User), [{"email": f"tech{t}@example.com", "name": f"Tech {t:03d}", "role": "technician",
                                     "technician_id": t, "password_hash": pw, "created_at": now} for t in tech_ids])
    engine.dispose()


def add_dispatcher(db_url: str) -> str:
    return add_users(db_url, [])


def listen(url: str, out: str) -> None:
    """The `listen` process: read the event stream; log when each field change's event arrives."""
    import httpx

    headers = {"Authorization": f"Bearer {os.environ['BENCH_TOKEN']}", "Accept": "text/event-stream"}
    with open(out, "w", buffering=1) as f, httpx.Client(base_url=url, timeout=None) as c, \
            c.stream("GET", "/api/v1/events", headers=headers) as r:
        name = ""
        for line in r.iter_lines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:") and name == "appointment.updated":
                data = json.loads(line[5:])
                if data.get("status") == "dispatched":
                    f.write(f"{time.monotonic()} {data['id']}\n")


def web_cpu_s() -> float:
    """CPU seconds used so far by this process's Qt WebEngine helper processes (the page's renderer, GPU, …)."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[int, str, float]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        f = raw[raw.rindex(")") + 2:].split()
        procs[int(pid)] = (int(f[1]), name, (int(f[11]) + int(f[12])) / tick)
    mine, total, grew = {os.getpid()}, 0.0, True
    while grew:
        grew = False
        for pid, (ppid, _name, _cpu) in procs.items():
            if ppid in mine and pid not in mine:
                mine.add(pid)
                grew = True
    for pid in mine - {os.getpid()}:
        if procs[pid][1].startswith("QtWebEngine"):
            total += procs[pid][2]
    return total


def start_listener(url: str, token: str, out: Path) -> subprocess.Popen[bytes]:
    """An independent stream reader (`listen`): when the server put each field change's event on the wire."""
    env = dict(os.environ, BENCH_TOKEN=token)
    return subprocess.Popen([sys.executable, __file__, "listen", url, str(out)], env=env)


if __name__ == "__main__":
    if sys.argv[1:2] == ["send"]:
        send(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["listen"]:
        listen(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit("usage: console_load.py send SPEC OUT | listen URL OUT")
