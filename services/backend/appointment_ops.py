"""Appointment operations shared by the console API, the field app, the geofence and the watchdog."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.enums import Actor, AlertKind, Channel, SideEffect, Source
from models.enums import AppointmentStatus as S
from models.status_machine import (
    CONSOLE_LABELS,
    MessageRequired,
    ReasonRequired,
    TransitionError,
    allowed_targets,
    check_transition,
)
from models.tables import (
    Alert,
    Appointment,
    Customer,
    Job,
    LatestPosition,
    PushSubscription,
    SideEffectRecord,
    StatusEvent,
    Technician,
    TimeEntry,
)
from models.timefmt import clock_time
from services.backend import outbox
from services.backend.context import Backend
from services.backend.errors import Invalid, InvalidTransition, PreconditionRequired, VersionMismatch
from services.backend.events import publish
from services.backend.tracker_links import ensure_link, expire_link


@dataclass(frozen=True)
class Who:
    """Who is acting: actor kind, user id and display name."""

    actor: Actor
    actor_id: int | None = None
    name: str = ""


SYSTEM = Who(Actor.SYSTEM, None, "System")


def locked(stmt: Select[tuple[Appointment]], *, skip_locked: bool = False) -> Select[tuple[Appointment]]:
    """`stmt` locking the appointment rows it returns until the transaction ends (SELECT … FOR UPDATE), each
    re-read from the database rather than taken from the session, so a decision is made on the current state.

    Every status change holds this lock: of two concurrent changes the second waits, then sees the first.
    With `skip_locked`, rows another transaction is changing right now are left out (background passes).
    """
    return (stmt.with_for_update(of=Appointment, skip_locked=skip_locked)
            .execution_options(populate_existing=True))


def lock(session: Session, appt_id: int) -> Appointment | None:
    """One appointment, locked and current (None if there is no such appointment)."""
    return session.scalar(locked(select(Appointment).where(Appointment.id == appt_id)))


def open_late_ids(session: Session, appointment_ids: list[int] | None = None) -> set[int]:
    q = select(Alert.appointment_id).where(Alert.kind == AlertKind.LATE, Alert.is_open.is_(True))
    if appointment_ids is not None:
        q = q.where(Alert.appointment_id.in_(appointment_ids))
    return {i for i in session.scalars(q) if i is not None}


def to_public(appt: Appointment, *, late: bool = False, detail: bool = False) -> dict[str, Any]:
    """The dispatcher's view of an appointment."""
    job, cust, tech = appt.job, appt.job.customer, appt.technician
    return _public({
        "id": appt.id, "version": appt.version, "job_id": appt.job_id, "technician_id": appt.technician_id,
        "technician_name": tech.name if tech else None, "customer_id": cust.id, "customer_name": cust.name,
        "customer_phone": cust.phone, "customer_email": cust.email, "address": job.address or cust.address,
        "service_type": job.service_type, "description": job.description, "internal_notes": job.internal_notes,
        "source": job.source, "source_partner": job.source_partner, "window_start": appt.window_start,
        "window_end": appt.window_end, "status": appt.status, "site_lat": appt.site_lat, "site_lng": appt.site_lng,
        "eta_at": appt.eta_at, "customer_message": appt.customer_message, "updated_at": appt.updated_at,
        "updated_by": appt.updated_by,
    }, late)


#: What `day_list` reads, named as `_public` expects (plain rows, no ORM objects: a 10,000-row day loads fast).
_LIST_COLUMNS = (
    Appointment.id, Appointment.version, Appointment.job_id, Appointment.technician_id,
    Technician.name.label("technician_name"), Customer.id.label("customer_id"),
    Customer.name.label("customer_name"), Customer.phone.label("customer_phone"),
    Customer.email.label("customer_email"),
    func.coalesce(func.nullif(Job.address, ""), Customer.address).label("address"),
    Job.service_type, Job.description, Job.internal_notes, Job.source, Job.source_partner,
    Appointment.window_start, Appointment.window_end, Appointment.status, Appointment.site_lat,
    Appointment.site_lng, Appointment.eta_at, Appointment.customer_message, Appointment.updated_at,
    Appointment.updated_by,
)


