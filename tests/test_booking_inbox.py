"""The booking inbox widget against the real backend, and the whole booking flow end to end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QTime

from services.api_client import ApiClient
from tests.booking_support import at, day, form, image, jpeg_with_gps, portal_client, set_company
from tests.console_support import loaded_live
from tests.qt_loop import run as run_on_qt


async def until(pred: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> float:
    """Poll (letting Qt and asyncio run) until `pred()` is true; returns the seconds it took."""
    t0 = time.monotonic()
    while not pred():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
    return time.monotonic() - t0


async def signed_in(world: Any) -> ApiClient:
    client = ApiClient(world.api.url)
    await client.login("dana@example.com", "dispatch123")
    return client


def test_end_to_end_counter_proposal(world: Any, qloop: asyncio.AbstractEventLoop, qtbot: Any) -> None:
    from console.live import LiveSync
    from widgets.booking_inbox import BookingInbox
    from widgets.schedule_model import ScheduleModel

    set_company(world, bookable_services=["Leak repair", "AC tune-up", "Water heater install"])
    portal = portal_client(world, world.cust1["id"])
    counter_day = day(world, 6)

    async def scenario() -> None:
        client = await signed_in(world)
        grid = ScheduleModel()
        live = LiveSync(client, grid)
        inbox = BookingInbox(client, live.store)
        qtbot.addWidget(inbox)
        inbox.start()
        counts: list[int] = []
        notices: list[tuple[str, str]] = []
        inbox.countChanged.connect(counts.append)
        inbox.notify.connect(lambda t, s: notices.append((t, s)))
        await inbox.refresh()
        await live.start(date.fromisoformat(counter_day))
        await until(lambda: live.stream.state.value == "live" and live.store.loaded, what="the event stream")
        assert inbox.model.rowCount() == 0

        # 1. the customer posts the real portal form (multipart, with a photo)
        t0 = time.monotonic()
        r = await asyncio.to_thread(portal.post, "/portal/request", data=form(world, service="AC tune-up"),
                                    files=[("photos", ("unit.jpg", jpeg_with_gps(), "image/jpeg"))])
        assert r.status_code == 303, r.text
        t_post = time.monotonic()
        rid = int(r.headers["location"].split("/")[-1].split("?")[0])
        await until(lambda: inbox.model.row_of(rid) >= 0, timeout=10, what="the request in the inbox")
        took = time.monotonic() - t_post
        print(f"portal form accepted → inbox row: {took:.3f} s (the POST itself took {t_post - t0:.3f} s)")
        assert len(notices) == 1 and notices[0][0] == "New booking request"
        assert notices[0][1].endswith(": Ann Lee — AC tune-up")
        assert inbox.unread_count() == 1 and counts[-1] == 1
        row = inbox.model.request(rid)
        assert row and row["service_type"] == "AC tune-up" and len(row["photos"]) == 1

        # 2. the dispatcher opens it (read) and counter-proposes through the widget
        inbox.select(rid)
        assert inbox.unread_count() == 0 and counts[-1] == 0
        d = inbox.detail
        assert d.title.text() == "Ann Lee" and "Under the kitchen sink." in d.labels["notes"].text()
        await until(lambda: d.photo_buttons and not d.photo_buttons[0].icon().isNull(), what="the thumbnail")
        d.counter_btn.click()
        f = d.counter_form
        f.day.setDate(f.day.date().fromString(counter_day, "yyyy-MM-dd"))
        f.start.setTime(QTime(13, 0))
        f.end.setTime(QTime(15, 0))
        f.tech.setCurrentIndex(f.tech.findData(world.tech1["id"]))
        f.submit.click()
        assert "Write a message" in f.error.text()  # validated before any request
        f.message.setPlainText("We're booked on your dates — would this afternoon work?")
        f.submit.click()
        await until(lambda: (inbox.model.request(rid) or {}).get("state") == "counter_proposed",
                    what="the counter-proposal")
        assert f.error.isHidden()
        assert "waiting for the customer" in d.labels["response"].text()

        # 3. the customer accepts through the portal
        page = await asyncio.to_thread(portal.get, f"/portal/requests/{rid}")
        assert "Accept this time" in page.text and "1:00 PM – 3:00 PM" in page.text
        r = await asyncio.to_thread(portal.post, f"/portal/requests/{rid}/accept-counter")
        assert r.status_code == 303
        await until(lambda: (inbox.model.request(rid) or {}).get("state") == "confirmed",
                    what="the inbox to show it confirmed")
        appt_id = inbox.model.request(rid)["appointment_id"]  # type: ignore[index]

        # 4. the appointment is in the grid's model and the schedule data
        await until(lambda: grid.appointment(appt_id) is not None, what="the appointment in the grid model")
        assert grid.appointment(appt_id).technician_id == world.tech1["id"]  # type: ignore[union-attr]
        listed = await client.appointments(date.fromisoformat(counter_day))
        assert any(a["id"] == appt_id and a["customer_name"] == "Ann Lee" for a in listed)
        await live.stop()
        await client.aclose()


    run_on_qt(scenario(), 30)

    # 5. My Schedule (portal JSON) shows it, and the customer's outbox holds the notifications
    sched = portal.get("/api/v1/portal/schedule")
    if sched.status_code != 404:
        assert sched.status_code == 200, sched.text
        assert "AC tune-up" in sched.text and str(at(counter_day, 13).date().day) in sched.text
    notes = world.dispatcher.get("/api/v1/notifications", params={"customer_id": world.cust1["id"]}).json()
    kinds = [n["kind"] for n in notes if n["kind"].startswith("booking_")]
    assert sorted(kinds) == ["booking_confirmed", "booking_counter_proposed"]
    counter_note = next(n for n in notes if n["kind"] == "booking_counter_proposed")
    assert "would this afternoon work?" in counter_note["body"] and "/portal/requests/" in counter_note["body"]


def test_inbox_actions_show_clashes_and_errors(world: Any, qloop: asyncio.AbstractEventLoop, qtbot: Any) -> None:
    from widgets.booking_inbox import BookingInbox

    portal = portal_client(world, world.cust1["id"])
    d = world.dispatcher
    ids = []
    for svc in ("Leak repair", "Gutter cleaning", "Fence repair"):
        r = portal.post("/api/v1/portal/booking-requests", json={
            "service_type": svc, "preferred_dates": [day(world, 3)], "time_preference": "morning"})
        ids.append(r.json()["id"])
    world.schedule(world.cust2["id"], world.tech2["id"], start=at(day(world, 3), 8, 30), hours=2)
    d.post(f"/api/v1/booking-requests/{ids[2]}/decline", json={"message": "We don't do fences."})

    async def scenario() -> None:
        client = await signed_in(world)
        inbox = BookingInbox(client, (await loaded_live(client)).store)
        qtbot.addWidget(inbox)
        inbox.start()
        await inbox.refresh()
        m = inbox.model
        assert m.ids() == list(reversed(ids)), "newest first"
        assert m.unread_count() == 2 and m.data(m.index(0, 4)) == "just now"
        inbox.filter.setCurrentIndex(inbox.filter.findData("declined"))
        assert inbox.proxy.rowCount() == 1
        inbox.filter.setCurrentIndex(0)
        assert inbox.proxy.rowCount() == 3

        # Mark under review
        inbox.select(ids[0])
        inbox.detail.review_btn.click()
        await until(lambda: m.request(ids[0])["state"] == "under_review", what="review")  # type: ignore[index]
        assert not inbox.detail.review_btn.isEnabled()

        # Accept: Elena's day shows the 8:30 job as a clash, and the API refuses a double booking
        det = inbox.detail
        det.accept_btn.click()
        f = det.accept_form
        f.tech.setCurrentIndex(f.tech.findData(world.tech2["id"]))
        await until(lambda: not f.overlap.isHidden(), what="the clash to show")
        items = [f.day_list.item(i).text() for i in range(f.day_list.count())]
        assert any(t.startswith("⚠ Overlaps: 8:30 AM – 10:30 AM") and "Bob Diaz" in t for t in items), items
        f.submit.click()
        assert "already booked" in f.error.text()
        f.overlap.setChecked(True)
        f.submit.click()
        await until(lambda: m.request(ids[0])["state"] == "confirmed", what="accept")  # type: ignore[index]

        # Decline needs a message; the API's error shows in words (someone else answered first)
        inbox.select(ids[1])
        det.decline_btn.click()
        det.decline_form.submit.click()
        assert "A message is required" in det.decline_form.error.text()
        d.post(f"/api/v1/booking-requests/{ids[1]}/decline", json={"message": "Handled by phone."})
        det.decline_form.message.setPlainText("Sorry, we're fully booked.")
        det.decline_form.submit.click()
        await until(lambda: not det.decline_form.error.isHidden() and not det.decline_form.busy(), what="error")
        assert "Cannot decline it: the request is declined" in det.decline_form.error.text()
        await client.aclose()

    run_on_qt(scenario(), 30)


def test_accept_refused_for_time_off_says_why_and_offers_book_anyway(world: Any, qloop: asyncio.AbstractEventLoop,
                                                                      qtbot: Any) -> None:
    """A conflict the day list can't show (time off): the form says which, in words, and offers "Book anyway"."""
    from tests.conftest import add_user
    from widgets.booking_inbox import BookingInbox

    add_user(world.api.server, "boss@example.com", "admin-pass-1", "admin", "Mike Boss")
    admin = world.api.login("boss@example.com", "admin-pass-1")
    off = {"starts_at": at(day(world, 3), 7).isoformat(), "ends_at": at(day(world, 3), 18).isoformat(),
           "reason": "training"}
    assert admin.post(f"/api/v1/technicians/{world.tech2['id']}/time-off", json=off).status_code == 201
    rid = portal_client(world, world.cust1["id"]).post("/api/v1/portal/booking-requests", json={
        "service_type": "Leak repair", "preferred_dates": [day(world, 3)], "time_preference": "morning"}).json()["id"]

    async def scenario() -> None:
        client = await signed_in(world)
        inbox = BookingInbox(client, (await loaded_live(client)).store)
        qtbot.addWidget(inbox)
        inbox.start()
        await inbox.refresh()
        inbox.select(rid)
        det = inbox.detail
        det.accept_btn.click()
        f = det.accept_form
        f.tech.setCurrentIndex(f.tech.findData(world.tech2["id"]))
        assert f.overlap.isHidden()  # no other visit that day
        f.submit.click()
        await until(lambda: not f.error.isHidden() and not f.busy(), what="the refusal")
        assert "Elena Torres has a conflict then" in f.error.text() and "training" in f.error.text()
        assert "Book anyway" in f.error.text() and not f.overlap.isHidden()
        assert inbox.model.request(rid)["state"] == "submitted"  # type: ignore[index]
        f.overlap.setChecked(True)
        f.submit.click()
        await until(lambda: inbox.model.request(rid)["state"] == "confirmed", what="accept")  # type: ignore[index]
        await client.aclose()

    run_on_qt(scenario(), 30)


