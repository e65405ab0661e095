"""Background jobs: the watchdog pass (LATE detection and the checks `create_app` registers), outbox delivery
and pruning.

Each job is safe to run in several replicas at once: alerts and messages carry unique dedupe keys, outbox rows
are claimed with FOR UPDATE SKIP LOCKED on PostgreSQL, and the LATE pass locks each appointment it acts on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from models.enums import AlertKind
from models.lateness import AWAITING_ARRIVAL, LOOKBACK, alert_message, customer_text, is_overdue, minutes_overdue
from models.notifications import Kind
from models.tables import Alert, Appointment
from models.timefmt import clock_time
from services.backend import events, outbox, positions
from services.backend.alerts import raise_alert
from services.backend.context import Backend
from services.backend.db import session_scope
from services.backend.locking import locked
from services.backend.notify import notify_job

log = logging.getLogger(__name__)

#: A watchdog check: fn(session, ctx, now) -> how many things it raised.
Check = Callable[[Session, Backend, datetime], int]


def check_late(session: Session, ctx: Backend, now: datetime) -> int:
    """Raise one LATE alert (and one customer message) per appointment not arrived `threshold` after its start.

    Each appointment is locked and re-checked before anything is raised: an arrival committed a moment ago (on
    any replica) keeps it out, and an arrival that comes while the alert is being raised waits for this pass
    and then resolves the alert. Appointments being changed right now are skipped until the next pass.
    """
    threshold = int(ctx.setting(session, "late_threshold_min"))
    company = ctx.company(session)
    alerted = select(Alert.id).where(Alert.appointment_id == Appointment.id, Alert.kind == AlertKind.LATE.value)
    due = session.scalars(locked(
        select(Appointment).where(
            Appointment.status.in_([s.value for s in AWAITING_ARRIVAL]),
            Appointment.window_start <= now - timedelta(minutes=threshold),
            Appointment.window_start > now - LOOKBACK,
            ~alerted.exists(),
        ).order_by(Appointment.id), skip_locked=True)).all()
    raised = 0
    for appt in due:
        if not is_overdue(appt.status, appt.window_start, now, threshold):
            continue
        tech = appt.technician.name if appt.technician else None
        alert = raise_alert(
            session, ctx, now, kind=AlertKind.LATE, dedupe_key=f"late:{appt.id}", appointment_id=appt.id,
            message=alert_message(tech, appt.job.customer.name, minutes_overdue(appt.window_start, now)))
        if alert is None:
            continue
        raised += 1
        notify_job(session, now, appt.job, kind=Kind.LATE, appointment=appt, urgent=True,
                   dedupe=f"appt:{appt.id}:late", subject=f"{company.name}: checking on your technician",
                   body=customer_text(clock_time(appt.window_start, company.time_zone), company.name,
                                      company.phone))
    return raised


def run_checks(ctx: Backend) -> int:
    """One watchdog pass (`ctx.watchdog_checks`, in order) in its own transaction; committed passes are counted
    in `ctx.watchdog_passes`."""
    with session_scope(ctx.sessions) as session:
        now = ctx.clock.now()
        raised = sum(check(session, ctx, now) for check in ctx.watchdog_checks)
    ctx.watchdog_passes.done()
    return raised


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
