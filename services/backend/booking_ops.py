"""Booking requests: storing them, the contractor's and the customer's steps, notices to the customer and the
48-hour reminder (the form checks are in services/backend/booking_checks.py)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models.booking_machine import (
    CONSOLE_LABELS,
    CUSTOMER_WORDS,
    OPEN,
    REMINDER_AFTER,
    BookingAction,
    BookingActor,
    BookingTransitionError,
    allowed_actions,
    can_cancel,
    next_state,
)
from models.booking_schemas import AcceptIn, CounterIn
from models.enums import AlertKind, AppointmentStatus
from models.enums import BookingState as B
from models.events import EventName
from models.notifications import Kind
from models.tables import (
    Alert,
    Appointment,
    BookingPhoto,
    BookingRequest,
    Company,
    Customer,
    Job,
    PendingUpload,
    Technician,
    User,
)
from models.timefmt import window_text
from services.backend import booking_checks as checks
from services.backend import conflict_guard
from services.backend.alerts import raise_alert
from services.backend.alerts import resolve as resolve_alert
from services.backend.audit import audit, who
from services.backend.context import Backend
from services.backend.errors import Conflict, Invalid, InvalidTransition, NotFound
from services.backend.events import publish, publish_appointment
from services.backend.notify import customer_person, notify_people
from services.backend.photos import CleanPhoto


class ScheduleConflict(Conflict):
    code = "schedule_conflict"


# --- pending uploads (a form with errors keeps its photos) ---


def keep_pending(db: Session, customer_id: int, photo: CleanPhoto, now: datetime) -> PendingUpload:
    row = PendingUpload(token=secrets.token_urlsafe(24), customer_id=customer_id, content_type=photo.content_type,
                        data=photo.data, thumbnail=photo.thumbnail, size=photo.size, filename=photo.filename,
                        created_at=now)
    db.add(row)
    db.flush()
    return row


def pending_for(db: Session, customer_id: int, tokens: list[str]) -> list[PendingUpload]:
    """The customer's own pending uploads among `tokens` (others' tokens are ignored), in the given order."""
    if not tokens:
        return []
    rows = {r.token: r for r in db.scalars(select(PendingUpload).where(
        PendingUpload.token.in_(tokens[:10]), PendingUpload.customer_id == customer_id))}
    return [rows[t] for t in dict.fromkeys(tokens) if t in rows]


def prune_pending(db: Session, now: datetime) -> int:
    res = db.execute(delete(PendingUpload).where(PendingUpload.created_at < now - timedelta(days=1)))
    return res.rowcount or 0  # type: ignore[attr-defined]


# --- creating and reading requests ---


def create_request(db: Session, ctx: Backend, customer: Customer, checked: checks.Checked, photos: list[CleanPhoto],
                   pending: list[PendingUpload], now: datetime) -> BookingRequest:
    req = BookingRequest(customer_id=customer.id, service_type=checked.service_type,
                         preferred_dates=checked.preferred_dates, time_preference=checked.time_preference,
                         address=checked.address, lat=checked.lat, lng=checked.lng, notes=checked.notes,
                         state=B.SUBMITTED.value, created_at=now, updated_at=now)
    db.add(req)
    db.flush()
    for p in pending:
        db.add(BookingPhoto(booking_request_id=req.id, content_type=p.content_type, data=p.data,
                            thumbnail=p.thumbnail, size=p.size, filename=p.filename, created_at=now))
        db.delete(p)
    for ph in photos:
        db.add(BookingPhoto(booking_request_id=req.id, content_type=ph.content_type, data=ph.data,
                            thumbnail=ph.thumbnail, size=ph.size, filename=ph.filename, created_at=now))
    audit(db, now, "booking.created", "booking_request", req.id, customer)
    db.flush()
    publish(db, EventName.BOOKING_CREATED, {"id": req.id, "state": req.state, "customer_id": customer.id,
                                    "customer_name": customer.name, "service_type": req.service_type,
                                    "created_at": now}, now)
    return req


def recent_count(db: Session, customer_id: int, now: datetime) -> int:
    return db.scalar(select(func.count(BookingRequest.id)).where(
        BookingRequest.customer_id == customer_id, BookingRequest.created_at > now - timedelta(hours=1))) or 0


def photo_rows(db: Session, req_id: int) -> list[BookingPhoto]:
    return list(db.scalars(select(BookingPhoto).where(BookingPhoto.booking_request_id == req_id)
                           .order_by(BookingPhoto.id)))


def photo_meta(db: Session, req_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Photo descriptions (no bytes) per request."""
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in req_ids}
    if not req_ids:
        return out
    rows = db.execute(select(BookingPhoto.id, BookingPhoto.booking_request_id, BookingPhoto.content_type,
                             BookingPhoto.size, BookingPhoto.filename)
                      .where(BookingPhoto.booking_request_id.in_(req_ids)).order_by(BookingPhoto.id))
    for pid, rid, ctype, size, name in rows:
        base = f"/api/v1/booking-requests/{rid}/photos/{pid}"
        out[rid].append({"id": pid, "content_type": ctype, "size": size, "filename": name, "url": base,
                         "thumbnail_url": f"{base}/thumbnail"})
    return out


