"""A job's messages to everyone on the job, through the outbox, by the opt-out rule of models/notifications.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Channel
from models.notifications import Person, channel_for, push_first
from models.tables import Appointment, Customer, Job, JobContact, Notification, PushSubscription
from services.backend import outbox


def customer_person(c: Customer) -> Person:
    return Person(c.name, c.phone, c.email, c.notify_sms, c.notify_email, c.id)


def job_people(session: Session, job: Job) -> list[Person]:
    """The job's customer first, then every extra job contact (tenant, landlord, …) in the order added."""
    people = [customer_person(job.customer)]
    contacts = session.scalars(select(JobContact).where(JobContact.job_id == job.id).order_by(JobContact.id))
    people += [Person(c.name, c.phone, c.email, c.notify_sms, c.notify_email, None) for c in contacts]
    return people


def notify_people(
    session: Session, now: datetime, people: list[Person], customer: Customer, *, kind: str, subject: str,
    body: str, appointment: Appointment | None = None, booking_request_id: int | None = None,
    dedupe: str | None = None, urgent: bool = False, prefer: Channel = Channel.SMS, skip: int = 0,
) -> list[Notification]:
    """Queue `body` for each person the rule lets it reach (people[:skip] were reached another way).

    `dedupe` makes it exactly-once per person (key '{dedupe}:{position}'); `customer` is whose notifications
    switch and quiet hours apply.
    """
    status = appointment.status if appointment is not None else None
    sent = []
    for i, p in enumerate(people):
        ch = None if i < skip else channel_for(p, kind, notifications_on=customer.notifications_enabled,
                                              appointment_status=status, prefer=prefer)
        if ch is None:
            continue
        note = outbox.enqueue(
            session, now, channel=ch, kind=kind, to=p.phone if ch == Channel.SMS else p.email, subject=subject,
            body=body, customer_id=customer.id, appointment_id=appointment.id if appointment else None,
            booking_request_id=booking_request_id, dedupe_key=f"{dedupe}:{i}" if dedupe else None, urgent=urgent)
        if note is not None:
            sent.append(note)
    return sent


def notify_job(session: Session, now: datetime, job: Job, *, kind: str, subject: str, body: str,
               appointment: Appointment | None = None, dedupe: str | None = None, urgent: bool = False,
               prefer: Channel = Channel.SMS, push_title: str = "") -> list[Notification]:
    """Queue a message about `job` (and `appointment`) for the customer and every job contact.

    The arrival ping goes to the customer's portal app by Web Push when they have one and allow push; everyone
    else (and the customer without push) by SMS or email. `push_title` titles the push (default: `subject`).
    """
    customer = job.customer
    people = job_people(session, job)
    subs = list(session.scalars(select(PushSubscription).where(PushSubscription.customer_id == customer.id)
                                .order_by(PushSubscription.id)))
    sent: list[Notification] = []
    pushed = push_first(kind, customer.notify_push, len(subs))
    if pushed:
        for sub in subs:
            note = outbox.enqueue(
                session, now, channel=Channel.PUSH, kind=kind, to=str(sub.id), body=body, subject=push_title or subject,
                customer_id=customer.id, appointment_id=appointment.id if appointment else None,
                dedupe_key=f"{dedupe}:push:{sub.id}" if dedupe else None, urgent=urgent)
            if note is not None:
                sent.append(note)
    return sent + notify_people(session, now, people, customer, kind=kind, subject=subject, body=body,
                                appointment=appointment, dedupe=dedupe, urgent=urgent, prefer=prefer,
                                skip=1 if pushed else 0)
