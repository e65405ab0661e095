"""A small SSE reader for tests: collects events from a stream in a background thread."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx


class SseReader:
    def __init__(self, url: str, token: str, last_event_id: str | None = None):
        self.events: list[tuple[int, str, dict[str, Any]]] = []
        headers = {"Authorization": f"Bearer {token}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self._client = httpx.Client(timeout=httpx.Timeout(5, read=60))
        self._stop = threading.Event()
        self.connected = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url, headers), daemon=True)
        self._thread.start()
        assert self.connected.wait(10), "event stream did not connect"

    def _run(self, url: str, headers: dict[str, str]) -> None:
        ev: dict[str, str] = {}
        try:
            with self._client.stream("GET", url + "/api/v1/events", headers=headers) as resp:
                self.connected.set()
                for line in resp.iter_lines():
                    if self._stop.is_set():
                        return
                    if not line:
                        if "data" in ev:
                            self.events.append((int(ev["id"]), ev.get("event", "message"), json.loads(ev["data"])))
                        ev = {}
                    elif not line.startswith(":"):
                        k, _, v = line.partition(":")
                        ev[k] = v.strip()
        except httpx.HTTPError:
            pass
        finally:
            self.connected.set()

    def wait_for(self, pred: Any, timeout: float = 5.0) -> tuple[int, str, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in list(self.events):
                if pred(e):
                    return e
            time.sleep(0.02)
        raise AssertionError(f"no matching event in {timeout}s; got {self.events[-5:]}")

    def close(self) -> None:
        self._stop.set()
        self._client.close()
