"""Embedded mode: sign in as the local dispatcher in-process, without a password dialog.

The local user owns this single-seat install, so it is an admin (it may change company settings); its status
changes are audited as `dispatcher`, like every staff change.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from models.enums import Role
from models.tables import ApiToken, User
from services.backend.context import Backend
from services.backend.security import hash_password, new_token, token_hash

LOCAL_EMAIL = "local-dispatcher@localhost"
LOCAL_NAME = "Local Dispatcher"


def user_token(backend: Backend, email: str, *, days: int = 3650) -> tuple[str, dict[str, str]] | None:
    """A bearer token for an existing account (the demo's dispatcher desk signs in as a demo account, so every
    change it makes is attributed to someone who appears in the demo); None when there is no such user."""
    now = backend.clock.now()
    with backend.sessions() as s:
        user = s.scalar(select(User).where(User.email == email))
        if user is None:
            return None
        token = new_token()
        s.add(ApiToken(token_hash=token_hash(token), user_id=user.id, created_at=now,
                       expires_at=now + timedelta(days=days)))
        s.commit()
        return token, {"name": user.name, "role": str(user.role.value if hasattr(user.role, "value") else user.role)}


def local_dispatcher_token(backend: Backend, *, days: int = 3650) -> str:
    """Create the local dispatcher if missing and mint a bearer token for it (stored hashed, like any token)."""
    now = backend.clock.now()
    with backend.sessions() as s:
        user = s.scalar(select(User).where(User.email == LOCAL_EMAIL))
        if user is None:
            user = User(email=LOCAL_EMAIL, name=LOCAL_NAME, role=Role.ADMIN,
                        password_hash=hash_password(secrets.token_urlsafe(32)), created_at=now)
            s.add(user)
            s.flush()
        elif user.role != Role.ADMIN:
            user.role = Role.ADMIN
        token = new_token()
        s.add(ApiToken(token_hash=token_hash(token), user_id=user.id, created_at=now,
                       expires_at=now + timedelta(days=days)))
        s.commit()
    return token
