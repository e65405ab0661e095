"""Visit photos on the appointment card: list them and choose which ones the customer sees (dispatcher API)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import select

from models.portal_schemas import PhotoShareIn
from models.public.appointments import VisitPhotoPublic
from models.tables import Appointment, VisitPhoto
from services.backend.audit import audit
from services.backend.deps import Ctx, Db, Dispatcher
from services.backend.errors import NotFound

router = APIRouter(prefix="/api/v1/appointments", tags=["dispatcher"])


def photo_public(p: VisitPhoto) -> dict[str, Any]:
    return {"id": p.id, "appointment_id": p.appointment_id, "caption": p.caption, "content_type": p.content_type,
            "shared_with_customer": p.shared_with_customer, "created_at": p.created_at,
            "url": f"/api/v1/appointments/{p.appointment_id}/photos/{p.id}/image"}


def _photo(db: Db, appointment_id: int, photo_id: int) -> VisitPhoto:
    photo = db.get(VisitPhoto, photo_id)
    if photo is None or photo.appointment_id != appointment_id:
        raise NotFound(f"No photo {photo_id} on appointment {appointment_id}.")
    return photo


@router.get("/{appointment_id}/photos", response_model=list[VisitPhotoPublic])
def list_photos(appointment_id: int, user: Dispatcher, db: Db) -> list[dict[str, Any]]:
    """The visit's photos, oldest first, with whether each is shared with the customer."""
    if db.get(Appointment, appointment_id) is None:
        raise NotFound(f"No appointment {appointment_id}.")
    rows = db.scalars(select(VisitPhoto).where(VisitPhoto.appointment_id == appointment_id).order_by(VisitPhoto.id))
    return [photo_public(p) for p in rows]


@router.get("/{appointment_id}/photos/{photo_id}/image", response_class=Response,
            responses={200: {"content": {"image/*": {}}, "description": "the photo"}})
def photo_image(appointment_id: int, photo_id: int, user: Dispatcher, db: Db) -> Response:
    p = _photo(db, appointment_id, photo_id)
    return Response(p.data, media_type=p.content_type, headers={"Cache-Control": "private, max-age=300"})


@router.patch("/{appointment_id}/photos/{photo_id}", response_model=VisitPhotoPublic)
def share_photo(appointment_id: int, photo_id: int, body: PhotoShareIn, user: Dispatcher, ctx: Ctx,
                db: Db) -> dict[str, Any]:
    """Share a photo with the customer (or stop sharing it); only shared photos reach the portal."""
    p = _photo(db, appointment_id, photo_id)
    if p.shared_with_customer != body.shared_with_customer:
        p.shared_with_customer = body.shared_with_customer
        audit(db, ctx.clock.now(), "photo.shared" if body.shared_with_customer else "photo.unshared",
              "visit_photo", p.id, user, {"appointment_id": appointment_id})
    db.commit()
    return photo_public(p)
