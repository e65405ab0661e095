"""The dispatcher's view of appointments: one appointment, the day's list, its status history and time on site."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import Actor
from models.enums import AppointmentStatus as S
from models.status_machine import CONSOLE_LABELS, allowed_targets
from models.tables import Appointment, Customer, Job, StatusEvent, Technician, TimeEntry
from services.backend.alerts import open_late_ids


def tech_first_name(appt: Appointment) -> str:
    """What customers call the technician ('Marcus'), or 'Your technician' while none is assigned."""
    return appt.technician.name.split()[0] if appt.technician and appt.technician.name else "Your technician"


def to_public(appt: Appointment, *, late: bool = False) -> dict[str, Any]:
    """The dispatcher's view of an appointment."""
    job, cust, tech = appt.job, appt.job.customer, appt.technician
    return _public({
        "id": appt.id, "version": appt.version, "job_id": appt.job_id, "technician_id": appt.technician_id,
        "technician_name": tech.name if tech else None, "customer_id": cust.id, "customer_name": cust.name,
        "customer_phone": cust.phone, "customer_email": cust.email, "address": job.address or cust.address,
        "service_type": job.service_type, "description": job.description, "internal_notes": job.internal_notes,
        "source": job.source, "source_partner": job.source_partner, "window_start": appt.window_start,
        "window_end": appt.window_end, "status": appt.status, "site_lat": appt.site_lat, "site_lng": appt.site_lng,
        "eta_at": appt.eta_at, "customer_message": appt.customer_message, "updated_at": appt.updated_at,
        "updated_by": appt.updated_by, "created_at": appt.created_at, "pinned": appt.pinned,
    }, late)


#: What `day_list` reads, named as `_public` expects (plain rows, no ORM objects: a 10,000-row day loads fast).
_LIST_COLUMNS = (
    Appointment.id, Appointment.version, Appointment.job_id, Appointment.technician_id,
    Technician.name.label("technician_name"), Customer.id.label("customer_id"),
    Customer.name.label("customer_name"), Customer.phone.label("customer_phone"),
    Customer.email.label("customer_email"),
    func.coalesce(func.nullif(Job.address, ""), Customer.address).label("address"),
    Job.service_type, Job.description, Job.internal_notes, Job.source, Job.source_partner,
    Appointment.window_start, Appointment.window_end, Appointment.status, Appointment.site_lat,
    Appointment.site_lng, Appointment.eta_at, Appointment.customer_message, Appointment.updated_at,
    Appointment.updated_by, Appointment.created_at, Appointment.pinned,
)


def day_list(session: Session, start: datetime, end: datetime, technician_id: int | None = None
             ) -> list[dict[str, Any]]:
    """Public views of the appointments whose window starts in [start, end), in window order."""
    stmt = (select(*_LIST_COLUMNS).join(Job, Appointment.job_id == Job.id)
            .join(Customer, Job.customer_id == Customer.id)
            .outerjoin(Technician, Appointment.technician_id == Technician.id)
            .where(Appointment.window_start >= start, Appointment.window_start < end))
    if technician_id is not None:
        stmt = stmt.where(Appointment.technician_id == technician_id)
    late = open_late_ids(session)
    rows = session.execute(stmt.order_by(Appointment.window_start, Appointment.id)).mappings()
    return [_public(row, row["id"] in late) for row in rows]


@cache
def _dispatcher_targets(status: str) -> tuple[str, ...]:
    return tuple(s.value for s in allowed_targets(S(status), Actor.DISPATCHER))


def _public(f: Mapping[str, Any], late: bool) -> dict[str, Any]:
    """The public dict (fixed key order) from an appointment's fields, plus labels, allowed moves and LATE."""
    status = f["status"]
    return {
        "id": f["id"], "version": f["version"], "job_id": f["job_id"], "technician_id": f["technician_id"],
        "technician_name": f["technician_name"], "customer_id": f["customer_id"],
        "customer_name": f["customer_name"], "customer_phone": f["customer_phone"],
        "customer_email": f["customer_email"], "address": f["address"], "service_type": f["service_type"],
        "description": f["description"], "internal_notes": f["internal_notes"], "source": f["source"],
        "source_partner": f["source_partner"], "window_start": f["window_start"], "window_end": f["window_end"],
        "status": status, "status_label": CONSOLE_LABELS[S(status)],
        "allowed_transitions": list(_dispatcher_targets(status)), "site_lat": f["site_lat"],
        "site_lng": f["site_lng"], "eta_at": f["eta_at"], "late": late, "customer_message": f["customer_message"],
        "updated_at": f["updated_at"], "updated_by": f["updated_by"], "created_at": f["created_at"],
        "pinned": bool(f["pinned"]),
    }


def history(session: Session, appointment_id: int) -> list[dict[str, Any]]:
    """Every status change, oldest first; `version` is the appointment version the change produced."""
    rows = session.scalars(
        select(StatusEvent).where(StatusEvent.appointment_id == appointment_id).order_by(StatusEvent.id))
    return [{"id": e.id, "version": e.version, "from_status": e.from_status, "to_status": e.to_status,
             "actor": e.actor, "actor_id": e.actor_id, "actor_name": e.actor_name, "reason": e.reason,
             "customer_message": e.customer_message, "source": e.source, "created_at": e.created_at}
            for e in rows]


def detail(session: Session, appt: Appointment, now: datetime) -> dict[str, Any]:
    """One appointment with LATE, its status history and the time the tech has spent on site."""
    out = to_public(appt, late=bool(open_late_ids(session, [appt.id])))
    out["history"] = history(session, appt.id)
    entry = session.scalar(select(TimeEntry).where(TimeEntry.appointment_id == appt.id))
    out["time_entry"] = None
    if entry is not None:
        until = entry.ended_at or now
        out["time_entry"] = {"started_at": entry.started_at, "ended_at": entry.ended_at,
                             "minutes_on_site": max(0, round((until - entry.started_at).total_seconds() / 60))}
    return out