def test_stale_flag_and_age(qapp: Any) -> None:
    from widgets.booking_model import BookingModel, StaleRole, age_text

    assert [age_text(s) for s in (5, 600, 3 * 3600, 50 * 3600)] == ["just now", "10 min ago", "3 h ago", "2 d ago"]
    clock = [100.0]
    m = BookingModel(monotonic=lambda: clock[0])
    m.set_requests([{"id": 1, "state": "submitted", "created_at": "2026-11-20T10:00:00+00:00",
                     "age_seconds": 47 * 3600, "preferred_dates": ["2026-11-25"], "stale": False}])
    assert m.data(m.index(0, 4)) == "47 h ago" and not m.data(m.index(0, 0), StaleRole)
    clock[0] += 2 * 3600
    assert m.data(m.index(0, 4)) == "⚠ 2 d ago" and m.data(m.index(0, 0), StaleRole)


def test_screenshot_inbox_with_demo_data(tmp_path: Any, qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                         artifacts: Any) -> None:
    from models.tables import BookingPhoto, BookingRequest
    from services.backend import demo
    from services.backend.clock import OffsetClock
    from services.backend.embedded import EmbeddedServer
    from services.backend.photos import process
    from tests.conftest import make_settings
    from widgets.booking_inbox import BookingInbox

    srv = EmbeddedServer(make_settings(f"sqlite:///{tmp_path / 'demo.db'}"), clock=OffsetClock()).start()
    try:
        with srv.backend.sessions() as s:
            demo.seed(s, srv.backend)
            s.flush()
            newest = s.query(BookingRequest).order_by(BookingRequest.created_at.desc()).first()
            assert newest is not None
            for name, raw in (("sink.jpg", jpeg_with_gps((900, 700), "#6b8fb3")),
                              ("pipe.png", image("PNG", "#b3846b", (800, 600))),
                              ("floor.webp", image("WEBP", "#7fa36b", (800, 600)))):
                p = process(raw, name)
                s.add(BookingPhoto(booking_request_id=newest.id, content_type=p.content_type, data=p.data,
                                   thumbnail=p.thumbnail, size=p.size, filename=p.filename,
                                   created_at=newest.created_at))
            newest_id = newest.id
            s.commit()

        async def scenario() -> None:
            client = ApiClient(srv.url)
            await client.login(demo.DISPATCHER_EMAIL, demo.DEMO_PASSWORD)
            inbox = BookingInbox(client, (await loaded_live(client)).store)
            qtbot.addWidget(inbox)
            inbox.start()
            inbox.resize(1920, 1080)
            inbox.show()
            await inbox.refresh()
            inbox.select(newest_id)
            det = inbox.detail
            await until(lambda: det.photo_buttons and all(not b.icon().isNull() for b in det.photo_buttons),
                        what="thumbnails")
            det.accept_btn.click()
            f = det.accept_form
            f.tech.setCurrentIndex(1)
            await until(lambda: f.day_list.count() and "Loading" not in f.day_list.item(0).text(), what="day")
            await asyncio.sleep(0.2)
            inbox.grab().save(str(artifacts / "booking_inbox.png"))
            await client.aclose()

        run_on_qt(scenario(), 30)
    finally:
        srv.stop()


