"""Appointment operations shared by the console API, the field app, the geofence and the watchdog: scheduling a
visit, reassigning and rescheduling it, and changing its status — each with its audit row, messages and event.

Callers lock the appointment first (services/backend/locking.py) and commit once afterwards.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.enums import AppointmentStatus as S
from models.enums import Source
from models.lateness import awaiting_arrival, is_overdue
from models.status_machine import (
    CONSOLE_LABELS,
    FINAL,
    MessageRequired,
    ReasonRequired,
    TransitionError,
    check_transition,
)
from models.tables import Appointment, Job, StatusEvent, Technician, User
from models.timefmt import clock_range
from services.backend import late_outcome, notify_texts, side_effects
from services.backend.alerts import resolve_late
from services.backend.appointment_views import to_public
from services.backend.audit import SYSTEM, Who, audit, who
from services.backend.context import Backend
from services.backend.errors import Invalid, InvalidTransition, PreconditionRequired, VersionMismatch
from services.backend.events import publish_appointment

__all__ = ["SYSTEM", "Who", "change_schedule", "change_status", "check_version", "create", "parse_if_match"]


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


def bookable(session: Session, technician_id: int) -> Technician:
    """The technician new work may go to: one who exists and is on the team (422 naming technician_id)."""
    tech = session.get(Technician, technician_id)
    if tech is None:
        raise Invalid.field("technician_id", f"no technician {technician_id}")
    if not tech.active:
        raise Invalid.field("technician_id", f"{tech.name} is off the team; pick another technician or bring "
                                             "them back on the team first")
    return tech


def create(session: Session, ctx: Backend, job: Job, technician_id: int | None, window_start: datetime,
           window_end: datetime, by: User) -> Appointment:
    """Schedule a visit for a job (status `scheduled`); the customer is told when their notifications are on."""
    if technician_id is not None:
        bookable(session, technician_id)
    now = ctx.clock.now()
    appt = Appointment(job_id=job.id, technician_id=technician_id, window_start=window_start,
                       window_end=window_end, status=S.SCHEDULED.value, version=1, site_lat=job.lat,
                       site_lng=job.lng, created_at=now, updated_at=now, updated_by=by.name)
    session.add(appt)
    session.flush()
    notify_texts.appointment_scheduled(session, ctx, appt, now)
    audit(session, now, "appointment.created", "appointment", appt.id, by)
    publish_appointment(session, appt, now)
    return appt


def change_schedule(session: Session, ctx: Backend, appt: Appointment, by: User, *, technician_id: int | None = None,
                    unassign: bool = False, window_start: datetime | None = None,
                    window_end: datetime | None = None, notify_customer: bool | None = None) -> dict[str, Any]:
    """Reassign (`technician_id`, or `unassign`) and/or reschedule a locked appointment; a new start without an
    end keeps the window's length. Returns what changed (empty: nothing did, and nothing is recorded).

    The technicians concerned are always told; the customer when `notify_customer` (None: the company's default
    for this kind of change, models/change_messages.py). The audit row records whether the customer was texted.
    """
    if S(appt.status) in FINAL:
        raise Invalid.field("status", f"this appointment is {appt.status}; it can no longer be changed")
    changes: dict[str, Any] = {}
    if unassign and appt.technician_id is not None:
        changes["technician_id"] = [appt.technician_id, None]
    elif technician_id is not None and technician_id != appt.technician_id:
        bookable(session, technician_id)
        changes["technician_id"] = [appt.technician_id, technician_id]
    start = window_start or appt.window_start
    end = window_end or (start + (appt.window_end - appt.window_start) if window_start else appt.window_end)
    if end <= start:
        raise Invalid.field("window_end", "must be after window_start")
    if (start, end) != (appt.window_start, appt.window_end):
        changes["window"] = [[appt.window_start.isoformat(), appt.window_end.isoformat()],
                             [start.isoformat(), end.isoformat()]]
    if not changes:
        return changes
    now = ctx.clock.now()
    late_outcome.on_appointment_changed(session, appt, changes, now)  # a LATE alert records why it ended
    old_tech = appt.technician_id
    if "technician_id" in changes:
        appt.technician_id = changes["technician_id"][1]
    appt.window_start, appt.window_end = start, end
    bump(appt, who(by), now)
    session.flush()
    session.refresh(appt)  # the newly assigned technician
    threshold = int(ctx.setting(session, "late_threshold_min"))
    if "window" in changes and not is_overdue(appt.status, start, now, threshold):
        # The customer has a new time that is not overdue: the wait the LATE alert was about has ended.
        resolve_late(session, ctx, appt.id, who(by).name or "System", now,
                     f"Rescheduled to {clock_range(start, end, ctx.company(session).time_zone)}")
    told = notify_texts.appointment_changed(session, ctx, appt, changes, now, notify_customer=notify_customer,
                                            old_technician_id=old_tech)
    audit(session, now, "appointment.changed", "appointment", appt.id, by, {**changes, "customer_texted": told})
    publish_appointment(session, appt, now)
    return changes


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
    side_effects.run(session, ctx, appt, t.side_effects, now, silent=t.silent)
    if not awaiting_arrival(target):
        resolve_late(session, ctx, appt.id, who.name or "System", now, f"Status became {CONSOLE_LABELS[target]}")
    session.flush()
    publish_appointment(session, appt, now)
    return ev
