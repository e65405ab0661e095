"""Portal notification preferences: channels, quiet hours, the locked arrival ping; rendered in WebEngine."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.booking_support import portal_client
from tests.conftest import World
from tests.portal_helpers import magic_token
from tests.qt_portal_support import Browser, dress_up

pytestmark = pytest.mark.usefixtures("qapp")


def test_preferences_api_validates_and_locks_the_arrival_ping(world: World) -> None:
    c = portal_client(world, world.cust1["id"])
    prefs = c.get("/api/v1/portal/preferences").json()
    assert prefs["sms"] is True and prefs["arrival_ping_locked"] is True  # appt1 is upcoming
    bad = c.put("/api/v1/portal/preferences", json={"quiet_hours_start": "25:00", "quiet_hours_end": "07:00"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "quiet_hours_start"
    half = c.put("/api/v1/portal/preferences", json={"quiet_hours_start": "21:00"})
    assert half.status_code == 422
    ok = c.put("/api/v1/portal/preferences", json={"sms": False, "quiet_hours_start": "21:00",
                                                   "quiet_hours_end": "07:00"})
    assert ok.status_code == 200 and ok.json()["sms"] is False and ok.json()["quiet_hours_end"] == "07:00"
    # Texts off, but the arrival ping still reaches the customer while the visit is active.
    a = world.appt1["id"]
    for step in ("confirm", "on-my-way"):
        world.field1.post(f"/api/v1/field/appointments/{a}/{step}")
    etag = world.dispatcher.get(f"/api/v1/appointments/{a}").headers["ETag"]
    world.dispatcher.post(f"/api/v1/appointments/{a}/status", json={"status": "arrived"}, headers={"If-Match": etag})
    notes = world.dispatcher.get(f"/api/v1/notifications?appointment_id={a}").json()
    by_kind = {n["kind"]: n["channel"] for n in notes}
    assert by_kind["en_route"] == "email"  # texts are off: routine news goes by email
    assert by_kind["arrived"] == "sms"  # …but the arrival ping still reaches the phone
    preview = portal_client(world, world.cust1["id"], preview=True)
    assert preview.put("/api/v1/portal/preferences", json={"sms": True}).status_code == 403
    other = portal_client(world, world.cust2["id"])
    assert other.get("/api/v1/portal/preferences").json()["sms"] is True  # B's preferences untouched


def test_preferences_page_in_webengine(world: World, qapp, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    if "sqlite" not in world.api.server.settings.db_url:
        pytest.skip("rendering is database-independent; run once")
    dress_up(world)
    b = Browser(qapp, 390, 844)
    b.load(f"{world.api.url}/portal/login/{magic_token(world, world.cust1)}")
    b.load(f"{world.api.url}/portal/preferences")
    text = b.text()
    assert "Text messages" in text and "Quiet hours" in text
    assert "always let you know when your technician arrives" in text
    b.js("document.querySelector('input[name=quiet_hours_start]').value='21:00'")
    b.js("document.querySelector('input[name=quiet_hours_end]').value='07:00'")
    before = b.loads
    b.js("document.querySelector('form.prefs').submit()")
    from tests.qt_portal_support import wait_for

    wait_for(qapp, lambda: b.loads > before, what="save")
    wait_for(qapp, lambda: "saved" in b.text(), what="saved notice")
    b.screenshot(artifacts / "portal_preferences_phone.png")
    b.close()
