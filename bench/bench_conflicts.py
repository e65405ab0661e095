"""Conflict check per drop on a 10,000-appointment day (500 technicians), as the console runs it.

    python bench/bench_conflicts.py [--techs 500] [--visits 10000] [--drops 20000]

The day is indexed per technician once (`DayIndex`); each drop then bisects one technician's visits and runs
the full rule (overlaps, time off, working hours, skills). Prints the index build time and per-drop figures.
Target: < 5 ms per drop.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.availability import DayIndex, Shift, TimeOff, Visit, WorkingHours, conflicts  # noqa: E402

TZ = "America/Chicago"
STATUSES = ["scheduled"] * 6 + ["dispatched", "en_route", "arrived", "in_progress", "complete", "cancelled", "paused"]


def make_day(techs: int, visits: int, rnd: random.Random) -> tuple[date, list[Visit], dict[int, WorkingHours],
                                                                   dict[int, list[TimeOff]]]:
    day = date(2026, 12, 2)
    base = datetime(2026, 12, 2, tzinfo=ZoneInfo(TZ))
    out = []
    for i in range(visits):
        start = base + timedelta(minutes=7 * 60 + 15 * rnd.randrange(0, 48))
        end = start + timedelta(minutes=rnd.choice([30, 60, 90, 120]))
        out.append(Visit(i + 1, rnd.randrange(1, techs + 1), start, end, rnd.choice(STATUSES), f"Customer {i + 1}"))
    hours = {t: WorkingHours(tuple([Shift(8 * 60, 17 * 60)] * 5 + [None, None])) for t in range(1, techs + 1)}
    off = {t: [TimeOff(base + timedelta(hours=12), base + timedelta(hours=13), "lunch")]
           for t in range(1, techs + 1) if t % 7 == 0}
    return day, out, hours, off


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--techs", type=int, default=500)
    ap.add_argument("--visits", type=int, default=10_000)
    ap.add_argument("--drops", type=int, default=20_000)
    args = ap.parse_args()
    rnd = random.Random(15)
    day, visits, hours, off = make_day(args.techs, args.visits, rnd)
    t0 = time.perf_counter()
    idx = DayIndex(visits)
    build_ms = (time.perf_counter() - t0) * 1000
    base = datetime(2026, 12, 2, tzinfo=ZoneInfo(TZ))
    drops = []
    for _ in range(args.drops):
        tech = rnd.randrange(1, args.techs + 1)
        start = base + timedelta(minutes=8 * 60 + 15 * rnd.randrange(0, 32))
        drops.append((tech, start, start + timedelta(minutes=rnd.choice([60, 120])), rnd.randrange(1, args.visits)))
    per_drop: list[float] = []
    found = 0
    conflicts("warm-up", base, base + timedelta(hours=1), [], tz=TZ, hours=hours[1])  # zone data loaded once
    for tech, start, end, moving in drops:
        t = time.perf_counter()
        c = conflicts(f"Tech {tech}", start, end, idx.candidates(tech, start, end), tz=TZ, hours=hours[tech],
                      time_off=off.get(tech, ()), required_skills=("EPA 608",), offered_skills=("EPA 608",),
                      exclude_id=moving)
        per_drop.append((time.perf_counter() - t) * 1000)
        found += bool(c)
    # The same drop without the index (a scan of the whole day), for comparison.
    scan: list[float] = []
    for tech, start, end, moving in drops[:200]:
        t = time.perf_counter()
        mine = [v for v in visits if v.technician_id == tech]
        conflicts(f"Tech {tech}", start, end, mine, tz=TZ, hours=hours[tech], time_off=off.get(tech, ()),
                  exclude_id=moving)
        scan.append((time.perf_counter() - t) * 1000)
    per_drop.sort()
    print(f"day: {args.visits:,} appointments, {args.techs} technicians, {args.drops:,} drops checked")
    print(f"index build (once per day load): {build_ms:.1f} ms")
    print(f"per drop with the index: mean {statistics.fmean(per_drop) * 1000:.1f} µs, "
          f"p50 {per_drop[len(per_drop) // 2] * 1000:.1f} µs, p95 {per_drop[int(len(per_drop) * .95)] * 1000:.1f} µs, "
          f"p99.9 {per_drop[int(len(per_drop) * .999)] * 1000:.1f} µs, max {per_drop[-1]:.3f} ms  (target < 5 ms)")
    print(f"per drop scanning the whole day instead: mean {statistics.fmean(scan):.2f} ms")
    print(f"drops with at least one conflict: {found / len(drops):.0%}")


if __name__ == "__main__":
    main()
