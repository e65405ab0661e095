"""Fire-and-forget coroutines on the Qt-integrated asyncio loop (references kept, failures logged and shown), and
slots deferred to the next event-loop turn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer

from services.api_client import ApiError

log = logging.getLogger(__name__)

Report = Callable[[str], None]


def next_turn(parent: QObject, fn: Callable[[], Any]) -> Callable[..., None]:
    """A slot that runs `fn` once on the next event-loop turn, however often it fires meanwhile: a full reload
    of the store reaches the panels after the schedule has painted, not before."""
    timer = QTimer(parent, singleShot=True, interval=0)
    timer.timeout.connect(fn)
    return lambda *_: timer.start()


def in_words(what: str, exc: BaseException) -> str:
    """A failure as a dispatcher reads it: "Couldn't load the alerts: The server … did not answer in time."."""
    if isinstance(exc, ApiError):
        return f"Couldn't {what}: {exc.message}"
    return f"Couldn't {what}: something unexpected went wrong ({type(exc).__name__}); details are in the log."


class TaskSet:
    """Owns a widget's background tasks so they are not garbage-collected mid-flight and can be cancelled.

    A task that fails is logged, and `report` (the widget's status line) gets the failure in words.
    """

    def __init__(self, report: Report | None = None) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self.report = report

    def spawn(self, coro: Coroutine[Any, Any, Any], what: str = "finish a background task") -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(lambda t: self._done(t, what))
        return task

    def _done(self, task: asyncio.Task[Any], what: str) -> None:
        self.tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        assert exc is not None
        log.error("background task failed: %s", what, exc_info=exc)
        if self.report is not None:
            try:
                self.report(in_words(what, exc))
            except RuntimeError:  # the widget is already gone
                pass

    def cancel(self) -> None:
        for t in list(self.tasks):
            t.cancel()

    async def drain(self) -> None:
        """Cancel every task and wait until they have all ended."""
        self.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    @property
    def busy(self) -> bool:
        return bool(self.tasks)
