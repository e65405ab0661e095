"""How an appointment is read before it is changed: locked and current.

Every status change — field app, console, geofence, watchdog — and every other write to an appointment row
reads it with `locked`/`lock`: SELECT … FOR UPDATE, re-read from the database rather than taken from the
session. Of two concurrent changes the second waits for the first to commit, then decides again on what the
first left (a geofence arrival for a visit cancelled a moment ago finds nothing to arrive at). Besides, every
UPDATE of an appointment compares and sets its version (models/tables.py), and each status change records the
version it produced, unique per appointment: a history cannot fork even if a path forgot the lock.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from models.tables import Appointment


def locked(stmt: Select[tuple[Appointment]], *, skip_locked: bool = False) -> Select[tuple[Appointment]]:
    """`stmt` locking the appointment rows it returns until the transaction ends, each re-read from the database.

    With `skip_locked`, rows another transaction is changing right now are left out (background passes).
    """
    return (stmt.with_for_update(of=Appointment, skip_locked=skip_locked)
            .execution_options(populate_existing=True))


def lock(session: Session, appt_id: int) -> Appointment | None:
    """One appointment, locked and current (None if there is no such appointment)."""
    return session.scalar(locked(select(Appointment).where(Appointment.id == appt_id)))
