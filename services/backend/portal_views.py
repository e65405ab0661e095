"""What a portal customer may see: ownership scoping (404 otherwise) and customer-safe views of their data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import AppointmentStatus as S
from models.lateness import awaiting_arrival
from models.status_machine import SCHEDULE_LABELS
from models.tables import (
    Appointment,
    BillingDocument,
    ChangeRequest,
    Company,
    CustomerNote,
    Job,
    JobContact,
    StatusEvent,
    Survey,
    VisitPhoto,
    VisitSummary,
)
from models.timefmt import clock_range, day_time, local, long_date, today, window_text
from services.backend.alerts import open_late_ids
from services.backend.appointment_views import tech_first_name
from services.backend.errors import NotFound
from services.backend.portal_auth import PortalUser
from services.backend.tracker_links import ensure_link
from services.backend.tracker_view import show_bio

#: The six stages of My Schedule, in order.
STAGES = [S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS, S.COMPLETE]
STAGE_SHORT = ["Confirmed", "Getting Ready", "On the Way", "Arrived", "In Progress", "Complete"]
TRACKABLE = (S.EN_ROUTE, S.ARRIVED)
NOTE_OPEN = (S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS)


def job_ids(db: Session, user: PortalUser) -> list[int]:
    """The jobs this portal user may see: their own, only while their notifications are on (the portal opens
    with the job's notifications; models/notifications.py)."""
    if not user.customer.notifications_enabled:
        return []
    q = select(Job.id).where(Job.customer_id == user.customer.id)
    if user.job_contact_id is not None:
        contact = db.get(JobContact, user.job_contact_id)
        if contact is None:
            return []
        q = q.where(Job.id == contact.job_id)
    return list(db.scalars(q))


def appointments(db: Session, user: PortalUser) -> list[Appointment]:
    ids = job_ids(db, user)
    if not ids:
        return []
    return list(db.scalars(select(Appointment).where(Appointment.job_id.in_(ids)).order_by(Appointment.window_start)))


def owned_appointment(db: Session, user: PortalUser, appointment_id: int) -> Appointment:
    """The customer's appointment, or 404 — the same answer whether it is someone else's or does not exist."""
    appt = db.get(Appointment, appointment_id)
    if appt is None or appt.job_id not in job_ids(db, user):
        raise NotFound(f"No appointment {appointment_id} in your account.")
    return appt


def owned_job(db: Session, user: PortalUser, job_id: int) -> Job:
    job = db.get(Job, job_id)
    if job is None or job.id not in job_ids(db, user):
        raise NotFound(f"No job {job_id} in your account.")
    return job


def owned_document(db: Session, user: PortalUser, doc_id: int) -> BillingDocument:
    doc = db.get(BillingDocument, doc_id)
    if doc is None or not doc.shared_with_customer or doc.job_id not in job_ids(db, user):
        raise NotFound(f"No estimate or invoice {doc_id} in your account.")
    return doc


def stage_index(status: S) -> int | None:
    """Position in the six-stage list (paused sits at 'In Progress'; cancelled has none)."""
    if status == S.PAUSED:
        return STAGES.index(S.IN_PROGRESS)
    return STAGES.index(status) if status in STAGES else None


def status_label(appt: Appointment) -> str:
    return SCHEDULE_LABELS[S(appt.status)]


def card(db: Session, company: Company, appt: Appointment, now: datetime, late: bool = False) -> dict[str, Any]:
    """One appointment as the customer sees it (no internal notes, costs or other people's data)."""
    status = S(appt.status)
    tz = company.time_zone
    tech = appt.technician
    track_url = None
    if status in TRACKABLE:
        track_url = f"/tracker/{ensure_link(db, appt.id, now).token}"
    start = local(appt.window_start, tz)
    return {
        "id": appt.id,
        "job_id": appt.job_id,
        "service_type": appt.job.service_type,
        "description": appt.job.description,
        "address": appt.job.address or appt.job.customer.address,
        "window_start": appt.window_start,
        "window_end": appt.window_end,
        "date_text": long_date(appt.window_start, tz),
        "month": start.strftime("%b"),
        "day": start.day,
        "window_text": clock_range(appt.window_start, appt.window_end, tz),
        "when_text": window_text(appt.window_start, appt.window_end, tz),
        "status": status.value,
        "status_label": status_label(appt),
        "stage": stage_index(status),
        "stages": STAGE_SHORT,
        "customer_message": appt.customer_message if status == S.PAUSED else "",
        "technician": None if tech is None else {
            "name": tech.name,
            "first_name": tech_first_name(appt),
            "photo_url": f"/api/v1/portal/appointments/{appt.id}/technician-photo" if tech.photo_png else None,
            "bio": tech.bio_approved if show_bio(company, appt) else None,
        },
        "track_url": track_url,
        "late": late and awaiting_arrival(status),
        "has_summary": db.scalar(select(VisitSummary.id).where(VisitSummary.appointment_id == appt.id)) is not None,
        "survey_due": status == S.COMPLETE and db.scalar(
            select(Survey.id).where(Survey.appointment_id == appt.id)) is None,
        "can_add_note": status in NOTE_OPEN,
        "can_request_change": status in NOTE_OPEN,
        "url": f"/portal/visits/{appt.id}",
    }


def schedule(db: Session, company: Company, user: PortalUser, now: datetime) -> dict[str, Any]:
    """My Schedule: today's live visits, upcoming ones by time, past ones newest first."""
    tz = company.time_zone
    this_day = today(now, tz)
    appts = appointments(db, user)
    late = open_late_ids(db, [a.id for a in appts]) if appts else set()
    out: dict[str, list[dict[str, Any]]] = {"today": [], "upcoming": [], "past": []}
    for a in appts:
        day = local(a.window_start, tz).date()
        if day == this_day:
            bucket = "today"
        elif day > this_day and S(a.status) not in (S.COMPLETE, S.CANCELLED, S.PAUSED):
            bucket = "upcoming"
        else:
            bucket = "past"
        out[bucket].append(card(db, company, a, now, a.id in late))
    out["past"].reverse()
    return {
        "customer": {"name": user.customer.name, "first_name": user.customer.name.split()[0]},
        "company": company_public(company),
        "notifications_enabled": user.customer.notifications_enabled,
        "preview": user.preview,
        "refresh_s": 30,
        **out,
    }


def company_public(company: Company) -> dict[str, Any]:
    return {"name": company.name, "phone": company.phone, "email": company.email, "logo_url": "/portal/logo.png",
            "survey_type": company.survey_type, "survey_categories": list(company.survey_categories or [])}


def photos(db: Session, appt: Appointment) -> list[dict[str, Any]]:
    rows = db.scalars(select(VisitPhoto).where(VisitPhoto.appointment_id == appt.id,
                                               VisitPhoto.shared_with_customer.is_(True)).order_by(VisitPhoto.id))
    return [{"id": p.id, "caption": p.caption, "url": f"/api/v1/portal/visits/{appt.id}/photos/{p.id}"} for p in rows]


def customer_notes(db: Session, appt: Appointment, customer_id: int, tz: str) -> list[dict[str, Any]]:
    rows = db.scalars(select(CustomerNote).where(CustomerNote.appointment_id == appt.id,
                                                 CustomerNote.customer_id == customer_id).order_by(CustomerNote.id))
    return [{"id": n.id, "text": n.text, "created_at": n.created_at, "time_text": _when(n.created_at, tz),
             "photo_url": f"/api/v1/portal/notes/{n.id}/photo" if n.photo else None} for n in rows]


def survey_view(db: Session, appt: Appointment) -> dict[str, Any] | None:
    s = db.scalar(select(Survey).where(Survey.appointment_id == appt.id))
    if s is None:
        return None
    return {"kind": s.kind, "score": s.score, "categories": s.categories, "comment": s.comment,
            "created_at": s.created_at}


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def document(doc: BillingDocument, company: Company, pay_online: bool) -> dict[str, Any]:
    lines = [{"description": str(ln.get("description", "")), "quantity": ln.get("quantity", 1),
              "unit_price_cents": int(ln.get("unit_price_cents", 0)),
              "amount_cents": int(round(float(ln.get("quantity", 1)) * int(ln.get("unit_price_cents", 0)))),
              "amount_text": money(int(round(float(ln.get("quantity", 1)) * int(ln.get("unit_price_cents", 0)))))}
             for ln in (doc.lines or [])]
    is_open_invoice = doc.kind == "invoice" and doc.status == "open"
    return {
        "id": doc.id, "job_id": doc.job_id, "kind": doc.kind, "title": f"{doc.kind.title()} {doc.number}",
        "number": doc.number, "lines": lines, "total_cents": doc.total_cents, "total_text": money(doc.total_cents),
        "status": doc.status, "approved_at": doc.approved_at, "paid_at": doc.paid_at,
        "can_approve": doc.kind == "estimate" and doc.status == "open",
        "can_pay_online": is_open_invoice and pay_online,
        "payment_instructions": company.payment_instructions if is_open_invoice and not pay_online else "",
        "url": f"/portal/documents/{doc.id}",
    }


def documents(db: Session, user: PortalUser, company: Company, pay_online: bool,
              job_id: int | None = None) -> list[dict[str, Any]]:
    ids = job_ids(db, user) if job_id is None else [job_id]
    if not ids:
        return []
    rows = db.scalars(select(BillingDocument).where(BillingDocument.job_id.in_(ids),
                                                    BillingDocument.shared_with_customer.is_(True))
                      .order_by(BillingDocument.created_at.desc(), BillingDocument.id.desc()))
    return [document(d, company, pay_online) for d in rows]


def _when(dt: datetime, tz: str) -> str:
    return day_time(dt, tz, sep=" · ")


def _status_words(ev: StatusEvent, first: str) -> str:
    to = S(ev.to_status)
    return {
        S.SCHEDULED: "Your appointment is confirmed.",
        S.DISPATCHED: f"{first} is getting ready for your visit.",
        S.EN_ROUTE: f"{first} is on the way.",
        S.ARRIVED: f"{first} has arrived.",
        S.IN_PROGRESS: "Work has started.",
        S.PAUSED: f"Visit paused: {ev.customer_message}" if ev.customer_message else "Visit paused.",
        S.COMPLETE: "Visit complete. Thank you!",
        S.CANCELLED: "This appointment was cancelled.",
    }[to]


def activity(db: Session, job: Job, company: Company, customer_id: int) -> list[dict[str, Any]]:
    """Everything that happened on a job, in the customer's words, newest first."""
    tz = company.time_zone
    items: list[tuple[datetime, str, str]] = [(job.created_at, "Request received",
                                               f"We received your request for {job.service_type}.")]
    appts = list(db.scalars(select(Appointment).where(Appointment.job_id == job.id).order_by(Appointment.id)))
    for a in appts:
        items.append((a.created_at, "Appointment scheduled",
                      f"Appointment scheduled for {window_text(a.window_start, a.window_end, tz)}."))
        first = tech_first_name(a)
        for ev in db.scalars(select(StatusEvent).where(StatusEvent.appointment_id == a.id).order_by(StatusEvent.id)):
            label = SCHEDULE_LABELS[S(ev.to_status)]
            items.append((ev.created_at, label, _status_words(ev, first)))
        for n in db.scalars(select(CustomerNote).where(CustomerNote.appointment_id == a.id,
                                                       CustomerNote.customer_id == customer_id)):
            items.append((n.created_at, "You added a note" if not n.photo else "You added a photo",
                          n.text or "Photo for the technician."))
        for c in db.scalars(select(ChangeRequest).where(ChangeRequest.appointment_id == a.id,
                                                        ChangeRequest.customer_id == customer_id)):
            items.append((c.created_at, "You asked for a change", c.message))
        s = db.scalar(select(Survey).where(Survey.appointment_id == a.id))
        if s is not None:
            items.append((s.created_at, "Feedback sent", "Thanks for rating your visit."))
    for d in db.scalars(select(BillingDocument).where(BillingDocument.job_id == job.id,
                                                      BillingDocument.shared_with_customer.is_(True))):
        items.append((d.created_at, f"{d.kind.title()} shared", f"{d.kind.title()} {d.number}: {money(d.total_cents)}"))
        if d.approved_at:
            items.append((d.approved_at, "Estimate approved", f"You approved estimate {d.number}."))
        if d.paid_at:
            items.append((d.paid_at, "Invoice paid", f"Invoice {d.number} is paid. Thank you!"))
    items.sort(key=lambda t: t[0], reverse=True)
    return [{"at": at, "time_text": _when(at, tz), "title": title, "text": text} for at, title, text in items]


def visit(db: Session, company: Company, user: PortalUser, appt: Appointment, now: datetime,
          pay_online: bool) -> dict[str, Any]:
    """The visit page: the card plus summary, shared photos, own notes, activity, survey and documents."""
    late = bool(open_late_ids(db, [appt.id]))
    summary = db.scalar(select(VisitSummary).where(VisitSummary.appointment_id == appt.id))
    out = card(db, company, appt, now, late)
    out.update({
        "summary": {"notes": summary.notes} if summary is not None else None,
        "photos": photos(db, appt),
        "notes": customer_notes(db, appt, user.customer.id, company.time_zone),
        "activity": activity(db, appt.job, company, user.customer.id),
        "survey": survey_view(db, appt),
        "survey_form": {"type": company.survey_type, "categories": list(company.survey_categories or []),
                        "max": 5 if company.survey_type == "stars" else 10,
                        "min": 1 if company.survey_type == "stars" else 0},
        "documents": documents(db, user, company, pay_online, appt.job_id),
        "company": company_public(company),
        "preview": user.preview,
    })
    return out
