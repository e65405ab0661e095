"""Portal pages rendered in Qt WebEngine: visible text per 6-stage status, Track button per state, screenshots."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.portal_helpers import add_visit_data, magic_token, move
from tests.qt_portal_support import Browser, dress_up, now, wait_for

pytestmark = pytest.mark.usefixtures("qapp")

EXPECTED = [
    ("scheduled", "Appointment Confirmed", False),
    ("dispatched", "Getting Ready", False),
    ("en_route", "On the Way 🚗", True),
    ("arrived", "Technician Arrived", True),
    ("in_progress", "Work in Progress", False),
    ("complete", "Visit Complete ✅", False),
]


def _signed_in_browser(world, qloop, width: int = 390, height: int = 844) -> Browser:
    b = Browser(qloop, width, height)
    b.load(f"{world.api.url}/portal/login/{magic_token(world, world.cust1)}")
    assert b.path() == "/portal/schedule"
    return b


def test_each_status_visible_text_and_track_button(world, qapp) -> None:
    if "sqlite" not in world.api.server.settings.db_url:
        pytest.skip("rendering is database-independent; run once")
    dress_up(world)
    today = world.schedule(world.cust1["id"], world.tech1["id"], start=now() - timedelta(minutes=5),
                           service_type="Water heater service")
    b = _signed_in_browser(world, qapp)
    for status, label, track in EXPECTED:
        if status != "scheduled":
            move(world, today["id"], status)
        b.reload()
        card = b.js(f"document.getElementById('appt-{today['id']}').innerText")
        assert label in card, (status, card)
        has_track = b.js(f"!!document.querySelector('#appt-{today['id']} [data-track]')")
        assert has_track is track, status
        if track:
            href = b.js(f"document.querySelector('#appt-{today['id']} [data-track]').getAttribute('href')")
            assert href.startswith("/tracker/")
    b.close()


def test_live_status_refreshes_without_reload(world, qapp) -> None:
    if "sqlite" not in world.api.server.settings.db_url:
        pytest.skip("rendering is database-independent; run once")
    today = world.schedule(world.cust1["id"], world.tech1["id"], start=now() - timedelta(minutes=5))
    move(world, today["id"], "dispatched")
    b = _signed_in_browser(world, qapp)
    loads = b.loads
    b.js("window.__stayed = 'yes'")
    assert "Getting Ready" in b.text()
    move(world, today["id"], "en_route")
    b.js("window.portalRefresh()")
    wait_for(qapp, lambda: "On the Way" in b.js(f"document.getElementById('appt-{today['id']}').innerText"),
             what="live label")
    wait_for(qapp, lambda: b.js("!!document.querySelector('[data-track]')"), what="Track button appears")
    move(world, today["id"], "arrived", "in_progress")
    b.js("window.portalRefresh()")
    wait_for(qapp, lambda: "Work in Progress" in b.text(), what="in progress label")
    wait_for(qapp, lambda: b.js("!document.querySelector('[data-track]')"), what="Track button gone")
    assert b.js("window.__stayed") == "yes" and b.loads == loads  # no page reload happened
    assert b.js("document.querySelector('[data-today]').dataset.refreshS") == "30"
    b.close()


def test_paused_shows_message(world, qapp) -> None:
    if "sqlite" not in world.api.server.settings.db_url:
        pytest.skip("rendering is database-independent; run once")
    today = world.schedule(world.cust1["id"], world.tech1["id"], start=now() - timedelta(minutes=5))
    move(world, today["id"], "dispatched", "in_progress")
    move(world, today["id"], "paused", message="The part is on order; we'll call you Tuesday.")
    b = _signed_in_browser(world, qapp)
    text = b.text()
    assert "Paused" in text and "The part is on order; we'll call you Tuesday." in text
    b.load(f"{world.api.url}/portal/visits/{today['id']}")
    assert "Visit paused: The part is on order" in b.text()
    b.close()


def _rich_schedule(world) -> dict:
    dress_up(world)
    t = now()
    live = world.schedule(world.cust1["id"], world.tech1["id"], start=t - timedelta(minutes=20),
                          service_type="Water heater service")
    move(world, live["id"], "dispatched", "en_route")
    world.schedule(world.cust1["id"], world.tech2["id"], start=t + timedelta(days=2), service_type="AC tune-up")
    world.schedule(world.cust1["id"], None, start=t + timedelta(days=6), service_type="Thermostat install")
    past = world.schedule(world.cust1["id"], world.tech1["id"], start=t - timedelta(days=9),
                          service_type="Drain cleaning")
    move(world, past["id"], "dispatched", "en_route", "arrived", "in_progress", "complete")
    add_visit_data(world, past["id"], past["job_id"],
                   notes="Cleared a hair clog 4 ft into the tub drain and flushed the line. Drains at full speed "
                         "now. Recommend a drain screen to keep it that way.")
    return {"live": live, "past": past}


def test_screenshots_my_schedule_and_visit(world, qapp, artifacts) -> None:
    if "sqlite" not in world.api.server.settings.db_url:
        pytest.skip("screenshots once")
    data = _rich_schedule(world)
    b = _signed_in_browser(world, qapp, 390, 1400)
    text = b.text()
    for s in ("My Schedule", "On the Way 🚗", "Track", "AC tune-up", "Drain cleaning", "Marcus Reed"):
        assert s in text, s
    b.screenshot(artifacts / "portal_schedule_phone.png")
    b.view.resize(1280, 1100)
    b.screenshot(artifacts / "portal_schedule_desktop.png")
    b.load(f"{world.api.url}/portal/visits/{data['past']['id']}")
    b.view.resize(390, 2000)
    text = b.text()
    for s in ("Visit summary", "Cleared a hair clog", "After repair", "How did we do?", "Activity",
              "Visit complete. Thank you!", "Estimate"):
        assert s in text, s
    assert "Internal: old part" not in text
    b.screenshot(artifacts / "portal_visit_summary.png")
    b.close()
