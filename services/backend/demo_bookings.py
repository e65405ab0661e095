"""Demo history, part two: sixty days of online booking requests and the entry point that seeds the history.

Most requests are answered within a few hours; one slow week (the office short-handed) leaves many waiting past
the 48-hour reminder. Accepted requests become visits (past ones with their whole trail, later ones scheduled).
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from models.enums import Role
from models.tables import Alert, BookingRequest, Company, Customer, Notification, Technician, User
from models.timefmt import window_text
from services.backend.demo_history import DAYS, SLOTS, Plan, _History, insert_ids

TIME_PREFS = ["morning", "afternoon", "flexible"]
NOTES = ["The leak is under the kitchen sink.", "Gate code is 4821.", "Dog in the backyard, friendly.", "",
         "Upstairs unit makes a rattling noise.", "Prefer a call before arrival.", ""]
#: The slow week: these days back from today.
SLOW_WEEK = range(26, 19, -1)


def seed_history(session: Session, company: Company, techs: list[Technician], customers: list[Customer],
                 today: date, now: datetime, public_url: str = "", rng_seed: int = 11) -> dict[str, int]:
    """Write sixty days of history before `today` (plus the visits accepted requests booked after it) and build
    the Insights facts of every visit."""
    session.flush()
    dispatcher = session.execute(select(User.id, User.name).where(User.role == Role.DISPATCHER)
                                 .order_by(User.id).limit(1)).one()
    h = _History(session, company, techs, customers, (dispatcher.id, dispatcher.name), today, now,
                 random.Random(rng_seed))
    h.link = public_url.rstrip("/")
    plans: list[Plan] = []
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        if day.weekday() != 6:
            plans += h.plan_day(day)
    requests = plan_requests(h)
    booked = [r["plan"] for r in requests if r.get("plan") is not None]
    ids = h.write(plans + booked)
    by_plan = {id(p): aid for p, aid in zip(plans + booked, ids, strict=True)}
    write_requests(h, requests, by_plan)
    from services.backend.visit_facts import rebuild_all

    rebuild_all(session)
    return {"visits": len(plans) + len(booked), "requests": len(requests)}


def plan_requests(h: _History) -> list[dict[str, Any]]:
    rng, out = h.rng, []
    for back in range(DAYS, 0, -1):
        day = h.today - timedelta(days=back)
        for _ in range(rng.randint(1, 3) if day.weekday() >= 5 else rng.randint(2, 6)):
            created = h.local(day, rng.uniform(7, 21.5))
            if back in SLOW_WEEK:
                wait = timedelta(hours=rng.uniform(14, 70))
            else:
                wait = timedelta(minutes=min(2600.0, max(8.0, math.exp(rng.gauss(math.log(140), 0.9)))))
            cust = rng.choice(h.customers)
            req: dict[str, Any] = {"customer": cust, "service": rng.choice(h.company.bookable_services or ["Repair"]),
                                   "created": created, "answered": created + wait, "prefs": rng.choice(TIME_PREFS),
                                   "notes": rng.choice(NOTES)}
            if req["answered"] > h.now:
                req.update(state=rng.choice(["submitted", "under_review"]), answered=None)
            elif rng.random() < 0.04:
                req.update(state="cancelled", answered=None, cancelled=created + wait / 3)
            else:
                r = rng.random()
                req["state"] = "confirmed" if r < 0.68 else ("counter_proposed" if r < 0.85 else "declined")
                if req["state"] == "counter_proposed" and req["answered"] < h.now - timedelta(days=3):
                    req["state"] = "confirmed"  # the customer accepted the other time
                if req["state"] == "confirmed":
                    req["plan"] = booked_visit(h, req)
            out.append(req)
    return out


def booked_visit(h: _History, req: dict[str, Any]) -> Plan:
    """The visit an accepted request created: a few days after the answer, with its trail when it is past."""
    rng = h.rng
    day = req["answered"].astimezone(h.tz).date() + timedelta(days=rng.randint(2, 6))
    while day.weekday() >= 5 or day == h.today:
        day += timedelta(days=1)
    hour = {"morning": SLOTS[rng.randint(0, 1)], "afternoon": SLOTS[rng.randint(2, 3)]}.get(
        req["prefs"], rng.choice(SLOTS))
    p = Plan(rng.choice(h.techs), req["customer"], req["service"], h.local(day, hour), source="online_booking")
    p.created_at = req["answered"]
    if day < h.today:
        h.walk(p, 0.07, 0.04, first=False)
    else:
        p.status = "scheduled"
    return p


def write_requests(h: _History, requests: list[dict[str, Any]], by_plan: dict[int, int]) -> None:
    rows = []
    for r in requests:
        c, answered = r["customer"], r["answered"]
        plan = r.get("plan")
        end = r.get("cancelled") or answered or r["created"]
        proposed = h.local(answered.astimezone(h.tz).date() + timedelta(days=3), 9) if answered else None
        rows.append({
            "customer_id": c.id, "service_type": r["service"], "time_preference": r["prefs"], "notes": r["notes"],
            "preferred_dates": [(r["created"].astimezone(h.tz).date() + timedelta(days=d)).isoformat() for d in (2, 3)],
            "address": f"{c.address}, {c.city}, {c.state} {c.zip}", "lat": c.lat, "lng": c.lng, "state": r["state"],
            "response_message": {"declined": "Sorry, we're fully booked that week and can't take this one.",
                                 "counter_proposed": "We're booked on your dates — would this time work?"}.get(
                                     r["state"], ""),
            "proposed_start": proposed if r["state"] == "counter_proposed" else None,
            "proposed_end": proposed + timedelta(hours=2) if proposed and r["state"] == "counter_proposed" else None,
            "appointment_id": by_plan.get(id(plan)) if plan is not None else None,
            "responded_at": answered, "created_at": r["created"], "updated_at": end})
    ids = insert_ids(h.s, BookingRequest, rows)
    alerts, notes = [], []
    for r, rid in zip(requests, ids, strict=True):
        c, created, answered = r["customer"], r["created"], r["answered"]
        reminder = created + timedelta(hours=48, seconds=h.rng.randint(5, 60))
        if reminder < (answered or r.get("cancelled") or h.now):
            alerts.append({"kind": "booking_stale", "dedupe_key": f"booking_stale:{rid}", "booking_request_id": rid,
                           "message": f"Booking request from {c.name} ({r['service']}) has had no response for "
                                      f"48 hours", "is_open": answered is None and r["state"] != "cancelled",
                           "acknowledged_by": "", "resolved_by": h.dispatcher if answered else "",
                           "resolved_at": answered, "resolution_note": "The request was answered." if answered else "",
                           "created_at": reminder, "cause": ""})
        if answered is not None:
            kind = {"confirmed": "booking_confirmed", "declined": "booking_declined"}.get(
                r["state"], "booking_counter_proposed")
            plan = r.get("plan")
            when = window_text(plan.start, plan.start + timedelta(hours=2), h.company.time_zone) if plan else ""
            body = (f"{h.company.name}: your {r['service']} request is confirmed for {when}."
                    if kind == "booking_confirmed" else
                    f"{h.company.name} can't take your {r['service']} request." if kind == "booking_declined" else
                    f"{h.company.name} suggests a different time for your {r['service']} request.")
            notes.append(h.note(c, by_plan.get(id(plan)) if plan else None, kind, answered, body, booking_id=rid))
    for model, batch in ((Alert, alerts), (Notification, notes)):
        if batch:
            h.s.execute(insert(model.__table__), batch)
