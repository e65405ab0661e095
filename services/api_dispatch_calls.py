"""Smart dispatch calls of the console's API client: skills, zones, who is best, optimize a day, apply a plan."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import httpx

JSON = dict[str, Any]


def iso(value: datetime | str) -> str:
    """A datetime as the API takes it (ISO 8601); a string is passed through."""
    return value.isoformat() if isinstance(value, datetime) else value


class DispatchCalls:
    """Mixed into `ApiClient`, which provides `request` (timeouts, readable errors, 401 handling)."""

    request: Callable[..., Awaitable[Any]]

    async def skills(self) -> list[JSON]:
        return await self.request("GET", "/api/v1/skills")

    async def add_skill(self, name: str) -> JSON:
        return await self.request("POST", "/api/v1/skills", json={"name": name})

    async def rename_skill(self, skill_id: int, name: str) -> JSON:
        return await self.request("PATCH", f"/api/v1/skills/{skill_id}", json={"name": name})

    async def remove_skill(self, skill_id: int) -> None:
        await self.request("DELETE", f"/api/v1/skills/{skill_id}")

    async def technician_skills(self) -> list[JSON]:
        """Every active technician with their skills: [{technician_id, name, skills}]."""
        return await self.request("GET", "/api/v1/technician-skills")

    async def set_technician_skills(self, tech_id: int, skills: list[str]) -> JSON:
        return await self.request("PUT", f"/api/v1/technicians/{tech_id}/skills", json={"skills": skills})

    async def service_skills(self) -> list[JSON]:
        """The company's services with the skills each requires: [{service_type, bookable, skills}]."""
        return await self.request("GET", "/api/v1/service-skills")

    async def set_service_skills(self, service_type: str, skills: list[str]) -> JSON:
        return await self.request("PUT", "/api/v1/service-skills",
                                  json={"service_type": service_type, "skills": skills})

    async def zones(self) -> list[JSON]:
        return await self.request("GET", "/api/v1/zones")

    async def add_zone(self, name: str, *, zips: list[str] | None = None, polygon: list[list[float]] | None = None,
                       color: str = "") -> JSON:
        return await self.request("POST", "/api/v1/zones", json={"name": name, "zips": zips or [],
                                                                 "polygon": polygon or [], "color": color})

    async def change_zone(self, zone_id: int, **fields: Any) -> JSON:
        return await self.request("PATCH", f"/api/v1/zones/{zone_id}", json=fields)

    async def remove_zone(self, zone_id: int) -> None:
        await self.request("DELETE", f"/api/v1/zones/{zone_id}")

    async def suggest(self, *, appointment_id: int | None = None, job_id: int | None = None,
                      lat: float | None = None, lng: float | None = None, window_start: datetime | None = None,
                      window_end: datetime | None = None, required_skills: list[str] | None = None,
                      technician_ids: list[int] | None = None, exclude_unskilled: bool = False,
                      service_type: str | None = None, duration_min: int | None = None) -> JSON:
        """Technicians ranked for a job: {top_pick, suggestions: [{technician_id, name, arrive_at, reason,
        warnings, top_pick, …}]}."""
        body: JSON = {"appointment_id": appointment_id, "job_id": job_id, "lat": lat, "lng": lng,
                      "window_start": iso(window_start) if window_start else None,
                      "window_end": iso(window_end) if window_end else None, "required_skills": required_skills,
                      "technician_ids": technician_ids, "exclude_unskilled": exclude_unskilled,
                      "service_type": service_type, "duration_min": duration_min}
        return await self.request("POST", "/api/v1/dispatch/suggest", json=body)

    async def optimize_day(self, day: date, *, technician_ids: list[int] | None = None,
                           include_unassigned: bool = False) -> JSON:
        """A proposal for the day (nothing saved): technicians before/after, moves, changes, totals."""
        return await self.request("POST", "/api/v1/dispatch/optimize", json={
            "date": day.isoformat(), "technician_ids": technician_ids, "include_unassigned": include_unassigned},
            timeout=httpx.Timeout(40.0, connect=5.0))

    async def apply_plan(self, changes: list[JSON], notify_customers: bool) -> JSON:
        """Save a plan's changes as one batch (412 when any appointment changed meanwhile): {saved, undo}."""
        return await self.request("POST", "/api/v1/dispatch/apply",
                                  json={"changes": changes, "notify_customers": notify_customers})

    async def pin_appointment(self, appt_id: int, pinned: bool) -> JSON:
        return await self.request("POST", f"/api/v1/appointments/{appt_id}/pin", json={"pinned": pinned})
