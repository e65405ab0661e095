"""GET /api/v1/insights: how the team is doing (on time, LATE, bookings, visits, statusing, surveys)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from models.insights import MAX_RANGE_DAYS, GroupBy, local_range
from models.insights_schemas import InsightsOut
from models.schemas import Day
from models.tables import Technician
from services.backend import insights_query, visit_facts
from services.backend.deps import Ctx, Dispatcher
from services.backend.errors import Invalid

router = APIRouter(prefix="/api/v1", tags=["dispatcher"])
#: Days the figures can be asked for (calendar arithmetic near year 1 or 9999 would overflow).
EARLIEST, LATEST = date(1970, 1, 2), date(2999, 12, 31)


@router.get("/insights", response_model=InsightsOut)
def insights(
    user: Dispatcher,
    ctx: Ctx,
    from_: Annotated[Day | None, Query(alias="from", description="First local day, YYYY-MM-DD; default 29 days "
                                                                   "before `to`")] = None,
    to: Annotated[Day | None, Query(description="Last local day (inclusive); default today")] = None,
    technician_id: Annotated[int | None, Query(description="Only visits this technician had")] = None,
    service_type: Annotated[str | None, Query(max_length=200, description="Only this service type")] = None,
    group_by: Annotated[GroupBy, Query(description="day, week (Monday to Sunday) or technician")] = GroupBy.DAY,
) -> Any:
    """Figures for a range of days in the company's time zone, in total and per day, week or technician.
    Definitions: docs/insights.md."""
    now = ctx.clock.now()
    with ctx.reader() as db:
        tz = ctx.company(db).time_zone
        last = to or now.astimezone(ZoneInfo(tz)).date()
        first = from_ or last - timedelta(days=29)
        for name, day in (("from", first), ("to", last)):
            if not EARLIEST <= day <= LATEST:
                raise Invalid.field(name, f"{day} is out of range; choose a day between {EARLIEST} and {LATEST}")
        if first > last:
            raise Invalid.field("from", f"{first} is after `to` ({last}); choose a start on or before the end")
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            raise Invalid.field("from", f"the range is {(last - first).days + 1} days; at most {MAX_RANGE_DAYS} "
                                        "days fit in one request")
        if technician_id is not None and db.get(Technician, technician_id) is None:
            raise Invalid.field("technician_id", f"no technician {technician_id}; pick one from the team list")
        db.rollback()
    visit_facts.ensure_current(ctx, *local_range(first, last, tz))  # the visits' facts, as of now
    with ctx.reader() as db:
        out = insights_query.compute(db, insights_query.Query(
            first=first, last=last, time_zone=tz, now=now, group_by=group_by, technician_id=technician_id,
            service_type=(service_type or "").strip() or None))
        db.rollback()
    return out
