"""Idempotency-Key for field-app actions: a retry with the same key gets the first answer, nothing runs twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import IdempotencyKey
from services.backend.errors import Invalid

MAX_KEY = 200


def check_key(key: str | None) -> str | None:
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY:
        raise Invalid.field("Idempotency-Key", "must be 1–200 characters; use a fresh random value per change")
    return key.strip()


def replay(session: Session, user_id: int, key: str | None, request: str) -> dict[str, Any] | None:
    """The stored answer for this key, or None. A key first used for another request is refused (422)."""
    if not key:
        return None
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key))
    if row is None:
        return None
    stored = row.response or {}
    if stored.get("request") != request:
        raise Invalid.field("Idempotency-Key", "was already used for a different request; send a new key")
    return stored.get("body")


def remember(session: Session, user_id: int, key: str | None, request: str, body: dict[str, Any],
             now: datetime) -> None:
    """Store the answer in the caller's transaction (the unique key stops a concurrent duplicate)."""
    if key:
        session.add(IdempotencyKey(user_id=user_id, key=key, created_at=now,
                                   response={"request": request, "body": to_jsonable_python(body, fallback=str)}))
