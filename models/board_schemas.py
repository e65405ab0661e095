"""Request and response bodies of the dispatch-board API: availability, conflict check, week, search, geocode."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, field_validator, model_validator

from models.availability import parse_hhmm
from models.schemas import AwareDatetime, Body, _Window


# --- requests -----------------------------------------------------------------------------------------------
class ShiftIn(Body):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    start: str = Field(examples=["08:00"], description="HH:MM, company time zone")
    end: str = Field(examples=["17:00"], description="HH:MM (24:00 = midnight), after start")

    @model_validator(mode="after")
    def _times(self) -> ShiftIn:
        start, end = parse_hhmm(self.start), parse_hhmm(self.end)
        if end <= start:
            raise ValueError(f"{self.start}–{self.end}: the shift must end after it starts (within one day)")
        return self


class HoursIn(Body):
    """The whole week: the days worked; a weekday not listed is a day off."""

    days: list[ShiftIn] = Field(max_length=7)

    @field_validator("days")
    @classmethod
    def _unique(cls, v: list[ShiftIn]) -> list[ShiftIn]:
        seen = [d.weekday for d in v]
        if len(seen) != len(set(seen)):
            raise ValueError("each weekday may appear once")
        return v


class TimeOffIn(Body):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _order_off(self) -> TimeOffIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class CheckIn(_Window):
    technician_id: int | None = Field(default=None, description="null: unassigned, never a conflict")
    window_start: AwareDatetime
    window_end: AwareDatetime
    job_id: int | None = None
    appointment_id: int | None = Field(default=None, description="the appointment being moved (not a conflict "
                                                                  "with itself)")


# --- responses ----------------------------------------------------------------------------------------------
class ConflictOut(BaseModel):
    kind: str = Field(description="overlap | time_off | outside_hours | missing_skill")
    message: str
    appointment_id: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    minutes: int = 0
    reason: str = ""
    skills: list[str] = []


class CheckOut(BaseModel):
    ok: bool
    technician_id: int | None
    conflicts: list[ConflictOut]


class DayHoursOut(BaseModel):
    weekday: int
    name: str
    start: str | None
    end: str | None


class HoursOut(BaseModel):
    technician_id: int
    time_zone: str
    set: bool = Field(description="false: hours never set, the tech counts as always available")
    days: list[DayHoursOut]


class TimeOffOut(BaseModel):
    id: int
    technician_id: int | None
    starts_at: datetime
    ends_at: datetime
    reason: str


class SpanOut(BaseModel):
    starts_at: datetime
    ends_at: datetime
    reason: str = ""


class TimeOffSpanOut(SpanOut):
    id: int | None


class LoadOut(BaseModel):
    visits: int
    booked_minutes: int
    capacity_minutes: int | None
    text: str = Field(description="e.g. '6.5 / 8 h'")


class TechDayOut(LoadOut):
    id: int
    name: str
    hours_set: bool
    working: bool
    shift: SpanOut | None
    time_off: list[TimeOffSpanOut]
    unavailable: list[SpanOut] = Field(description="spans of the day to shade: outside the shift, time off")


class UnassignedDayOut(BaseModel):
    visits: int
    booked_minutes: int


class AvailabilityOut(BaseModel):
    date: date
    time_zone: str
    technicians: list[TechDayOut]
    unassigned: UnassignedDayOut


class WeekCellOut(LoadOut):
    date: date


class WeekTechOut(BaseModel):
    id: int
    name: str
    hours_set: bool
    days: list[WeekCellOut]


class WeekOut(BaseModel):
    start: date
    time_zone: str
    days: list[date]
    technicians: list[WeekTechOut]
    unassigned: list[WeekCellOut]


class SearchHitOut(BaseModel):
    id: int
    window_start: datetime
    window_end: datetime
    status: str
    status_label: str
    technician_id: int | None
    technician_name: str | None
    customer_id: int
    customer_name: str
    customer_phone: str
    phone_display: str
    address: str
    service_type: str


class SearchOut(BaseModel):
    query: str
    total: int
    items: list[SearchHitOut]


class GeocodeCandidate(BaseModel):
    label: str
    lat: float
    lng: float


class GeocodeOut(BaseModel):
    query: str
    provider: str
    cached: bool
    candidates: list[GeocodeCandidate]
