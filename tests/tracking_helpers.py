"""Helpers for the tracking tests: tracks through the field API, tracker links, outbox polling."""

from __future__ import annotations

import math
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx

from services.backend.embedded import EmbeddedServer


def offset(site: tuple[float, float], east_m: float, north_m: float) -> tuple[float, float]:
    lat = site[0] + north_m / 111_320.0
    return lat, site[1] + east_m / (111_320.0 * math.cos(math.radians(site[0])))


def post_fixes(field: httpx.Client, fixes: list[dict[str, Any]], key: str | None = None) -> dict[str, Any]:
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    r = field.post("/api/v1/field/positions", json={"positions": fixes}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def fix(site: tuple[float, float], east_m: float, north_m: float, t: datetime, acc: float = 6.0,
        speed: float | None = None) -> dict[str, Any]:
    lat, lng = offset(site, east_m, north_m)
    out: dict[str, Any] = {"lat": lat, "lng": lng, "accuracy_m": acc, "recorded_at": t.isoformat()}
    if speed is not None:
        out["speed_mps"] = speed
    return out


def approach(site: tuple[float, float], start: datetime, from_m: float = 1500,
             every_s: float = 5) -> list[dict[str, Any]]:
    """Drive north along a street at ~30 mph, slow down and park 20 m short of the site for 40 s."""
    fixes, t, y = [], start, -from_m
    while y < -20:
        speed = 13.0 if y < -200 else 5.0
        fixes.append(fix(site, 0, y, t))
        y += speed * every_s
        t += timedelta(seconds=every_s)
    for _ in range(9):
        fixes.append(fix(site, 1, -20, t))
        t += timedelta(seconds=every_s)
    return fixes


def ensure_tracker(server: EmbeddedServer, appointment_id: int) -> str:
    from services.backend.tracker_links import ensure_link

    with server.backend.sessions() as s:
        token = ensure_link(s, appointment_id, server.backend.clock.now()).token
        s.commit()
    return token


def wait_for(fn: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met in {timeout} s (last: {last!r})")


def notes(dispatcher: httpx.Client, appointment_id: int) -> list[dict[str, Any]]:
    r = dispatcher.get("/api/v1/notifications", params={"appointment_id": appointment_id})
    assert r.status_code == 200, r.text
    return r.json()
