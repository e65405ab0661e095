"""The enforcement helper create/PATCH will call: 409 listing the conflicts, audited override, no racing."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.enums import Actor
from models.tables import Appointment, AuditLog, TimeOffRow
from services.backend.appointment_ops import Who
from services.backend.conflict_guard import ScheduleConflict, enforce
from tests.conftest import Api, World

TZ = ZoneInfo("America/Chicago")
DAY = date(2030, 6, 5)
DANA = Who(Actor.DISPATCHER, 1, "Dana Dispatcher")


def at(h: int, m: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, h, m, tzinfo=TZ)


def proposed(job_id: int, tech_id: int | None, start: datetime, end: datetime, status: str = "scheduled"
             ) -> Appointment:
    now = datetime.now(TZ)
    return Appointment(job_id=job_id, technician_id=tech_id, window_start=start, window_end=end, status=status,
                       version=1, created_at=now, updated_at=now, updated_by="Dana Dispatcher")


def test_refuses_with_every_conflict_or_records_the_override(api: Api, world: World) -> None:
    tech = world.tech1["id"]
    first = world.schedule(world.cust1["id"], tech, start=at(9), hours=2)
    ctx = api.server.backend
    with ctx.sessions() as s:
        s.add(TimeOffRow(technician_id=tech, starts_at=at(11, 30), ends_at=at(13), reason="dentist",
                         created_at=at(0)))
        appt = proposed(first["job_id"], tech, at(10), at(12))
        s.add(appt)
        s.flush()
        with pytest.raises(ScheduleConflict) as refused:
            enforce(s, ctx, appt, allow_conflicts=False, who=DANA)
        s.rollback()
    err = refused.value
    assert err.status == 409 and err.code == "schedule_conflict"
    assert err.message.startswith("Marcus Reed has a conflict at that time: Overlaps Ann Lee 9:00–11:00 AM by 1 h; "
                                  "Marcus is off 11:30 AM–1:00 PM: dentist.")
    assert "allow_conflicts" in err.message
    assert [c["kind"] for c in err.details["conflicts"]] == ["overlap", "time_off"]
    with ctx.sessions() as s:
        appt = proposed(first["job_id"], tech, at(10), at(12))
        s.add(appt)
        found = enforce(s, ctx, appt, allow_conflicts=True, who=DANA)
        s.commit()
        assert [c.kind.value for c in found] == ["overlap"]  # the time off was not committed
        log = s.scalars(select(AuditLog).where(AuditLog.action == "appointment.conflicts_overridden")).all()
        assert len(log) == 1 and log[0].target_id == appt.id and log[0].actor_name == "Dana Dispatcher"
        assert log[0].details["conflicts"][0]["message"] == "Overlaps Ann Lee 9:00–11:00 AM by 1 h"


def test_no_conflict_for_unassigned_finished_or_self(api: Api, world: World) -> None:
    tech = world.tech1["id"]
    first = world.schedule(world.cust1["id"], tech, start=at(9), hours=2)
    ctx = api.server.backend
    with ctx.sessions() as s:
        for appt in (proposed(first["job_id"], None, at(9), at(10)),
                     proposed(first["job_id"], tech, at(9), at(10), status="complete"),
                     proposed(first["job_id"], tech, at(11), at(12))):
            s.add(appt)
            assert enforce(s, ctx, appt, allow_conflicts=False, who=DANA) == []
        moved = s.get(Appointment, first["id"])
        assert moved is not None
        moved.window_start, moved.window_end = at(9, 30), at(10, 30)
        assert enforce(s, ctx, moved, allow_conflicts=False, who=DANA) == []
        s.rollback()


def test_two_consoles_booking_the_same_slot_cannot_both_win(api: Api, world: World) -> None:
    """The second booking waits for the first to commit (technician row lock) and then sees it."""
    tech = world.tech1["id"]
    job = world.schedule(world.cust1["id"], None, start=at(6), hours=1)["job_id"]
    ctx = api.server.backend
    checked, results = threading.Event(), {}

    def book(name: str, hold_s: float) -> None:
        with ctx.sessions() as s:
            appt = proposed(job, tech, at(14), at(16))
            s.add(appt)
            try:
                enforce(s, ctx, appt, allow_conflicts=False, who=DANA)
                checked.set()
                threading.Event().wait(hold_s)  # still in the transaction: the other console books meanwhile
                s.commit()
                results[name] = "booked"
            except ScheduleConflict as exc:
                s.rollback()
                results[name] = exc.message

    first = threading.Thread(target=book, args=("first", 0.5))
    first.start()
    assert checked.wait(10)
    second = threading.Thread(target=book, args=("second", 0))
    second.start()
    first.join(20)
    second.join(20)
    assert results["first"] == "booked"
    assert results["second"].startswith("Marcus Reed has a conflict at that time: Overlaps Ann Lee 2:00–4:00 PM")
    with ctx.sessions() as s:
        assert len(s.scalars(select(Appointment).where(Appointment.technician_id == tech,
                                                       Appointment.window_start == at(14))).all()) == 1


def test_window_end_clipped_overlaps_count_minutes(api: Api, world: World) -> None:
    tech = world.tech2["id"]
    first = world.schedule(world.cust2["id"], tech, start=at(8), hours=1)
    ctx = api.server.backend
    with ctx.sessions() as s:
        appt = proposed(first["job_id"], tech, at(8, 50), at(8, 50) + timedelta(hours=2))
        s.add(appt)
        with pytest.raises(ScheduleConflict) as refused:
            enforce(s, ctx, appt, allow_conflicts=False, who=DANA)
        s.rollback()
    assert refused.value.details["conflicts"][0]["minutes"] == 10
    assert "Overlaps Bob Diaz 8:00–9:00 AM by 10 min" in refused.value.message
