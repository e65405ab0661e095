"""GET /api/v1/field/events: live updates for one technician's own jobs (Server-Sent Events).

Only what concerns the signed-in tech is sent, and only as "something changed" hints (`jobs.changed` with the
appointment ids, `profile.changed`); the page then reloads what it shows through the field API. Other techs'
jobs and positions never reach a phone. The stream ends with `signed.out` when the device is revoked.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from models.events import EventName
from models.tables import Appointment
from services.backend import events
from services.backend.context import Backend
from services.backend.deps import Ctx
from services.backend.field_auth import COOKIE, FieldTech, lookup

router = APIRouter(prefix="/api/v1/field", tags=["field app"])
HEARTBEAT_S = 15.0
POLL_S = 5.0
FETCH_LIMIT = 500  # events per read
KNOWN_DAYS = 7


def _mine(ctx: Backend, technician_id: int) -> tuple[int, set[int]]:
    """The newest event id and this tech's appointments around today (to notice one taken away)."""
    now = ctx.clock.now()
    with ctx.reader() as s:
        ids = set(s.scalars(select(Appointment.id).where(
            Appointment.technician_id == technician_id,
            Appointment.window_start >= now - timedelta(days=KNOWN_DAYS),
            Appointment.window_start < now + timedelta(days=KNOWN_DAYS))))
        return events.newest_id(s), ids


def relevant(ctx: Backend, technician_id: int, after: int, known: set[int]) -> tuple[int, list[str]]:
    """Events after `after` (at most FETCH_LIMIT) that concern this tech, as SSE messages; `known` is updated in
    place."""
    out: list[str] = []
    with ctx.reader() as s:
        batch = events.fetch_after(s, after, FETCH_LIMIT)
        if not batch:
            return after, out
        last = batch[-1].id
        touched = {int(e.data["id"]) for e in batch if e.name == EventName.APPOINTMENT_UPDATED and "id" in e.data}
        owners = dict(s.execute(select(Appointment.id, Appointment.technician_id)
                                .where(Appointment.id.in_(touched))).all()) if touched else {}
        mine = sorted(i for i in touched if owners.get(i) == technician_id or i in known)
        known.update(i for i in touched if owners.get(i) == technician_id)
        if mine:
            out.append(events.sse_format(last, "jobs.changed", {"ids": mine}))
        if any(e.name == EventName.TECHNICIAN_UPDATED and e.data.get("id") == technician_id for e in batch):
            out.append(events.sse_format(last, "profile.changed", {}))
        return last, out


def _still_signed_in(ctx: Backend, cookie: str | None) -> bool:
    if cookie is None:
        return True  # bearer tokens are checked per request by the API itself
    with ctx.reader() as s:
        return lookup(s, cookie) is not None


@router.get("/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "An endless event stream"}})
async def stream(request: Request, user: FieldTech, ctx: Ctx) -> StreamingResponse:
    """`jobs.changed` {ids} when a dispatcher (or the system) changes, reassigns or adds one of your jobs;
    `profile.changed` when your bio or photo was approved or refused; `signed.out` when this phone was removed."""
    assert user.technician_id is not None
    tech_id = user.technician_id
    cookie = None if request.headers.get("authorization") else request.cookies.get(COOKIE)
    last, known = await run_in_threadpool(_mine, ctx, tech_id)

    async def gen() -> AsyncIterator[str]:
        nonlocal last
        yield "retry: 3000\n\n"
        checked = time.monotonic()
        quiet = 0.0
        while True:
            if await request.is_disconnected():
                return
            if time.monotonic() - checked >= HEARTBEAT_S:
                checked = time.monotonic()
                if not await run_in_threadpool(_still_signed_in, ctx, cookie):
                    yield events.sse_format(last, "signed.out", {})
                    return
            before, mark = last, ctx.bus.mark()
            last, msgs = await run_in_threadpool(relevant, ctx, tech_id, last, known)
            for m in msgs:
                yield m
            if last != before:
                quiet = 0.0
                if last - before >= FETCH_LIMIT:
                    continue  # more may be waiting (batches are capped)
            woke = await ctx.bus.wait(POLL_S, since=mark)
            if not woke:
                quiet += POLL_S
                if quiet >= HEARTBEAT_S:
                    quiet = 0.0
                    yield ": keep-alive\n\n"

    headers: dict[str, Any] = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(gen(), media_type="text/event-stream", headers=headers)
