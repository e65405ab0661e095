"""Field-app API beyond statusing: one job in full, team notes, visit photos, the tech's profile."""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Request, Response, UploadFile
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from models.enums import BioStatus
from models.events import EventName
from models.field_schemas import TeamNoteIn
from models.public.field import FieldAppointmentDetailPublic, FieldPhotoPublic, FieldProfilePublic, TeamNotePublic
from models.tables import BookingPhoto, BookingRequest, CustomerNote, Technician, VisitPhoto
from services.backend import field_views, idempotent, photos
from services.backend.contract import errors
from services.backend.deps import Ctx, Db
from services.backend.errors import Invalid, NotFound, TooLarge
from services.backend.events import publish, publish_appointment
from services.backend.field_auth import FieldTech, require_csrf

router = APIRouter(prefix="/api/v1/field", tags=["field app"], dependencies=[Depends(require_csrf)])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200,
                                       description="a fresh random value per change; a retry reuses it")]
IMAGE: dict[int | str, dict[str, Any]] = {200: {"content": {"image/*": {}}, "description": "the image"}}
TOO_LARGE = errors(413, s413="The photo is over 10 MB, or declares more pixels than the server takes.")
PROFILE_PX = 512


def _tech_id(user: FieldTech) -> int:
    assert user.technician_id is not None
    return user.technician_id


@router.get("/appointments/{appt_id}", response_model=FieldAppointmentDetailPublic)
def job_detail(appt_id: int, user: FieldTech, ctx: Ctx, db: Db, response: Response) -> dict[str, Any]:
    """One of the tech's jobs in full: description, address with directions, customer phone, job contacts,
    internal notes, team notes, what the customer sent before the visit, visit photos and the allowed actions.
    The ETag is the version to send back as If-Match."""
    appt = field_views.owned(db, _tech_id(user), appt_id)
    response.headers["ETag"] = f'"{appt.version}"'
    return field_views.detail(db, appt, ctx.company(db).time_zone, user,
                              tile_url=str(ctx.setting(db, "tile_url") or ""))


def _image(data: bytes, content_type: str) -> Response:
    return Response(data, media_type=content_type, headers={"Cache-Control": "private, max-age=3600"})


@router.get("/appointments/{appt_id}/photos/{photo_id}", response_class=Response, responses=IMAGE)
def visit_photo(appt_id: int, photo_id: int, user: FieldTech, db: Db) -> Response:
    appt = field_views.owned(db, _tech_id(user), appt_id)
    p = db.get(VisitPhoto, photo_id)
    if p is None or p.appointment_id != appt.id:
        raise NotFound(f"No photo {photo_id} on this job.")
    return _image(p.data, p.content_type)


@router.get("/appointments/{appt_id}/customer-notes/{note_id}/photo", response_class=Response, responses=IMAGE)
def customer_note_photo(appt_id: int, note_id: int, user: FieldTech, db: Db) -> Response:
    appt = field_views.owned(db, _tech_id(user), appt_id)
    n = db.get(CustomerNote, note_id)
    same_job = n is not None and db.scalar(select(field_views.Appointment.job_id)
                                           .where(field_views.Appointment.id == n.appointment_id)) == appt.job_id
    if n is None or n.photo is None or not same_job:
        raise NotFound(f"No photo for note {note_id} on this job.")
    return _image(n.photo, n.photo_content_type or "image/jpeg")


@router.get("/appointments/{appt_id}/booking-photos/{photo_id}", response_class=Response, responses=IMAGE)
def booking_photo(appt_id: int, photo_id: int, user: FieldTech, db: Db) -> Response:
    appt = field_views.owned(db, _tech_id(user), appt_id)
    p = db.get(BookingPhoto, photo_id)
    req = db.get(BookingRequest, p.booking_request_id) if p is not None else None
    same_job = req is not None and req.appointment_id is not None and db.scalar(
        select(field_views.Appointment.job_id).where(field_views.Appointment.id == req.appointment_id)) == appt.job_id
    if p is None or not same_job:
        raise NotFound(f"No booking photo {photo_id} on this job.")
    return _image(p.data, p.content_type)


@router.post("/appointments/{appt_id}/notes", status_code=201, response_model=TeamNotePublic)
def add_note(appt_id: int, body: TeamNoteIn, request: Request, user: FieldTech, ctx: Ctx, db: Db,
             idempotency_key: IdemKey = None) -> dict[str, Any]:
    """A note for the team (dispatchers see it on the appointment card; never shown to the customer)."""
    key = idempotent.check_key(idempotency_key)
    what = f"POST {request.url.path}"
    if (prior := idempotent.replay(db, user.id, key, what)) is not None:
        return prior
    appt = field_views.owned(db, _tech_id(user), appt_id)
    now = ctx.clock.now()
    out = field_views.add_team_note(db, appt, user, body.text, now, ctx.company(db).time_zone)
    return _commit(db, user.id, key, what, out, now)


