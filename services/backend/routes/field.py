"""The technicians' field-app API: their own appointments, statusing, bio and GPS positions.

Authenticated by a bearer token or the field app's session cookie (then every write needs the CSRF token).
Status actions accept `If-Match` (the version the tech saw: 412 when someone changed it first) and an
`Idempotency-Key` (a retry gets the first answer; nothing happens twice).
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.enums import Actor, BioStatus, Source
from models.enums import AppointmentStatus as S
from models.events import EventName
from models.public.appointments import BioPublic, FieldAppointmentPublic, PositionsResultPublic
from models.public.field import PositionBatchesResultPublic
from models.schemas import BioIn, Day, PauseIn, PositionBatchesIn, PositionsIn
from models.status_machine import allowed_targets
from models.tables import Appointment, Technician
from services.backend import devices, eta_refresh, field_views, idempotent, ingest_writer
from services.backend.appointment_ops import change_status, parse_if_match
from services.backend.audit import who
from services.backend.context import Backend
from services.backend.contract import errors
from services.backend.deps import Ctx, Db
from services.backend.errors import ApiError, Conflict, Invalid, VersionMismatch
from services.backend.events import publish
from services.backend.field_auth import FieldTech, device_id, require_csrf

router = APIRouter(prefix="/api/v1/field", tags=["field app"], dependencies=[Depends(require_csrf)])
IfMatch = Annotated[str | None, Header(alias="If-Match", description="the appointment's version (ETag) you saw")]
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200,
                                       description="a fresh random value per change; a retry reuses it")]
REFUSED = errors(409, 412, s409="The state machine refuses this step now; the message names the allowed ones.",
                 s412="Someone else changed the job after the version sent in If-Match; nothing was applied.")


def tz_of(ctx: Backend, db: Session) -> str:
    return ctx.company(db).time_zone


def field_view(appt: Appointment, tz: str = "America/Chicago") -> dict[str, Any]:
    """What the tech's app shows of one appointment (no costing)."""
    return field_views.appointment_view(appt, tz)


@router.get("/appointments", response_model=list[FieldAppointmentPublic])
def my_appointments(user: FieldTech, ctx: Ctx, db: Db, date: Day | None = None) -> list[dict[str, Any]]:
    """The signed-in technician's appointments on `date` (default today, company time zone), in window order.

    Each carries `status_label`, `window_text`, `short_address`, `actions` (what the status machine allows the
    tech now) and `is_next` (the job to look at now: the one under way, else the next one).
    """
    tz = tz_of(ctx, db)
    day = date or ctx.clock.now().astimezone(ZoneInfo(tz)).date()
    assert user.technician_id is not None
    return field_views.day(db, user.technician_id, day, tz)


def _check_version(db: Session, appt: Appointment, if_match: str | None, tz: str, target: S, user_id: int) -> None:
    """412 when another person changed the job after the version the tech saw. The tech's own earlier changes
    (sent from the offline queue) and the system's (GPS arrival, En Route on leaving the previous job) do not
    count while the tech's action is still allowed."""
    if if_match is None:
        return
    expected = parse_if_match(if_match)
    still_allowed = appt.status == target.value or target in allowed_targets(S(appt.status), Actor.TECHNICIAN)
    if appt.version == expected:
        return
    if not (still_allowed and field_views.only_own_or_system_changes(db, appt, expected, user_id)):
        by = appt.updated_by or "Someone else"
        raise VersionMismatch(
            f"{by} changed this job first (it is now {field_view(appt, tz)['status_label']}). "
            "Your change was not applied; look at the job again and decide.",
            {"current_version": appt.version, "updated_by": appt.updated_by, "current": field_view(appt, tz)},
            headers={"ETag": f'"{appt.version}"'})


def _move(request: Request, db: Db, ctx: Ctx, user: FieldTech, appt_id: int, target: S, *, message: str = "",
          if_match: str | None = None, key: str | None = None) -> dict[str, Any]:
    key = idempotent.check_key(key)
    what = f"{request.method} {request.url.path}"
    prior = idempotent.replay(db, user.id, key, what)
    if prior is not None:
        return prior
    assert user.technician_id is not None
    tz = tz_of(ctx, db)
    appt = field_views.owned(db, user.technician_id, appt_id, lock=True)
    _check_version(db, appt, if_match, tz, target, user.id)
    if appt.status != target.value:  # a retried tap is harmless: no second change, no second side effect
        change_status(db, ctx, appt, target, who(user), Source.FIELD_APP, customer_message=message)
    out = field_view(appt, tz)
    idempotent.remember(db, user.id, key, what, out, ctx.clock.now())
    try:
        db.commit()
    except IntegrityError:  # the same key committed first by a concurrent retry: answer what it stored
        db.rollback()
        prior = idempotent.replay(db, user.id, key, what)
        if prior is None:
            raise
        return prior
    return out


