"""ETA providers: an offline great-circle estimate, OSRM's route service and Google's Distance Matrix."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from models.geo import distance_m as haversine_m

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(3.0, connect=2.0)


@dataclass(frozen=True)
class EtaResult:
    seconds: float
    meters: float
    provider: str


class EtaProvider(Protocol):
    name: str

    def estimate(self, from_lat: float, from_lng: float, to_lat: float, to_lng: float) -> EtaResult: ...


@dataclass
class OfflineEta:
    """Straight-line distance × a road factor (streets are not straight), driven at an urban speed.

    Defaults: road factor 1.35 (typical detour index for US street grids), 35 km/h average urban speed
    including stops. Both are settings (DISPATCH_ETA_ROAD_FACTOR, DISPATCH_ETA_URBAN_SPEED_KMH).
    """

    road_factor: float = 1.35
    speed_kmh: float = 35.0
    name: str = "offline"

    def estimate(self, from_lat: float, from_lng: float, to_lat: float, to_lng: float) -> EtaResult:
        meters = haversine_m(from_lat, from_lng, to_lat, to_lng) * self.road_factor
        return EtaResult(seconds=meters / (self.speed_kmh / 3.6), meters=meters, provider=self.name)


class EtaUnavailable(Exception):
    """A network provider could not answer (down, slow, refused, or no route)."""


class _HttpProvider:
    """Shared plumbing: one long-lived httpx client with timeouts."""

    name = "http"

    def __init__(self, base_url: str, timeout: httpx.Timeout | float = TIMEOUT,
                 transport: httpx.BaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.client = httpx.Client(timeout=timeout, transport=transport,
                                   headers={"User-Agent": "DispatchConsole-ETA/1"})

    def _get(self, url: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            r = self.client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise EtaUnavailable(f"{self.name}: {exc.__class__.__name__}: {exc}") from exc
        if r.status_code != 200:
            raise EtaUnavailable(f"{self.name}: HTTP {r.status_code}: {r.text[:200]}")
        try:
            data = r.json()
        except ValueError as exc:
            raise EtaUnavailable(f"{self.name}: not JSON") from exc
        if not isinstance(data, dict):
            raise EtaUnavailable(f"{self.name}: unexpected answer")
        return data

    def close(self) -> None:
        self.client.close()


class OsrmEta(_HttpProvider):
    """OSRM's route service: GET {base}/route/v1/driving/{lng},{lat};{lng},{lat}?overview=false."""

    name = "osrm"

    def estimate(self, from_lat: float, from_lng: float, to_lat: float, to_lng: float) -> EtaResult:
        coords = f"{from_lng:.6f},{from_lat:.6f};{to_lng:.6f},{to_lat:.6f}"
        data = self._get(f"{self.base_url}/route/v1/driving/{coords}",
                         {"overview": "false", "alternatives": "false", "steps": "false"})
        if data.get("code") != "Ok" or not data.get("routes"):
            raise EtaUnavailable(f"osrm: {data.get('code')}: {data.get('message', 'no route')}")
        route = data["routes"][0]
        return EtaResult(seconds=float(route["duration"]), meters=float(route["distance"]), provider=self.name)


class GoogleEta(_HttpProvider):
    """Google Distance Matrix with live traffic (departure_time=now → duration_in_traffic)."""

    name = "google"

    def __init__(self, api_key: str, base_url: str = "https://maps.googleapis.com", **kw: Any):
        super().__init__(base_url, **kw)
        self.api_key = api_key

    def estimate(self, from_lat: float, from_lng: float, to_lat: float, to_lng: float) -> EtaResult:
        if not self.api_key:
            raise EtaUnavailable("google: no API key configured (DISPATCH_GOOGLE_API_KEY)")
        data = self._get(f"{self.base_url}/maps/api/distancematrix/json", {
            "origins": f"{from_lat:.6f},{from_lng:.6f}", "destinations": f"{to_lat:.6f},{to_lng:.6f}",
            "mode": "driving", "departure_time": "now", "traffic_model": "best_guess", "key": self.api_key,
        })
        if data.get("status") != "OK":
            raise EtaUnavailable(f"google: {data.get('status')}: {data.get('error_message', '')}".rstrip(": "))
        try:
            el = data["rows"][0]["elements"][0]
        except (KeyError, IndexError, TypeError) as exc:
            raise EtaUnavailable("google: answer without rows/elements") from exc
        if el.get("status") != "OK":
            raise EtaUnavailable(f"google: element {el.get('status')}")
        dur = el.get("duration_in_traffic") or el["duration"]
        return EtaResult(seconds=float(dur["value"]), meters=float(el["distance"]["value"]), provider=self.name)


@dataclass
class FallbackEta:
    """A network provider that falls back to the offline estimate on any failure (and logs why)."""

    primary: Any
    fallback: OfflineEta = field(default_factory=OfflineEta)

    @property
    def name(self) -> str:
        return self.primary.name

    def estimate(self, from_lat: float, from_lng: float, to_lat: float, to_lng: float) -> EtaResult:
        try:
            return self.primary.estimate(from_lat, from_lng, to_lat, to_lng)
        except EtaUnavailable as exc:
            log.warning("ETA provider failed, using the offline estimate: %s", exc)
        except Exception as exc:  # malformed answers must not break statusing
            log.warning("ETA provider error, using the offline estimate: %r", exc)
        return self.fallback.estimate(from_lat, from_lng, to_lat, to_lng)


def provider_from_settings(settings: object) -> EtaProvider:
    """The configured ETA provider: `offline` (default), `osrm` or `google` (both fall back to offline)."""
    offline = OfflineEta(
        road_factor=float(getattr(settings, "eta_road_factor", 1.35)),
        speed_kmh=float(getattr(settings, "eta_urban_speed_kmh", 35.0)),
    )
    kind = str(getattr(settings, "eta_provider", "offline")).strip().lower()
    if kind == "osrm":
        return FallbackEta(OsrmEta(str(getattr(settings, "osrm_url", "http://router.project-osrm.org"))), offline)
    if kind == "google":
        return FallbackEta(GoogleEta(str(getattr(settings, "google_api_key", "")),
                                     str(getattr(settings, "google_maps_url", "https://maps.googleapis.com"))),
                           offline)
    if kind != "offline":
        log.warning("Unknown ETA provider %r (use offline, osrm or google); using offline", kind)
    return offline