def day_list(session: Session, start: datetime, end: datetime, technician_id: int | None = None
             ) -> list[dict[str, Any]]:
    """Public views of the appointments whose window starts in [start, end), in window order."""
    stmt = (select(*_LIST_COLUMNS).join(Job, Appointment.job_id == Job.id)
            .join(Customer, Job.customer_id == Customer.id)
            .outerjoin(Technician, Appointment.technician_id == Technician.id)
            .where(Appointment.window_start >= start, Appointment.window_start < end))
    if technician_id is not None:
        stmt = stmt.where(Appointment.technician_id == technician_id)
    late = open_late_ids(session)
    rows = session.execute(stmt.order_by(Appointment.window_start, Appointment.id)).mappings()
    return [_public(row, row["id"] in late) for row in rows]


@cache
def _dispatcher_targets(status: str) -> tuple[str, ...]:
    return tuple(s.value for s in allowed_targets(S(status), Actor.DISPATCHER))


def _public(f: Mapping[str, Any], late: bool) -> dict[str, Any]:
    """The public dict (fixed key order) from an appointment's fields, plus labels, allowed moves and LATE."""
    status = f["status"]
    return {
        "id": f["id"], "version": f["version"], "job_id": f["job_id"], "technician_id": f["technician_id"],
        "technician_name": f["technician_name"], "customer_id": f["customer_id"],
        "customer_name": f["customer_name"], "customer_phone": f["customer_phone"],
        "customer_email": f["customer_email"], "address": f["address"], "service_type": f["service_type"],
        "description": f["description"], "internal_notes": f["internal_notes"], "source": f["source"],
        "source_partner": f["source_partner"], "window_start": f["window_start"], "window_end": f["window_end"],
        "status": status, "status_label": CONSOLE_LABELS[S(status)],
        "allowed_transitions": list(_dispatcher_targets(status)), "site_lat": f["site_lat"],
        "site_lng": f["site_lng"], "eta_at": f["eta_at"], "late": late, "customer_message": f["customer_message"],
        "updated_at": f["updated_at"], "updated_by": f["updated_by"],
    }


def history(session: Session, appointment_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(StatusEvent).where(StatusEvent.appointment_id == appointment_id).order_by(StatusEvent.id)
    )
    return [
        {
            "id": e.id,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": e.actor,
            "actor_id": e.actor_id,
            "actor_name": e.actor_name,
            "reason": e.reason,
            "customer_message": e.customer_message,
            "source": e.source,
            "created_at": e.created_at,
        }
        for e in rows
    ]


def parse_if_match(value: str | None) -> int:
    """The version in an If-Match header ('"3"', 'W/"3"' or '3'); 428 when missing."""
    if value is None or not value.strip():
        raise PreconditionRequired(
            "This change needs an If-Match header with the appointment's version (its ETag). "
            "Load the appointment and send its ETag back."
        )
    raw = value.strip().removeprefix("W/").strip('"')
    try:
        return int(raw)
    except ValueError:
        raise Invalid.field("If-Match", f"'{value}' is not a version; send the ETag you received") from None


def check_version(appt: Appointment, expected: int) -> None:
    if appt.version != expected:
        raise VersionMismatch(
            f"Someone else changed this appointment first ({appt.updated_by or 'another user'} at "
            f"{appt.updated_at.isoformat(timespec='seconds')}). Reload it and try again.",
            {"current_version": appt.version, "updated_by": appt.updated_by, "current": to_public(appt)},
            headers={"ETag": f'"{appt.version}"'},
        )


