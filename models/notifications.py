"""Who gets a job's messages and by which channel: the opt-out rule, written once.

- The arrival ping ("{tech} has arrived") cannot be switched off while the appointment is active: it goes to
  every person on the job by SMS (or email when there is no phone), whatever their preferences.
- Every other message honours preferences: nothing while the customer's notifications are off for the job
  (that switch covers the customer and every job contact — the portal closes with it too), and each person
  only on the channels they allow (SMS, email). Non-urgent messages wait out the customer's quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from models.enums import AppointmentStatus, Channel
from models.status_machine import FINAL


class Kind(StrEnum):
    """Message kinds sent about a job (the outbox's `kind`)."""

    JOB_CREATED = "job_created"
    SCHEDULED = "appointment_scheduled"
    RESCHEDULED = "appointment_rescheduled"
    TECHNICIAN_CHANGED = "technician_changed"
    EN_ROUTE = "en_route"
    ARRIVED = "arrived"
    LATE = "late"
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_COUNTER = "booking_counter_proposed"
    BOOKING_DECLINED = "booking_declined"


#: Sent even to people who opted out, while the appointment is active.
ALWAYS_SENT: frozenset[str] = frozenset({Kind.ARRIVED})


@dataclass(frozen=True)
class Person:
    """Someone a job's messages go to (the customer or a job contact) and what they agreed to."""

    name: str
    phone: str
    email: str
    sms_ok: bool
    email_ok: bool
    customer_id: int | None  # set for the customer, None for a job contact


def must_reach(kind: str, appointment_status: str | None) -> bool:
    """Whether this message ignores opt-outs: the arrival ping, while its appointment is not over."""
    if kind not in ALWAYS_SENT:
        return False
    return appointment_status is None or AppointmentStatus(appointment_status) not in FINAL


def channel_for(person: Person, kind: str, *, notifications_on: bool, appointment_status: str | None = None,
                prefer: Channel = Channel.SMS) -> Channel | None:
    """The channel this person gets this message by, or None when they must not get it."""
    forced = must_reach(kind, appointment_status)
    if not forced and not notifications_on:
        return None
    order = [Channel.SMS, Channel.EMAIL] if prefer == Channel.SMS else [Channel.EMAIL, Channel.SMS]
    for ch in order:
        if ch == Channel.SMS and person.phone and (person.sms_ok or forced):
            return ch
        if ch == Channel.EMAIL and person.email and (person.email_ok or forced):
            return ch
    return None


def push_first(kind: str, push_on: bool, subscriptions: int) -> bool:
    """The arrival ping goes to the customer's portal app (Web Push) when they have it and allow push;
    otherwise (and for job contacts) by SMS or email."""
    return kind == Kind.ARRIVED and push_on and subscriptions > 0


def quiet_hours_end(start: str | None, end: str | None, local_now: datetime) -> datetime | None:
    """If `local_now` falls in quiet hours 'HH:MM'–'HH:MM' (may span midnight), the local time they end."""
    if not start or not end:
        return None
    sh, sm = map(int, start.split(":"))
    eh, em = map(int, end.split(":"))
    begin = local_now.replace(hour=sh, minute=sm, second=0, microsecond=0)
    finish = local_now.replace(hour=eh, minute=em, second=0, microsecond=0)
    if begin <= finish:
        return finish if begin <= local_now < finish else None
    if local_now >= begin:  # overnight, e.g. 21:00–07:00
        return finish + timedelta(days=1)
    if local_now < finish:
        return finish
    return None
