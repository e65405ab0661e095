"""Race suite counts: two `main.py serve` replicas on one PostgreSQL database, many races with swept timing.

Prints, per race, how many attempts ran, who won how often, and the anomalies (must be 0): a fork in an
appointment's history, two changes claiming one version, a cancelled visit that arrived or texted "has arrived",
a LATE alert left open or raised after the arrival.

  python bench/bench_races.py --pg postgresql://postgres:postgres@127.0.0.1/postgres [--attempts 200]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from tests.race_support import Outcome, RaceLab  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", required=True, help="an admin URL; a scratch database is created and dropped")
    ap.add_argument("--attempts", type=int, default=200, help="races per kind (LATE: visits)")
    ap.add_argument("--busy", type=int, default=10, help="visits that turn LATE at the same instant")
    ap.add_argument("--show", type=int, default=5, help="anomalies to print per race")
    args = ap.parse_args()
    name = f"dispatch_races_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{args.pg.rpartition('/')[0]}/{name}"
    t0 = time.perf_counter()
    results: list[Outcome] = []
    errors: list[str] = []
    try:
        with RaceLab(url) as lab:
            results.append(lab.geofence_vs_cancel(args.attempts))
            results.append(lab.arrival_vs_start(args.attempts // 2))
            results.append(lab.late_vs_arrival(max(1, args.attempts // args.busy), busy=args.busy))
            errors = lab.server_errors()
    finally:
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    total = 0
    print(f"Race suite: two replicas on PostgreSQL ({time.perf_counter() - t0:.0f} s)")
    print(f"{'race':48} {'attempts':>8} {'anomalies':>9}  winners")
    for r in results:
        bad = len({a.split(':')[0] for a in r.anomalies})
        total += bad
        wins = ", ".join(f"{k} {v}" for k, v in sorted(r.winners.items()))
        print(f"{r.name:48} {r.attempts:>8} {bad:>9}  {wins}")
        for a in r.anomalies[:args.show]:
            print(f"    {a}")
    print(f"server errors logged by the replicas: {len(errors)}")
    for e in errors[:args.show]:
        print("    " + e.replace("\n", "\n    "))
    print(f"anomalies: {total} (must be 0)")
    return 0 if total == 0 and not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
