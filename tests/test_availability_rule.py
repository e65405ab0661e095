"""The availability and conflict rule (models/availability.py) on hand-made days, DST days included."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.availability import (
    ConflictKind,
    DayIndex,
    Shift,
    TimeOff,
    Visit,
    WorkingHours,
    capacity_minutes,
    conflicts,
    day_load,
    day_rules,
    parse_hhmm,
    unavailable_intervals,
)

TZ = "America/Chicago"
Z = ZoneInfo(TZ)
DAY = date(2026, 12, 2)  # a Wednesday
WEEKDAYS_8_TO_5 = WorkingHours(tuple([Shift(8 * 60, 17 * 60)] * 5 + [None, None]))


def at(h: int, m: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, h, m, tzinfo=Z)


def visit(i: int, h0: float, h1: float, status: str = "scheduled", label: str = "Barbara Miller",
          tech: int = 1) -> Visit:
    base = at(0)
    return Visit(i, tech, base + timedelta(hours=h0), base + timedelta(hours=h1), status, label)


def test_overlap_names_the_visit_its_window_and_by_how_much() -> None:
    found = conflicts("Marcus Reed", at(15, 15), at(16, 15), [visit(7, 14, 16)], tz=TZ, hours=WEEKDAYS_8_TO_5)
    assert [c.message for c in found] == ["Overlaps Barbara Miller 2:00–4:00 PM by 45 min"]
    c = found[0]
    assert c.kind == ConflictKind.OVERLAP and c.appointment_id == 7 and c.minutes == 45
    assert c.to_dict()["kind"] == "overlap"


def test_touching_windows_do_not_overlap_and_long_overlaps_read_in_hours() -> None:
    assert conflicts("Marcus", at(16), at(17), [visit(1, 14, 16)], tz=TZ) == []
    found = conflicts("Marcus", at(9), at(12), [visit(1, 9, 11, label="Ann Lee")], tz=TZ)
    assert found[0].message == "Overlaps Ann Lee 9:00–11:00 AM by 2 h"
    found = conflicts("Marcus", at(9), at(12), [visit(1, 10.75, 13, label="Ann Lee")], tz=TZ)
    assert found[0].message == "Overlaps Ann Lee 10:45 AM–1:00 PM by 1 h 15 min"


@pytest.mark.parametrize("status", ["cancelled", "complete", "paused"])
def test_finished_or_cancelled_visits_do_not_block(status: str) -> None:
    assert conflicts("Marcus", at(9), at(11), [visit(1, 9, 11, status)], tz=TZ) == []


@pytest.mark.parametrize("status", ["scheduled", "dispatched", "en_route", "arrived", "in_progress"])
def test_live_visits_block(status: str) -> None:
    assert len(conflicts("Marcus", at(9), at(11), [visit(1, 9, 11, status)], tz=TZ)) == 1


def test_a_visit_being_moved_never_clashes_with_itself() -> None:
    visits = [visit(1, 9, 11), visit(2, 13, 14, label="Bob Diaz")]
    assert conflicts("Marcus", at(10), at(12), visits, tz=TZ, exclude_id=1) == []
    assert [c.appointment_id for c in conflicts("Marcus", at(10), at(14), visits, tz=TZ, exclude_id=1)] == [2]


def test_outside_hours_says_which_end_of_the_shift() -> None:
    late = conflicts("Marcus Reed", at(16), at(18), [], tz=TZ, hours=WEEKDAYS_8_TO_5)
    assert [c.message for c in late] == ["Outside Marcus's hours (ends 5:00 PM)"]
    assert late[0].minutes == 60 and late[0].kind == ConflictKind.OUTSIDE_HOURS
    early = conflicts("Marcus Reed", at(7), at(9), [], tz=TZ, hours=WEEKDAYS_8_TO_5)
    assert early[0].message == "Outside Marcus's hours (starts 8:00 AM)"
    both = conflicts("Marcus Reed", at(7), at(18), [], tz=TZ, hours=WEEKDAYS_8_TO_5)
    assert both[0].message == "Outside Marcus's hours (8:00 AM–5:00 PM)" and both[0].minutes == 120
    sunday = date(2026, 12, 6)
    off = conflicts("Marcus Reed", at(10, day=sunday), at(11, day=sunday), [], tz=TZ, hours=WEEKDAYS_8_TO_5)
    assert off[0].message == "Marcus doesn't work on Sundays"
    assert conflicts("Marcus", at(8), at(17), [], tz=TZ, hours=WEEKDAYS_8_TO_5) == []


def test_hours_not_set_means_always_available() -> None:
    assert conflicts("Marcus", at(22), at(23, 30), [], tz=TZ, hours=None) == []


def test_time_off_with_its_reason() -> None:
    dentist = TimeOff(at(13), at(15), "dentist")
    found = conflicts("Marcus Reed", at(14), at(16), [], tz=TZ, hours=WEEKDAYS_8_TO_5, time_off=[dentist])
    assert [c.message for c in found] == ["Marcus is off 1:00–3:00 PM: dentist"]
    assert found[0].minutes == 60 and found[0].reason == "dentist"
    vacation = TimeOff(at(0, day=DAY - timedelta(days=2)), at(0, day=DAY + timedelta(days=3)), "vacation")
    found = conflicts("Marcus Reed", at(9), at(10), [], tz=TZ, time_off=[vacation])
    assert [c.message for c in found] == ["Marcus is off: vacation"]
    assert conflicts("Marcus", at(15), at(16), [], tz=TZ, time_off=[dentist]) == []


def test_skills_hook() -> None:
    assert conflicts("Marcus", at(9), at(10), [], tz=TZ) == []
    assert conflicts("Marcus", at(9), at(10), [], tz=TZ, required_skills=["hvac"], offered_skills=["HVAC"]) == []
    found = conflicts("Marcus", at(9), at(10), [], tz=TZ, required_skills=["HVAC", "EPA 608", "Gas"],
                      offered_skills=["hvac"])
    assert found[0].message == "Marcus lacks EPA 608 and Gas" and found[0].skills == ("EPA 608", "Gas")


def test_every_conflict_at_once_in_a_stable_order() -> None:
    found = conflicts("Marcus Reed", at(16), at(18), [visit(3, 15, 17)], tz=TZ, hours=WEEKDAYS_8_TO_5,
                      time_off=[TimeOff(at(17, 30), at(19), "school pickup")], required_skills=["Gas"])
    assert [c.kind for c in found] == [ConflictKind.OVERLAP, ConflictKind.TIME_OFF, ConflictKind.OUTSIDE_HOURS,
                                       ConflictKind.MISSING_SKILL]


def test_dst_days_keep_wall_clock_hours() -> None:
    spring, fall = date(2026, 3, 9), date(2026, 11, 2)  # Mondays after the US clock changes
    spring_sun, fall_sun = date(2026, 3, 8), date(2026, 11, 1)
    every_day = WorkingHours(tuple([Shift(8 * 60, 17 * 60)] * 7))
    for d in (spring, fall, spring_sun, fall_sun):
        assert capacity_minutes(d, every_day, [], TZ) == 540
        assert conflicts("Marcus", at(16, day=d), at(17, day=d), [], tz=TZ, hours=every_day) == []
        assert conflicts("Marcus", at(7, 30, day=d), at(8, 30, day=d), [], tz=TZ, hours=every_day)[0].minutes == 30
    night = WorkingHours(tuple([Shift(0, 24 * 60)] * 7))
    assert capacity_minutes(spring_sun, night, [], TZ) == 23 * 60
    assert capacity_minutes(fall_sun, night, [], TZ) == 25 * 60


def test_day_load_counts_booked_time_against_capacity() -> None:
    visits = [visit(1, 8, 10), visit(2, 10, 12, "complete"), visit(3, 13, 14, "cancelled"), visit(4, 14, 14.5)]
    dentist = TimeOff(at(13), at(15), "dentist")
    load = day_load(DAY, visits, WEEKDAYS_8_TO_5, [dentist], TZ)
    assert (load.visits, load.booked_minutes, load.capacity_minutes) == (3, 270, 420)
    assert load.text == "4.5 / 7 h"
    assert day_load(DAY, visits, None, [], TZ).text == "4.5 h booked"
    sunday = date(2026, 12, 6)
    assert day_load(sunday, [], WEEKDAYS_8_TO_5, [], TZ).text == "Off"


def test_unavailable_intervals_shade_outside_the_shift_and_time_off() -> None:
    shade = unavailable_intervals(DAY, WEEKDAYS_8_TO_5, [TimeOff(at(12), at(13), "lunch")], TZ)
    assert shade == [(at(0), at(8)), (at(12), at(13)), (at(17), at(0, day=DAY + timedelta(days=1)))]
    assert unavailable_intervals(DAY, None, [], TZ) == []


def test_parse_hhmm() -> None:
    assert parse_hhmm("08:30") == 510 and parse_hhmm("24:00") == 1440
    for bad in ("8", "25:00", "24:30", "ab:cd", "12:60"):
        with pytest.raises(ValueError):
            parse_hhmm(bad)
    with pytest.raises(ValueError):
        Shift(600, 600)
    with pytest.raises(ValueError):
        WorkingHours((None,) * 6)


def test_index_updates_in_place() -> None:
    idx = DayIndex([visit(1, 9, 11), visit(2, 13, 14), visit(3, 9, 10, tech=2)])
    assert [v.id for v in idx.candidates(1, at(10), at(13, 30))] == [1, 2]
    idx.upsert(visit(1, 15, 16))
    assert [v.id for v in idx.candidates(1, at(10), at(13, 30))] == [2]
    idx.upsert(visit(2, 9, 10, tech=2))
    assert idx.visits_of(1)[0].id == 1 and [v.id for v in idx.visits_of(2)] == [3, 2]
    idx.remove(3)
    assert len(idx) == 2


windows = st.tuples(st.integers(0, 24 * 4 - 1), st.integers(1, 16)).map(
    lambda t: (at(0) + timedelta(minutes=15 * t[0]), at(0) + timedelta(minutes=15 * (t[0] + t[1]))))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), windows), max_size=40), windows, st.integers(1, 3))
def test_index_finds_exactly_the_overlapping_visits(rows, window, tech) -> None:  # type: ignore[no-untyped-def]
    visits = [Visit(i, t, s, e) for i, (t, (s, e)) in enumerate(rows)]
    idx = DayIndex(visits)
    start, end = window
    brute = sorted(v.id for v in visits if v.technician_id == tech and v.start < end and v.end > start)
    assert sorted(v.id for v in idx.candidates(tech, start, end)) == brute


def test_built_from_api_answers() -> None:
    hours = WorkingHours.from_api({"set": True, "days": [
        {"weekday": 0, "start": "08:00", "end": "17:00"}, {"weekday": 6, "start": None, "end": None}]})
    assert hours is not None and hours.days[0] == Shift(480, 1020) and hours.days[6] is None
    assert WorkingHours.from_api({"set": False, "days": []}) is None
    v = Visit.from_api({"id": 3, "technician_id": 1, "window_start": "2026-12-02T20:00:00Z",
                        "window_end": "2026-12-02T22:00:00Z", "status": "dispatched", "customer_name": "Ann Lee"})
    assert (v.start, v.label, v.blocks) == (at(14), "Ann Lee", True)
    off = TimeOff.from_api({"id": 9, "starts_at": "2026-12-02T19:00:00Z", "ends_at": "2026-12-02T21:00:00Z",
                            "reason": "dentist"})
    assert conflicts("Marcus", at(14), at(15), [v], tz=TZ, hours=hours, time_off=[off])[1].message == \
        "Marcus is off 1:00–3:00 PM: dentist"


def test_day_rules_from_the_days_availability_entry() -> None:
    entry = {"hours_set": True, "shift": {"starts_at": "2026-12-02T14:00:00Z", "ends_at": "2026-12-02T23:00:00Z"},
             "time_off": [{"id": 4, "starts_at": "2026-12-02T18:00:00Z", "ends_at": "2026-12-02T19:00:00Z",
                           "reason": "lunch"}]}
    hours, offs = day_rules(entry, DAY, TZ)
    assert hours is not None and hours.shift(DAY) == Shift(480, 1020) and offs[0].reason == "lunch"
    found = conflicts("Marcus", at(11, 30), at(17, 30), [], tz=TZ, hours=hours, time_off=offs)
    assert [c.message for c in found] == ["Marcus is off 12:00–1:00 PM: lunch", "Outside Marcus's hours (ends 5:00 PM)"]
    assert day_rules({"hours_set": True, "shift": None, "time_off": []}, DAY, TZ)[0] == WorkingHours((None,) * 7)
    assert day_rules({"hours_set": False, "shift": None, "time_off": []}, DAY, TZ) == (None, [])
