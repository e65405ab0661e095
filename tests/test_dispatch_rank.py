"""The "who is best" rule on hand-made days (fixed drive times, Central time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.availability import Shift, TimeOff, WorkingHours
from models.dispatch_rank import DayVisit, JobToPlace, Place, Tech, rank, timeline

TZ = "America/Chicago"
# Tuesday 2026-03-10 (CDT, UTC-5): 14:00 local = 19:00 UTC
NOW = datetime(2026, 3, 10, 19, 0, tzinfo=UTC)
JOB = Place(30.30, -97.70)
NEAR, FAR, HOME = Place(30.31, -97.71), Place(30.45, -97.90), Place(30.29, -97.69)
MINUTES = {NEAR: 10, FAR: 40, HOME: 5}
WEEKDAYS_8_TO_5 = WorkingHours(tuple([Shift(8 * 60, 17 * 60)] * 5 + [None, None]))


def drive(a: Place, b: Place) -> float:
    """Minutes between a known place and the job (either way), 15 between two other places, as seconds."""
    if a == b:
        return 0
    other = b if a == JOB else a if b == JOB else None
    return 60 * (MINUTES.get(other, 25) if other is not None else 15)


def at(hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 3, 10, hh + 5, mm, tzinfo=UTC)


def job(start: datetime = at(15), hours: float = 1, **kw: object) -> JobToPlace:
    return JobToPlace(start, start + timedelta(hours=hours), JOB, label="Ann Lee", **kw)  # type: ignore[arg-type]


def visit(i: int, start: datetime, hours: float, status: str = "scheduled", site: Place = NEAR,
          label: str = "Barbara Miller", **kw: object) -> DayVisit:
    return DayVisit(i, start, start + timedelta(hours=hours), status, label, site, **kw)  # type: ignore[arg-type]


def test_busy_tech_is_not_first_and_reason_says_when_free() -> None:
    busy = Tech(1, "Priya Shah", (visit(10, at(13, 30), 2, "in_progress", started_at=at(13, 30)),), HOME)
    free = Tech(2, "Marcus Reed", (), FAR)
    ranked = rank(job(at(14)), [busy, free], NOW, drive, TZ)
    assert [s.name for s in ranked] == ["Marcus Reed", "Priya Shah"]
    assert ranked[0].top_pick and not ranked[1].top_pick
    assert ranked[0].reason == "free now, 40 min drive"
    assert ranked[0].arrive_at == at(14, 40)
    priya = ranked[1]
    assert priya.reason == "free at 3:30 PM after Barbara Miller, 10 min drive"
    assert priya.arrive_at == at(15, 40)
    assert [w.message for w in priya.warnings] == ["misses the window by 1 h 10 min", "overlaps Barbara Miller"]


def test_en_route_tech_is_free_after_eta_plus_duration() -> None:
    driving = Tech(1, "Jamal Price", (visit(11, at(14), 1, "en_route", eta_at=at(14, 20)),), HOME)
    stops = timeline(driving, NOW, drive, TZ)
    assert (stops[0].arrive, stops[0].leave) == (at(14, 20), at(15, 20))
    s = rank(job(at(16)), [driving], NOW, drive, TZ)[0]
    assert s.free_at == at(15, 20) and s.arrive_at == at(16)  # there when the window opens
    assert s.reason.startswith("free at 3:20 PM after Barbara Miller, 10 min drive; there when the window opens")
    assert s.top_pick and s.warnings == []


def test_missing_skill_is_warned_or_excluded() -> None:
    hvac = Tech(1, "Elena Torres", (), FAR, skills=frozenset({"HVAC", "EPA 608"}))
    plumber = Tech(2, "Derek Cole", (), NEAR, skills=frozenset({"Plumbing"}))
    j = job(at(15), required_skills=("HVAC", "EPA 608"))
    ranked = rank(j, [plumber, hvac], NOW, drive, TZ)
    assert [s.name for s in ranked] == ["Elena Torres", "Derek Cole"]  # the nearer plumber lacks the skills
    assert ranked[0].top_pick
    assert [w.message for w in ranked[1].warnings] == ["lacks HVAC and EPA 608"]
    assert [s.name for s in rank(j, [plumber, hvac], NOW, drive, TZ, exclude_unskilled=True)] == ["Elena Torres"]


def test_window_miss_is_shown_with_its_minutes() -> None:
    far = Tech(1, "Tyler Ames", (), FAR)
    s = rank(job(at(14)), [far], NOW, drive, TZ, grace_min=0)[0]
    assert s.arrive_at == at(14, 40) and s.window_late_min == 40
    assert [w.message for w in s.warnings] == ["misses the window by 40 min"]
    # with the usual 30-minute LATE grace the same tech misses it by 10 min
    assert rank(job(at(14)), [far], NOW, drive, TZ)[0].warnings[0].message == "misses the window by 10 min"


def test_knock_on_effect_on_later_visits() -> None:
    # free now next to the job, but two tight visits follow at 3:30 and 4:45
    tight = Tech(1, "Sofia Park", (visit(20, at(15, 30), 1, label="Carl Young"),
                                   visit(21, at(16, 45), 1, site=HOME, label="Dora Ruiz")), NEAR)
    s = rank(job(at(14, 30), hours=1.5), [tight], NOW, drive, TZ, grace_min=0)[0]
    # job 2:30–4:00, then 10 min to Carl (4:10, 40 min late), leaves 5:10, 15 min to Dora (5:25, 40 min late)
    assert s.knock_on == [{"appointment_id": 20, "label": "Carl Young", "late_min": 40},
                          {"appointment_id": 21, "label": "Dora Ruiz", "late_min": 40}]
    assert "makes 2 later visits late (up to 40 min)" in [w.message for w in s.warnings]
    assert "overlaps Carl Young" in [w.message for w in s.warnings]
    assert not s.top_pick


def test_off_hours_and_time_off_are_warned() -> None:
    shifted = Tech(1, "Hannah Wu", (), NEAR, hours=WEEKDAYS_8_TO_5)
    s = rank(job(at(16, 30)), [shifted], NOW, drive, TZ)[0]
    assert [w.kind for w in s.warnings] == ["outside_hours"]
    assert s.warnings[0].message == "Outside Hannah's hours (ends 5:00 PM)"
    off = Tech(2, "Omar Said", (), NEAR, time_off=(TimeOff(at(14), at(18), "dentist"),))
    s2 = rank(job(at(15)), [off], NOW, drive, TZ)[0]
    assert s2.warnings[0].message == "Omar is off 2:00–6:00 PM: dentist"


def test_before_the_shift_starts_reason_says_so() -> None:
    early = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 7:00 AM local
    tech = Tech(1, "Ruby Fox", (), NEAR, hours=WEEKDAYS_8_TO_5)
    s = rank(job(at(9)), [tech], early, drive, TZ)[0]
    assert s.reason.startswith("starts 8:00 AM, 10 min drive") and s.arrive_at == at(9) and s.top_pick


def test_late_job_everyone_late_still_has_a_top_pick_and_excludes_itself() -> None:
    late_job = JobToPlace(at(13), at(15), JOB, label="Ann Lee", appointment_id=99)
    owner = Tech(1, "Grace Kim", (visit(99, at(13), 2, label="Ann Lee"), visit(98, at(12), 3, "in_progress",
                                   site=FAR, started_at=at(12))), FAR)
    helper = Tech(2, "Nate Gray", (), NEAR)
    ranked = rank(late_job, [owner, helper], NOW, drive, TZ)
    assert ranked[0].name == "Nate Gray" and ranked[0].top_pick
    assert ranked[0].warnings[0].kind == "window"
    assert ranked[1].reason.startswith("free at 3:00 PM after Barbara Miller, 40 min drive")
    assert all(k["appointment_id"] != 99 for s in ranked for k in s.knock_on)


def test_no_location_is_a_warning_not_a_guess() -> None:
    s = rank(job(at(15)), [Tech(1, "Lucas Bell", (), None)], NOW, drive, TZ)[0]
    assert [w.kind for w in s.warnings] == ["no_location"] and not s.top_pick
