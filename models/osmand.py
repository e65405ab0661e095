"""The OsmAnd protocol Traccar Client speaks, parsed into GPS fixes (pure code; the route is routes/osmand.py).

Two forms reach the same endpoint (docs/traccar.md):

* query or form parameters — `id`/`deviceid`, `lat`, `lon` (or `location=lat,lon`), `timestamp` (Unix seconds,
  Unix milliseconds, ISO 8601, or `yyyy-MM-dd HH:mm:ss` taken as UTC), `accuracy` (m), `speed` in **knots**,
  `bearing`/`heading` (°), `altitude` (m), `batt` (percent); `0,0` means "no fix" (as in Traccar);
* the JSON body of Traccar Client 9+ — `{"location": {"timestamp": ISO, "coords": {latitude, longitude,
  accuracy, speed, heading, altitude}, "is_moving", "battery": {level 0..1, is_charging}, "event"},
  "device_id"}` where `speed` is in **metres per second** and -1 means unknown (also for heading and level).

Traccar's own server decodes the same way (OsmAndProtocolDecoder: `convertSpeed(value, "kn")` for the query
form, `UnitsConverter.knotsFromMps(speed)` for the JSON form).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

KNOT_MPS = 1852.0 / 3600.0  # 1 knot = 0.514444 m/s
MAX_SPEED_MPS = 200.0
UNKNOWN_ACCURACY_M = 50.0  # used when a fix carries no accuracy (the geofence then needs the dwell, not one fix)
FUTURE_SLACK = timedelta(minutes=10)
_INT32_MAX = 2**31 - 1


class NoPosition(Exception):
    """0,0: clients send it when they have no fix (it must not move the technician into the Atlantic)."""


class OsmAndError(ValueError):
    """A report that cannot be used; `field` names the parameter."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class Fix:
    lat: float
    lng: float
    recorded_at: datetime
    accuracy_m: float | None = None
    speed_mps: float | None = None
    bearing: float | None = None
    altitude_m: float | None = None


@dataclass
class Report:
    """One request: the device id, its fixes (a heartbeat may carry none) and the phone's battery."""

    device_id: str
    fixes: list[Fix] = field(default_factory=list)
    battery_pct: float | None = None
    charging: bool | None = None
    event: str = ""


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise OsmAndError(name, "must be a number")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise OsmAndError(name, f"'{value}' is not a number") from None
    if not math.isfinite(out):
        raise OsmAndError(name, "must be a finite number")
    return out


def _optional(name: str, value: Any) -> float | None:
    if value is None or value == "":
        return None
    return _number(name, value)


def _known(value: float | None) -> float | None:
    """Traccar Client sends -1 for unknown speed, heading and battery level."""
    return None if value is None or value < 0 else value


def parse_timestamp(value: Any, now: datetime) -> datetime:
    """Unix seconds or milliseconds, ISO 8601 (naive = UTC), or 'yyyy-MM-dd HH:mm:ss' (UTC)."""
    text = str(value).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        n = float(text)
        t = datetime.fromtimestamp(n if n < _INT32_MAX else n / 1000.0, UTC)
    else:
        try:
            t = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
        except ValueError:
            raise OsmAndError("timestamp", f"'{text[:40]}' is not Unix seconds or an ISO 8601 time") from None
        t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    if t > now + FUTURE_SLACK:
        raise OsmAndError("timestamp", "is more than 10 minutes in the future; check the phone's date and time")
    return t


def _fix(lat: Any, lng: Any, when: datetime, *, accuracy: Any = None, speed_mps: float | None = None,
         bearing: Any = None, altitude: Any = None) -> Fix:
    la, lo = _number("lat", lat), _number("lon", lng)
    if la == 0 and lo == 0:
        raise NoPosition
    if not -90 <= la <= 90:
        raise OsmAndError("lat", "must be between -90 and 90")
    if not -180 <= lo <= 180:
        raise OsmAndError("lon", "must be between -180 and 180")
    acc = _known(_optional("accuracy", accuracy))
    speed = _known(speed_mps)
    return Fix(la, lo, when, accuracy_m=acc, speed_mps=speed if speed is None or speed <= MAX_SPEED_MPS else None,
               bearing=_known(_optional("bearing", bearing)), altitude_m=_optional("altitude", altitude))


