"""Traccar Client background GPS: the OsmAnd protocol at /osmand (query/form parameters or the JSON body).

The device id is a per-technician secret issued by the console; an unknown or revoked id gets the same 404 and
learns nothing. Fixes go through the same ingest as the field API (geofence arrival, leaving the previous job,
ETA refresh, LATE resolution, breadcrumbs) with the source `traccar`. Answers 200 with an empty body.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from models import osmand
from models.enums import DeviceKind, FixSource
from models.schemas import PositionIn
from models.tables import FieldDevice, Technician
from services.backend import devices, eta_refresh, ingest_writer
from services.backend.context import Backend
from services.backend.contract import errors
from services.backend.deps import Ctx
from services.backend.errors import BadRequest, NotFound, TooLarge

router = APIRouter(tags=["Traccar Client (OsmAnd protocol)"])
MAX_BODY = 1_000_000
UNKNOWN = "No device with this id. Ask your dispatcher for the Traccar Client setup code (Pair phone…)."


async def _report(request: Request, ctx: Backend) -> osmand.Report:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise TooLarge("The report is larger than 1 MB; send fewer positions at once.")
    now = ctx.clock.now()
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                data = json.loads(body or b"null")
            except ValueError:
                raise BadRequest("The body is not valid JSON. Traccar Client sends "
                                 '{"location": {...}, "device_id": "..."}.') from None
            return osmand.parse_json(data, now)
        params = dict(request.query_params)
        if not params and body:
            params = dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))
        return osmand.parse_params(params, now)
    except osmand.OsmAndError as exc:
        raise BadRequest(f"{exc.field}: {exc.message}", [{"field": exc.field, "message": exc.message}]) from None


def _device(ctx: Backend, secret: str) -> FieldDevice:
    with ctx.reader() as s:
        dev = devices.find(s, secret, DeviceKind.TRACCAR)
        tech = s.get(Technician, dev.technician_id) if dev is not None else None
        s.commit()
    if dev is None or tech is None or not tech.active:
        raise NotFound(UNKNOWN)
    return dev


def _ingest(ctx: Backend, dev: FieldDevice, report: osmand.Report) -> list[dict[str, Any]]:
    fixes = [PositionIn(lat=f.lat, lng=f.lng, recorded_at=f.recorded_at, speed_mps=f.speed_mps,
                        accuracy_m=min(f.accuracy_m if f.accuracy_m is not None else osmand.UNKNOWN_ACCURACY_M,
                                       100000.0))
             for f in report.fixes]

    def after(session: Session, result: dict[str, Any]) -> None:
        devices.record_fix(session, dev.id, result, FixSource.TRACCAR, ctx.clock.now(),
                           battery_pct=report.battery_pct, charging=report.charging)

    if not fixes:  # a heartbeat: only the device's battery and "last seen"
        with ctx.sessions() as s:
            after(s, {"latest": None})
            s.commit()
        return []
    batch = ingest_writer.Batch(None, dev.technician_id, fixes, None, source=FixSource.TRACCAR, after=after)
    result = ingest_writer.writer(ctx).submit(batch)
    return result.pop("eta_due", [])


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Stored: 200 with an empty body, as Traccar Client expects"},
    **errors(400, 404, 413,
             s400="The report cannot be used: the message and `details` name the parameter (e.g. lat out of range, "
                  "an unreadable timestamp, a fix more than 10 minutes in the future) or the body is not JSON.",
             s404="No live device with this id: unknown and revoked ids get the same answer.",
             s413="The report is larger than 1 MB."),
}


@router.get("/osmand", operation_id="osmand_report_get", response_class=Response, responses=_RESPONSES)
@router.post("/osmand", operation_id="osmand_report_post", response_class=Response, responses=_RESPONSES)
async def osmand_report(request: Request, ctx: Ctx) -> Response:
    """One Traccar Client report: `id`/`deviceid`, `lat`, `lon`, `timestamp`, `accuracy`, `speed` (knots),
    `bearing`, `altitude`, `batt` as query or form parameters, or the JSON body of Traccar Client 9+
    (speed in m/s). See docs/traccar.md."""
    report = await _report(request, ctx)
    dev = await run_in_threadpool(_device, ctx, report.device_id)
    due = await run_in_threadpool(_ingest, ctx, dev, report)
    if due:
        await run_in_threadpool(eta_refresh.refresh, ctx, due)
    return Response(status_code=200)
