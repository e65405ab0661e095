"""The event stream: events persisted in the database, fanned out in-process and through PostgreSQL NOTIFY."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, event, func, select, text
from sqlalchemy.orm import Session

from models.events import AppointmentUpdated, EventName
from models.events import payload as event_payload
from models.tables import Appointment, Event

log = logging.getLogger(__name__)
CHANNEL = "dispatch_events"
_PENDING = "dispatch_events_pending"
_QUEUE = "dispatch_events_queue"


def publish(session: Session, name: str, data: dict[str, Any] | BaseModel, now: datetime) -> None:
    """Add an event to the caller's transaction; it is written when the transaction commits. The payload must
    fit the event's model (models/events.py `PAYLOADS`): a key it does not declare is a ValueError here, in
    the publisher's tests, not a surprise in a console.

    Events are written last, just before the commit, after every row change of the transaction has been
    flushed. On PostgreSQL an advisory transaction lock makes ids commit in order (a reader that saw id N never
    misses an id below N committed later); taking it only then means no transaction ever waits for a row lock
    while holding it, so row locks and the event lock cannot deadlock.
    """
    session.info.setdefault(_QUEUE, []).append((str(name), event_payload(name, data), now))


def publish_appointment(session: Session, appt: Appointment, now: datetime, **extra: Any) -> None:
    """`appointment.updated`: the id, version and status every client keys on, the technician and window (a
    reassign or reschedule applies without a refetch), plus anything else that changed (e.g. `eta_at`)."""
    publish(session, EventName.APPOINTMENT_UPDATED, AppointmentUpdated(
        id=appt.id, version=appt.version, status=appt.status, technician_id=appt.technician_id,
        window_start=appt.window_start, window_end=appt.window_end, **extra), now)


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """`session.begin_nested()` that also drops the events published inside it when it rolls back."""
    queue = session.info.setdefault(_QUEUE, [])
    mark = len(queue)
    try:
        with session.begin_nested():
            yield
    except BaseException:
        del queue[mark:]
        raise


@event.listens_for(Session, "before_commit")
def _write_queued(session: Session) -> None:
    if session.in_nested_transaction():
        return
    queue = session.info.pop(_QUEUE, None)
    if not queue:
        return
    session.flush()  # row changes first: from here until the commit this transaction waits for no row lock
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(774412)"))
        session.execute(text("SELECT pg_notify(:c, '')"), {"c": CHANNEL})
    session.add_all([Event(name=name, data=data, created_at=now) for name, data, now in queue])
    session.flush()
    session.info[_PENDING] = True


@event.listens_for(Session, "after_transaction_end")
def _drop_unwritten(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # rolled back or closed without a commit: its events never happened
        session.info.pop(_QUEUE, None)


class EventBus:
    """Wakes waiting SSE streams when events commit, in this process or (PostgreSQL) any replica."""

    def __init__(self) -> None:
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._lock = threading.Lock()
        self._wakes = 0  # how many times wake() ran: a stream notes it before reading, and waits only if unchanged
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()

    def attach(self, session_class: Any) -> None:
        """Call wake() after every commit that published events (sessions of `session_class`)."""

        @event.listens_for(session_class, "after_commit")
        def _after_commit(session: Session) -> None:
            # Not popped here: every bus attached to the class (several backends in one process) must see it.
            if session.info.get(_PENDING, False):
                self.wake()

        @event.listens_for(session_class, "after_transaction_end")
        def _after_end(session: Session, transaction: Any) -> None:
            if transaction.parent is None:  # the outermost transaction, after every after_commit listener
                session.info.pop(_PENDING, None)

        @event.listens_for(session_class, "after_rollback")
        def _after_rollback(session: Session) -> None:
            session.info.pop(_PENDING, None)

    def wake(self) -> None:
        with self._lock:
            self._wakes += 1
            waiters = list(self._waiters)
        for loop, ev in waiters:
            try:
                loop.call_soon_threadsafe(ev.set)
            except RuntimeError:  # loop closed
                pass

    def mark(self) -> int:
        """Note this before reading the events: `wait(…, since=mark)` then returns at once if events committed
        meanwhile, so a reader that got everything need not read again just in case."""
        with self._lock:
            return self._wakes

    async def wait(self, timeout: float, since: int | None = None) -> bool:
        """Wait until woken or `timeout` seconds pass; True if woken (at once when woken after `since`)."""
        ev = asyncio.Event()
        item = (asyncio.get_running_loop(), ev)
        with self._lock:
            if since is not None and self._wakes != since:
                return True
            self._waiters.add(item)
        try:
            await asyncio.wait_for(ev.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters.discard(item)

    def start_pg_listener(self, dsn: str) -> None:
        """LISTEN on PostgreSQL in a thread so events committed by other replicas wake our streams."""
        import psycopg

        def run() -> None:
            while not self._stop.is_set():
                try:
                    with psycopg.connect(dsn, autocommit=True) as conn:
                        conn.execute(f"LISTEN {CHANNEL}")
                        while not self._stop.is_set():
                            for _ in conn.notifies(timeout=1.0, stop_after=1):
                                self.wake()
                except Exception as exc:  # connection lost: retry
                    log.warning("event listener reconnecting: %s", exc)
                    self._stop.wait(1.0)

        self._listener = threading.Thread(target=run, name="pg-listen", daemon=True)
        self._listener.start()

    def stop(self) -> None:
        self._stop.set()


def fetch_after(session: Session, last_id: int, limit: int = 500) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.id > last_id).order_by(Event.id).limit(limit)))


def newest_id(session: Session) -> int:
    return session.scalar(select(func.max(Event.id))) or 0


def oldest_id(session: Session) -> int | None:
    return session.scalar(select(func.min(Event.id)))


def prune(session: Session, before: datetime) -> int:
    """Drop events older than `before` (the newest event is always kept so ids never restart)."""
    keep = newest_id(session)
    res = session.execute(delete(Event).where(Event.created_at < before, Event.id < keep))
    return res.rowcount or 0


def sse_format(ev_id: int, name: str, data: dict[str, Any]) -> str:
    return f"id: {ev_id}\nevent: {name}\ndata: {json.dumps(data, separators=(',', ':'), default=str)}\n\n"


Waker = Callable[[], None]
