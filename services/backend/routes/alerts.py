"""Alerts for dispatchers (LATE, stale bookings, customer notes, change requests) and the outbox view."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from models.alerts import severity
from models.enums import Channel
from models.events import EventName
from models.public.alerts import AlertPublic, NotificationPublic
from models.public.appointments import MessageSentPublic
from models.schemas import MessageTechIn, NoteIn
from models.tables import Alert, Appointment, Notification
from services.backend import late_outcome, outbox
from services.backend.alerts import alert_public, alerts_public
from services.backend.alerts import resolve as resolve_alert
from services.backend.audit import audit
from services.backend.contract import errors
from services.backend.deps import Ctx, Db, Dispatcher
from services.backend.errors import Conflict, Invalid, NotFound
from services.backend.events import publish

router = APIRouter(prefix="/api/v1", tags=["dispatcher"])

@router.get("/alerts", response_model=list[AlertPublic])
def list_alerts(user: Dispatcher, ctx: Ctx, db: Db, open: bool = True) -> list[dict[str, Any]]:
    """Alerts, worst first (models/alerts.py: LATE, stale bookings, customer notes, change requests), oldest
    first within a kind. Each names its technician, customer, window start and the technician's current ETA."""
    stmt = select(Alert)
    if open:
        stmt = stmt.where(Alert.is_open.is_(True))
    alerts = list(db.scalars(stmt.order_by(Alert.created_at).limit(2000)))
    alerts.sort(key=lambda a: (severity(a.kind), a.created_at))
    return alerts_public(db, ctx, alerts)


def _alert(db: Db, alert_id: int) -> Alert:
    alert = db.scalar(select(Alert).where(Alert.id == alert_id).with_for_update())
    if alert is None:
        raise NotFound(f"No alert {alert_id}.")
    return alert


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertPublic,
             responses=errors(409, s409="The alert was already resolved."))
def acknowledge(alert_id: int, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Record that a dispatcher is handling this alert (visible to every other console)."""
    alert = _alert(db, alert_id)
    if not alert.is_open:
        raise Conflict(f"This alert was already resolved by {alert.resolved_by or 'someone'}.")
    now = ctx.clock.now()
    if not alert.acknowledged_at:
        alert.acknowledged_at, alert.acknowledged_by = now, user.name
        audit(db, now, "alert.acknowledged", "alert", alert.id, user)
        publish(db, EventName.ALERT_UPDATED, alert_public(db, ctx, alert), now)
        db.commit()
    return alert_public(db, ctx, alert)


@router.post("/alerts/{alert_id}/resolve", response_model=AlertPublic)
def resolve(alert_id: int, user: Dispatcher, ctx: Ctx, db: Db, body: NoteIn | None = None) -> dict[str, Any]:
    """Close an alert with an optional note."""
    alert = _alert(db, alert_id)
    if not alert.is_open:
        return alert_public(db, ctx, alert)
    now = ctx.clock.now()
    if not alert.acknowledged_at:
        alert.acknowledged_at, alert.acknowledged_by = now, user.name
    late_outcome.on_dispatcher_resolve(db, alert, now)
    resolve_alert(db, ctx, alert, user.name, now, body.note if body else "")
    audit(db, now, "alert.resolved", "alert", alert.id, user, {"note": alert.resolution_note})
    db.commit()
    return alert_public(db, ctx, alert)


@router.post("/appointments/{appt_id}/message-tech", status_code=202, response_model=MessageSentPublic)
def message_tech(appt_id: int, body: MessageTechIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Text the appointment's technician through the outbox."""
    appt = db.get(Appointment, appt_id)
    if appt is None:
        raise NotFound(f"No appointment {appt_id}.")
    if appt.technician is None or not appt.technician.phone:
        raise Invalid.field("technician", "this appointment has no technician with a phone number")
    now = ctx.clock.now()
    note = outbox.enqueue(db, now, channel=Channel.SMS, kind="dispatcher_message", to=appt.technician.phone,
                          body=f"From dispatch ({user.name}): {body.message}", technician_id=appt.technician_id,
                          appointment_id=appt.id, urgent=True)
    db.commit()
    return {"notification_id": note.id if note else None}


def notification_public(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id, "channel": n.channel, "kind": n.kind, "to": n.to_address, "subject": n.subject,
        "body": n.body, "status": n.status, "provider": n.provider, "attempts": n.attempts,
        "last_error": n.last_error, "customer_id": n.customer_id, "technician_id": n.technician_id,
        "appointment_id": n.appointment_id, "booking_request_id": n.booking_request_id,
        "created_at": n.created_at, "sent_at": n.sent_at,
    }


@router.get("/notifications", response_model=list[NotificationPublic])
def list_notifications(
    user: Dispatcher, db: Db, appointment_id: int | None = None, customer_id: int | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The outbox: every SMS, email and push with its delivery status, newest first."""
    stmt = select(Notification).order_by(Notification.id.desc()).limit(max(1, min(limit, 2000)))
    if appointment_id is not None:
        stmt = stmt.where(Notification.appointment_id == appointment_id)
    if customer_id is not None:
        stmt = stmt.where(Notification.customer_id == customer_id)
    return [notification_public(n) for n in db.scalars(stmt)]
