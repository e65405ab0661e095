"""The audit log of everything that is not a status change (status changes are StatusEvent rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.enums import Actor, Role
from models.tables import AuditLog, Customer, User


@dataclass(frozen=True)
class Who:
    """Who is acting: actor kind, user id and display name."""

    actor: Actor
    actor_id: int | None = None
    name: str = ""


SYSTEM = Who(Actor.SYSTEM, None, "System")


def who(user: User) -> Who:
    """A signed-in user as an actor (administrators act as dispatchers)."""
    return Who(Actor.TECHNICIAN if user.role == Role.TECHNICIAN else Actor.DISPATCHER, user.id, user.name)


def audit(session: Session, now: datetime, action: str, target_type: str, target_id: int | None,
          by: User | Customer | Who, details: dict[str, Any] | None = None) -> AuditLog:
    """Record `action` on a target by a signed-in user, a portal customer or a named actor (in this transaction)."""
    if isinstance(by, Customer):
        actor, actor_id, name = "customer", by.id, by.name
    else:
        w = who(by) if isinstance(by, User) else by
        actor, actor_id, name = w.actor.value, w.actor_id, w.name
    row = AuditLog(action=action, target_type=target_type, target_id=target_id, actor=actor, actor_id=actor_id,
                   actor_name=name, details=details or {}, created_at=now)
    session.add(row)
    return row
