"""The customer tracker: GET /tracker/{token} (page), its JSON, photo, PWA manifest, service worker, push."""

from __future__ import annotations

import io
import re
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import AppointmentStatus as S
from models.public.tracker import PushSubscribedPublic, TrackerPublic
from models.tables import Appointment, PushSubscription, TrackerLink
from models.tracker_schemas import PushSubscriptionIn
from services.backend import tracker_view
from services.backend.context import Backend
from services.backend.contract import errors
from services.backend.deps import Ctx, Db
from services.backend.errors import NotFound
from services.backend.templating import SECURITY_HEADERS, STATIC, render

pages = APIRouter(tags=["tracker"], include_in_schema=True)
api = APIRouter(prefix="/api/v1/tracker", tags=["tracker"])

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
NO_STORE = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
PHOTO_STATES = (S.DISPATCHED, S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS, S.PAUSED)
GONE = "This tracking link is not valid. Check the link in your text message, or call us."


def _link(db: Session, token: str) -> tuple[TrackerLink, Appointment]:
    """The link and its appointment; 404 for anything malformed or unknown (no hint what exists)."""
    if not TOKEN_RE.match(token):
        raise NotFound(GONE)
    link = db.scalar(select(TrackerLink).where(TrackerLink.token == token))
    appt = db.get(Appointment, link.appointment_id) if link is not None else None
    if link is None or appt is None:
        raise NotFound(GONE)
    return link, appt


def _view(db: Session, ctx: Backend, token: str) -> tuple[dict[str, Any], Appointment, TrackerLink]:
    link, appt = _link(db, token)
    company = ctx.company(db)
    data = tracker_view.build(db, link, appt, company, ctx.clock.now(), f"/tracker/{token}")
    data["push"] = _push_info(ctx, data)
    db.commit()  # end the read transaction quickly (SQLite takes the write lock per transaction)
    return data, appt, link


def _push_info(ctx: Backend, data: dict[str, Any]) -> dict[str, Any] | None:
    key = ctx.settings.vapid_public_key.strip()
    if not key or data["state"] in ("expired", "ended"):
        return None
    return {"vapid_public_key": key, "subscribe_url": None}


@pages.get("/tracker/sw.js", include_in_schema=False)
def service_worker() -> Response:
    """The tracker's service worker (scope /tracker/): shows arrival pushes, opens the tracker on tap."""
    body = (STATIC / "tracker_sw.js").read_bytes()
    return Response(body, media_type="text/javascript",
                    headers={**SECURITY_HEADERS, "Cache-Control": "no-cache", "Service-Worker-Allowed": "/tracker/"})


@pages.get("/tracker/{token}", include_in_schema=False)
def tracker_page(token: str, request: Request, ctx: Ctx, db: Db) -> Response:
    """The mobile tracker page (no login; the token is the key)."""
    try:
        data, _, _ = _view(db, ctx, token)
    except NotFound:
        company = ctx.company(db)
        resp = render(request, "tracker_missing.html", 404, company=tracker_view.company_view(company))
        resp.headers["Cache-Control"] = "no-store"
        return resp
    resp = render(request, "tracker.html", token=token, t=data, base=f"/tracker/{token}")
    resp.headers["Cache-Control"] = "no-store"
    return resp


@api.get("/{token}", response_model=TrackerPublic, response_model_exclude_unset=True,
         responses=errors(404, s404="No such link (or a malformed one)."))
def tracker_json(token: str, ctx: Ctx, db: Db, response: Response) -> dict[str, Any]:
    """State, technician first name/photo/approved bio/vehicle, company, ETA, position only while en route,
    late banner. After complete or cancel: `state: expired`, no technician data."""
    data, _, link = _view(db, ctx, token)
    if data["push"] is not None:
        data["push"]["subscribe_url"] = f"/api/v1/tracker/{token}/push-subscriptions"
    response.headers.update(NO_STORE)
    return data


@api.post("/{token}/push-subscriptions", status_code=201, response_model=PushSubscribedPublic,
          responses={200: {"model": PushSubscribedPublic, "description": "Already subscribed: its keys were updated."},
                     **errors(404, s404="No such link, or it has expired.")})
