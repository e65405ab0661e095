"""The portal's booking pages: "Request New Service" (plain HTML form with photos) and the request status pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from models.booking_machine import CUSTOMER_WORDS, BookingAction
from models.enums import BookingState as B
from models.tables import BookingPhoto, BookingRequest, PendingUpload
from models.timefmt import window_text
from services.backend import booking_checks as checks
from services.backend import booking_intake as intake
from services.backend import booking_ops as ops
from services.backend import csrf
from services.backend.context import Backend
from services.backend.deps import Ctx, Db
from services.backend.errors import ApiError, NotFound
from services.backend.portal_auth import COOKIE, OptionalPortalUser, PortalUser
from services.backend.templating import render

router = APIRouter(tags=["portal pages"], include_in_schema=False, dependencies=[Depends(csrf.require(COOKIE))])
PREVIEW_MSG = "Preview — actions disabled. This is a read-only preview of the customer's portal."
STEPS = [("Received", B.SUBMITTED), ("Reviewing", B.UNDER_REVIEW), ("Confirmed", B.CONFIRMED)]


def _signin() -> RedirectResponse:
    return RedirectResponse("/portal", status_code=303)


def _page(request: Request, ctx: Backend, db: Db, name: str, user: PortalUser, status_code: int = 200,
          **context: Any) -> Response:
    return render(request, name, status_code, company=ctx.company(db), preview=user.preview, user=user,
                  customer=user.customer, **context)


def _form(request: Request, ctx: Backend, db: Db, user: PortalUser, *, values: dict[str, Any] | None = None,
          errors: dict[str, str] | None = None, pending: list[PendingUpload] | None = None,
          status_code: int = 200, notice: str = "") -> Response:
    company = ctx.company(db)
    values = dict(values or {})
    dates = list(values.get("preferred_dates") or [])
    values["preferred_dates"] = (dates + ["", "", ""])[:3]
    services = [str(s) for s in company.bookable_services or []]
    chosen = values.get("service", "")
    if chosen and chosen != checks.OTHER_SERVICE and chosen not in services:  # typed service not in the list
        values["service"], values["service_other"] = checks.OTHER_SERVICE, chosen
    return _page(request, ctx, db, "booking_form.html", user, status_code,
                 refusal=checks.booking_refusal(company, user.customer), services=services,
                 free_text=company.free_text_services or not services, other=checks.OTHER_SERVICE,
                 address_on_file=checks.address_on_file(user.customer),
                 min_date=checks.company_today(company, ctx.clock.now()).isoformat(), values=values,
                 errors=errors or {}, pending=pending or [], notice=notice,
                 time_choices=[("morning", "Morning", "8 AM – 12 PM"), ("afternoon", "Afternoon", "12 – 5 PM"),
                               ("flexible", "Flexible", "Any time that day")])


@router.get("/portal/book")
def book_alias() -> RedirectResponse:
    return RedirectResponse("/portal/request", status_code=303)


@router.get("/portal/request")
def request_form(request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db) -> Response:
    if user is None:
        return _signin()
    return _form(request, ctx, db, user, values={"time_preference": "flexible"})


@router.post("/portal/request")
async def request_submit(request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db) -> Response:
    """The form posts here (multipart): errors re-render the form next to each field, keeping typed values and
    already-uploaded photos; success goes to the request's status page."""
    if user is None:
        return _signin()
    if user.preview:
        return _form(request, ctx, db, user, status_code=403, notice=PREVIEW_MSG)
    try:
        sub = await intake.read_submission(request)
    except ApiError as exc:
        return _form(request, ctx, db, user, status_code=exc.status, errors={"photos": exc.message})

    def run() -> Response:
        try:
            outcome = intake.submit(db, ctx, user.customer, sub, keep_uploads=True)
        except ApiError as exc:
            db.rollback()
            return _form(request, ctx, db, user, values=sub.form, status_code=exc.status, notice=exc.message)
        if outcome.request is None:
            return _form(request, ctx, db, user, values=sub.form, errors=outcome.errors, pending=outcome.pending,
                         status_code=413 if outcome.too_large else 422,
                         notice="Please fix the highlighted fields — everything you entered is still here.")
        return RedirectResponse(f"/portal/requests/{outcome.request.id}?sent=1", status_code=303)

    return await run_in_threadpool(run)


