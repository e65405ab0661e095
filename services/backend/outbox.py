"""The notification outbox: enqueue once (dedupe key), hold for quiet hours, send with retries.

Who gets a job's messages and by which channel is decided in services/backend/notify.py."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.enums import Channel, NotificationStatus
from models.events import EventName
from models.notifications import quiet_hours_end
from models.tables import Company, Customer, Notification
from models.timefmt import DEFAULT_TIME_ZONE, local
from services.backend.events import publish

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def enqueue(
    session: Session,
    now: datetime,
    *,
    channel: Channel | str,
    kind: str,
    to: str,
    body: str,
    subject: str = "",
    customer_id: int | None = None,
    technician_id: int | None = None,
    appointment_id: int | None = None,
    booking_request_id: int | None = None,
    dedupe_key: str | None = None,
    urgent: bool = False,
    hold_until: datetime | None = None,
) -> Notification | None:
    """Queue one message; returns None if `dedupe_key` was already used (exactly once).

    Non-urgent messages to a customer in their quiet hours are held until the quiet hours end; urgent ones
    (on the way, arrived, late) always go out at once.
    """
    if hold_until is None and not urgent and customer_id is not None:
        hold_until = quiet_hours_release(session, customer_id, now)
    note = Notification(
        channel=str(channel),
        kind=kind,
        to_address=to,
        subject=subject,
        body=body,
        customer_id=customer_id,
        technician_id=technician_id,
        appointment_id=appointment_id,
        booking_request_id=booking_request_id,
        dedupe_key=dedupe_key,
        urgent=urgent,
        status=NotificationStatus.HELD if hold_until else NotificationStatus.QUEUED,
        next_attempt_at=hold_until or now,
        created_at=now,
    )
    if dedupe_key is not None:
        if session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)):
            return None
        try:
            with session.begin_nested():
                session.add(note)
        except IntegrityError:
            return None
    else:
        session.add(note)
        session.flush()
    publish(
        session,
        EventName.NOTIFICATION_CREATED,
        {"id": note.id, "channel": note.channel, "kind": kind, "appointment_id": appointment_id},
        now,
    )
    return note


def quiet_hours_release(session: Session, customer_id: int, now: datetime) -> datetime | None:
    """When a message to this customer may go out, if `now` is inside their quiet hours (else None)."""
    customer = session.get(Customer, customer_id)
    if customer is None or not customer.quiet_hours_start:
        return None
    company = session.get(Company, 1)
    local_now = local(now, company.time_zone if company else DEFAULT_TIME_ZONE)
    end = quiet_hours_end(customer.quiet_hours_start, customer.quiet_hours_end, local_now)
    return end.astimezone(now.tzinfo) if end else None


class Provider(Protocol):
    name: str

    def send(self, note: Notification) -> None:
        """Deliver or raise an exception whose text says why not."""


class LogProvider:
    """Writes messages to the log instead of sending them (the default until a real provider is set)."""

    name = "log"

    def send(self, note: Notification) -> None:
        log.info("[%s to %s] %s", note.channel, note.to_address, note.body)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(600, 5 * 2 ** max(0, attempts - 1)))


def deliver_due(session: Session, now: datetime, providers: dict[str, Provider], limit: int = 50) -> int:
    """Send what is due; failures are retried with backoff and kept visible with their reason."""
    due = session.scalars(
        select(Notification)
        .where(
            Notification.status.in_([NotificationStatus.QUEUED, NotificationStatus.HELD]),
            Notification.next_attempt_at <= now,
        )
        .order_by(Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for note in due:
        provider = providers.get(note.channel) or LogProvider()
        note.attempts += 1
        note.provider = provider.name
        try:
            provider.send(note)
        except Exception as exc:  # provider said no: keep the reason, retry later
            note.last_error = str(exc)[:500] or exc.__class__.__name__
            if note.attempts >= MAX_ATTEMPTS or getattr(exc, "permanent", False):
                note.status = NotificationStatus.FAILED
            else:
                note.status = NotificationStatus.QUEUED
                note.next_attempt_at = now + backoff(note.attempts)
        else:
            note.status = NotificationStatus.SENT
            note.sent_at = now
            note.last_error = ""
    return len(due)
