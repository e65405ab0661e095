"""GPS position ingest: idempotent batches, out-of-order safe, latest position per technician kept hot."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models.enums import AppointmentStatus as S
from models.enums import FixSource
from models.events import EventName
from models.schemas import PositionIn
from models.tables import LatestPosition, Position
from services.backend import eta_refresh, geofence
from services.backend.context import Backend
from services.backend.events import publish


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def ingest(session: Session, ctx: Backend, technician_id: int, fixes: list[PositionIn],
           source: str = FixSource.FIELD_APP) -> dict[str, Any]:
    """Store breadcrumbs (duplicates ignored) and move the latest position only forward in time.

    `source` (field app, Traccar Client, simulator) is recorded on every breadcrumb and on the latest position.

    Returns counts, the new latest fix (if it moved) and `eta_due`: ETA jobs the caller runs after commit
    (en-route appointments whose ETA is 2 min old or whose tech jumped far). The geofence rules run on the
    fixes that are newer than the previous latest one, in recorded order (see services/backend/geofence.py).
    """
    now = ctx.clock.now()
    ordered = sorted(fixes, key=lambda f: f.recorded_at)
    rows = [
        {"technician_id": technician_id, "lat": f.lat, "lng": f.lng, "accuracy_m": f.accuracy_m,
         "recorded_at": f.recorded_at, "received_at": now, "source": source}
        for f in ordered
    ]
    ins = _insert(session)(Position).on_conflict_do_nothing(
        index_elements=["technician_id", "recorded_at"]
    ).returning(Position.id)
    # executemany with a constant (cached) statement; RETURNING counts what was new (rowcount is unreliable).
    stored = len(session.connection().execute(ins, rows).all())
    latest = session.get(LatestPosition, technician_id, with_for_update=True)
    newer = [f for f in ordered if latest is None or f.recorded_at > latest.recorded_at]
    moved = None
    eta_due: list[dict[str, Any]] = []
    if newer:
        geo_state, candidates = geofence.evaluate(session, ctx, technician_id, newer, latest)
        last = newer[-1]
        if latest is None:
            latest = LatestPosition(technician_id=technician_id, lat=last.lat, lng=last.lng,
                                    accuracy_m=last.accuracy_m, recorded_at=last.recorded_at, geo_state=geo_state,
                                    source=source)
            session.add(latest)
        else:
            latest.lat, latest.lng, latest.accuracy_m = last.lat, last.lng, last.accuracy_m
            latest.recorded_at, latest.geo_state, latest.source = last.recorded_at, geo_state, source
        moved = {"technician_id": technician_id, "lat": last.lat, "lng": last.lng,
                 "accuracy_m": last.accuracy_m, "recorded_at": last.recorded_at.isoformat(), "source": source}
        publish(session, EventName.POSITION_UPDATED, moved, now)
        eta_due = [eta_refresh.job(a, last.lat, last.lng) for a in candidates
                   if a.status == S.EN_ROUTE.value and eta_refresh.is_due(a, last.lat, last.lng, now)]
    return {"received": len(fixes), "stored": stored, "duplicates": len(fixes) - stored, "latest": moved,
            "eta_due": [j for j in eta_due if j is not None]}


def prune(session: Session, now: datetime, retention_days: float) -> int:
    """Delete breadcrumbs older than the retention period."""
    res = session.execute(delete(Position).where(Position.recorded_at < now - timedelta(days=retention_days)))
    return res.rowcount or 0


def latest_of(session: Session, technician_id: int) -> LatestPosition | None:
    return session.scalar(select(LatestPosition).where(LatestPosition.technician_id == technician_id))
