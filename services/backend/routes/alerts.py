"""Alerts for dispatchers (LATE, stale bookings, customer notes, change requests) and the outbox view."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from models.enums import AlertKind, Channel
from models.schemas import MessageTechIn, NoteIn
from models.tables import Alert, Appointment, AuditLog, Notification
from services.backend import late_outcome, outbox
from services.backend.appointment_ops import alert_public
from services.backend.deps import Ctx, Db, Dispatcher
from services.backend.errors import Conflict, Invalid, NotFound
from services.backend.events import publish

router = APIRouter(prefix="/api/v1", tags=["dispatcher"])

SEVERITY = {AlertKind.LATE: 0, AlertKind.BOOKING_STALE: 1, AlertKind.CUSTOMER_NOTE: 2,
            AlertKind.CHANGE_REQUEST: 3, AlertKind.ESTIMATE_APPROVED: 4}


@router.get("/alerts")
def list_alerts(user: Dispatcher, db: Db, open: bool = True) -> list[dict[str, Any]]:
    """Alerts, worst first (LATE, stale bookings, customer notes, change requests), oldest first within a kind."""
    stmt = select(Alert)
    if open:
        stmt = stmt.where(Alert.is_open.is_(True))
    alerts = list(db.scalars(stmt.order_by(Alert.created_at).limit(2000)))
    alerts.sort(key=lambda a: (SEVERITY.get(AlertKind(a.kind), 9) if a.kind in AlertKind._value2member_map_
                               else 9, a.created_at))
    return [alert_public(a) for a in alerts]


def _alert(db: Db, alert_id: int) -> Alert:
    alert = db.scalar(select(Alert).where(Alert.id == alert_id).with_for_update())
    if alert is None:
        raise NotFound(f"No alert {alert_id}.")
    return alert


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(alert_id: int, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Record that a dispatcher is handling this alert (visible to every other console)."""
    alert = _alert(db, alert_id)
    if not alert.is_open:
        raise Conflict(f"This alert was already resolved by {alert.resolved_by or 'someone'}.")
    now = ctx.clock.now()
    if not alert.acknowledged_at:
        alert.acknowledged_at, alert.acknowledged_by = now, user.name
        db.add(AuditLog(action="alert.acknowledged", target_type="alert", target_id=alert.id,
                        actor="dispatcher", actor_id=user.id, actor_name=user.name, created_at=now))
        publish(db, "alert.updated", alert_public(alert), now)
        db.commit()
    return alert_public(alert)


@router.post("/alerts/{alert_id}/resolve")
def resolve(alert_id: int, user: Dispatcher, ctx: Ctx, db: Db, body: NoteIn | None = None) -> dict[str, Any]:
    """Close an alert with an optional note."""
    alert = _alert(db, alert_id)
    if not alert.is_open:
        return alert_public(alert)
    now = ctx.clock.now()
    alert.is_open, alert.resolved_at, alert.resolved_by = False, now, user.name
    alert.resolution_note = body.note if body else ""
    if not alert.acknowledged_at:
        alert.acknowledged_at, alert.acknowledged_by = now, user.name
    late_outcome.on_dispatcher_resolve(db, alert, now)
    db.add(AuditLog(action="alert.resolved", target_type="alert", target_id=alert.id, actor="dispatcher",
                    actor_id=user.id, actor_name=user.name, details={"note": alert.resolution_note},
                    created_at=now))
    publish(db, "alert.updated", alert_public(alert), now)
    db.commit()
    return alert_public(alert)


@router.post("/appointments/{appt_id}/message-tech", status_code=202)
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


@router.get("/notifications")
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
