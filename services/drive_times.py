"""Drive-time matrices from the configured ETA provider, with a cache.

`DriveTimes.pairs([(a, b), …])` answers seconds for each pair: the offline estimate (straight line × road factor
at an urban speed) by default; OSRM's table service (`/table/v1/driving/…?sources=…&destinations=…`) or Google's
Distance Matrix (≤ 25 origins, ≤ 25 destinations, ≤ 100 elements a request) where configured. A network answer
is cached for `ttl_s` (traffic changes); a failed request falls back to the offline estimate for its pairs (and
logs why), so ranking and optimizing never stop because a routing server is down.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

import httpx

from models.dispatch_rank import Place
from models.geo import distance_m
from services.eta import TIMEOUT, FallbackEta, GoogleEta, OfflineEta, OsrmEta

log = logging.getLogger(__name__)
Pair = tuple[Place, Place]
OSRM_MAX = 100  # OSRM's default --max-table-size
GOOGLE_SIDE, GOOGLE_ELEMENTS = 25, 100


def _key(p: Place) -> Place:
    return Place(round(p.lat, 5), round(p.lng, 5))


class DriveTimes:
    """Seconds between places from one source (`offline`, `osrm` or `google`), cached."""

    def __init__(self, kind: str = "offline", *, offline: OfflineEta | None = None, base_url: str = "",
                 api_key: str = "", ttl_s: float = 900.0, transport: httpx.BaseTransport | None = None,
                 timeout: httpx.Timeout | float = TIMEOUT, max_cached: int = 200_000):
        self.kind = kind
        self.offline = offline or OfflineEta()
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.ttl_s = ttl_s
        self.max_cached = max_cached
        self._cache: dict[Pair, tuple[float, float]] = {}
        self._lock = threading.Lock()
        self.requests = 0
        self.fallbacks = 0
        self._client = None if kind == "offline" else httpx.Client(
            timeout=timeout, transport=transport, headers={"User-Agent": "DispatchConsole-ETA/1"})

    @classmethod
    def from_eta(cls, eta: Any, **kw: Any) -> DriveTimes:
        """The same source the ETA provider uses (services/eta.py `provider_from_settings`)."""
        if isinstance(eta, FallbackEta):
            primary, offline = eta.primary, eta.fallback
            if isinstance(primary, OsrmEta):
                return cls("osrm", offline=offline, base_url=primary.base_url, **kw)
            if isinstance(primary, GoogleEta):
                return cls("google", offline=offline, base_url=primary.base_url, api_key=primary.api_key, **kw)
            return cls("offline", offline=offline)
        return cls("offline", offline=eta if isinstance(eta, OfflineEta) else None)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # --- answers -------------------------------------------------------------------------------------------
    def estimate(self, a: Place, b: Place) -> float:
        """The offline estimate for one pair (seconds)."""
        return distance_m(a.lat, a.lng, b.lat, b.lng) * self.offline.road_factor / (self.offline.speed_kmh / 3.6)

    def pairs(self, pairs: Iterable[Pair]) -> dict[Pair, float]:
        """Seconds for each (from, to) pair; the same place to itself is 0."""
        out: dict[Pair, float] = {}
        todo: list[Pair] = []
        now = time.monotonic()
        for a, b in pairs:
            if (a, b) in out:
                continue
            if a == b:
                out[(a, b)] = 0.0
            elif self.kind == "offline":
                out[(a, b)] = self.estimate(a, b)
            else:
                with self._lock:
                    hit = self._cache.get((_key(a), _key(b)))
                if hit is not None and now - hit[1] < self.ttl_s:
                    out[(a, b)] = hit[0]
                else:
                    todo.append((a, b))
        if todo:
            found = self._fetch(todo)
            with self._lock:
                if len(self._cache) + len(found) > self.max_cached:
                    self._cache.clear()
                for (a, b), s in found.items():
                    self._cache[(_key(a), _key(b))] = (s, now)
            out.update(found)
        return out

    def matrix(self, origins: Sequence[Place], destinations: Sequence[Place]) -> list[list[float]]:
        got = self.pairs((a, b) for a in origins for b in destinations)
        return [[got[(a, b)] for b in destinations] for a in origins]

    def function(self, pairs: Iterable[Pair]) -> Any:
        """A `drive(a, b)` for the pure rules: the given pairs fetched at once, any other pair estimated."""
        known = self.pairs(pairs)
        return lambda a, b: known[(a, b)] if (a, b) in known else self.estimate(a, b)

    # --- network ---------------------------------------------------------------------------------------------
    def _fetch(self, todo: list[Pair]) -> dict[Pair, float]:
        origins = list(dict.fromkeys(a for a, _ in todo))
        dests = list(dict.fromkeys(b for _, b in todo))
        wanted = set(todo)
        side_o, side_d = (OSRM_MAX // 2, OSRM_MAX // 2) if self.kind == "osrm" else (10, 10)
        if self.kind == "osrm" and len(origins) + len(dests) <= OSRM_MAX:
            side_o, side_d = len(origins), len(dests)
        out: dict[Pair, float] = {}
        for i in range(0, len(origins), side_o):
            for j in range(0, len(dests), side_d):
                o, d = origins[i:i + side_o], dests[j:j + side_d]
                if not any((a, b) in wanted for a in o for b in d):
                    continue
                try:
                    rows = self._osrm(o, d) if self.kind == "osrm" else self._google(o, d)
                except Exception as exc:  # a failed chunk is estimated offline, never an error for the user
                    self.fallbacks += 1
                    log.warning("drive times from %s failed, using the offline estimate: %s", self.kind, exc)
                    rows = [[None] * len(d) for _ in o]
                for a, row in zip(o, rows, strict=True):
                    for b, s in zip(d, row, strict=True):
                        if (a, b) in wanted:
                            out[(a, b)] = float(s) if s is not None else self.estimate(a, b)
        return out

    def _get(self, url: str, params: dict[str, str]) -> dict[str, Any]:
        assert self._client is not None
        self.requests += 1
        r = self._client.get(url, params=params)
        if r.status_code != 200:
            raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
        data = r.json()
        if not isinstance(data, dict):
            raise RuntimeError("unexpected answer")
        return data

    def _osrm(self, o: list[Place], d: list[Place]) -> list[list[float | None]]:
        coords = ";".join(f"{p.lng:.6f},{p.lat:.6f}" for p in o + d)
        data = self._get(f"{self.base_url}/table/v1/driving/{coords}", {
            "sources": ";".join(str(i) for i in range(len(o))),
            "destinations": ";".join(str(len(o) + j) for j in range(len(d))), "annotations": "duration"})
        if data.get("code") != "Ok":
            raise RuntimeError(f"{data.get('code')}: {data.get('message', '')}")
        rows = data["durations"]
        if len(rows) != len(o) or any(len(r) != len(d) for r in rows):
            raise RuntimeError("table of the wrong size")
        return rows

    def _google(self, o: list[Place], d: list[Place]) -> list[list[float | None]]:
        if not self.api_key:
            raise RuntimeError("no Google API key configured")
        data = self._get(f"{self.base_url}/maps/api/distancematrix/json", {
            "origins": "|".join(f"{p.lat:.6f},{p.lng:.6f}" for p in o),
            "destinations": "|".join(f"{p.lat:.6f},{p.lng:.6f}" for p in d),
            "mode": "driving", "departure_time": "now", "key": self.api_key})
        if data.get("status") != "OK":
            raise RuntimeError(f"{data.get('status')}: {data.get('error_message', '')}")
        rows: list[list[float | None]] = []
        for row in data["rows"]:
            cells: list[float | None] = []
            for el in row["elements"]:
                dur = el.get("duration_in_traffic") or el.get("duration") if el.get("status") == "OK" else None
                cells.append(float(dur["value"]) if dur else None)
            rows.append(cells)
        if len(rows) != len(o) or any(len(r) != len(d) for r in rows):
            raise RuntimeError("matrix of the wrong size")
        return rows


_shared: dict[int, DriveTimes] = {}
_shared_lock = threading.Lock()


def for_eta(eta: Any) -> DriveTimes:
    """One cached `DriveTimes` per ETA provider object (rebuilt when the company changes its ETA settings)."""
    with _shared_lock:
        dt = _shared.get(id(eta))
        if dt is None or getattr(dt, "_eta", None) is not eta:
            dt = DriveTimes.from_eta(eta)
            dt._eta = eta  # type: ignore[attr-defined]
            _shared.clear()
            _shared[id(eta)] = dt
        return dt
