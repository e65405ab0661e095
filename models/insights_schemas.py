"""The Insights response (GET /api/v1/insights), as documented in the served OpenAPI."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class Figures(BaseModel):
    """One period's (or technician's) figures; models/insights.py METRICS explains each."""

    visits: int = Field(description="Appointments whose window starts in the period")
    cancelled: int
    scored: int = Field(description="Visits counted for on time: arrived, or window ended 15+ min ago without")
    on_time: int
    on_time_15: int
    never_arrived: int = Field(description="Scored visits with no arrival (window over, not cancelled)")
    no_arrival_record: int = Field(description="Closed (complete/paused) without an arrival time; not scored")
    on_time_pct: float | None
    on_time_15_pct: float | None
    completed: int
    paused: int
    drive_visits: int
    drive_min: float
    drive_avg_min: float | None
    on_site_visits: int
    on_site_min: float
    on_site_avg_min: float | None
    status_changes: int = Field(description="Forward field-app status changes made by people")
    backup_changes: int = Field(description="… of which a dispatcher made")
    backup_pct: float | None
    surveys_stars: int
    stars_sum: float
    stars_avg: float | None
    surveys_nps: int
    nps_promoters: int
    nps_detractors: int
    nps: int | None
    late_alerts: int
    late_ended: int
    late_overdue_min: float
    late_overdue_avg_min: float | None
    late_arrived: int
    late_reassigned: int
    late_rescheduled: int
    late_cancelled: int
    late_acknowledged: int
    late_open: int
    bookings: int
    bookings_answered: int
    bookings_decided: int
    bookings_within_reminder: int
    bookings_within_reminder_pct: float | None
    booking_median_min: float | None
    booking_p90_min: float | None


class Group(Figures):
    key: str = Field(description="YYYY-MM-DD (day, or the Monday of the week) or the technician id")
    label: str
    technician_id: int | None


class Totals(Figures):
    late_overdue_median_min: float | None
    drive_median_min: float | None


class LateCauseCount(BaseModel):
    cause: str
    label: str
    alerts: int


class HistogramBin(BaseModel):
    bucket: str
    requests: int


class BookingSummary(BaseModel):
    median_min: float | None
    p90_min: float | None
    histogram: list[HistogramBin]
    technician_filter_applies: bool = Field(description="False: requests are answered by the office")


class ServiceTime(BaseModel):
    service_type: str
    visits: int
    avg_min: float
    median_min: float | None
    p90_min: float | None


class InsightsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    time_zone: str
    group_by: str
    technician_id: int | None
    service_type: str | None
    generated_at: datetime
    totals: Totals
    groups: list[Group]
    late_causes: list[LateCauseCount]
    booking: BookingSummary
    on_site_by_service: list[ServiceTime]
