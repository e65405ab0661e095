"""Skills, zones and a technician's day from the database, as the smart-dispatch rules' inputs."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.availability import BLOCKING, TimeOff, WorkingHours
from models.dispatch_rank import DayVisit, Place, Tech
from models.tables import (
    Appointment,
    Customer,
    Job,
    LatestPosition,
    ServiceSkill,
    Skill,
    Technician,
    TechnicianSkill,
    TimeEntry,
)
from models.timefmt import day_bounds
from services.backend.availability_data import hours_for, time_off_for

DONE = ("complete", "paused")


def skills_of(db: Session, tech_ids: Collection[int] | None = None) -> dict[int, list[str]]:
    """Skill names per technician (sorted)."""
    stmt = select(TechnicianSkill.technician_id, Skill.name).join(Skill, Skill.id == TechnicianSkill.skill_id)
    if tech_ids is not None:
        stmt = stmt.where(TechnicianSkill.technician_id.in_(list(tech_ids)))
    out: dict[int, list[str]] = {}
    for tid, name in db.execute(stmt.order_by(Skill.name)):
        out.setdefault(tid, []).append(name)
    return out


def required_for(db: Session, service_types: Iterable[str]) -> dict[str, list[str]]:
    """Skill names each service type requires, keyed by the lower-cased service type."""
    keys = list({(s or "").strip().lower() for s in service_types})
    out: dict[str, list[str]] = {k: [] for k in keys}
    if not keys:
        return out
    rows = db.execute(select(ServiceSkill.service_key, Skill.name).join(Skill, Skill.id == ServiceSkill.skill_id)
                      .where(ServiceSkill.service_key.in_(keys)).order_by(Skill.name))
    for key, name in rows:
        out.setdefault(key, []).append(name)
    return out


@dataclass
class DayVisitRow:
    visit: DayVisit
    technician_id: int | None
    version: int
    service_type: str
    required: tuple[str, ...] = ()


@dataclass
class Day:
    """Everything the rank and optimize rules need about one local day."""

    day: date
    tz: str
    techs: dict[int, Technician]
    hours: dict[int, WorkingHours]
    time_off: dict[int, list[TimeOff]]
    skills: dict[int, list[str]]
    visits: list[DayVisitRow]
    positions: dict[int, Place] = field(default_factory=dict)

    def rank_techs(self) -> list[Tech]:
        by_tech: dict[int, list[DayVisit]] = {}
        for r in self.visits:
            if r.technician_id is not None and r.visit.status in BLOCKING:
                by_tech.setdefault(r.technician_id, []).append(r.visit)
        return [Tech(t.id, t.name, tuple(by_tech.get(t.id, [])), self.positions.get(t.id), self.hours.get(t.id),
                     tuple(self.time_off.get(t.id, [])), frozenset(self.skills.get(t.id, [])))
                for t in self.techs.values()]


def load_day(db: Session, tz: str, day: date, tech_ids: Collection[int] | None = None) -> Day:
    """Active technicians (or those given), their hours, time off, skills and positions, and the day's visits."""
    start, end = day_bounds(day, tz)
    stmt = select(Technician).where(Technician.active.is_(True))
    if tech_ids is not None:
        stmt = select(Technician).where(Technician.id.in_(list(tech_ids)))
    techs = {t.id: t for t in db.scalars(stmt.order_by(Technician.name, Technician.id))}
    ids = list(techs)
    rows = db.execute(
        select(Appointment.id, Appointment.technician_id, Appointment.window_start, Appointment.window_end,
               Appointment.status, Customer.name, Appointment.site_lat, Appointment.site_lng, Appointment.eta_at,
               Appointment.pinned, Appointment.version, Job.service_type, TimeEntry.started_at)
        .join(Job, Appointment.job_id == Job.id).join(Customer, Job.customer_id == Customer.id)
        .outerjoin(TimeEntry, TimeEntry.appointment_id == Appointment.id)
        .where(Appointment.window_start < end, Appointment.window_end > start, Appointment.status != "cancelled")
        .order_by(Appointment.window_start, Appointment.id))
    visits = []
    for (aid, tid, ws, we, status, name, lat, lng, eta, pinned, version, service, started) in rows:
        site = Place(lat, lng) if lat is not None and lng is not None else None
        visits.append(DayVisitRow(DayVisit(aid, ws, we, status, name, site, started, eta, None, bool(pinned)),
                                  tid, version, service))
    need = required_for(db, (r.service_type for r in visits))
    for r in visits:
        r.required = tuple(need.get(r.service_type.strip().lower(), []))
    positions = {}
    for p in db.scalars(select(LatestPosition).where(LatestPosition.technician_id.in_(ids))):
        if p.recorded_at < end:  # the latest fix before the day ends (for a later day: where the truck parks)
            positions[p.technician_id] = Place(p.lat, p.lng)
    last_done: dict[int, Place] = {}  # no fix today: where their last finished visit was
    for r in visits:
        if r.technician_id in techs and r.visit.status in DONE and r.visit.site:
            last_done[r.technician_id] = r.visit.site
    for tid, site in last_done.items():  # a visit finished today says more than an old fix
        positions[tid] = site
    return Day(day, tz, techs, hours_for(db, ids), time_off_for(db, ids, start, end), skills_of(db, ids), visits,
               positions)


def drive_pairs(job_site: Place | None, techs: Iterable[Tech]) -> set[tuple[Place, Place]]:
    """Every (from, to) the ranking may ask for: each tech's position and visit sites to the job and on along
    their day (fetched in one batch from a network provider)."""
    pairs: set[tuple[Place, Place]] = set()
    for t in techs:
        pts = ([t.position] if t.position else []) + [v.site for v in t.visits if v.site]
        for a in pts:
            if job_site is not None:
                pairs.add((a, job_site))
                pairs.add((job_site, a))
        for a, b in zip(pts, pts[1:], strict=False):
            pairs.add((a, b))
    return pairs


def public_skill(s: Skill) -> dict[str, Any]:
    return {"id": s.id, "name": s.name}
