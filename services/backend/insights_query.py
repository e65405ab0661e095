"""The Insights figures, computed in SQL (models/insights.py defines every figure, docs/insights.md explains).

Aggregate queries grouped by local day, local week or technician: visits (over `visit_facts`, the per-visit
facts derived from the audit trail), surveys, LATE alerts, booking requests, time on site per service type,
and nearest-rank percentiles. Python only adds up the grouped rows (at most a few hundred) into totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from models.booking_machine import REMINDER_AFTER
from models.enums import AlertKind
from models.enums import BookingState as B
from models.insights import (
    GRACE,
    LATE_CAUSE_LABELS,
    NPS_DETRACTOR_MAX,
    NPS_PROMOTER_MIN,
    RESPONSE_BINS,
    UNANSWERED_BIN,
    GroupBy,
    LateCause,
    avg,
    day_number,
    group_label,
    local_range,
    pct,
    round1,
    utc_offsets,
    week_number,
)
from models.lateness import LOOKBACK
from models.tables import Alert, Appointment, BookingRequest, Job, Survey, Technician, VisitFact
from models.timefmt import day_bounds
from services.backend.insights_sql import (
    at,
    buckets,
    epoch_seconds,
    local_key,
    minutes_between,
    percentiles,
    tenths_of,
    unindexed,
)

OPEN_BOOKING = (B.SUBMITTED.value, B.UNDER_REVIEW.value)
CAUSES = [c.value for c in LateCause]
#: Times are compared to the millisecond (epoch seconds are floats).
EPS = 0.001
#: Figures that add up across groups (totals are their sums); the rest is derived from them.
SUMS = ("visits", "cancelled", "scored", "on_time", "on_time_15", "never_arrived", "no_arrival_record",
        "completed", "paused", "drive_visits", "drive_min", "on_site_visits", "on_site_min", "status_changes",
        "backup_changes", "surveys_stars", "stars_sum", "surveys_nps", "nps_promoters", "nps_detractors",
        "late_alerts", "late_ended", "late_overdue_min", *(f"late_{c}" for c in CAUSES), "late_open",
        "bookings", "bookings_answered", "bookings_decided", "bookings_within_reminder")
#: Sums that are minutes or scores (one decimal); the other sums are counts.
FLOAT_SUMS = ("drive_min", "on_site_min", "stars_sum", "late_overdue_min")


@dataclass(frozen=True)
class Query:
    first: date
    last: date
    time_zone: str
    now: datetime
    group_by: GroupBy = GroupBy.DAY
    technician_id: int | None = None
    service_type: str | None = None


def _n(cond: Any) -> Any:
    return func.sum(case((cond, 1), else_=0))


def _total(cond: Any, value: Any) -> Any:
    return func.coalesce(func.sum(case((cond, value), else_=0)), 0)


class _Compute:
    def __init__(self, db: Session, q: Query):
        self.db, self.q = db, q
        self.start, self.end = local_range(q.first, q.last, q.time_zone)
        self.steps = utc_offsets(q.time_zone, self.start - timedelta(days=1), self.end + timedelta(days=1))
        self.now_s = q.now.timestamp()

    def key(self, seconds: Any, tech: Any) -> Any:
        """The group of a row of a small table: its local day or week (from epoch seconds), or its technician."""
        if self.q.group_by == GroupBy.TECHNICIAN:
            return tech
        return local_key(seconds, self.steps, self.q.group_by == GroupBy.WEEK)

    def bucket_keys(self) -> list[tuple[int, datetime, datetime]]:
        """(key, start, end) of every local day or week of the range (weeks clipped to the range)."""
        out: list[tuple[int, datetime, datetime]] = []
        day = self.q.first
        while day <= self.q.last:
            if self.q.group_by == GroupBy.WEEK:
                k, last = week_number(day), min(self.q.last, day + timedelta(days=6 - day.weekday()))
            else:
                k, last = day_number(day), day
            out.append((k, day_bounds(day, self.q.time_zone)[0], day_bounds(last, self.q.time_zone)[1]))
            day = last + timedelta(days=1)
        return out

    def facts_grouped(self, *cols: Any) -> Any:
        """SELECT key, cols FROM visit_facts (filtered) GROUP BY key. Per technician; per day/week on SQLite by
        joining the day/week buckets on the window start (rows arrive bucket by bucket: no sort of every row);
        PostgreSQL hashes the day or week computed from epoch seconds instead (faster there than index scans)."""
        f = VisitFact
        if self.q.group_by == GroupBy.TECHNICIAN or self.db.get_bind().dialect.name == "postgresql":
            key = self.key(f.window_start_s, f.technician_id)
            return select(key.label("k"), *cols).where(*self.fact_filters()).group_by(key)
        b = buckets(self.bucket_keys())
        return (select(b.c.k, *cols).select_from(b)
                .join(f, and_(f.window_start >= b.c.s, f.window_start < b.c.e))
                .where(*self.fact_filters(ranged=False)).group_by(b.c.k))

    def _rows(self, stmt: Any, names: Any) -> dict[Any, dict[str, Any]]:
        return {r.k: {n: float(getattr(r, n) or 0) for n in names} for r in self.db.execute(stmt)}

    # --- visits --------------------------------------------------------------------------------------------
    def fact_filters(self, ranged: bool = True, ordered: bool = False) -> list[Any]:
        """Range, technician and service filters on visit_facts; `ordered`: leave the range index alone (SQLite
        then reads a histogram index in order)."""
        f = VisitFact
        ws = unindexed(f.window_start) if ordered else f.window_start
        where = [ws >= at(self.start), ws < at(self.end)] if ranged else []
        if self.q.technician_id is not None:
            where.append(f.technician_id == self.q.technician_id)
        if self.q.service_type:
            where.append(f.service_type == self.q.service_type)
        return where

    def visits(self) -> dict[Any, dict[str, Any]]:
        f = VisitFact
        overdue = case((and_(f.awaiting == 1, f.window_end_s <= self.now_s - GRACE.total_seconds()), 1), else_=0)
        cols = {
            "visits": func.count(),
            "cancelled": func.sum(f.cancelled),
            "arrived": func.sum(f.arrived),
            "overdue": func.sum(overdue),
            "on_time": func.sum(f.on_time),
            "on_time_15": func.sum(f.on_time_15),
            "no_arrival_record": func.sum(f.no_arrival_record),
            "completed": func.sum(f.completed),
            "paused": func.sum(f.paused),
            "drive_visits": func.count(f.drive_min),
            "drive_min": func.sum(f.drive_min),
            "on_site_visits": func.count(f.on_site_min),
            "on_site_min": func.sum(f.on_site_min),
            "status_changes": func.sum(f.status_changes),
            "backup_changes": func.sum(f.backup_changes),
        }
        rows = self._rows(self.facts_grouped(*(c.label(n) for n, c in cols.items())), cols)
        for r in rows.values():  # a visit is scored once it arrived, or once its window is 15+ min over
            r["scored"] = r.pop("arrived") + r["overdue"]
            r["never_arrived"] = r.pop("overdue")
        return rows

    def surveys(self) -> dict[Any, dict[str, Any]]:
        f = VisitFact
        stars, nps = Survey.kind == "stars", Survey.kind == "nps"
        cols = {
            "surveys_stars": _n(stars),
            "stars_sum": _total(stars, Survey.score),
            "surveys_nps": _n(nps),
            "nps_promoters": _n(and_(nps, Survey.score >= NPS_PROMOTER_MIN)),
            "nps_detractors": _n(and_(nps, Survey.score <= NPS_DETRACTOR_MAX)),
        }
        key = self.key(f.window_start_s, f.technician_id).label("k")
        stmt = (select(key, *(c.label(n) for n, c in cols.items())).select_from(Survey)
                .join(f, f.appointment_id == Survey.appointment_id).where(*self.fact_filters()).group_by(key))
        return self._rows(stmt, cols)

    def drive_percentiles(self) -> dict[Any, Any]:
        f = VisitFact
        return percentiles(self.db, f.drive_min, None, self.fact_filters(ordered=True), f.__table__,
                           tenths=f.drive_tenths).get(None, {})

    def on_site_by_service(self) -> list[dict[str, Any]]:
        f = VisitFact
        by_service = percentiles(self.db, f.on_site_min, f.service_type, self.fact_filters(ordered=True),
                                 f.__table__, tenths=f.on_site_tenths)
        return [{"service_type": service, "visits": p["n"], "avg_min": avg(p["sum"], p["n"]),
                 "median_min": p[50], "p90_min": p[90]} for service, p in sorted(by_service.items())]

    # --- LATE alerts -----------------------------------------------------------------------------------------
    def late_alerts(self) -> tuple[dict[Any, dict[str, Any]], dict[int, float | None]]:
        al, a = Alert, Appointment
        ws = func.coalesce(al.window_start, a.window_start)
        tech = func.coalesce(al.technician_id, a.technician_id)
        ended = al.ended_at.is_not(None)
        overdue = minutes_between(al.ended_at, ws)
        cols: dict[str, Any] = {
            "late_alerts": func.count(),
            "late_ended": _n(ended),
            "late_overdue_min": _total(ended, overdue),
            "late_open": _n(al.cause == ""),
            **{f"late_{c}": _n(al.cause == c) for c in CAUSES},
        }
        # A LATE alert is raised between 30 min and 12 h (the watchdog's look-back) after the window start it is
        # late for: its creation time narrows the search before the exact test on that window start.
        where = [al.kind == AlertKind.LATE.value, al.created_at >= at(self.start),
                 al.created_at < at(self.end + LOOKBACK), ws >= at(self.start), ws < at(self.end)]
        if self.q.technician_id is not None:
            where.append(tech == self.q.technician_id)
        if self.q.service_type:
            where.append(a.job_id.in_(select(Job.id).where(Job.service_type == self.q.service_type)))
        froms = Alert.__table__.join(Appointment.__table__, al.appointment_id == a.id)
        key = self.key(epoch_seconds(ws), tech).label("k")
        stmt = select(key, *(c.label(n) for n, c in cols.items())).select_from(froms).where(*where).group_by(key)
        pcts = percentiles(self.db, case((ended, overdue)), None, where, froms)
        return self._rows(stmt, cols), pcts.get(None, {})

    # --- booking requests -----------------------------------------------------------------------------------
    def bookings(self) -> tuple[dict[Any, dict[str, Any]], dict[str, float], dict[str, Any]]:
        """(figures per day/week — none per technician: the office answers requests, company totals, summary)."""
        br = BookingRequest
        answered = br.responded_at.is_not(None)
        wait = minutes_between(br.responded_at, br.created_at)
        limit = REMINDER_AFTER.total_seconds() / 60
        decided = or_(answered,
                      and_(br.state.in_(OPEN_BOOKING), br.created_at <= at(self.q.now - REMINDER_AFTER)),
                      and_(br.state == B.CANCELLED.value, minutes_between(br.updated_at, br.created_at) >= limit))
        cols = {
            "bookings": func.count(),
            "bookings_answered": _n(answered),
            "bookings_decided": _n(decided),
            "bookings_within_reminder": _n(and_(answered, wait <= limit + EPS / 60)),
        }
        where = [br.created_at >= at(self.start), br.created_at < at(self.end)]
        if self.q.service_type:
            where.append(br.service_type == self.q.service_type)
        by_time = self.q.group_by != GroupBy.TECHNICIAN
        value = case((answered, wait))
        if by_time:
            group = self.key(epoch_seconds(br.created_at), None)
            stmt = select(group.label("k"), *(c.label(n) for n, c in cols.items())).where(*where).group_by(group)
            rows = self._rows(stmt, cols)
            for k, p in percentiles(self.db, value, group, where, br.__table__).items():
                rows[k].update(booking_median_min=p[50], booking_p90_min=p[90])
        else:
            rows = {}
        one = self.db.execute(select(*(c.label(n) for n, c in cols.items())).where(*where)).one()
        totals = {n: float(getattr(one, n) or 0) for n in cols}
        overall = percentiles(self.db, value, None, where, br.__table__).get(None, {})
        tenths = tenths_of(wait)  # bins compare the wait as shown, in tenths of a minute
        bin_no = case(*[(and_(answered, tenths >= lo * 10, tenths < hi * 10 if hi is not None else true()), i)
                        for i, (lo, hi, _label) in enumerate(RESPONSE_BINS)],
                      (and_(~answered, br.state.in_(OPEN_BOOKING)), len(RESPONSE_BINS)))
        counts = dict(self.db.execute(select(bin_no, func.count()).where(*where).group_by(bin_no)).all())
        labels = [label for *_r, label in RESPONSE_BINS] + [UNANSWERED_BIN]
        summary = {"median_min": overall.get(50), "p90_min": overall.get(90), "technician_filter_applies": False,
                   "histogram": [{"bucket": b, "requests": int(counts.get(i, 0))} for i, b in enumerate(labels)]}
        return rows, totals, summary


def _finish(fig: dict[str, Any]) -> dict[str, Any]:
    """A group's figures: its sums, plus the percentages and averages derived from them."""
    g: dict[str, Any] = {k: v for k, v in fig.items() if k not in SUMS}
    for k in SUMS:
        v = float(fig.get(k) or 0)
        g[k] = round1(v) if k in FLOAT_SUMS else int(round(v))
    g["on_time_pct"] = pct(g["on_time"], g["scored"])
    g["on_time_15_pct"] = pct(g["on_time_15"], g["scored"])
    g["drive_avg_min"] = avg(g["drive_min"], g["drive_visits"])
    g["on_site_avg_min"] = avg(g["on_site_min"], g["on_site_visits"])
    g["backup_pct"] = pct(g["backup_changes"], g["status_changes"])
    g["stars_avg"] = round(g["stars_sum"] / g["surveys_stars"], 2) if g["surveys_stars"] else None
    g["nps"] = (round(100.0 * (g["nps_promoters"] - g["nps_detractors"]) / g["surveys_nps"])
                if g["surveys_nps"] else None)
    g["late_overdue_avg_min"] = avg(g["late_overdue_min"], g["late_ended"])
    g["bookings_within_reminder_pct"] = pct(g["bookings_within_reminder"], g["bookings_decided"])
    g.setdefault("booking_median_min", None)
    g.setdefault("booking_p90_min", None)
    return g


