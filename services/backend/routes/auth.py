"""Sign-in for dispatchers, admins and technicians."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import func, select

from models.public.staff import LoginPublic, UserPublic
from models.schemas import LoginIn
from models.tables import ApiToken, User
from services.backend import throttle
from services.backend.contract import errors
from services.backend.deps import Ctx, CurrentUser, Db
from services.backend.errors import Unauthorized
from services.backend.security import new_token, token_hash, verify_nobody, verify_password

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def user_public(user: User) -> dict[str, Any]:
    return {
        "id": user.id, "name": user.name, "role": user.role, "email": user.email,
        "technician_id": user.technician_id,
    }


@router.post("/login", response_model=LoginPublic,
             responses=errors(401, 429, s401="Wrong email or password (the same answer whether or not the "
                                                  "account exists).", s429="Too many sign-in attempts; wait "
                                                                          "`Retry-After` seconds."))
def login(body: LoginIn, request: Request, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Exchange email and password for a bearer token. Wrong passwords are throttled per account and per client
    address (429 with `Retry-After`, growing waits), the same way whether or not the account exists."""
    email = body.email.strip().lower()
    address = request.client.host if request.client else ""
    by_account, by_address = throttle.login_rules(ctx.settings)
    now = ctx.clock.now()
    throttle.charge(db, [(by_account, email), (by_address, address)], now, address=address)
    user = db.scalar(select(User).where(func.lower(User.email) == email))
    db.commit()  # hold no lock while the password is checked (the attempt is already counted)
    ok = verify_password(user.password_hash, body.password) if user is not None else verify_nobody(body.password)
    if user is None or not user.active or not ok:
        raise Unauthorized("Wrong email or password. Check both and try again.")
    throttle.clear(db, by_account, email)
    throttle.refund(db, by_address, address, now)
    token = new_token()
    expires = now + timedelta(hours=ctx.settings.token_ttl_hours)
    db.add(ApiToken(token_hash=token_hash(token), user_id=user.id, created_at=now, expires_at=expires))
    db.commit()
    return {"token": token, "expires_at": expires, "user": user_public(user)}


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> dict[str, Any]:
    """Who the token belongs to."""
    return user_public(user)


@router.post("/logout", status_code=204)
def logout(user: CurrentUser, ctx: Ctx, db: Db) -> None:
    """Revoke every token of the signed-in user on this device class (all tokens)."""
    for row in db.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
        row.expires_at = ctx.clock.now()
    db.commit()
