"""The safety net under the row locks (services/backend/locking.py): an appointment write made from a stale copy
never lands, and no two status changes can claim one version — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from models.tables import Appointment, StatusEvent
from tests.conftest import World


def test_a_write_from_a_stale_copy_never_lands(world: World) -> None:
    d, a = world.dispatcher, world.appt1["id"]
    ctx = world.api.server.backend
    with ctx.sessions() as s:
        stale = s.get(Appointment, a)
        assert stale is not None
        s.commit()  # the copy outlives its transaction (as a slow request's would)
        etag = d.get(f"/api/v1/appointments/{a}").headers["ETag"]
        r = d.post(f"/api/v1/appointments/{a}/status", json={"status": "dispatched"}, headers={"If-Match": etag})
        assert r.status_code == 200
        stale.status, stale.version = "cancelled", stale.version + 1
        with pytest.raises(StaleDataError):
            s.commit()
    now = d.get(f"/api/v1/appointments/{a}").json()
    assert now["status"] == "dispatched" and [h["version"] for h in now["history"]] == [now["version"]]


def test_two_status_changes_cannot_claim_one_version(world: World) -> None:
    a = world.appt1["id"]
    etag = world.dispatcher.get(f"/api/v1/appointments/{a}").headers["ETag"]
    r = world.dispatcher.post(f"/api/v1/appointments/{a}/status", json={"status": "dispatched"},
                              headers={"If-Match": etag})
    version = r.json()["version"]
    with world.api.server.backend.sessions() as s:
        s.add(StatusEvent(appointment_id=a, version=version, from_status="scheduled", to_status="cancelled",
                          actor="system", source="console", created_at=datetime.now(UTC)))
        with pytest.raises(IntegrityError):
            s.commit()
