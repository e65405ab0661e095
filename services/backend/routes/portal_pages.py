"""Customer portal pages (server-rendered, readable without JavaScript) and their plain HTML forms."""

from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import delete
from starlette.concurrency import run_in_threadpool

from models.portal_schemas import MagicLinkIn, SurveyIn
from models.tables import PortalSession
from services.backend import csrf, stripe_checkout
from services.backend import portal_actions as actions
from services.backend import portal_views as views
from services.backend.context import Backend
from services.backend.deps import Ctx, Db
from services.backend.errors import ApiError
from services.backend.portal_auth import COOKIE, OptionalPortalUser, PortalUser, start_session
from services.backend.security import token_hash
from services.backend.templating import render

router = APIRouter(tags=["portal pages"], include_in_schema=True, dependencies=[Depends(csrf.require(COOKIE))])


def end_session(db: Db, request: Request) -> None:
    token = request.cookies.get(COOKIE)
    if token:
        db.execute(delete(PortalSession).where(PortalSession.token_hash == token_hash(token)))
        db.commit()


def page(request: Request, ctx: Backend, db: Db, name: str, user: PortalUser | None, status_code: int = 200,
         **context: Any) -> Response:
    return render(request, name, status_code, company=ctx.company(db), preview=bool(user and user.preview),
                  user=user, **context)


def message(request: Request, ctx: Backend, db: Db, user: PortalUser | None, title: str, text: str,
            status_code: int = 200, back: str = "/portal/schedule") -> Response:
    return page(request, ctx, db, "portal_message.html", user, status_code, title=title, text=text, back=back)


def _signin(request: Request) -> RedirectResponse:
    return RedirectResponse("/portal", status_code=303)


def _gate(request: Request, ctx: Backend, db: Db, user: PortalUser | None, back: str) -> Response | None:
    """The page a form post gets instead of acting: sign in first, or the preview's refusal (read-only)."""
    if user is None:
        return _signin(request)
    if user.preview:
        return message(request, ctx, db, user, "Preview — actions disabled",
                       "This is a read-only preview of the customer's portal. Nothing was sent.", 403, back)
    return None


def _error_page(request: Request, ctx: Backend, db: Db, user: PortalUser | None, exc: ApiError,
                back: str) -> Response:
    db.rollback()
    titles = {404: "Not found", 409: "Can't do that now", 413: "Photo too large", 422: "Please check the form",
              429: "Too many attempts", 502: "Payment page unavailable"}
    return message(request, ctx, db, user, titles.get(exc.status, "Something went wrong"), exc.message,
                   exc.status, back)


@router.get("/portal", include_in_schema=False)
def login_page(request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db) -> Response:
    if user is not None:
        return RedirectResponse("/portal/schedule", status_code=303)
    return page(request, ctx, db, "portal_login.html", None)


@router.post("/portal/login", include_in_schema=False)
async def login_form(request: Request, ctx: Ctx, db: Db) -> Response:
    form = await request.form()
    raw = str(form.get("address") or "").strip()
    data = {"email": raw} if "@" in raw else {"phone": raw}
    try:
        body = MagicLinkIn.model_validate(data)
        await run_in_threadpool(actions.request_magic_link, db, ctx, body,
                                request.client.host if request.client else "")
    except ValidationError:
        return page(request, ctx, db, "portal_login.html", None, 422, address=raw,
                    error="Enter the email address or mobile number we have on file.")
    except ApiError as exc:
        return page(request, ctx, db, "portal_login.html", None, exc.status, address=raw, error=exc.message)
    return page(request, ctx, db, "portal_link_sent.html", None, 202, address=raw)


