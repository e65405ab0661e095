"""The console's API client and event-stream consumer against the real backend on loopback."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import date, datetime, timedelta

import pytest

from services.api_client import ApiClient, ApiError
from services.event_stream import EventStream, LinkState


def _token(client) -> str:  # type: ignore[no-untyped-def]
    return client.headers["Authorization"].split(" ", 1)[1]


async def _until(pred, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_login_company_and_appointments(world) -> None:  # type: ignore[no-untyped-def]
    api = ApiClient(world.api.url)
    try:
        with pytest.raises(ApiError) as bad:
            await api.login("dana@example.com", "wrong")
        assert bad.value.status == 401 and "Wrong email or password" in bad.value.message
        out = await api.login("dana@example.com", "dispatch123")
        assert out["user"]["role"] == "dispatcher" and api.token
        company = await api.company()
        assert company["time_zone"] and "name" in company
        appt = await api.appointment(world.appt1["id"])
        assert appt["customer_name"] == "Ann Lee" and appt["history"] == []
        start = datetime.fromisoformat(appt["window_start"])
        techs = await api.technicians()
        assert {t["name"] for t in techs} >= {"Marcus Reed", "Elena Torres"}
        from zoneinfo import ZoneInfo

        listed = await api.appointments(start.astimezone(ZoneInfo(company["time_zone"])).date())
        assert world.appt1["id"] in {a["id"] for a in listed}
        with pytest.raises(ApiError) as busy:  # Elena has Bob Diaz's visit then
            await api.patch_appointment(appt["id"], appt["version"], technician_id=world.tech2["id"])
        assert busy.value.status == 409 and busy.value.code == "schedule_conflict"
        assert busy.value.details["conflicts"][0]["kind"] == "overlap"
        moved = await api.patch_appointment(appt["id"], appt["version"], technician_id=world.tech2["id"],
                                            allow_conflicts=True)
        assert moved["technician_id"] == world.tech2["id"] and moved["version"] == appt["version"] + 1
        with pytest.raises(ApiError) as stale:
            await api.patch_appointment(appt["id"], appt["version"], window_start=start + timedelta(hours=1))
        assert stale.value.status == 412 and "Someone else changed" in stale.value.message
        assert stale.value.details["current_version"] == moved["version"]
        with pytest.raises(ApiError) as back:
            await api.set_status(appt["id"], moved["version"], "paused")
        assert back.value.status == 409 and back.value.code == "invalid_transition"
        done = await api.set_status(appt["id"], moved["version"], "dispatched")
        assert done["status"] == "dispatched" and done["history"][-1]["source"] == "console"
        with pytest.raises(ApiError) as need_reason:
            await api.set_status(appt["id"], done["version"], "scheduled")
        assert need_reason.value.status == 422 and need_reason.value.field_errors[0]["field"] == "reason"
        assert (await api.message_tech(appt["id"], "Call the office"))["notification_id"]
        outbox = await api.notifications(appointment_id=appt["id"])
        assert any(n["kind"] == "dispatcher_message" for n in outbox)
        assert isinstance(await api.alerts(), list) and isinstance(await api.crew_positions(), list)
        with pytest.raises(ApiError) as missing:
            await api.appointment(999999)
        assert missing.value.status == 404
        assert isinstance(await api.appointments(date.today()), list)
    finally:
        await api.aclose()


async def test_unreachable_server_and_expired_token() -> None:
    api = ApiClient("http://127.0.0.1:9", token="nope")
    try:
        with pytest.raises(ApiError) as err:
            await api.technicians()
        assert err.value.status == 0 and "Can't reach the server" in err.value.message
    finally:
        await api.aclose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_unauthorized_callback(world) -> None:  # type: ignore[no-untyped-def]
    api = ApiClient(world.api.url, token="expired-token")
    seen: list[ApiError] = []
    api.on_unauthorized.append(seen.append)
    try:
        with pytest.raises(ApiError):
            await api.technicians()
        assert seen and seen[0].status == 401 and "Sign in again" in seen[0].message
    finally:
        await api.aclose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_event_stream_delivers_and_resumes(world) -> None:  # type: ignore[no-untyped-def]
    api = ApiClient(world.api.url, token=_token(world.dispatcher))
    events: list[tuple[int | None, str, dict]] = []
    refreshes: list[str] = []
    states: list[LinkState] = []
    stream = EventStream(api, on_event=lambda i, n, d: events.append((i, n, d)), on_refresh=refreshes.append,
                         on_state=lambda s, t: states.append(s), base_delay_s=0.05, offline_after_s=0.3)
    stream.start()
    try:
        await _until(lambda: refreshes == ["initial"] and stream.state == LinkState.LIVE)
        aid = world.appt1["id"]
        await asyncio.to_thread(world.field1.post, f"/api/v1/field/appointments/{aid}/confirm")
        await _until(lambda: any(n == "appointment.updated" and d["id"] == aid for _, n, d in events))
        assert events[-1][2]["status"] == "dispatched"
        # Resume: pretend we missed everything after the first event; the server replays it once.
        first_id = events[0][0]
        assert first_id is not None
        stream.last_event_id = first_id - 1
        stream._fresh = False
        before = len(events)
        if stream._task:
            stream._task.cancel()
        stream._task = None
        stream.start()
        await _until(lambda: len(events) > before)
        assert events[before][0] == first_id and refreshes == ["initial"]
    finally:
        await stream.stop()
        await api.aclose()


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "event-stream" and t.is_alive()]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_event_stream_stop_ends_its_reader(world) -> None:  # type: ignore[no-untyped-def]
    """The stream is read on a thread of its own: stopping it ends that thread and nothing arrives after."""
    api = ApiClient(world.api.url, token=_token(world.dispatcher))
    events: list[tuple[int | None, str, dict]] = []
    stream = EventStream(api, on_event=lambda i, n, d: events.append((i, n, d)), on_refresh=lambda r: None)
    stream.start()
    try:
        await _until(lambda: stream.state == LinkState.LIVE)
        assert len(_readers()) == 1
        await stream.stop()
        await _until(lambda: not _readers())
        before = len(events)
        await asyncio.to_thread(world.field1.post, f"/api/v1/field/appointments/{world.appt1['id']}/confirm")
        await asyncio.sleep(0.3)
        assert len(events) == before
    finally:
        await stream.stop()
        await api.aclose()


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    s = EventStream.__new__(EventStream)
    s.base_delay_s, s.max_delay_s = 0.5, 15.0
    s.rng = lambda: 1.0
    assert [s.backoff(n) for n in (1, 2, 3, 10)] == [0.5, 1.0, 2.0, 15.0]
    s.rng = lambda: 0.0
    assert s.backoff(3) == 1.0
