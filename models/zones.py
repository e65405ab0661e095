"""Service zones: named polygons and/or ZIP lists, and which zones a job site falls in (pure rule).

A polygon is a list of `[lat, lng]` points (a ring; closing it by repeating the first point is optional), at
least three distinct points. A site is in a zone when its ZIP is on the zone's list or its point is inside the
polygon (ray casting; a point on an edge counts as inside). ZIPs compare by their first five digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MAX_POINTS = 500
MAX_ZIPS = 500
_ZIP = re.compile(r"^\d{5}(?:-?\d{4})?$")


class ZoneError(ValueError):
    """A zone that can't be stored: `field` names what to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class ZoneShape:
    id: int
    name: str
    polygon: tuple[tuple[float, float], ...] = ()
    zips: frozenset[str] = frozenset()

    def contains(self, lat: float | None, lng: float | None, zip_code: str = "") -> bool:
        z = zip5(zip_code)
        if z and z in self.zips:
            return True
        if lat is None or lng is None or len(self.polygon) < 3:
            return False
        return point_in_polygon(lat, lng, self.polygon)


def zip5(value: str | None) -> str:
    """'78701-1234' → '78701'; anything without five leading digits → ''."""
    m = re.match(r"^\s*(\d{5})", value or "")
    return m.group(1) if m else ""


def zip_in_address(address: str | None) -> str:
    """The ZIP code at the end of a one-line address ('…, Austin, TX 78741-1234' → '78741'); '' when none."""
    m = re.search(r"\b(\d{5})(?:-\d{4})?\W*$", address or "")
    return m.group(1) if m else ""


def clean_zips(values: Iterable[Any]) -> list[str]:
    """Five-digit ZIPs in the order given, duplicates dropped; ZoneError names a bad one."""
    out: list[str] = []
    for v in values:
        text = str(v).strip()
        if not isinstance(v, str | int) or not _ZIP.match(text):
            raise ZoneError("zips", f"'{text[:20]}' is not a ZIP code; use five digits such as 78701")
        if text[:5] not in out:
            out.append(text[:5])
    if len(out) > MAX_ZIPS:
        raise ZoneError("zips", f"at most {MAX_ZIPS} ZIP codes per zone")
    return out


def clean_polygon(points: Sequence[Any]) -> list[list[float]]:
    """`[[lat, lng], …]` checked: numbers in range, ≥ 3 distinct points, closing point dropped. [] stays []."""
    if not points:
        return []
    out: list[list[float]] = []
    for i, p in enumerate(points):
        if not isinstance(p, list | tuple) or len(p) != 2 or not all(
                isinstance(x, int | float) and not isinstance(x, bool) for x in p):
            raise ZoneError("polygon", f"point {i + 1} must be [lat, lng] numbers")
        lat, lng = float(p[0]), float(p[1])
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ZoneError("polygon", f"point {i + 1} ({lat}, {lng}) is not a place on Earth: "
                                       "lat −90…90, lng −180…180")
        out.append([lat, lng])
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    if len({(a, b) for a, b in out}) < 3:
        raise ZoneError("polygon", "a zone's outline needs at least three different points")
    if len(out) > MAX_POINTS:
        raise ZoneError("polygon", f"at most {MAX_POINTS} points")
    return out


def point_in_polygon(lat: float, lng: float, ring: Sequence[Sequence[float]]) -> bool:
    """Ray casting on (lng, lat) as plane coordinates (fine at city scale); edges count as inside."""
    n = len(ring)
    inside = False
    for i in range(n):
        y1, x1 = ring[i][0], ring[i][1]
        y2, x2 = ring[(i + 1) % n][0], ring[(i + 1) % n][1]
        if _on_segment(lng, lat, x1, y1, x2, y2):
            return True
        if (y1 > lat) != (y2 > lat):
            x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lng < x_cross:
                inside = not inside
    return inside


def _on_segment(px: float, py: float, x1: float, y1: float, x2: float, y2: float, eps: float = 1e-12) -> bool:
    cross = (px - x1) * (y2 - y1) - (py - y1) * (x2 - x1)
    if abs(cross) > eps:
        return False
    return min(x1, x2) - eps <= px <= max(x1, x2) + eps and min(y1, y2) - eps <= py <= max(y1, y2) + eps


def zones_for(zones: Iterable[ZoneShape], lat: float | None, lng: float | None, zip_code: str = "") -> list[ZoneShape]:
    """Every zone the site falls in, in the order given."""
    return [z for z in zones if z.contains(lat, lng, zip_code)]


def shape_from_row(row: Any) -> ZoneShape:
    return ZoneShape(row.id, row.name, tuple((float(a), float(b)) for a, b in (row.polygon or [])),
                     frozenset(row.zips or []))
