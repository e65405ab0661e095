"""Tracker links: appointment-scoped, ≥128 random bits, expired when the visit ends."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import TrackerLink


def ensure_link(session: Session, appointment_id: int, now: datetime) -> TrackerLink:
    link = session.scalar(select(TrackerLink).where(TrackerLink.appointment_id == appointment_id))
    if link is None:
        link = TrackerLink(token=secrets.token_urlsafe(24), appointment_id=appointment_id, created_at=now)
        session.add(link)
        session.flush()
    return link


def expire_link(session: Session, appointment_id: int, now: datetime) -> None:
    link = session.scalar(select(TrackerLink).where(TrackerLink.appointment_id == appointment_id))
    if link is not None and link.expired_at is None:
        link.expired_at = now
