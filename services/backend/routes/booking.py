"""Booking request endpoints: the dispatcher's inbox and responses, the customer's requests."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from models.booking_machine import BookingAction
from models.booking_schemas import AcceptIn, BookingRequestIn, CounterIn, DeclineIn
from models.enums import BookingState
from models.public.booking import BookingRequestCustomerPublic, BookingRequestPublic
from models.tables import BookingPhoto, BookingRequest
from services.backend import booking_intake as intake
from services.backend import booking_ops as ops
from services.backend import csrf
from services.backend.context import Backend
from services.backend.contract import errors
from services.backend.deps import Ctx, Db, Dispatcher
from services.backend.errors import NotFound
from services.backend.portal_auth import COOKIE, PortalCustomer, PortalWriter

dispatcher_router = APIRouter(prefix="/api/v1/booking-requests", tags=["dispatcher"])
portal_router = APIRouter(prefix="/api/v1/portal/booking-requests", tags=["portal"],
                          dependencies=[Depends(csrf.require(COOKIE))])

# --- dispatcher ---


@dispatcher_router.get("", response_model=list[BookingRequestPublic])
def list_requests(
    user: Dispatcher, ctx: Ctx, db: Db,
    state: Annotated[BookingState | None, Query(description="only requests in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[dict[str, Any]]:
    """Booking requests, newest first; each says its age and whether it is past the 48-hour mark."""
    stmt = select(BookingRequest)
    if state is not None:
        stmt = stmt.where(BookingRequest.state == state.value)
    reqs = list(db.scalars(stmt.order_by(BookingRequest.created_at.desc(), BookingRequest.id.desc()).limit(limit)))
    photos = ops.photo_meta(db, [r.id for r in reqs])
    now = ctx.clock.now()
    return [ops.to_dispatcher(r, now, photos[r.id]) for r in reqs]


@dispatcher_router.get("/{req_id}", response_model=BookingRequestPublic)
def get_request(req_id: int, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """One request with customer contact, preferences, notes and photo links."""
    req = ops.load(db, req_id)
    return ops.to_dispatcher(req, ctx.clock.now(), ops.photo_meta(db, [req.id])[req.id])


def _photo(db: Db, req_id: int, photo_id: int) -> BookingPhoto:
    photo = db.get(BookingPhoto, photo_id)
    if photo is None or photo.booking_request_id != req_id:
        raise NotFound(f"No photo {photo_id} on booking request {req_id}.")
    return photo


_IMAGE = {200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}, "description": "the image"}}
REFUSED = errors(409, s409="The request's state does not allow this step (the message names the allowed ones), "
                            "or the chosen technician is booked then (`schedule_conflict`).")


@dispatcher_router.get("/{req_id}/photos/{photo_id}", response_class=Response, responses=_IMAGE)
def get_photo(req_id: int, photo_id: int, user: Dispatcher, db: Db) -> Response:
    """A photo at full size (metadata already stripped)."""
    p = _photo(db, req_id, photo_id)
    return Response(p.data, media_type=p.content_type, headers={"Cache-Control": "private, max-age=3600"})


@dispatcher_router.get("/{req_id}/photos/{photo_id}/thumbnail", response_class=Response, responses=_IMAGE)
def get_thumbnail(req_id: int, photo_id: int, user: Dispatcher, db: Db) -> Response:
    """A JPEG thumbnail, at most 320 px on its longer side."""
    p = _photo(db, req_id, photo_id)
    return Response(p.thumbnail, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


def _answer(ctx: Backend, db: Db, req: BookingRequest) -> dict[str, Any]:
    return ops.to_dispatcher(req, ctx.clock.now(), ops.photo_meta(db, [req.id])[req.id])


@dispatcher_router.post("/{req_id}/review", response_model=BookingRequestPublic, responses=REFUSED)
def review(req_id: int, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Mark the request under review (the customer reads "We're reviewing your request")."""
    req = ops.review(db, ctx, user, req_id)
    db.commit()
    return _answer(ctx, db, req)