def _commit(db: Db, user_id: int, key: str | None, what: str, out: dict[str, Any], now: Any) -> dict[str, Any]:
    idempotent.remember(db, user_id, key, what, out, now)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        prior = idempotent.replay(db, user_id, key, what)
        if prior is None:
            raise
        return prior
    return out


async def _read_photo(upload: UploadFile) -> photos.CleanPhoto:
    raw = await upload.read(photos.MAX_BYTES + 1)
    try:
        return await run_in_threadpool(photos.process, raw, upload.filename or "photo.jpg")
    except photos.PhotoError as exc:
        if exc.too_large:
            raise TooLarge(str(exc)) from None
        raise Invalid.field("photo", str(exc)) from None


@router.post("/appointments/{appt_id}/photos", status_code=201, response_model=FieldPhotoPublic, responses=TOO_LARGE)
async def add_photo(appt_id: int, request: Request, user: FieldTech, ctx: Ctx, db: Db,
                    photo: Annotated[UploadFile, File(description="JPEG, PNG, HEIC or WebP, up to 10 MB")],
                    caption: Annotated[str, Form(max_length=300)] = "",
                    idempotency_key: IdemKey = None) -> dict[str, Any]:
    """A visit photo; only the team sees it until a dispatcher shares it with the customer."""
    key = idempotent.check_key(idempotency_key)
    what = f"POST {request.url.path}"
    if (prior := await run_in_threadpool(idempotent.replay, db, user.id, key, what)) is not None:
        return prior
    clean = await _read_photo(photo)

    def store() -> dict[str, Any]:
        appt = field_views.owned(db, _tech_id(user), appt_id)
        now = ctx.clock.now()
        p = VisitPhoto(appointment_id=appt.id, caption=caption.strip(), content_type=clean.content_type,
                       data=clean.data, shared_with_customer=False, created_at=now)
        db.add(p)
        db.flush()
        publish_appointment(db, appt, now, photos=True)
        out = {"id": p.id, "caption": p.caption, "shared_with_customer": False,
               "url": f"/api/v1/field/appointments/{appt.id}/photos/{p.id}"}
        return _commit(db, user.id, key, what, out, now)

    return await run_in_threadpool(store)


@router.get("/profile", response_model=FieldProfilePublic)
def profile(user: FieldTech, db: Db) -> dict[str, Any]:
    """The tech's bio and photo, and whether a change waits for the office's approval (or why it was refused)."""
    tech = db.get(Technician, _tech_id(user))
    assert tech is not None
    return field_views.profile(tech, user)


@router.get("/profile/photo", response_class=Response,
            responses={200: {"content": {"image/png": {}}, "description": "the headshot (PNG)"},
                       **errors(404, s404="No photo yet (or, with pending=1, none waiting for approval).")})
def profile_photo(user: FieldTech, db: Db, pending: bool = False) -> Response:
    tech = db.get(Technician, _tech_id(user))
    data = (tech.photo_pending_png if pending else tech.photo_png) if tech else None
    if data is None:
        raise NotFound("No photo yet." if not pending else "No photo is waiting for approval.")
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, no-cache"})


def _headshot_png(data: bytes) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as img:
        square = ImageOps.fit(img.convert("RGB"), (PROFILE_PX, PROFILE_PX))
    out = io.BytesIO()
    square.save(out, "PNG", optimize=True)
    return out.getvalue()


@router.put("/profile/photo", response_model=FieldProfilePublic, responses=TOO_LARGE)
async def put_profile_photo(user: FieldTech, ctx: Ctx, db: Db,
                            photo: Annotated[UploadFile, File(description="a headshot; JPEG, PNG, HEIC or WebP")]
                            ) -> dict[str, Any]:
    """A new headshot; customers see it after a dispatcher approves it (with the bio)."""
    clean = await _read_photo(photo)
    png = await run_in_threadpool(_headshot_png, clean.data)

    def store() -> dict[str, Any]:
        tech = db.get(Technician, _tech_id(user))
        assert tech is not None
        now = ctx.clock.now()
        if tech.bio_status != BioStatus.PENDING:
            tech.bio_pending = tech.bio_approved  # approving the photo must not blank the bio customers see
        tech.photo_pending_png, tech.bio_status, tech.bio_submitted_at = png, BioStatus.PENDING, now
        tech.bio_reject_reason = ""
        publish(db, EventName.TECHNICIAN_UPDATED, {"id": tech.id, "bio_status": tech.bio_status}, now)
        db.commit()
        return field_views.profile(tech, user)

    return await run_in_threadpool(store)