def _render(qtbot: Any, url: str, token: str, path: str, out: Any, *, html: str | None = None,
            width: int = 390) -> None:
    """Load a portal page in Qt WebEngine with the customer's cookie and save a full-height screenshot."""
    from PySide6.QtCore import QUrl
    from PySide6.QtNetwork import QNetworkCookie
    from PySide6.QtWebEngineCore import QWebEngineProfile, QWebEngineScript
    from PySide6.QtWebEngineWidgets import QWebEngineView

    profile = QWebEngineProfile.defaultProfile()
    cookie = QNetworkCookie(b"dispatch_portal", token.encode())
    cookie.setPath("/")
    profile.cookieStore().setCookie(cookie, QUrl(url))
    view = QWebEngineView()
    qtbot.addWidget(view)
    view.resize(width, 844)
    view.show()
    with qtbot.waitSignal(view.loadFinished, timeout=20000) as blocker:
        if html is None:
            view.load(QUrl(url + path))
        else:
            view.setHtml(html, QUrl(url + path))
    assert blocker.args == [True]
    heights: list[int] = []
    view.page().runJavaScript("document.documentElement.scrollHeight", QWebEngineScript.ScriptWorldId.ApplicationWorld,
                              lambda h: heights.append(int(h or 844)))
    qtbot.waitUntil(lambda: bool(heights), timeout=5000)
    view.resize(width, max(844, heights[0]))
    qtbot.wait(700)
    view.grab().save(str(out))


