"""Status-change writes on their own: answer time and server CPU per request at a fixed rate.

Run:  python bench/bench_status_writes.py [--rate 100] [--seconds 10] [--py-spy FILE.svg]
Seeds the console benchmark's day (500 technicians, 10,000 appointments) on SQLite, starts `main.py serve` as
its own process, then sends status changes at a fixed rate — 80 % dispatcher `POST …/status` (scheduled →
dispatched, with If-Match) and 20 % field-app `POST …/confirm` — from a pool of 6 HTTP connections, as the
console benchmark's load does. Prints p50/p95/p99 answer times per kind and the server's CPU seconds per request
(its utime + stime from /proc), with one event-stream reader connected, as a console is.
`--py-spy FILE` records the server's threads while they hold the GIL (a flame graph, or `--py-spy-format raw`
for collapsed stacks); `--trace FILE` writes each request's send time and answer time.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from console_load import add_dispatcher, add_field_users, free_port, seed  # noqa: E402


def cpu_s(pid: int) -> float:
    """utime + stime of a process and its threads, in seconds."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    f = raw[raw.rindex(")") + 2:].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def start_server(db_url: str, py_spy: str | None, fmt: str) -> tuple[subprocess.Popen[bytes], int, str]:
    """`main.py serve` on a free port (under py-spy when asked); returns the process, the server's pid, the URL."""
    import httpx

    port = free_port()
    env = dict(os.environ, DISPATCH_WATCHDOG_INTERVAL_S="3600", DISPATCH_OUTBOX_INTERVAL_S="5")
    cmd = [sys.executable, str(ROOT / "main.py"), "serve", "--db", db_url, "--port", str(port)]
    if py_spy:
        cmd = ["py-spy", "record", "--gil", "--rate", "200", "--format", fmt, "--output", py_spy, "--", *cmd]
    proc = subprocess.Popen(cmd, cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    else:
        proc.kill()
        raise SystemExit("backend did not start")
    pid = proc.pid
    if py_spy:  # the server is py-spy's child
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        pid = int(kids[0])
    return proc, pid, url


def settle(pid: int) -> None:
    """Wait until the server is idle (its first watchdog pass over the seeded day done)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        before = cpu_s(pid)
        time.sleep(0.5)
        if cpu_s(pid) - before < 0.05:
            return


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * q))]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--techs", type=int, default=500)
    p.add_argument("--appointments", type=int, default=10_000)
    p.add_argument("--rate", type=float, default=100.0, help="status changes per second")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--field-every", type=int, default=5, help="every N-th change is a field-app confirm")
    p.add_argument("--listeners", type=int, default=1, help="event-stream readers (a console each)")
    p.add_argument("--trace", help="write each request's send time (s) and answer time (ms) to this file")
    p.add_argument("--py-spy", help="record the server with py-spy into this file")
    p.add_argument("--py-spy-format", default="flamegraph", choices=["flamegraph", "raw", "speedscope"])
    args = p.parse_args()

    import httpx

    tmp = Path(tempfile.mkdtemp(prefix="bench-writes-"))
    db_url = f"sqlite:///{tmp / 'bench.db'}"
    seed(db_url, args.techs, args.appointments)
    token = add_dispatcher(db_url)
    n = int(args.rate * args.seconds)
    n_field = n // args.field_every + 1
    # Field confirms: scheduled appointments (the later half of the day) of 40 technicians who sign in.
    field_techs = list(range(1, min(args.techs, 40) + 1))
    add_field_users(db_url, field_techs)
    proc, pid, url = start_server(db_url, args.py_spy, args.py_spy_format)
    try:
        with httpx.Client(base_url=url, timeout=20) as c:
            day = c.get("/api/v1/appointments", headers={"Authorization": f"Bearer {token}"}).json()
            field_tokens = {t: c.post("/api/v1/auth/login", json={"email": f"tech{t}@example.com",
                                                                  "password": "benchpass"}).json()["token"]
                            for t in field_techs}
        scheduled = [(a["id"], a["technician_id"]) for a in day if a["status"] == "scheduled"]
        rng = random.Random(3)
        rng.shuffle(scheduled)
        field = [a for a in scheduled if a[1] in field_tokens][:n_field]
        taken = {i for i, _ in field}
        background = [i for i, _ in scheduled if i not in taken][:n]
        if len(field) < n_field or len(background) < n - n // args.field_every:
            raise SystemExit("not enough scheduled appointments for this rate and duration")

        times: dict[str, list[float]] = {"dispatcher": [], "field": []}
        errors = [0]
        trace: list[tuple[float, float]] = []
        local = threading.local()

        def client() -> httpx.Client:
            if not hasattr(local, "c"):
                local.c = httpx.Client(base_url=url, timeout=20)
            return local.c

        def one(k: int) -> None:
            t0 = time.monotonic()
            try:
                if k % args.field_every == 0:
                    appt, tech = field.pop()
                    kind = "field"
                    r = client().post(f"/api/v1/field/appointments/{appt}/confirm",
                                      headers={"Authorization": f"Bearer {field_tokens[tech]}"})
                else:
                    kind = "dispatcher"
                    r = client().post(f"/api/v1/appointments/{background.pop()}/status",
                                      json={"status": "dispatched"},
                                      headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'})
                if r.status_code >= 400:
                    errors[0] += 1
                times[kind].append((time.monotonic() - t0) * 1000)
                trace.append((t0, (time.monotonic() - t0) * 1000))
            except Exception:
                errors[0] += 1

        settle(pid)
        reader = [sys.executable, str(Path(__file__).resolve().parent / "console_load.py"), "listen", url]
        listeners = [subprocess.Popen([*reader, str(tmp / f"wire{i}.txt")], env=dict(os.environ, BENCH_TOKEN=token))
                     for i in range(args.listeners)]
        time.sleep(1.0)
        cpu0, start = cpu_s(pid), time.monotonic()
        with ThreadPoolExecutor(6) as pool:
            for k in range(n):
                delay = start + k / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(one, k)
        wall = time.monotonic() - start
        cpu = cpu_s(pid) - cpu0
        for listener in listeners:
            listener.terminate()
            listener.wait(10)
    finally:
        if args.py_spy:
            proc.send_signal(2)  # py-spy writes its output when the child ends
            os.kill(pid, 15)
        else:
            proc.terminate()
        proc.wait(30)

    done = sum(len(v) for v in times.values())
    load = os.getloadavg()
    print(f"Status writes — {args.techs} technicians, {args.appointments} appointments, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"  sent {n} in {wall:.1f} s ({n / wall:.0f}/s), answered {done}, errors {errors[0]}")
    for kind, ms in times.items():
        if ms:
            print(f"  {kind:10s} n={len(ms):4d}  p50 {statistics.median(ms):6.1f} ms  p95 {pct(ms, 0.95):6.1f} ms  "
                  f"p99 {pct(ms, 0.99):6.1f} ms  max {max(ms):6.1f} ms")
    t_first = min(t for t, _ in trace) if trace else 0.0
    steady = [ms for t, ms in trace if t - t_first >= 2.0]
    if steady:
        print(f"  after 2 s   n={len(steady):4d}  p50 {statistics.median(steady):6.1f} ms  "
              f"p95 {pct(steady, 0.95):6.1f} ms  p99 {pct(steady, 0.99):6.1f} ms  max {max(steady):6.1f} ms")
        print("              (both kinds, leaving out the first 2 s, which warm the server up)")
    print(f"  server CPU {cpu:.2f} s = {cpu / max(1, done) * 1000:.1f} ms per request "
          f"({cpu / wall:.2f} cores)")
    if args.trace:
        Path(args.trace).write_text("".join(f"{t - t_first:.3f} {ms:.1f}\n" for t, ms in sorted(trace)))
    if args.py_spy:
        print(f"  py-spy profile: {args.py_spy}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
