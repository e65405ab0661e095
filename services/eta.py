"""ETA providers: an offline great-circle estimate, OSRM's route service and Google's Distance Matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from models.geo import distance_m as haversine_m


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


def provider_from_settings(settings: object) -> EtaProvider:
    """The configured ETA provider (the offline estimate unless another is chosen)."""
    return OfflineEta(
        road_factor=float(getattr(settings, "eta_road_factor", 1.35)),
        speed_kmh=float(getattr(settings, "eta_urban_speed_kmh", 35.0)),
    )
