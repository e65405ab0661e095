"""The field web app's pages: sign-in (password or pairing link), the app shell, manifest, service worker, icons.

The shell is one page (`/field`); the screens are drawn by resources/portal/static/field/*.js from the field API.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from sqlalchemy import func, select, update

from models.enums import Role
from models.field_actions import field_actions
from models.status_machine import CONSOLE_LABELS
from models.status_palette import palette_for_web
from models.tables import FieldDevice, User
from resources.leaflet import leaflet_static_dir
from services.backend import csrf, devices, pairing, throttle
from services.backend.context import Backend
from services.backend.deps import Ctx, Db
from services.backend.errors import ApiError
from services.backend.field_auth import COOKIE, PRE_COOKIE, optional_session, require_csrf, set_cookie, start_session
from services.backend.security import new_token, verify_nobody, verify_password
from services.backend.templating import STATIC, env

router = APIRouter(tags=["field app pages"], include_in_schema=False)
FIELD_STATIC = STATIC / "field"
SHELL_FILES = ["field.css", "app.js", "api.js", "store.js", "outbox.js", "gps.js", "map.js", "ui.js", "views.js",
               "strips.js"]
PRE_MAX_AGE = 3600
GPS = {"enRouteS": 10, "dispatchedS": 30}


@cache
def asset_version() -> str:
    """Changes whenever a field-app file changes, so phones pick up a new service worker and shell."""
    h = hashlib.sha256()
    for name in sorted(p.name for p in FIELD_STATIC.iterdir()):
        h.update(name.encode())
        h.update((FIELD_STATIC / name).read_bytes())
    return h.hexdigest()[:12]


def _tile_source(tile_url: str) -> str:
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"


def _headers(tile_url: str = "") -> dict[str, str]:
    img = " ".join(filter(None, ["'self'", "data:", "blob:", _tile_source(tile_url)]))
    return {
        "Content-Security-Policy": (
            f"default-src 'self'; img-src {img}; style-src 'self'; script-src 'self'; connect-src 'self'; "
            "worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
        "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "X-Robots-Tag": "noindex",
        "Cache-Control": "no-cache",
    }


def _render(request: Request, ctx: Backend, db: Db, name: str, status: int = 200, *, tile_url: str = "",
            **context: Any) -> HTMLResponse:
    html = env.get_template(name).render(request=request, company=ctx.company(db), asset_version=asset_version(),
                                         **context)
    return HTMLResponse(html, status, headers=_headers(tile_url))


def _form_page(request: Request, ctx: Backend, db: Db, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A sign-in form with its own CSRF secret (there is no session yet to derive the token from)."""
    pre = request.cookies.get(PRE_COOKIE) or new_token()
    resp = _render(request, ctx, db, name, status, csrf=csrf.token_for(pre), **context)
    set_cookie(resp, ctx, PRE_COOKIE, pre, PRE_MAX_AGE)
    return resp


def _message(request: Request, ctx: Backend, db: Db, title: str, text: str, status: int, *, error: bool = True,
             back: str = "/field/login", back_label: str = "Go to sign in") -> HTMLResponse:
    return _render(request, ctx, db, "field/message.html", status, csrf="", title=title, text=text, error=error,
                   back=back, back_label=back_label)


def device_label(user_agent: str) -> str:
    """'Chrome on Android' from a User-Agent, so a dispatcher can tell phones apart."""
    ua = user_agent or ""
    os_name = next((n for pat, n in ((r"iPhone", "iPhone"), (r"iPad", "iPad"), (r"Android", "Android"),
                                     (r"Windows", "Windows"), (r"Mac OS X", "Mac"), (r"Linux", "Linux"))
                    if re.search(pat, ua)), "")
    browser = next((n for pat, n in ((r"EdgA?/", "Edge"), (r"SamsungBrowser", "Samsung Internet"),
                                     (r"Firefox|FxiOS", "Firefox"), (r"Chrome|CriOS|Chromium", "Chrome"),
                                     (r"Safari", "Safari")) if re.search(pat, ua)), "")
    if not browser and not os_name:
        return "Web browser"
    return f"{browser or 'Browser'} on {os_name}" if os_name else browser


