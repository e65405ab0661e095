"""Helpers for the field-app tests: a phone's cookie session over HTTP, today's windows, a scoped SSE reader."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from services.backend.embedded import EmbeddedServer

TZ = "America/Chicago"


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([0-9a-f]*)"', html) or re.search(
        r'<meta name="csrf-token" content="([0-9a-f]*)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


class Phone:
    """A browser-like client: cookies, the page's CSRF token sent as X-CSRF-Token on writes."""

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=15, follow_redirects=False)
        self.csrf = ""

    def sign_in(self, email: str, password: str) -> httpx.Response:
        page = self.http.get("/field/login")
        r = self.http.post("/field/login", data={"email": email, "password": password,
                                                 "csrf_token": csrf_of(page.text)})
        if r.status_code == 303:
            self.load_shell()
        return r

    def pair(self, url: str) -> httpx.Response:
        path = url.split("://", 1)[1].split("/", 1)[1]
        page = self.http.get("/" + path)
        assert page.status_code == 200, page.text
        r = self.http.post("/" + path, data={"csrf_token": csrf_of(page.text)})
        if r.status_code == 303:
            self.load_shell()
        return r

    def load_shell(self) -> dict[str, Any]:
        shell = self.http.get("/field")
        assert shell.status_code == 200, shell.text
        self.csrf = csrf_of(shell.text)
        m = re.search(r'<script type="application/json" id="field-config">(.*?)</script>', shell.text, re.S)
        assert m
        return json.loads(m.group(1))

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, *, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        return self.http.post(path, headers={"X-CSRF-Token": self.csrf, **(headers or {})}, **kw)

    def put(self, path: str, *, headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        return self.http.put(path, headers={"X-CSRF-Token": self.csrf, **(headers or {})}, **kw)

    def close(self) -> None:
        self.http.close()


def today_start(server: EmbeddedServer, minutes_ahead: int = 10) -> datetime:
    """A window start on today's local date (company time zone), close to now."""
    now = server.backend.clock.now()
    local = now.astimezone(ZoneInfo(TZ))
    start = now + timedelta(minutes=minutes_ahead)
    if start.astimezone(ZoneInfo(TZ)).date() != local.date():
        start = local.replace(hour=0, minute=5, second=0, microsecond=0)
    return start


class FieldSse:
    """Reads /api/v1/field/events with a phone's cookies in a background thread."""

    def __init__(self, phone: Phone):
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.connected = threading.Event()
        self._client = httpx.Client(base_url=str(phone.http.base_url), cookies=phone.http.cookies,
                                    timeout=httpx.Timeout(5, read=60))
        threading.Thread(target=self._run, daemon=True).start()
        assert self.connected.wait(10)

    def _run(self) -> None:
        ev: dict[str, str] = {}
        try:
            with self._client.stream("GET", "/api/v1/field/events") as resp:
                self.connected.set()
                for line in resp.iter_lines():
                    if not line:
                        if "data" in ev:
                            self.events.append((ev.get("event", "message"), json.loads(ev["data"])))
                        ev = {}
                    elif not line.startswith(":"):
                        k, _, v = line.partition(":")
                        ev[k] = v.strip()
        except httpx.HTTPError:
            pass
        finally:
            self.connected.set()

    def wait_for(self, pred: Any, timeout: float = 10.0) -> tuple[str, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in list(self.events):
                if pred(e):
                    return e
            time.sleep(0.05)
        raise AssertionError(f"no matching event in {timeout}s; got {self.events[-5:]}")

    def close(self) -> None:
        self._client.close()


def today_slots(server: EmbeddedServer, n: int, hours_apart: float = 1.0) -> list[datetime]:
    """`n` window starts on today's local date, in the future when the day leaves room, else from 00:05."""
    now = server.backend.clock.now()
    z = ZoneInfo(TZ)
    local = now.astimezone(z)
    first = now + timedelta(minutes=10)
    last = first + timedelta(hours=hours_apart * (n - 1) + 2)
    if last.astimezone(z).date() != local.date():
        first = local.replace(hour=0, minute=5, second=0, microsecond=0)
    return [first + timedelta(hours=hours_apart * i) for i in range(n)]


def move(dispatcher: httpx.Client, appt: dict[str, Any], start: datetime, hours: float = 2) -> dict[str, Any]:
    """Reschedule an appointment (with the version it has now)."""
    cur = dispatcher.get(f"/api/v1/appointments/{appt['id']}").json()
    r = dispatcher.patch(f"/api/v1/appointments/{appt['id']}", headers={"If-Match": f'"{cur["version"]}"'},
                         json={"window_start": start.isoformat(),
                               "window_end": (start + timedelta(hours=hours)).isoformat(), "allow_conflicts": True})
    assert r.status_code == 200, r.text
    return r.json()
