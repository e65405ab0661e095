"""The technicians' field-app API: their own appointments, statusing, bio and GPS positions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models.enums import AppointmentStatus as S
from models.enums import BioStatus, Source
from models.events import EventName
from models.public.appointments import BioPublic, FieldAppointmentPublic, PositionsResultPublic
from models.schemas import BioIn, Day, PauseIn, PositionsIn
from models.tables import Appointment, Technician
from models.timefmt import day_bounds, today
from services.backend import eta_refresh, ingest_writer
from services.backend.appointment_ops import change_status
from services.backend.appointment_views import to_public
from services.backend.audit import who
from services.backend.contract import errors
from services.backend.deps import Ctx, Db, Tech
from services.backend.errors import Conflict, Invalid, NotFound
from services.backend.events import publish
from services.backend.locking import lock

router = APIRouter(prefix="/api/v1/field", tags=["field app"])
REFUSED = errors(409, s409="The state machine refuses this step now; the message names the allowed ones.")


def field_view(appt: Appointment) -> dict[str, Any]:
    """What the tech's app shows (no costing)."""
    out = to_public(appt)
    out.pop("allowed_transitions", None)
    return out


def _own(db: Db, user: Tech, appt_id: int) -> Appointment:
    appt = lock(db, appt_id)
    if appt is None or appt.technician_id != user.technician_id:
        raise NotFound(f"No appointment {appt_id} among your jobs.")
    return appt


@router.get("/appointments", response_model=list[FieldAppointmentPublic])
def my_appointments(user: Tech, ctx: Ctx, db: Db, date: Day | None = None) -> list[dict[str, Any]]:
    """The signed-in technician's appointments on `date` (default today, company time zone)."""
    tz = ctx.company(db).time_zone
    start, end = day_bounds(date or today(ctx.clock.now(), tz), tz)
    appts = db.scalars(
        select(Appointment)
        .where(Appointment.technician_id == user.technician_id, Appointment.window_start >= start,
               Appointment.window_start < end)
        .order_by(Appointment.window_start)
    )
    return [field_view(a) for a in appts]


def _move(db: Db, ctx: Ctx, user: Tech, appt_id: int, target: S, message: str = "") -> dict[str, Any]:
    appt = _own(db, user, appt_id)
    if appt.status != target.value:  # a retried tap is harmless: no second change, no second side effect
        change_status(db, ctx, appt, target, who(user), Source.FIELD_APP, customer_message=message)
        db.commit()
    return field_view(appt)


@router.post("/appointments/{appt_id}/confirm", response_model=FieldAppointmentPublic, responses=REFUSED)
def confirm(appt_id: int, user: Tech, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Confirm the job: scheduled → dispatched."""
    return _move(db, ctx, user, appt_id, S.DISPATCHED)


@router.post("/appointments/{appt_id}/on-my-way", response_model=FieldAppointmentPublic, responses=REFUSED)
def on_my_way(appt_id: int, user: Tech, ctx: Ctx, db: Db) -> dict[str, Any]:
    """On My Way: dispatched → en_route (texts the customer with the ETA and tracker link)."""
    return _move(db, ctx, user, appt_id, S.EN_ROUTE)


@router.post("/appointments/{appt_id}/start", response_model=FieldAppointmentPublic, responses=REFUSED)
def start(appt_id: int, user: Tech, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Start: dispatched/en_route/arrived → in_progress (location is no longer shared)."""
    return _move(db, ctx, user, appt_id, S.IN_PROGRESS)


@router.post("/appointments/{appt_id}/complete", response_model=FieldAppointmentPublic, responses=REFUSED)
def complete(appt_id: int, user: Tech, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Complete: in_progress → complete (the tracker link expires)."""
    return _move(db, ctx, user, appt_id, S.COMPLETE)


@router.post("/appointments/{appt_id}/pause", response_model=FieldAppointmentPublic, responses=REFUSED)
def pause(appt_id: int, body: PauseIn, user: Tech, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Pause for a follow-up: in_progress → paused, with a message the customer sees."""
    return _move(db, ctx, user, appt_id, S.PAUSED, body.customer_message)


@router.put("/bio", response_model=BioPublic)
def put_bio(body: BioIn, user: Tech, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Submit a bio; customers see it only after a dispatcher approves it."""
    tech = db.get(Technician, user.technician_id)
    assert tech is not None
    now = ctx.clock.now()
    tech.bio_pending, tech.bio_status, tech.bio_submitted_at = body.bio, BioStatus.PENDING, now
    tech.bio_reject_reason = ""
    publish(db, EventName.TECHNICIAN_UPDATED, {"id": tech.id, "bio_status": tech.bio_status}, now)
    db.commit()
    return {"bio_status": tech.bio_status, "bio_pending": tech.bio_pending, "bio": tech.bio_approved}


@router.post("/positions", response_model=PositionsResultPublic, response_model_exclude_unset=True,
             responses=errors(409, s409="A request with this Idempotency-Key is still being processed."))
def post_positions(
    body: PositionsIn, user: Tech, ctx: Ctx, db: Db,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> dict[str, Any]:
    """A batch of GPS fixes. Retries with the same Idempotency-Key return the first answer."""
    assert user.technician_id is not None
    if idempotency_key is not None and not idempotency_key.strip():
        raise Invalid.field("Idempotency-Key", "must not be blank; use a fresh random value per batch")
    batch = ingest_writer.Batch(user.id, user.technician_id, body.positions, idempotency_key or None)
    try:
        result = ingest_writer.writer(ctx).submit(batch)
    except IntegrityError:
        # The same Idempotency-Key arrived at another backend at the same moment: answer what it stored.
        db.rollback()
        prior = ingest_writer.stored_answer(db, user.id, idempotency_key) if idempotency_key else None
        if prior is None:
            raise Conflict("Idempotency-Key: a request with this key is still being processed; retry shortly.",
                           [{"field": "Idempotency-Key", "message": "in use by a request still running"}]) from None
        return prior
    due = result.pop("eta_due", [])
    if due:
        eta_refresh.refresh(ctx, due)  # after the commit: a slow ETA service never holds the write lock
    return result
