"""Request bodies of the smart-dispatch API: skills, zones, suggestions, optimizing and applying a plan."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field, model_validator

from models.schemas import AwareDatetime, Body, Id, _Window

Name = Field(min_length=1, max_length=100)


class SkillIn(Body):
    name: str = Name


class SkillListIn(Body):
    skills: list[str] = Field(max_length=100, description="skill names (existing skills, any case)")


class ServiceSkillsIn(Body):
    service_type: str = Field(min_length=1, max_length=200)
    skills: list[str] = Field(max_length=100)


class ZoneIn(Body):
    name: str = Name
    color: str = Field(default="", pattern=r"^(#[0-9a-fA-F]{6})?$", description="#rrggbb or empty")
    polygon: list[Any] = Field(default_factory=list, max_length=1000, description="[[lat, lng], …] or []")
    zips: list[Any] = Field(default_factory=list, max_length=1000)


class ZonePatch(Body):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    color: str | None = Field(default=None, pattern=r"^(#[0-9a-fA-F]{6})?$")
    polygon: list[Any] | None = Field(default=None, max_length=1000)
    zips: list[Any] | None = Field(default=None, max_length=1000)


class PinIn(Body):
    pinned: bool


class SuggestIn(_Window):
    """Either an appointment, or a place and window (job_id or lat/lng) to fill."""

    appointment_id: Id | None = None
    job_id: Id | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    duration_min: int | None = Field(default=None, ge=5, le=24 * 60)
    required_skills: list[str] | None = Field(default=None, max_length=50,
                                              description="default: what the job's service type requires")
    service_type: str | None = Field(default=None, max_length=200,
                                     description="for a job not booked yet: its skills come from this service")
    technician_ids: list[Id] | None = Field(default=None, max_length=1000)
    exclude_unskilled: bool = False

    @model_validator(mode="after")
    def _what(self) -> SuggestIn:
        if self.appointment_id is None:
            if self.window_start is None or self.window_end is None:
                raise ValueError("send appointment_id, or window_start and window_end with job_id or lat/lng")
            if self.job_id is None and (self.lat is None or self.lng is None):
                raise ValueError("send job_id or both lat and lng: where the job is")
        return self


class OptimizeIn(Body):
    date: date
    technician_ids: list[Id] | None = Field(default=None, max_length=1000, description="default: every technician")
    include_unassigned: bool = False
    time_limit_s: float | None = Field(default=None, gt=0, le=30)


class ChangeIn(Body):
    appointment_id: Id
    version: int = Field(ge=1)
    technician_id: Id | None = None
    window_start: AwareDatetime
    window_end: AwareDatetime

    @model_validator(mode="after")
    def _order(self) -> ChangeIn:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        return self


class ApplyIn(Body):
    changes: list[ChangeIn] = Field(min_length=1, max_length=2000)
    notify_customers: bool = False
