"""The Insights figures, computed in SQL from the audit trail (models/insights.py defines every figure).

Five aggregate queries — visits (one pass over their status changes), LATE alerts, booking requests, time on
site per service type, percentiles — grouped by local day, local week or technician. Python only sums the
grouped rows (at most a few hundred) into totals and fills empty days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, inspect, literal, or_, select, true
from sqlalchemy.orm import Session, aliased

from models.enums import Actor, AlertKind
from models.enums import AppointmentStatus as S
from models.enums import BookingState as B
from models.insights import (
    BOOKING_REMINDER_AFTER,
    FIELD_STATUSES,
    GRACE,
    LATE_CAUSE_LABELS,
    NOT_ARRIVED,
    NPS_DETRACTOR_MAX,
    NPS_PROMOTER_MIN,
    ON_SITE,
    RESPONSE_BINS,
    STATUS_RANK,
    UNANSWERED_BIN,
    GroupBy,
    LateCause,
    avg,
    day_number,
    group_label,
    local_range,
    pct,
    utc_offsets,
    week_number,
)
from models.tables import Alert, Appointment, BookingRequest, Job, StatusEvent, Survey, Technician, TimeEntry
from services.backend.insights_sql import at, day_key, minutes_between, percentiles, week_key

OPEN_BOOKING = (B.SUBMITTED.value, B.UNDER_REVIEW.value)
CAUSES = [c.value for c in LateCause]
#: Figures that add up across groups (totals are their sums); everything else is derived from them.
SUMS = ("visits", "cancelled", "scored", "on_time", "on_time_15", "never_arrived", "no_arrival_record",
        "completed", "paused", "drive_visits", "drive_min", "on_site_visits", "on_site_min", "status_changes",
        "backup_changes", "surveys_stars", "stars_sum", "surveys_nps", "nps_promoters", "nps_detractors",
        "late_alerts", "late_ended", "late_overdue_min", *(f"late_{c}" for c in CAUSES), "late_open",
        "bookings", "bookings_answered", "bookings_decided", "bookings_within_reminder")


@dataclass(frozen=True)
class Query:
    first: date
    last: date
    time_zone: str
    now: datetime
    group_by: GroupBy = GroupBy.DAY
    technician_id: int | None = None
    service_type: str | None = None


def _rank(col: Any) -> Any:
    return case(STATUS_RANK, value=col, else_=-1)


class _Compute:
    def __init__(self, db: Session, q: Query):
        self.db, self.q = db, q
        self.start, self.end = local_range(q.first, q.last, q.time_zone)
        self.steps = utc_offsets(q.time_zone, self.start - timedelta(days=1), self.end + timedelta(days=1))
        self.late = aliased(Alert, name="late")
        #: The technician a visit counts for: who had it when it ran late, else who has it.
        self.tech = func.coalesce(self.late.technician_id, Appointment.technician_id)

    # --- shared pieces ----------------------------------------------------------------------------------------
    def key(self, ts: Any, tech: Any) -> Any:
        if self.q.group_by == GroupBy.TECHNICIAN:
            return tech
        return week_key(ts, self.steps) if self.q.group_by == GroupBy.WEEK else day_key(ts, self.steps)

    def visit_filters(self, ts: Any) -> list[Any]:
        where = [ts >= at(self.start), ts < at(self.end)]
        if self.q.technician_id is not None:
            where.append(self.tech == self.q.technician_id)
        if self.q.service_type:
            where.append(Appointment.job_id.in_(select(Job.id).where(Job.service_type == self.q.service_type)))
        return where

    def _late_join(self, stmt: Any) -> Any:
        return stmt.outerjoin(self.late, and_(self.late.appointment_id == Appointment.id,
                                              self.late.kind == AlertKind.LATE.value))

    # --- visits -------------------------------------------------------------------------------------------
    def visits(self) -> dict[Any, dict[str, float]]:
        ev = StatusEvent
        forward_field = and_(ev.to_status.in_([s.value for s in FIELD_STATUSES]),
                             _rank(ev.to_status) > _rank(ev.from_status))
        in_range = select(Appointment.id).where(Appointment.window_start >= at(self.start),
                                                Appointment.window_start < at(self.end))
        facts = (select(ev.appointment_id.label("aid"),
                        func.min(case((ev.to_status.in_([s.value for s in ON_SITE]), ev.created_at))).label("arr"),
                        func.min(case((ev.to_status == S.EN_ROUTE.value, ev.created_at))).label("road"),
                        func.sum(case((and_(forward_field, ev.actor == Actor.DISPATCHER.value), 1), else_=0))
                        .label("backup"),
                        func.sum(case((and_(forward_field, ev.actor.in_([Actor.DISPATCHER.value,
                                                                          Actor.TECHNICIAN.value])), 1), else_=0))
                        .label("people"))
                 .where(ev.appointment_id.in_(in_range)).group_by(ev.appointment_id)).subquery("facts")
        a, f = Appointment, facts
        arrived = f.c.arr.is_not(None)
        reassigned = func.coalesce(self.late.cause, "") == LateCause.REASSIGNED.value
        awaiting = a.status.in_([s.value for s in NOT_ARRIVED])
        overdue = and_(awaiting, a.window_end <= at(self.q.now - GRACE))
        late_by = minutes_between(f.c.arr, a.window_end)
        drove = and_(f.c.road.is_not(None), arrived, f.c.arr > f.c.road)
        clocked = TimeEntry.ended_at.is_not(None)
        stars, nps = Survey.kind == "stars", Survey.kind == "nps"

        def n(cond: Any) -> Any:
            return func.sum(case((cond, 1), else_=0))

        def total(cond: Any, value: Any) -> Any:
            return func.coalesce(func.sum(case((cond, value), else_=0)), 0)

        cols = {
            "visits": func.count(a.id),
            "cancelled": n(a.status == S.CANCELLED.value),
            "scored": n(or_(arrived, overdue)),
            "on_time": n(and_(arrived, f.c.arr <= a.window_end, ~reassigned)),
            "on_time_15": n(and_(arrived, late_by <= GRACE.total_seconds() / 60, ~reassigned)),
            "never_arrived": n(and_(~arrived, overdue)),
            "no_arrival_record": n(and_(~arrived, a.status.in_([S.COMPLETE.value, S.PAUSED.value]))),
            "completed": n(a.status == S.COMPLETE.value),
            "paused": n(a.status == S.PAUSED.value),
            "drive_visits": n(drove),
            "drive_min": total(drove, minutes_between(f.c.arr, f.c.road)),
            "on_site_visits": n(clocked),
            "on_site_min": total(clocked, minutes_between(TimeEntry.ended_at, TimeEntry.started_at)),
            "status_changes": func.coalesce(func.sum(f.c.people), 0),
            "backup_changes": func.coalesce(func.sum(f.c.backup), 0),
            "surveys_stars": n(stars),
            "stars_sum": total(stars, Survey.score),
            "surveys_nps": n(nps),
            "nps_promoters": n(and_(nps, Survey.score >= NPS_PROMOTER_MIN)),
            "nps_detractors": n(and_(nps, Survey.score <= NPS_DETRACTOR_MAX)),
        }
        key = self.key(a.window_start, self.tech).label("k")
        stmt = self._late_join(select(key, *(c.label(name) for name, c in cols.items())).select_from(a))
        stmt = (stmt.outerjoin(f, f.c.aid == a.id).outerjoin(TimeEntry, TimeEntry.appointment_id == a.id)
                .outerjoin(Survey, Survey.appointment_id == a.id)
                .where(*self.visit_filters(a.window_start)).group_by(key))
        return {r.k: {name: float(getattr(r, name) or 0) for name in cols} for r in self.db.execute(stmt)}

    # --- LATE alerts -------------------------------------------------------------------------------------------
    def late_alerts(self) -> tuple[dict[Any, dict[str, float]], dict[int, float | None]]:
        al, a = self.late, Appointment
        ws = func.coalesce(al.window_start, a.window_start)
        ended = al.ended_at.is_not(None)
        overdue = minutes_between(al.ended_at, ws)
        cols: dict[str, Any] = {
            "late_alerts": func.count(al.id),
            "late_ended": func.sum(case((ended, 1), else_=0)),
            "late_overdue_min": func.coalesce(func.sum(case((ended, overdue), else_=0)), 0),
            "late_open": func.sum(case((al.cause == "", 1), else_=0)),
        }
        for c in CAUSES:
            cols[f"late_{c}"] = func.sum(case((al.cause == c, 1), else_=0))
        key = self.key(ws, self.tech).label("k")
        where = [al.kind == AlertKind.LATE.value, ws >= at(self.start), ws < at(self.end)]
        if self.q.technician_id is not None:
            where.append(self.tech == self.q.technician_id)
        if self.q.service_type:
            where.append(a.job_id.in_(select(Job.id).where(Job.service_type == self.q.service_type)))
        froms = inspect(al).selectable.join(a.__table__, al.appointment_id == a.id)
        stmt = select(key, *(c.label(name) for name, c in cols.items())).select_from(froms).where(*where).group_by(key)
        rows = {r.k: {name: float(getattr(r, name) or 0) for name in cols} for r in self.db.execute(stmt)}
        pcts = percentiles(self.db, case((ended, overdue)), literal(0), where, froms)
        return rows, pcts.get(0, {})

    # --- booking requests -------------------------------------------------------------------------------------
    def _booking_where(self) -> list[Any]:
        br = BookingRequest
        where = [br.created_at >= at(self.start), br.created_at < at(self.end)]
        if self.q.service_type:
            where.append(br.service_type == self.q.service_type)
        return where

    def bookings(self) -> tuple[dict[Any, dict[str, Any]], dict[str, float], dict[str, Any]]:
        """(figures per day/week — none per technician: the office answers requests, company totals, summary)."""
        br = BookingRequest
        answered = br.responded_at.is_not(None)
        wait = minutes_between(br.responded_at, br.created_at)
        limit = BOOKING_REMINDER_AFTER.total_seconds() / 60
        decided = or_(answered,
                      and_(br.state.in_(OPEN_BOOKING), br.created_at <= at(self.q.now - BOOKING_REMINDER_AFTER)),
                      and_(br.state == B.CANCELLED.value, minutes_between(br.updated_at, br.created_at) >= limit))
        cols = {
            "bookings": func.count(br.id),
            "bookings_answered": func.sum(case((answered, 1), else_=0)),
            "bookings_decided": func.sum(case((decided, 1), else_=0)),
            "bookings_within_reminder": func.sum(case((and_(answered, wait <= limit), 1), else_=0)),
        }
        where = self._booking_where()
        by_time = self.q.group_by != GroupBy.TECHNICIAN
        key = (self.key(br.created_at, None) if by_time else literal(0)).label("k")
        stmt = select(key, *(c.label(name) for name, c in cols.items())).where(*where).group_by(key)
        rows: dict[Any, dict[str, Any]] = {
            r.k: {name: float(getattr(r, name) or 0) for name in cols} for r in self.db.execute(stmt)}
        totals = {name: sum(r[name] for r in rows.values()) for name in cols}
        value = case((answered, wait))
        if by_time:
            for k, p in percentiles(self.db, value, self.key(br.created_at, None), where, br.__table__).items():
                rows.setdefault(k, {}).update(booking_median_min=p.get(50), booking_p90_min=p.get(90))
        else:
            rows = {}
        overall = percentiles(self.db, value, literal(0), where, br.__table__).get(0, {})
        bins = [case((and_(answered, wait >= lo, wait < hi if hi is not None else true()), i))
                for i, (lo, hi, _label) in enumerate(RESPONSE_BINS)]
        bin_no = func.coalesce(*bins, len(RESPONSE_BINS))
        counts = dict(self.db.execute(select(bin_no.label("b"), func.count()).where(*where).group_by(bin_no)).all())
        labels = [label for *_r, label in RESPONSE_BINS] + [UNANSWERED_BIN]
        histogram = [{"bucket": label, "requests": int(counts.get(i, 0))} for i, label in enumerate(labels)]
        summary = {"median_min": overall.get(50), "p90_min": overall.get(90), "histogram": histogram,
                   "technician_filter_applies": False}
        return rows, totals, summary

    # --- time on site and drive time -----------------------------------------------------------------------------
    def on_site_by_service(self) -> list[dict[str, Any]]:
        minutes = minutes_between(TimeEntry.ended_at, TimeEntry.started_at)
        base = self._late_join(select(Job.service_type).select_from(TimeEntry)
                               .join(Appointment, Appointment.id == TimeEntry.appointment_id)
                               .join(Job, Job.id == Appointment.job_id))
        where = [*self.visit_filters(Appointment.window_start), TimeEntry.ended_at.is_not(None)]
        stmt = (base.with_only_columns(Job.service_type, func.count(TimeEntry.id), func.avg(minutes))
                .where(*where).group_by(Job.service_type).order_by(Job.service_type))
        froms = stmt.get_final_froms()[0]
        pcts = percentiles(self.db, minutes, Job.service_type, where, froms)
        out = []
        for service, count, mean in self.db.execute(stmt):
            p = pcts.get(service, {})
            out.append({"service_type": service, "visits": int(count), "avg_min": round(float(mean), 1),
                        "median_min": p.get(50), "p90_min": p.get(90)})
        return out

    def drive_percentiles(self) -> dict[int, float | None]:
        ev, a = StatusEvent, Appointment
        facts = (select(ev.appointment_id.label("aid"),
                        func.min(case((ev.to_status.in_([s.value for s in ON_SITE]), ev.created_at))).label("arr"),
                        func.min(case((ev.to_status == S.EN_ROUTE.value, ev.created_at))).label("road"))
                 .where(ev.to_status.in_([S.EN_ROUTE.value, *(s.value for s in ON_SITE)]),
                        ev.appointment_id.in_(select(a.id).where(a.window_start >= at(self.start),
                                                                 a.window_start < at(self.end))))
                 .group_by(ev.appointment_id)).subquery("drive")
        froms = self._late_join(select(a.id).select_from(a)).join(facts, facts.c.aid == a.id).get_final_froms()[0]
        value = case((facts.c.arr > facts.c.road, minutes_between(facts.c.arr, facts.c.road)))
        return percentiles(self.db, value, literal(0), self.visit_filters(a.window_start), froms).get(0, {})


#: Sums that are minutes or scores (kept with one decimal); the other sums are counts.
FLOAT_SUMS = ("drive_min", "on_site_min", "stars_sum", "late_overdue_min")


def _finish(fig: dict[str, Any]) -> dict[str, Any]:
    """A group's figures: its sums, plus the percentages and averages derived from them."""
    g: dict[str, Any] = {k: v for k, v in fig.items() if k not in SUMS}
    for k in SUMS:
        v = float(fig.get(k) or 0)
        g[k] = round(v, 1) if k in FLOAT_SUMS else int(round(v))
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
    """Every Insights figure for the query: totals, one row per group, causes, booking and service breakdowns."""
    c = _Compute(db, q)
    merged: dict[Any, dict[str, Any]] = {}
    late_rows, late_pcts = c.late_alerts()
    booking_rows, booking_totals, booking = c.bookings()
    for part in (c.visits(), late_rows, booking_rows):
        for k, fig in part.items():
            merged.setdefault(k, {}).update(fig)
    sums: dict[str, Any] = {k: sum(float(g.get(k) or 0) for g in merged.values()) for k in SUMS}
    sums.update(booking_totals)
    totals = _finish(sums)
    totals["booking_median_min"], totals["booking_p90_min"] = booking["median_min"], booking["p90_min"]
    totals["late_overdue_median_min"] = late_pcts.get(50)
    drive = c.drive_percentiles()
    totals["drive_median_min"] = drive.get(50)
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
        out = [{"key": str(k) if k is not None else "unassigned", "label": names.get(k, "Unassigned") if k is not None
                else "Unassigned", "technician_id": k, **_finish(fig)} for k, fig in merged.items()]
        return sorted(out, key=lambda g: (g["technician_id"] is None, g["label"]))
    if q.group_by == GroupBy.WEEK:
        keys = range(week_number(q.first), week_number(q.last) + 1)
    else:
        keys = range(day_number(q.first), day_number(q.last) + 1)
    out = []
    for k in keys:
        key, label = group_label(q.group_by, k)
        out.append({"key": key, "label": label, "technician_id": None, **_finish(merged.get(k, {}))})
    return out
