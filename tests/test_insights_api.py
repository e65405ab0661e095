"""GET /api/v1/insights over real HTTP: exact figures on a hand-made history, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.backend.clock import ManualClock
from services.backend.embedded import EmbeddedServer
from tests.conftest import Api, World, make_settings
from tests.insights_history import MON, WED, History, at, played


@pytest.fixture
def history(db_url: str) -> Iterator[History]:
    with played(db_url) as h:
        yield h


def get(h: History, **params: Any) -> dict[str, Any]:
    r = h.d.get("/api/v1/insights", params={"from": MON.isoformat(), "to": WED.isoformat(), **params})
    assert r.status_code == 200, r.text
    return r.json()


def pick(fig: dict[str, Any], *names: str) -> dict[str, Any]:
    return {n: fig[n] for n in names}


def test_figures_on_a_hand_made_history(history: History) -> None:
    h = history
    out = get(h)
    t = out["totals"]
    assert out["from"] == "2026-03-02" and out["to"] == "2026-03-04" and out["time_zone"] == "America/Chicago"
    # Nine visits: V4 cancelled (not scored), V9 still ahead (not scored), V3 never arrived (scored, not on time).
    # On time: V1, V7, V8, V6; V2 arrived 10 min after its window (on time only with +15 min); V5 was taken
    # from Marcus while LATE, so it is not on time for him even though Elena got there inside the window.
    assert pick(t, "visits", "cancelled", "scored", "on_time", "on_time_15", "never_arrived", "no_arrival_record",
                "on_time_pct", "on_time_15_pct") == {
        "visits": 9, "cancelled": 1, "scored": 7, "on_time": 4, "on_time_15": 5, "never_arrived": 1,
        "no_arrival_record": 0, "on_time_pct": 57.1, "on_time_15_pct": 71.4}
    assert pick(t, "completed", "paused") == {"completed": 5, "paused": 1}
    # Drive: from the last On My Way to arrival — V1 50 (geofence), V2 30 (after the correction), V5 35, V7 25.
    assert pick(t, "drive_visits", "drive_min", "drive_avg_min", "drive_median_min") == {
        "drive_visits": 4, "drive_min": 140.0, "drive_avg_min": 35.0, "drive_median_min": 30.0}
    # Clock-ins: V1 45, V2 50, V5 30, V7 85, V8 60 (to the pause), V6 30.
    assert pick(t, "on_site_visits", "on_site_min", "on_site_avg_min") == {
        "on_site_visits": 6, "on_site_min": 300.0, "on_site_avg_min": 50.0}
    # Field-app moves made by people: 25, of which the dispatcher made V7's five (geofence arrival and the
    # backward correction count for neither side).
    assert pick(t, "status_changes", "backup_changes", "backup_pct") == {
        "status_changes": 25, "backup_changes": 5, "backup_pct": 20.0}
    # LATE: V3 (open), V2 (arrived after 130 min), V5 (reassigned; Elena arrived after 80), V6 (rescheduled
    # after 45), V8 (closed by hand after 40).
    assert pick(t, "late_alerts", "late_open", "late_arrived", "late_reassigned", "late_rescheduled",
                "late_cancelled", "late_acknowledged", "late_ended", "late_overdue_min", "late_overdue_avg_min",
                "late_overdue_median_min") == {
        "late_alerts": 5, "late_open": 1, "late_arrived": 1, "late_reassigned": 1, "late_rescheduled": 1,
        "late_cancelled": 0, "late_acknowledged": 1, "late_ended": 4, "late_overdue_min": 295.0,
        "late_overdue_avg_min": 73.8, "late_overdue_median_min": 45.0}
    assert [(c["cause"], c["alerts"]) for c in out["late_causes"]] == [
        ("arrived", 1), ("reassigned", 1), ("rescheduled", 1), ("cancelled", 0), ("acknowledged", 1), ("open", 1)]
    assert pick(t, "surveys_stars", "stars_avg", "surveys_nps", "nps") == {
        "surveys_stars": 2, "stars_avg": 4.0, "surveys_nps": 0, "nps": None}
    # Bookings: answered after 90 min, 50 h (after the reminder) and 60 min; B4 cancelled within the hour and
    # B5 (2 h 30 old) are not decided yet.
    assert pick(t, "bookings", "bookings_answered", "bookings_decided", "bookings_within_reminder",
                "bookings_within_reminder_pct", "booking_median_min", "booking_p90_min") == {
        "bookings": 5, "bookings_answered": 3, "bookings_decided": 3, "bookings_within_reminder": 2,
        "bookings_within_reminder_pct": 66.7, "booking_median_min": 90.0, "booking_p90_min": 3000.0}
    assert [(b["bucket"], b["requests"]) for b in out["booking"]["histogram"]] == [
        ("Under 1 h", 0), ("1–4 h", 2), ("4–8 h", 0), ("8–24 h", 0), ("24–48 h", 0), ("Over 48 h", 1),
        ("Waiting", 1)]
    assert out["on_site_by_service"] == [
        {"service_type": "AC tune-up", "visits": 2, "avg_min": 72.5, "median_min": 60.0, "p90_min": 85.0},
        {"service_type": "Leak repair", "visits": 4, "avg_min": 38.8, "median_min": 30.0, "p90_min": 50.0}]


def test_per_day_and_per_week(history: History) -> None:
    days = get(history, group_by="day")["groups"]
    assert [(g["key"], g["label"]) for g in days] == [
        ("2026-03-02", "Mon, Mar 2"), ("2026-03-03", "Tue, Mar 3"), ("2026-03-04", "Wed, Mar 4")]
    mon, tue, wed = days
    assert pick(mon, "visits", "scored", "on_time", "on_time_pct", "on_time_15_pct", "late_alerts", "late_open",
                "late_arrived", "late_reassigned", "bookings", "bookings_within_reminder_pct",
                "booking_median_min", "booking_p90_min") == {
        "visits": 5, "scored": 4, "on_time": 1, "on_time_pct": 25.0, "on_time_15_pct": 50.0, "late_alerts": 3,
        "late_open": 1, "late_arrived": 1, "late_reassigned": 1, "bookings": 2, "bookings_within_reminder_pct": 50.0,
        "booking_median_min": 90.0, "booking_p90_min": 3000.0}
    # The rescheduled LATE alert stays on Tuesday (the window it was late for); the visit moved to Wednesday.
    assert pick(tue, "visits", "on_time_pct", "late_alerts", "late_rescheduled", "late_acknowledged", "backup_pct",
                "bookings", "bookings_within_reminder_pct", "booking_median_min") == {
        "visits": 2, "on_time_pct": 100.0, "late_alerts": 2, "late_rescheduled": 1, "late_acknowledged": 1,
        "backup_pct": 62.5, "bookings": 2, "bookings_within_reminder_pct": 100.0, "booking_median_min": 60.0}
    assert pick(wed, "visits", "scored", "on_time_pct", "late_alerts", "bookings", "bookings_within_reminder_pct") \
        == {"visits": 2, "scored": 1, "on_time_pct": 100.0, "late_alerts": 0, "bookings": 1,
            "bookings_within_reminder_pct": None}
    weeks = get(history, group_by="week")
    assert [(g["key"], g["label"], g["visits"], g["on_time_pct"]) for g in weeks["groups"]] == [
        ("2026-03-02", "Week of Mar 2", 9, 57.1)]


def test_per_technician_and_filters(history: History) -> None:
    h = history
    marcus, elena = h.world.tech1["id"], h.world.tech2["id"]
    groups = {g["label"]: g for g in get(h, group_by="technician")["groups"]}
    assert set(groups) == {"Marcus Reed", "Elena Torres"}
    # V5 counts for Marcus (it was his when it ran late) although Elena did it.
    assert pick(groups["Marcus Reed"], "technician_id", "visits", "scored", "on_time_pct", "on_time_15_pct",
                "late_alerts", "late_reassigned", "backup_changes", "status_changes", "backup_pct",
                "stars_avg") == {
        "technician_id": marcus, "visits": 5, "scored": 5, "on_time_pct": 60.0, "on_time_15_pct": 80.0,
        "late_alerts": 3, "late_reassigned": 1, "backup_changes": 5, "status_changes": 21, "backup_pct": 23.8,
        "stars_avg": 4.0}
    assert pick(groups["Elena Torres"], "visits", "scored", "on_time_pct", "late_alerts", "late_open",
                "backup_pct") == {
        "visits": 4, "scored": 2, "on_time_pct": 50.0, "late_alerts": 2, "late_open": 1, "backup_pct": 0.0}
    # Per technician there are no booking figures (the office answers requests), but the totals keep them.
    assert groups["Marcus Reed"]["bookings"] == 0 and get(h, group_by="technician")["totals"]["bookings"] == 5
    only = get(h, technician_id=elena)["totals"]
    assert pick(only, "visits", "on_time", "late_alerts", "bookings") == {
        "visits": 4, "on_time": 1, "late_alerts": 2, "bookings": 5}
    ac = get(h, service_type="AC tune-up")
    assert pick(ac["totals"], "visits", "on_time_pct", "late_alerts", "backup_changes", "bookings",
                "bookings_answered") == {
        "visits": 2, "on_time_pct": 100.0, "late_alerts": 1, "backup_changes": 5, "bookings": 1,
        "bookings_answered": 1}
    assert [s["service_type"] for s in ac["on_site_by_service"]] == ["AC tune-up"]


def test_figures_follow_changes_made_after_a_query(history: History) -> None:
    """The per-visit facts are rebuilt when an appointment changes: a late correction shows at once."""
    h = history
    before = get(h)["totals"]
    h.set(at(WED, 15, 35))
    h.console("V3", "arrived")  # the dispatcher records that Elena did get to V3 (far too late)
    after = get(h)["totals"]
    assert (before["never_arrived"], after["never_arrived"]) == (1, 0)
    assert (after["scored"], after["on_time"], after["late_open"], after["late_arrived"]) == (7, 4, 0, 2)
    assert after["backup_changes"] == before["backup_changes"] + 1


def test_empty_range_and_bad_input(history: History) -> None:
    d = history.d
    empty = d.get("/api/v1/insights", params={"from": "2026-01-05", "to": "2026-01-11", "group_by": "week"}).json()
    assert empty["totals"]["visits"] == 0 and empty["totals"]["on_time_pct"] is None
    assert [g["key"] for g in empty["groups"]] == ["2026-01-05"]
    r = d.get("/api/v1/insights", params={"from": "2026-03-04", "to": "2026-03-02"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "from"
    r = d.get("/api/v1/insights", params={"from": "2024-01-01", "to": "2026-03-02"})
    assert r.status_code == 422 and "at most 400 days" in r.json()["error"]["message"]
    r = d.get("/api/v1/insights", params={"from": "9999-12-31", "to": "9999-12-31"})
    assert r.status_code == 422 and "between 1970-01-02 and 2999-12-31" in r.json()["error"]["message"]
    r = d.get("/api/v1/insights", params={"group_by": "month"})
    assert r.status_code == 422 and "group_by" in r.json()["error"]["message"]
    r = d.get("/api/v1/insights", params={"from": "yesterday"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "from"
    r = d.get("/api/v1/insights", params={"technician_id": 999})
    assert r.status_code == 422 and "no technician 999" in r.json()["error"]["message"]
    assert history.world.field1.get("/api/v1/insights").status_code == 403
    assert history.world.api.anon.get("/api/v1/insights").status_code == 401
    # No range given: the 30 days up to today in the company's time zone.
    default = d.get("/api/v1/insights").json()
    assert (default["from"], default["to"]) == ("2026-02-03", "2026-03-04")


def test_days_follow_the_company_clock_across_daylight_saving(db_url: str) -> None:
    """Sunday 8 March 2026 has 23 hours in Chicago: visits just before and after local midnight land on their
    local day, per day and per week."""
    clock = ManualClock(datetime(2026, 3, 6, 12, tzinfo=UTC))
    srv = EmbeddedServer(make_settings(db_url), clock=clock).start()
    api = Api(srv)
    try:
        w = World(api)
        sat, sun, mon = (datetime(2026, 3, d).date() for d in (7, 8, 9))
        for when in (at(sat, 23, 30), at(sun, 0, 30), at(sun, 23, 30), at(mon, 0, 15)):
            w.schedule(w.cust1["id"], w.tech1["id"], start=when, hours=0.5)
        clock.set(datetime(2026, 3, 6, 12, tzinfo=UTC) + timedelta(hours=1))
        r = w.dispatcher.get("/api/v1/insights", params={"from": "2026-03-07", "to": "2026-03-09"})
        assert [(g["key"], g["visits"]) for g in r.json()["groups"]] == [
            ("2026-03-07", 1), ("2026-03-08", 2), ("2026-03-09", 1)]
        r = w.dispatcher.get("/api/v1/insights", params={"from": "2026-03-07", "to": "2026-03-09",
                                                         "group_by": "week"})
        assert [(g["key"], g["visits"]) for g in r.json()["groups"]] == [("2026-03-02", 3), ("2026-03-09", 1)]
    finally:
        api.close()
        srv.stop()
