"""Geofence evidence rules, decided on the server from the fixes (pure code, no I/O).

Arrival at a job site (radius 300 ft = 91.44 m by default):
- fixes whose reported accuracy is worse than `max_accuracy` (default 100 m) are ignored;
- a fix is *inside* when its distance to the site is ≤ radius, *clearly outside* when its distance is
  > radius + max(accuracy, 30 m) — in between it neither counts nor resets (hysteresis against jitter);
- the tech has arrived when either
  (a) *dwell*: inside fixes span ≥ 20 s with no clearly-outside fix between them, or
  (b) *parked*: one inside fix that is certain (distance + accuracy ≤ radius) at walking/parking speed
      (≤ 4.5 m/s ≈ 10 mph, from the device's speed or the previous fix);
- a drive-by at 40 mph (17.9 m/s) crosses the 183 m circle in ~10 s: too short for (a), too fast for (b).

Leaving the previous job: after the tech was inside a site, the first clearly-outside fix beyond
1.5 × radius marks the departure (once per site), which moves their next dispatched appointment to en route.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from models.timefmt import parse_iso

EARTH_RADIUS_M = 6_371_008.8
DWELL_S = 20.0
PARKED_SPEED_MPS = 4.5
MIN_MARGIN_M = 30.0
SITE_RECHECK_S = 60.0


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


class ArrivalEvidence(Enum):
    IGNORED = "ignored"
    OUTSIDE = "outside"
    UNSURE = "unsure"
    INSIDE = "inside"
    ARRIVED = "arrived"


@dataclass
class GeoState:
    """What the rule remembers per technician between batches (kept as JSON on the latest position)."""

    dwell_since: dict[str, str] = field(default_factory=dict)  # appointment id → first inside fix time
    last_fix: dict[str, Any] = field(default_factory=dict)  # lat, lng, t of the previous accepted fix
    site: dict[str, Any] = field(default_factory=dict)  # the site the tech was last inside: lat, lng, id
    site_checked_at: str = ""  # when the database was last asked for the job the tech is at (ISO time)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GeoState:
        return cls(dict(d.get("dwell_since", {})), dict(d.get("last_fix", {})), dict(d.get("site", {})),
                   str(d.get("site_checked_at", "")))

    def to_dict(self) -> dict[str, Any]:
        return {"dwell_since": self.dwell_since, "last_fix": self.last_fix, "site": self.site,
                "site_checked_at": self.site_checked_at}

    def site_check_due(self, now: datetime, every_s: float = SITE_RECHECK_S) -> bool:
        """Whether to look up the job the tech is at again (at most once a minute while none is known)."""
        if self.site:
            return False
        if not self.site_checked_at:
            return True
        return (now - parse_iso(self.site_checked_at)).total_seconds() >= every_s

    def speed_since_last(self, lat: float, lng: float, t: datetime) -> float | None:
        if not self.last_fix:
            return None
        dt = (t - parse_iso(self.last_fix["t"])).total_seconds()
        if dt <= 0:
            return None
        return distance_m(self.last_fix["lat"], self.last_fix["lng"], lat, lng) / dt

    def observe(
        self, appt_id: int, site_lat: float, site_lng: float, lat: float, lng: float, accuracy: float,
        t: datetime, *, radius: float, max_accuracy: float, speed_mps: float | None = None,
    ) -> ArrivalEvidence:
        """Weigh one fix against one job site; ARRIVED once the evidence is enough."""
        if accuracy > max_accuracy:
            return ArrivalEvidence.IGNORED
        key = str(appt_id)
        d = distance_m(site_lat, site_lng, lat, lng)
        if d > radius + max(accuracy, MIN_MARGIN_M):
            self.dwell_since.pop(key, None)
            return ArrivalEvidence.OUTSIDE
        if d > radius:
            return ArrivalEvidence.UNSURE
        speed = speed_mps if speed_mps is not None else self.speed_since_last(lat, lng, t)
        first = self.dwell_since.setdefault(key, t.isoformat())
        dwell = (t - parse_iso(first)).total_seconds()
        certain = d + accuracy <= radius
        if dwell >= DWELL_S or (certain and speed is not None and speed <= PARKED_SPEED_MPS):
            self.dwell_since.pop(key, None)
            self.site = {"lat": site_lat, "lng": site_lng, "id": appt_id}
            return ArrivalEvidence.ARRIVED
        return ArrivalEvidence.INSIDE

    def mark_at_site(self, appt_id: int, site_lat: float, site_lng: float) -> None:
        """Remember that the tech is working at this site (e.g. after Start) for departure detection."""
        self.site = {"lat": site_lat, "lng": site_lng, "id": appt_id}

    def left_site(self, lat: float, lng: float, accuracy: float, *, radius: float, max_accuracy: float) -> int | None:
        """The id of the site the tech just left (clearly outside 1.5 × radius), once; else None."""
        if not self.site or accuracy > max_accuracy:
            return None
        d = distance_m(self.site["lat"], self.site["lng"], lat, lng)
        if d > 1.5 * radius + max(accuracy, MIN_MARGIN_M) * 0.5:
            left = int(self.site["id"])
            self.site = {}
            return left
        return None

    def remember(self, lat: float, lng: float, t: datetime) -> None:
        self.last_fix = {"lat": lat, "lng": lng, "t": t.isoformat()}
