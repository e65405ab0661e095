"""Technicians' working hours and time off, the day's availability, the week's load and the conflict check."""

from __future__ import annotations

from datetime import date as Date
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic_core import to_jsonable_python
from sqlalchemy import delete, select

from models.availability import parse_hhmm
from models.board_schemas import (
    AvailabilityOut,
    CheckIn,
    CheckOut,
    HoursIn,
    HoursOut,
    TimeOffIn,
    TimeOffOut,
    WeekOut,
)
from models.events import EventName
from models.schemas import Day
from models.tables import Appointment, Job, Technician, TimeOffRow, User, WorkingHoursRow
from models.timefmt import today
from services.backend import schedule_load
from services.backend.audit import audit
from services.backend.availability_data import check, hours_for, hours_public, time_off_public
from services.backend.deps import Admin, Ctx, Db, Dispatcher
from services.backend.dispatch_data import required_for, skills_of
from services.backend.errors import Invalid, NotFound
from services.backend.events import publish

router = APIRouter(prefix="/api/v1", tags=["availability"])


def _tech(db: Db, tech_id: int) -> Technician:
    tech = db.get(Technician, tech_id)
    if tech is None:
        raise NotFound(f"No technician {tech_id}.")
    return tech


def _changed(db: Db, ctx: Ctx, user: User, tech: Technician, action: str, details: dict[str, Any]) -> None:
    """Audit the change and tell every console (row headers, shading and conflict checks follow)."""
    now = ctx.clock.now()
    audit(db, now, action, "technician", tech.id, user, to_jsonable_python(details))
    publish(db, EventName.TECHNICIAN_UPDATED.value, {"id": tech.id, "availability": True}, now)


