"""Crew endpoints for the console: reassign candidates ranked by ETA, and a technician's recent breadcrumbs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from models.crew import crew_standing
from models.enums import FIX_SOURCE_LABELS
from models.public.appointments import BreadcrumbPublic, ReassignCandidatePublic
from models.tables import Appointment, LatestPosition, Position, Technician
from models.timefmt import day_bounds, today
from services.backend.deps import Ctx, Db, Dispatcher
from services.backend.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["dispatcher"])


@router.get("/appointments/{appt_id}/reassign-candidates", response_model=list[ReassignCandidatePublic])
def reassign_candidates(appt_id: int, user: Dispatcher, ctx: Ctx, db: Db) -> list[dict[str, Any]]:
    """The other active technicians, fastest to the job site first (ETA from their latest position).

    Each carries their current status (working, on site, en route, dispatched, available, done for today),
    current and next job, and the age of their last fix. Technicians without a position come last.
    """
    appt = db.get(Appointment, appt_id)
    if appt is None:
        raise NotFound(f"No appointment {appt_id}.")
    now = ctx.clock.now()
    tz = ctx.company(db).time_zone
    start, end = day_bounds(today(now, tz), tz)
    techs = list(db.scalars(select(Technician).where(Technician.active.is_(True),
                                                     Technician.id != (appt.technician_id or -1))))
    latest = {p.technician_id: p for p in db.scalars(select(LatestPosition))}
    day: dict[int, list[dict[str, Any]]] = {}
    for a in db.scalars(select(Appointment).where(Appointment.window_start >= start, Appointment.window_start < end,
                                                  Appointment.technician_id.is_not(None))):
        day.setdefault(int(a.technician_id or 0), []).append(
            {"id": a.id, "status": a.status, "window_start": a.window_start, "customer_name": a.job.customer.name})
    out = []
    for t in techs:
        standing = crew_standing(day.get(t.id, []))
        pos = latest.get(t.id)
        row: dict[str, Any] = {
            "technician_id": t.id, "name": t.name, "phone": t.phone, "status": standing["status"],
            "status_label": standing["status_label"], "jobs_today": len(day.get(t.id, [])),
            "current_job": _brief(standing["current"]), "next_job": _brief(standing["next"]),
            "eta_seconds": None, "eta_minutes": None, "distance_m": None, "eta_provider": None,
            "last_fix_age_s": None, "last_fix_source_label": None,
        }
        if pos is not None:
            row["last_fix_age_s"] = max(0.0, (now - pos.recorded_at).total_seconds())
            row["last_fix_source_label"] = FIX_SOURCE_LABELS.get(pos.source, pos.source)
            if appt.site_lat is not None and appt.site_lng is not None:
                res = ctx.eta.estimate(pos.lat, pos.lng, appt.site_lat, appt.site_lng)
                row.update(eta_seconds=round(res.seconds), eta_minutes=max(1, round(res.seconds / 60)),
                           distance_m=round(res.meters), eta_provider=res.provider)
        out.append(row)
    out.sort(key=lambda r: (r["eta_seconds"] is None, r["eta_seconds"] or 0, r["name"]))
    return out


def _brief(a: dict[str, Any] | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {k: a[k] for k in ("id", "status", "window_start", "customer_name")}


@router.get("/crew/{tech_id}/breadcrumbs", response_model=list[BreadcrumbPublic])
def breadcrumbs(tech_id: int, user: Dispatcher, ctx: Ctx, db: Db,
                minutes: int = Query(default=120, ge=1, le=1440)) -> list[dict[str, Any]]:
    """A technician's recorded fixes over the last `minutes`, oldest first (at most 2,000)."""
    if db.get(Technician, tech_id) is None:
        raise NotFound(f"No technician {tech_id}.")
    since = ctx.clock.now() - timedelta(minutes=minutes)
    rows = db.scalars(select(Position).where(Position.technician_id == tech_id, Position.recorded_at >= since)
                      .order_by(Position.recorded_at.desc()).limit(2000))
    return [{"lat": p.lat, "lng": p.lng, "recorded_at": p.recorded_at} for p in reversed(list(rows))]