def _signed_in(db: Db, ctx: Backend, request: Request, user: User, created_by: str) -> Response:
    resp = RedirectResponse("/field", status_code=303)
    start_session(db, ctx, resp, user, label=device_label(request.headers.get("user-agent", "")),
                  created_by=created_by)
    db.commit()
    return resp


@router.get("/field")
def app_page(request: Request, ctx: Ctx, db: Db) -> Response:
    found = optional_session(request, ctx)
    if found is None:
        return RedirectResponse("/field/login", status_code=303)
    user, dev = found.user, found.device
    now = ctx.clock.now()
    if dev.last_seen_at is None or (now - dev.last_seen_at).total_seconds() >= 60:
        db.execute(update(FieldDevice).where(FieldDevice.id == dev.id).values(last_seen_at=now))
    company = ctx.company(db)
    tile_url = str(ctx.setting(db, "tile_url") or "")
    db.commit()
    token = csrf.token_for(request.cookies.get(COOKIE))
    config = {
        "csrf": token, "tz": company.time_zone, "tile_url": tile_url, "leaflet": "/field/leaflet/",
        "user": {"id": user.id, "name": user.name, "first_name": user.name.split()[0] if user.name else ""},
        "company": {"name": company.name, "phone": company.phone},
        "palette": palette_for_web(),
        "actions_by_status": {s.value: field_actions(s.value) for s in CONSOLE_LABELS},
        "gps": GPS, "version": asset_version(),
    }
    return _render(request, ctx, db, "field/app.html", tile_url=tile_url, csrf=token, config=config,
                   first_name=config["user"]["first_name"])


@router.get("/field/login")
def login_page(request: Request, ctx: Ctx, db: Db) -> Response:
    if optional_session(request, ctx) is not None:
        return RedirectResponse("/field", status_code=303)
    return _form_page(request, ctx, db, "field/login.html")


@router.post("/field/login")
async def login_form(request: Request, ctx: Ctx, db: Db) -> Response:
    form = await request.form()
    email = str(form.get("email") or "").strip()
    if not csrf.valid(request.cookies.get(PRE_COOKIE), str(form.get(csrf.FIELD) or "")):
        return _form_page(request, ctx, db, "field/login.html", 403, email=email,
                          error="This sign-in form expired. Please sign in again.")
    # Throttled like every password sign-in (per account and per address, the same for unknown accounts).
    address = request.client.host if request.client else ""
    by_account, by_address = throttle.login_rules(ctx.settings)
    now = ctx.clock.now()
    try:
        throttle.charge(db, [(by_account, email.lower()), (by_address, address)], now, address=address)
    except ApiError as exc:
        return _form_page(request, ctx, db, "field/login.html", exc.status, email=email, error=exc.message)
    user = db.scalar(select(User).where(func.lower(User.email) == email.lower())) if email else None
    db.commit()  # hold no lock while the password is checked (the attempt is already counted)
    password = str(form.get("password") or "")
    ok = verify_password(user.password_hash, password) if user is not None else verify_nobody(password)
    if user is None or not user.active or not ok:
        return _form_page(request, ctx, db, "field/login.html", 401, email=email,
                          error="Wrong email or password. Check both and try again.")
    throttle.clear(db, by_account, email.lower())
    throttle.refund(db, by_address, address, now)
    if user.role != Role.TECHNICIAN or user.technician_id is None:
        return _form_page(request, ctx, db, "field/login.html", 403, email=email,
                          error="This app is for technicians. Dispatchers use the Dispatch Console.")
    return _signed_in(db, ctx, request, user, "signed in with password")


def _expired(request: Request, ctx: Backend, db: Db) -> HTMLResponse:
    return _message(request, ctx, db, "Pairing code expired",
                    "This pairing code has expired or was already used. Ask the office to show a new one "
                    "(they are valid for 10 minutes and work once).", 410)


@router.get("/field/pair/{token}")
def pair_page(token: str, request: Request, ctx: Ctx, db: Db) -> Response:
    """Asks before signing in, so a link preview or a second scan cannot use up the code."""
    link = pairing.peek(db, token, ctx.clock.now())
    if link is None:
        return _expired(request, ctx, db)
    from models.tables import Technician

    tech = db.get(Technician, link.technician_id)
    name = tech.name if tech else "a technician"
    return _form_page(request, ctx, db, "field/pair.html", token=token, tech_name=name, tech_first=name.split()[0])


