"""Sign-in for dispatchers, admins and technicians."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select

from models.schemas import LoginIn
from models.tables import ApiToken, User
from services.backend.deps import Ctx, CurrentUser, Db
from services.backend.errors import Unauthorized
from services.backend.security import new_token, token_hash, verify_password

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


def user_public(user: User) -> dict[str, Any]:
    return {
        "id": user.id, "name": user.name, "role": user.role, "email": user.email,
        "technician_id": user.technician_id,
    }


@router.post("/login")
def login(body: LoginIn, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Exchange email and password for a bearer token."""
    user = db.scalar(select(User).where(func.lower(User.email) == body.email.strip().lower()))
    if user is None or not user.active or not verify_password(user.password_hash, body.password):
        raise Unauthorized("Wrong email or password. Check both and try again.")
    token = new_token()
    now = ctx.clock.now()
    expires = now + timedelta(hours=ctx.settings.token_ttl_hours)
    db.add(ApiToken(token_hash=token_hash(token), user_id=user.id, created_at=now, expires_at=expires))
    db.commit()
    return {"token": token, "expires_at": expires, "user": user_public(user)}


@router.get("/me")
def me(user: CurrentUser) -> dict[str, Any]:
    """Who the token belongs to."""
    return user_public(user)


@router.post("/logout", status_code=204)
def logout(user: CurrentUser, ctx: Ctx, db: Db) -> None:
    """Revoke every token of the signed-in user on this device class (all tokens)."""
    for row in db.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
        row.expires_at = ctx.clock.now()
    db.commit()
