"""GET /api/v1/events: delivery, strictly increasing ids, Last-Event-ID replay, fan-out across replicas."""

from __future__ import annotations

import pytest

from services.backend.clock import OffsetClock
from services.backend.embedded import EmbeddedServer
from tests.conftest import Api, World, make_settings
from tests.sse import SseReader


def _token(c) -> str:  # type: ignore[no-untyped-def]
    return c.headers["Authorization"].split()[1]


def test_events_arrive_and_replay_after_reconnect(api: Api, world: World) -> None:
    tok = _token(world.dispatcher)
    reader = SseReader(api.url, tok)
    a = world.appt1["id"]
    world.field1.post(f"/api/v1/field/appointments/{a}/confirm")
    first = reader.wait_for(lambda e: e[1] == "appointment.updated" and e[2]["id"] == a)
    assert first[2]["status"] == "dispatched"
    reader.close()
    # Missed while disconnected:
    world.field1.post(f"/api/v1/field/appointments/{a}/on-my-way")
    world.field1.post(f"/api/v1/field/appointments/{a}/start")
    again = SseReader(api.url, tok, last_event_id=str(first[0]))
    seen = again.wait_for(lambda e: e[1] == "appointment.updated" and e[2].get("status") == "in_progress")
    ids = [e[0] for e in again.events]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) and ids[0] > first[0]
    statuses = [e[2]["status"] for e in again.events if e[1] == "appointment.updated"]
    assert statuses[:2] == ["en_route", "in_progress"]
    assert any(e[1] == "notification.created" for e in again.events)
    assert seen[0] > first[0]
    again.close()


def test_pruned_gap_asks_for_a_full_refresh(api: Api, world: World) -> None:
    from sqlalchemy import delete

    from models.tables import Event

    world.field1.post(f"/api/v1/field/appointments/{world.appt1['id']}/confirm")
    with api.server.backend.sessions() as s:
        newest = max(e.id for e in s.query(Event))
        s.execute(delete(Event).where(Event.id < newest))
        s.commit()
    reader = SseReader(api.url, _token(world.dispatcher), last_event_id="1")
    reset = reader.wait_for(lambda e: e[1] == "stream.reset")
    assert reset[2]["newest"] == newest
    reader.close()


def test_bad_last_event_id_is_a_clear_422(api: Api, world: World) -> None:
    r = world.dispatcher.get("/api/v1/events", headers={"Last-Event-ID": "yesterday"})
    assert r.status_code == 422 and "Last-Event-ID" in r.json()["error"]["message"]


@pytest.mark.pg
def test_events_fan_out_between_replicas_on_postgresql(pg_url: str) -> None:
    db_url = pg_url
    a = EmbeddedServer(make_settings(db_url), clock=OffsetClock()).start()
    b = EmbeddedServer(make_settings(db_url), clock=OffsetClock()).start()
    try:
        world = World(Api(a))
        tok = _token(world.dispatcher)
        reader = SseReader(b.url, tok)  # listening on replica B
        world.field1.post(f"/api/v1/field/appointments/{world.appt1['id']}/confirm")  # written through A
        reader.wait_for(lambda e: e[1] == "appointment.updated" and e[2]["status"] == "dispatched", timeout=3)
        reader.close()
    finally:
        a.stop()
        b.stop()
