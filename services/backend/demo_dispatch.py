"""The demo company's skills, service requirements and zones: each technician has a trade (plumbing, HVAC or
electrical) and whatever the visits already booked with them need, so the demo board starts without skill clashes
while "who is best" and Optimize day have real skills to weigh."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import Appointment, Job, ServiceSkill, Skill, Technician, TechnicianSkill, Zone

SKILLS = ["HVAC", "Plumbing", "Electrical", "EPA 608"]
REQUIRES = {"AC tune-up": ["HVAC", "EPA 608"], "Furnace repair": ["HVAC"], "Duct cleaning": ["HVAC"],
            "Panel upgrade": ["Electrical"], "Leak repair": ["Plumbing"], "Water heater service": ["Plumbing"]}
TRADES = [["Plumbing"], ["HVAC", "EPA 608"], ["Electrical"], ["Plumbing", "HVAC"]]
ZONES = [("Downtown", "#0072B2", ["78701", "78702", "78703"]),
         ("North", "#009E73", ["78705", "78723", "78731", "78751", "78757"]),
         ("South", "#D55E00", ["78704", "78741", "78745"])]


def seed_skills_and_zones(session: Session, techs: Sequence[Technician], now: datetime) -> None:
    skills = {name: Skill(name=name, name_key=name.lower(), created_at=now) for name in SKILLS}
    session.add_all(skills.values())
    session.flush()
    for service, names in REQUIRES.items():
        for n in names:
            session.add(ServiceSkill(service_key=service.lower(), skill_id=skills[n].id, service_type=service))
    booked: dict[int, set[str]] = {}
    rows = session.execute(select(Appointment.technician_id, Job.service_type).join(Job)
                           .where(Appointment.technician_id.is_not(None), Appointment.status != "cancelled"))
    for tid, service in rows:
        booked.setdefault(int(tid), set()).update(REQUIRES.get(service, []))
    for i, t in enumerate(techs):
        have = set(TRADES[i % len(TRADES)]) | booked.get(t.id, set())
        for n in sorted(have):
            session.add(TechnicianSkill(technician_id=t.id, skill_id=skills[n].id))
    for name, color, zips in ZONES:
        session.add(Zone(name=name, name_key=name.lower(), color=color, polygon=[], zips=zips, created_at=now,
                         updated_at=now))
    session.flush()