@router.post("/appointments/{appt_id}/confirm", response_model=FieldAppointmentPublic, responses=REFUSED)
def confirm(appt_id: int, request: Request, user: FieldTech, ctx: Ctx, db: Db, if_match: IfMatch = None,
            idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Confirm the job: scheduled → dispatched."""
    return _move(request, db, ctx, user, appt_id, S.DISPATCHED, if_match=if_match, key=idempotency_key)


@router.post("/appointments/{appt_id}/on-my-way", response_model=FieldAppointmentPublic, responses=REFUSED)
def on_my_way(appt_id: int, request: Request, user: FieldTech, ctx: Ctx, db: Db, if_match: IfMatch = None,
              idempotency_key: IdemKey = None) -> dict[str, Any]:
    """On My Way: dispatched → en_route (texts the customer with the ETA and tracker link)."""
    return _move(request, db, ctx, user, appt_id, S.EN_ROUTE, if_match=if_match, key=idempotency_key)


@router.post("/appointments/{appt_id}/start", response_model=FieldAppointmentPublic, responses=REFUSED)
def start(appt_id: int, request: Request, user: FieldTech, ctx: Ctx, db: Db, if_match: IfMatch = None,
          idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Start: dispatched/en_route/arrived → in_progress (location is no longer shared)."""
    return _move(request, db, ctx, user, appt_id, S.IN_PROGRESS, if_match=if_match, key=idempotency_key)


@router.post("/appointments/{appt_id}/complete", response_model=FieldAppointmentPublic, responses=REFUSED)
def complete(appt_id: int, request: Request, user: FieldTech, ctx: Ctx, db: Db, if_match: IfMatch = None,
             idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Complete: in_progress → complete (the tracker link expires)."""
    return _move(request, db, ctx, user, appt_id, S.COMPLETE, if_match=if_match, key=idempotency_key)


@router.post("/appointments/{appt_id}/pause", response_model=FieldAppointmentPublic, responses=REFUSED)
def pause(appt_id: int, body: PauseIn, request: Request, user: FieldTech, ctx: Ctx, db: Db,
          if_match: IfMatch = None, idempotency_key: IdemKey = None) -> dict[str, Any]:
    """Pause for a follow-up: in_progress → paused, with a message the customer sees."""
    return _move(request, db, ctx, user, appt_id, S.PAUSED, message=body.customer_message, if_match=if_match,
                 key=idempotency_key)


@router.put("/bio", response_model=BioPublic)
def put_bio(body: BioIn, user: FieldTech, ctx: Ctx, db: Db) -> dict[str, Any]:
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
    body: PositionsIn, request: Request, user: FieldTech, ctx: Ctx, db: Db,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> dict[str, Any]:
    """A batch of GPS fixes. Retries with the same Idempotency-Key return the first answer.

    `source` says where the fixes come from (`field_app`, or `simulator` for the demo); it is shown in the
    console next to "last fix … ago".
    """
    assert user.technician_id is not None
    if idempotency_key is not None and not idempotency_key.strip():
        raise Invalid.field("Idempotency-Key", "must not be blank; use a fresh random value per batch")
    dev = device_id(request)
    after = None
    if dev is not None:
        def after(session: Session, result: dict[str, Any], dev: int = dev) -> None:
            devices.record_fix(session, dev, result, body.source, ctx.clock.now())
    batch = ingest_writer.Batch(user.id, user.technician_id, body.positions, idempotency_key or None,
                                source=body.source, after=after)
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


@router.post("/positions/batches", response_model=PositionBatchesResultPublic, response_model_exclude_unset=True)
def post_position_batches(body: PositionBatchesIn, request: Request, user: FieldTech, ctx: Ctx, db: Db
                          ) -> dict[str, Any]:
    """Several batches kept on the phone while offline, in their original order, each with its original
    Idempotency-Key (`key`): exactly as if each had been posted to /positions on its own, in one round trip.

    Answers `{"results": [{"key", "status", "result" | "error"}]}` in the same order; a key already used gets its
    first answer (`replayed`).
    """
    assert user.technician_id is not None
    dev = device_id(request)
    after = None
    if dev is not None:
        def after(session: Session, result: dict[str, Any], dev: int = dev) -> None:
            devices.record_fix(session, dev, result, body.source, ctx.clock.now())
    batches = [ingest_writer.Batch(user.id, user.technician_id, b.positions, b.key, source=body.source, after=after)
               for b in body.batches]
    results, due = [], []
    for b, fut in zip(batches, ingest_writer.writer(ctx).submit_many(batches), strict=True):
        try:
            try:
                res = fut.result(timeout=0)
            except IntegrityError:
                db.rollback()
                prior = ingest_writer.stored_answer(db, user.id, b.key) if b.key else None
                if prior is None:
                    raise Conflict("A request with this key is still being processed; retry shortly.") from None
                res = prior
        except ApiError as exc:  # this batch only (e.g. a key already used for something else): the others stand
            results.append({"key": b.key, "status": exc.status, "error": {"code": exc.code, "message": exc.message}})
            continue
        due += res.pop("eta_due", [])
        results.append({"key": b.key, "status": 200, "result": res})
    if due:
        eta_refresh.refresh(ctx, due)
    return {"results": results}