@router.get("/technicians/{tech_id}/hours", response_model=HoursOut)
def get_hours(tech_id: int, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """The tech's working hours per weekday, company time zone; `set` false means never set (always available)."""
    _tech(db, tech_id)
    return hours_public(tech_id, hours_for(db, [tech_id]).get(tech_id), ctx.company(db).time_zone)


@router.put("/technicians/{tech_id}/hours", response_model=HoursOut)
def put_hours(tech_id: int, body: HoursIn, user: Admin, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Replace the tech's week (admins): the days listed are worked, every other weekday is a day off."""
    tech = _tech(db, tech_id)
    tz = ctx.company(db).time_zone
    before = hours_public(tech_id, hours_for(db, [tech_id]).get(tech_id), tz)
    db.execute(delete(WorkingHoursRow).where(WorkingHoursRow.technician_id == tech_id))
    for d in sorted(body.days, key=lambda d: d.weekday):
        db.add(WorkingHoursRow(technician_id=tech_id, weekday=d.weekday, start_min=parse_hhmm(d.start),
                               end_min=parse_hhmm(d.end)))
    db.flush()
    after = hours_public(tech_id, hours_for(db, [tech_id]).get(tech_id), tz)
    _changed(db, ctx, user, tech, "technician.hours_changed", {"before": _week_words(before),
                                                                "after": _week_words(after)})
    db.commit()
    return after


@router.delete("/technicians/{tech_id}/hours", response_model=HoursOut)
def clear_hours(tech_id: int, user: Admin, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Forget the tech's hours (admins): they count as always available again, with no capacity figure."""
    tech = _tech(db, tech_id)
    tz = ctx.company(db).time_zone
    before = hours_public(tech_id, hours_for(db, [tech_id]).get(tech_id), tz)
    db.execute(delete(WorkingHoursRow).where(WorkingHoursRow.technician_id == tech_id))
    _changed(db, ctx, user, tech, "technician.hours_changed", {"before": _week_words(before), "after": None})
    db.commit()
    return hours_public(tech_id, None, tz)


def _week_words(h: dict[str, Any]) -> dict[str, str] | None:
    if not h["set"]:
        return None
    return {d["name"]: f"{d['start']}–{d['end']}" if d["start"] else "off" for d in h["days"]}


@router.get("/technicians/{tech_id}/time-off", response_model=list[TimeOffOut])
def list_time_off(tech_id: int, user: Dispatcher, ctx: Ctx, db: Db,
                  include_past: Annotated[bool, Query(description="also time off that has ended")] = False,
                  ) -> list[dict[str, Any]]:
    """The tech's time off, soonest first (by default only what has not ended yet)."""
    _tech(db, tech_id)
    stmt = select(TimeOffRow).where(TimeOffRow.technician_id == tech_id)
    if not include_past:
        stmt = stmt.where(TimeOffRow.ends_at > ctx.clock.now())
    return [time_off_public(r) for r in db.scalars(stmt.order_by(TimeOffRow.starts_at, TimeOffRow.id))]


@router.post("/technicians/{tech_id}/time-off", status_code=201, response_model=TimeOffOut)
def add_time_off(tech_id: int, body: TimeOffIn, user: Admin, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Add time off (admins): bookings then show a conflict such as "Marcus is off: dentist"."""
    tech = _tech(db, tech_id)
    if body.ends_at - body.starts_at > timedelta(days=366):
        raise Invalid.field("ends_at", "time off can last at most a year; add another entry for longer")
    row = TimeOffRow(technician_id=tech_id, starts_at=body.starts_at, ends_at=body.ends_at, reason=body.reason,
                     created_by=user.name, created_at=ctx.clock.now())
    db.add(row)
    db.flush()
    _changed(db, ctx, user, tech, "technician.time_off_added", time_off_public(row))
    db.commit()
    return time_off_public(row)


@router.delete("/technicians/{tech_id}/time-off/{off_id}", status_code=204)
def remove_time_off(tech_id: int, off_id: int, user: Admin, ctx: Ctx, db: Db) -> Response:
    """Remove time off (admins)."""
    tech = _tech(db, tech_id)
    row = db.get(TimeOffRow, off_id)
    if row is None or row.technician_id != tech_id:
        raise NotFound(f"No time off {off_id} for {tech.name}.")
    _changed(db, ctx, user, tech, "technician.time_off_removed", time_off_public(row))
    db.delete(row)
    db.commit()
    return Response(status_code=204)


def _today(ctx: Ctx, tz: str) -> Date:
    return today(ctx.clock.now(), tz)


@router.get("/availability", response_model=AvailabilityOut)
def availability(user: Dispatcher, ctx: Ctx, db: Db,
                 date: Annotated[Day | None, Query(description="local day YYYY-MM-DD; default today")] = None,
                 ) -> dict[str, Any]:
    """Every active tech's shift, time off, spans to shade and booked/capacity for the day (grid row headers)."""
    tz = ctx.company(db).time_zone
    return schedule_load.day(db, tz, date or _today(ctx, tz))


@router.get("/schedule/week", response_model=WeekOut)
def week(user: Dispatcher, ctx: Ctx, db: Db,
         start: Annotated[Day | None, Query(description="first day YYYY-MM-DD; default this week's Monday")] = None,
         ) -> dict[str, Any]:
    """Technicians × 7 days: visits, booked minutes and capacity per cell (the week view)."""
    tz = ctx.company(db).time_zone
    if start is None:
        today = _today(ctx, tz)
        start = today - timedelta(days=today.weekday())
    return schedule_load.week(db, tz, start)


@router.post("/appointments/check", response_model=CheckOut)
def check_appointment(body: CheckIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """The conflicts booking this technician for this window would have (checked before saving): overlaps with
    another visit, outside working hours, during time off, missing skills. Nothing is saved."""
    if body.technician_id is None:
        return {"ok": True, "technician_id": None, "conflicts": []}
    tech = db.get(Technician, body.technician_id)
    if tech is None:
        raise Invalid.field("technician_id", f"no technician {body.technician_id}")
    if body.job_id is not None and db.get(Job, body.job_id) is None:
        raise Invalid.field("job_id", f"no job {body.job_id}")
    if body.appointment_id is not None and db.get(Appointment, body.appointment_id) is None:
        raise Invalid.field("appointment_id", f"no appointment {body.appointment_id}")
    job = db.get(Job, body.job_id) if body.job_id is not None else \
        appt.job if body.appointment_id is not None and (appt := db.get(Appointment, body.appointment_id)) else None
    required = required_for(db, [job.service_type]).get(job.service_type.strip().lower(), []) if job else []
    found = check(db, ctx.company(db).time_zone, tech, body.window_start, body.window_end,
                  exclude_id=body.appointment_id, required_skills=required,
                  offered_skills=skills_of(db, [tech.id]).get(tech.id, []))
    db.commit()
    return {"ok": not found, "technician_id": tech.id, "conflicts": [c.to_dict() for c in found]}