def test_screenshot_portal_pages_in_webengine(world: Any, qtbot: Any, artifacts: Any) -> None:
    set_company(world, name="Mike's Contracting", phone="(512) 555-0142", email="office@mikescontracting.example",
                bookable_services=["Leak repair", "Drain cleaning", "Water heater service", "AC tune-up",
                                   "Panel upgrade", "Ceiling fan install"])
    portal = portal_client(world, world.cust1["id"])
    token = portal.cookies["dispatch_portal"]
    url = world.api.url
    _render(qtbot, url, token, "/portal/request", artifacts / "portal_booking_form.png")
    bad = portal.post("/portal/request", data=form(world, service="Drain cleaning", preferred_dates=[day(world, -1),
                                                                                                     "", ""],
                                                     use_other_address="1", address_other="12"),
                      files=[("photos", ("sink.jpg", jpeg_with_gps((800, 600), "#5f8fbf"), "image/jpeg")),
                             ("photos", ("notes.jpg", b"not really a photo" * 10, "image/jpeg"))])
    assert bad.status_code == 422
    _render(qtbot, url, token, "/portal/request", artifacts / "portal_booking_form_errors.png", html=bad.text)
    ok = portal.post("/portal/request", data=form(world, service="Leak repair"),
                     files=[("photos", ("leak.png", image("PNG", "#4a7fb0"), "image/png"))])
    rid = int(ok.headers["location"].split("/")[-1].split("?")[0])
    world.dispatcher.post(f"/api/v1/booking-requests/{rid}/counter", json={
        "proposed_start": at(day(world, 5), 13).isoformat(), "proposed_end": at(day(world, 5), 15).isoformat(),
        "message": "We're booked on your dates — would Thursday afternoon work?"})
    _render(qtbot, url, token, f"/portal/requests/{rid}", artifacts / "portal_booking_status.png")
