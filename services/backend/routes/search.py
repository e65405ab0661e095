"""Appointment search on any date (`GET /api/v1/appointments/search?q=`), server-side."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from models.board_schemas import SearchOut
from services.backend.board_search import search_appointments
from services.backend.deps import Ctx, Db, Dispatcher

router = APIRouter(prefix="/api/v1", tags=["dispatcher"])


@router.get("/appointments/search", response_model=SearchOut)
def search(user: Dispatcher, ctx: Ctx, db: Db,
           q: Annotated[str, Query(max_length=200, description="customer name, phone (any format), address, "
                                                               "city, ZIP or service type")],
           limit: Annotated[int, Query(ge=1, le=200)] = 50,
           offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """Matching appointments of any date, nearest to now first, with the total number of matches."""
    out = search_appointments(db, q.strip(), ctx.clock.now(), str(ctx.setting(db, "country") or "US"),
                              limit=limit, offset=offset)
    db.commit()
    return out
