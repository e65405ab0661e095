"""Technicians' hours and time off from the database, as the pure rule's objects, and the conflict check."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.availability import BLOCKING, WEEKDAYS, Conflict, Shift, TimeOff, Visit, WorkingHours, conflicts, fmt_hhmm
from models.tables import Appointment, Customer, Job, Technician, TimeOffRow, WorkingHoursRow


def hours_for(db: Session, tech_ids: Collection[int] | None = None) -> dict[int, WorkingHours]:
    """Working hours of the given techs (all when None); a tech whose hours were never set is absent."""
    stmt = select(WorkingHoursRow.technician_id, WorkingHoursRow.weekday, WorkingHoursRow.start_min,
                  WorkingHoursRow.end_min)
    if tech_ids is not None:
        stmt = stmt.where(WorkingHoursRow.technician_id.in_(list(tech_ids)))
    days: dict[int, list[Shift | None]] = {}
    for tech, weekday, start, end in db.execute(stmt):
        days.setdefault(tech, [None] * 7)[weekday] = Shift(start, end)
    return {t: WorkingHours(tuple(d)) for t, d in days.items()}


def time_off_for(db: Session, tech_ids: Collection[int] | None, start: datetime, end: datetime
                 ) -> dict[int, list[TimeOff]]:
    """Time off overlapping [start, end), per technician, in start order."""
    stmt = (select(TimeOffRow).where(TimeOffRow.starts_at < end, TimeOffRow.ends_at > start)
            .order_by(TimeOffRow.starts_at, TimeOffRow.id))
    if tech_ids is not None:
        stmt = stmt.where(TimeOffRow.technician_id.in_(list(tech_ids)))
    out: dict[int, list[TimeOff]] = {}
    for row in db.scalars(stmt):
        out.setdefault(row.technician_id, []).append(TimeOff(row.starts_at, row.ends_at, row.reason, row.id))
    return out


def blocking_visits(db: Session, tech_id: int, start: datetime, end: datetime) -> list[Visit]:
    """The tech's visits that overlap [start, end) and still occupy them (indexed by technician)."""
    rows = db.execute(
        select(Appointment.id, Appointment.technician_id, Appointment.window_start, Appointment.window_end,
               Appointment.status, Customer.name)
        .join(Job, Appointment.job_id == Job.id).join(Customer, Job.customer_id == Customer.id)
        .where(Appointment.technician_id == tech_id, Appointment.window_start < end,
               Appointment.window_end > start, Appointment.status.in_(sorted(BLOCKING)))
    )
    return [Visit(i, t, s, e, st, name) for i, t, s, e, st, name in rows]


def check(db: Session, tz: str, tech: Technician, start: datetime, end: datetime, *,
          exclude_id: int | None = None, required_skills: Collection[str] = (),
          offered_skills: Collection[str] = ()) -> list[Conflict]:
    """Every conflict of booking `tech` for [start, end), the appointment `exclude_id` aside."""
    return conflicts(
        tech.name, start, end, blocking_visits(db, tech.id, start, end), tz=tz,
        hours=hours_for(db, [tech.id]).get(tech.id), time_off=time_off_for(db, [tech.id], start, end).get(tech.id, []),
        required_skills=required_skills, offered_skills=offered_skills, exclude_id=exclude_id)


def hours_public(tech_id: int, hours: WorkingHours | None, tz: str) -> dict[str, Any]:
    """`{technician_id, time_zone, set, days: [{weekday, name, start, end}]}`; start/end null on a day off."""
    days = []
    for i, name in enumerate(WEEKDAYS):
        s = hours.days[i] if hours is not None else None
        days.append({"weekday": i, "name": name, "start": fmt_hhmm(s.start_min) if s else None,
                     "end": fmt_hhmm(s.end_min) if s else None})
    return {"technician_id": tech_id, "time_zone": tz, "set": hours is not None, "days": days}


def time_off_public(row: TimeOffRow | TimeOff, tech_id: int | None = None) -> dict[str, Any]:
    tid = tech_id if tech_id is not None else getattr(row, "technician_id", None)
    return {"id": row.id, "technician_id": tid, "starts_at": row.starts_at, "ends_at": row.ends_at,
            "reason": row.reason}
