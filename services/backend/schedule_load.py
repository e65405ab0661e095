"""Booked time per technician and day, in one SQL aggregate, against capacity from working hours and time off."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from models.availability import DayLoad, TimeOff, WorkingHours, capacity_minutes, unavailable_intervals
from models.tables import Appointment, Technician
from models.timefmt import day_bounds
from services.backend.availability_data import hours_for, time_off_for


def _seconds(db: Session) -> ColumnElement[Any]:
    """window_end − window_start in seconds, on SQLite and PostgreSQL."""
    if db.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", Appointment.window_end - Appointment.window_start)
    return (func.julianday(Appointment.window_end) - func.julianday(Appointment.window_start)) * 86400.0


def booked_by_day(db: Session, days: Sequence[date], tz: str) -> dict[tuple[int | None, int], tuple[int, int]]:
    """{(technician_id or None, day index): (visits, booked minutes)} for visits starting on those consecutive
    days (cancelled ones aside): one GROUP BY over the range, days told apart by their UTC bounds (DST-safe)."""
    bounds = [day_bounds(d, tz)[0] for d in days] + [day_bounds(days[-1], tz)[1]]
    day_idx = case(*[(Appointment.window_start < bounds[i + 1], i) for i in range(len(days))], else_=-1)
    stmt = (select(Appointment.technician_id, day_idx.label("d"), func.count(), func.sum(_seconds(db)))
            .where(Appointment.window_start >= bounds[0], Appointment.window_start < bounds[-1],
                   Appointment.status != "cancelled")
            .group_by(Appointment.technician_id, day_idx))
    return {(tech, int(d)): (int(n), round(float(secs or 0) / 60)) for tech, d, n, secs in db.execute(stmt)}


def _loads(days: Sequence[date], tz: str, tech_id: int | None, booked: dict[tuple[int | None, int], tuple[int, int]],
           hours: WorkingHours | None, off: list[TimeOff]) -> list[DayLoad]:
    out = []
    for i, d in enumerate(days):
        n, mins = booked.get((tech_id, i), (0, 0))
        out.append(DayLoad(n, mins, capacity_minutes(d, hours, off, tz) if tech_id is not None else None))
    return out


def active_technicians(db: Session) -> list[tuple[int, str]]:
    rows = db.execute(select(Technician.id, Technician.name).where(Technician.active.is_(True))
                      .order_by(Technician.name, Technician.id))
    return [(tid, name) for tid, name in rows]


def week(db: Session, tz: str, start: date) -> dict[str, Any]:
    """Technicians × 7 days: visits, booked minutes, capacity; plus the Unassigned row."""
    days = [start + timedelta(days=i) for i in range(7)]
    booked = booked_by_day(db, days, tz)
    first, last = day_bounds(days[0], tz)[0], day_bounds(days[-1], tz)[1]
    hours = hours_for(db)
    off = time_off_for(db, None, first, last)
    techs = []
    for tid, name in active_technicians(db):
        loads = _loads(days, tz, tid, booked, hours.get(tid), off.get(tid, []))
        techs.append({"id": tid, "name": name, "hours_set": tid in hours,
                      "days": [{"date": d, **ld.to_dict()} for d, ld in zip(days, loads, strict=True)]})
    unassigned = _loads(days, tz, None, booked, None, [])
    return {"start": start, "time_zone": tz, "days": days, "technicians": techs,
            "unassigned": [{"date": d, **ld.to_dict()} for d, ld in zip(days, unassigned, strict=True)]}


def _span(s: datetime, e: datetime, reason: str = "") -> dict[str, Any]:
    return {"starts_at": s, "ends_at": e, "reason": reason}


def day(db: Session, tz: str, on: date) -> dict[str, Any]:
    """Every active tech's hours, time off, shaded (unavailable) spans and booked/capacity for one day."""
    start, end = day_bounds(on, tz)
    booked = booked_by_day(db, [on], tz)
    hours = hours_for(db)
    off = time_off_for(db, None, start, end)
    techs = []
    for tid, name in active_technicians(db):
        h, o = hours.get(tid), off.get(tid, [])
        shift = h.interval(on, tz) if h is not None else None
        load = _loads([on], tz, tid, booked, h, o)[0]
        techs.append({
            "id": tid, "name": name, "hours_set": h is not None, "working": h is None or shift is not None,
            "shift": _span(*shift) if shift else None,
            "time_off": [{"id": x.id, **_span(x.starts_at, x.ends_at, x.reason)} for x in o],
            "unavailable": [_span(s, e) for s, e in unavailable_intervals(on, h, o, tz)],
            **load.to_dict(),
        })
    n, mins = booked.get((None, 0), (0, 0))
    return {"date": on, "time_zone": tz, "technicians": techs,
            "unassigned": {"visits": n, "booked_minutes": mins}}
