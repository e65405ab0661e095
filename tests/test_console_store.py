"""The console's live store: events applied without refetching, requests counted, a reconnect reloads once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from console.live import LiveSync
from console.store import Store
from models.timefmt import DEFAULT_TIME_ZONE, parse_iso
from services.api_client import ApiClient, ApiError
from tests.console_support import Console, local_day, token_of
from widgets.schedule_model import ScheduleModel
from widgets.tasks import TaskSet, in_words

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
NOW = datetime.now(UTC).replace(microsecond=0)


def _appt(i: int, tech: int | None = 1, status: str = "scheduled", version: int = 1, **extra: Any) -> dict[str, Any]:
    start = NOW + timedelta(hours=1)
    return {"id": i, "version": version, "technician_id": tech, "technician_name": "Marcus Reed" if tech else None,
            "customer_name": f"Customer {i}", "service_type": "Leak repair", "address": "1 Main St",
            "window_start": start.isoformat(), "window_end": (start + timedelta(hours=2)).isoformat(),
            "status": status, "late": False, "eta_at": None, **extra}


def _store(qapp: Any) -> Store:
    store = Store(ScheduleModel(DEFAULT_TIME_ZONE))
    today = store.today()
    store.load(company={"name": "Acme", "time_zone": DEFAULT_TIME_ZONE},
               technicians=[{"id": 1, "name": "Marcus Reed", "active": True, "phone": "+15125550101"}],
               day=today, appointments=[_appt(1), _appt(2)],
               positions=[{"technician_id": 1, "lat": 30.2, "lng": -97.7,  # a fix the server saw 30 s old now
                           "recorded_at": (datetime.now(UTC) - timedelta(seconds=30)).isoformat(), "age_s": 30.0}],
               alerts=[], bookings=[{"id": 7, "state": "submitted"}, {"id": 8, "state": "confirmed"}])
    return store


def test_status_event_patches_in_place_and_reassign_needs_the_refetch(qapp: Any, qtbot: Any) -> None:
    store = _store(qapp)
    changed: list[dict[str, Any]] = []
    store.appointmentChanged.connect(changed.append)
    assert store.patch_appointment({"id": 1, "version": 2, "status": "dispatched"}) is True  # said everything
    assert store.appointment(1)["status"] == "dispatched" and store.appointment(1)["status_label"] == "Dispatched"
    assert changed[-1]["id"] == 1 and store.model.appointment(1).version == 2  # type: ignore[union-attr]
    assert store.patch_appointment({"id": 1, "version": 2, "status": "dispatched"}) is None  # a duplicate
    assert store.patch_appointment({"id": 1, "version": 3, "status": "dispatched"}) is False  # reassign: refetch
    assert store.patch_appointment({"id": 99, "version": 1, "status": "scheduled"}) is False  # new to us
    eta = (NOW + timedelta(minutes=12)).isoformat()
    assert store.patch_appointment({"id": 2, "version": 1, "status": "scheduled", "eta_at": eta}) is True
    assert store.appointment(2)["eta_at"] == eta  # a refreshed ETA rides on the event


def _placed(appt: dict[str, Any], version: int, tech: int | None, start: datetime,
            status: str = "scheduled") -> dict[str, Any]:
    """An `appointment.updated` event that says where the appointment now is (technician and window)."""
    return {"id": appt["id"], "version": version, "status": status, "technician_id": tech,
            "window_start": start.isoformat(), "window_end": (start + timedelta(hours=2)).isoformat()}


def test_reassign_and_reschedule_apply_straight_from_the_event(qapp: Any, qtbot: Any) -> None:
    store = _store(qapp)
    store.upsert_technician({"id": 2, "name": "Ana Ortiz", "active": True})
    model = store.model
    assert [a["id"] for a in store.todays_for(1)] == [1, 2] and store.todays_for(2) == []
    start = parse_iso(_appt(1)["window_start"])

    # Reassigned to Ana, thirty minutes later: moved to her lane, her name on it, her crew standing follows.
    with qtbot.waitSignal(store.appointmentChanged) as sig:
        assert store.patch_appointment(_placed(_appt(1), 2, 2, start + timedelta(minutes=30))) is True
    moved = store.appointment(1)
    assert moved is not None and sig.args[0] == moved
    assert moved["technician_id"] == 2 and moved["technician_name"] == "Ana Ortiz" and moved["version"] == 2
    assert moved["customer_name"] == "Customer 1"  # what the event didn't carry stays
    assert model.lane_row_of(1) == model.lane_row_for_tech(2)
    assert model.appointment(1).start == (start + timedelta(minutes=30)).timestamp()  # type: ignore[union-attr]
    assert [a["id"] for a in store.todays_for(1)] == [2] and [a["id"] for a in store.todays_for(2)] == [1]

    # Unassigned with a status change in the same event.
    assert store.patch_appointment(_placed(moved, 3, None, start, status="dispatched")) is True
    assert store.appointment(1)["technician_name"] is None and store.appointment(1)["status_label"] == "Dispatched"
    assert model.lane_row_of(1) == 0 and [a["id"] for a in store.todays_for(None)] == [1]

    # Moved to another day: it leaves the grid and today's crew.
    with qtbot.waitSignal(store.appointmentRemoved):
        assert store.patch_appointment(_placed(_appt(1), 4, 1, start + timedelta(days=2))) is True
    assert store.appointment(1) is None and [a["id"] for a in store.todays_for(1)] == [2]
    # Events about days nothing shows need no fetch; a skipped version or an unknown technician still do.
    assert store.patch_appointment(_placed(_appt(1), 5, 1, start + timedelta(days=3))) is None
    assert store.patch_appointment(_placed(_appt(2), 3, 2, start)) is False  # version 1 → 3: refetch the rest
    assert store.appointment(2)["technician_id"] == 2  # …but the move shows at once
    assert store.patch_appointment(_placed(_appt(2), 4, 77, start)) is False  # technician 77: not known yet


def test_live_sync_refetches_only_what_the_event_left_out(qloop: Any, qtbot: Any) -> None:
    live = LiveSync(ApiClient("http://127.0.0.1:9", token="x"), ScheduleModel(DEFAULT_TIME_ZONE))
    live.store.load(company={"name": "Acme", "time_zone": DEFAULT_TIME_ZONE},
                    technicians=[{"id": 1, "name": "Marcus Reed", "active": True},
                                 {"id": 2, "name": "Ana Ortiz", "active": True}],
                    day=live.store.today(), appointments=[_appt(1), _appt(2)])
    start = parse_iso(_appt(1)["window_start"])
    live._on_event(1, "appointment.updated", _placed(_appt(1), 2, 2, start))
    assert live.model.appointment(1).technician_id == 2  # type: ignore[union-attr]
    assert live.client.requests_sent == 0 and not live.tasks.busy
    live._on_event(2, "appointment.updated", {"id": 2, "version": 2, "status": "scheduled"})  # where to? ask
    qtbot.waitUntil(lambda: live.client.requests_sent == 1 and not live.tasks.busy, timeout=5000)


def test_alerts_positions_technicians_and_bookings(qapp: Any, qtbot: Any) -> None:
    store = _store(qapp)
    alert = {"id": 5, "kind": "late", "appointment_id": 1, "open": True, "message": "LATE",
             "technician_id": 1, "technician_name": "Marcus Reed", "customer_name": "Customer 1",
             "window_start": _appt(1)["window_start"], "eta_at": None}
    with qtbot.waitSignal(store.alertChanged):
        store.apply_alert(alert)
    assert store.appointment(1)["late"] and store.model.appointment(1).late  # type: ignore[union-attr]
    store.apply_alert({**alert, "open": False})
    assert not store.appointment(1)["late"] and store.open_alerts() == []

    assert abs(store.skew_s) < 2  # this machine's clock against the server's (age_s)
    bookings = list(store.bookings.values())
    with qtbot.waitSignal(store.skewChanged) as skew:  # a reload finds the server's clock 60 s behind ours
        store.load(company=None, technicians=list(store.technicians.values()), day=store.today(), appointments=[],
                   positions=[{"technician_id": 1, "lat": 30.2, "lng": -97.7, "age_s": 0.0,
                               "recorded_at": (datetime.now(UTC) - timedelta(seconds=60)).isoformat()}])
    assert skew.args[0] == pytest.approx(60, abs=3) and store.skew_s == skew.args[0]
    store.load(company=None, technicians=list(store.technicians.values()), day=store.today(),
               appointments=[_appt(1), _appt(2)], bookings=bookings,
               positions=[{"technician_id": 1, "lat": 30.2, "lng": -97.7, "age_s": 30.0,
                           "recorded_at": (datetime.now(UTC) - timedelta(seconds=30)).isoformat()}])
    assert store.fix_age_s(1) == pytest.approx(30, abs=3)
    now = datetime.now(UTC)
    older = {"technician_id": 1, "lat": 1.0, "lng": 1.0, "recorded_at": (now - timedelta(minutes=5)).isoformat()}
    assert not store.apply_position(older) and store.positions[1].lat == 30.2
    with qtbot.waitSignal(store.positionChanged) as sig:
        store.apply_position({**older, "recorded_at": now.isoformat(), "lat": 30.3})
    assert sig.args == [1] and store.positions[1].lat == 30.3

    store.upsert_technician({"id": 1, "name": "Marcus R. Reed", "active": True})
    assert store.model.lanes[store.model.lane_row_for_tech(1)].name == "Marcus R. Reed"  # type: ignore[index]
    assert store.booking_counts() == {"submitted": 1, "confirmed": 1}
    store.upsert_booking({"id": 9, "state": "submitted"}, new=True)
    assert store.booking_counts()["submitted"] == 2


def test_another_day_keeps_today_for_the_crew(qapp: Any, qtbot: Any) -> None:
    store = _store(qapp)
    tomorrow = store.today() + timedelta(days=1)
    store.set_day(tomorrow, [])
    assert store.model.day == tomorrow and len(store.model.appts) == 0
    assert {a["id"] for a in store.todays_appointments()} == {1, 2}  # the crew map still sees today
    assert store.patch_appointment({"id": 1, "version": 2, "status": "en_route"}) is True
    assert store.appointment(1)["status"] == "en_route"


def test_task_failures_are_logged_and_shown_in_words(qloop: Any, qtbot: Any) -> None:
    shown: list[str] = []
    tasks = TaskSet(shown.append)

    async def fails() -> None:
        raise ApiError(0, "network", "Can't reach the server at http://x.")

    tasks.spawn(fails(), "load the alerts")
    qtbot.waitUntil(lambda: bool(shown), timeout=2000)
    assert shown == ["Couldn't load the alerts: Can't reach the server at http://x."]
    assert "details are in the log" in in_words("save", RuntimeError("boom"))


@SQLITE
def test_events_need_no_requests_and_a_reconnect_reloads_once(qtbot: Any, qloop: Any, world: Any,
                                                              tmp_path: Path) -> None:
    from console.wiring import wire

    day = local_day(world.appt1["window_start"])
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path, day=day)
    try:
        wire(c.window, c.live)  # every panel open
        qtbot.waitUntil(lambda: c.live.store.loaded and not c.live.tasks.busy, timeout=8000)
        aid = world.appt1["id"]
        sent, seen = c.client.requests_sent, c.live.events_handled
        # Field-app status changes on a visible appointment: the grid and every panel follow, no request.
        for step, status in (("confirm", "dispatched"), ("on-my-way", "en_route")):
            assert world.field1.post(f"/api/v1/field/appointments/{aid}/{step}").status_code == 200
            qtbot.waitUntil(lambda s=status: c.model.appointment(aid).status == s, timeout=5000)  # type: ignore
        r = world.field1.post("/api/v1/field/positions", headers={"Idempotency-Key": "s1"}, json={"positions": [
            {"lat": 30.27, "lng": -97.74, "accuracy_m": 5, "recorded_at": datetime.now(UTC).isoformat()}]})
        assert r.status_code in (200, 202), r.text
        qtbot.waitUntil(lambda: world.tech1["id"] in c.live.store.positions, timeout=5000)
        assert c.live.events_handled - seen >= 3
        assert c.client.requests_sent == sent, "events carried everything: nothing refetched"

        # A reassignment: the event carries the technician and the window, so nothing is refetched either.
        fresh = world.dispatcher.get(f"/api/v1/appointments/{aid}").json()
        r = world.dispatcher.patch(f"/api/v1/appointments/{aid}", headers={"If-Match": f'"{fresh["version"]}"'},
                                   json={"technician_id": world.tech2["id"], "allow_conflicts": True})
        assert r.status_code == 200, r.text
        qtbot.waitUntil(lambda: c.model.appointment(aid).technician_id == world.tech2["id"],  # type: ignore
                        timeout=5000)
        qtbot.waitUntil(lambda: not c.live.tasks.busy, timeout=5000)
        assert c.client.requests_sent == sent
        assert c.model.appointment(aid).data["technician_name"] == world.tech2["name"]  # type: ignore[union-attr]

        # The stream can't replay a gap: one full reload of the store, whatever the number of panels.
        reloads: list[Any] = []
        c.live.dayLoaded.connect(reloads.append)
        before = c.client.requests_sent
        with qtbot.waitSignal(c.live.store.reset, timeout=8000):
            c.live.stream.on_refresh("reset")
        qtbot.waitUntil(lambda: not c.live.tasks.busy, timeout=5000)
        assert len(reloads) == 1 and c.client.requests_sent - before == 6  # company + five lists
    finally:
        c.close()


def test_offline_load_is_reported(qloop: Any, qtbot: Any) -> None:
    live = LiveSync(ApiClient("http://127.0.0.1:9", token="x"), ScheduleModel())
    failed: list[str] = []
    live.loadFailed.connect(failed.append)
    from tests.console_support import run

    assert not run(qtbot, live.reload())
    assert failed and "Can't reach the server" in failed[0]
