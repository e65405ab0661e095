"""Geofence rules run on new fixes: arrival at the job site, leaving the previous job → En Route.

The evidence rule itself lives in models/geo.py and is documented in docs/geofence.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import AppointmentStatus as S
from models.enums import Source
from models.geo import ArrivalEvidence, GeoState
from models.schemas import PositionIn
from models.tables import Appointment, LatestPosition
from services.backend.appointment_ops import change_status
from services.backend.audit import SYSTEM
from services.backend.context import Backend
from services.backend.locking import locked

PREVIOUS_SITE_HOURS = 3


def _active(session: Session, technician_id: int) -> list[Appointment]:
    """The tech's dispatched and en-route appointments, locked and current: a visit cancelled or started a moment
    ago (on any replica) is not among them, and none can change under the rule until this batch commits."""
    return list(session.scalars(locked(
        select(Appointment)
        .where(Appointment.technician_id == technician_id,
               Appointment.status.in_([S.DISPATCHED.value, S.EN_ROUTE.value]))
        .order_by(Appointment.window_start, Appointment.id))))


def _previous_site(session: Session, technician_id: int, now: datetime) -> Appointment | None:
    """The job the tech is at or worked on in the last few hours (departure is measured from its site).

    Older jobs do not count: a tech starting the day at home must not look like they just left yesterday's job.
    """
    return session.scalar(
        select(Appointment)
        .where(Appointment.technician_id == technician_id,
               Appointment.status.in_([S.ARRIVED.value, S.IN_PROGRESS.value, S.PAUSED.value, S.COMPLETE.value]),
               Appointment.updated_at >= now - timedelta(hours=PREVIOUS_SITE_HOURS))
        .order_by(Appointment.updated_at.desc())
        .limit(1)
    )


def _watched(candidates: list[Appointment]) -> list[Appointment]:
    """Where an arrival can happen: the jobs the tech is driving to, else their next dispatched job only
    (parking near a customer booked for this afternoon must not mark that visit arrived)."""
    en_route = [a for a in candidates if a.status == S.EN_ROUTE.value]
    if en_route:
        return en_route
    return [a for a in candidates if a.status == S.DISPATCHED.value][:1]


def evaluate(
    session: Session, ctx: Backend, technician_id: int, fixes: Sequence[PositionIn], latest: LatestPosition | None
) -> tuple[dict[str, Any], list[Appointment]]:
    """Advance the geofence state with new fixes (in recorded order) and move the statuses the rule allows.

    Returns the new state (the caller stores it on the technician's latest position) and the technician's
    dispatched / en-route appointments (with their statuses after this batch).
    """
    radius = float(ctx.setting(session, "geofence_radius_m"))
    max_acc = float(ctx.setting(session, "gps_max_accuracy_m"))
    state = GeoState.from_dict(latest.geo_state if latest else {})
    candidates = _active(session, technician_id)
    now = ctx.clock.now()
    if state.site_check_due(now):
        state.site_checked_at = now.isoformat()
        prev = _previous_site(session, technician_id, now)
        if prev is not None and prev.site_lat is not None and prev.site_lng is not None:
            state.mark_at_site(prev.id, prev.site_lat, prev.site_lng)
    for fix in fixes:
        for appt in _watched(candidates):
            if appt.site_lat is None or appt.site_lng is None:
                continue
            verdict = state.observe(appt.id, appt.site_lat, appt.site_lng, fix.lat, fix.lng, fix.accuracy_m,
                                    fix.recorded_at, radius=radius, max_accuracy=max_acc,
                                    speed_mps=fix.speed_mps)
            if verdict is ArrivalEvidence.ARRIVED:
                change_status(session, ctx, appt, S.ARRIVED, SYSTEM, Source.GEOFENCE)
        if state.left_site(fix.lat, fix.lng, fix.accuracy_m, radius=radius, max_accuracy=max_acc) is not None:
            nxt = next((a for a in candidates if a.status == S.DISPATCHED.value), None)
            if nxt is not None and not any(a.status == S.EN_ROUTE.value for a in candidates):
                change_status(session, ctx, nxt, S.EN_ROUTE, SYSTEM, Source.GEOFENCE)
        if fix.accuracy_m <= max_acc:
            state.remember(fix.lat, fix.lng, fix.recorded_at)
    return state.to_dict(), candidates
