"""Demo history: sixty days of past visits, LATE alerts, booking requests and surveys, so Insights has a story.

Rows are shaped the way live days leave them — status changes with their actor and source (field app,
geofence, console), the side effects they fired (never fired again), clock-ins, LATE alerts with how they ended,
the outbox messages customers got, tracker links, surveys, booking responses and 48-hour reminders — and are
written with bulk inserts (the console seeds this on first start). The company has habits to find: Jamal and
Tyler often run late, dispatch statuses most of Derek's and Lucas's visits, and a slow week leaves booking
requests waiting past the 48-hour reminder.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.orm import Session

from models.lateness import alert_message, customer_text
from models.tables import (
    Alert,
    Appointment,
    AuditLog,
    Company,
    Customer,
    Job,
    Notification,
    SideEffectRecord,
    StatusEvent,
    Survey,
    Technician,
    TimeEntry,
    TrackerLink,
)
from models.timefmt import clock_range, clock_time, window_text
from services.backend.demo_messages import side_effect_rows

DAYS = 60
SLOTS = (8, 10, 13, 15)  # two-hour arrival windows
#: (chance a visit runs LATE, share of field-app statusing a dispatcher does instead) by technician position.
HABITS = {2: (0.4, 0.04), 6: (0.34, 0.05), 4: (0.06, 0.55), 9: (0.07, 0.45), 10: (0.01, 0.02)}
USUAL = (0.07, 0.04)
#: Typical minutes on site (mean, spread) by service.
ON_SITE = {"Leak repair": (50, 20), "Water heater service": (95, 30), "Drain cleaning": (45, 15),
           "AC tune-up": (60, 15), "Furnace repair": (110, 35), "Thermostat install": (40, 10),
           "Panel upgrade": (210, 40), "Outlet & switch repair": (35, 10), "Ceiling fan install": (55, 15),
           "Garbage disposal replacement": (60, 15), "Toilet repair": (40, 15), "Duct cleaning": (150, 30)}
PAUSE_MESSAGE = "We need a part for this model. We'll call you to book the follow-up visit."
COMMENTS = ["Very professional, explained everything.", "On time and tidy.", "Fixed it fast, thank you!",
            "Arrived later than the window.", "Friendly tech, fair price.", ""]
Event = tuple[datetime, str, str, str, str, "Technician | None"]  # at, from, to, actor, source, technician


@dataclass
class Plan:
    """One past visit and everything it left behind."""

    tech: Technician
    cust: Customer
    service: str
    start: datetime
    final_tech: Technician | None = None
    status: str = "complete"
    events: list[Event] = field(default_factory=list)
    arrival: datetime | None = None
    end: datetime | None = None
    alert: dict[str, Any] | None = None
    moved_to: datetime | None = None
    survey: tuple[int, list[str], str, datetime] | None = None
    created_at: datetime | None = None
    source: str = "direct"


class _History:
    def __init__(self, session: Session, company: Company, techs: list[Technician], customers: list[Customer],
                 dispatcher: tuple[int, str], today: date, now: datetime, rng: random.Random):
        self.s, self.company, self.techs, self.customers = session, company, techs, customers
        self.dispatcher_id, self.dispatcher = dispatcher
        self.today, self.now, self.rng = today, now, rng
        self.tz = ZoneInfo(company.time_zone)
        self.tech_user = tech_users(session, techs)
        self.link = ""

    def local(self, day: date, hour: float) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.tz) + timedelta(hours=hour)

    # --- planning -------------------------------------------------------------------------------------------
    def plan_day(self, day: date) -> list[Plan]:
        rng, out = self.rng, []
        saturday = day.weekday() == 5
        slow_traffic = rng.random() < 0.15  # a few days where everyone fights traffic
        for i, tech in enumerate(self.techs):
            if (saturday and i % 3) or rng.random() < 0.05:
                continue
            slots = SLOTS[:2] if saturday else sorted(rng.sample(SLOTS, rng.choice([3, 4, 4])))
            for k, hour in enumerate(slots):
                late_p, backup_p = HABITS.get(i, USUAL)
                p = Plan(tech, rng.choice(self.customers), rng.choice(list(ON_SITE)), self.local(day, hour))
                p.created_at = p.start - timedelta(days=rng.randint(1, 9), hours=rng.randint(0, 8))
                self.walk(p, late_p + (0.12 if slow_traffic else 0), backup_p, first=k == 0)
                out.append(p)
        return out

    def move(self, p: Plan, at: datetime, to: str, tech: Technician, backup_p: float, system: str = "") -> None:
        prev = p.events[-1][2] if p.events else "scheduled"
        if system:
            p.events.append((at, prev, to, "system", system, None))
        elif self.rng.random() < backup_p:
            p.events.append((at, prev, to, "dispatcher", "console", None))
        else:
            p.events.append((at, prev, to, "technician", "field_app", tech))

    def walk(self, p: Plan, late_p: float, backup_p: float, first: bool) -> None:
        rng = self.rng
        if rng.random() < 0.02:  # the customer called to cancel the day before
            p.status = "cancelled"
            p.events.append((p.start - timedelta(hours=rng.randint(14, 30)), "scheduled", "cancelled", "dispatcher",
                             "console", None))
            return
        self.move(p, p.start - timedelta(minutes=rng.randint(45, 150)), "dispatched", p.tech, backup_p)
        late = rng.random() < late_p
        if late:
            self.late(p, backup_p)
            return
        self.arrive(p, p.tech, p.start + timedelta(minutes=rng.randint(-25, 28)), backup_p, first)

    def arrive(self, p: Plan, tech: Technician, arrival: datetime, backup_p: float, first: bool = False) -> None:
        rng = self.rng
        leave = arrival - timedelta(minutes=rng.randint(9, 38))
        self.move(p, leave, "en_route", tech, backup_p, system="" if first or rng.random() < 0.7 else "geofence")
        if rng.random() < 0.8:
            self.move(p, arrival, "arrived", tech, backup_p, system="geofence")
            self.move(p, arrival + timedelta(minutes=rng.randint(1, 6)), "in_progress", tech, backup_p)
        else:  # pressed Start on the doorstep
            self.move(p, arrival, "in_progress", tech, backup_p)
        mean, spread = ON_SITE[p.service]
        end = arrival + timedelta(minutes=max(15, int(rng.gauss(mean, spread))))
        p.status = "paused" if rng.random() < 0.05 else "complete"
        self.move(p, end, p.status, tech, backup_p)
        p.arrival, p.end, p.final_tech = arrival, end, tech
        if p.status == "complete" and rng.random() < 0.35:
            late_by = (arrival - (p.moved_to or p.start)).total_seconds() / 60
            score = rng.choice([2, 3, 3, 4, 4, 5] if late_by > 30 else [3, 4, 5, 5, 5, 5, 5])
            cats = rng.sample(self.company.survey_categories or ["Punctuality"], k=rng.randint(0, 2))
            p.survey = (score, cats, rng.choice(COMMENTS), end + timedelta(hours=rng.randint(1, 30)))

    def late(self, p: Plan, backup_p: float) -> None:
        """Not arrived 30 minutes into the window: the LATE alert and how it ended."""
        rng, start = self.rng, p.start
        raised = start + timedelta(minutes=30, seconds=rng.randint(1, 40))
        acked = raised + timedelta(minutes=rng.randint(2, 9)) if rng.random() < 0.7 else None
        alert: dict[str, Any] = {"created_at": raised, "acknowledged_at": acked, "technician_id": p.tech.id,
                                 "window_start": start}
        r = rng.random()
        if r < 0.6:
            self.arrive(p, p.tech, start + timedelta(minutes=rng.randint(34, 185)), backup_p)
            alert.update(cause="arrived", ended_at=p.arrival, resolved_at=p.arrival)
        elif r < 0.72:
            closed = raised + timedelta(minutes=rng.randint(12, 40))
            alert.update(cause="acknowledged", ended_at=closed, resolved_at=closed, acknowledged_at=acked or closed,
                         note="Called the tech: on the way, stuck behind a crash on I-35.")
            self.arrive(p, p.tech, closed + timedelta(minutes=rng.randint(5, 50)), backup_p)
        elif r < 0.86:
            other = rng.choice([t for t in self.techs if t is not p.tech])
            swap = raised + timedelta(minutes=rng.randint(5, 20))
            alert.update(cause="reassigned", reassigned_at=swap, new_tech=other)
            self.arrive(p, other, swap + timedelta(minutes=rng.randint(20, 55)), backup_p)
            alert.update(ended_at=p.arrival, resolved_at=p.arrival)
        elif r < 0.95:
            moved = raised + timedelta(minutes=rng.randint(8, 30))
            nxt = start.astimezone(self.tz).date() + timedelta(days=1)
            while nxt.weekday() >= 5:
                nxt += timedelta(days=1)
            p.moved_to = self.local(nxt, start.astimezone(self.tz).hour)
            # A new time that is not overdue ends the alert (the customer has a new time), as in the console.
            window = clock_range(p.moved_to, p.moved_to + timedelta(hours=2), self.company.time_zone)
            alert.update(cause="rescheduled", ended_at=moved, rescheduled_at=moved, resolved_at=moved,
                         note=f"Rescheduled to {window}")
            if p.moved_to + timedelta(hours=3) < self.now:
                self.arrive(p, p.tech, p.moved_to + timedelta(minutes=rng.randint(-20, 25)), backup_p)
            else:
                p.status = "dispatched"
        else:
            gone = raised + timedelta(minutes=rng.randint(20, 60))
            p.status = "cancelled"
            p.events.append((gone, p.events[-1][2], "cancelled", "dispatcher", "console", None))
            alert.update(cause="cancelled", ended_at=gone, resolved_at=gone)
        p.alert = alert

    # --- writing ---------------------------------------------------------------------------------------------
    def write(self, plans: list[Plan]) -> list[int]:
        """Bulk-insert the plans; returns the appointment ids (in plan order)."""
        rows = []
        for p in plans:
            c = p.cust
            rows.append({"customer_id": c.id, "service_type": p.service, "source": p.source,
                         "description": f"{p.service} requested by the customer.",
                         "address": f"{c.address}, {c.city}, {c.state} {c.zip}", "lat": c.lat, "lng": c.lng,
                         "created_at": p.created_at, "internal_notes": "", "source_partner": "", "bios_allowed": True})
        jobs = insert_ids(self.s, Job, rows)
        rows = []
        for p, job in zip(plans, jobs, strict=True):
            start = p.moved_to or p.start
            last = p.events[-1][0] if p.events else p.created_at
            tech = p.final_tech or (p.alert or {}).get("new_tech") or p.tech
            rows.append({"job_id": job, "technician_id": tech.id, "window_start": start,
                         "window_end": start + timedelta(hours=2), "status": p.status, "version": 1 + len(p.events),
                         "site_lat": p.cust.lat, "site_lng": p.cust.lng, "customer_message":
                         PAUSE_MESSAGE if p.status == "paused" else "",
                         "location_stopped": p.status in ("in_progress", "paused", "complete", "cancelled"),
                         "created_at": p.created_at, "updated_at": last, "updated_by": self.last_by(p)})
        ids = insert_ids(self.s, Appointment, rows)
        self.children(plans, ids)
        return ids

    def last_by(self, p: Plan) -> str:
        """Who made the plan's last change (the booking dispatcher when nothing happened since)."""
        if not p.events:
            return self.dispatcher
        _at, _frm, _to, actor, _source, tech = p.events[-1]
        if actor == "technician":
            return tech.name if tech else self.dispatcher
        return self.dispatcher if actor == "dispatcher" else "System"

    def children(self, plans: list[Plan], ids: list[int]) -> None:
        events, entries, alerts, notes, links, surveys, audits = [], [], [], [], [], [], []
        effects: list[dict[str, Any]] = []
        name = self.company.name
        for p, aid in zip(plans, ids, strict=True):
            effects += side_effect_rows(aid, [(at, frm, to) for at, frm, to, *_ in p.events])
            for step, (at, frm, to, actor, source, tech) in enumerate(p.events):
                who = (tech.name if tech else "") if actor == "technician" else (
                    self.dispatcher if actor == "dispatcher" else "System")
                events.append({"appointment_id": aid, "version": step + 2, "from_status": frm, "to_status": to,
                               "actor": actor,
                               "actor_id": self.tech_user.get(tech.id) if tech and actor == "technician" else (
                                   self.dispatcher_id if actor == "dispatcher" else None),
                               "actor_name": who, "reason": "", "source": source, "created_at": at,
                               "customer_message": PAUSE_MESSAGE if to == "paused" else ""})
            first, tz = (p.final_tech or p.tech).name.split()[0], self.company.time_zone
            when = window_text(p.start, p.start + timedelta(hours=2), tz)
            notes.append(self.note(p.cust, aid, "appointment_scheduled", p.created_at, f"{name}: your {p.service} "
                                   f"appointment is scheduled for {when}. Questions? Call {self.company.phone}."))
            road = next((e[0] for e in reversed(p.events) if e[2] == "en_route"), None)
            if road is not None:
                token = secrets.token_urlsafe(16)
                closed = p.end or (p.events[-1][0] if p.status in ("complete", "paused", "cancelled") else None)
                links.append({"token": token, "appointment_id": aid, "created_at": road, "expired_at": closed})
                eta = clock_time(road + timedelta(minutes=20), tz)
                notes.append(self.note(p.cust, aid, "en_route", road, f"Your technician from {name} is on the way — "
                                       f"arriving around {eta}. Track them here: {self.link}/tracker/{token}"))
            if p.arrival is not None and p.end is not None:
                notes.append(self.note(p.cust, aid, "arrived", p.arrival, f"{first} has arrived at your location."))
                entries.append({"appointment_id": aid, "technician_id": (p.final_tech or p.tech).id,
                                "started_at": p.arrival, "ended_at": p.end})
            if p.alert is not None:
                alerts.append(self.late_alert(p, aid))
                notes.append(self.note(p.cust, aid, "late", p.alert["created_at"], customer_text(
                    clock_time(p.start, self.company.time_zone), name, self.company.phone)))
                for key, what in (("reassigned_at", "technician_id"), ("rescheduled_at", "window")):
                    if key in p.alert:
                        audits.append({"action": "appointment.changed", "target_type": "appointment",
                                       "target_id": aid, "actor": "dispatcher", "actor_id": self.dispatcher_id,
                                       "actor_name": self.dispatcher, "created_at": p.alert[key],
                                       "details": {what: "changed while LATE"}})
            if p.survey is not None:
                score, cats, comment, at = p.survey
                surveys.append({"appointment_id": aid, "customer_id": p.cust.id, "kind": "stars", "score": score,
                                "categories": cats, "comment": comment, "created_at": at})
        for model, rows in ((StatusEvent, events), (TimeEntry, entries), (Alert, alerts), (Notification, notes),
                            (TrackerLink, links), (Survey, surveys), (AuditLog, audits), (SideEffectRecord, effects)):
            if rows:
                self.s.execute(insert(model.__table__), rows)

    def late_alert(self, p: Plan, aid: int) -> dict[str, Any]:
        a = p.alert or {}
        resolved = a.get("resolved_at")
        by = self.dispatcher if a["cause"] in ("acknowledged", "cancelled", "rescheduled") else (
            (p.final_tech.name if p.final_tech else "System") if resolved else "")
        return {"kind": "late", "dedupe_key": f"late:{aid}", "appointment_id": aid,
                "message": alert_message(p.tech.name, p.cust.name, 30), "is_open": resolved is None,
                "acknowledged_by": self.dispatcher if a.get("acknowledged_at") else "",
                "acknowledged_at": a.get("acknowledged_at"), "resolved_by": by, "resolved_at": resolved,
                "resolution_note": a.get("note", "Status became Arrived" if a["cause"] != "cancelled" else
                                         "Status became Cancelled") if resolved else "",
                "created_at": a["created_at"], "cause": a["cause"], "ended_at": a.get("ended_at"),
                "technician_id": a["technician_id"], "window_start": a["window_start"]}

    def note(self, cust: Customer, aid: int | None, kind: str, at: datetime, body: str,
             booking_id: int | None = None) -> dict[str, Any]:
        """An outbox row as a delivered text message leaves it."""
        return {"channel": "sms", "kind": kind, "to_address": cust.phone, "subject": "", "body": body,
                "customer_id": cust.id, "appointment_id": aid, "booking_request_id": booking_id,
                "urgent": kind in ("en_route", "arrived", "late"), "status": "sent", "provider": "log",
                "attempts": 1, "last_error": "", "next_attempt_at": at, "created_at": at,
                "sent_at": at + timedelta(seconds=2)}


def insert_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Bulk insert (multi-row VALUES … RETURNING); the new ids in row order."""
    table = model.__table__
    return list(session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))


def tech_users(session: Session, techs: list[Technician]) -> dict[int, int]:
    """technician id → their field-app user id (status changes name their actor)."""
    from sqlalchemy import select

    from models.tables import User

    return dict(session.execute(select(User.technician_id, User.id).where(  # type: ignore[arg-type]
        User.technician_id.in_([t.id for t in techs]))).all())
