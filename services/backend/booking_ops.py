"""Booking request operations: intake checks, contractor responses, customer answers, notices, stale alerts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models.booking_machine import (
    CONSOLE_LABELS,
    CUSTOMER_WORDS,
    OPEN,
    BookingAction,
    BookingActor,
    BookingTransitionError,
    allowed_actions,
    can_cancel,
    next_state,
)
from models.enums import AlertKind, AppointmentStatus, Channel, TimePreference
from models.enums import BookingState as B
from models.tables import (
    Alert,
    Appointment,
    AuditLog,
    BookingPhoto,
    BookingRequest,
    Company,
    Customer,
    Job,
    PendingUpload,
    Technician,
)
from models.timefmt import window_text
from services.backend import outbox
from services.backend.appointment_ops import alert_public
from services.backend.context import Backend
from services.backend.errors import Conflict, Forbidden, Invalid, InvalidTransition, NotFound
from services.backend.events import publish
from services.backend.photos import CleanPhoto

STALE_AFTER = timedelta(hours=48)
MAX_PHOTOS = 3
MAX_DATES = 3
OTHER_SERVICE = "__other__"
TIME_WORDS = {"morning": "Morning", "afternoon": "Afternoon", "flexible": "Flexible"}


class ScheduleConflict(Conflict):
    code = "schedule_conflict"


@dataclass
class Draft:
    """What a customer filled in, before checks (strings as typed)."""

    service_type: str = ""
    preferred_dates: list[str] = field(default_factory=list)
    time_preference: str = ""
    address: str | None = None
    notes: str = ""


@dataclass
class Checked:
    service_type: str
    preferred_dates: list[str]
    time_preference: str
    address: str
    lat: float | None
    lng: float | None
    notes: str


def address_on_file(c: Customer) -> str:
    tail = " ".join(p for p in (c.state, c.zip) if p)
    return ", ".join(p for p in (c.address, c.city, tail) if p)


def company_today(company: Company, now: datetime) -> date:
    return now.astimezone(ZoneInfo(company.time_zone)).date()


def booking_refusal(company: Company, customer: Customer) -> str | None:
    """Why this customer cannot book online (with how to reach the company), or None when they can."""
    reach = f"call {company.name} at {company.phone}" if company.phone else f"contact {company.name}"
    if company.email:
        reach += f" or email {company.email}"
    if not customer.onboarding_done:
        return f"Online booking opens once your account setup is finished. To request service now, {reach}."
    allowed = company.booking_enabled if customer.booking_allowed is None else customer.booking_allowed
    if not allowed:
        return f"Online booking isn't available for your account. To request service, {reach}."
    return None


def ensure_can_book(company: Company, customer: Customer) -> None:
    why = booking_refusal(company, customer)
    if why:
        raise Forbidden(why)


def check_draft(draft: Draft, company: Company, customer: Customer, now: datetime) -> tuple[Checked | None,
                                                                                           dict[str, str]]:
    """Check every field; returns the clean values or {field: message} naming what to fix."""
    errors: dict[str, str] = {}
    services = [str(s) for s in (company.bookable_services or [])]
    service = " ".join(draft.service_type.split())
    match = next((s for s in services if s.lower() == service.lower()), None)
    if not service:
        errors["service_type"] = "Choose the service you need" + (" or describe it." if company.free_text_services
                                                                  else ".")
    elif match:
        service = match
    elif not company.free_text_services:
        errors["service_type"] = f"'{service[:60]}' is not a service we book online; choose one from the list."
    elif len(service) > 200:
        errors["service_type"] = "Keep the service description under 200 characters."
    today = company_today(company, now)
    dates: list[str] = []
    given = [d.strip() for d in draft.preferred_dates if d and d.strip()]
    if not given:
        errors["preferred_dates"] = "Choose at least one preferred date."
    elif len(given) > MAX_DATES:
        errors["preferred_dates"] = f"Choose at most {MAX_DATES} preferred dates (you gave {len(given)})."
    else:
        for raw in given:
            try:
                d = date.fromisoformat(raw)
            except ValueError:
                errors["preferred_dates"] = f"'{raw[:20]}' is not a date; use YYYY-MM-DD."
                break
            if d < today:
                errors["preferred_dates"] = f"{d:%b} {d.day} is in the past; choose today or a later date."
                break
            if d > today + timedelta(days=365):
                errors["preferred_dates"] = "Choose dates within the next year."
                break
            if d.isoformat() not in dates:
                dates.append(d.isoformat())
        dates.sort()
    pref = (draft.time_preference or "").strip().lower()
    if pref not in TimePreference._value2member_map_:
        errors["time_preference"] = "Choose Morning, Afternoon or Flexible."
    lat, lng = customer.lat, customer.lng
    if draft.address is None:
        address = address_on_file(customer)
        if not address:
            errors["address"] = "We have no address on file for you; enter the address for this job."
    else:
        address = " ".join(draft.address.split())
        lat = lng = None
        if len(address) < 5:
            errors["address"] = "Enter the street address for this job (street, city)."
        elif len(address) > 300:
            errors["address"] = "Keep the address under 300 characters."
    notes = draft.notes.strip()
    if len(notes) > 2000:
        errors["notes"] = f"Keep notes under 2000 characters (you have {len(notes)})."
    if errors:
        return None, errors
    return Checked(service, dates, pref, address, lat, lng, notes), {}


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


def create_request(db: Session, ctx: Backend, customer: Customer, checked: Checked, photos: list[CleanPhoto],
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
    db.add(AuditLog(action="booking.created", target_type="booking_request", target_id=req.id, actor="customer",
                    actor_id=customer.id, actor_name=customer.name, created_at=now))
    db.flush()
    publish(db, "booking.created", {"id": req.id, "state": req.state, "customer_id": customer.id,
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
    return B(req.state) in OPEN and req.responded_at is None and now - req.created_at >= STALE_AFTER


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
    pref = TIME_WORDS.get(req.time_preference, req.time_preference)
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
    publish(db, "appointment.updated", {"id": appt.id, "version": appt.version, "status": appt.status}, now)
    return appt


def resolve_stale(db: Session, req: BookingRequest, by: str, now: datetime) -> None:
    for alert in db.scalars(select(Alert).where(Alert.booking_request_id == req.id, Alert.is_open.is_(True),
                                                Alert.kind == AlertKind.BOOKING_STALE.value)):
        alert.is_open, alert.resolved_at, alert.resolved_by = False, now, by
        alert.resolution_note = "The request was answered."
        publish(db, "alert.updated", alert_public(alert), now)


def changed(db: Session, req: BookingRequest, action: BookingAction, actor: str, actor_id: int | None, name: str,
            now: datetime, details: dict[str, Any] | None = None) -> None:
    req.updated_at = now
    db.add(AuditLog(action=f"booking.{action.value}", target_type="booking_request", target_id=req.id, actor=actor,
                    actor_id=actor_id, actor_name=name, details=details or {}, created_at=now))
    publish(db, "booking.updated", {"id": req.id, "state": req.state, "appointment_id": req.appointment_id,
                                    "customer_name": req.customer.name, "service_type": req.service_type}, now)


def notify_customer(db: Session, ctx: Backend, req: BookingRequest, kind: str, body: str, now: datetime) -> None:
    """SMS or email by the customer's preference; once per request and kind."""
    company = ctx.company(db)
    r = outbox.customer_recipient(req.customer)
    ch = outbox.choose_channel(r)
    if ch is None:
        return
    outbox.enqueue(db, now, channel=ch, kind=kind, to=r.phone if ch == Channel.SMS else r.email,
                   subject=f"{company.name}: your service request", body=body, customer_id=req.customer_id,
                   appointment_id=req.appointment_id, booking_request_id=req.id,
                   dedupe_key=f"booking:{req.id}:{kind}")


