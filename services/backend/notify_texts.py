"""The customer- and technician-facing messages sent when appointments are scheduled or changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.enums import Channel
from models.notifications import Kind
from models.tables import Appointment, Technician
from models.timefmt import window_text
from services.backend import outbox
from services.backend.context import Backend
from services.backend.notify import notify_job


def appointment_scheduled(db: Session, ctx: Backend, appt: Appointment, now: datetime) -> None:
    company = ctx.company(db)
    when = window_text(appt.window_start, appt.window_end, company.time_zone)
    notify_job(db, now, appt.job, kind=Kind.SCHEDULED, appointment=appt, dedupe=f"appt:{appt.id}:scheduled",
               subject=f"{company.name}: appointment scheduled",
               body=(f"{company.name}: your {appt.job.service_type} appointment is scheduled for {when}. "
                     f"Questions? Call {company.phone}. Check Status: {ctx.link('/portal/schedule')}"))


def appointment_changed(db: Session, ctx: Backend, appt: Appointment, changes: dict[str, Any],
                        now: datetime, *, notify_customer: bool = True) -> None:
    """Tell the customer about a new time and/or technician (one message), and the newly assigned tech."""
    company = ctx.company(db)
    when = window_text(appt.window_start, appt.window_end, company.time_zone)
    tech = db.get(Technician, appt.technician_id) if appt.technician_id is not None else None
    if "technician_id" in changes and tech is not None and tech.phone:
        outbox.enqueue(
            db, now, channel=Channel.SMS, kind="tech_assigned", to=tech.phone, technician_id=tech.id,
            appointment_id=appt.id,
            body=(f"New job assigned: {appt.job.service_type} for {appt.job.customer.name}, "
                  f"{appt.job.address}, {when}."),
        )
    if not notify_customer:
        return
    first = tech.name.split()[0] if tech and tech.name else "A new technician"
    new_tech = "technician_id" in changes and appt.technician_id is not None
    if "window" in changes:
        notify_job(db, now, appt.job, kind=Kind.RESCHEDULED, appointment=appt,
                   subject=f"{company.name}: new appointment time",
                   body=(f"{company.name}: your {appt.job.service_type} appointment has moved to {when}"
                         + (f" with {first}" if new_tech else "") + f". Questions? Call {company.phone}. "
                         f"Check Status: {ctx.link('/portal/schedule')}"))
    elif new_tech:
        notify_job(db, now, appt.job, kind=Kind.TECHNICIAN_CHANGED, appointment=appt,
                   subject=f"{company.name}: your technician",
                   body=f"{company.name}: {first} will now handle your {appt.job.service_type} visit ({when}).")
