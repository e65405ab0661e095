"""How a LATE alert ended, recorded on the alert for the Insights figures (models.insights.LateCause).

Called where LATE alerts are resolved (a status change, a dispatcher's Resolve) and where a dispatcher
reassigns or reschedules a visit. The first ending wins; the technician and window start the visit had when it
ran late are kept, because a reassignment or a reschedule changes the appointment afterwards.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import AlertKind
from models.insights import LateCause, late_cause_for_status
from models.tables import Alert, Appointment
from models.timefmt import parse_iso


def _keep_visit(alert: Alert, technician_id: int | None, window_start: datetime) -> None:
    if alert.window_start is None:
        alert.window_start = window_start
        alert.technician_id = technician_id


def _end(alert: Alert, cause: LateCause, now: datetime) -> None:
    alert.cause = alert.cause or cause.value
    if alert.ended_at is None:
        alert.ended_at = now


def on_status(alert: Alert, appt: Appointment, now: datetime) -> None:
    """The visit reached `appt.status` (on site, closed or cancelled) while its LATE alert was open."""
    _keep_visit(alert, appt.technician_id, appt.window_start)
    _end(alert, late_cause_for_status(appt.status), now)


def on_dispatcher_resolve(session: Session, alert: Alert, now: datetime) -> None:
    """A dispatcher closed the alert by hand: "acknowledged only" unless something else ended it first."""
    if alert.kind != AlertKind.LATE:
        return
    appt = session.get(Appointment, alert.appointment_id) if alert.appointment_id is not None else None
    if appt is not None:
        _keep_visit(alert, appt.technician_id, appt.window_start)
    _end(alert, LateCause.ACKNOWLEDGED, now)


def on_appointment_changed(session: Session, appt: Appointment, changes: dict[str, Any], now: datetime) -> None:
    """A dispatcher reassigned and/or rescheduled `appt`; `changes` holds [before, after] as in the audit log.

    Reassigning marks the open LATE alert "reassigned" (the wait goes on until someone arrives); rescheduling
    marks it "rescheduled" and ends the wait (the customer has a new time).
    """
    if "technician_id" not in changes and "window" not in changes:
        return
    alert = session.scalar(select(Alert).where(Alert.appointment_id == appt.id, Alert.kind == AlertKind.LATE,
                                               Alert.is_open.is_(True)))
    if alert is None:
        return
    tech = changes["technician_id"][0] if "technician_id" in changes else appt.technician_id
    start = parse_iso(changes["window"][0][0]) if "window" in changes else appt.window_start
    _keep_visit(alert, tech, start)
    if "technician_id" in changes:
        alert.cause = alert.cause or LateCause.REASSIGNED.value
    if "window" in changes:
        _end(alert, LateCause.RESCHEDULED, now)