def is_stale(req: BookingRequest, now: datetime) -> bool:
    return B(req.state) in OPEN and req.responded_at is None and now - req.created_at >= REMINDER_AFTER


def to_dispatcher(req: BookingRequest, now: datetime, photos: list[dict[str, Any]]) -> dict[str, Any]:
    c = req.customer
    return {
        "id": req.id, "state": req.state, "state_label": CONSOLE_LABELS[B(req.state)],
        "customer_id": c.id, "customer_name": c.name, "customer_phone": c.phone, "customer_email": c.email,
        "customer_notify": {"sms": c.notify_sms, "email": c.notify_email},
        "service_type": req.service_type, "preferred_dates": req.preferred_dates,
        "time_preference": req.time_preference, "address": req.address, "lat": req.lat, "lng": req.lng,
        "notes": req.notes, "photos": photos, "response_message": req.response_message,
        "proposed_start": req.proposed_start, "proposed_end": req.proposed_end,
        "proposed_technician_id": req.proposed_technician_id, "appointment_id": req.appointment_id,
        "created_at": req.created_at, "updated_at": req.updated_at, "responded_at": req.responded_at,
        "age_seconds": max(0, int((now - req.created_at).total_seconds())), "stale": is_stale(req, now),
        "allowed_actions": [a.value for a in allowed_actions(B(req.state), BookingActor.CONTRACTOR)],
    }


def to_customer(req: BookingRequest, company: Company, photo_count: int) -> dict[str, Any]:
    """The customer's view: their own words and state, never internal fields or technician choices."""
    tz = company.time_zone
    proposed = (window_text(req.proposed_start, req.proposed_end, tz)
                if req.proposed_start and req.proposed_end else None)
    return {
        "id": req.id, "state": req.state, "status_text": CUSTOMER_WORDS[B(req.state)],
        "service_type": req.service_type, "preferred_dates": req.preferred_dates,
        "time_preference": req.time_preference, "address": req.address, "notes": req.notes,
        "photo_count": photo_count, "response_message": req.response_message,
        "proposed_start": req.proposed_start if req.state == B.COUNTER_PROPOSED else None,
        "proposed_end": req.proposed_end if req.state == B.COUNTER_PROPOSED else None,
        "proposed_window": proposed if req.state == B.COUNTER_PROPOSED else None,
        "appointment_id": req.appointment_id, "created_at": req.created_at, "updated_at": req.updated_at,
        "can_cancel": can_cancel(req.state),
        "actions": [a.value for a in allowed_actions(B(req.state), BookingActor.CUSTOMER)],
        "url": f"/portal/requests/{req.id}",
    }


