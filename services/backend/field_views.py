"""What the technician's field app shows: their day, one job in full, their profile (no costing, no other techs)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.crew import crew_standing
from models.directions import directions, short_address
from models.enums import Actor, BioStatus
from models.enums import AppointmentStatus as S
from models.field_actions import field_actions
from models.status_machine import CONSOLE_LABELS
from models.tables import (
    Appointment,
    AuditLog,
    BookingPhoto,
    BookingRequest,
    CustomerNote,
    JobContact,
    StatusEvent,
    TeamNote,
    Technician,
    User,
    VisitPhoto,
)
from models.timefmt import clock_time, day_bounds, day_time, local
from services.backend.appointment_views import to_public
from services.backend.errors import NotFound
from services.backend.events import publish_appointment
from services.backend.locking import locked

BIO_TEXT = {
    BioStatus.NONE: "Not submitted yet. Customers see your bio only after the office approves it.",
    BioStatus.PENDING: "Waiting for approval by the office.",
    BioStatus.APPROVED: "Approved — customers see it on the tracker.",
    BioStatus.REJECTED: "Change it and send it again.",
}


def full_address(appt: Appointment) -> str:
    job, cust = appt.job, appt.job.customer
    street = job.address or cust.address
    if job.address and job.address != cust.address:
        return street
    tail = " ".join(p for p in (cust.state, cust.zip) if p)
    return ", ".join(p for p in (street, cust.city, tail) if p)


def appointment_view(appt: Appointment, tz: str, *, focus: bool = False) -> dict[str, Any]:
    """One job as the tech's list shows it (the field API's appointment object; no costing)."""
    out = to_public(appt)
    out.pop("allowed_transitions", None)
    out.pop("late", None)
    out.update({
        "status_label": CONSOLE_LABELS[S(appt.status)],
        "short_address": short_address(out["address"] or ""),
        "window_text": f"{clock_time(appt.window_start, tz)} – {clock_time(appt.window_end, tz)}",
        "is_next": focus,
        "actions": field_actions(appt.status, appt.technician_id is not None),
    })
    return out


def day(session: Session, technician_id: int, on: date, tz: str) -> list[dict[str, Any]]:
    """The tech's appointments on a local day in window order; the one to look at now carries `is_next`."""
    start, end = day_bounds(on, tz)
    appts = list(session.scalars(
        select(Appointment).where(Appointment.technician_id == technician_id, Appointment.window_start >= start,
                                  Appointment.window_start < end)
        .order_by(Appointment.window_start, Appointment.id)))
    standing = crew_standing([{"id": a.id, "status": a.status, "window_start": a.window_start} for a in appts])
    focus = standing["current"] or standing["next"]
    focus_id = focus["id"] if focus else None
    return [appointment_view(a, tz, focus=a.id == focus_id) for a in appts]


def owned(session: Session, technician_id: int, appt_id: int, *, lock: bool = False) -> Appointment:
    """The tech's own appointment; another tech's (or a missing one) is the same 404."""
    stmt = select(Appointment).where(Appointment.id == appt_id)
    appt = session.scalar(locked(stmt) if lock else stmt)
    if appt is None or appt.technician_id != technician_id:
        raise NotFound(f"No appointment {appt_id} among your jobs.")
    return appt


def only_own_or_system_changes(session: Session, appt: Appointment, since_version: int, user_id: int) -> bool:
    """Whether every change after `since_version` was made by the system (geofence, watchdog) or by this user —
    i.e. no other person decided anything the tech has not seen."""
    k = appt.version - since_version
    if k <= 0:
        return False
    events = session.execute(select(StatusEvent.actor, StatusEvent.actor_id, StatusEvent.created_at)
                             .where(StatusEvent.appointment_id == appt.id)
                             .order_by(StatusEvent.id.desc()).limit(k)).all()
    edits = session.execute(select(AuditLog.actor, AuditLog.actor_id, AuditLog.created_at)
                            .where(AuditLog.target_type == "appointment", AuditLog.target_id == appt.id,
                                   AuditLog.action == "appointment.changed")
                            .order_by(AuditLog.id.desc()).limit(k)).all()
    recent = sorted([*events, *edits], key=lambda r: r.created_at, reverse=True)[:k]
    return len(recent) == k and all(
        r.actor == Actor.SYSTEM.value or (r.actor == Actor.TECHNICIAN.value and r.actor_id == user_id) for r in recent)


def add_team_note(session: Session, appt: Appointment, author: User, text: str, now: datetime, tz: str
                  ) -> dict[str, Any]:
    """A staff note on the appointment's job (technician's or dispatcher's), announced to every console and
    phone; answers the note as `team_notes` lists it."""
    note = TeamNote(job_id=appt.job_id, appointment_id=appt.id, author_user_id=author.id, author_name=author.name,
                    author_role=author.role, text=text, created_at=now)
    session.add(note)
    session.flush()
    publish_appointment(session, appt, now, notes=True)
    return next(n for n in team_notes(session, appt.job_id, tz, author.id) if n["id"] == note.id)