def parse_params(params: Mapping[str, str], now: datetime) -> Report:
    """The query/form form of the protocol (speed in knots)."""
    device = (params.get("id") or params.get("deviceid") or "").strip()
    if not device:
        raise OsmAndError("id", "the device id is missing; copy it from the console's Pair phone dialog")
    lat, lng = params.get("lat"), params.get("lon")
    if (lat is None or lng is None) and params.get("location"):
        parts = str(params["location"]).split(",")
        if len(parts) != 2:
            raise OsmAndError("location", "must be 'latitude,longitude'")
        lat, lng = parts
    report = Report(device_id=device)
    batt = _optional("batt", params.get("batt"))
    report.battery_pct = None if batt is None or batt < 0 else min(batt, 100.0)
    if "charge" in params:
        report.charging = str(params["charge"]).lower() in ("true", "1")
    if lat is None or lng is None:
        return report  # a heartbeat without a position
    when = parse_timestamp(params["timestamp"], now) if params.get("timestamp") else now
    knots = _optional("speed", params.get("speed"))
    try:
        report.fixes.append(_fix(lat, lng, when, accuracy=params.get("accuracy"),
                                 speed_mps=None if knots is None else knots * KNOT_MPS,
                                 bearing=params.get("bearing", params.get("heading")),
                                 altitude=params.get("altitude")))
    except NoPosition:
        pass
    return report


def _device_from_underscore(body: Mapping[str, Any], location: Any) -> str:
    """Traccar Client also puts '&id=…&lat=…' in a "_" field for servers that read the body as a query."""
    for holder in (body, location if isinstance(location, Mapping) else {}):
        raw = holder.get("_") if isinstance(holder, Mapping) else None
        if isinstance(raw, str):
            m = re.search(r"(?:^|&)id=([^&]+)", raw)
            if m:
                return m.group(1)
    return ""


def parse_json(body: Any, now: datetime) -> Report:
    """The JSON form of Traccar Client 9+ (speed in m/s); `location` may also be a list (batch sync)."""
    if not isinstance(body, Mapping):
        raise OsmAndError("body", "must be a JSON object with 'location' and 'device_id'")
    location = body.get("location")
    device = str(body.get("device_id") or "").strip() or _device_from_underscore(body, location)
    if not device:
        raise OsmAndError("device_id", "the device id is missing; copy it from the console's Pair phone dialog")
    items = location if isinstance(location, list) else [location]
    report = Report(device_id=device)
    for loc in items:
        if not isinstance(loc, Mapping):
            raise OsmAndError("location", "must be a JSON object")
        battery = loc.get("battery")
        if isinstance(battery, Mapping):
            level = _known(_optional("battery.level", battery.get("level")))
            report.battery_pct = None if level is None else round(min(level, 1.0) * 100, 1)
            if isinstance(battery.get("is_charging"), bool):
                report.charging = battery["is_charging"]
        report.event = str(loc.get("event") or report.event)
        coords = loc.get("coords")
        if not isinstance(coords, Mapping):
            continue  # heartbeat or event without a position
        when = parse_timestamp(loc["timestamp"], now) if loc.get("timestamp") else now
        try:
            report.fixes.append(_fix(coords.get("latitude"), coords.get("longitude"), when,
                                     accuracy=coords.get("accuracy"),
                                     speed_mps=_optional("speed", coords.get("speed")),
                                     bearing=coords.get("heading"), altitude=coords.get("altitude")))
        except NoPosition:
            continue
    return report
