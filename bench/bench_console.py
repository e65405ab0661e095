"""Console benchmark: 500 technicians, 10,000 appointments — first paint, memory, per-event cost, latency.

Run:  QT_QPA_PLATFORM=offscreen python bench/bench_console.py [--techs 500] [--appointments 10000]
The backend runs as a separate process (`main.py serve`) so the console's memory is measured on its own, and
the live load (status changes, field-app confirms) is sent from a third process. Latency is split into the
server's answer, the event reaching the console, and the console's own part (event → block repainted);
`--split` adds an independent stream reader to show when the server put each event on the wire.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import socket
import statistics
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
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")  # the crew map and preview panels

TZ = "America/Chicago"  # the benchmark company's zone
SERVICES = ["Leak repair", "Water heater service", "Drain cleaning", "AC tune-up", "Furnace repair"]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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

    It runs in a process of its own (`--send`), as the field apps and other consoles do: its HTTP threads would
    otherwise share the console's interpreter lock and delay the UI thread (`--load-in-process` shows by how much).
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
        """Run in a separate process (`--send`) and take its results back."""
        import json

        tmp = Path(tempfile.mkdtemp())
        (tmp / "spec.json").write_text(json.dumps(self.spec()))
        proc = subprocess.Popen([sys.executable, __file__, "--send", str(tmp / "spec.json"), str(tmp / "out.json")])
        while proc.poll() is None:
            await asyncio.sleep(0.05)
        res = json.loads((tmp / "out.json").read_text())
        self.sent = {int(k): v for k, v in res["sent"].items()}
        self.answered = {int(k): v for k, v in res["answered"].items()}
        self.count, self.errors = res["count"], res["errors"]


def send(spec_path: str, out_path: str) -> None:
    """The `--send` process: one load run, its timings written as JSON (monotonic clock, shared by processes)."""
    import json

    spec = json.loads(Path(spec_path).read_text())
    load = Load(spec["url"], spec["token"], spec["background"], [tuple(v) for v in spec["visible"]], spec["rate"],
                spec["seconds"], spec["field_every"])
    load.field_tokens = {int(k): v for k, v in spec["field_tokens"].items()}
    load.run()
    Path(out_path).write_text(json.dumps({"sent": load.sent, "answered": load.answered, "count": load.count,
                                          "errors": load.errors}))


async def bench(args: argparse.Namespace, url: str, token: str, db_url: str) -> dict[str, Any]:
    from PySide6.QtCore import QSettings

    from console.live import LiveSync
    from console.main_window import MainWindow
    from console.wiring import wire
    from services.api_client import ApiClient
    from widgets.schedule_model import ScheduleModel

    out: dict[str, Any] = {"rss_before_mb": rss_mb()}
    client = ApiClient(url, token)
    model = ScheduleModel(TZ)
    live = LiveSync(client, model)
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "bench.ini"), QSettings.Format.IniFormat)
    painted: dict[tuple[int, str], float] = {}
    first_paint: list[float] = []
    loaded = asyncio.get_running_loop().create_future()
    live.dayLoaded.connect(lambda d: loaded.done() or loaded.set_result(time.perf_counter()))

    start_prof = None
    if args.profile_start:
        import cProfile

        start_prof = cProfile.Profile()
        start_prof.enable()
    t0 = time.perf_counter()
    window = MainWindow(live, settings=settings, user_name="Bench", server_label=url)

    def observe(i: int, s: str, v: int) -> None:
        if not first_paint:
            first_paint.append(time.perf_counter())
        key = (i, s)
        if key not in painted:
            painted[key] = time.monotonic()

    window.view.paint_observer = observe
    panels = wire(window, live) if not args.no_panels else {}  # every panel open, as a dispatcher runs it
    out["panels"] = len(panels)
    window.resize(1920, 1080)
    window.show()
    out["window_shown_s"] = time.perf_counter() - t0  # window, panels and their first (empty) paint
    await live.start()
    t_loaded = await asyncio.wait_for(loaded, 60)
    while not first_paint:
        await asyncio.sleep(0.005)
    if start_prof is not None:
        start_prof.disable()
        import pstats

        pstats.Stats(start_prof).sort_stats("cumulative").print_stats(30)
        pstats.Stats(start_prof).sort_stats("tottime").print_stats(25)
    crew = panels.get("Crew map")
    if crew is not None:  # the panels fill in right after the grid has painted
        while not crew.data_ready:  # type: ignore[attr-defined]
            await asyncio.sleep(0.005)
        out["crew_map_filled_s"] = time.perf_counter() - t0
    out["appointments_loaded"] = len(model.appts)
    out["lanes"] = len(model.lanes)
    out["load_s"] = t_loaded - t0
    out["first_paint_s"] = first_paint[0] - t0
    out["http_load_s"] = live.last_load_s
    out["rss_after_load_mb"] = rss_mb()

    # Synthetic per-event cost: model upsert + repaint, no network.
    view = window.view
    visible_ids = [i for i in model.appts if (r := view.block_rect(i)) is not None
                   and r.intersects(view.viewport().rect().toRectF()) and r.left() > 220]
    sample = random.Random(1).sample(sorted(model.appts), 1000)
    t = time.perf_counter()
    for k, i in enumerate(sample):
        d = dict(model.appts[i].data)
        d["version"] = model.appts[i].version + 1
        d["status"] = "dispatched" if k % 2 else d["status"]
        model.upsert(d)
        if k % 10 == 0:
            await asyncio.sleep(0)  # back to the Qt loop: it paints (never processEvents() inside a coroutine)
    await asyncio.sleep(0)
    out["synthetic_upsert_paint_ms"] = (time.perf_counter() - t) / len(sample) * 1000
    await live.load_day(model.day)  # back to the server's truth before the live phase

    # Live: 100 events/s for N seconds through the real backend; field confirms on visible blocks for latency.
    techs_visible = sorted({model.appts[i].technician_id for i in visible_ids if model.appts[i].status == "scheduled"})
    await asyncio.to_thread(add_field_users, db_url, techs_visible)
    vis = [(i, model.appts[i].technician_id) for i in visible_ids if model.appts[i].status == "scheduled"]
    random.Random(2).shuffle(vis)
    vis_set = {i for i, _ in vis}
    background = [i for i, a in model.appts.items() if a.status == "scheduled" and i not in vis_set]
    random.Random(3).shuffle(background)
    n = int(args.rate * args.seconds)
    load = Load(url, token, background[:n], vis[: n // 5 + 1], args.rate, args.seconds)
    await asyncio.to_thread(load.login_techs)
    wire_log = Path(tempfile.mkdtemp()) / "wire.txt"  # an independent reader: when the server sent each event
    listener = subprocess.Popen([sys.executable, __file__, "--listen", url, str(wire_log)],
                                env=dict(os.environ, BENCH_TOKEN=token)) if args.split else None
    await asyncio.sleep(1.0)
    idle_cpu0, idle_t0 = time.thread_time(), time.perf_counter()
    await asyncio.sleep(2.0)
    idle_rate = (time.thread_time() - idle_cpu0) / (time.perf_counter() - idle_t0)
    arrived: dict[int, float] = {}  # when each field change's event reached the console

    def on_event(name: str, data: dict[str, Any]) -> None:
        if name == "appointment.updated" and data.get("status") == "dispatched":
            arrived.setdefault(int(data["id"]), time.monotonic())

    live.eventReceived.connect(on_event)
    handled0 = live.events_handled
    requests0 = client.requests_sent
    prof = None
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    cpu0, w0 = time.thread_time(), time.perf_counter()
    if args.load_in_process:
        load.start()
        while load.is_alive():
            await asyncio.sleep(0.05)
    else:
        await load.run_elsewhere()
    await asyncio.sleep(1.5)  # let the tail drain
    if prof is not None:
        prof.disable()
        import pstats

        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
    wall = time.perf_counter() - w0
    cpu = time.thread_time() - cpu0 - idle_rate * wall
    handled = live.events_handled - handled0
    out["events_sent"] = load.count
    out["send_errors"] = load.errors
    out["events_handled"] = handled
    out["achieved_rate_per_s"] = load.count / args.seconds
    out["ui_thread_ms_per_event"] = cpu / max(1, handled) * 1000
    out["http_requests_per_100_events"] = (client.requests_sent - requests0) / max(1, handled) * 100
    lat = sorted((painted[(i, "dispatched")] - t_sent) * 1000 for i, t_sent in load.sent.items()
                 if (i, "dispatched") in painted)
    out["latency_samples"] = len(lat)
    out["latency_missing"] = len(load.sent) - len(lat)
    if lat:
        out["latency_p50_ms"] = statistics.median(lat)
        out["latency_p95_ms"] = lat[min(len(lat) - 1, int(len(lat) * 0.95))]
        out["latency_max_ms"] = lat[-1]
    on_wire: dict[int, float] = {}
    if listener is not None:
        listener.terminate()
        listener.wait(10)
        for line in wire_log.read_text().splitlines():
            t_s, i_s = line.split()
            on_wire.setdefault(int(i_s), float(t_s))
    # Where the time goes: the server's answer; the event on the wire (an independent reader in its own process,
    # so the backend's share); the event in the console; the console's own part (event → block repainted).
    for label, values in (
            ("server_answer", [load.answered[i] - t for i, t in load.sent.items() if i in load.answered]),
            ("event_on_wire", [on_wire[i] - t for i, t in load.sent.items() if i in on_wire]),
            ("event_in_console", [arrived[i] - t for i, t in load.sent.items() if i in arrived]),
            ("event_to_paint", [painted[(i, "dispatched")] - arrived[i] for i in load.sent
                                if i in arrived and (i, "dispatched") in painted])):
        if values:
            ms = sorted(v * 1000 for v in values)
            out[f"{label}_p50_ms"] = statistics.median(ms)
            out[f"{label}_p95_ms"] = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    out["peak_rss_mb"] = peak_mb()
    await live.stop()
    await client.aclose()
    window.close()
    return out


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


def listen(url: str, out: str) -> None:
    """Read the event stream in this separate process; log when each field change's event arrives."""
    import json

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