def load(db: Session, req_id: int, *, customer_id: int | None = None, lock: bool = False) -> BookingRequest:
    """A request by id; with `customer_id`, another customer's request is a plain 404."""
    stmt = select(BookingRequest).where(BookingRequest.id == req_id)
    if customer_id is not None:
        stmt = stmt.where(BookingRequest.customer_id == customer_id)
    if lock:
        stmt = stmt.with_for_update(of=BookingRequest)
    req = db.scalar(stmt)
    if req is None:
        raise NotFound(f"No booking request {req_id}.")
    return req


# --- moves ---


def move(req: BookingRequest, action: BookingAction, actor: BookingActor) -> B:
    try:
        return next_state(req.state, action, actor)
    except BookingTransitionError as exc:
        raise InvalidTransition(str(exc), {"state": req.state,
                                           "allowed": [a.value for a in exc.allowed]}) from None


def clashes(db: Session, tech_id: int, start: datetime, end: datetime) -> list[Appointment]:
    return list(db.scalars(select(Appointment).where(
        Appointment.technician_id == tech_id, Appointment.status != AppointmentStatus.CANCELLED.value,
        Appointment.window_start < end, Appointment.window_end > start).order_by(Appointment.window_start)))


def check_tech(db: Session, company: Company, tech_id: int | None, start: datetime, end: datetime,
               allow_overlap: bool) -> Technician | None:
    """The technician, after refusing a double booking unless `allow_overlap` (409 names the clash)."""
    if tech_id is None:
        return None
    tech = db.get(Technician, tech_id)
    if tech is None or not tech.active:
        raise Invalid.field("technician_id", f"no active technician {tech_id}")
    found = clashes(db, tech_id, start, end)
    if found and not allow_overlap:
        tz = company.time_zone
        names = "; ".join(f"{a.job.service_type} for {a.job.customer.name}, "
                          f"{window_text(a.window_start, a.window_end, tz)}" for a in found)
        raise ScheduleConflict(
            f"{tech.name} is already booked then: {names}. Pick another time or technician, "
            f"or send allow_overlap: true to double-book on purpose.",
            {"clashes": [{"appointment_id": a.id, "service_type": a.job.service_type,
                          "customer_name": a.job.customer.name, "window_start": a.window_start,
                          "window_end": a.window_end} for a in found]})
    return tech


def book(db: Session, req: BookingRequest, tech_id: int | None, start: datetime, end: datetime, by: str,
         now: datetime) -> Appointment:
    """Create the job and its `scheduled` appointment for a request (caller commits once)."""
    pref = checks.TIME_WORDS.get(req.time_preference, req.time_preference)
    desc = req.notes + ("\n\n" if req.notes else "") + (
        f"Online booking request #{req.id}; preferred {', '.join(req.preferred_dates)} ({pref}).")
    job = Job(customer_id=req.customer_id, service_type=req.service_type, description=desc,
              source="online_booking", address=req.address, lat=req.lat, lng=req.lng, created_at=now)
    db.add(job)
    db.flush()
    appt = Appointment(job_id=job.id, technician_id=tech_id, window_start=start, window_end=end,
                       status=AppointmentStatus.SCHEDULED.value, version=1, site_lat=req.lat, site_lng=req.lng,
                       created_at=now, updated_at=now, updated_by=by)
    db.add(appt)
    db.flush()
    req.appointment_id = appt.id
    publish_appointment(db, appt, now)
    return appt


def resolve_stale(db: Session, ctx: Backend, req: BookingRequest, by: str, now: datetime) -> None:
    for alert in db.scalars(select(Alert).where(Alert.booking_request_id == req.id, Alert.is_open.is_(True),
                                                Alert.kind == AlertKind.BOOKING_STALE.value)):
        resolve_alert(db, ctx, alert, by, now, "The request was answered.")


