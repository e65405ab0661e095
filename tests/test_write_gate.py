"""Concurrent writes: SQLite writers take turns in arrival order, and a burst of status changes from several
consoles and phones at once is applied in full, each change announced on the event stream exactly once."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from services.backend.db import make_engine
from services.backend.events import EventBus
from services.backend.write_gate import WriteGate
from tests.conftest import Api, World
from tests.sse import SseReader


def test_writers_on_one_file_all_commit_without_waiting_on_sqlite(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    other = make_engine(f"sqlite:///{tmp_path / 'w.db'}")  # a second engine on the same file shares the gate
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (who INTEGER, k INTEGER)"))

    def write(who: int) -> None:
        for k in range(40):
            with (engine if who % 2 else other).begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (:w, :k)"), {"w": who, "k": k})

    t = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    assert time.monotonic() - t < 20  # no writer sat out SQLite's busy sleeps or its 30 s timeout
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 320
        conn.rollback()
    # A failed write (a rolled-back transaction) lets the next writer in.
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO nowhere VALUES (1)"))
    except Exception:
        pass
    with other.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (99, 0)"))
    engine.dispose()
    other.dispose()


def test_gate_serves_writers_in_arrival_order_and_never_hangs() -> None:
    gate = WriteGate(timeout_s=0.3)
    first = object()
    gate.enter(first)
    order: list[int] = []

    def writer(i: int) -> None:
        conn = object()
        gate.enter(conn)
        order.append(i)
        gate.leave(conn)

    threads = []
    for i in range(5):
        th = threading.Thread(target=writer, args=(i,))
        th.start()
        threads.append(th)
        time.sleep(0.02)  # queue them one after another
    gate.leave(first)
    for th in threads:
        th.join(5)
    assert order == [0, 1, 2, 3, 4]
    # A writer stuck behind one that never finishes goes on after the timeout (SQLite then decides).
    gate.enter(first)
    t = time.monotonic()
    late = object()
    gate.enter(late)
    assert 0.25 < time.monotonic() - t < 3
    gate.leave(late)  # it never held the gate: nothing to hand over
    gate.leave(first)
    gate.enter(late)  # the gate is free again
    gate.leave(late)


def test_a_stream_woken_while_reading_reads_again_at_once() -> None:
    bus = EventBus()

    async def run() -> tuple[bool, float]:
        mark = bus.mark()
        bus.wake()  # an event committed while the stream was reading
        t = time.monotonic()
        woke = await bus.wait(5.0, since=mark)
        return woke, time.monotonic() - t

    woke, waited = asyncio.run(run())
    assert woke and waited < 1.0

    async def quiet() -> bool:
        return await bus.wait(0.05, since=bus.mark())

    assert asyncio.run(quiet()) is False


def test_burst_of_status_changes_is_applied_and_announced_once_each(api: Api, world: World) -> None:
    start = datetime.now(UTC) + timedelta(hours=2)
    appts = [world.schedule(world.cust1["id"], world.tech1["id"] if i % 2 else world.tech2["id"],
                            start + timedelta(hours=i)) for i in range(12)]
    reader = SseReader(api.url, world.dispatcher.headers["Authorization"].split()[1])

    def change(i: int) -> int:
        a = appts[i]
        if i % 3 == 0:  # the phone of the appointment's technician confirms
            phone = world.field1 if a["technician_id"] == world.tech1["id"] else world.field2
            return phone.post(f"/api/v1/field/appointments/{a['id']}/confirm").status_code
        r = world.dispatcher.post(f"/api/v1/appointments/{a['id']}/status", json={"status": "dispatched"},
                                  headers={"If-Match": f'"{a["version"]}"'})
        assert r.headers["ETag"] == f'"{a["version"] + 1}"'
        assert r.json()["history"][-1]["to_status"] == "dispatched"
        return r.status_code

    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(change, range(12))) == [200] * 12
    ids = {a["id"] for a in appts}
    reader.wait_for(lambda e: len({x[2]["id"] for x in reader.events if x[1] == "appointment.updated"
                                   and x[2].get("status") == "dispatched"} & ids) == 12)
    time.sleep(0.3)  # nothing announced twice
    seen = [e[2]["id"] for e in reader.events if e[1] == "appointment.updated" and e[2]["id"] in ids]
    assert sorted(seen) == sorted(ids)
    event_ids = [e[0] for e in reader.events]
    assert event_ids == sorted(event_ids) and len(event_ids) == len(set(event_ids))
    for a in appts:
        got = world.dispatcher.get(f"/api/v1/appointments/{a['id']}").json()
        assert got["status"] == "dispatched" and got["version"] == a["version"] + 1
    reader.close()
