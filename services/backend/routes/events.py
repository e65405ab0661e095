"""GET /api/v1/events: Server-Sent Events with persisted ids and Last-Event-ID replay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from models.events import EventName, StreamReset
from models.schemas import MAX_INT
from services.backend import events
from services.backend.deps import Ctx, Dispatcher
from services.backend.errors import Invalid

router = APIRouter(prefix="/api/v1", tags=["dispatcher"])
HEARTBEAT_S = 15.0
FETCH_LIMIT = 500  # events per read
POLL_S = 2.0  # safety net if a wake-up is ever missed (e.g. a replica's NOTIFY lost on reconnect)


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "An endless event stream"}},
)
async def stream(
    request: Request,
    user: Dispatcher,
    ctx: Ctx,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    after: int | None = None,
) -> StreamingResponse:
    """Events after `Last-Event-ID` (or `?after=`); without either, only new events.

    If the requested id is older than what is retained, a `stream.reset` event tells the client to reload.
    """
    start: int | None = after
    if last_event_id is not None and last_event_id.strip():
        try:
            start = int(last_event_id.strip())
        except ValueError:
            raise Invalid.field("Last-Event-ID", "must be the numeric id of the last event received") from None
        if not -MAX_INT <= start <= MAX_INT:
            raise Invalid.field("Last-Event-ID", "must be the numeric id of the last event received")

    # Reads go through the lock-free reader: on SQLite a writer's session takes the write lock up front, and the
    # stream would queue behind every fsync'd write before it could see the event that write committed.
    def snapshot() -> tuple[int, int | None]:
        with ctx.reader() as s:
            return events.newest_id(s), events.oldest_id(s)

    newest, oldest = await run_in_threadpool(snapshot)

    async def gen() -> AsyncIterator[str]:
        last = newest if start is None else start
        yield "retry: 2000\n\n"
        if start is not None and oldest is not None and start < oldest - 1:
            reset = StreamReset(reason="events were pruned", newest=newest)
            yield events.sse_format(newest, EventName.STREAM_RESET, reset.model_dump(mode="json"))
            last = newest
        elif start is not None and start > newest:
            last = newest
        quiet = 0.0
        while True:
            if await request.is_disconnected():
                return

            def fetch(after_id: int = last) -> list[tuple[int, str, dict]]:
                with ctx.reader() as s:
                    return [(e.id, e.name, e.data) for e in events.fetch_after(s, after_id, FETCH_LIMIT)]

            mark = ctx.bus.mark()
            batch = await run_in_threadpool(fetch)
            for ev_id, name, data in batch:
                yield events.sse_format(ev_id, name, data)
                last = ev_id
            if batch:
                quiet = 0.0
            if len(batch) >= FETCH_LIMIT:
                continue  # more are waiting
            woke = await ctx.bus.wait(POLL_S, since=mark)
            if not woke:
                quiet += POLL_S
                if quiet >= HEARTBEAT_S:
                    quiet = 0.0
                    yield ": keep-alive\n\n"

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(gen(), media_type="text/event-stream", headers=headers)
