"""The field web app in a real browser (Playwright + Debian chromium, 390×844): sign in, pairing, the day's
jobs updating live, On My Way → the customer's SMS, a GPS arrival, Start, Complete/Pause, offline changes
replayed in order after reconnect, a conflict explained in words. Screenshots land in test-artifacts/field/."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from models.tables import Position, StatusEvent
from services.backend.embedded import EmbeddedServer
from tests.browser_support import browser, phone, shot, sign_in, small_targets, watch  # noqa: F401
from tests.conftest import Api, World
from tests.field_helpers import TZ, move, today_slots
from tests.tracking_helpers import notes, offset, wait_for

SITE = (30.2650, -97.7440)  # customer 1 (Ann Lee) in the World fixture


def card(page, appt_id: int):  # noqa: ANN001, ANN201
    return page.locator(f'a.job[href="#job/{appt_id}"]')


def status_of(world: World, appt_id: int) -> str:
    return world.dispatcher.get(f"/api/v1/appointments/{appt_id}").json()["status"]


def test_sign_in_and_the_days_jobs_update_live(browser, world: World, api: Api, server: EmbeddedServer) -> None:  # noqa: F811
    d = world.dispatcher
    early, late = today_slots(server, 2, hours_apart=2)
    a = move(d, world.appt1, late)
    b = world.schedule(world.cust2["id"], world.tech1["id"], start=early)
    tomorrow = datetime.now(ZoneInfo(TZ)).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    c = world.schedule(world.cust1["id"], world.tech1["id"], start=tomorrow)
    ctx = phone(browser)
    page = ctx.new_page()
    problems = watch(page)
    page.goto(api.url + "/field")
    expect(page).to_have_url(api.url + "/field/login")
    shot(page, "01-sign-in")
    assert not small_targets(page)
    page.fill("input[name=email]", "marcus@example.com")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    expect(page.locator(".alert-error")).to_contain_text("Wrong email or password")
    sign_in(page, api.url)
    jobs = page.locator("a.job")
    expect(jobs).to_have_count(2)
    assert [jobs.nth(i).get_attribute("href") for i in range(2)] == [f"#job/{b['id']}", f"#job/{a['id']}"]
    first = card(page, b["id"])
    expect(first).to_have_class("job next")
    expect(first.locator(".tag")).to_have_text("NEXT")
    expect(first.locator(".chip")).to_contain_text("Scheduled")
    # The console's colours: Scheduled has the grey border #8792A2 and the fill #EEF1F5.
    expect(first).to_have_css("border-left-color", "rgb(135, 146, 162)")
    expect(first.locator(".chip")).to_have_css("background-color", "rgb(238, 241, 245)")
    expect(first).to_contain_text("Bob Diaz")
    expect(first).to_contain_text("200 Lamar Blvd")
    shot(page, "02-jobs-today")
    assert not small_targets(page), small_targets(page)
    page.set_viewport_size({"width": 360, "height": 740})  # the narrowest phones in use
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 360
    first.click()
    expect(page.locator(".who-big")).to_have_text("Bob Diaz")
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 360
    shot(page, "02b-job-at-360px")
    page.go_back()
    page.set_viewport_size({"width": 390, "height": 844})
    # A dispatcher adds one and takes one away: the list follows without a reload.
    added = world.schedule(world.cust1["id"], world.tech1["id"], start=late + timedelta(minutes=30))
    expect(card(page, added["id"])).to_be_visible(timeout=15_000)
    cur = d.get(f"/api/v1/appointments/{a['id']}").json()
    d.patch(f"/api/v1/appointments/{a['id']}", headers={"If-Match": f'"{cur["version"]}"'},
            json={"technician_id": world.tech2["id"], "allow_conflicts": True})
    expect(card(page, a["id"])).to_have_count(0, timeout=15_000)
    page.click("text=Tomorrow ▶")
    expect(card(page, c["id"])).to_be_visible()
    shot(page, "03-jobs-tomorrow")
    page.click("text=◀ Today")
    expect(card(page, b["id"])).to_be_visible()
    assert not problems, problems
    ctx.close()


def test_pairing_link_signs_the_phone_in_once(browser, world: World, api: Api) -> None:  # noqa: F811
    link = world.dispatcher.post(f"/api/v1/technicians/{world.tech1['id']}/pairing-links").json()["url"]
    ctx = phone(browser)
    page = ctx.new_page()
    page.goto(link)
    expect(page.locator(".lead")).to_contain_text("Marcus Reed")
    shot(page, "04-pair-confirm")
    assert not small_targets(page)
    page.click("text=Yes, sign in as Marcus")
    page.wait_for_selector("#view .daynav")
    expect(page.locator(".me")).to_contain_text("Marcus")
    other = phone(browser).new_page()
    other.goto(link)
    expect(other.locator("h1")).to_have_text("Pairing code expired")
    shot(other, "05-pair-used")
    devices = world.dispatcher.get(f"/api/v1/technicians/{world.tech1['id']}/devices").json()
    assert [(x["kind"], x["label"], x["created_by"]) for x in devices] == [
        ("field_app", "Chrome on Android", "paired by Dana Dispatcher")]
    other.context.close()
    ctx.close()


def test_on_my_way_gps_arrival_start_and_pause(browser, world: World, api: Api, server: EmbeddedServer) -> None:  # noqa: F811
    d = world.dispatcher
    appt = move(d, world.appt1, today_slots(server, 1)[0])["id"]
    far = offset(SITE, 0, -1500)
    ctx = phone(browser, lat=far[0], lng=far[1])
    page = ctx.new_page()
    problems = watch(page)
    sign_in(page, api.url)
    card(page, appt).click()
    expect(page.locator(".who-big")).to_have_text("Ann Lee")
    expect(page.locator(".internal")).to_contain_text("Gate 4821")
    expect(page.locator("a.btn", has_text="Call Ann")).to_have_attribute("href", "tel:+15125550199")
    shot(page, "06-job-details", full=True)
    assert not small_targets(page), small_targets(page)
    page.click("button[data-action=confirm]")
    expect(page.locator(".banner")).to_contain_text("Dispatched")
    expect(page.locator("#gps")).to_contain_text("Sharing location with the office")
    page.click("button[data-action=on-my-way]")
    expect(page.locator(".enroute")).to_contain_text("En Route")
    expect(page.locator(".enroute a.btn")).to_have_text("Get Directions")
    href = page.locator(".enroute a.btn").get_attribute("href")
    assert href.startswith("geo:30.265000,-97.744000")  # Android: the phone's own maps app
    page.wait_for_selector("#minimap.leaflet-container")
    sms = wait_for(lambda: [n for n in notes(d, appt) if n["kind"] == "en_route"])
    assert sms[0]["channel"] == "sms" and "is on the way" in sms[0]["body"]
    shot(page, "07-en-route")
    # Parked in the driveway: two inside fixes 20 s apart make the arrival (docs/geofence.md).
    inside = offset(SITE, 3, -30)
    ctx.set_geolocation({"latitude": inside[0], "longitude": inside[1], "accuracy": 5})
    wait_for(lambda: any(abs(c["lat"] - inside[0]) < 1e-6 for c in
                         d.get(f"/api/v1/crew/{world.tech1['id']}/breadcrumbs").json()), timeout=20)
    time.sleep(21)
    later = offset(SITE, 2, -26)
    ctx.set_geolocation({"latitude": later[0], "longitude": later[1], "accuracy": 5})
    wait_for(lambda: status_of(world, appt) == "arrived", timeout=25)
    expect(page.locator(".banner")).to_contain_text("Arrived", timeout=15_000)
    shot(page, "08-arrived")
    page.click("button[data-action=start]")
    expect(page.locator(".banner")).to_contain_text("In Progress")
    shot(page, "09-in-progress")
    page.click("button[data-action=finish]")
    sheet = page.locator(".sheet")
    expect(sheet.locator("button.choice")).to_have_count(2)
    expect(sheet.locator("button.choice").nth(0)).to_have_text("This job requires follow up (Pause It)")
    expect(sheet.locator("button.choice").nth(1)).to_have_text("This job is done (Complete It)")
    shot(page, "10-complete-choices")
    sheet.locator("[data-choice=pause]").click()
    sheet.locator("text=Pause job and send message").click()
    expect(sheet.locator(".alert-error")).to_contain_text("Write a message for the customer")
    shot(page, "11-pause-needs-message")
    assert status_of(world, appt) == "in_progress"
    sheet.locator("#pause-message").fill("The valve is on order; we'll call you to book the follow-up.")
    sheet.locator("text=Pause job and send message").click()
    expect(page.locator(".banner")).to_contain_text("Paused (follow-up)")
    expect(page.locator(".banner")).to_contain_text("The valve is on order")
    got = d.get(f"/api/v1/appointments/{appt}").json()
    assert got["status"] == "paused" and got["customer_message"].startswith("The valve is on order")
    shot(page, "12-paused")
    assert not problems, problems
    ctx.close()


def test_offline_start_and_fixes_are_replayed_in_order(browser, world: World, api: Api, server: EmbeddedServer  # noqa: F811
                                                      ) -> None:
    d, f1 = world.dispatcher, world.field1
    first, second = today_slots(server, 2, hours_apart=2)
    appt = move(d, world.appt1, first)["id"]
    nxt = world.schedule(world.cust2["id"], world.tech1["id"], start=second)["id"]
    for a in (appt, nxt):
        f1.post(f"/api/v1/field/appointments/{a}/confirm")
    f1.post(f"/api/v1/field/appointments/{appt}/on-my-way")
    start = offset(SITE, 0, -2500)
    ctx = phone(browser, lat=start[0], lng=start[1])
    page = ctx.new_page()
    problems = watch(page)
    sign_in(page, api.url)
    wait_for(lambda: page.evaluate("() => navigator.serviceWorker.controller !== null"), timeout=20)
    card(page, appt).click()
    expect(page.locator(".enroute")).to_be_visible()
    expect(page.locator("#gps")).to_contain_text("Sharing location with the office")
    wait_for(lambda: d.get(f"/api/v1/crew/{world.tech1['id']}/breadcrumbs").json(), timeout=20)
    ctx.set_offline(True)
    expect(page.locator("#net")).to_contain_text("Offline", timeout=10_000)
    offline_fixes = [offset(SITE, 0, -2000), offset(SITE, 0, -1500), offset(SITE, 0, -1000)]
    for lat, lng in offline_fixes:
        ctx.set_geolocation({"latitude": lat, "longitude": lng, "accuracy": 6})
        time.sleep(5)
    expect(page.locator("#outbox")).to_contain_text("location point", timeout=15_000)
    # Reloading without a connection shows the cached day and job.
    page.reload()
    expect(page.locator(".who-big")).to_have_text("Ann Lee")
    page.click("text=← All jobs")
    expect(page.locator("#view")).to_contain_text("Offline — showing this day as it was loaded at")
    expect(card(page, appt)).to_be_visible()
    shot(page, "13-offline-day")
    card(page, appt).click()
    page.click("button[data-action=start]")
    expect(page.locator(".banner")).to_contain_text("In Progress")
    expect(page.locator("#outbox")).to_contain_text("1 change waiting to send")
    after = offset(SITE, 0, -20)  # GPS stays on: the next job is dispatched
    ctx.set_geolocation({"latitude": after[0], "longitude": after[1], "accuracy": 6})
    page.wait_for_timeout(500)
    page.evaluate("window.fieldApp.gps.flush()")  # the next batch is due in 10 s; do not wait for it
    expect(page.locator("#outbox")).to_contain_text("1 change waiting to send")
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "14-offline-waiting")
    assert status_of(world, appt) == "en_route"
    ctx.set_offline(False)
    results = page.locator("#results")
    expect(results).to_contain_text("Start Appointment — Ann Lee — sent", timeout=20_000)
    expect(results).to_contain_text("location points sent")
    expect(page.locator("#outbox")).to_be_hidden()
    expect(page.locator("#toast")).to_contain_text("everything waiting was sent")
    expect(page.locator("#view")).not_to_contain_text("Offline — showing this job")  # reloaded from the server
    page.evaluate("() => window.scrollTo(0, 0)")
    shot(page, "15-sent-after-reconnect")
    assert status_of(world, appt) == "in_progress"
    with server.backend.sessions() as s:
        starts = s.scalars(select(StatusEvent).where(StatusEvent.appointment_id == appt,
                                                     StatusEvent.to_status == "in_progress")).all()
        assert len(starts) == 1 and starts[0].source == "field_app"
        rows = s.scalars(select(Position).where(Position.technician_id == world.tech1["id"])
                         .order_by(Position.recorded_at)).all()
    by_lat = {round(r.lat, 6): r for r in rows}
    sent_offline = [by_lat[round(lat, 6)] for lat, _ in offline_fixes]
    # In their original order, with the time they were recorded (not when they arrived), before the Start…
    assert [r.recorded_at for r in sent_offline] == sorted(r.recorded_at for r in sent_offline)
    assert all(r.received_at < starts[0].created_at < by_lat[round(after[0], 6)].received_at for r in sent_offline)
    assert all(r.received_at - r.recorded_at > timedelta(seconds=2) for r in sent_offline)
    assert len({r.recorded_at for r in rows}) == len(rows) and all(r.source == "field_app" for r in rows)
    page.click("text=OK, got it")
    expect(results).to_be_hidden()
    assert not problems, problems
    ctx.close()


def test_a_conflict_is_explained_in_words(browser, world: World, api: Api, server: EmbeddedServer) -> None:  # noqa: F811
    d, f1 = world.dispatcher, world.field1
    appt = move(d, world.appt1, today_slots(server, 1)[0])["id"]
    v = f1.post(f"/api/v1/field/appointments/{appt}/confirm").json()["version"]
    ctx = phone(browser)
    page = ctx.new_page()
    sign_in(page, api.url)
    card(page, appt).click()
    expect(page.locator(".banner")).to_contain_text("Dispatched")
    ctx.set_offline(True)
    expect(page.locator("#net")).to_contain_text("Offline", timeout=10_000)
    r = d.post(f"/api/v1/appointments/{appt}/status", headers={"If-Match": f'"{v}"'},
               json={"status": "scheduled", "reason": "Customer rescheduling"})
    assert r.status_code == 200
    # The tap itself is tested above; here the page re-lays out while going offline (strips appear), which on a
    # loaded machine can leave the pointer over the page instead of the button: send the tap to the button.
    page.locator("button[data-action=on-my-way]").dispatch_event("click")
    expect(page.locator(".enroute")).to_be_visible()  # shown at once, waiting to send
    ctx.set_offline(False)
    results = page.locator("#results")
    expect(results).to_contain_text("Dana Dispatcher changed this job first — it is now Scheduled", timeout=20_000)
    expect(results).to_contain_text("“On My Way — Ann Lee” was not applied")
    expect(page.locator(".banner")).to_contain_text("Scheduled")
    shot(page, "16-conflict")
    assert status_of(world, appt) == "scheduled"
    assert not [n for n in notes(d, appt) if n["kind"] == "en_route"]
    ctx.close()


def test_note_photo_profile_and_blocked_location(browser, world: World, api: Api, server: EmbeddedServer,  # noqa: F811
                                                 tmp_path) -> None:
    import io

    from PIL import Image

    d = world.dispatcher
    appt = move(d, world.appt1, today_slots(server, 1)[0])["id"]
    world.field1.post(f"/api/v1/field/appointments/{appt}/confirm")
    ctx = phone(browser, locate=False)
    page = ctx.new_page()
    sign_in(page, api.url)
    expect(page.locator("#gps")).to_contain_text("Location is blocked")
    shot(page, "17-location-blocked")
    card(page, appt).click()
    page.fill("#note-text", "Shut-off valve replaced; customer wants a water-heater quote.")
    page.click("text=Add note")
    expect(page.locator(".notes")).to_contain_text("Shut-off valve replaced")
    big = tmp_path / "camera.jpg"
    Image.new("RGB", (3000, 2000), "#996633").save(big, "JPEG")
    page.set_input_files("#photo-input", str(big))
    wait_for(lambda: d.get(f"/api/v1/appointments/{appt}/photos").json(), timeout=15)
    photo = d.get(f"/api/v1/appointments/{appt}/photos").json()[0]
    data = d.get(photo["url"]).content
    with Image.open(io.BytesIO(data)) as img:
        assert max(img.size) == 1600  # downscaled on the phone before upload
    assert photo["shared_with_customer"] is False
    notes_seen = d.get(f"/api/v1/appointments/{appt}/team-notes").json()
    assert notes_seen[-1]["author_name"] == "Marcus Reed"
    expect(page.locator(".photos figcaption").first).to_have_text("Team only", timeout=15_000)
    shot(page, "18-note-and-photo", full=True)
    page.click(".me")
    expect(page.locator(".badge")).to_have_text("Not submitted")
    page.fill("#bio", "Licensed plumber, 12 years in Austin homes.")
    page.click("text=Send bio for approval")
    expect(page.locator(".badge")).to_have_text("Waiting for approval")
    d.post(f"/api/v1/technicians/{world.tech1['id']}/bio/reject", json={"reason": "Add your specialty"})
    expect(page.locator(".alert-error")).to_contain_text("Add your specialty", timeout=15_000)
    shot(page, "19-profile", full=True)
    assert not small_targets(page), small_targets(page)
    page.once("dialog", lambda dlg: dlg.accept())
    page.click("text=Sign out of this phone")
    expect(page).to_have_url(api.url + "/field/login")
    ctx.close()
