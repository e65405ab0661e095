"""FastAPI dependencies: the backend context, a database session, the signed-in user and role checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Role
from models.tables import ApiToken, User
from services.backend.context import Backend
from services.backend.contract import answers
from services.backend.errors import Forbidden, Unauthorized
from services.backend.security import token_hash


async def get_ctx(request: Request) -> Backend:
    """The backend context (async: nothing to wait for, so no worker-thread hop per request)."""
    return request.app.state.backend


Ctx = Annotated[Backend, Depends(get_ctx)]


def get_db(ctx: Ctx) -> Iterator[Session]:
    session = ctx.sessions()
    try:
        yield session
    finally:
        session.close()


Db = Annotated[Session, Depends(get_db)]


@answers(401)
def current_user(request: Request, ctx: Ctx) -> User:
    """The signed-in user, read outside the request's own transaction (returned detached, columns loaded)."""
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Sign in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/login.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with ctx.reader() as db:
        row = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token.strip())))
        if row is None or row.expires_at <= ctx.clock.now():
            raise Unauthorized(
                "Your session has expired or the token is not valid. Sign in again.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        user = db.get(User, row.user_id)
        if user is None or not user.active:
            raise Unauthorized("This account is disabled. Ask an administrator.")
        db.commit()  # end the snapshot (commit, not rollback: rollback would expire the loaded columns)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


@answers(403)
async def dispatcher(user: CurrentUser) -> User:
    if user.role not in (Role.DISPATCHER, Role.ADMIN):
        raise Forbidden("Only dispatchers and administrators can do this.")
    return user


@answers(403)
async def admin(user: CurrentUser) -> User:
    if user.role != Role.ADMIN:
        raise Forbidden("Only administrators can change company-wide settings.")
    return user


@answers(403)
def technician(user: CurrentUser) -> User:
    if user.role != Role.TECHNICIAN or user.technician_id is None:
        raise Forbidden("This is the technicians' field-app API; sign in with a technician account.")
    return user


Dispatcher = Annotated[User, Depends(dispatcher)]
Admin = Annotated[User, Depends(admin)]
Tech = Annotated[User, Depends(technician)]
