"""Technicians, customers and jobs (dispatcher API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import delete, func, select

from models.enums import FIX_SOURCE_LABELS, BioStatus, Channel, DeviceKind, Role
from models.events import EventName
from models.notifications import Kind
from models.public.appointments import CrewPositionPublic
from models.public.staff import CustomerListItemPublic, CustomerPublic, JobPublic, TechnicianPublic
from models.schemas import CustomerIn, JobIn, RejectIn, TechnicianIn, TechnicianPatch
from models.tables import ApiToken, Customer, Job, LatestPosition, Technician, User
from services.backend import devices, outbox
from services.backend.audit import audit
from services.backend.contract import errors
from services.backend.deps import Ctx, Db, Dispatcher
from services.backend.errors import Conflict, Invalid, NotFound
from services.backend.events import publish
from services.backend.notify import notify_job
from services.backend.security import hash_password

router = APIRouter(prefix="/api/v1", tags=["dispatcher"])
NO_PENDING_BIO = errors(409, s409="The technician has no bio waiting for approval.")


def technician_public(t: Technician, *, has_login: bool) -> dict[str, Any]:
    return {
        "id": t.id, "name": t.name, "phone": t.phone, "email": t.email, "has_photo": t.photo_png is not None,
        "photo_url": f"/api/v1/technicians/{t.id}/photo" if t.photo_png else None,
        "vehicle_year": t.vehicle_year, "vehicle_make": t.vehicle_make, "vehicle_model": t.vehicle_model,
        "vehicle_color": t.vehicle_color, "bio": t.bio_approved, "bio_pending": t.bio_pending,
        "bio_status": t.bio_status, "bio_reject_reason": t.bio_reject_reason,
        "bio_submitted_at": t.bio_submitted_at, "active": t.active, "can_sign_in": has_login,
        "photo_pending_url": f"/api/v1/technicians/{t.id}/photo?pending=true" if t.photo_pending_png else None,
    }


def customer_public(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id, "name": c.name, "email": c.email, "phone": c.phone, "address": c.address,
        "city": c.city, "state": c.state, "zip": c.zip, "lat": c.lat, "lng": c.lng,
        "notifications_enabled": c.notifications_enabled, "notify_sms": c.notify_sms,
        "notify_email": c.notify_email, "notify_push": c.notify_push, "quiet_hours_start": c.quiet_hours_start,
        "quiet_hours_end": c.quiet_hours_end, "onboarding_done": c.onboarding_done,
        "booking_allowed": c.booking_allowed,
    }


def job_public(j: Job) -> dict[str, Any]:
    return {
        "id": j.id, "customer_id": j.customer_id, "service_type": j.service_type,
        "description": j.description, "internal_notes": j.internal_notes, "source": j.source,
        "source_partner": j.source_partner, "bios_allowed": j.bios_allowed, "address": j.address,
        "lat": j.lat, "lng": j.lng, "internal_cost_cents": j.internal_cost_cents, "created_at": j.created_at,
    }


@router.get("/technicians", response_model=list[TechnicianPublic])
def list_technicians(user: Dispatcher, db: Db) -> list[dict[str, Any]]:
    """Every technician, active first, by name."""
    techs = db.scalars(select(Technician).order_by(Technician.active.desc(), Technician.name))
    signs_in = set(db.scalars(select(User.technician_id).where(User.technician_id.is_not(None), User.active)))
    return [technician_public(t, has_login=t.id in signs_in) for t in techs]


@router.post("/technicians", status_code=201, response_model=TechnicianPublic,
             responses=errors(409, s409="The email already has an account."))
def create_technician(body: TechnicianIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Add a technician; with `email` and `password` they can sign in to the field app."""
    now = ctx.clock.now()
    if body.password and db.scalar(select(User.id).where(func.lower(User.email) == body.email.lower())):
        raise Conflict(f"email: {body.email} already has an account; use another address.")
    tech = Technician(**body.model_dump(exclude={"password"}), created_at=now)
    db.add(tech)
    db.flush()
    if body.password:
        db.add(User(email=body.email, name=body.name, role=Role.TECHNICIAN, technician_id=tech.id,
                    password_hash=hash_password(body.password), created_at=now))
    audit(db, now, "technician.created", "technician", tech.id, user)
    publish(db, EventName.TECHNICIAN_UPDATED, {"id": tech.id}, now)
    db.commit()
    return technician_public(tech, has_login=bool(body.password))


def _has_login(db: Db, tech_id: int) -> bool:
    return db.scalar(select(User.id).where(User.technician_id == tech_id, User.active).limit(1)) is not None


def _tech(db: Db, tech_id: int) -> Technician:
    tech = db.get(Technician, tech_id)
    if tech is None:
        raise NotFound(f"No technician {tech_id}.")
    return tech