@router.get("/portal/login/{token}", include_in_schema=False)
def login_with_link(token: str, request: Request, ctx: Ctx, db: Db) -> Response:
    """Single use, 15 minutes: sets the HttpOnly, SameSite session cookie and opens My Schedule."""
    link = actions.redeem_link(db, ctx, token, preview=False)
    if link is None or link.customer_id is None:
        db.rollback()
        return page(request, ctx, db, "portal_login.html", None, 410,
                    error="That sign-in link has expired or was already used. Request a new one below.")
    response = RedirectResponse("/portal/schedule", status_code=303)
    start_session(db, ctx, response, link.customer_id, job_contact_id=link.job_contact_id)
    db.commit()
    return response


@router.post("/portal/logout", include_in_schema=False)
def logout_form(request: Request, db: Db) -> Response:
    end_session(db, request)
    r = RedirectResponse("/portal", status_code=303)
    r.delete_cookie(COOKIE, path="/")
    return r


@router.get("/portal/schedule", include_in_schema=False)
def schedule_page(request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db) -> Response:
    if user is None:
        return _signin(request)
    data = views.schedule(db, ctx.company(db), user, ctx.clock.now())
    db.commit()
    return page(request, ctx, db, "portal_schedule.html", user, data=data)


@router.get("/portal/visits/{appointment_id}", include_in_schema=False)
def visit_page(appointment_id: int, request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db) -> Response:
    if user is None:
        return _signin(request)
    try:
        appt = views.owned_appointment(db, user, appointment_id)
    except ApiError as exc:
        return _error_page(request, ctx, db, user, exc, "/portal/schedule")
    data = views.visit(db, ctx.company(db), user, appt, ctx.clock.now(), bool(ctx.setting(db, "stripe_api_key")))
    db.commit()
    done = request.query_params.get("done", "")
    return page(request, ctx, db, "portal_visit.html", user, v=data, done=done)


@router.post("/portal/visits/{appointment_id}/note", include_in_schema=False)
async def note_form(appointment_id: int, request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db) -> Response:
    back = f"/portal/visits/{appointment_id}"
    if (stop := _gate(request, ctx, db, user, back)) is not None:
        return stop
    from services.backend.routes.portal import read_note

    try:
        appt = await run_in_threadpool(views.owned_appointment, db, user, appointment_id)
        text, photo = await read_note(request)
        await run_in_threadpool(actions.add_note, db, ctx, user, appt, text, photo)
    except ApiError as exc:
        return _error_page(request, ctx, db, user, exc, back)
    return RedirectResponse(f"{back}?done=note#notes", status_code=303)


@router.post("/portal/visits/{appointment_id}/change", include_in_schema=False)
async def change_form(appointment_id: int, request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db) -> Response:
    back = f"/portal/visits/{appointment_id}"
    if (stop := _gate(request, ctx, db, user, back)) is not None:
        return stop
    form = await request.form()
    text = str(form.get("message") or "").strip()
    try:
        appt = views.owned_appointment(db, user, appointment_id)
        if not text:
            from services.backend.errors import Invalid

            raise Invalid.field("message", "tell us what you would like to change")
        await run_in_threadpool(actions.change_request, db, ctx, user, appt, text[:2000])
    except ApiError as exc:
        return _error_page(request, ctx, db, user, exc, back)
    return RedirectResponse(f"{back}?done=change#change", status_code=303)


@router.post("/portal/visits/{appointment_id}/survey", include_in_schema=False)
async def survey_form(appointment_id: int, request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db) -> Response:
    back = f"/portal/visits/{appointment_id}"
    if (stop := _gate(request, ctx, db, user, back)) is not None:
        return stop
    form = await request.form()
    try:
        body = SurveyIn(score=int(str(form.get("score", ""))), categories=[str(c) for c in form.getlist("categories")],
                        comment=str(form.get("comment") or ""))
    except (ValueError, ValidationError):
        return message(request, ctx, db, user, "Please check the form", "Choose a rating before sending.", 422, back)
    try:
        appt = views.owned_appointment(db, user, appointment_id)
        await run_in_threadpool(actions.submit_survey, db, ctx, user, appt, body)
    except ApiError as exc:
        return _error_page(request, ctx, db, user, exc, back)
    return RedirectResponse(f"{back}?done=survey#survey", status_code=303)