@router.post("/field/pair/{token}")
async def pair_form(token: str, request: Request, ctx: Ctx, db: Db) -> Response:
    form = await request.form()
    if not csrf.valid(request.cookies.get(PRE_COOKIE), str(form.get(csrf.FIELD) or "")):
        return _message(request, ctx, db, "Please try again",
                        "This page expired before you tapped. Scan the QR code again.", 403)
    found = pairing.redeem(db, token, ctx.clock.now())
    if found is None:
        db.rollback()
        return _expired(request, ctx, db)
    link, user = found
    resp = _signed_in(db, ctx, request, user, f"paired by {link.created_by or 'the office'}")
    return resp


@router.post("/field/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request, ctx: Ctx, db: Db) -> Response:
    """Sign this phone out: its session stops working at once and the page's offline copies are cleared."""
    found = optional_session(request, ctx)
    if found is not None:
        dev = db.get(FieldDevice, found.device.id)
        if dev is not None:
            devices.revoke(db, dev, ctx.clock.now(), "signed out on the phone")
        db.commit()
    resp = RedirectResponse("/field/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    if ctx.public_url.startswith("https://") or request.url.hostname in ("localhost", "127.0.0.1"):
        resp.headers["Clear-Site-Data"] = '"cache", "storage"'
    return resp


@router.get("/field/manifest.webmanifest")
def manifest(ctx: Ctx, db: Db) -> Response:
    company = ctx.company(db)
    body = {
        "name": f"Dispatch Field — {company.name}", "short_name": "Dispatch Field", "start_url": "/field",
        "scope": "/field", "display": "standalone", "orientation": "portrait", "background_color": "#F3F4F6",
        "theme_color": "#0B2540", "description": "Your jobs for the day: status, directions, notes and photos.",
        "icons": [{"src": f"/field/icon-{n}.png", "sizes": f"{n}x{n}", "type": "image/png", "purpose": "any"}
                  for n in (192, 512)],
    }
    return Response(json.dumps(body), media_type="application/manifest+json", headers={"Cache-Control": "no-cache"})


@router.get("/field/sw.js")
def service_worker() -> Response:
    shell = ["/field", *[f"/static/field/{n}" for n in SHELL_FILES], "/field/leaflet/leaflet.js",
             "/field/leaflet/leaflet.css", "/field/manifest.webmanifest", "/field/icon-192.png", "/portal/logo.png"]
    js = ((FIELD_STATIC / "sw.js").read_text(encoding="utf-8").replace("__VERSION__", asset_version())
          .replace("__SHELL__", json.dumps(shell)))
    return Response(js, media_type="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/field"})


@router.get("/field/icon-{size}.png")
def icon(size: int, ctx: Ctx, db: Db) -> Response:
    if size not in (192, 512):
        return Response(status_code=404)
    company = ctx.company(db)
    return Response(_icon(size, company.logo_png, company.name), media_type="image/png",
                    headers={"Cache-Control": "public, max-age=86400"})


def _icon(size: int, logo: bytes | None, name: str) -> bytes:
    from PIL import Image

    from services.backend.routes.portal_pages import default_logo

    with Image.open(io.BytesIO(logo or default_logo(name))) as src:
        mark = src.convert("RGBA")
        mark.thumbnail((int(size * 0.72), int(size * 0.72)))
        canvas = Image.new("RGBA", (size, size), "#FFFFFF")
        canvas.paste(mark, ((size - mark.width) // 2, (size - mark.height) // 2), mark)
    out = io.BytesIO()
    canvas.save(out, "PNG")
    return out.getvalue()


@router.get("/field/leaflet/{name}")
def leaflet_file(name: str) -> Response:
    """Leaflet from the installed package (no CDN: the map must load on the office network and offline)."""
    if name not in ("leaflet.js", "leaflet.css"):
        return Response(status_code=404)
    media = "text/javascript" if name.endswith(".js") else "text/css"
    return FileResponse(leaflet_static_dir() / name, media_type=media,
                        headers={"Cache-Control": "public, max-age=86400"})
