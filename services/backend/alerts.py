"""Dispatcher alerts: raised once per dedupe key, resolved by who or what handled them, and the payload every
client reads (GET /api/v1/alerts, acknowledge/resolve answers, alert.created / alert.updated events).

The payload carries structured fields so no client parses the message text: `technician_id`,
`technician_name`, `customer_name`, `window_start` (alerts tied to an appointment) and `eta_at`, the backend's
current ETA of the assigned technician to the site while they have not arrived (services/backend/eta_refresh.py
`current_eta`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.enums import AlertKind
from models.events import EventName
from models.tables import Alert, Appointment, BookingRequest, LatestPosition
from services.backend import late_outcome
from services.backend.context import Backend
from services.backend.eta_refresh import current_eta
from services.backend.events import publish


def open_late_ids(session: Session, appointment_ids: list[int] | None = None) -> set[int]:
    """The appointments (among `appointment_ids`, or all) with an open LATE alert."""
    q = select(Alert.appointment_id).where(Alert.kind == AlertKind.LATE, Alert.is_open.is_(True))
    if appointment_ids is not None:
        q = q.where(Alert.appointment_id.in_(appointment_ids))
    return {i for i in session.scalars(q) if i is not None}


def alerts_public(session: Session, ctx: Backend, alerts: Sequence[Alert]) -> list[dict[str, Any]]:
    """The payloads of `alerts` (their appointments, requests and positions read in one query each)."""
    appt_ids = {a.appointment_id for a in alerts if a.appointment_id is not None}
    req_ids = {a.booking_request_id for a in alerts if a.booking_request_id is not None}
    appts = {a.id: a for a in session.scalars(select(Appointment).where(Appointment.id.in_(appt_ids)))} \
        if appt_ids else {}
    reqs = {r.id: r for r in session.scalars(select(BookingRequest).where(BookingRequest.id.in_(req_ids)))} \
        if req_ids else {}
    tech_ids = {a.technician_id for a in appts.values() if a.technician_id is not None}
    fixes = {p.technician_id: p for p in session.scalars(
        select(LatestPosition).where(LatestPosition.technician_id.in_(tech_ids)))} if tech_ids else {}
    now = ctx.clock.now()
    out = []
    for alert in alerts:
        appt = appts.get(alert.appointment_id) if alert.appointment_id is not None else None
        req = reqs.get(alert.booking_request_id) if alert.booking_request_id is not None else None
        tech = appt.technician if appt is not None else None
        customer = appt.job.customer if appt is not None else (req.customer if req is not None else None)
        eta = None
        if appt is not None and alert.is_open:
            eta = current_eta(ctx, appt, fixes.get(appt.technician_id or -1), now)
        out.append({
            "id": alert.id, "kind": alert.kind, "appointment_id": alert.appointment_id,
            "booking_request_id": alert.booking_request_id, "message": alert.message, "open": alert.is_open,
            "acknowledged_by": alert.acknowledged_by, "acknowledged_at": alert.acknowledged_at,
            "resolved_by": alert.resolved_by, "resolved_at": alert.resolved_at,
            "resolution_note": alert.resolution_note, "created_at": alert.created_at,
            "technician_id": appt.technician_id if appt is not None else None,
            "technician_name": tech.name if tech is not None else None,
            "customer_name": customer.name if customer is not None else None,
            "window_start": appt.window_start if appt is not None else None,
            "eta_at": eta,
        })
    return out


def alert_public(session: Session, ctx: Backend, alert: Alert) -> dict[str, Any]:
    return alerts_public(session, ctx, [alert])[0]


def raise_alert(session: Session, ctx: Backend, now: datetime, *, kind: AlertKind, dedupe_key: str, message: str,
                appointment_id: int | None = None, booking_request_id: int | None = None) -> Alert | None:
    """Create an alert once per dedupe key (None if it already exists)."""
    if session.scalar(select(Alert.id).where(Alert.dedupe_key == dedupe_key)):
        return None
    alert = Alert(kind=kind.value, dedupe_key=dedupe_key, message=message, appointment_id=appointment_id,
                  booking_request_id=booking_request_id, created_at=now)
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        return None
    publish(session, EventName.ALERT_CREATED, alert_public(session, ctx, alert), now)
    return alert


def resolve(session: Session, ctx: Backend, alert: Alert, by: str, now: datetime, note: str) -> None:
    """Close an open alert (who or what closed it, and why) and tell every console."""
    alert.is_open, alert.resolved_at, alert.resolved_by = False, now, by
    alert.resolution_note = note
    publish(session, EventName.ALERT_UPDATED, alert_public(session, ctx, alert), now)


def resolve_late(session: Session, ctx: Backend, appointment_id: int, by: str, now: datetime, note: str) -> None:
    """The technician arrived (or the visit moved on): its open LATE alert resolves itself."""
    alert = session.scalar(select(Alert).where(Alert.appointment_id == appointment_id,
                                               Alert.kind == AlertKind.LATE, Alert.is_open.is_(True)))
    if alert is not None:
        appt = session.get(Appointment, appointment_id)
        if appt is not None:
            late_outcome.on_status(alert, appt, now)  # how it ended, for Insights
        resolve(session, ctx, alert, by, now, note)
