"""Console portal preview: a short-lived, single-use, audit-logged URL opening a read-only portal session."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from models.enums import Actor
from models.enums import AppointmentStatus as S
from models.public.portal import PreviewPublic
from models.schemas import PreviewIn
from models.tables import Appointment, Customer, MagicLink
from services.backend import portal_actions
from services.backend.audit import Who, audit
from services.backend.deps import Ctx, Db, Dispatcher
from services.backend.errors import Invalid
from services.backend.portal_auth import start_session
from services.backend.routes.portal_pages import page
from services.backend.security import new_token, token_hash
from services.backend.tracker_links import ensure_link

router = APIRouter(tags=["dispatcher"])
SESSION_TTL = timedelta(hours=1)


@router.post("/api/v1/portal-preview", status_code=201, response_model=PreviewPublic)
def create_preview(body: PreviewIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """`{customer_id}` or `{appointment_id}` → `{url, expires_at}`: opens exactly what that customer sees,
    read-only ("Preview — actions disabled"; every write is refused with 403). Single use; audit-logged."""
    appt = None
    if body.appointment_id is not None:
        appt = db.get(Appointment, body.appointment_id)
        if appt is None:
            raise Invalid.field("appointment_id", f"no appointment {body.appointment_id}")
        customer_id = appt.job.customer_id
    else:
        assert body.customer_id is not None
        if db.get(Customer, body.customer_id) is None:
            raise Invalid.field("customer_id", f"no customer {body.customer_id}")
        customer_id = body.customer_id
    now = ctx.clock.now()
    token = new_token()
    expires = now + timedelta(minutes=ctx.settings.preview_ttl_min)
    db.add(MagicLink(token_hash=token_hash(token), customer_id=customer_id, created_at=now, expires_at=expires,
                     preview=True, appointment_id=appt.id if appt else None, created_by=user.name))
    audit(db, now, "portal.preview_created", "customer", customer_id, user,
          {"appointment_id": appt.id if appt else None, "expires_at": expires.isoformat()})
    db.commit()
    return {"url": ctx.link(f"/portal/preview/{token}"), "expires_at": expires, "customer_id": customer_id,
            "appointment_id": appt.id if appt else None}


@router.get("/portal/preview/{token}", include_in_schema=False)
def open_preview(token: str, request: Request, ctx: Ctx, db: Db) -> Response:
    """Redeem a preview URL once: start the read-only session, then show the schedule, visit or tracker."""
    link = portal_actions.redeem_link(db, ctx, token, preview=True)
    if link is None or link.customer_id is None:
        db.rollback()
        return page(request, ctx, db, "portal_message.html", None, 410, title="Preview link expired",
                    text="This preview link was already used or has expired. Open a new preview from the console.",
                    back="/portal")
    target = "/portal/schedule"
    if link.appointment_id is not None:
        appt = db.get(Appointment, link.appointment_id)
        if appt is not None and S(appt.status) in (S.EN_ROUTE, S.ARRIVED):
            target = f"/tracker/{ensure_link(db, appt.id, ctx.clock.now()).token}"
        elif appt is not None:
            target = f"/portal/visits/{appt.id}"
    response = RedirectResponse(target, status_code=303)
    start_session(db, ctx, response, link.customer_id, preview=True, created_by=link.created_by, ttl=SESSION_TTL)
    audit(db, ctx.clock.now(), "portal.preview_opened", "customer", link.customer_id,
          Who(Actor.DISPATCHER, None, link.created_by),
          {"appointment_id": link.appointment_id, "opened": target.split("/")[-2]})
    db.commit()
    return response
