"""Server-Sent Events consumer: reconnects with backoff and jitter, resumes with Last-Event-ID (Qt-free)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import httpx

from models.events import EventName
from services.api_client import ApiClient, ApiError
from services.stream_reader import SseEvent, StreamReader

log = logging.getLogger(__name__)


class LinkState(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"
    SIGNED_OUT = "signed_out"


class EventStream:
    """Keeps one event stream open and tells its owner what happens, through plain callbacks.

    - `on_event(id, name, data)` for every event, in order, each at most once;
    - `on_refresh(reason)` when the owner must reload everything: on the first connection, and when the
      server says the gap cannot be replayed (`stream.reset`) or ids go backwards (a different database);
    - `on_state(state, since)` when the link changes: live, reconnecting, offline (after `offline_after_s`
      of failures; `since` is when the link was lost), signed_out (401; call `kick()` after a new sign-in).
    """

    def __init__(
        self,
        client: ApiClient,
        *,
        on_event: Callable[[int | None, str, dict[str, Any]], None],
        on_refresh: Callable[[str], None],
        on_state: Callable[[LinkState, datetime | None], None] = lambda s, t: None,
        base_delay_s: float = 0.5,
        max_delay_s: float = 15.0,
        offline_after_s: float = 5.0,
        read_timeout_s: float = 45.0,
        rng: Callable[[], float] = random.random,
    ):
        self.client = client
        self.on_event, self.on_refresh, self.on_state = on_event, on_refresh, on_state
        self.base_delay_s, self.max_delay_s = base_delay_s, max_delay_s
        self.offline_after_s, self.read_timeout_s = offline_after_s, read_timeout_s
        self.rng = rng
        self.last_event_id: int | None = None
        self.state = LinkState.CONNECTING
        self.lost_at: datetime | None = None
        self.last_event_at: datetime | None = None
        self.connections = 0
        self._lost_mono: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()
        self._stopped = False
        self._fresh = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self._stopped = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def kick(self) -> None:
        """Retry now (after a new sign-in, or when the user asks to reconnect)."""
        self._kick.set()

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: between half and all of min(max, base·2^(attempt-1))."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** max(0, attempt - 1)))
        return ceiling * (0.5 + 0.5 * self.rng())

    def _set_state(self, state: LinkState) -> None:
        if state != self.state:
            self.state = state
            self.on_state(state, self.lost_at)

    async def _run(self) -> None:
        attempt = 0
        while not self._stopped:
            signed_out = False
            try:
                await self._connect_once()
            except asyncio.CancelledError:
                raise
            except ApiError as exc:
                if exc.status == 401:
                    signed_out = True
                else:
                    log.warning("event stream refused: %s", exc)
            except (httpx.HTTPError, OSError) as exc:
                log.info("event stream lost: %s", exc)
            except Exception:  # never let a bad callback kill the link
                log.exception("event stream failed")
            if self._stopped:
                return
            if self._lost_mono is None:
                self._lost_mono = time.monotonic()
                self.lost_at = datetime.now(UTC)
            if signed_out:
                self._set_state(LinkState.SIGNED_OUT)
                self._kick.clear()
                await self._kick.wait()
                attempt = 0
                continue
            attempt += 1
            offline = time.monotonic() - self._lost_mono >= self.offline_after_s
            self._set_state(LinkState.OFFLINE if offline else LinkState.RECONNECTING)
            self._kick.clear()
            delay = self.backoff(attempt)
            if not offline:
                delay = min(delay, max(0.05, self.offline_after_s - (time.monotonic() - self._lost_mono)) + 0.01)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), delay)

    async def _connect_once(self) -> None:
        """One connection, read by a reader thread (services/stream_reader.py): the UI thread only handles the
        events, a batch per event-loop turn, never the socket reads and HTTP parsing of each one."""
        headers = self.client.auth_headers()
        headers["Accept"] = "text/event-stream"
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = str(self.last_event_id)
        reader = StreamReader(self.client.base_url, headers, httpx.Timeout(10.0, read=self.read_timeout_s),
                              on_open=self._opened, on_events=self._dispatch_all)
        try:
            await reader.run()
        finally:
            reader.close()
        raise httpx.RemoteProtocolError("the server closed the event stream")

    def _opened(self) -> None:
        self.connections += 1
        self._lost_mono = None
        self.lost_at = None
        self._set_state(LinkState.LIVE)
        self._fresh = True
        if self.last_event_id is None:
            self.on_refresh("initial")

    def _dispatch_all(self, batch: list[SseEvent]) -> None:
        for ev in batch:
            try:
                self._dispatch(ev)
            except Exception:  # never let a bad callback stop the events after it
                log.exception("event %s (%s) failed", ev.id, ev.name)

    def _dispatch(self, ev: SseEvent) -> None:
        if ev.name == EventName.STREAM_RESET:
            if ev.id is not None:
                self.last_event_id = ev.id
            self.on_refresh("reset")
            return
        if ev.id is not None and self.last_event_id is not None and ev.id <= self.last_event_id:
            if not self._fresh:
                return  # a duplicate
            self.on_refresh("gap")  # the server only replays ids above ours: its history is not ours
        self._fresh = False
        if ev.id is not None:
            self.last_event_id = ev.id
        self.last_event_at = datetime.now(UTC)
        if not ev.fits():
            log.warning("event %s (%s) skipped: its payload does not match the contract: %s", ev.id, ev.name,
                        str(ev.data)[:300])
            return
        self.on_event(ev.id, ev.name, ev.data)
