"""Customer portal sessions: the cookie set by a magic link (or a console preview) → the customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import Customer, PortalSession
from services.backend.context import Backend
from services.backend.contract import answers
from services.backend.deps import Ctx, Db
from services.backend.errors import Forbidden, Unauthorized
from services.backend.security import new_token, token_hash

COOKIE = "dispatch_portal"


@dataclass
class PortalUser:
    """Who is looking at the portal: a customer (or one job contact), maybe as a read-only preview."""

    customer: Customer
    session_id: int
    preview: bool
    job_contact_id: int | None  # set when a job contact signed in: they may see that job only


def start_session(db: Session, ctx: Backend, response: Response, customer_id: int, *, preview: bool = False,
                  job_contact_id: int | None = None, created_by: str = "", ttl: timedelta | None = None) -> str:
    """Create a portal session and set its HttpOnly, SameSite cookie; returns the raw token."""
    now = ctx.clock.now()
    token = new_token()
    ttl = ttl or timedelta(days=ctx.settings.portal_session_days)
    db.add(PortalSession(token_hash=token_hash(token), customer_id=customer_id, job_contact_id=job_contact_id,
                         preview=preview, created_by=created_by, created_at=now, expires_at=now + ttl))
    response.set_cookie(COOKIE, token, max_age=int(ttl.total_seconds()), httponly=True, samesite="lax",
                        secure=ctx.public_url.startswith("https://"), path="/")
    return token


def lookup(db: Session, token: str | None, now: datetime) -> PortalUser | None:
    if not token:
        return None
    row = db.scalar(select(PortalSession).where(PortalSession.token_hash == token_hash(token)))
    if row is None or row.expires_at <= now:
        return None
    customer = db.get(Customer, row.customer_id)
    if customer is None:
        return None
    return PortalUser(customer, row.id, row.preview, row.job_contact_id)


def optional_portal_user(request: Request, ctx: Ctx, db: Db) -> PortalUser | None:
    user = lookup(db, request.cookies.get(COOKIE), ctx.clock.now())
    db.commit()  # end the read transaction (SQLite holds the write lock in a transaction)
    return user


@answers(401)
def portal_user(user: Annotated[PortalUser | None, Depends(optional_portal_user)]) -> PortalUser:
    if user is None:
        raise Unauthorized("Sign in to the portal with the link we sent you (request a new one at /portal).")
    return user


@answers(403)
def portal_writer(user: Annotated[PortalUser, Depends(portal_user)]) -> PortalUser:
    """Refuse every write from a console preview session."""
    if user.preview:
        raise Forbidden("Preview — actions disabled. This is a read-only preview of the customer's portal.")
    return user


OptionalPortalUser = Annotated[PortalUser | None, Depends(optional_portal_user)]
PortalCustomer = Annotated[PortalUser, Depends(portal_user)]
PortalWriter = Annotated[PortalUser, Depends(portal_writer)]
