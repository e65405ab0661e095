"""One throttle for everything a stranger can try over and over: passwords and sign-in-link requests.

Attempts are counted per key (an account's email, a client address, the address a sign-in link goes to) in
the database, so every replica sees the same counts. Each attempt is counted *before* it is checked, under a
row lock, so a burst of parallel requests cannot slip past the limit. After `free` attempts the key is locked;
every further attempt that is let through doubles the lock, up to `max_lock_s`. A key left alone for `forget_s`
starts over. While a key is locked the answer is 429 with `Retry-After`, whether or not an account exists.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from models.tables import ThrottleBucket
from services.backend.errors import TooMany
from services.backend.settings import Settings

#: Scopes of the keys (the `scope` column).
LOGIN_ACCOUNT = "login_account"
LOGIN_ADDRESS = "login_address"
LINK_RECIPIENT = "link_recipient"
LINK_ADDRESS = "link_address"


@dataclass(frozen=True)
class Rule:
    """How many attempts a key gets before a lock, and how long the locks last."""

    scope: str
    free: int
    lock_s: float
    max_lock_s: float
    forget_s: float = 3600.0

    def lock_for(self, attempts: int) -> float:
        """The lock after the `attempts`-th attempt (0 while still under the limit)."""
        if attempts < self.free:
            return 0.0
        return min(self.max_lock_s, self.lock_s * 2 ** min(attempts - self.free, 30))


def login_rules(settings: Settings) -> tuple[Rule, Rule]:
    """(per account, per client address) rules for password sign-in."""
    lock, cap = settings.login_lock_s, settings.login_max_lock_s
    return (Rule(LOGIN_ACCOUNT, settings.login_account_attempts, lock, cap),
            Rule(LOGIN_ADDRESS, settings.login_address_attempts, lock, cap))


#: Sign-in links: 5 per email/phone and 30 per client address, then 15 minutes, growing to an hour.
LINK_RULES = (Rule(LINK_RECIPIENT, 5, 900, 3600, forget_s=900), Rule(LINK_ADDRESS, 30, 900, 3600, forget_s=900))

#: How often (1 in N charges) stale rows are swept away.
_PRUNE_ONE_IN = 50


def _wait_text(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


def too_many(retry_after: int, what: str = "sign-in attempts") -> TooMany:
    retry_after = max(1, retry_after)
    return TooMany(f"Too many {what}. Wait {_wait_text(retry_after)} and try again.",
                   {"retry_after_s": retry_after}, headers={"Retry-After": str(retry_after)})


def _insert_missing(db: Session, scope: str, key: str, now: datetime) -> None:
    values = {"scope": scope, "key": key, "attempts": 0, "last_at": now, "last_address": ""}
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        db.execute(pg_insert(ThrottleBucket).values(**values).on_conflict_do_nothing(index_elements=["scope", "key"]))
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        db.execute(sqlite_insert(ThrottleBucket).values(**values).on_conflict_do_nothing(
            index_elements=["scope", "key"]))


def _locked_rows(db: Session, pairs: Sequence[tuple[Rule, str]], now: datetime) -> list[tuple[Rule, ThrottleBucket]]:
    """The rows of every key, created if missing and locked (in one order, so concurrent callers never deadlock)."""
    ordered = sorted(pairs, key=lambda p: (p[0].scope, p[1]))
    for rule, key in ordered:
        _insert_missing(db, rule.scope, key, now)
    out = []
    for rule, key in ordered:
        row = db.scalars(select(ThrottleBucket).where(ThrottleBucket.scope == rule.scope, ThrottleBucket.key == key)
                         .with_for_update().execution_options(populate_existing=True)).one()
        out.append((rule, row))
    return out


def charge(db: Session, pairs: Sequence[tuple[Rule, str]], now: datetime, *, address: str = "",
           what: str = "sign-in attempts") -> None:
    """Count one attempt against every key and commit; raise 429 (counting nothing) while any key is locked."""
    pairs = [(rule, key[:200]) for rule, key in pairs]
    rows = _locked_rows(db, pairs, now)
    waits = [(row.locked_until - now).total_seconds() for _, row in rows
             if row.locked_until is not None and row.locked_until > now]
    if waits:
        db.commit()  # the rows created above stay (empty); nothing is counted
        raise too_many(math.ceil(max(waits)), what)
    for rule, row in rows:
        if (now - row.last_at).total_seconds() >= rule.forget_s:
            row.attempts = 0
        row.attempts += 1
        row.last_at = now
        row.last_address = address[:64]
        lock = rule.lock_for(row.attempts)
        row.locked_until = now + timedelta(seconds=lock) if lock else None
    if random.randrange(_PRUNE_ONE_IN) == 0:
        prune(db, now)
    db.commit()


def clear(db: Session, rule: Rule, key: str) -> bool:
    """Forget a key (a successful sign-in, an administrator's unlock); True when there was something to forget."""
    n = db.execute(delete(ThrottleBucket).where(ThrottleBucket.scope == rule.scope,
                                                ThrottleBucket.key == key[:200])).rowcount
    return bool(n)


def refund(db: Session, rule: Rule, key: str, now: datetime) -> None:
    """Take back the attempt just counted (it succeeded): the key ends where it was before it."""
    row = db.scalars(select(ThrottleBucket).where(ThrottleBucket.scope == rule.scope,
                                                  ThrottleBucket.key == key[:200]).with_for_update()).one_or_none()
    if row is None:
        return
    row.attempts = max(0, row.attempts - 1)
    if row.attempts == 0:
        db.delete(row)
        return
    if row.attempts < rule.free:
        row.locked_until = None
    elif row.locked_until is not None:
        row.locked_until = row.last_at + timedelta(seconds=rule.lock_for(row.attempts))


def prune(db: Session, now: datetime) -> None:
    """Delete rows nobody has touched for a day and that hold no lock."""
    day_ago = now - timedelta(days=1)
    db.execute(delete(ThrottleBucket).where(
        ThrottleBucket.last_at < day_ago,
        or_(ThrottleBucket.locked_until.is_(None), ThrottleBucket.locked_until < now)))


def locked(db: Session, scope: str, now: datetime) -> list[ThrottleBucket]:
    """Keys of a scope that are locked right now, longest lock first."""
    return list(db.scalars(select(ThrottleBucket).where(ThrottleBucket.scope == scope,
                                                        ThrottleBucket.locked_until > now)
                           .order_by(ThrottleBucket.locked_until.desc())))
