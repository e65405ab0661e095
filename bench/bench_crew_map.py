"""Benchmark: 500 techs on the crew map, 50 position updates/s, batched into the page vs rebuilding with folium."""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from console_load import web_cpu_s  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer, QUrl  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWebEngineWidgets import QWebEngineView  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

CENTER = (30.2672, -97.7431)


def js(page, script: str, timeout_ms: int = 10000):  # type: ignore[no-untyped-def]
    box: list[object] = []
    page.runJavaScript(f"JSON.stringify({script})", 0, box.append)
    deadline = time.monotonic() + timeout_ms / 1000
    while not box and time.monotonic() < deadline:
        QTest.qWait(5)
    return json.loads(box[0]) if box and isinstance(box[0], str) else None


def wait(pred, timeout_s: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not pred():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        QTest.qWait(10)


def rebuild_once(view: QWebEngineView, techs: dict[int, list[float]]) -> float:
    """The naive way: a new folium map with every tech for each update, loaded into the view."""
    import folium

    from widgets.crew_map import leaflet_static_dir

    class Offline(folium.Map):
        default_js = [("leaflet", "leaflet.js")]
        default_css = [("leaflet_css", "leaflet.css")]

    t0 = time.perf_counter()
    m = Offline(location=list(CENTER), zoom_start=11, tiles=None, prefer_canvas=True)
    for tid, (lat, lng) in techs.items():
        folium.CircleMarker([lat, lng], radius=10, color="#fff", fill=True, fill_color="#E69F00",
                            tooltip=f"Tech {tid}").add_to(m)
    html = m.get_root().render()
    loop = QEventLoop()
    view.loadFinished.connect(loop.quit)
    view.setHtml(html, QUrl.fromLocalFile(str(leaflet_static_dir()) + "/"))
    QTimer.singleShot(30000, loop.quit)
    loop.exec()
    view.loadFinished.disconnect(loop.quit)
    js(view.page(), "1")  # the page has run its scripts
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--techs", type=int, default=500)
    ap.add_argument("--rate", type=float, default=50.0, help="position updates per second")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rebuilds", type=int, default=3)
    ap.add_argument("--sites", type=int, default=0, help="today's job sites (default: one per technician)")
    ap.add_argument("--status-rate", type=float, default=0.0, help="appointment status changes per second")
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    from widgets.crew_map import CrewMap

    rng = random.Random(1)
    from console.store import Store
    from widgets.schedule_model import ScheduleModel

    store = Store(ScheduleModel())
    m = CrewMap(None, store, tile_url="")  # type: ignore[arg-type]
    m.resize(1440, 1000)
    m.show()
    statuses = ["en_route", "arrived", "in_progress", "dispatched", "scheduled"]
    techs = {i: [CENTER[0] + rng.uniform(-0.15, 0.15), CENTER[1] + rng.uniform(-0.18, 0.18)]
             for i in range(1, args.techs + 1)}
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    start = f"{store.today().isoformat()}T18:00:00+00:00"
    n_sites = args.sites or args.techs
    appts = [{"id": k, "version": 1, "technician_id": (k - 1) % args.techs + 1, "status": rng.choice(statuses),
              "status_label": "En Route", "window_start": start, "window_end": start.replace("T18", "T19"),
              "customer_name": f"Customer {k}", "site_lat": CENTER[0] + rng.uniform(-0.2, 0.2),
              "site_lng": CENTER[1] + rng.uniform(-0.25, 0.25), "address": "1 Main St", "service_type": "Repair",
              "technician_name": f"Tech {(k - 1) % args.techs + 1} Demo"} for k in range(1, n_sites + 1)]
    store.load(company=None, technicians=[{"id": i, "name": f"Tech {i} Demo", "active": True} for i in techs],
               day=store.today(), appointments=appts,
               positions=[{"technician_id": i, "lat": p[0], "lng": p[1], "recorded_at": now} for i, p in techs.items()])
    t0 = time.perf_counter()
    m.start()  # the page starts with the first data and gets everything in one batch once it has loaded
    wait(lambda: m.page_ready and m.data_ready)
    wait(lambda: (js(m.view.page(), "CrewPage.counts().techs") or 0) >= args.techs)
    initial = js(m.view.page(), "CrewPage.stats.lastMs")
    print(f"initial load: {args.techs} techs + {len(appts)} job sites in one batch: {initial:.1f} ms in page "
          f"({(time.perf_counter() - t0) * 1000:.0f} ms wall, page start included)")
    m.view.page().runJavaScript("CrewPage.stats.batches = 0; CrewPage.stats.totalMs = 0; "
                                "CrewPage.stats.maxMs = 0; CrewPage.stats.updates = 0; "
                                "CrewPage.stats.redrawMs = 0; CrewPage.stats.spots = 0;")
    js(m.view.page(), "1")
    # The UI thread's share of each batch: the diff against what the page has, and the JSON sent to it.
    ui_ms: list[float] = []
    batch_fn, push_fn = m.diff.batch, m._push

    def timed_batch():  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        out = batch_fn()
        ui_ms.append((time.perf_counter() - t) * 1000)
        return out

    def timed_push(b):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        push_fn(b)
        ui_ms[-1] += (time.perf_counter() - t) * 1000

    m.diff.batch = timed_batch  # type: ignore[method-assign]
    m._push = timed_push  # type: ignore[method-assign]
    # Feed events at the target rate through the widget's own path (coalesced, flushed every 250 ms).
    interval = 1.0 / args.rate
    sent = changed = 0
    web0 = web_cpu_s()
    start = time.perf_counter()
    next_at = next_status = start
    while time.perf_counter() - start < args.seconds:
        while args.status_rate and time.perf_counter() >= next_status:  # a status change on a random site
            a = store.appointment(rng.randint(1, n_sites))
            if a is not None:
                store.patch_appointment({"id": a["id"], "version": int(a["version"]) + 1,
                                         "status": "dispatched" if a["status"] != "dispatched" else "scheduled"})
                changed += 1
            next_status += 1.0 / args.status_rate
        while time.perf_counter() >= next_at:
            tid = rng.randint(1, args.techs)
            p = techs[tid]
            p[0] += rng.uniform(-0.0008, 0.0008)
            p[1] += rng.uniform(-0.0008, 0.0008)
            store.apply_position({"technician_id": tid, "lat": p[0], "lng": p[1],
                                                "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                                                                             time.gmtime())})
            sent += 1
            next_at += interval
        QTest.qWait(2)
    QTest.qWait(400)
    web_share = (web_cpu_s() - web0) / (time.perf_counter() - start)
    stats = js(m.view.page(), "CrewPage.stats")
    per_batch = stats["totalMs"] / max(1, stats["batches"])
    per_update = stats["totalMs"] / max(1, stats["updates"])
    print(f"live: {sent} position updates and {changed} status changes in {args.seconds:.0f} s → "
          f"{int(stats['batches'])} batches, "
          f"{stats['updates'] / max(1, stats['batches']):.1f} updates/batch")
    print(f"time per batch inside the page (apply + canvas redraw): mean {per_batch:.2f} ms, "
          f"max {stats['maxMs']:.2f} ms; per update {per_update:.3f} ms; of which canvas redraw "
          f"{stats['redrawMs'] / max(1, stats['batches']):.2f} ms ({stats['spots'] / max(1, stats['batches']):.0f} "
          "changed spots)")
    print(f"Qt WebEngine processes (page, GPU): {web_share:.2f} CPU cores while live")
    if ui_ms:
        print(f"UI thread per batch (diff + JSON to the page): mean {statistics.mean(ui_ms):.2f} ms, "
              f"max {max(ui_ms):.2f} ms over {len(ui_ms)} batches")
    m.shutdown()
    view = QWebEngineView()
    view.resize(1440, 1000)
    view.show()
    times = [rebuild_once(view, techs) for _ in range(args.rebuilds)]
    rebuild = statistics.mean(times) * 1000
    print(f"rebuilding the folium map with {args.techs} markers per update: mean {rebuild:.0f} ms "
          f"(n={len(times)})")
    print(f"ratio: one rebuild costs {rebuild / max(per_batch, 1e-6):.0f}× a whole batch and "
          f"{rebuild / max(per_update, 1e-6):.0f}× per update; at {args.rate:.0f} updates/s a rebuild per update "
          f"would need {rebuild * args.rate / 1000:.1f} s of work per second")
    app.processEvents()


if __name__ == "__main__":
    main()