def team_notes(session: Session, job_id: int, tz: str, me: int | None = None) -> list[dict[str, Any]]:
    rows = session.scalars(select(TeamNote).where(TeamNote.job_id == job_id).order_by(TeamNote.id))
    return [{"id": n.id, "appointment_id": n.appointment_id, "author_name": n.author_name,
             "author_role": n.author_role, "text": n.text, "created_at": n.created_at,
             "time_text": day_time(n.created_at, tz), "mine": me is not None and n.author_user_id == me}
            for n in rows]


def _customer_notes(session: Session, appt: Appointment, tz: str) -> list[dict[str, Any]]:
    """What the customer sent before the visit: portal notes/photos on this job and the booking request."""
    job_appts = select(Appointment.id).where(Appointment.job_id == appt.job_id)
    out: list[dict[str, Any]] = []
    for n in session.scalars(select(CustomerNote).where(CustomerNote.appointment_id.in_(job_appts))
                             .order_by(CustomerNote.id)):
        out.append({"id": f"note-{n.id}", "source": "portal", "text": n.text, "created_at": n.created_at,
                    "time_text": day_time(n.created_at, tz),
                    "photos": [f"/api/v1/field/appointments/{appt.id}/customer-notes/{n.id}/photo"] if n.photo else []})
    for b in session.scalars(select(BookingRequest).where(BookingRequest.appointment_id.in_(job_appts))):
        photo_ids = session.scalars(select(BookingPhoto.id).where(BookingPhoto.booking_request_id == b.id)
                                    .order_by(BookingPhoto.id)).all()
        if b.notes or photo_ids:
            out.append({"id": f"booking-{b.id}", "source": "booking request", "text": b.notes,
                        "created_at": b.created_at, "time_text": day_time(b.created_at, tz),
                        "photos": [f"/api/v1/field/appointments/{appt.id}/booking-photos/{p}" for p in photo_ids]})
    out.sort(key=lambda n: n["created_at"])
    return out


def detail(session: Session, appt: Appointment, tz: str, user: User, *, tile_url: str) -> dict[str, Any]:
    """Everything the tech needs on site: description, address with directions, phone, contacts, notes, photos."""
    out = appointment_view(appt, tz)
    job, cust = appt.job, appt.job.customer
    address = full_address(appt)
    lat = appt.site_lat if appt.site_lat is not None else job.lat
    lng = appt.site_lng if appt.site_lng is not None else job.lng
    contacts = session.scalars(select(JobContact).where(JobContact.job_id == job.id).order_by(JobContact.id))
    photos = session.scalars(select(VisitPhoto).where(VisitPhoto.appointment_id == appt.id).order_by(VisitPhoto.id))
    out.update({
        "full_address": address,
        "directions": directions(lat, lng, address, cust.name),
        "customer": {"name": cust.name, "phone": cust.phone, "email": cust.email},
        "contacts": [{"name": c.name, "phone": c.phone, "email": c.email, "relation": c.relation} for c in contacts],
        "team_notes": team_notes(session, job.id, tz, user.id),
        "customer_notes": _customer_notes(session, appt, tz),
        "photos": [{"id": p.id, "caption": p.caption, "shared_with_customer": p.shared_with_customer,
                    "url": f"/api/v1/field/appointments/{appt.id}/photos/{p.id}"} for p in photos],
        "day": local(appt.window_start, tz).date().isoformat(),
        "map": {"tile_url": tile_url, "site": [lat, lng] if lat is not None and lng is not None else None},
    })
    return out


def profile(tech: Technician, user: User) -> dict[str, Any]:
    """The tech's own profile: bio and photo as customers see them, and what waits for the office's approval."""
    status = BioStatus(tech.bio_status) if tech.bio_status in BioStatus._value2member_map_ else BioStatus.NONE
    return {
        "name": tech.name, "first_name": tech.name.split()[0] if tech.name else "", "email": user.email,
        "phone": tech.phone, "bio": tech.bio_approved, "bio_pending": tech.bio_pending, "bio_status": status.value,
        "bio_status_text": BIO_TEXT[status], "bio_reject_reason": tech.bio_reject_reason,
        "photo_url": "/api/v1/field/profile/photo" if tech.photo_png else None,
        "photo_pending_url": "/api/v1/field/profile/photo?pending=1" if tech.photo_pending_png else None,
        "vehicle": " ".join(str(p) for p in (tech.vehicle_color, tech.vehicle_year or "", tech.vehicle_make,
                                             tech.vehicle_model) if p),
    }