def changed(db: Session, req: BookingRequest, action: BookingAction, by: User | Customer, now: datetime,
            details: dict[str, Any] | None = None) -> None:
    req.updated_at = now
    audit(db, now, f"booking.{action.value}", "booking_request", req.id, by, details)
    publish(db, EventName.BOOKING_UPDATED, {"id": req.id, "state": req.state, "appointment_id": req.appointment_id,
                                            "customer_name": req.customer.name, "service_type": req.service_type},
            now)


def notify_customer(db: Session, ctx: Backend, req: BookingRequest, kind: str, body: str, now: datetime) -> None:
    """SMS or email by the customer's preferences (services/backend/notify.py); once per request and kind."""
    company = ctx.company(db)
    notify_people(db, now, [customer_person(req.customer)], req.customer, kind=kind, body=body,
                  subject=f"{company.name}: your service request", booking_request_id=req.id,
                  appointment=db.get(Appointment, req.appointment_id) if req.appointment_id else None,
                  dedupe=f"booking:{req.id}:{kind}")


def response_text(ctx: Backend, company: Company, req: BookingRequest, kind: str, message: str,
                  appt: Appointment | None = None) -> str:
    """The customer's message for a response: the contractor's words, the time, and where to act."""
    tz, svc = company.time_zone, req.service_type
    said = f" “{message}”" if message else ""
    if kind == Kind.BOOKING_CONFIRMED and appt is not None:
        when = window_text(appt.window_start, appt.window_end, tz)
        return (f"{company.name}: your {svc} request is confirmed for {when}.{said} "
                f"See it in My Schedule: {ctx.link('/portal/schedule')}")
    if kind == Kind.BOOKING_COUNTER and req.proposed_start and req.proposed_end:
        when = window_text(req.proposed_start, req.proposed_end, tz)
        return (f"{company.name} suggests a different time for your {svc} request: {when}.{said} "
                f"Accept or decline here: {ctx.link(f'/portal/requests/{req.id}')}")
    return (f"{company.name} can't take your {svc} request.{said} "
            f"Questions? Call {company.phone}. Details: {ctx.link(f'/portal/requests/{req.id}')}")


def _respond(db: Session, ctx: Backend, req: BookingRequest, by: User, message: str, now: datetime) -> None:
    """Record a contractor response: it stops (and resolves) the 48-hour reminder."""
    req.responded_at = now
    req.response_message = message
    resolve_stale(db, ctx, req, by.name, now)


def _tell(db: Session, ctx: Backend, req: BookingRequest, kind: Kind, message: str, now: datetime,
          appt: Appointment | None = None) -> None:
    notify_customer(db, ctx, req, kind, response_text(ctx, ctx.company(db), req, kind, message, appt), now)


# --- the contractor's steps (the caller commits) ---


def review(db: Session, ctx: Backend, by: User, req_id: int) -> BookingRequest:
    """Mark the request under review (the customer reads "We're reviewing your request")."""
    req = load(db, req_id, lock=True)
    req.state = move(req, BookingAction.REVIEW, BookingActor.CONTRACTOR).value
    changed(db, req, BookingAction.REVIEW, by, ctx.clock.now())
    return req


def accept(db: Session, ctx: Backend, by: User, req_id: int, body: AcceptIn) -> BookingRequest:
    """Confirm: creates the job and its appointment. With a technician, a conflict (overlap, outside working hours,
    time off, a missing skill) is refused (409 listing the conflicts) unless `allow_overlap` (audited)."""
    req = load(db, req_id, lock=True)
    target = move(req, BookingAction.ACCEPT, BookingActor.CONTRACTOR)
    now = ctx.clock.now()
    if body.window_end <= now:
        raise Invalid.field("window_end", "this time has already passed; choose a future window")
    check_tech(db, ctx.company(db), body.technician_id, body.window_start, body.window_end, allow_overlap=True)
    appt = book(db, req, body.technician_id, body.window_start, body.window_end, by.name, now)
    # The board's rule for every new visit: overlap, working hours, time off, skills (409 unless overridden).
    conflict_guard.enforce(db, ctx, appt, allow_conflicts=body.allow_overlap, who=who(by), flag="allow_overlap")
    req.state = target.value
    _respond(db, ctx, req, by, body.message, now)
    changed(db, req, BookingAction.ACCEPT, by, now,
            {"appointment_id": appt.id, "technician_id": body.technician_id, "overlap": body.allow_overlap})
    _tell(db, ctx, req, Kind.BOOKING_CONFIRMED, body.message, now, appt)
    return req


