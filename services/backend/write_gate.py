"""One SQLite writer at a time inside this process, served in arrival order.

SQLite lets one transaction write at a time. A thread that finds the write lock taken retries on SQLite's busy
handler, which sleeps between tries (up to 100 ms each) instead of waking when the lock frees: under a steady
stream of writes the waits pile up into long, uneven delays. The gate queues this process's writers on a lock
that hands over directly to the next one in line when the transaction ends, so SQLite's lock is always free when a
writer reaches it. Writers in other processes still meet SQLite's own busy handling.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

_registry_lock = threading.Lock()
_gates: dict[str, WriteGate] = {}


def raw_connection(conn: Any) -> Any:
    """The DBAPI connection behind a pooled connection proxy (or the connection itself)."""
    return getattr(conn, "dbapi_connection", conn)


class WriteGate:
    """A first-come, first-served lock held from a write transaction's BEGIN to its COMMIT or ROLLBACK."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._busy = False
        self._holder: Any = None

    def enter(self, conn: Any) -> None:
        """Wait for our turn. After `timeout_s` (another writer stuck in this thread, say) go on without the
        gate: SQLite's busy timeout then decides, as it would without the gate."""
        with self._mutex:
            if not self._busy:
                self._busy, self._holder = True, conn
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        if not turn.acquire(timeout=self.timeout_s):
            with self._mutex:
                if turn in self._waiting:  # still queued: give up our place
                    self._waiting.remove(turn)
                    return
            # handed over just as we gave up: the turn is ours
        self._holder = conn

    def leave(self, conn: Any) -> None:
        """The transaction on `conn` ended; the next writer in line goes. Ignored for a connection not holding
        the gate (a rollback on a connection that never wrote, or one that went on without the gate)."""
        if conn is None or self._holder is not conn:
            return
        with self._mutex:
            self._holder = None
            if self._waiting:
                self._waiting.popleft().release()  # hand over: the gate stays busy
            else:
                self._busy = False


def gate_for(database: str, timeout_s: float) -> WriteGate:
    """The gate of one database file (every engine on the file in this process shares it)."""
    with _registry_lock:
        gate = _gates.get(database)
        if gate is None:
            gate = _gates[database] = WriteGate(timeout_s)
        return gate
