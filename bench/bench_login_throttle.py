"""Sign-in throttle figures: how many wrong passwords the backend checks per account and per client address
before answering 429, in real time and over a simulated day, and whether an unknown account answers at the
speed of a real one.

  python bench/bench_login_throttle.py [--pg postgresql://postgres:postgres@127.0.0.1/postgres] [--seconds 60]

Each scenario runs against a fresh backend (production password hashing) on loopback. "Accepted" means the
password was actually checked (401); a 429 checks nothing. The simulated day moves the backend's clock
forward by each `Retry-After`, i.e. an attacker who waits exactly as long as told.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from models.tables import User  # noqa: E402
from services.backend.clock import OffsetClock  # noqa: E402
from services.backend.embedded import EmbeddedServer  # noqa: E402
from services.backend.security import hash_password  # noqa: E402
from services.backend.settings import Settings  # noqa: E402

LOGIN = "/api/v1/auth/login"


@contextmanager
def backend(db: str) -> Iterator[tuple[EmbeddedServer, OffsetClock]]:
    """A fresh backend with one real account, on SQLite or on a new PostgreSQL database."""
    clock = OffsetClock()
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = f"sqlite:///{Path(tmp) / 'bench.db'}", None
        if db:
            import psycopg

            name = f"dispatch_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(db, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            url, drop = f"{db.rpartition('/')[0]}/{name}", name
        srv = EmbeddedServer(Settings(db_url=url, run_background_jobs=False), clock=clock).start()
        try:
            with srv.backend.sessions() as s:
                s.add(User(email="sam@example.com", name="Sam", role="dispatcher",
                           password_hash=hash_password("the-right-one"), created_at=datetime.now(UTC)))
                s.commit()
            yield srv, clock
        finally:
            srv.stop()
            if drop:
                import psycopg

                with psycopg.connect(db, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')


def real_time(c: httpx.Client, seconds: float, email_for: Callable[[int], str]) -> tuple[int, int]:
    """Hammer as fast as one client can for `seconds`; (checked, refused)."""
    checked = refused = i = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        r = c.post(LOGIN, json={"email": email_for(i), "password": f"guess-{i}"})
        i += 1
        if r.status_code == 429:
            refused += 1
        else:
            checked += 1
    return checked, refused


def patient(c: httpx.Client, clock: OffsetClock, email_for: Callable[[int], str],
            marks_s: tuple[int, ...]) -> dict[int, int]:
    """An attacker who waits each Retry-After: wrong passwords checked by each mark of simulated time."""
    start = clock.now()
    out: dict[int, int] = {}
    checked = i = 0
    pending = list(marks_s)
    while pending:
        r = c.post(LOGIN, json={"email": email_for(i), "password": f"guess-{i}"})
        i += 1
        if r.status_code == 429:
            wait = int(r.headers["Retry-After"])
            elapsed = (clock.now() - start).total_seconds()
            while pending and elapsed + wait > pending[0]:
                out[pending.pop(0)] = checked
            clock.advance(seconds=wait)
        else:
            checked += 1
    return out


def timing(c: httpx.Client, n: int) -> tuple[list[float], list[float]]:
    """Ms of a wrong password for a real account and for an unknown one (fresh keys, no lock)."""
    known: list[float] = []
    unknown: list[float] = []
    for i in range(n):
        pair = [("sam@example.com", known), (f"ghost{i}@example.com", unknown)]
        for email, box in (pair if i % 2 else pair[::-1]):  # alternate which goes first
            t = time.perf_counter()
            r = c.post(LOGIN, json={"email": email, "password": f"wrong-{i}"})
            box.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 401, r.text
        if i % 4 == 3:  # stay under the account limit of the real one
            c.post(LOGIN, json={"email": "sam@example.com", "password": "the-right-one"})
    return known, unknown


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pg", default="", help="PostgreSQL admin URL (a fresh database is made and dropped)")
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each real-time run")
    args = ap.parse_args()
    where = "PostgreSQL" if args.pg else "SQLite"
    marks = (60, 3600, 86400)
    print(f"Sign-in throttle on {where} (defaults: 5 per account, 20 per address, 30 s doubling to 15 min)\n")

    one_account = lambda i: "sam@example.com"  # noqa: E731
    sprayed = lambda i: f"user{i}@example.com"  # noqa: E731
    for label, emails in (("one account, one address", one_account), ("one address, a new account each try",
                                                                        sprayed)):
        with backend(args.pg) as (srv, _clock), httpx.Client(base_url=srv.url, timeout=30) as c:
            checked, refused = real_time(c, args.seconds, emails)
        per_min = checked / (args.seconds / 60)
        print(f"{label}: real time {args.seconds:.0f} s — {checked} wrong passwords checked "
              f"({per_min:.1f}/min), {refused} answered 429")
        with backend(args.pg) as (srv, clock), httpx.Client(base_url=srv.url, timeout=30) as c:
            sim = patient(c, clock, emails, marks)
        print(f"  waiting out every Retry-After: {sim[60]} in the first minute, {sim[3600]} in an hour "
              f"({sim[3600] / 60:.2f}/min), {sim[86400]} in a day ({sim[86400] / 1440:.3f}/min)")
    known_ms: list[float] = []
    unknown_ms: list[float] = []
    for _ in range(3):  # fresh backends: 16 wrong passwords each stays under the address limit
        with backend(args.pg) as (srv, _clock), httpx.Client(base_url=srv.url, timeout=30) as c:
            c.post(LOGIN, json={"email": "sam@example.com", "password": "the-right-one"})  # warm up
            k, u = timing(c, 8)
        known_ms += k
        unknown_ms += u
    known, unknown = statistics.median(known_ms), statistics.median(unknown_ms)
    print(f"\nwrong password, median answer of {len(known_ms)}: real account {known:.1f} ms, unknown account "
          f"{unknown:.1f} ms (same status, body and headers)")


if __name__ == "__main__":
    main()