def counter(db: Session, ctx: Backend, by: User, req_id: int, body: CounterIn) -> BookingRequest:
    """Propose another time with a message; the customer gets a link to accept or decline it."""
    req = load(db, req_id, lock=True)
    target = move(req, BookingAction.COUNTER, BookingActor.CONTRACTOR)
    now = ctx.clock.now()
    if body.proposed_start <= now:
        raise Invalid.field("proposed_start", "this time has already passed; propose a future time")
    check_tech(db, ctx.company(db), body.technician_id, body.proposed_start, body.proposed_end, body.allow_overlap)
    req.state = target.value
    req.proposed_start, req.proposed_end = body.proposed_start, body.proposed_end
    req.proposed_technician_id = body.technician_id
    _respond(db, ctx, req, by, body.message, now)
    changed(db, req, BookingAction.COUNTER, by, now)
    _tell(db, ctx, req, Kind.BOOKING_COUNTER, body.message, now)
    return req


def decline(db: Session, ctx: Backend, by: User, req_id: int, message: str) -> BookingRequest:
    """Decline with a message telling the customer why and what they can do instead."""
    req = load(db, req_id, lock=True)
    req.state = move(req, BookingAction.DECLINE, BookingActor.CONTRACTOR).value
    now = ctx.clock.now()
    _respond(db, ctx, req, by, message, now)
    changed(db, req, BookingAction.DECLINE, by, now)
    _tell(db, ctx, req, Kind.BOOKING_DECLINED, message, now)
    return req


# --- the customer's steps (the caller commits) ---


def customer_move(db: Session, ctx: Backend, cust: Customer, req_id: int, action: BookingAction) -> BookingRequest:
    """Cancel, accept or decline a counter-proposal as the customer."""
    req = load(db, req_id, customer_id=cust.id, lock=True)
    target = move(req, action, BookingActor.CUSTOMER)
    now = ctx.clock.now()
    if action == BookingAction.ACCEPT_COUNTER:
        if req.proposed_start is None or req.proposed_end is None:
            raise Conflict("There is no proposed time to accept.")
        if req.proposed_start <= now:
            raise Conflict("The proposed time has already passed. Please decline it or call us for a new time.")
        appt = book(db, req, req.proposed_technician_id, req.proposed_start, req.proposed_end,
                    f"{cust.name} (portal)", now)
        req.state = target.value
        notify_customer(db, ctx, req, Kind.BOOKING_CONFIRMED,
                        response_text(ctx, ctx.company(db), req, Kind.BOOKING_CONFIRMED, "", appt), now)
    else:
        req.state = target.value
    changed(db, req, action, cust, now)
    return req


# --- the 48-hour reminder ---


def check_stale(db: Session, ctx: Backend, now: datetime) -> int:
    """One `booking_stale` alert per request left without a contractor response for 48 hours."""
    prune_pending(db, now)
    due = db.scalars(select(BookingRequest).where(
        BookingRequest.state.in_([s.value for s in OPEN]), BookingRequest.responded_at.is_(None),
        BookingRequest.created_at <= now - REMINDER_AFTER).limit(200))
    raised = 0
    for req in due:
        hours = int((now - req.created_at).total_seconds() // 3600)
        alert = raise_alert(db, ctx, now, kind=AlertKind.BOOKING_STALE, dedupe_key=f"booking_stale:{req.id}",
                            booking_request_id=req.id,
                            message=(f"Booking request from {req.customer.name} ({req.service_type}) has had no "
                                     f"response for {hours} hours"))
        raised += alert is not None
    return raised
