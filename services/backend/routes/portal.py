"""Customer portal JSON API (/api/v1/portal/*): sign-in links, My Schedule, visits, notes, surveys, billing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from models.portal_schemas import ChangeRequestIn, MagicLinkIn, NoteTextIn, SurveyIn
from models.public.common import Accepted, Url
from models.public.portal import (
    ActivityPublic,
    ChangeRequestPublic,
    DocumentPublic,
    NotePublic,
    SchedulePublic,
    SurveyPublic,
    VisitPublic,
)
from models.tables import ChangeRequest, CustomerNote, VisitPhoto
from services.backend import csrf, stripe_checkout
from services.backend import portal_actions as actions
from services.backend import portal_views as views
from services.backend.context import Backend
from services.backend.contract import errors
from services.backend.deps import Ctx, Db
from services.backend.errors import Conflict, Invalid, NotFound
from services.backend.portal_auth import COOKIE, PortalCustomer, PortalUser, PortalWriter
from services.backend.routes import portal_pages

router = APIRouter(prefix="/api/v1/portal", tags=["portal"], dependencies=[Depends(csrf.require(COOKIE))])

ACCEPTED = {"message": "If we have an account with that address, a sign-in link is on its way. "
                       "It works once and expires in 15 minutes."}


def pay_online(ctx: Backend, db: Db) -> bool:
    return bool(ctx.setting(db, "stripe_api_key"))


@router.post("/magic-link", status_code=202, response_model=Accepted,
             responses=errors(429, s429="Too many sign-in link requests for this address or from this client."))
def magic_link(body: MagicLinkIn, request: Request, ctx: Ctx, db: Db) -> dict[str, str]:
    """Always 202 — never says whether an account exists. The link goes out through the outbox."""
    actions.request_magic_link(db, ctx, body, request.client.host if request.client else "")
    return ACCEPTED


@router.post("/logout", status_code=204)
def logout(request: Request, ctx: Ctx, db: Db) -> Response:
    portal_pages.end_session(db, request)
    r = Response(status_code=204)
    r.delete_cookie(COOKIE, path="/")
    return r


@router.get("/schedule", response_model=SchedulePublic)
def schedule(user: PortalCustomer, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Upcoming visits by time, past visits newest first, today's live status (6-stage labels)."""
    out = views.schedule(db, ctx.company(db), user, ctx.clock.now())
    db.commit()  # tracker links created for en_route/arrived visits
    return out


@router.get("/visits/{appointment_id}", response_model=VisitPublic)
def visit(appointment_id: int, user: PortalCustomer, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Summary, notes, technician, only the photos the contractor shared, activity, survey and documents."""
    appt = views.owned_appointment(db, user, appointment_id)
    out = views.visit(db, ctx.company(db), user, appt, ctx.clock.now(), pay_online(ctx, db))
    db.commit()
    return out


@router.get("/visits/{appointment_id}/photos/{photo_id}", response_class=Response,
            responses={200: {"content": {"image/*": {}}, "description": "the photo"}})
def visit_photo(appointment_id: int, photo_id: int, user: PortalCustomer, db: Db) -> Response:
    appt = views.owned_appointment(db, user, appointment_id)
    photo = db.get(VisitPhoto, photo_id)
    if photo is None or photo.appointment_id != appt.id or not photo.shared_with_customer:
        raise NotFound(f"No photo {photo_id} on this visit.")
    return Response(photo.data, media_type=photo.content_type, headers={"Cache-Control": "private, max-age=300"})


@router.get("/appointments/{appointment_id}/technician-photo", response_class=Response,
            responses={200: {"content": {"image/png": {}}, "description": "the headshot"}})
def technician_photo(appointment_id: int, user: PortalCustomer, db: Db) -> Response:
    appt = views.owned_appointment(db, user, appointment_id)
    if appt.technician is None or appt.technician.photo_png is None:
        raise NotFound("No technician photo for this visit.")
    return Response(appt.technician.photo_png, media_type="image/png",
                    headers={"Cache-Control": "private, max-age=300"})


@router.get("/jobs/{job_id}/activity", response_model=list[ActivityPublic])
def job_activity(job_id: int, user: PortalCustomer, ctx: Ctx, db: Db) -> list[dict[str, Any]]:
    """Every status change of the job in customer words with times (pause messages included), newest first."""
    job = views.owned_job(db, user, job_id)
    return views.activity(db, job, ctx.company(db), user.customer.id)


@router.get("/change-requests", response_model=list[ChangeRequestPublic])
def list_change_requests(user: PortalCustomer, db: Db) -> list[dict[str, Any]]:
    ids = [a.id for a in views.appointments(db, user)]
    if not ids:
        return []
    rows = db.scalars(select(ChangeRequest).where(ChangeRequest.customer_id == user.customer.id,
                                                  ChangeRequest.appointment_id.in_(ids))
                      .order_by(ChangeRequest.id.desc()))
    return [{"id": c.id, "appointment_id": c.appointment_id, "message": c.message, "created_at": c.created_at}
            for c in rows]


@router.post("/change-requests", status_code=201, response_model=ChangeRequestPublic,
             responses=errors(404, 409, s404="No such appointment in your account.",
                              s409="The visit is already over."))
def create_change_request(body: ChangeRequestIn, user: PortalWriter, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Ask the office to change a visit; dispatchers get a `change_request` alert."""
    appt = views.owned_appointment(db, user, body.appointment_id)
    cr = actions.change_request(db, ctx, user, appt, body.message)
    return {"id": cr.id, "appointment_id": appt.id, "message": cr.message, "created_at": cr.created_at}


async def read_note(request: Request) -> tuple[str, tuple[bytes, str] | None]:
    """A note from JSON `{text}` or a multipart form (`text`, optional `photo` file)."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/form-data") or ctype.startswith("application/x-www-form-urlencoded"):
        form = await request.form(max_part_size=actions.MAX_PHOTO_BYTES + 1024)
        text = str(form.get("text") or "")
        upload = form.get("photo")
        photo = None
        if upload is not None and not isinstance(upload, str) and upload.filename:
            data = await upload.read(actions.MAX_PHOTO_BYTES + 1)
            photo = (data, upload.content_type or "")
        return text, photo
    try:
        return NoteTextIn.model_validate_json(await request.body()).text, None
    except ValidationError as exc:
        from services.backend.errors import describe_validation

        message, details = describe_validation(list(exc.errors()))
        raise Invalid(message, details) from None


def note_public(n: CustomerNote) -> dict[str, Any]:
    return {"id": n.id, "appointment_id": n.appointment_id, "text": n.text, "created_at": n.created_at,
            "photo_url": f"/api/v1/portal/notes/{n.id}/photo" if n.photo else None}


@router.post("/appointments/{appointment_id}/notes", status_code=201, response_model=NotePublic,
             responses=errors(400, 409, 413, s409="The visit is already over."),
             openapi_extra={"requestBody": {"content": {
                 "application/json": {"schema": {"type": "object", "properties": {"text": {"type": "string"}}}},
                 "multipart/form-data": {"schema": {"type": "object", "properties": {
                     "text": {"type": "string"}, "photo": {"type": "string", "format": "binary"}}}}}}})
async def add_note(appointment_id: int, request: Request, user: PortalWriter, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Add a note and/or photo before the visit; dispatchers get a `customer_note` alert."""
    appt = await run_in_threadpool(views.owned_appointment, db, user, appointment_id)
    text, photo = await read_note(request)
    note = await run_in_threadpool(actions.add_note, db, ctx, user, appt, text, photo)
    return note_public(note)


@router.get("/notes/{note_id}/photo", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "the photo"}})
def note_photo(note_id: int, user: PortalCustomer, db: Db) -> Response:
    note = db.get(CustomerNote, note_id)
    if note is None or note.photo is None or note.customer_id != user.customer.id:
        raise NotFound(f"No photo for note {note_id}.")
    views.owned_appointment(db, user, note.appointment_id)
    return Response(note.photo, media_type=note.photo_content_type or "image/jpeg",
                    headers={"Cache-Control": "private, max-age=300"})


