"""Editing a job from the appointment card: service, description, internal notes, job site and its pin."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy import select

from models.public.staff import JobPublic
from models.schemas import Body
from models.status_machine import FINAL
from models.tables import Appointment, Job
from services.backend.appointment_ops import bump
from services.backend.audit import audit, who
from services.backend.contract import errors
from services.backend.deps import Ctx, Db, Dispatcher
from services.backend.errors import Invalid, NotFound
from services.backend.events import publish_appointment
from services.backend.locking import locked
from services.backend.routes.staff import job_public

router = APIRouter(prefix="/api/v1/jobs", tags=["dispatcher"])
LOCATION = ("address", "lat", "lng")


class JobPatch(Body):
    """Only the fields sent change; `lat`/`lng` sent as null clear the pin (no auto-arrival, no ETA)."""

    service_type: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10000)
    internal_notes: str | None = Field(default=None, max_length=10000)
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)


@router.get("/{job_id}", response_model=JobPublic, responses=errors(404))
def get_job(job_id: int, user: Dispatcher, db: Db) -> dict[str, Any]:
    """One job: service, description, internal notes, job site and its coordinates."""
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound(f"No job {job_id}.")
    return job_public(job)


@router.patch("/{job_id}", response_model=JobPublic, responses=errors(404))
def patch_job(job_id: int, body: JobPatch, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Change a job's details. Its visits that are not over take the new job site and pin, get a new version
    (an open card reloads instead of saving over it) and are announced to every console. Audited."""
    job = db.scalar(select(Job).where(Job.id == job_id).with_for_update(of=Job)
                    .execution_options(populate_existing=True))
    if job is None:
        raise NotFound(f"No job {job_id}.")
    sent = body.model_fields_set
    if ("lat" in sent) != ("lng" in sent) or (body.lat is None) != (body.lng is None):
        raise Invalid.field("lat", "send lat and lng together (both null to clear the pin)")
    if "service_type" in sent and body.service_type is None:
        raise Invalid.field("service_type", "a job needs a service; send the new one or leave the field out")
    changes: dict[str, Any] = {}
    for name in sent:
        new, old = getattr(body, name), getattr(job, name)
        if name == "address":
            new = (new or "").strip()
        if new != old:
            changes[name] = [old, new]
            setattr(job, name, new)
    if not changes:
        return job_public(job)
    now = ctx.clock.now()
    by = who(user)
    audit(db, now, "job.changed", "job", job.id, user, changes)
    for appt in db.scalars(locked(select(Appointment).where(Appointment.job_id == job.id))):
        if appt.status in FINAL:
            continue
        if "lat" in changes:
            appt.site_lat, appt.site_lng = job.lat, job.lng
        bump(appt, by, now)
        publish_appointment(db, appt, now, details=True)
    db.commit()
    return job_public(job)
