"""The customer- and technician-facing messages sent when appointments are scheduled or changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.enums import Channel
from models.tables import Appointment, Technician
from models.timefmt import window_text
from services.backend import outbox
from services.backend.context import Backend


def _to_customer(db: Session, ctx: Backend, appt: Appointment, now: datetime, kind: str, subject: str,
                 body: str, dedupe: str | None) -> None:
    cust = appt.job.customer
    if not cust.notifications_enabled:
        return
    for i, r in enumerate(outbox.job_recipients(db, appt.job)):
        ch = outbox.choose_channel(r)
        if ch is None:
            continue
        outbox.enqueue(
            db, now, channel=ch, kind=kind, to=r.phone if ch == Channel.SMS else r.email, subject=subject,
            body=body, customer_id=cust.id, appointment_id=appt.id,
            dedupe_key=f"{dedupe}:{i}" if dedupe else None,
        )


def appointment_scheduled(db: Session, ctx: Backend, appt: Appointment, now: datetime) -> None:
    company = ctx.company(db)
    when = window_text(appt.window_start, appt.window_end, company.time_zone)
    body = (f"{company.name}: your {appt.job.service_type} appointment is scheduled for {when}. "
            f"Questions? Call {company.phone}. Check Status: {ctx.link('/portal/schedule')}")
    _to_customer(db, ctx, appt, now, "appointment_scheduled", f"{company.name}: appointment scheduled", body,
                 f"appt:{appt.id}:scheduled")


def appointment_changed(db: Session, ctx: Backend, appt: Appointment, changes: dict[str, Any],
                        now: datetime) -> None:
    """Tell the customer about a new time and the newly assigned tech about the job."""
    company = ctx.company(db)
    when = window_text(appt.window_start, appt.window_end, company.time_zone)
    if "window" in changes:
        body = (f"{company.name}: your {appt.job.service_type} appointment has moved to {when}. "
                f"Questions? Call {company.phone}. Check Status: {ctx.link('/portal/schedule')}")
        _to_customer(db, ctx, appt, now, "appointment_rescheduled", f"{company.name}: new appointment time",
                     body, None)
    if "technician_id" in changes and appt.technician_id is not None:
        tech = db.get(Technician, appt.technician_id)
        if tech is not None and tech.phone:
            outbox.enqueue(
                db, now, channel=Channel.SMS, kind="tech_assigned", to=tech.phone, technician_id=tech.id,
                appointment_id=appt.id,
                body=(f"New job assigned: {appt.job.service_type} for {appt.job.customer.name}, "
                      f"{appt.job.address}, {when}."),
            )
        first = tech.name.split()[0] if tech and tech.name else "A new technician"
        _to_customer(db, ctx, appt, now, "technician_changed", f"{company.name}: your technician",
                     f"{company.name}: {first} will now handle your {appt.job.service_type} visit ({when}).",
                     None)