def bump(appt: Appointment, who: Who, now: datetime) -> None:
    appt.version += 1
    appt.updated_at = now
    appt.updated_by = who.name or who.actor.value


def _once(session: Session, appointment_id: int, kind: SideEffect, now: datetime) -> bool:
    """Claim a side effect for this appointment; False if it already fired (unique key)."""
    exists = session.scalar(
        select(SideEffectRecord.id).where(
            SideEffectRecord.appointment_id == appointment_id, SideEffectRecord.kind == kind.value
        )
    )
    if exists:
        return False
    try:
        with session.begin_nested():
            session.add(SideEffectRecord(appointment_id=appointment_id, kind=kind.value, created_at=now))
    except IntegrityError:
        return False
    return True


def compute_eta(session: Session, ctx: Backend, appt: Appointment, now: datetime) -> datetime | None:
    """ETA from the tech's latest fix (or None when there is none or no job-site coordinates)."""
    if appt.technician_id is None or appt.site_lat is None or appt.site_lng is None:
        return None
    pos = session.get(LatestPosition, appt.technician_id)
    if pos is None:
        return None
    try:
        res = ctx.eta.estimate(pos.lat, pos.lng, appt.site_lat, appt.site_lng)
    except Exception:
        from services.eta import OfflineEta

        res = OfflineEta().estimate(pos.lat, pos.lng, appt.site_lat, appt.site_lng)
    appt.eta_at = now + timedelta(seconds=res.seconds)
    appt.eta_computed_at = now
    appt.eta_from_lat, appt.eta_from_lng = pos.lat, pos.lng
    return appt.eta_at


def tech_first_name(appt: Appointment) -> str:
    return (appt.technician.name.split()[0] if appt.technician and appt.technician.name else "Your technician")


def _apply(session: Session, ctx: Backend, appt: Appointment, effect: SideEffect, now: datetime) -> None:
    company = ctx.company(session)
    cust = appt.job.customer
    recipients = outbox.job_recipients(session, appt.job)
    if effect == SideEffect.EN_ROUTE_SMS:
        eta = compute_eta(session, ctx, appt, now) or appt.window_start
        link = ensure_link(session, appt.id, now)
        body = (
            f"Your technician from {company.name} is on the way — arriving around "
            f"{clock_time(eta, company.time_zone)}. Track them here: {ctx.link('/tracker/' + link.token)}"
        )
        for i, r in enumerate(recipients):
            if not cust.notifications_enabled and r.customer_id is not None:
                continue
            ch = outbox.choose_channel(r)
            if ch is None:
                continue
            outbox.enqueue(
                session, now, channel=ch, kind="en_route", to=r.phone if ch == Channel.SMS else r.email,
                subject=f"{company.name}: your technician is on the way", body=body, customer_id=cust.id,
                appointment_id=appt.id, dedupe_key=f"appt:{appt.id}:en_route:{i}", urgent=True,
            )
    elif effect == SideEffect.ARRIVAL_PING:
        body = f"{tech_first_name(appt)} has arrived at your location."
        subs = session.scalars(select(PushSubscription).where(PushSubscription.customer_id == cust.id)).all()
        if subs:
            for sub in subs:
                outbox.enqueue(
                    session, now, channel=Channel.PUSH, kind="arrived", to=str(sub.id), body=body,
                    subject=company.name, customer_id=cust.id, appointment_id=appt.id,
                    dedupe_key=f"appt:{appt.id}:arrived:push:{sub.id}", urgent=True,
                )
        for i, r in enumerate(recipients):
            if subs and r.customer_id is not None:
                continue
            # The arrival ping cannot be switched off while the appointment is active.
            ch = outbox.choose_channel(r, must_reach=True)
            if ch is None:
                continue
            outbox.enqueue(
                session, now, channel=ch, kind="arrived", to=r.phone if ch == Channel.SMS else r.email,
                subject=f"{company.name}: your technician has arrived", body=body, customer_id=cust.id,
                appointment_id=appt.id, dedupe_key=f"appt:{appt.id}:arrived:{i}", urgent=True,
            )
    elif effect == SideEffect.STOP_LOCATION:
        appt.location_stopped = True
    elif effect == SideEffect.EXPIRE_TRACKER:
        expire_link(session, appt.id, now)
    elif effect == SideEffect.OPEN_TIME_ENTRY:
        open_already = session.scalar(select(TimeEntry.id).where(TimeEntry.appointment_id == appt.id))
        if appt.technician_id is not None and open_already is None:  # imported/seeded visits may carry one
            session.add(TimeEntry(appointment_id=appt.id, technician_id=appt.technician_id, started_at=now))
    elif effect == SideEffect.CLOSE_TIME_ENTRY:
        entry = session.scalar(select(TimeEntry).where(TimeEntry.appointment_id == appt.id))
        if entry is not None and entry.ended_at is None:
            entry.ended_at = now


