"""The notification outbox: enqueue once (dedupe key), choose channels by preference, send with retries."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.enums import Channel, NotificationStatus
from models.tables import Customer, Notification
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
        "notification.created",
        {"id": note.id, "channel": note.channel, "kind": kind, "appointment_id": appointment_id},
        now,
    )
    return note


def quiet_hours_release(session: Session, customer_id: int, now: datetime) -> datetime | None:
    """When a message to this customer may go out, if `now` is inside their quiet hours (else None)."""
    from zoneinfo import ZoneInfo

    from models.tables import Company

    customer = session.get(Customer, customer_id)
    if customer is None or not customer.quiet_hours_start:
        return None
    company = session.get(Company, 1)
    tz = ZoneInfo(company.time_zone if company else "UTC")
    end = in_quiet_hours(customer, now.astimezone(tz))
    return end.astimezone(now.tzinfo) if end else None


def in_quiet_hours(customer: Customer, local_now: datetime) -> datetime | None:
    """If `local_now` falls in the customer's quiet hours, the local time they end; else None."""
    if not customer.quiet_hours_start or not customer.quiet_hours_end:
        return None
    sh, sm = map(int, customer.quiet_hours_start.split(":"))
    eh, em = map(int, customer.quiet_hours_end.split(":"))
    start = local_now.replace(hour=sh, minute=sm, second=0, microsecond=0)
    end = local_now.replace(hour=eh, minute=em, second=0, microsecond=0)
    if start <= end:
        return end if start <= local_now < end else None
    # Overnight, e.g. 21:00–07:00.
    if local_now >= start:
        return end + timedelta(days=1)
    if local_now < end:
        return end
    return None


@dataclass
class Recipient:
    """Where a customer (or job contact) can be reached and what they agreed to."""

    name: str
    phone: str
    email: str
    sms_ok: bool
    email_ok: bool
    customer_id: int | None


def customer_recipient(c: Customer) -> Recipient:
    return Recipient(c.name, c.phone, c.email, c.notify_sms, c.notify_email, c.id)


def choose_channel(r: Recipient, *, prefer: Channel = Channel.SMS, must_reach: bool = False) -> Channel | None:
    """SMS or email by the person's preferences; `must_reach` ignores opt-outs (the arrival ping)."""
    order = [Channel.SMS, Channel.EMAIL] if prefer == Channel.SMS else [Channel.EMAIL, Channel.SMS]
    for ch in order:
        if ch == Channel.SMS and r.phone and (r.sms_ok or must_reach):
            return ch
        if ch == Channel.EMAIL and r.email and (r.email_ok or must_reach):
            return ch
    return None


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


def job_recipients(session: Session, job: object) -> list[Recipient]:
    """The job's customer first, then every extra job contact (tenant, landlord, …)."""
    from models.tables import Job, JobContact

    assert isinstance(job, Job)
    people = [customer_recipient(job.customer)]
    contacts = session.scalars(select(JobContact).where(JobContact.job_id == job.id).order_by(JobContact.id))
    for c in contacts:
        people.append(Recipient(c.name, c.phone, c.email, c.notify_sms, c.notify_email, None))
    return people
