"""Appointments for dispatchers: the day's list, details with history, create, reassign, reschedule, status."""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Source
from models.schemas import AppointmentIn, AppointmentPatch, StatusIn
from models.tables import Appointment, AuditLog, Job, Technician, TimeEntry
from models.timefmt import day_bounds
from services.backend.appointment_ops import (
    bump,
    change_status,
    check_version,
    day_list,
    history,
    locked,
    open_late_ids,
    parse_if_match,
    to_public,
)
from services.backend.deps import Ctx, Db, Dispatcher, who
from services.backend.errors import Invalid, NotFound
from services.backend.events import publish

router = APIRouter(prefix="/api/v1/appointments", tags=["dispatcher"])
IfMatch = Annotated[str | None, Header(alias="If-Match")]


def load(db: Session, appt_id: int, *, lock: bool = False) -> Appointment:
    stmt = select(Appointment).where(Appointment.id == appt_id)
    appt = db.scalar(locked(stmt) if lock else stmt)
    if appt is None:
        raise NotFound(f"No appointment {appt_id}.")
    return appt


def detail(db: Session, appt: Appointment, response: Response, now: datetime | None = None) -> dict[str, Any]:
    response.headers["ETag"] = f'"{appt.version}"'
    out = to_public(appt, late=bool(open_late_ids(db, [appt.id])))
    out["history"] = history(db, appt.id)
    entry = db.scalar(select(TimeEntry).where(TimeEntry.appointment_id == appt.id))
    out["time_entry"] = None
    if entry is not None:
        until = entry.ended_at or now or entry.started_at
        out["time_entry"] = {"started_at": entry.started_at, "ended_at": entry.ended_at,
                             "minutes_on_site": max(0, round((until - entry.started_at).total_seconds() / 60))}
    return out


@router.get("")
def list_appointments(
    user: Dispatcher,
    ctx: Ctx,
    db: Db,
    date: Annotated[Date | None, Query(description="Local day, YYYY-MM-DD (company time zone); default today")] = None,
    technician_id: int | None = None,
) -> list[dict[str, Any]]:
    """The appointments whose window starts on `date` in the company's time zone."""
    tz = ctx.company(db).time_zone
    day = date or ctx.clock.now().astimezone(__import__("zoneinfo").ZoneInfo(tz)).date()
    start, end = day_bounds(day, tz)
    return day_list(db, start, end, technician_id)


@router.post("", status_code=201)
def create_appointment(body: AppointmentIn, user: Dispatcher, ctx: Ctx, db: Db, response: Response) -> dict[str, Any]:
    """Schedule a visit for a job (status `scheduled`); the customer is told when notifications are on."""
    job = db.get(Job, body.job_id)
    if job is None:
        raise Invalid.field("job_id", f"no job {body.job_id}; create the job first")
    if body.technician_id is not None and db.get(Technician, body.technician_id) is None:
        raise Invalid.field("technician_id", f"no technician {body.technician_id}")
    now = ctx.clock.now()
    appt = Appointment(
        job_id=job.id, technician_id=body.technician_id, window_start=body.window_start,
        window_end=body.window_end, status="scheduled", version=1, site_lat=job.lat, site_lng=job.lng,
        created_at=now, updated_at=now, updated_by=user.name,
    )
    db.add(appt)
    db.flush()
    from services.backend.notify_texts import appointment_scheduled

    appointment_scheduled(db, ctx, appt, now)
    db.add(AuditLog(action="appointment.created", target_type="appointment", target_id=appt.id,
                    actor="dispatcher", actor_id=user.id, actor_name=user.name, created_at=now))
    publish(db, "appointment.updated", {"id": appt.id, "version": appt.version, "status": appt.status}, now)
    db.commit()
    return detail(db, appt, response, ctx.clock.now())


@router.get("/{appt_id}")
def get_appointment(appt_id: int, user: Dispatcher, ctx: Ctx, db: Db, response: Response) -> dict[str, Any]:
    """One appointment with its status history; the ETag is its version."""
    return detail(db, load(db, appt_id), response, ctx.clock.now())


@router.patch("/{appt_id}")
def patch_appointment(
    appt_id: int, body: AppointmentPatch, user: Dispatcher, ctx: Ctx, db: Db, response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Reassign (`technician_id`, or `unassign`) and/or reschedule (`window_start`, `window_end`)."""
    expected = parse_if_match(if_match)
    appt = load(db, appt_id, lock=True)
    check_version(appt, expected)
    from models.enums import AppointmentStatus
    from models.status_machine import FINAL

    if AppointmentStatus(appt.status) in FINAL:
        raise Invalid.field("status", f"this appointment is {appt.status}; it can no longer be changed")
    changes: dict[str, Any] = {}
    if body.unassign and appt.technician_id is not None:
        changes["technician_id"] = [appt.technician_id, None]
        appt.technician_id = None
    elif body.technician_id is not None and body.technician_id != appt.technician_id:
        if db.get(Technician, body.technician_id) is None:
            raise Invalid.field("technician_id", f"no technician {body.technician_id}")
        changes["technician_id"] = [appt.technician_id, body.technician_id]
        appt.technician_id = body.technician_id
    start = body.window_start or appt.window_start
    end = body.window_end or appt.window_end
    if body.window_start and not body.window_end:
        end = start + (appt.window_end - appt.window_start)
    if end <= start:
        raise Invalid.field("window_end", "must be after window_start")
    if start != appt.window_start or end != appt.window_end:
        changes["window"] = [[appt.window_start.isoformat(), appt.window_end.isoformat()],
                             [start.isoformat(), end.isoformat()]]
        appt.window_start, appt.window_end = start, end
    if not changes:
        return detail(db, appt, response, ctx.clock.now())
    now = ctx.clock.now()
    bump(appt, who(user), now)
    db.add(AuditLog(action="appointment.changed", target_type="appointment", target_id=appt.id,
                    actor="dispatcher", actor_id=user.id, actor_name=user.name, details=changes, created_at=now))
    db.flush()
    db.refresh(appt)
    from services.backend.notify_texts import appointment_changed

    appointment_changed(db, ctx, appt, changes, now)
    publish(db, "appointment.updated", {"id": appt.id, "version": appt.version, "status": appt.status}, now)
    db.commit()
    return detail(db, appt, response, ctx.clock.now())


@router.post("/{appt_id}/status")
def set_status(
    appt_id: int, body: StatusIn, user: Dispatcher, ctx: Ctx, db: Db, response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Manual statusing from the console (API.md §1); backward corrections need `reason`."""
    expected = parse_if_match(if_match)
    appt = load(db, appt_id, lock=True)
    check_version(appt, expected)
    change_status(db, ctx, appt, body.status, who(user), Source.CONSOLE, reason=body.reason,
                  customer_message=body.customer_message)
    db.commit()
    return detail(db, appt, response, ctx.clock.now())