def resolve_late(session: Session, appt: Appointment, who: Who, now: datetime, note: str) -> None:
    alert = session.scalar(
        select(Alert).where(Alert.appointment_id == appt.id, Alert.kind == AlertKind.LATE, Alert.is_open)
    )
    if alert is not None:
        alert.is_open = False
        alert.resolved_at = now
        alert.resolved_by = who.name or "System"
        alert.resolution_note = note
        publish(session, "alert.updated", alert_public(alert), now)


def alert_public(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "kind": alert.kind,
        "appointment_id": alert.appointment_id,
        "booking_request_id": alert.booking_request_id,
        "message": alert.message,
        "open": alert.is_open,
        "acknowledged_by": alert.acknowledged_by,
        "acknowledged_at": alert.acknowledged_at,
        "resolved_by": alert.resolved_by,
        "resolved_at": alert.resolved_at,
        "resolution_note": alert.resolution_note,
        "created_at": alert.created_at,
    }


def change_status(
    session: Session,
    ctx: Backend,
    appt: Appointment,
    target: S | str,
    who: Who,
    source: Source,
    *,
    reason: str = "",
    customer_message: str = "",
) -> StatusEvent:
    """Check and apply a status change: audit row, version bump, side effects (once), event.

    `appt` must be locked in this transaction (`lock`/`locked`), so `current` is the committed status.
    """
    target = S(target)
    now = ctx.clock.now()
    current = S(appt.status)
    try:
        t = check_transition(
            current, target, who.actor, reason=reason, customer_message=customer_message,
            has_technician=appt.technician_id is not None,
        )
    except TransitionError as exc:
        raise InvalidTransition(
            str(exc), {"current": current.value, "allowed": [a.value for a in exc.allowed]}
        ) from None
    except ReasonRequired as exc:
        raise Invalid.field("reason", f"{exc} Say why you are moving it back.") from None
    except MessageRequired as exc:
        raise Invalid.field("customer_message", str(exc)) from None
    appt.status = target.value
    if target == S.PAUSED:
        appt.customer_message = customer_message.strip()
    bump(appt, who, now)
    ev = StatusEvent(
        appointment_id=appt.id, version=appt.version, from_status=current.value, to_status=target.value,
        actor=who.actor.value, actor_id=who.actor_id, actor_name=who.name, reason=reason.strip(), source=source.value,
        customer_message=customer_message.strip(), created_at=now,
    )
    session.add(ev)
    for effect in t.side_effects:
        if _once(session, appt.id, effect, now):
            _apply(session, ctx, appt, effect, now)
    if target in (S.ARRIVED, S.IN_PROGRESS, S.PAUSED, S.COMPLETE, S.CANCELLED):
        resolve_late(session, appt, who, now, f"Status became {CONSOLE_LABELS[target]}")
    session.flush()
    publish(session, "appointment.updated", {"id": appt.id, "version": appt.version, "status": appt.status}, now)
    return ev