@dispatcher_router.post("/{req_id}/accept", response_model=BookingRequestPublic, responses=REFUSED)
def accept(req_id: int, body: AcceptIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Confirm: creates the job and its appointment in one transaction. With a technician, an overlap with
    their schedule is refused (409 naming the clash) unless `allow_overlap` is true."""
    req = ops.accept(db, ctx, user, req_id, body)
    db.commit()
    return _answer(ctx, db, req)


@dispatcher_router.post("/{req_id}/counter", response_model=BookingRequestPublic, responses=REFUSED)
def counter(req_id: int, body: CounterIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Propose another time with a message; the customer gets a link to accept or decline it."""
    req = ops.counter(db, ctx, user, req_id, body)
    db.commit()
    return _answer(ctx, db, req)


@dispatcher_router.post("/{req_id}/decline", response_model=BookingRequestPublic, responses=REFUSED)
def decline(req_id: int, body: DeclineIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Decline with a message (required) telling the customer why and what they can do instead."""
    req = ops.decline(db, ctx, user, req_id, body.message)
    db.commit()
    return _answer(ctx, db, req)


# --- customer portal ---


def customer_answer(ctx: Backend, db: Db, req: BookingRequest) -> dict[str, Any]:
    return ops.to_customer(req, ctx.company(db), len(ops.photo_rows(db, req.id)))


def _inline_schema() -> dict[str, Any]:
    """The JSON body's schema with its $defs inlined (a bare $defs ref would not resolve inside OpenAPI)."""
    schema = BookingRequestIn.model_json_schema()
    defs = schema.pop("$defs", {})
    for prop in schema.get("properties", {}).values():
        ref = prop.pop("$ref", None)
        if ref:
            prop.update(defs[ref.rsplit("/", 1)[-1]])
    return schema


_CREATE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _inline_schema()},
            "multipart/form-data": {"schema": {
                "type": "object",
                "required": ["service_type", "preferred_dates", "time_preference"],
                "properties": {
                    "service_type": {"type": "string"},
                    "preferred_dates": {"type": "array", "items": {"type": "string", "format": "date"},
                                        "minItems": 1, "maxItems": 3},
                    "time_preference": {"type": "string", "enum": ["morning", "afternoon", "flexible"]},
                    "address": {"type": "string", "description": "omit to use the address on file"},
                    "notes": {"type": "string"},
                    "photos": {"type": "array", "maxItems": 3, "items": {"type": "string", "format": "binary"},
                               "description": "JPEG, PNG, HEIC or WebP, at most 10 MB each"},
                },
            }},
        },
    }
}


@portal_router.post("", status_code=201, openapi_extra=_CREATE_BODY, response_model=BookingRequestCustomerPublic,
                    responses=errors(400, 403, 413, 415, 429,
                                     s403="Online booking is off for this account, onboarding is not finished, or "
                                          "the session is a read-only preview.",
                                     s429="Too many requests in the last hour."))
async def create_request(request: Request, user: PortalWriter, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Send a booking request (JSON, or multipart with up to 3 photos). 403 when online booking is off for
    the account or onboarding is not finished; 413 for a photo over 10 MB; 422 naming each field to fix."""
    sub = await intake.read_submission(request)

    def run() -> dict[str, Any]:
        outcome = intake.submit(db, ctx, user.customer, sub, keep_uploads=False)
        if outcome.request is None:
            intake.raise_for(outcome)
        assert outcome.request is not None
        return customer_answer(ctx, db, outcome.request)

    return await run_in_threadpool(run)


@portal_router.get("", response_model=list[BookingRequestCustomerPublic])
def my_requests(user: PortalCustomer, ctx: Ctx, db: Db) -> list[dict[str, Any]]:
    """The signed-in customer's own requests, newest first."""
    reqs = db.scalars(select(BookingRequest).where(BookingRequest.customer_id == user.customer.id)
                      .order_by(BookingRequest.created_at.desc(), BookingRequest.id.desc()).limit(200))
    return [customer_answer(ctx, db, r) for r in reqs]


@portal_router.get("/{req_id}", response_model=BookingRequestCustomerPublic)
def my_request(req_id: int, user: PortalCustomer, ctx: Ctx, db: Db) -> dict[str, Any]:
    """One of the customer's own requests (another customer's is a 404)."""
    return customer_answer(ctx, db, ops.load(db, req_id, customer_id=user.customer.id))


def _customer_step(ctx: Backend, db: Db, user: Any, req_id: int, action: BookingAction) -> dict[str, Any]:
    req = ops.customer_move(db, ctx, user.customer, req_id, action)
    db.commit()
    return customer_answer(ctx, db, req)


@portal_router.post("/{req_id}/cancel", response_model=BookingRequestCustomerPublic, responses=REFUSED)
def cancel(req_id: int, user: PortalWriter, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Cancel a request that is not confirmed yet."""
    return _customer_step(ctx, db, user, req_id, BookingAction.CANCEL)


@portal_router.post("/{req_id}/accept-counter", response_model=BookingRequestCustomerPublic, responses=REFUSED)
def accept_counter(req_id: int, user: PortalWriter, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Accept the proposed time: the appointment is created and shows in My Schedule."""
    return _customer_step(ctx, db, user, req_id, BookingAction.ACCEPT_COUNTER)


@portal_router.post("/{req_id}/decline-counter", response_model=BookingRequestCustomerPublic, responses=REFUSED)
def decline_counter(req_id: int, user: PortalWriter, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Decline the proposed time (the request is closed; send a new one for other dates)."""
    return _customer_step(ctx, db, user, req_id, BookingAction.DECLINE_COUNTER)
