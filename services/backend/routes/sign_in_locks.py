"""Accounts locked by the sign-in throttle: dispatchers see them, an administrator can unlock one (audited)."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select

from models.enums import Role
from models.public.staff import LockedAccountPublic, UnlockedPublic
from models.tables import ThrottleBucket, User
from services.backend import throttle
from services.backend.audit import audit
from services.backend.deps import Ctx, Db, Dispatcher
from services.backend.errors import Forbidden, NotFound

router = APIRouter(prefix="/api/v1/users", tags=["dispatcher"])


def lock_public(user: User, row: ThrottleBucket, now: Any) -> dict[str, Any]:
    locked_until = row.locked_until
    wait = math.ceil((locked_until - now).total_seconds()) if locked_until is not None else 0
    return {"id": user.id, "name": user.name, "email": user.email, "role": user.role,
            "failed_attempts": row.attempts, "last_failure_at": row.last_at, "last_address": row.last_address,
            "locked_until": locked_until, "retry_after_s": max(0, wait)}


@router.get("/locked", response_model=list[LockedAccountPublic])
def locked_accounts(user: Dispatcher, ctx: Ctx, db: Db) -> list[dict[str, Any]]:
    """Staff and technician accounts that cannot sign in right now because of wrong passwords, longest lock
    first (accounts that do not exist are never listed)."""
    now = ctx.clock.now()
    rows = throttle.locked(db, throttle.LOGIN_ACCOUNT, now)
    if not rows:
        return []
    users = {u.email.strip().lower(): u for u in db.scalars(
        select(User).where(func.lower(User.email).in_([r.key for r in rows])))}
    return [lock_public(users[r.key], r, now) for r in rows if r.key in users]


@router.post("/{user_id}/unlock", response_model=UnlockedPublic)
def unlock(user_id: int, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Let an account sign in again at once (administrators only); its failed attempts are forgotten."""
    if user.role != Role.ADMIN:
        raise Forbidden("Only administrators can unlock accounts. Ask an administrator, or wait for the lock "
                        "to run out.")
    target = db.get(User, user_id)
    if target is None:
        raise NotFound(f"No user {user_id}.")
    by_account, _ = throttle.login_rules(ctx.settings)
    email = target.email.strip().lower()
    row = db.scalar(select(ThrottleBucket).where(ThrottleBucket.scope == by_account.scope,
                                                 ThrottleBucket.key == email))
    was_locked = row is not None and row.locked_until is not None and row.locked_until > ctx.clock.now()
    attempts = row.attempts if row is not None else 0
    throttle.clear(db, by_account, email)
    audit(db, ctx.clock.now(), "user.unlocked", "user", target.id, user,
          {"email": target.email, "failed_attempts": attempts, "was_locked": was_locked})
    db.commit()
    return {"id": target.id, "name": target.name, "email": target.email, "unlocked": True,
            "was_locked": was_locked}
