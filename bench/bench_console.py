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
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")  # the crew map and preview panels

from console_load import (  # noqa: E402
    TZ,
    Load,
    add_dispatcher,
    add_field_users,
    seed,
    start_backend,
    start_listener,
    web_cpu_s,
)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    listener = start_listener(url, token, wire_log) if args.split else None
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
    cpu0, w0, proc0, web0 = time.thread_time(), time.perf_counter(), time.process_time(), web_cpu_s()
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
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        if args.profile_out:
            prof.dump_stats(args.profile_out)
    wall = time.perf_counter() - w0
    cpu = time.thread_time() - cpu0 - idle_rate * wall
    handled = live.events_handled - handled0
    out["events_sent"] = load.count
    out["send_errors"] = load.errors
    out["events_handled"] = handled
    out["achieved_rate_per_s"] = load.count / args.seconds
    out["ui_thread_ms_per_event"] = cpu / max(1, handled) * 1000
    out["console_cpu_cores_live"] = (time.process_time() - proc0) / wall  # every thread of the console
    out["web_pages_cpu_cores_live"] = (web_cpu_s() - web0) / wall  # the crew map's Qt WebEngine processes
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


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--techs", type=int, default=500)
    p.add_argument("--appointments", type=int, default=10_000)
    p.add_argument("--rate", type=float, default=100.0, help="status events per second")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--profile", action="store_true", help="cProfile the UI thread during the live phase")
    p.add_argument("--profile-start", action="store_true", help="cProfile the UI thread from start to first paint")
    p.add_argument("--profile-out", help="also save the live phase's profile to this file (for pstats)")
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


if __name__ == "__main__":
    sys.exit(main())
