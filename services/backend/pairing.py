"""One-time pairing links: the console shows one as a QR code; opening it signs a phone in as that technician."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import Role
from models.tables import PairingLink, Technician, User
from services.backend.security import new_token, token_hash

TTL = timedelta(minutes=10)


def create(session: Session, technician: Technician, now: datetime, created_by: str) -> tuple[PairingLink, str]:
    """A link with a 256-bit token, valid for 10 minutes, usable once. Returns the row and the raw token."""
    token = new_token()
    link = PairingLink(token_hash=token_hash(token), technician_id=technician.id, created_by=created_by,
                       created_at=now, expires_at=now + TTL)
    session.add(link)
    session.flush()
    return link, token


def peek(session: Session, token: str, now: datetime) -> PairingLink | None:
    """The link if it can still be used (not expired, not used), without using it."""
    if not token or len(token) > 200:
        return None
    link = session.scalar(select(PairingLink).where(PairingLink.token_hash == token_hash(token)))
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    return link


def redeem(session: Session, token: str, now: datetime) -> tuple[PairingLink, User] | None:
    """Use the link once (row-locked, so two phones racing cannot both succeed) and return the tech's account."""
    if not token or len(token) > 200:
        return None
    link = session.scalar(select(PairingLink).where(PairingLink.token_hash == token_hash(token))
                          .with_for_update())
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    tech = session.get(Technician, link.technician_id)
    if tech is None or not tech.active:
        return None
    user = field_account(session, tech, now)
    if user is None:
        return None
    link.used_at = now
    return link, user


def field_account(session: Session, tech: Technician, now: datetime) -> User | None:
    """The technician's field-app account; a technician added without a password gets one that only pairing can
    sign in (no password works for it). None when their account was disabled."""
    users = list(session.scalars(select(User).where(User.technician_id == tech.id).order_by(User.id)))
    if users:
        return next((u for u in users if u.active), None)
    email = tech.email.strip().lower()
    if not email or session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        email = f"technician-{tech.id}@paired.invalid"
    user = User(email=email, name=tech.name, role=Role.TECHNICIAN, technician_id=tech.id,
                password_hash="!paired-only", created_at=now)
    session.add(user)
    session.flush()
    return user
