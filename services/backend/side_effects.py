"""What a status change sets off (models/status_machine.py `side_effects_of`), each exactly once per appointment
and kind — whoever made the change and however often a request is retried."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.enums import SideEffect
from models.notifications import Kind
from models.status_machine import MESSAGES
from models.tables import Appointment, SideEffectRecord, TimeEntry
from models.timefmt import clock_time
from services.backend.appointment_views import tech_first_name
from services.backend.context import Backend
from services.backend.eta_refresh import store_eta
from services.backend.notify import notify_job
from services.backend.tracker_links import ensure_link, expire_link


def claim(session: Session, appointment_id: int, kind: SideEffect, now: datetime) -> bool:
    """Claim a side effect for this appointment; False if it already fired (unique key)."""
    exists = session.scalar(select(SideEffectRecord.id).where(
        SideEffectRecord.appointment_id == appointment_id, SideEffectRecord.kind == kind.value))
    if exists:
        return False
    try:
        with session.begin_nested():
            session.add(SideEffectRecord(appointment_id=appointment_id, kind=kind.value, created_at=now))
    except IntegrityError:
        return False
    return True


def fire(session: Session, ctx: Backend, appt: Appointment, effect: SideEffect, now: datetime,
         silent: bool = False) -> None:
    """Carry out one side effect (the caller claimed it); `silent` (a backward correction) messages nobody."""
    if silent and effect in MESSAGES:
        if effect == SideEffect.EN_ROUTE_SMS:  # the tracker still shows an ETA and its link
            store_eta(session, ctx, appt, now)
            ensure_link(session, appt.id, now)
        return
    if effect == SideEffect.EN_ROUTE_SMS:
        company = ctx.company(session)
        eta = store_eta(session, ctx, appt, now) or appt.window_start
        link = ensure_link(session, appt.id, now)
        notify_job(session, now, appt.job, kind=Kind.EN_ROUTE, appointment=appt, urgent=True,
                   dedupe=f"appt:{appt.id}:en_route", subject=f"{company.name}: your technician is on the way",
                   body=(f"Your technician from {company.name} is on the way — arriving around "
                         f"{clock_time(eta, company.time_zone)}. Track them here: "
                         f"{ctx.link('/tracker/' + link.token)}"))
    elif effect == SideEffect.ARRIVAL_PING:
        company = ctx.company(session)
        notify_job(session, now, appt.job, kind=Kind.ARRIVED, appointment=appt, urgent=True,
                   dedupe=f"appt:{appt.id}:arrived", subject=f"{company.name}: your technician has arrived",
                   push_title=company.name,
                   body=f"{tech_first_name(appt)} has arrived at your location.")
    elif effect == SideEffect.STOP_LOCATION:
        appt.location_stopped = True
    elif effect == SideEffect.EXPIRE_TRACKER:
        expire_link(session, appt.id, now)
    elif effect == SideEffect.OPEN_TIME_ENTRY:
        open_already = session.scalar(select(TimeEntry.id).where(TimeEntry.appointment_id == appt.id))
        if appt.technician_id is not None and open_already is None:  # imported/seeded visits may carry one
            session.add(TimeEntry(appointment_id=appt.id, technician_id=appt.technician_id, started_at=now))
    elif effect == SideEffect.CLOSE_TIME_ENTRY:
        entry = session.scalar(select(TimeEntry).where(TimeEntry.appointment_id == appt.id))
        if entry is not None and entry.ended_at is None:
            entry.ended_at = now


def run(session: Session, ctx: Backend, appt: Appointment, effects: tuple[SideEffect, ...], now: datetime,
        *, silent: bool = False) -> None:
    for effect in effects:
        if claim(session, appt.id, effect, now):
            fire(session, ctx, appt, effect, now, silent)
