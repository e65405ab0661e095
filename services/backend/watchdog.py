"""Background jobs: LATE detection (API.md §2), stale booking reminders, outbox delivery and pruning.

Each job is safe to run in several replicas at once: alerts and messages carry unique dedupe keys, and
outbox rows are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from models.enums import AlertKind, Channel
from models.lateness import AWAITING_ARRIVAL, LOOKBACK, is_overdue
from models.tables import Alert, Appointment
from models.timefmt import clock_time
from services.backend import events, outbox, positions
from services.backend.appointment_ops import alert_public, locked
from services.backend.context import Backend
from services.backend.db import session_scope
from services.backend.events import publish

log = logging.getLogger(__name__)


def raise_alert(session: Session, now: datetime, *, kind: AlertKind, dedupe_key: str, message: str,
                appointment_id: int | None = None, booking_request_id: int | None = None) -> Alert | None:
    """Create an alert once per dedupe key (None if it already exists)."""
    if session.scalar(select(Alert.id).where(Alert.dedupe_key == dedupe_key)):
        return None
    alert = Alert(kind=kind.value, dedupe_key=dedupe_key, message=message, appointment_id=appointment_id,
                  booking_request_id=booking_request_id, created_at=now)
    try:
        with session.begin_nested():
            session.add(alert)
    except IntegrityError:
        return None
    publish(session, "alert.created", alert_public(alert), now)
    return alert


def check_late(session: Session, ctx: Backend, now: datetime) -> int:
    """Raise one LATE alert (and one customer SMS) per appointment not arrived `threshold` after its start.

    Each appointment is locked and re-checked before anything is raised: an arrival committed a moment ago (on
    any replica) keeps it out, and an arrival that comes while the alert is being raised waits for this pass
    and then resolves the alert. Appointments being changed right now are skipped until the next pass.
    """
    threshold = int(ctx.setting(session, "late_threshold_min"))
    company = ctx.company(session)
    alerted = select(Alert.id).where(Alert.appointment_id == Appointment.id, Alert.kind == AlertKind.LATE.value)
    due = [a for a in session.scalars(locked(
        select(Appointment).where(
            Appointment.status.in_([s.value for s in AWAITING_ARRIVAL]),
            Appointment.window_start <= now - timedelta(minutes=threshold),
            Appointment.window_start > now - LOOKBACK,
            ~alerted.exists(),
        ).order_by(Appointment.id), skip_locked=True))
        if is_overdue(a.status, a.window_start, now, threshold)]
    raised = 0
    for appt in due:
        tech = appt.technician.name if appt.technician else "The technician (unassigned)"
        overdue = int((now - appt.window_start).total_seconds() // 60)
        alert = raise_alert(
            session, now, kind=AlertKind.LATE, dedupe_key=f"late:{appt.id}", appointment_id=appt.id,
            message=f"LATE: {tech} has not arrived at {appt.job.customer.name} — {overdue} min overdue",
        )
        if alert is None:
            continue
        raised += 1
        body = (f"Your appointment was scheduled for {clock_time(appt.window_start, company.time_zone)}. "
                f"We're checking on your technician now. A team member will follow up shortly. "
                f"Call {company.name}: {company.phone}")
        for i, r in enumerate(outbox.job_recipients(session, appt.job)):
            ch = outbox.choose_channel(r)
            if ch is None:
                continue
            outbox.enqueue(session, now, channel=ch, kind="late", to=r.phone if ch == Channel.SMS else r.email,
                           subject=f"{company.name}: checking on your technician", body=body,
                           customer_id=appt.job.customer_id, appointment_id=appt.id,
                           dedupe_key=f"appt:{appt.id}:late:{i}", urgent=True)
    return raised


#: Extra checks other modules register (e.g. stale booking requests): fn(session, ctx, now) -> int.
EXTRA_CHECKS: list[Callable[[Session, Backend, datetime], int]] = []


def run_checks(ctx: Backend) -> int:
    """One watchdog pass (LATE and registered checks), in its own transaction."""
    with session_scope(ctx.sessions) as session:
        now = ctx.clock.now()
        n = check_late(session, ctx, now)
        for check in EXTRA_CHECKS:
            n += check(session, ctx, now)
        return n


def run_outbox(ctx: Backend) -> int:
    with session_scope(ctx.sessions) as session:
        return outbox.deliver_due(session, ctx.clock.now(), ctx.extras.get("providers", {}))


def run_prune(ctx: Backend) -> None:
    with session_scope(ctx.sessions) as session:
        now = ctx.clock.now()
        positions.prune(session, now, float(ctx.setting(session, "position_retention_days")))
        events.prune(session, now - timedelta(days=ctx.settings.event_retention_days))


async def loop_forever(ctx: Backend, fn: Callable[[Backend], object], interval: Callable[[], float]) -> None:
    """Run `fn` in a worker thread every `interval()` seconds until cancelled; errors are logged, not fatal."""
    while True:
        try:
            await run_in_threadpool(fn, ctx)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background job %s failed", getattr(fn, "__name__", fn))
        await asyncio.sleep(max(0.05, interval()))
