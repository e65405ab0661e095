"""A hand-made three days of history for the Insights tests, played over HTTP against a backend on a manual clock.

Monday 2 – Wednesday 4 March 2026 (America/Chicago, CST), two technicians, nine visits, five booking requests
(OMW = On My Way):

- V1 Marcus Mon 9–11: confirm 8:10, OMW 8:30, geofence arrival 9:20, Start 9:25, Complete 10:05; 5-star survey.
- V2 Marcus Mon 12–14: confirm 11:30, LATE 12:30, OMW 13:00, the dispatcher corrects it back 13:05, OMW 13:40,
  Start 14:10 (late, but within +15 min), Complete 15:00; 3-star survey.
- V3 Elena Mon 9–11: confirm 8:15, never arrives; LATE 9:30, acknowledged 9:35, still open.
- V4 Elena Mon 13–15: cancelled by the dispatcher at 12:00.
- V5 Marcus Mon 15–17: confirm 14:30, LATE 15:30, reassigned to Elena 15:40, OMW 15:45, Start 16:20, Complete
  16:50.
- V7 Marcus Tue 8–10 (AC tune-up): the dispatcher statuses it all — dispatched 7:30, en route 8:00, arrived 8:25,
  in progress 8:40, complete 9:50.
- V6 Elena Tue 10–12: confirm 9:30, LATE 10:30, rescheduled 10:45 to Wed 9–11, Start Wed 9:30, Complete 10:00.
- V8 Marcus Tue 13–15 (AC tune-up): confirm 12:30, LATE 13:30, resolved by hand 13:40, Start 14:00, Pause 15:00.
- V9 Elena Wed 16–18: scheduled (upcoming at "now", Wed 15:30).

Bookings: B1 Mon 9:00 accepted 10:30 (90 min); B2 Mon 10:00 countered Wed 12:00 (50 h, after the reminder);
B3 Tue 8:00 (AC) declined 9:00 (60 min); B4 Tue 9:00 cancelled by the customer 10:00; B5 Wed 15:00 unanswered.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from services.backend.clock import ManualClock
from services.backend.embedded import EmbeddedServer
from tests.booking_support import portal_client
from tests.conftest import Api, World, make_settings
from tests.tracking_helpers import approach, post_fixes

TZ = ZoneInfo("America/Chicago")
MON, TUE, WED, THU, FRI = (date(2026, 3, d) for d in (2, 3, 4, 5, 6))
START = datetime(2026, 3, 2, 7, 0, tzinfo=TZ)
NOW = datetime(2026, 3, 4, 15, 30, tzinfo=TZ)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


@dataclass
class History:
    """Drives the world through the table above; `visits` and `bookings` hold the created ids."""

    world: Any
    clock: ManualClock
    visits: dict[str, dict[str, Any]] = field(default_factory=dict)
    bookings: dict[str, int] = field(default_factory=dict)

    @property
    def d(self) -> httpx.Client:
        return self.world.dispatcher

    def set(self, when: datetime) -> None:
        self.clock.set(when)

    def do(self, when: datetime, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Move the backend's clock to `when`, then act."""
        self.clock.set(when)
        return fn(*args, **kwargs)

    def alert_action(self, alert: dict[str, Any], action: str, **body: Any) -> None:
        r = self.d.post(f"/api/v1/alerts/{alert['id']}/{action}", json=body or None)
        assert r.status_code == 200, r.text

    def cancel_booking(self, name: str, cust: dict[str, Any]) -> None:
        r = portal_client(self.world, cust["id"]).post(f"/api/v1/portal/booking-requests/{self.bookings[name]}/cancel")
        assert r.status_code == 200, r.text

    def reminder(self, name: str) -> None:
        deadline = time.monotonic() + 10
        while not any(a["kind"] == "booking_stale" and a["booking_request_id"] == self.bookings[name]
                      for a in self.d.get("/api/v1/alerts").json()):
            assert time.monotonic() < deadline, f"no 48-hour reminder for {name}"
            time.sleep(0.05)

    def visit(self, name: str, tech: dict[str, Any], cust: dict[str, Any], start: datetime,
              service: str = "Leak repair") -> None:
        appt = self.world.schedule(cust["id"], tech["id"], start=start, service_type=service)
        self.visits[name] = appt

    def aid(self, name: str) -> int:
        return int(self.visits[name]["id"])

    def field(self, who: httpx.Client, name: str, action: str, **body: Any) -> None:
        r = who.post(f"/api/v1/field/appointments/{self.aid(name)}/{action}", json=body or None)
        assert r.status_code == 200, (name, action, r.text)

    def version(self, name: str) -> int:
        return int(self.d.get(f"/api/v1/appointments/{self.aid(name)}").json()["version"])

    def console(self, name: str, status: str, reason: str = "") -> None:
        r = self.d.post(f"/api/v1/appointments/{self.aid(name)}/status", json={"status": status, "reason": reason},
                        headers={"If-Match": f'"{self.version(name)}"'})
        assert r.status_code == 200, (name, status, r.text)

    def patch(self, name: str, **body: Any) -> None:
        r = self.d.patch(f"/api/v1/appointments/{self.aid(name)}", json={"allow_conflicts": True, **body},
                         headers={"If-Match": f'"{self.version(name)}"'})
        assert r.status_code == 200, (name, body, r.text)

    def late_alert(self, name: str) -> dict[str, Any]:
        """Wait for the watchdog (every 0.2 s) to raise the visit's LATE alert."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for a in self.d.get("/api/v1/alerts").json():
                if a["kind"] == "late" and a["appointment_id"] == self.aid(name):
                    return a
            time.sleep(0.05)
        raise AssertionError(f"no LATE alert for {name}")

    def wait_status(self, name: str, status: str) -> None:
        deadline = time.monotonic() + 10
        while self.d.get(f"/api/v1/appointments/{self.aid(name)}").json()["status"] != status:
            assert time.monotonic() < deadline, f"{name} never became {status}"
            time.sleep(0.05)

    def book(self, name: str, cust: dict[str, Any], service: str = "Leak repair") -> None:
        portal = portal_client(self.world, cust["id"])
        later = (self.clock.now().astimezone(TZ).date() + timedelta(days=3)).isoformat()
        r = portal.post("/api/v1/portal/booking-requests", json={
            "service_type": service, "preferred_dates": [later], "time_preference": "morning", "notes": name})
        assert r.status_code == 201, r.text
        self.bookings[name] = int(r.json()["id"])

    def answer(self, name: str, action: str, **body: Any) -> None:
        r = self.d.post(f"/api/v1/booking-requests/{self.bookings[name]}/{action}", json=body)
        assert r.status_code == 200, (name, action, r.text)

    def survey(self, name: str, cust: dict[str, Any], score: int) -> None:
        portal = portal_client(self.world, cust["id"])
        r = portal.post(f"/api/v1/portal/appointments/{self.aid(name)}/survey", json={"score": score})
        assert r.status_code in (200, 201), r.text


def play(world: Any, clock: ManualClock) -> History:
    """Play the three days in time order; leaves the clock at NOW (Wed 15:30)."""
    h = History(world, clock)
    marcus, elena, f1, f2 = world.tech1, world.tech2, world.field1, world.field2
    ann, bob = world.cust1, world.cust2
    do = h.do
    h.set(START)
    h.visit("V1", marcus, ann, at(MON, 9))
    h.visit("V3", elena, bob, at(MON, 9))
    h.visit("V2", marcus, bob, at(MON, 12))
    h.visit("V4", elena, ann, at(MON, 13))
    h.visit("V5", marcus, ann, at(MON, 15))
    h.visit("V7", marcus, bob, at(TUE, 8), service="AC tune-up")
    h.visit("V6", elena, ann, at(TUE, 10))
    h.visit("V8", marcus, ann, at(TUE, 13), service="AC tune-up")
    h.visit("V9", elena, bob, at(WED, 16))
    # Monday
    do(at(MON, 8, 10), h.field, f1, "V1", "confirm")
    do(at(MON, 8, 15), h.field, f2, "V3", "confirm")
    do(at(MON, 8, 30), h.field, f1, "V1", "on-my-way")
    do(at(MON, 9, 0), h.book, "B1", ann)
    do(at(MON, 9, 20), post_fixes, f1, approach((ann["lat"], ann["lng"]), at(MON, 9, 16)))
    h.wait_status("V1", "arrived")
    do(at(MON, 9, 25), h.field, f1, "V1", "start")
    v3_alert = do(at(MON, 9, 31), h.late_alert, "V3")
    do(at(MON, 9, 35), h.alert_action, v3_alert, "acknowledge")
    do(at(MON, 10, 0), h.book, "B2", bob)
    do(at(MON, 10, 5), h.field, f1, "V1", "complete")
    do(at(MON, 10, 30), h.answer, "B1", "accept", window_start=at(THU, 9).isoformat(),
       window_end=at(THU, 11).isoformat())
    do(at(MON, 11, 30), h.field, f1, "V2", "confirm")
    do(at(MON, 12, 0), h.console, "V4", "cancelled")
    do(at(MON, 12, 31), h.late_alert, "V2")
    do(at(MON, 13, 0), h.field, f1, "V2", "on-my-way")
    do(at(MON, 13, 5), h.console, "V2", "dispatched", reason="Still finishing the previous job")
    do(at(MON, 13, 40), h.field, f1, "V2", "on-my-way")
    do(at(MON, 14, 10), h.field, f1, "V2", "start")
    do(at(MON, 14, 30), h.field, f1, "V5", "confirm")
    do(at(MON, 15, 0), h.field, f1, "V2", "complete")
    do(at(MON, 15, 31), h.late_alert, "V5")
    do(at(MON, 15, 40), h.patch, "V5", technician_id=elena["id"])
    do(at(MON, 15, 45), h.field, f2, "V5", "on-my-way")
    do(at(MON, 16, 20), h.field, f2, "V5", "start")
    do(at(MON, 16, 50), h.field, f2, "V5", "complete")
    do(at(MON, 17, 0), h.survey, "V1", ann, 5)
    do(at(MON, 17, 5), h.survey, "V2", bob, 3)
    # Tuesday
    do(at(TUE, 7, 30), h.console, "V7", "dispatched")
    do(at(TUE, 8, 0), h.console, "V7", "en_route")
    do(at(TUE, 8, 0), h.book, "B3", ann, "AC tune-up")
    do(at(TUE, 8, 25), h.console, "V7", "arrived")
    do(at(TUE, 8, 40), h.console, "V7", "in_progress")
    do(at(TUE, 9, 0), h.answer, "B3", "decline", message="We don't service that model.")
    do(at(TUE, 9, 0), h.book, "B4", bob)
    do(at(TUE, 9, 30), h.field, f2, "V6", "confirm")
    do(at(TUE, 9, 50), h.console, "V7", "complete")
    do(at(TUE, 10, 0), h.cancel_booking, "B4", bob)
    do(at(TUE, 10, 31), h.late_alert, "V6")
    do(at(TUE, 10, 45), h.patch, "V6", window_start=at(WED, 9).isoformat(), window_end=at(WED, 11).isoformat())
    do(at(TUE, 12, 30), h.field, f1, "V8", "confirm")
    v8_alert = do(at(TUE, 13, 31), h.late_alert, "V8")
    do(at(TUE, 13, 40), h.alert_action, v8_alert, "resolve", note="Called Marcus: stuck in traffic")
    do(at(TUE, 14, 0), h.field, f1, "V8", "start")
    do(at(TUE, 15, 0), h.field, f1, "V8", "pause", customer_message="Part ordered; we'll call to book.")
    # Wednesday
    do(at(WED, 9, 30), h.field, f2, "V6", "start")
    do(at(WED, 10, 0), h.field, f2, "V6", "complete")
    do(at(WED, 10, 1), h.reminder, "B2")  # the 48-hour reminder fires before B2 is answered
    do(at(WED, 12, 0), h.answer, "B2", "counter", proposed_start=at(FRI, 9).isoformat(),
       proposed_end=at(FRI, 11).isoformat(), message="Friday morning instead?")
    do(at(WED, 15, 0), h.book, "B5", ann)
    h.set(NOW)
    return h


@contextmanager
def played(db_url: str) -> Iterator[History]:
    """A backend on a manual clock with the three days played (clock left at NOW)."""
    clock = ManualClock(START)
    srv = EmbeddedServer(make_settings(db_url), clock=clock).start()
    api = Api(srv)
    try:
        yield play(World(api), clock)
    finally:
        api.close()
        srv.stop()
