"""Company settings for the console (admins change company-wide ones), per-customer switches, job contacts."""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter
from fastapi import Body as JsonBody
from pydantic import Field
from sqlalchemy import select

from models import settings_schema as S
from models.events import EventName
from models.phones import to_e164
from models.public.settings import SettingsPublic
from models.public.staff import ContactPublic, CustomerPublic, LogoPublic, TestSentPublic
from models.schemas import CONTACT_FIELDS, Body, CustomerPatch
from models.status_machine import FINAL
from models.tables import Appointment, Company, Customer, Job, JobContact, Notification
from services.backend import outbox, photos
from services.backend.appointment_ops import bump
from services.backend.audit import audit, who
from services.backend.context import ETA_SETTINGS
from services.backend.contract import errors
from services.backend.deps import Admin, Ctx, Db, Dispatcher
from services.backend.errors import Invalid, NotFound, TooLarge
from services.backend.events import publish, publish_appointment
from services.backend.locking import locked

router = APIRouter(prefix="/api/v1", tags=["settings"])


def settings_public(ctx: Ctx, company: Company) -> dict[str, Any]:
    """Every setting with its effective value; secrets only say whether they are set."""
    stored = company.settings or {}
    out: dict[str, Any] = {f: getattr(company, f) for f in S.PROFILE + S.PORTAL}
    for f in S.OPERATIONS + S.NOTIFY:
        out[f] = stored.get(f, getattr(ctx.settings, f, None))
    out["push_enabled"] = stored.get("push_enabled", bool(ctx.settings.vapid_private_key))
    out["secrets_set"] = {f: bool(stored.get("secrets", {}).get(f) or getattr(ctx.settings, f, "")) for f in S.SECRETS}
    out["has_logo"] = company.logo_png is not None
    return out


