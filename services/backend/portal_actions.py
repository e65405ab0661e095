"""What a portal customer can do: sign-in links, change requests, notes and photos, surveys, estimates."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import AlertKind, Channel
from models.enums import AppointmentStatus as S
from models.portal_schemas import MagicLinkIn, SurveyIn
from models.tables import (
    Appointment,
    BillingDocument,
    ChangeRequest,
    Customer,
    CustomerNote,
    Job,
    JobContact,
    MagicLink,
    Survey,
)
from models.timefmt import window_text
from services.backend import outbox, photos, throttle
from services.backend.alerts import raise_alert
from services.backend.context import Backend
from services.backend.errors import Conflict, Invalid, TooLarge
from services.backend.portal_auth import PortalUser
from services.backend.portal_views import NOTE_OPEN
from services.backend.security import new_token, token_hash

MAX_PHOTO_BYTES = 10 * 1024 * 1024


def digits(phone: str) -> str:
    d = re.sub(r"\D", "", phone)
    return d[-10:] if len(d) >= 10 else d


def request_magic_link(db: Session, ctx: Backend, body: MagicLinkIn, client_ip: str) -> None:
    """Send a single-use sign-in link if the address belongs to a customer (or job contact) with notifications
    on. Says nothing about whether it did; 429 after too many attempts."""
    email = (body.email or "").strip().lower()
    phone = digits(body.phone or "")
    key = f"email:{email}" if email else f"phone:{phone}"
    now = ctx.clock.now()
    by_recipient, by_address = throttle.LINK_RULES
    throttle.charge(db, [(by_recipient, key), (by_address, client_ip)], now, address=client_ip,
                    what="sign-in link requests")
    company = ctx.company(db)
    targets: list[tuple[Customer, JobContact | None, str]] = []
    q = select(Customer).order_by(Customer.id)
    q = q.where(func.lower(Customer.email) == email) if email else q.where(Customer.phone != "")
    for c in db.scalars(q):
        if (email and c.email.strip().lower() == email) or (phone and len(phone) >= 7 and digits(c.phone) == phone):
            targets.append((c, None, c.email if email else c.phone))
    for jc in db.scalars(select(JobContact).order_by(JobContact.id)):
        if (email and jc.email.strip().lower() == email) or (phone and len(phone) >= 7 and digits(jc.phone) == phone):
            job = db.get(Job, jc.job_id)
            if job is not None:
                targets.append((job.customer, jc, jc.email if email else jc.phone))
    for cust, contact, address in targets[:3]:
        if not cust.notifications_enabled:
            continue  # the portal is only for customers whose notifications are on (models/notifications.py)
        token = new_token()
        db.add(MagicLink(token_hash=token_hash(token), customer_id=cust.id,
                         job_contact_id=contact.id if contact else None, created_at=now,
                         expires_at=now + timedelta(minutes=ctx.settings.magic_link_ttl_min)))
        link = ctx.link(f"/portal/login/{token}")
        outbox.enqueue(
            db, now, channel=Channel.EMAIL if email else Channel.SMS, kind="portal_magic_link", to=address,
            subject=f"Your {company.name} sign-in link", customer_id=cust.id, urgent=True,
            body=(f"{company.name}: sign in to see your appointments: {link} — this link works once and "
                  f"expires in {ctx.settings.magic_link_ttl_min} minutes. If you didn't ask for it, ignore it."),
        )
    db.commit()


def redeem_link(db: Session, ctx: Backend, token: str, *, preview: bool) -> MagicLink | None:
    """Mark a link used and return it; None when unknown, expired, already used or of the other kind."""
    now = ctx.clock.now()
    link = db.scalar(select(MagicLink).where(MagicLink.token_hash == token_hash(token)).with_for_update())
    if link is None or link.used_at is not None or link.expires_at <= now or link.preview != preview:
        return None
    link.used_at = now
    return link


def _appt_text(db: Session, ctx: Backend, appt: Appointment) -> str:
    tz = ctx.company(db).time_zone
    return f"{appt.job.service_type}, {window_text(appt.window_start, appt.window_end, tz)}"


def change_request(db: Session, ctx: Backend, user: PortalUser, appt: Appointment, message: str) -> ChangeRequest:
    if S(appt.status) not in NOTE_OPEN:
        raise Conflict("This visit is already over; call us or request new service instead.")
    now = ctx.clock.now()
    cr = ChangeRequest(customer_id=user.customer.id, appointment_id=appt.id, message=message.strip(),
                       created_at=now)
    db.add(cr)
    db.flush()
    raise_alert(db, ctx, now, kind=AlertKind.CHANGE_REQUEST, dedupe_key=f"change_request:{cr.id}",
                appointment_id=appt.id,
                message=f"Change request from {user.customer.name} ({_appt_text(db, ctx, appt)}): {cr.message}")
    db.commit()
    return cr


def normalise_photo(data: bytes, content_type: str, max_pixels: int = photos.MAX_PIXELS) -> tuple[bytes, str]:
    """Check an uploaded photo and re-encode it as JPEG (drops EXIF, e.g. the home's GPS position)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise TooLarge(f"photo: the file is {len(data) // (1024 * 1024)} MB; send one under 10 MB.")
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        photos.check_pixels(data, "The photo", max_pixels)
    except photos.PhotoError as exc:
        raise TooLarge(f"photo: {exc}", [{"field": "photo", "message": str(exc)}]) from None
    try:
        img = Image.open(io.BytesIO(data))
        img = ImageOps.exif_transpose(img)
        img.thumbnail((2000, 2000))
        out = io.BytesIO()
        img.convert("RGB").save(out, "JPEG", quality=85)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise Invalid.field("photo", f"this file ({content_type or 'unknown type'}) is not a photo we can read; "
                                     "send a JPEG, PNG, HEIC or WebP image") from None
    return out.getvalue(), "image/jpeg"


def add_note(db: Session, ctx: Backend, user: PortalUser, appt: Appointment, text: str,
             photo: tuple[bytes, str] | None) -> CustomerNote:
    if S(appt.status) not in NOTE_OPEN:
        raise Conflict("Notes and photos can be added before and during a visit; this one is over.")
    text = text.strip()
    if not text and photo is None:
        raise Invalid.field("text", "write a note or attach a photo")
    if len(text) > 2000:
        raise Invalid.field("text", "keep the note under 2000 characters")
    data, ctype = normalise_photo(*photo, ctx.settings.max_image_pixels) if photo is not None else (None, "")
    now = ctx.clock.now()
    note = CustomerNote(appointment_id=appt.id, customer_id=user.customer.id, text=text, photo=data,
                        photo_content_type=ctype, created_at=now)
    db.add(note)
    db.flush()
    what = "a note and a photo" if text and data else ("a photo" if data else "a note")
    raise_alert(db, ctx, now, kind=AlertKind.CUSTOMER_NOTE, dedupe_key=f"customer_note:{note.id}",
                appointment_id=appt.id, message=f"{user.customer.name} added {what} ({_appt_text(db, ctx, appt)})"
                        + (f": {text[:200]}" if text else ""))
    db.commit()
    return note


def submit_survey(db: Session, ctx: Backend, user: PortalUser, appt: Appointment, body: SurveyIn) -> Survey:
    company = ctx.company(db)
    if appt.status != S.COMPLETE:
        raise Conflict("The survey opens once the visit is complete.")
    lo, hi = (1, 5) if company.survey_type == "stars" else (0, 10)
    if not lo <= body.score <= hi:
        raise Invalid.field("score", f"choose {lo} to {hi}" + (" stars" if company.survey_type == "stars" else ""))
    allowed = list(company.survey_categories or [])
    unknown = [c for c in body.categories if c not in allowed]
    if unknown:
        raise Invalid.field("categories", f"{', '.join(unknown)} not offered; choose from {', '.join(allowed)}")
    if db.scalar(select(func.count(Survey.id)).where(Survey.appointment_id == appt.id)):
        raise Conflict("You already sent feedback for this visit. Thank you!")
    now = ctx.clock.now()
    s = Survey(appointment_id=appt.id, customer_id=user.customer.id, kind=company.survey_type, score=body.score,
               categories=list(dict.fromkeys(body.categories)), comment=body.comment.strip(), created_at=now)
    db.add(s)
    db.flush()
    db.commit()
    return s


def approve_estimate(db: Session, ctx: Backend, user: PortalUser, doc: BillingDocument) -> BillingDocument:
    if doc.kind != "estimate":
        raise Conflict(f"{doc.number} is an invoice; only estimates can be approved.")
    if doc.status != "open":
        raise Conflict(f"Estimate {doc.number} is already {doc.status}.")
    now = ctx.clock.now()
    doc.status, doc.approved_at = "approved", now
    job = db.get(Job, doc.job_id)
    assert job is not None
    appt_id = db.scalar(select(Appointment.id).where(Appointment.job_id == job.id).order_by(Appointment.id.desc()))
    raise_alert(db, ctx, now, kind=AlertKind.ESTIMATE_APPROVED, dedupe_key=f"estimate_approved:{doc.id}",
                appointment_id=appt_id,
                message=f"{user.customer.name} approved estimate {doc.number} (${doc.total_cents / 100:,.2f}) "
                        f"for {job.service_type}")
    db.commit()
    return doc


def paid(db: Session, ctx: Backend, doc: BillingDocument, at: datetime) -> None:
    if doc.status != "paid":
        doc.status, doc.paid_at = "paid", at
