"""What a seeded demo visit's status walk would have left behind live: the side effects it fired (so they never
fire again) and the messages the customer got, with their delivery.

A live day leaves a `side_effects` row per appointment and kind and an outbox row per message; seeded visits
must too, or a dispatcher's correction in the demo (In Progress → Arrived) would text "has arrived" again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import AppointmentStatus as S
from models.enums import SideEffect
from models.notifications import Kind
from models.status_machine import side_effects_of
from models.tables import Appointment, Customer, Job, Notification, SideEffectRecord, StatusEvent, Technician
from models.timefmt import clock_time, window_text
from services.backend.context import Backend
from services.backend.tracker_links import ensure_link, expire_link

Step = tuple[datetime, str, str]  # at, from status, to status


def side_effect_rows(appointment_id: int, steps: list[Step]) -> list[dict[str, Any]]:
    """One `side_effects` row per kind the walk set off, at the time it first did."""
    seen: dict[str, datetime] = {}
    for at, frm, to in steps:
        for effect in side_effects_of(S(frm), S(to)):
            seen.setdefault(effect.value, at)
    return [{"appointment_id": appointment_id, "kind": k, "created_at": at} for k, at in seen.items()]


def sent_sms(customer: Customer, appointment_id: int, kind: str, at: datetime, body: str, *,
             dedupe: str | None = None, subject: str = "") -> dict[str, Any]:
    """An outbox row as a delivered text message to the customer leaves it."""
    return {"channel": "sms", "kind": kind, "to_address": customer.phone, "subject": subject, "body": body,
            "customer_id": customer.id, "appointment_id": appointment_id, "dedupe_key": dedupe,
            "urgent": kind in (Kind.EN_ROUTE, Kind.ARRIVED, Kind.LATE), "status": "sent", "provider": "log",
            "attempts": 1, "last_error": "", "next_attempt_at": at, "created_at": at,
            "sent_at": at + timedelta(seconds=2)}


def record_today(session: Session, ctx: Backend, appt: Appointment) -> None:
    """Give one of today's seeded appointments (its status events already added) the records a live day
    leaves: side effects, the scheduled / on the way / arrived texts, the tracker link."""
    job = session.get(Job, appt.job_id)
    assert job is not None
    customer = session.get(Customer, job.customer_id)
    assert customer is not None
    tech = session.get(Technician, appt.technician_id) if appt.technician_id is not None else None
    company = ctx.company(session)
    tz, aid = company.time_zone, appt.id
    events = session.execute(select(StatusEvent.created_at, StatusEvent.from_status, StatusEvent.to_status)
                             .where(StatusEvent.appointment_id == aid).order_by(StatusEvent.version)).all()
    steps: list[Step] = [(e.created_at, e.from_status, e.to_status) for e in events]
    for row in side_effect_rows(aid, steps):
        session.add(SideEffectRecord(**row))
    when = window_text(appt.window_start, appt.window_end, tz)
    notes = [sent_sms(customer, aid, Kind.SCHEDULED, appt.created_at, dedupe=f"appt:{aid}:scheduled:0",
                      body=(f"{company.name}: your {job.service_type} appointment is scheduled for {when}. "
                            f"Questions? Call {company.phone}. Check Status: {ctx.link('/portal/schedule')}"))]
    for at, frm, to in steps:
        effects = side_effects_of(S(frm), S(to))
        if SideEffect.EN_ROUTE_SMS in effects:
            link = ensure_link(session, aid, at)
            eta = clock_time(max(at + timedelta(minutes=20), appt.window_start), tz)
            notes.append(sent_sms(customer, aid, Kind.EN_ROUTE, at, dedupe=f"appt:{aid}:en_route:0",
                                  body=(f"Your technician from {company.name} is on the way — arriving around "
                                        f"{eta}. Track them here: {ctx.link('/tracker/' + link.token)}")))
        if SideEffect.ARRIVAL_PING in effects:
            first = tech.name.split()[0] if tech is not None else "Your technician"
            notes.append(sent_sms(customer, aid, Kind.ARRIVED, at, dedupe=f"appt:{aid}:arrived:0",
                                  body=f"{first} has arrived at your location."))
        if SideEffect.EXPIRE_TRACKER in effects:
            expire_link(session, aid, at)
    for note in notes:
        session.add(Notification(**note))