def compute(db: Session, q: Query) -> dict[str, Any]:
    """Every Insights figure for the query (visit facts must be current: visit_facts.ensure_current)."""
    c = _Compute(db, q)
    merged: dict[Any, dict[str, Any]] = {}
    late_rows, late_pcts = c.late_alerts()
    booking_rows, booking_totals, booking = c.bookings()
    for part in (c.visits(), c.surveys(), late_rows, booking_rows):
        for k, fig in part.items():
            merged.setdefault(k, {}).update(fig)
    sums: dict[str, Any] = {k: sum(float(g.get(k) or 0) for g in merged.values()) for k in SUMS}
    sums.update(booking_totals)
    totals = _finish(sums)
    totals["booking_median_min"], totals["booking_p90_min"] = booking["median_min"], booking["p90_min"]
    totals["late_overdue_median_min"] = late_pcts.get(50)
    totals["drive_median_min"] = c.drive_percentiles().get(50)
    return {
        "from": q.first, "to": q.last, "time_zone": q.time_zone, "group_by": q.group_by.value,
        "technician_id": q.technician_id, "service_type": q.service_type, "generated_at": q.now,
        "totals": totals, "groups": _groups(db, q, merged),
        "late_causes": [{"cause": k, "label": v, "alerts": totals[f"late_{k}"]} for k, v in LATE_CAUSE_LABELS.items()],
        "booking": booking, "on_site_by_service": c.on_site_by_service(),
    }


def _groups(db: Session, q: Query, merged: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    if q.group_by == GroupBy.TECHNICIAN:
        ids = [k for k in merged if k is not None]
        names = dict(db.execute(select(Technician.id, Technician.name).where(Technician.id.in_(ids))).all()) \
            if ids else {}
        out = [{"key": str(k) if k is not None else "unassigned",
                "label": names.get(k, "Unassigned") if k is not None else "Unassigned",
                "technician_id": k, **_finish(fig)} for k, fig in merged.items()]
        return sorted(out, key=lambda g: (g["technician_id"] is None, g["label"]))
    span = (week_number(q.first), week_number(q.last)) if q.group_by == GroupBy.WEEK \
        else (day_number(q.first), day_number(q.last))
    out = []
    for k in range(span[0], span[1] + 1):
        key, label = group_label(q.group_by, k)
        out.append({"key": key, "label": label, "technician_id": None, **_finish(merged.get(k, {}))})
    return out