@router.get("/settings", response_model=SettingsPublic)
def get_settings(user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """All company settings (dispatchers read; admins change)."""
    return settings_public(ctx, ctx.company(db))


@router.patch("/settings", response_model=SettingsPublic)
def patch_settings(user: Admin, ctx: Ctx, db: Db, body: dict[str, Any] = JsonBody(...)) -> dict[str, Any]:
    """Change some settings; each is validated, audited and pushed live to other consoles."""
    if not body:
        raise Invalid("Send at least one setting to change.", [])
    errors = []
    clean: dict[str, Any] = {}
    for field, value in body.items():
        try:
            clean[field] = S.validate(field, value)
        except S.SettingError as exc:
            errors.append({"field": exc.field, "message": exc.message})
    if errors:
        raise Invalid("Invalid settings — " + "; ".join(f"{e['field']}: {e['message']}" for e in errors) + ".",
                      errors)
    company = ctx.company(db)
    stored = dict(company.settings or {})
    secrets = dict(stored.get("secrets", {}))
    changes: dict[str, Any] = {}
    for field, value in clean.items():
        if field in S.PROFILE + S.PORTAL:
            old = getattr(company, field)
            setattr(company, field, value)
        elif field in S.SECRETS:
            old = "•••" if secrets.get(field) else ""
            secrets[field] = value
            value = "•••" if value else ""
        else:
            old = stored.get(field, getattr(ctx.settings, field, None))
            stored[field] = value
        if old != value:
            changes[field] = [old, value]
    stored["secrets"] = secrets
    company.settings = stored
    now = ctx.clock.now()
    company.updated_at = now
    audit(db, now, "settings.changed", "company", company.id, user, changes)
    publish(db, EventName.SETTINGS_UPDATED, {"changed": sorted(changes)}, now)
    db.commit()
    if changes.keys() & set(ETA_SETTINGS):
        ctx.rebuild_eta(db)  # ETAs follow the new provider, road factor or speed at once (in this backend)
    return settings_public(ctx, company)


class LogoIn(Body):
    png_base64: str = Field(min_length=4, max_length=3_000_000)


@router.put("/settings/logo", response_model=LogoPublic,
            responses=errors(413, s413="The image declares more pixels than the server accepts."))
def put_logo(body: LogoIn, user: Admin, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Set the company logo (PNG/JPEG/WebP; stored as a 256-px PNG) shown in the portal, tracker and texts."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        raw = base64.b64decode(body.png_base64, validate=True)
        photos.check_pixels(raw, "The logo", ctx.settings.max_image_pixels)
        img = Image.open(io.BytesIO(raw))
        img.load()
    except photos.PhotoError as exc:
        raise TooLarge(f"png_base64: {exc}", [{"field": "png_base64", "message": str(exc)}]) from None
    except (ValueError, UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise Invalid.field("png_base64", "is not a PNG, JPEG or WebP image (base64)") from None
    img.thumbnail((256, 256))
    buf = io.BytesIO()
    img.convert("RGBA").save(buf, "PNG")
    company = ctx.company(db)
    company.logo_png = buf.getvalue()
    now = ctx.clock.now()
    audit(db, now, "settings.logo", "company", company.id, user)
    publish(db, EventName.SETTINGS_UPDATED, {"changed": ["logo"]}, now)
    db.commit()
    return {"has_logo": True}


class TestIn(Body):
    channel: str = Field(pattern="^(sms|email)$")
    to: str = Field(min_length=3, max_length=200)


@router.post("/settings/notifications/test", response_model=TestSentPublic)
def send_test(body: TestIn, user: Admin, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Send a test SMS or email right now through the configured provider and say how it went."""
    now = ctx.clock.now()
    company = ctx.company(db)
    note = outbox.enqueue(db, now, channel=body.channel, kind="test", to=body.to, subject=f"{company.name}: test",
                          body=f"Test message from {company.name}'s Dispatch Console. It works!", urgent=True)
    db.commit()
    assert note is not None
    from services.backend.watchdog import run_outbox

    run_outbox(ctx)
    db.expire_all()
    sent = db.get(Notification, note.id)
    assert sent is not None
    return {"status": sent.status, "provider": sent.provider, "error": sent.last_error}


@router.patch("/customers/{customer_id}", response_model=CustomerPublic)
def patch_customer(customer_id: int, body: CustomerPatch, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """A customer's contact details (name, phone, email) and per-customer switches (online booking or the company
    default, notifications, onboarding); only the fields sent change. Audited; a new name, phone or email is
    announced on the customer's visits that are not over (every console refetches them)."""
    from services.backend.routes.staff import customer_public

    c = db.get(Customer, customer_id)
    if c is None:
        raise NotFound(f"No customer {customer_id}.")
    changes: dict[str, Any] = {}
    data = body.model_dump(exclude_unset=True)
    if data.pop("use_company_booking_default", False):
        data["booking_allowed"] = None
    for field in CONTACT_FIELDS & set(data):
        if data[field] is None:
            raise Invalid.field(field, "cannot be empty (null); leave it out to keep it")
    if data.get("phone"):
        data["phone"] = to_e164(data["phone"], str(ctx.setting(db, "country") or "US"))
        if data["phone"] is None:
            raise Invalid.field("phone", f"'{body.phone}' is not a phone number; type it like (512) 555-0100")
    if not data.get("phone", c.phone) and not data.get("email", c.email):
        raise Invalid.field("phone", "give a phone number or an email so the customer can be reached")
    for field, value in data.items():
        if value is None and field != "booking_allowed":
            continue
        if getattr(c, field) != value:
            changes[field] = [getattr(c, field), value]
            setattr(c, field, value)
    now = ctx.clock.now()
    if changes:
        audit(db, now, "customer.changed", "customer", c.id, user, changes)
    if CONTACT_FIELDS & set(changes):
        by = who(user)
        for appt in db.scalars(locked(select(Appointment).join(Job).where(Job.customer_id == c.id))):
            if appt.status not in FINAL:
                bump(appt, by, now)
                publish_appointment(db, appt, now, details=True)
    db.commit()
    return customer_public(c)


class ContactIn(Body):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    relation: str = Field(default="", max_length=60)
    notify_sms: bool = True
    notify_email: bool = True


def contact_public(c: JobContact) -> dict[str, Any]:
    return {"id": c.id, "job_id": c.job_id, "name": c.name, "email": c.email, "phone": c.phone,
            "relation": c.relation, "notify_sms": c.notify_sms, "notify_email": c.notify_email}


def _job(db: Db, job_id: int) -> Job:
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound(f"No job {job_id}.")
    return job


@router.get("/jobs/{job_id}/contacts", response_model=list[ContactPublic])
def list_contacts(job_id: int, user: Dispatcher, db: Db) -> list[dict[str, Any]]:
    """Extra people who receive this job's notifications."""
    _job(db, job_id)
    rows = db.scalars(select(JobContact).where(JobContact.job_id == job_id).order_by(JobContact.id))
    return [contact_public(c) for c in rows]


@router.post("/jobs/{job_id}/contacts", status_code=201, response_model=ContactPublic)
def add_contact(job_id: int, body: ContactIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Add a job contact (e.g. tenant or landlord): they get the job's texts/emails and their own portal link."""
    _job(db, job_id)
    if not body.email and not body.phone:
        raise Invalid.field("phone", "give a phone number or an email so this contact can be reached")
    now = ctx.clock.now()
    c = JobContact(job_id=job_id, created_at=now, **body.model_dump())
    db.add(c)
    db.flush()
    audit(db, now, "job_contact.added", "job", job_id, user, contact_public(c))
    db.commit()
    return contact_public(c)


@router.delete("/jobs/{job_id}/contacts/{contact_id}", status_code=204)
def remove_contact(job_id: int, contact_id: int, user: Dispatcher, ctx: Ctx, db: Db) -> None:
    c = db.get(JobContact, contact_id)
    if c is None or c.job_id != job_id:
        raise NotFound(f"No contact {contact_id} on job {job_id}.")
    now = ctx.clock.now()
    audit(db, now, "job_contact.removed", "job", job_id, user, contact_public(c))
    db.delete(c)
    db.commit()