def main() -> int:
    if sys.argv[1:2] == ["--listen"]:
        listen(sys.argv[2], sys.argv[3])
        return 0
    if sys.argv[1:2] == ["--send"]:
        send(sys.argv[2], sys.argv[3])
        return 0
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--techs", type=int, default=500)
    p.add_argument("--appointments", type=int, default=10_000)
    p.add_argument("--rate", type=float, default=100.0, help="status events per second")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--profile", action="store_true", help="cProfile the UI thread during the live phase")
    p.add_argument("--profile-start", action="store_true", help="cProfile the UI thread from start to first paint")
    p.add_argument("--no-panels", action="store_true", help="the grid alone (to see what the panels cost)")
    p.add_argument("--split", action="store_true",
                   help="also read the event stream in a separate process: when the server put each event on the wire")
    p.add_argument("--load-in-process", action="store_true",
                   help="send the load from threads inside the console's process (shares its interpreter lock)")
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-console-"))
    db_url = f"sqlite:///{tmp / 'bench.db'}"
    t = time.perf_counter()
    seed(db_url, args.techs, args.appointments)
    token = add_dispatcher(db_url)
    print(f"seeded {args.techs} technicians, {args.appointments} appointments in {time.perf_counter() - t:.1f} s")
    proc, url = start_backend(db_url)
    try:
        import qasync
        from PySide6.QtWidgets import QApplication

        QApplication(sys.argv[:1])

        async def run_and_report() -> None:
            try:
                out = await bench(args, url, token, db_url)
            except BaseException:
                import traceback

                traceback.print_exc()
                proc.terminate()
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(1)  # a failed run reports and leaves (tearing Qt WebEngine down can crash)
            proc.terminate()
            proc.wait(10)
            print()
            print(f"Console benchmark — {args.techs} technicians, {args.appointments} appointments, "
                  f"{os.cpu_count()} CPUs, every panel open")
            for k, v in out.items():
                print(f"  {k:28s} {v:10.3f}" if isinstance(v, float) else f"  {k:28s} {v:>10}")
            sys.stdout.flush()
            os._exit(0)  # skip tearing down Qt WebEngine and the loop (it can crash on the way out)

        qasync.run(run_and_report())
    finally:
        proc.terminate()
        proc.wait(10)
    return 1


def add_dispatcher(db_url: str) -> str:
    return add_users(db_url, [])


if __name__ == "__main__":
    sys.exit(main())
