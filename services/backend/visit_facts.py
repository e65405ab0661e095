"""Per-visit facts for Insights, derived in SQL from each appointment's audit trail and kept current.

One INSERT … SELECT turns appointments, their status changes (first arrival, last "on my way", forward
field-app changes by people and by dispatchers), their clock-in and their LATE alert into one `visit_facts` row
each (models.tables.VisitFact). A row is current while its version equals the appointment's; every change that
matters bumps the version (status changes, reassign, reschedule). Before each Insights query the stale rows of
its range are rebuilt, and a watchdog pass keeps the last days current in the background, so a year of history
is aggregated from ~300 k small rows instead of ~1.5 M status changes.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, delete, func, insert, or_, select, text
from sqlalchemy.orm import Session, aliased

from models.enums import Actor, AlertKind
from models.enums import AppointmentStatus as S
from models.insights import FIELD_STATUSES, GRACE, NOT_ARRIVED, ON_SITE, STATUS_RANK, LateCause
from models.tables import Alert, Appointment, Job, StatusEvent, TimeEntry, VisitFact
from services.backend.context import Backend
from services.backend.db import session_scope
from services.backend.insights_sql import at, epoch_seconds, minutes_between, tenths_of

log = logging.getLogger(__name__)
#: Visits rebuilt per statement.
CHUNK = 5000
#: PostgreSQL advisory lock serialising refreshes across replicas.
LOCK_KEY = 774413
#: Times are compared to the millisecond (epoch seconds are floats).
EPS = 0.001
#: The background pass keeps visits from this many days back to this many days ahead current.
BACKGROUND_DAYS = (3, 2)


def stale_ids(start: datetime, end: datetime) -> Select[Any]:
    """Appointments with a window starting in [start, end) whose facts are missing or older than they are."""
    f = VisitFact
    return (select(Appointment.id).outerjoin(f, f.appointment_id == Appointment.id)
            .where(Appointment.window_start >= at(start), Appointment.window_start < at(end),
                   or_(f.version.is_(None), f.version != Appointment.version)))


def _rank(col: Any) -> Any:
    return case(STATUS_RANK, value=col, else_=-1)


def facts_select(ids: list[int]) -> Select[Any]:
    """The facts of the appointments `ids` selects, computed from the audit trail (definitions: models.insights):
    arrival = the first change into an on-site status; on time = arrived by the window end (+ grace) unless the
    visit was taken away while LATE; drive = the last "on my way" to arrival (a corrected false start does not
    count); time on site = the clock-in."""
    ev = StatusEvent
    forward_field = and_(ev.to_status.in_([s.value for s in FIELD_STATUSES]),
                         _rank(ev.to_status) > _rank(ev.from_status))
    trail = (select(ev.appointment_id.label("aid"),
                    func.min(case((ev.to_status.in_([s.value for s in ON_SITE]), ev.created_at))).label("arr"),
                    func.max(case((ev.to_status == S.EN_ROUTE.value, ev.created_at))).label("road"),
                    func.sum(case((and_(forward_field, ev.actor.in_([Actor.DISPATCHER.value,
                                                                      Actor.TECHNICIAN.value])), 1), else_=0))
                    .label("people"),
                    func.sum(case((and_(forward_field, ev.actor == Actor.DISPATCHER.value), 1), else_=0))
                    .label("backup"))
             .where(ev.appointment_id.in_(ids)).group_by(ev.appointment_id)).subquery("trail")
    late = aliased(Alert, name="late")
    a = Appointment
    arr, road, end = epoch_seconds(trail.c.arr), epoch_seconds(trail.c.road), epoch_seconds(a.window_end)
    arrived = trail.c.arr.is_not(None)
    punctual = and_(arrived, func.coalesce(late.cause, "") != LateCause.REASSIGNED.value)

    drive = case((and_(trail.c.road.is_not(None), arrived, arr > road), (arr - road) / 60.0))
    on_site = case((TimeEntry.ended_at.is_not(None), minutes_between(TimeEntry.ended_at, TimeEntry.started_at)))

    def flag(cond: Any) -> Any:
        return case((cond, 1), else_=0)

    return (select(
        a.window_start, a.id, a.version, func.coalesce(late.technician_id, a.technician_id), Job.service_type,
        epoch_seconds(a.window_start), end,
        flag(a.status.in_([s.value for s in NOT_ARRIVED])), flag(a.status == S.CANCELLED.value),
        flag(a.status == S.COMPLETE.value), flag(a.status == S.PAUSED.value), flag(arrived),
        flag(and_(punctual, arr <= end + EPS)),
        flag(and_(punctual, arr <= end + GRACE.total_seconds() + EPS)),
        flag(and_(~arrived, a.status.in_([S.COMPLETE.value, S.PAUSED.value]))),
        drive, tenths_of(drive), on_site, tenths_of(on_site),
        func.coalesce(trail.c.people, 0), func.coalesce(trail.c.backup, 0))
        .select_from(a).join(Job, Job.id == a.job_id)
        .outerjoin(trail, trail.c.aid == a.id)
        .outerjoin(TimeEntry, TimeEntry.appointment_id == a.id)
        .outerjoin(late, and_(late.appointment_id == a.id, late.kind == AlertKind.LATE.value))
        .where(a.id.in_(ids)))


COLUMNS = ("window_start", "appointment_id", "version", "technician_id", "service_type", "window_start_s",
           "window_end_s", "awaiting", "cancelled", "completed", "paused", "arrived", "on_time", "on_time_15",
           "no_arrival_record", "drive_min", "drive_tenths", "on_site_min", "on_site_tenths", "status_changes",
           "backup_changes")


def refresh(session: Session, ids: Select[Any], *, wait: bool = True) -> bool:
    """Rebuild the facts of the appointments `ids` selects (replace their rows); False when `wait` is off and
    another refresh is running. Refreshes run one at a time (SQLite: the write lock; PostgreSQL: an advisory
    lock), so two never insert the same visit; the stale ids are read once, so a change committed between the
    delete and the insert cannot add a visit that was not deleted (it is simply stale again, and refreshed next
    time)."""
    if session.get_bind().dialect.name == "postgresql":
        if not wait:  # a transaction that already holds row locks must not queue (no lock cycles)
            if not session.scalar(text(f"SELECT pg_try_advisory_xact_lock({LOCK_KEY})")):
                return False
        else:
            session.execute(text(f"SELECT pg_advisory_xact_lock({LOCK_KEY})"))
    stale = list(session.scalars(ids))
    for i in range(0, len(stale), CHUNK):
        chunk = stale[i:i + CHUNK]
        session.execute(delete(VisitFact).where(VisitFact.appointment_id.in_(chunk)))
        session.execute(insert(VisitFact).from_select(list(COLUMNS), facts_select(chunk)))
    return True


def ensure_current(ctx: Backend, start: datetime, end: datetime) -> bool:
    """Make the facts of visits in [start, end) current; writes only when some are stale (then True)."""
    with ctx.reader() as r:
        stale = r.scalar(stale_ids(start, end).limit(1))
        r.rollback()
    if stale is None:
        return False
    with session_scope(ctx.sessions) as w:
        refresh(w, stale_ids(start, end))
    return True


def background_check(session: Session, ctx: Backend, now: datetime) -> int:
    """Watchdog pass: keep the recent days current so opening Insights rarely has to rebuild anything.
    Runs in a savepoint: whatever goes wrong here never stops the pass's other checks (LATE alerts)."""
    back, ahead = BACKGROUND_DAYS
    try:
        with session.begin_nested():  # the pass may hold row locks already: skip when another replica refreshes
            refresh(session, stale_ids(now - timedelta(days=back), now + timedelta(days=ahead)), wait=False)
    except Exception:
        log.exception("refreshing the Insights visit facts failed")
    return 0  # the watchdog counts alerts raised; this raises none


def rebuild_all(session: Session) -> int:
    """Facts for every appointment (after a bulk import of history); returns how many."""
    refresh(session, select(Appointment.id))
    return session.scalar(select(func.count()).select_from(VisitFact)) or 0
