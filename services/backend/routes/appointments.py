"""Appointments for dispatchers: the day's list, details with history, create, reassign, reschedule, status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Source
from models.public.appointments import AppointmentDetailPublic, AppointmentPublic, day_rows
from models.schemas import AppointmentIn, AppointmentPatch, Day, StatusIn
from models.tables import Appointment, Job
from models.timefmt import day_bounds, today
from services.backend import appointment_ops as ops
from services.backend import conflict_guard
from services.backend.appointment_views import day_list, detail
from services.backend.audit import who
from services.backend.context import Backend
from services.backend.contract import errors
from services.backend.deps import Ctx, Db, Dispatcher
from services.backend.errors import Invalid, NotFound
from services.backend.locking import locked

router = APIRouter(prefix="/api/v1/appointments", tags=["dispatcher"])
IfMatch = Annotated[str | None, Header(alias="If-Match", description="the ETag last read, e.g. \"3\"")]
#: Every answer with one appointment carries its version as the ETag.
WITH_ETAG: dict[int | str, dict[str, Any]] = {200: {"headers": {"ETag": {
    "description": "the appointment's version, quoted; send it back as If-Match", "required": True,
    "schema": {"type": "string"}}}}}


def load(db: Session, appt_id: int, *, lock: bool = False) -> Appointment:
    stmt = select(Appointment).where(Appointment.id == appt_id)
    appt = db.scalar(locked(stmt) if lock else stmt)
    if appt is None:
        raise NotFound(f"No appointment {appt_id}.")
    return appt


def answer(db: Session, ctx: Backend, appt: Appointment, response: Response) -> dict[str, Any]:
    """The appointment with its history; its version as the ETag."""
    response.headers["ETag"] = f'"{appt.version}"'
    return detail(db, appt, ctx.clock.now())


def commit_and_answer(db: Session, ctx: Backend, appt: Appointment, response: Response) -> dict[str, Any]:
    """`answer` read inside the change's own transaction, then the commit: what was just written, without a
    second transaction (on SQLite a second turn at the write lock) after the commit."""
    out = answer(db, ctx, appt, response)
    db.commit()
    return out


@router.get("", response_model=list[AppointmentPublic])
def list_appointments(
    user: Dispatcher,
    ctx: Ctx,
    db: Db,
    date: Annotated[Day | None, Query(description="Local day, YYYY-MM-DD (company time zone); default today")] = None,
    technician_id: int | None = None,
) -> Response:
    """The appointments whose window starts on `date` in the company's time zone."""
    tz = ctx.company(db).time_zone
    start, end = day_bounds(date or today(ctx.clock.now(), tz), tz)
    rows = day_list(db, start, end, technician_id)
    # Checked and serialised as the response model, without a model instance per row (a day can hold 10,000).
    return Response(day_rows.dump_json(day_rows.validate_python(rows)), media_type="application/json")


CONFLICT_409 = errors(409, s409="`schedule_conflict`: the technician has another visit then, is off or outside their "
                           "hours; `details.conflicts` lists them. Send `allow_conflicts: true` to book anyway "
                           "(audited).")


@router.post("", status_code=201, response_model=AppointmentDetailPublic,
             responses={201: WITH_ETAG[200], **CONFLICT_409})
def create_appointment(body: AppointmentIn, user: Dispatcher, ctx: Ctx, db: Db, response: Response) -> dict[str, Any]:
    """Schedule a visit for a job (status `scheduled`); the customer is told when notifications are on. A clash with
    the technician's other visits, hours or time off is a 409 `schedule_conflict` unless `allow_conflicts`."""
    job = db.get(Job, body.job_id)
    if job is None:
        raise Invalid.field("job_id", f"no job {body.job_id}; create the job first")
    appt = ops.create(db, ctx, job, body.technician_id, body.window_start, body.window_end, user)
    conflict_guard.enforce(db, ctx, appt, allow_conflicts=body.allow_conflicts, who=who(user))
    return commit_and_answer(db, ctx, appt, response)


@router.get("/{appt_id}", response_model=AppointmentDetailPublic, responses=WITH_ETAG)
def get_appointment(appt_id: int, user: Dispatcher, ctx: Ctx, db: Db, response: Response) -> dict[str, Any]:
    """One appointment with its status history; the ETag is its version."""
    return answer(db, ctx, load(db, appt_id), response)


@router.patch("/{appt_id}", response_model=AppointmentDetailPublic, responses={**WITH_ETAG, **CONFLICT_409})
def patch_appointment(
    appt_id: int, body: AppointmentPatch, user: Dispatcher, ctx: Ctx, db: Db, response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Reassign (`technician_id`, or `unassign`) and/or reschedule (`window_start`, `window_end`); the
    technicians concerned are told, the customer when `notify_customer` (omitted: the company's default). A move
    onto a technician's other visit, hours or time off is a 409 `schedule_conflict` unless `allow_conflicts`."""
    expected = ops.parse_if_match(if_match)
    appt = load(db, appt_id, lock=True)
    ops.check_version(appt, expected)
    if ops.change_schedule(db, ctx, appt, user, technician_id=body.technician_id, unassign=body.unassign,
                           window_start=body.window_start, window_end=body.window_end,
                           notify_customer=body.notify_customer):
        conflict_guard.enforce(db, ctx, appt, allow_conflicts=body.allow_conflicts, who=who(user))
        return commit_and_answer(db, ctx, appt, response)
    return answer(db, ctx, appt, response)


@router.post("/{appt_id}/status", response_model=AppointmentDetailPublic,
             responses={**WITH_ETAG, **errors(409, s409="The state machine refuses this transition; the message "
                                                        "names the allowed ones.")})
def set_status(
    appt_id: int, body: StatusIn, user: Dispatcher, ctx: Ctx, db: Db, response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Manual statusing from the console (models/status_machine.py); backward corrections need `reason`."""
    expected = ops.parse_if_match(if_match)
    appt = load(db, appt_id, lock=True)
    ops.check_version(appt, expected)
    ops.change_status(db, ctx, appt, body.status, who(user), Source.CONSOLE, reason=body.reason,
                      customer_message=body.customer_message)
    return commit_and_answer(db, ctx, appt, response)
