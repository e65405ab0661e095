"""The booking-conflict rule enforced where appointments are created or moved.

One call, `enforce(db, ctx, appt, allow_conflicts=…, who=…)`, after the appointment row holds its new
technician and window and before the commit: it locks the technician's row (two consoles booking the same
tech serialise, so they can't race into a double booking), runs the rule of models/availability.py, and either
raises a 409 `schedule_conflict` listing every conflict or, with `allow_conflicts`, records the override in the
audit log and returns what was overridden.
"""

from __future__ import annotations

from collections.abc import Collection

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.availability import BLOCKING, Conflict
from models.tables import Appointment, Technician
from services.backend.audit import Who, audit
from services.backend.availability_data import check
from services.backend.context import Backend
from services.backend.dispatch_data import required_for, skills_of
from services.backend.errors import Conflict as ConflictError
from services.backend.errors import Invalid


class ScheduleConflict(ConflictError):
    code = "schedule_conflict"


def conflict_error(tech_name: str, found: list[Conflict], flag: str = "allow_conflicts") -> ScheduleConflict:
    """The 409 a refused booking answers: every conflict in words, and how to book anyway (`flag`: true)."""
    return ScheduleConflict(
        f"{tech_name} has a conflict at that time: " + "; ".join(c.message for c in found)
        + f". Pick another time or technician, or send {flag}: true to book anyway.",
        {"conflicts": [c.to_dict() for c in found]})


def enforce(db: Session, ctx: Backend, appt: Appointment, *, allow_conflicts: bool, who: Who,
            required_skills: Collection[str] = (), offered_skills: Collection[str] = (),
            flag: str = "allow_conflicts") -> list[Conflict]:
    """Refuse (409) or record (audited override) the conflicts of `appt` as it now stands; [] when none.

    Unassigned appointments and ones that no longer occupy a tech (complete, paused, cancelled) never conflict.
    """
    if appt.technician_id is None or appt.status not in BLOCKING:
        return []
    # FOR NO KEY UPDATE: bookings of one technician queue here, yet the key-share lock the appointment's own
    # INSERT/UPDATE already took on this row (its foreign key) doesn't turn two racing bookings into a deadlock.
    tech = db.scalar(select(Technician).where(Technician.id == appt.technician_id).with_for_update(key_share=True))
    if tech is None:
        raise Invalid.field("technician_id", f"no technician {appt.technician_id}")
    if appt.id is None:
        db.flush()
    tz = ctx.company(db).time_zone
    if not required_skills:  # what the job's service type requires (smart dispatch) and what the tech has
        key = appt.job.service_type.strip().lower()
        required_skills = required_for(db, [key]).get(key, [])
        offered_skills = skills_of(db, [tech.id]).get(tech.id, []) if required_skills else offered_skills
    found = check(db, tz, tech, appt.window_start, appt.window_end, exclude_id=appt.id,
                  required_skills=required_skills, offered_skills=offered_skills)
    if not found:
        return []
    if not allow_conflicts:
        raise conflict_error(tech.name, found, flag)
    audit(db, ctx.clock.now(), "appointment.conflicts_overridden", "appointment", appt.id, who,
          to_jsonable_python({"technician_id": tech.id, "conflicts": [c.to_dict() for c in found]}))
    return found
