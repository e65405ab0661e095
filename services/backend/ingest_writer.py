"""Group commit for position batches: one writer thread per backend ingests many requests in one transaction.

Phones post small batches often. Committing each alone costs a BEGIN IMMEDIATE, an fsync and — with many
request threads — SQLite's sleeping busy handler. Here request threads hand their batch to one writer, which
takes everything queued (up to GROUP_MAX), ingests each inside its own savepoint (a failing batch never sinks
the others) and commits once. Every request still answers only after *its* data is durably committed.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import FixSource
from models.schemas import PositionIn
from models.tables import IdempotencyKey
from services.backend import events, positions
from services.backend.context import Backend
from services.backend.errors import Invalid

log = logging.getLogger(__name__)
GROUP_MAX = 256
WAIT_S = 60.0


@dataclass
class Batch:
    user_id: int | None  # whose Idempotency-Key this is (None: no key, e.g. Traccar Client)
    technician_id: int
    fixes: list[PositionIn]
    key: str | None
    future: Future[dict[str, Any]] = field(default_factory=Future)
    source: str = FixSource.FIELD_APP
    #: Runs in the same transaction after a fresh ingest (e.g. the device's "last fix" for the console).
    after: Callable[[Session, dict[str, Any]], None] | None = None


def stored_answer(session: Session, user_id: int, key: str) -> dict[str, Any] | None:
    """The first answer of a batch sent with this key, or None (unused, or still being processed). A key the
    technician first used for a status step, note or photo (services/backend/idempotent.py) is refused (422)."""
    prior = session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key))
    if prior is None or not prior.response:
        return None
    if "request" in prior.response:
        raise Invalid.field("Idempotency-Key", "was already used for a different request; send a new key")
    return {**prior.response, "replayed": True}


def ingest_one(session: Session, ctx: Backend, b: Batch) -> dict[str, Any]:
    """Idempotency claim + ingest for one request, in the caller's transaction. `eta_due` stays in the result."""
    claim = None
    if b.key and b.user_id is not None:
        prior = stored_answer(session, b.user_id, b.key)
        if prior is not None:
            return prior
        claim = IdempotencyKey(user_id=b.user_id, key=b.key, response={}, created_at=ctx.clock.now())
        session.add(claim)
        session.flush()  # a concurrent duplicate in another process blocks here, then fails on the unique key
    result = positions.ingest(session, ctx, b.technician_id, b.fixes, b.source)
    if b.after is not None:
        b.after(session, result)
    if claim is not None:
        claim.response = {k: v for k, v in result.items() if k != "eta_due"}
    return result


class IngestWriter:
    def __init__(self, ctx: Backend):
        self.ctx = ctx
        self.queue: queue.Queue[Batch] = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="position-writer", daemon=True)
        self.thread.start()

    def submit(self, b: Batch) -> dict[str, Any]:
        self.queue.put(b)
        return b.future.result(timeout=WAIT_S)

    def submit_many(self, batches: list[Batch]) -> list[Future[dict[str, Any]]]:
        """Queue several batches at once (ingested in this order, usually in one transaction); wait on each."""
        for b in batches:
            self.queue.put(b)
        for b in batches:
            try:
                b.future.result(timeout=WAIT_S)
            except Exception:  # the caller reads each future's own outcome
                pass
        return [b.future for b in batches]

    def _loop(self) -> None:
        while True:
            group = [self.queue.get()]
            while len(group) < GROUP_MAX:
                try:
                    group.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write(group)
            except Exception as exc:  # the database went away: tell every waiting request
                log.exception("position group commit failed")
                for b in group:
                    if not b.future.done():
                        b.future.set_exception(exc)

    def _write(self, group: list[Batch]) -> None:
        done: list[tuple[Batch, dict[str, Any]]] = []
        with self.ctx.sessions() as session:
            # In technician order: two replicas' writers lock the same technicians' rows in the same order.
            for b in sorted(group, key=lambda b: b.technician_id):
                try:
                    with events.savepoint(session):  # a failing batch takes its events with it
                        done.append((b, ingest_one(session, self.ctx, b)))
                except Exception as exc:
                    b.future.set_exception(exc)
            try:
                session.commit()
            except Exception:
                session.rollback()
                if len(done) == 1:
                    raise
                # One batch broke the commit (rare: e.g. a race with another process): write them one by one.
                for b, _ in done:
                    self._write([b])
                return
        for b, result in done:
            b.future.set_result(result)


_lock = threading.Lock()


def writer(ctx: Backend) -> IngestWriter:
    with _lock:
        w = ctx.extras.get("ingest_writer")
        if w is None:
            w = ctx.extras["ingest_writer"] = IngestWriter(ctx)
        return w
