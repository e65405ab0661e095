"""ETAs: every estimate goes through the backend's one provider (`ctx.eta`, built from the settings in
services/eta.py, which also falls back to the configured offline estimate). While a technician is en route their
ETA is stored on the appointment, recomputed every 2 minutes and after a big jump, outside the write transaction.

Network ETA providers can take seconds; a position batch or watchdog pass must never hold the database
write lock while one answers. So ingest only *decides* (is_due) and returns jobs; the caller estimates
after its commit and writes the result in a short transaction of its own.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import AppointmentStatus as S
from models.geo import distance_m
from models.lateness import awaiting_arrival
from models.tables import Appointment, LatestPosition
from services.backend.context import Backend
from services.backend.db import session_scope
from services.backend.events import publish_appointment
from services.backend.locking import locked

log = logging.getLogger(__name__)
REFRESH_S = 120.0  # the tracker's ETA refreshes every 2 minutes while en route
JUMP_M = 500.0  # a fix this far from where the ETA was computed recomputes it at once


def current_eta(ctx: Backend, appt: Appointment, fix: LatestPosition | None, now: datetime) -> datetime | None:
    """When the technician should reach the site, while they have not arrived: the stored en-route ETA, else an
    estimate from their latest fix (None without a fix or site coordinates, and once they have arrived)."""
    if not awaiting_arrival(appt.status):
        return None
    if appt.status == S.EN_ROUTE.value and appt.eta_at is not None:
        return appt.eta_at
    if fix is None or appt.site_lat is None or appt.site_lng is None:
        return None
    return now + timedelta(seconds=ctx.eta.estimate(fix.lat, fix.lng, appt.site_lat, appt.site_lng).seconds)


def store_eta(session: Session, ctx: Backend, appt: Appointment, now: datetime) -> datetime | None:
    """Estimate from the tech's latest fix now and keep it on the appointment (None without a fix or site)."""
    if appt.technician_id is None or appt.site_lat is None or appt.site_lng is None:
        return None
    pos = session.get(LatestPosition, appt.technician_id)
    if pos is None:
        return None
    res = ctx.eta.estimate(pos.lat, pos.lng, appt.site_lat, appt.site_lng)
    appt.eta_at = now + timedelta(seconds=res.seconds)
    appt.eta_computed_at = now
    appt.eta_from_lat, appt.eta_from_lng = pos.lat, pos.lng
    return appt.eta_at


def is_due(appt: Appointment, lat: float, lng: float, now: datetime) -> bool:
    if appt.site_lat is None or appt.site_lng is None:
        return False
    if appt.eta_computed_at is None or appt.eta_from_lat is None or appt.eta_from_lng is None:
        return True
    if (now - appt.eta_computed_at).total_seconds() >= REFRESH_S:
        return True
    return distance_m(appt.eta_from_lat, appt.eta_from_lng, lat, lng) >= JUMP_M


def job(appt: Appointment, lat: float, lng: float) -> dict[str, Any] | None:
    if appt.site_lat is None or appt.site_lng is None:
        return None
    return {"appointment_id": appt.id, "from": [lat, lng], "to": [appt.site_lat, appt.site_lng]}


def refresh(ctx: Backend, jobs: list[dict[str, Any]]) -> int:
    """Estimate each job (no transaction open), then store the ETAs of appointments still en route."""
    results = [(j, ctx.eta.estimate(*j["from"], *j["to"])) for j in jobs]
    if not results:
        return 0
    done = 0
    with session_scope(ctx.sessions) as session:
        now = ctx.clock.now()
        for j, res in results:
            # Locked and current; one being changed right now is left to that change (skipped here).
            appt = session.scalar(locked(select(Appointment).where(Appointment.id == j["appointment_id"]),
                                         skip_locked=True))
            if appt is None or appt.status != S.EN_ROUTE.value:
                continue
            appt.eta_at = now + timedelta(seconds=res.seconds)
            appt.eta_computed_at = now
            appt.eta_from_lat, appt.eta_from_lng = j["from"]
            publish_appointment(session, appt, now, eta_at=appt.eta_at, eta_provider=res.provider)
            done += 1
    return done


_running: set[int] = set()
_lock = threading.Lock()


def check_etas(session: Session, ctx: Backend, now: datetime) -> int:
    """Watchdog check: en-route ETAs older than 2 min (e.g. the phone went quiet) are refreshed in the
    background — one refresh per backend at a time, never inside the watchdog's transaction."""
    stale = now - timedelta(seconds=REFRESH_S)
    rows = session.execute(
        select(Appointment, LatestPosition)
        .join(LatestPosition, LatestPosition.technician_id == Appointment.technician_id)
        .where(Appointment.status == S.EN_ROUTE.value,
               (Appointment.eta_computed_at.is_(None)) | (Appointment.eta_computed_at <= stale))
    ).all()
    jobs = [j for a, p in rows if (j := job(a, p.lat, p.lng)) is not None]
    if not jobs:
        return 0
    key = id(ctx)
    with _lock:
        if key in _running:
            return 0
        _running.add(key)

    def work() -> None:
        try:
            refresh(ctx, jobs)
        except Exception:
            log.exception("ETA refresh failed")
        finally:
            with _lock:
                _running.discard(key)

    threading.Thread(target=work, name="eta-refresh", daemon=True).start()
    return 0