@router.get("/portal/uploads/{token}/thumbnail")
def pending_thumbnail(token: str, user: OptionalPortalUser, db: Db) -> Response:
    rows = ops.pending_for(db, user.customer.id, [token]) if user else []
    if not rows:
        raise NotFound("No such upload.")
    return Response(rows[0].thumbnail, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=600"})


@router.get("/portal/requests")
def requests_page(request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db) -> Response:
    if user is None:
        return _signin()
    company = ctx.company(db)
    reqs = db.scalars(select(BookingRequest).where(BookingRequest.customer_id == user.customer.id)
                      .order_by(BookingRequest.created_at.desc()).limit(100))
    items = [ops.to_customer(r, company, 0) for r in reqs]
    return _page(request, ctx, db, "booking_list.html", user, items=items)


def _status(request: Request, ctx: Backend, db: Db, user: PortalUser, req: BookingRequest, *,
            status_code: int = 200, notice: str = "", sent: bool = False) -> Response:
    company = ctx.company(db)
    photos = ops.photo_rows(db, req.id)
    data = ops.to_customer(req, company, len(photos))
    appt_text = None
    if req.appointment_id is not None:
        from models.tables import Appointment

        appt = db.get(Appointment, req.appointment_id)
        if appt is not None:
            appt_text = window_text(appt.window_start, appt.window_end, company.time_zone)
    order = [s for _, s in STEPS]
    state = B(req.state)
    reached = order.index(state) if state in order else (1 if state == B.COUNTER_PROPOSED else -1)
    return _page(request, ctx, db, "booking_status.html", user, status_code, r=data, photos=photos,
                 words=CUSTOMER_WORDS, steps=[n for n, _ in STEPS], reached=reached, appt_text=appt_text,
                 notice=notice, sent=sent, time_words=checks.TIME_WORDS,
                 date_words=[_day_words(d) for d in req.preferred_dates])


def _day_words(iso: str) -> str:
    """'Tue, Nov 24'."""
    from datetime import date

    try:
        d = date.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{d:%a, %b} {d.day}"


@router.get("/portal/requests/{req_id}")
def status_page(req_id: int, request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db,
                sent: int = 0) -> Response:
    if user is None:
        return _signin()
    try:
        req = ops.load(db, req_id, customer_id=user.customer.id)
    except NotFound:
        return _page(request, ctx, db, "portal_message.html", user, 404, title="Not found",
                     text="We couldn't find that request.", back="/portal/requests")
    return _status(request, ctx, db, user, req, sent=bool(sent))


@router.get("/portal/requests/{req_id}/photos/{photo_id}/thumbnail")
def status_thumbnail(req_id: int, photo_id: int, user: OptionalPortalUser, db: Db) -> Response:
    photo = db.get(BookingPhoto, photo_id)
    if user is None or photo is None or photo.booking_request_id != req_id:
        raise NotFound("No such photo.")
    ops.load(db, req_id, customer_id=user.customer.id)
    return Response(photo.thumbnail, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=600"})


def _act(action: BookingAction):  # type: ignore[no-untyped-def]
    def handler(req_id: int, request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db) -> Response:
        if user is None:
            return _signin()
        try:
            if user.preview:
                req = ops.load(db, req_id, customer_id=user.customer.id)
                return _status(request, ctx, db, user, req, status_code=403, notice=PREVIEW_MSG)
            ops.customer_move(db, ctx, user.customer, req_id, action)
            db.commit()
        except ApiError as exc:
            db.rollback()
            if exc.status == 404:
                return _page(request, ctx, db, "portal_message.html", user, 404, title="Not found",
                             text="We couldn't find that request.", back="/portal/requests")
            req = ops.load(db, req_id, customer_id=user.customer.id)
            return _status(request, ctx, db, user, req, status_code=exc.status, notice=exc.message)
        return RedirectResponse(f"/portal/requests/{req_id}", status_code=303)

    return handler


for _path, _action in (("cancel", BookingAction.CANCEL), ("accept-counter", BookingAction.ACCEPT_COUNTER),
                       ("decline-counter", BookingAction.DECLINE_COUNTER)):
    router.add_api_route(f"/portal/requests/{{req_id}}/{_path}", _act(_action), methods=["POST"],
                         name=f"portal_booking_{_path}")