@router.get("/technicians/{tech_id}", response_model=TechnicianPublic)
def get_technician(tech_id: int, user: Dispatcher, db: Db) -> dict[str, Any]:
    return technician_public(_tech(db, tech_id), has_login=_has_login(db, tech_id))


NOT_NULL = ("name", "phone", "email", "vehicle_make", "vehicle_model", "vehicle_color", "active")


@router.patch("/technicians/{tech_id}", response_model=TechnicianPublic,
              responses=errors(404, 409, s409="The email already has an account."))
def update_technician(tech_id: int, body: TechnicianPatch, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Edit a technician (only the fields sent). `password` sets their field-app password (creating the sign-in
    with their email if they have none) and signs their phone out; `active: false` signs them out and keeps them
    off new days' boards until reactivated."""
    sent = body.model_fields_set
    if not sent:
        raise Invalid("Send at least one field to change.", [])
    for name in sorted(sent & set(NOT_NULL)):
        if getattr(body, name) is None:
            raise Invalid.field(name, "cannot be empty (null); leave it out to keep it")
    tech = _tech(db, tech_id)
    now = ctx.clock.now()
    logins = list(db.scalars(select(User).where(User.technician_id == tech.id)))
    email = body.email if "email" in sent else tech.email
    if email and (("email" in sent and logins) or body.password) and db.scalar(select(User.id).where(
            func.lower(User.email) == email.lower(), User.technician_id.is_distinct_from(tech.id))):
        raise Conflict(f"email: {email} already has an account; use another address.")
    if body.password and not email and not logins:
        raise Invalid.field("email", "is needed with password, so the technician can sign in to the field app")
    changed = sorted(n for n in sent - {"password"} if getattr(body, n) != getattr(tech, n))
    for name in changed:
        setattr(tech, name, getattr(body, name))
    for login in logins:
        if "name" in changed:
            login.name = tech.name
        if "email" in changed and tech.email:
            login.email = tech.email
        if "active" in changed:
            login.active = tech.active
    if body.password:
        if logins:
            for login in logins:
                login.password_hash = hash_password(body.password)
        else:
            logins.append(User(email=email, name=tech.name, role=Role.TECHNICIAN, technician_id=tech.id,
                               password_hash=hash_password(body.password), active=tech.active, created_at=now))
            db.add(logins[-1])
        changed.append("password")
    if body.password or tech.active is False:  # a new password or leaving the team: every phone signs out
        db.flush()
        db.execute(delete(ApiToken).where(ApiToken.user_id.in_([u.id for u in logins])))
        for dev in devices.for_technician(db, tech.id):
            if dev.kind == DeviceKind.FIELD_APP.value and dev.user_id is not None:
                devices.revoke(db, dev, now, user.name)
    if changed:
        audit(db, now, "technician.updated", "technician", tech.id, user, {"fields": changed})
        publish(db, EventName.TECHNICIAN_UPDATED, {"id": tech.id}, now)
    db.commit()
    return technician_public(tech, has_login=any(u.active for u in logins))


@router.get("/technicians/{tech_id}/photo", response_class=Response,
            responses={200: {"content": {"image/png": {}}, "description": "the headshot"}})
def technician_photo(tech_id: int, user: Dispatcher, db: Db, pending: bool = False) -> Response:
    """The photo customers see, or (`pending=true`) the one the technician sent for approval."""
    tech = _tech(db, tech_id)
    data = tech.photo_pending_png if pending else tech.photo_png
    if data is None:
        raise NotFound("This technician has no photo waiting for approval." if pending
                       else "This technician has no photo.")
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


def _bio_decision(db: Db, ctx: Ctx, user: Dispatcher, tech_id: int, approve: bool, reason: str = "") -> Technician:
    tech = _tech(db, tech_id)
    if tech.bio_status != BioStatus.PENDING:
        raise Conflict(f"Technician {tech.name} has no bio waiting for approval (bio status: {tech.bio_status}).")
    now = ctx.clock.now()
    if approve:
        tech.bio_approved, tech.bio_status, tech.bio_reject_reason = tech.bio_pending, BioStatus.APPROVED, ""
        tech.bio_pending = ""
        if tech.photo_pending_png is not None:  # a new headshot from the field app is approved with the bio
            tech.photo_png, tech.photo_pending_png = tech.photo_pending_png, None
        text = "Your bio was approved and is now shown to customers."
    else:
        tech.bio_status, tech.bio_reject_reason = BioStatus.REJECTED, reason
        tech.photo_pending_png = None
        text = f"Your bio was not approved: {reason}"
    audit(db, now, "bio.approved" if approve else "bio.rejected", "technician", tech.id, user, {"reason": reason})
    if tech.phone:
        outbox.enqueue(db, now, channel="sms", kind="bio_decision", to=tech.phone, body=text,
                       technician_id=tech.id)
    publish(db, EventName.TECHNICIAN_UPDATED, {"id": tech.id, "bio_status": tech.bio_status}, now)
    db.commit()
    return tech


@router.post("/technicians/{tech_id}/bio/approve", response_model=TechnicianPublic, responses=NO_PENDING_BIO)
def approve_bio(tech_id: int, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Approve the pending bio: customers see it from now on; the technician is told."""
    return technician_public(_bio_decision(db, ctx, user, tech_id, True), has_login=_has_login(db, tech_id))


@router.post("/technicians/{tech_id}/bio/reject", response_model=TechnicianPublic, responses=NO_PENDING_BIO)
def reject_bio(tech_id: int, body: RejectIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Reject the pending bio with a reason the technician sees."""
    tech = _bio_decision(db, ctx, user, tech_id, False, body.reason)
    return technician_public(tech, has_login=_has_login(db, tech_id))


@router.get("/customers", response_model=list[CustomerListItemPublic])
def list_customers(user: Dispatcher, ctx: Ctx, db: Db, q: str = "", limit: int = 200) -> list[dict[str, Any]]:
    """Customers by name; `q` matches name, email, address, city, ZIP or the phone's digits (any format). Each
    carries `phone_display` and `visits` (past/upcoming counts and the nearest few of each)."""
    from services.backend.board_search import search_customers

    return search_customers(db, q.strip(), ctx.clock.now(), str(ctx.setting(db, "country") or "US"), limit=limit)


@router.post("/customers", status_code=201, response_model=CustomerPublic)
def create_customer(body: CustomerIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    if not body.email and not body.phone:
        raise Invalid.field("phone", "give a phone number or an email so the customer can be reached")
    data = body.model_dump()
    if body.phone:
        from models.phones import to_e164

        data["phone"] = to_e164(body.phone, str(ctx.setting(db, "country") or "US"))
        if data["phone"] is None:
            raise Invalid.field("phone", f"'{body.phone}' is not a phone number; type it like (512) 555-0100")
    c = Customer(**data, created_at=ctx.clock.now())
    db.add(c)
    db.commit()
    return customer_public(c)


@router.get("/customers/{customer_id}", response_model=CustomerPublic)
def get_customer(customer_id: int, user: Dispatcher, db: Db) -> dict[str, Any]:
    c = db.get(Customer, customer_id)
    if c is None:
        raise NotFound(f"No customer {customer_id}.")
    return customer_public(c)


@router.post("/jobs", status_code=201, response_model=JobPublic)
def create_job(body: JobIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Create a job; the customer is told (with the portal link) when their notifications are on."""
    cust = db.get(Customer, body.customer_id)
    if cust is None:
        raise Invalid.field("customer_id", f"no customer {body.customer_id}; create the customer first")
    now = ctx.clock.now()
    data = body.model_dump()
    if data["address"] is None:  # the customer's address, and its coordinates unless others were given
        data["address"] = cust.address
        data["lat"] = data["lat"] if data["lat"] is not None else cust.lat
        data["lng"] = data["lng"] if data["lng"] is not None else cust.lng
    job = Job(**data, created_at=now)
    db.add(job)
    db.flush()
    company = ctx.company(db)
    notify_job(db, now, job, kind=Kind.JOB_CREATED, prefer=Channel.EMAIL, dedupe=f"job:{job.id}:created",
               subject=f"{company.name} received your request",
               body=(f"{company.name} has received your request for {job.service_type}. "
                     f"Check Status: {ctx.link('/portal/schedule')}"))
    db.commit()
    return job_public(job)


@router.get("/crew/positions", response_model=list[CrewPositionPublic])
def crew_positions(user: Dispatcher, ctx: Ctx, db: Db) -> list[dict[str, Any]]:
    """The latest position of every active technician, with where it came from (`source`: field_app, traccar,
    simulator)."""
    rows = db.execute(
        select(LatestPosition, Technician).join(Technician, Technician.id == LatestPosition.technician_id)
        .where(Technician.active.is_(True))
    ).all()
    now = ctx.clock.now()
    return [
        {"technician_id": t.id, "technician_name": t.name, "lat": p.lat, "lng": p.lng,
         "accuracy_m": p.accuracy_m, "recorded_at": p.recorded_at,
         "age_s": max(0.0, (now - p.recorded_at).total_seconds()), "source": p.source,
         "source_label": FIX_SOURCE_LABELS.get(p.source, p.source)}
        for p, t in rows
    ]
