"""Smart dispatch answers: skills, zones, "who is best", a day's optimization proposal and an applied plan."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from models.public.appointments import AppointmentPublic
from models.public.common import Public


class SkillPublic(Public):
    id: int
    name: str
    technicians: int = Field(description="how many technicians have it")
    services: list[str] = Field(description="the service types that require it")


class TechnicianSkillsPublic(Public):
    technician_id: int
    name: str
    skills: list[str]


class ServiceSkillsPublic(Public):
    service_type: str
    bookable: bool = Field(description="one of the company's bookable services")
    skills: list[str] = Field(description="a technician needs every one (none: anyone)")


class ZonePublic(Public):
    id: int
    name: str
    color: str
    polygon: list[list[float]] = Field(description="[[lat, lng], …]; empty: ZIP codes only")
    zips: list[str]


class PlacePublic(Public):
    lat: float
    lng: float


class WarningPublic(Public):
    kind: str = Field(description="window | overlap | outside_hours | time_off | missing_skill | knock_on | "
                                  "no_location")
    message: str
    minutes: int


class KnockOnPublic(Public):
    appointment_id: int
    label: str
    late_min: int


class SuggestionPublic(Public):
    technician_id: int
    name: str
    rank: int
    top_pick: bool = Field(description="the first with no warnings (at most one)")
    arrive_at: datetime = Field(description="when they can be there")
    free_at: datetime = Field(description="when their current or preceding visit ends, or their day starts")
    drive_min: int
    after: str = Field(description="the visit they come from ('' when free)")
    reason: str = Field(description="in words: 'free at 3:40 PM after Barbara Miller, 22 min drive'")
    warnings: list[WarningPublic]
    window_late_min: int
    knock_on: list[KnockOnPublic] = Field(description="their later visits this would make late")
    start_from: PlacePublic | None = Field(alias="from", description="where they would drive from")


class SuggestPublic(Public):
    appointment_id: int | None
    window_start: datetime
    window_end: datetime
    required_skills: list[str]
    computed_at: datetime
    time_zone: str
    site: PlacePublic | None = Field(description="where the job is (null: unknown)")
    top_pick: int | None = Field(description="the top pick's technician id; null when nobody is free of warnings")
    suggestions: list[SuggestionPublic]


class LegPublic(Public):
    appointment_id: int
    label: str
    window_start: datetime
    window_end: datetime
    arrive_at: datetime
    leave_at: datetime
    late_min: int = Field(description="minutes past the window start plus the LATE grace")
    drive_min: float
    pinned: bool
    technician_id: int | None = Field(description="whose it is now")
    site: PlacePublic | None = Field(description="where the visit is (null: no location)")


class LockedVisitPublic(Public):
    appointment_id: int
    label: str
    status: str
    window_start: datetime
    window_end: datetime


class TechnicianPlanPublic(Public):
    technician_id: int
    name: str
    start: PlacePublic | None = Field(description="where their route starts (latest position or current visit)")
    locked: list[LockedVisitPublic] = Field(description="visits that stay (en route, arrived, in progress, done)")
    before: list[LegPublic]
    after: list[LegPublic]


class ChangePublic(Public):
    """One appointment's new technician and window, guarded by its version (what POST /dispatch/apply takes)."""

    appointment_id: int
    version: int
    technician_id: int | None
    window_start: datetime
    window_end: datetime


class MovePublic(ChangePublic):
    from_technician_id: int | None
    from_technician_name: str | None
    technician_name: str
    from_window_start: datetime
    from_window_end: datetime
    label: str
    arrive_at: datetime
    late_min: int
    words: str = Field(description="'Cy Far: Elena Torres → Marcus Reed, 9:00–10:00 AM'")


class UnplacedPublic(Public):
    appointment_id: int
    label: str


class TotalsPublic(Public):
    drive_min: float
    at_risk: int = Field(description="visits at risk of missing their window")
    late_min: int
    visits: int
    overtime_min: int = Field(0, description="minutes worked past the technicians' shift ends")


class PlanTotalsPublic(Public):
    before: TotalsPublic
    after: TotalsPublic


class OptimizePublic(Public):
    date: date
    time_zone: str
    computed_at: datetime
    solve_s: float
    technicians: list[TechnicianPlanPublic]
    moves: list[MovePublic]
    changes: list[ChangePublic]
    unplaced: list[UnplacedPublic] = Field(description="unassigned visits no technician fits well")
    totals: PlanTotalsPublic
    notes: list[str]


class UndoPublic(Public):
    changes: list[ChangePublic]
    notify_customers: bool


class AppliedPlanPublic(Public):
    saved: list[AppointmentPublic]
    undo: UndoPublic = Field(description="POST it to /dispatch/apply to put everything back")
