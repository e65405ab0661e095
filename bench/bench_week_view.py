"""Week view paint time for 500 technicians (target < 1 s).

    QT_QPA_PLATFORM=offscreen python bench/bench_week_view.py [--techs 500]

Fills the week view's model the way `GET /schedule/week` answers (500 technicians × 7 days, with hours, time off
and empty days), then times: filling the model, painting the view at 1920×1080 (what the dispatcher sees), and
painting every one of the 501 rows at once (the whole table, 20,000 px tall).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication  # noqa: E402

from console.store import Store  # noqa: E402
from services.api_client import ApiClient  # noqa: E402
from widgets.schedule_model import ScheduleModel  # noqa: E402
from widgets.week_view import ROW_H, WeekView  # noqa: E402

MONDAY = date(2026, 11, 30)


def week_answer(techs: int) -> dict[str, object]:
    rnd = random.Random(15)
    days = [MONDAY + timedelta(days=i) for i in range(7)]

    def cell(d: date, hours_set: bool) -> dict[str, object]:
        visits = rnd.randint(0, 9)
        booked = visits * rnd.choice((60, 90, 120))
        cap = (0 if d.weekday() >= 5 else 480 - rnd.choice((0, 0, 0, 120))) if hours_set else None
        text = "Off" if cap == 0 and not visits else (f"{booked / 60:g} / {cap / 60:g} h" if cap else
                                                      f"{booked / 60:g} h booked")
        return {"date": d.isoformat(), "visits": visits, "booked_minutes": booked, "capacity_minutes": cap,
                "text": text}

    rows = []
    for i in range(techs):
        hours_set = i % 5 != 0
        rows.append({"id": i + 1, "name": f"Technician {i + 1:03d}", "hours_set": hours_set,
                     "days": [cell(d, hours_set) for d in days]})
    return {"start": MONDAY.isoformat(), "time_zone": "America/Chicago", "days": [d.isoformat() for d in days],
            "technicians": rows, "unassigned": [cell(d, False) for d in days]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--techs", type=int, default=500)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    store = Store(ScheduleModel("America/Chicago"))
    view = WeekView(ApiClient("http://127.0.0.1:9"), store)  # never asked: the bench fills the model itself
    view.resize(1920, 1080)
    view.show()
    data = week_answer(args.techs)
    fill, screen, whole = [], [], []
    for _ in range(args.runs):
        view.resize(1920, 1080)
        app.processEvents()
        t0 = time.perf_counter()
        view.model.set_week(data)
        fill.append(time.perf_counter() - t0)
        app.processEvents()
        t0 = time.perf_counter()
        view.grab()
        screen.append(time.perf_counter() - t0)
        view.resize(1920, 80 + (args.techs + 1) * ROW_H)
        app.processEvents()
        t0 = time.perf_counter()
        view.grab()
        whole.append(time.perf_counter() - t0)

    def ms(xs: list[float]) -> str:
        return f"median {statistics.median(xs) * 1000:.1f} ms, max {max(xs) * 1000:.1f} ms"

    print(f"week view, {args.techs} technicians × 7 days ({args.runs} runs)")
    print(f"  fill the model from the week answer:  {ms(fill)}")
    print(f"  paint at 1920×1080 (visible rows):    {ms(screen)}")
    print(f"  paint all {args.techs + 1} rows at once:          {ms(whole)}   (target < 1 s)")
    view.shutdown()


if __name__ == "__main__":
    main()