@router.get("/portal/documents/{doc_id}", include_in_schema=False)
def document_page(doc_id: int, request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db) -> Response:
    if user is None:
        return _signin(request)
    try:
        doc = views.owned_document(db, user, doc_id)
    except ApiError as exc:
        return _error_page(request, ctx, db, user, exc, "/portal/schedule")
    data = views.document(doc, ctx.company(db), bool(ctx.setting(db, "stripe_api_key")))
    return page(request, ctx, db, "portal_document.html", user, d=data, done=request.query_params.get("done", ""))


@router.post("/portal/documents/{doc_id}/approve", include_in_schema=False)
def approve_form(doc_id: int, request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db) -> Response:
    back = f"/portal/documents/{doc_id}"
    if (stop := _gate(request, ctx, db, user, back)) is not None:
        return stop
    try:
        actions.approve_estimate(db, ctx, user, views.owned_document(db, user, doc_id))
    except ApiError as exc:
        return _error_page(request, ctx, db, user, exc, back)
    return RedirectResponse(f"{back}?done=approved", status_code=303)


@router.post("/portal/documents/{doc_id}/pay", include_in_schema=False)
def pay_form(doc_id: int, request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db) -> Response:
    back = f"/portal/documents/{doc_id}"
    if (stop := _gate(request, ctx, db, user, back)) is not None:
        return stop
    from services.backend.routes.portal import start_checkout

    try:
        url = start_checkout(db, ctx, user, doc_id)
    except ApiError as exc:
        return _error_page(request, ctx, db, user, exc, back)
    return RedirectResponse(url, status_code=303)


@router.get("/portal/documents/{doc_id}/paid", include_in_schema=False)
def paid_return(doc_id: int, request: Request, user: OptionalPortalUser, ctx: Ctx, db: Db,
                session_id: str = "") -> Response:
    """Stripe sends the customer back here; the session is checked with Stripe before marking it paid."""
    back = f"/portal/documents/{doc_id}"
    if user is None:
        return _signin(request)
    try:
        doc = views.owned_document(db, user, doc_id)
        key = str(ctx.setting(db, "stripe_api_key") or "")
        if key and session_id and session_id == doc.checkout_session_id:
            s = stripe_checkout.retrieve_session(str(ctx.setting(db, "stripe_base_url")), key, session_id)
            if s.payment_status == "paid":
                actions.paid(db, ctx, doc, ctx.clock.now())
                db.commit()
    except ApiError as exc:
        return _error_page(request, ctx, db, user, exc, back)
    return RedirectResponse(f"{back}?done=paid", status_code=303)


_DEFAULT_LOGO: bytes | None = None


def default_logo(name: str) -> bytes:
    """A neutral initial-on-blue mark when the company has not uploaded a logo."""
    global _DEFAULT_LOGO
    if _DEFAULT_LOGO is None:
        from PIL import Image, ImageDraw, ImageFont

        img = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        d.rounded_rectangle((4, 4, 124, 124), 24, fill="#0B5FA5")
        try:
            font = ImageFont.truetype("DejaVuSans-Bold.ttf", 64)
        except OSError:
            font = ImageFont.load_default()
        d.text((64, 66), (name[:1] or "?").upper(), fill="white", anchor="mm", font=font)
        buf = io.BytesIO()
        img.save(buf, "PNG")
        _DEFAULT_LOGO = buf.getvalue()
    return _DEFAULT_LOGO


@router.get("/portal/logo.png", include_in_schema=False)
def logo(ctx: Ctx, db: Db) -> Response:
    company = ctx.company(db)
    data = company.logo_png or default_logo(company.name)
    return Response(data, media_type="image/png", headers={"Cache-Control": "public, max-age=600"})
