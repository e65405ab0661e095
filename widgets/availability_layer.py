"""The grid's availability layer: off-hours and time off shaded per technician row, and each row header's
booked hours / capacity for the day (booked from the grid's own blocks, so it follows every move at once)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QBrush, QColor, QPainter

from models.availability import DayLoad
from models.timefmt import parse_iso


@dataclass(frozen=True)
class LaneAvailability:
    """One technician's day: spans to shade (epoch seconds, reason), capacity in minutes (None: hours not set)."""

    unavailable: tuple[tuple[float, float, str], ...] = ()
    capacity_minutes: int | None = None
    hours_set: bool = False


def from_day(payload: Mapping[str, Any]) -> dict[int, LaneAvailability]:
    """`GET /availability?date=` → per technician id."""
    out: dict[int, LaneAvailability] = {}
    for t in payload.get("technicians") or []:
        offs = [(parse_iso(o["starts_at"]).timestamp(), parse_iso(o["ends_at"]).timestamp(), str(o.get("reason") or ""))
                for o in t.get("time_off") or []]
        spans: list[tuple[float, float, str]] = []
        for u in t.get("unavailable") or []:
            s, e = parse_iso(u["starts_at"]).timestamp(), parse_iso(u["ends_at"]).timestamp()
            why = next((r or "Time off" for a, b, r in offs if a < e and s < b), "")  # else: outside the shift
            spans.append((s, e, why))
        out[int(t["id"])] = LaneAvailability(tuple(spans), t.get("capacity_minutes"), bool(t.get("hours_set")))
    return out


def booked_minutes(appts: Iterable[Any]) -> tuple[int, int]:
    """(visits, minutes) of the blocks on a row, cancelled ones aside (as the server counts a day's load)."""
    n = minutes = 0
    for a in appts:
        if a.status == "cancelled":
            continue
        n += 1
        minutes += int(round((a.end - a.start) / 60))
    return n, minutes


def load_text(lane: LaneAvailability | None, appts: Iterable[Any]) -> str:
    """'6.5 / 8 h', '2 h booked' (hours not set), 'Off' — or '' when availability is not loaded."""
    if lane is None:
        return ""
    n, minutes = booked_minutes(appts)
    return DayLoad(n, minutes, lane.capacity_minutes).text


def overbooked(lane: LaneAvailability | None, appts: Iterable[Any]) -> bool:
    if lane is None or not lane.capacity_minutes:
        return False
    return booked_minutes(appts)[1] > lane.capacity_minutes


def paint_unavailable(p: QPainter, lane: LaneAvailability, y: int, row_h: int, x_for: Any, left: int,
                      right: int, dark: bool) -> list[QRect]:
    """Shade a row's unavailable spans (a soft grey with diagonal hatching, readable without colour)."""
    painted: list[QRect] = []
    base = QColor(255, 255, 255, 22) if dark else QColor(31, 41, 51, 30)
    hatch = QColor(255, 255, 255, 34) if dark else QColor(31, 41, 51, 44)
    for start, end, _reason in lane.unavailable:
        x0, x1 = max(left, int(x_for(start))), min(right, int(x_for(end)))
        if x1 <= x0:
            continue
        r = QRect(x0, y, x1 - x0, row_h - 1)
        p.fillRect(r, base)
        p.fillRect(r, QBrush(hatch, Qt.BrushStyle.BDiagPattern))
        painted.append(r)
    return painted


def reason_at(lane: LaneAvailability | None, ts: float) -> str | None:
    """Why a moment is unavailable ('Off', 'dentist'), None when the tech works then."""
    if lane is None:
        return None
    for start, end, reason in lane.unavailable:
        if start <= ts < end:
            return reason or "Outside working hours"
    return None

