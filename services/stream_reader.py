"""Reading the event stream: SSE parsing, and one connection read in a thread of its own (Qt-free).

The socket reads and HTTP parsing of each event happen off the event loop's thread; the loop receives the
parsed events in batches, one call per loop turn however many arrived since the last one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from models import events
from models.public.common import Public
from services.api_client import error_from_response


@dataclass(frozen=True)
class SseEvent:
    id: int | None
    name: str
    data: dict[str, Any]

    def payload(self) -> Public | None:
        """The payload as its model (models/events.py), None for a name this client does not know or a payload
        that does not fit it."""
        return events.read(self.name, self.data)

    def fits(self) -> bool:
        """False for a known event whose payload does not match its model (an unknown name passes)."""
        return self.name not in events.PAYLOADS or self.payload() is not None


class SseParser:
    """Turns SSE lines into events, one line at a time (comments and `retry:` are skipped; bad JSON becomes {})."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.data_lines: list[str] = []

    def feed(self, line: str) -> SseEvent | None:
        """The event this line completes (a blank line after data), else None."""
        if line == "":
            ev = None
            if self.data_lines:
                raw = "\n".join(self.data_lines)
                try:
                    data = json.loads(raw)
                except ValueError:
                    data = {}
                ev_id = self.fields.get("id")
                ev = SseEvent(int(ev_id) if ev_id and ev_id.isdigit() else None, self.fields.get("event", "message"),
                              data if isinstance(data, dict) else {"value": data})
            self.fields, self.data_lines = {}, []
            return ev
        if line.startswith(":"):
            return None
        key, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if key == "data":
            self.data_lines.append(value)
        elif key in ("id", "event"):
            self.fields[key] = value
        return None


class StreamReader:
    """One connection to `GET /api/v1/events`, read by a daemon thread.

    `on_open()` runs on the loop once the server has accepted the stream, then `on_events(batch)` with the
    events in order. `run()` returns when the server ends the stream and raises what ended it otherwise
    (ApiError for a refusal, httpx.HTTPError / OSError for a lost link). After `close()` (on the loop) nothing
    more is delivered and the thread's blocking read is interrupted.
    """

    def __init__(self, base_url: str, headers: dict[str, str], timeout: httpx.Timeout, *,
                 on_open: Callable[[], None], on_events: Callable[[list[SseEvent]], None]):
        self.base_url, self.headers, self.timeout = base_url, headers, timeout
        self.on_open, self.on_events = on_open, on_events
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._pending: list[SseEvent] = []
        self._scheduled = False
        self._closed = False
        self._sock: socket.socket | None = None

    async def run(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def finish(exc: BaseException | None) -> None:
            if done.done():
                return
            if exc is None:
                done.set_result(None)
            else:
                done.set_exception(exc)

        def target() -> None:
            exc: BaseException | None = None
            try:
                self._read()
            except BaseException as e:  # handed to run()'s caller, on the loop
                exc = e
            with contextlib.suppress(Exception):  # the loop may be gone (the console is closing)
                loop.call_soon_threadsafe(finish, exc)

        threading.Thread(target=target, name="event-stream", daemon=True).start()
        await done

    def close(self) -> None:
        """Deliver nothing more and interrupt the thread's read (called on the loop)."""
        self._closed = True
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    # --- the reader thread ----------------------------------------------------------------------------------
    def _read(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=self.timeout,
                          headers={"User-Agent": "DispatchConsole"}) as http, \
                http.stream("GET", "/api/v1/events", headers=self.headers) as resp:
            if resp.status_code >= 400:
                resp.read()
                raise error_from_response(resp)
            net = resp.extensions.get("network_stream")
            self._sock = net.get_extra_info("socket") if net is not None else None
            if self._closed:
                return
            self._post(self._open)
            parser = SseParser()
            for line in resp.iter_lines():
                if self._closed:
                    return
                ev = parser.feed(line)
                if ev is not None:
                    self._push(ev)

    def _post(self, callback: Callable[[], None]) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(callback)

    def _push(self, ev: SseEvent) -> None:
        with self._lock:
            self._pending.append(ev)
            if self._scheduled:
                return  # the loop has a drain coming: this event joins its batch
            self._scheduled = True
        self._post(self._drain)

    # --- on the loop ----------------------------------------------------------------------------------------
    def _open(self) -> None:
        if not self._closed:
            self.on_open()

    def _drain(self) -> None:
        with self._lock:
            batch, self._pending, self._scheduled = self._pending, [], False
        if batch and not self._closed:
            self.on_events(batch)