def add_push_subscription(token: str, body: PushSubscriptionIn, ctx: Ctx, db: Db,
                          response: Response) -> dict[str, Any]:
    """Store this browser's Web Push subscription for the appointment's customer (arrival ping by push)."""
    link, appt = _link(db, token)
    if link.expired_at is not None or S(appt.status) in (S.COMPLETE, S.CANCELLED):
        raise NotFound("This tracking link has expired; notifications are no longer needed.")
    customer_id = appt.job.customer_id
    existing = db.scalar(select(PushSubscription).where(PushSubscription.customer_id == customer_id,
                                                        PushSubscription.endpoint == body.endpoint))
    now = ctx.clock.now()
    if existing is None:
        existing = PushSubscription(customer_id=customer_id, endpoint=body.endpoint, p256dh=body.keys.p256dh,
                                    auth=body.keys.auth, created_at=now)
        db.add(existing)
        status = 201
    else:
        existing.p256dh, existing.auth = body.keys.p256dh, body.keys.auth
        status = 200
    db.commit()
    response.status_code = status
    response.headers.update(NO_STORE)
    return {"id": existing.id, "subscribed": True}


def _png(data: bytes) -> Response:
    return Response(data, media_type="image/png",
                    headers={**SECURITY_HEADERS, "Cache-Control": "private, max-age=300"})


@pages.get("/tracker/{token}/photo", include_in_schema=False)
def tracker_photo(token: str, db: Db) -> Response:
    """The assigned technician's headshot, only while this link is live and past scheduling."""
    link, appt = _link(db, token)
    tech = appt.technician
    if link.expired_at is not None or S(appt.status) not in PHOTO_STATES or tech is None or not tech.photo_png:
        raise NotFound("No photo for this appointment.")
    return _png(tech.photo_png)


@lru_cache(maxsize=32)
def _resized(data: bytes, size: int) -> bytes:
    from PIL import Image

    img = Image.open(io.BytesIO(data)).convert("RGBA")
    canvas = Image.new("RGBA", (size, size), (255, 255, 255, 255))
    inner = int(size * 0.8)
    img.thumbnail((inner, inner))
    canvas.paste(img, ((size - img.width) // 2, (size - img.height) // 2), img)
    buf = io.BytesIO()
    canvas.save(buf, "PNG")
    return buf.getvalue()


def _logo_bytes(ctx: Backend, db: Session) -> bytes:
    company = ctx.company(db)
    if company.logo_png:
        return company.logo_png
    from services.backend.demo import logo_png

    return logo_png()


@pages.get("/tracker/{token}/logo.png", include_in_schema=False)
def tracker_logo(token: str, ctx: Ctx, db: Db) -> Response:
    _link(db, token)
    return _png(_logo_bytes(ctx, db))


@pages.get("/tracker/{token}/icon-{size}.png", include_in_schema=False)
def tracker_icon(token: str, size: int, ctx: Ctx, db: Db) -> Response:
    """Square app icons for the installed PWA (192 and 512 px)."""
    if size not in (192, 512):
        raise NotFound("Icons come in 192 and 512 px.")
    _link(db, token)
    return _png(_resized(_logo_bytes(ctx, db), size))


@pages.get("/tracker/{token}/manifest.webmanifest", include_in_schema=False)
def manifest(token: str, ctx: Ctx, db: Db) -> JSONResponse:
    """Web app manifest: the tracker installs to the home screen and receives arrival pushes."""
    _link(db, token)
    company = ctx.company(db)
    base = f"/tracker/{token}"
    data = {
        "name": f"{company.name} — technician tracker",
        "short_name": company.name[:12],
        "start_url": base,
        "scope": "/tracker/",
        "display": "standalone",
        "background_color": "#f5f7fa",
        "theme_color": "#0b5fa5",
        "icons": [{"src": f"{base}/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
                  {"src": f"{base}/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"}],
    }
    return JSONResponse(data, media_type="application/manifest+json", headers=NO_STORE)