def response_text(ctx: Backend, company: Company, req: BookingRequest, kind: str, message: str,
                  appt: Appointment | None = None) -> str:
    """The customer's message for a response: the contractor's words, the time, and where to act."""
    tz, svc = company.time_zone, req.service_type
    said = f" “{message}”" if message else ""
    if kind == "booking_confirmed" and appt is not None:
        when = window_text(appt.window_start, appt.window_end, tz)
        return (f"{company.name}: your {svc} request is confirmed for {when}.{said} "
                f"See it in My Schedule: {ctx.link('/portal/schedule')}")
    if kind == "booking_counter_proposed" and req.proposed_start and req.proposed_end:
        when = window_text(req.proposed_start, req.proposed_end, tz)
        return (f"{company.name} suggests a different time for your {svc} request: {when}.{said} "
                f"Accept or decline here: {ctx.link(f'/portal/requests/{req.id}')}")
    return (f"{company.name} can't take your {svc} request.{said} "
            f"Questions? Call {company.phone}. Details: {ctx.link(f'/portal/requests/{req.id}')}")


def customer_move(db: Session, ctx: Backend, cust: Customer, req_id: int, action: BookingAction) -> BookingRequest:
    """Cancel, accept or decline a counter-proposal as the customer, in one transaction."""
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
        company = ctx.company(db)
        notify_customer(db, ctx, req, "booking_confirmed",
                        response_text(ctx, company, req, "booking_confirmed", "", appt), now)
    else:
        req.state = target.value
    changed(db, req, action, "customer", cust.id, cust.name, now)
    db.commit()
    return req


# --- the 48-hour reminder ---


def check_stale(db: Session, ctx: Backend, now: datetime) -> int:
    """One `booking_stale` alert per request left without a contractor response for 48 hours."""
    prune_pending(db, now)
    due = db.scalars(select(BookingRequest).where(
        BookingRequest.state.in_([s.value for s in OPEN]), BookingRequest.responded_at.is_(None),
        BookingRequest.created_at <= now - STALE_AFTER).limit(200))
    from services.backend.watchdog import raise_alert

    raised = 0
    for req in due:
        hours = int((now - req.created_at).total_seconds() // 3600)
        alert = raise_alert(db, now, kind=AlertKind.BOOKING_STALE, dedupe_key=f"booking_stale:{req.id}",
                            booking_request_id=req.id,
                            message=(f"Booking request from {req.customer.name} ({req.service_type}) has had no "
                                     f"response for {hours} hours"))
        raised += alert is not None
    return raised
