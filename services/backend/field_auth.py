"""Field-app sign-in: an HttpOnly, SameSite=Strict session cookie per phone (a paired device), or a bearer token.

A session lasts until the technician signs out or a dispatcher revokes the device; every request checks it.
Cookie-authenticated writes carry the CSRF token (services/backend/csrf.py, checked as a router dependency).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from models.enums import DeviceKind, Role
from models.tables import FieldDevice, Technician, User
from services.backend import csrf, devices
from services.backend.context import Backend
from services.backend.contract import answers
from services.backend.deps import Ctx, current_user, technician
from services.backend.errors import Unauthorized

COOKIE = "dispatch_field"
PRE_COOKIE = "dispatch_field_pre"  # the sign-in forms' own CSRF secret, before there is a session
MAX_AGE_S = 400 * 24 * 3600  # browsers keep cookies at most 400 days; the server never expires a session itself

require_csrf = csrf.require(COOKIE)


@dataclass
class FieldSession:
    user: User
    device: FieldDevice


def _secure(ctx: Backend) -> bool:
    return ctx.public_url.startswith("https://")


def set_cookie(response: Response, ctx: Backend, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", secure=_secure(ctx),
                        path="/")


def start_session(db: Session, ctx: Backend, response: Response, user: User, *, label: str,
                  created_by: str) -> FieldDevice:
    """Register this browser as one of the technician's devices and set its session cookie."""
    tech = db.get(Technician, user.technician_id)
    assert tech is not None
    dev, secret = devices.add(db, tech, DeviceKind.FIELD_APP, ctx.clock.now(), label=label, created_by=created_by,
                              user_id=user.id)
    set_cookie(response, ctx, COOKIE, secret, MAX_AGE_S)
    response.delete_cookie(PRE_COOKIE, path="/")
    return dev


def lookup(db: Session, token: str | None) -> FieldSession | None:
    """The signed-in technician of a session cookie (None when unknown, revoked or the account is disabled)."""
    dev = devices.find(db, token or "", DeviceKind.FIELD_APP)
    if dev is None or dev.user_id is None:
        return None
    user = db.get(User, dev.user_id)
    if user is None or not user.active or user.role != Role.TECHNICIAN or user.technician_id is None:
        return None
    return FieldSession(user, dev)


def optional_session(request: Request, ctx: Backend) -> FieldSession | None:
    with ctx.reader() as db:
        found = lookup(db, request.cookies.get(COOKIE))
        db.commit()  # end the snapshot; the loaded columns stay
    return found


@answers(401, 403)
def field_technician(request: Request, ctx: Ctx) -> User:
    """The technician behind a bearer token or a field-app session cookie (401 otherwise)."""
    if request.headers.get("authorization"):
        return technician(current_user(request, ctx))
    if not request.cookies.get(COOKIE):
        raise Unauthorized("Sign in first: open /field on your phone, or send a bearer token from "
                           "POST /api/v1/auth/login.", headers={"WWW-Authenticate": "Bearer"})
    found = optional_session(request, ctx)
    if found is None:
        raise Unauthorized("This phone is signed out (the session ended or a dispatcher removed it). Sign in again.")
    request.state.field_device_id = found.device.id
    return found.user


FieldTech = Annotated[User, Depends(field_technician)]


def device_id(request: Request) -> int | None:
    """The paired device a cookie-authenticated request came from (None for bearer tokens)."""
    return getattr(request.state, "field_device_id", None)


def touch(db: Session, dev: FieldDevice, now: datetime) -> None:
    """Note that the device was seen (page loads), at most once a minute."""
    if dev.last_seen_at is None or (now - dev.last_seen_at).total_seconds() >= 60:
        dev.last_seen_at = now