@router.post("/appointments/{appointment_id}/survey", status_code=201, response_model=SurveyPublic,
             responses=errors(409, s409="The visit is not complete yet, or feedback was already sent."))
def survey(appointment_id: int, body: SurveyIn, user: PortalWriter, ctx: Ctx, db: Db) -> dict[str, Any]:
    """One survey per completed visit: 1–5 stars or 0–10 NPS (company setting), categories, comment."""
    appt = views.owned_appointment(db, user, appointment_id)
    s = actions.submit_survey(db, ctx, user, appt, body)
    return {"id": s.id, "appointment_id": appt.id, "kind": s.kind, "score": s.score, "categories": s.categories,
            "comment": s.comment}


@router.get("/documents", response_model=list[DocumentPublic])
def documents(user: PortalCustomer, ctx: Ctx, db: Db) -> list[dict[str, Any]]:
    """Estimates and invoices the contractor shared with this customer."""
    return views.documents(db, user, ctx.company(db), pay_online(ctx, db))


@router.get("/documents/{doc_id}", response_model=DocumentPublic)
def document(doc_id: int, user: PortalCustomer, ctx: Ctx, db: Db) -> dict[str, Any]:
    doc = views.owned_document(db, user, doc_id)
    return views.document(doc, ctx.company(db), pay_online(ctx, db))


@router.post("/documents/{doc_id}/approve", response_model=DocumentPublic,
             responses=errors(409, s409="Not an open estimate."))
def approve(doc_id: int, user: PortalWriter, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Approve a shared estimate; dispatchers get an `estimate_approved` alert."""
    doc = actions.approve_estimate(db, ctx, user, views.owned_document(db, user, doc_id))
    return views.document(doc, ctx.company(db), pay_online(ctx, db))


def start_checkout(db: Db, ctx: Backend, user: PortalUser, doc_id: int) -> str:
    doc = views.owned_document(db, user, doc_id)
    company = ctx.company(db)
    if doc.kind != "invoice" or doc.status != "open":
        raise Conflict(f"{doc.kind.title()} {doc.number} is {doc.status}; only open invoices can be paid.")
    key = str(ctx.setting(db, "stripe_api_key") or "")
    if not key:
        raise Conflict(f"Online payment is not available. {company.payment_instructions or 'Call us to pay.'}")
    base = ctx.link(f"/portal/documents/{doc.id}")
    session = stripe_checkout.create_session(
        str(ctx.setting(db, "stripe_base_url")), key, invoice_id=doc.id, number=doc.number,
        amount_cents=doc.total_cents, description=f"{company.name} — invoice {doc.number}",
        success_url=f"{base}/paid?session_id={{CHECKOUT_SESSION_ID}}", cancel_url=base,
        email=user.customer.email)
    doc.checkout_session_id = session.id
    db.commit()
    return session.url


@router.post("/documents/{doc_id}/checkout", response_model=Url,
             responses=errors(409, 502, s409="Not an open invoice, or online payment is not set up.",
                              s502="The payment provider did not answer."))
def checkout(doc_id: int, user: PortalWriter, ctx: Ctx, db: Db) -> dict[str, str]:
    """Start Stripe Checkout for an open invoice → `{url}` of the payment page (409 when not configured)."""
    return {"url": start_checkout(db, ctx, user, doc_id)}
