"""The customer- and technician-facing messages sent when appointments are scheduled or changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models import change_messages
from models.change_messages import Company as ChangeCompany
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


def change_company(db: Session, ctx: Backend) -> ChangeCompany:
    company = ctx.company(db)
    return ChangeCompany(company.name, company.phone, ctx.link("/portal/schedule"))


def customer_default(db: Session, ctx: Backend, kinds: list[str]) -> bool:
    """The company's default answer to "Text the customer about this change?" for these kinds of change."""
    return change_messages.customer_default(kinds, {name: bool(ctx.setting(db, name))
                                                    for name in change_messages.DEFAULT_SETTING.values()})


def appointment_changed(db: Session, ctx: Backend, appt: Appointment, changes: dict[str, Any], now: datetime,
                        *, notify_customer: bool | None = None, old_technician_id: int | None = None) -> bool:
    """Tell the technicians who gain, lose or keep a moved job, and — when the dispatcher chose to (or, not
    saying, by the company's default for this kind of change) — the customer. True when a customer text was
    queued. The technician who lost the job hears the window they had."""
    company, tz = change_company(db, ctx), ctx.company(db).time_zone
    when = window_text(appt.window_start, appt.window_end, tz)
    old_when = (window_text(*(datetime.fromisoformat(t) for t in changes["window"][0]), tz)
                if "window" in changes else when)
    job, reassign, reschedule = appt.job, "technician_id" in changes, "window" in changes
    tech = db.get(Technician, appt.technician_id) if appt.technician_id is not None else None
    customer, service = job.customer.name, job.service_type
    if tech is not None and tech.phone and (reassign or reschedule):
        body = (change_messages.tech_assigned_text(service, customer, job.address, when) if reassign
                else change_messages.tech_moved_text(service, customer, job.address, when))
        outbox.enqueue(db, now, channel=Channel.SMS, kind="tech_assigned" if reassign else "tech_rescheduled",
                       to=tech.phone, technician_id=tech.id, appointment_id=appt.id, body=body)
    old = db.get(Technician, old_technician_id) if reassign and old_technician_id is not None else None
    if old is not None and old.phone:
        outbox.enqueue(db, now, channel=Channel.SMS, kind="tech_unassigned", to=old.phone, technician_id=old.id,
                       appointment_id=appt.id,
                       body=change_messages.tech_removed_text(service, customer, old_when, tech.name if tech else None))
    kinds = change_messages.change_kinds(reassign, reschedule)
    if notify_customer is None:
        notify_customer = customer_default(db, ctx, kinds)
    if not notify_customer:
        return False
    first = tech.name.split()[0] if tech is not None and tech.name else None
    if reschedule:  # one message, the new technician included
        sent = notify_job(db, now, job, kind=Kind.RESCHEDULED, appointment=appt,
                          subject=f"{company.name}: new appointment time",
                          body=change_messages.rescheduled_text(company, service, when, first if reassign else None))
    elif reassign and first:
        sent = notify_job(db, now, job, kind=Kind.TECHNICIAN_CHANGED, appointment=appt,
                          subject=f"{company.name}: your technician",
                          body=change_messages.technician_changed_text(company, first, service, when))
    else:
        sent = []
    return bool(sent)
