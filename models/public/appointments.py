"""Appointments as dispatchers and technicians read them, their history, crew positions and visit photos."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, create_model

from models.enums import AppointmentStatus
from models.public.common import Public, rows_adapter


class AppointmentPublic(Public):
    """The dispatcher's view of one appointment (day list, search answers carry fewer fields)."""

    id: int
    version: int = Field(description="changes with every write; sent as the ETag, expected back in If-Match")
    job_id: int
    technician_id: int | None
    technician_name: str | None
    customer_id: int
    customer_name: str
    customer_phone: str
    customer_email: str
    address: str = Field(description="the job's address, else the customer's")
    service_type: str
    description: str
    internal_notes: str
    source: str
    source_partner: str
    window_start: datetime
    window_end: datetime
    status: AppointmentStatus
    status_label: str = Field(description="the console's word for the status")
    allowed_transitions: list[AppointmentStatus] = Field(description="where a dispatcher may move it now")
    site_lat: float | None
    site_lng: float | None
    eta_at: datetime | None = Field(description="the backend's ETA of the technician to the site, while en route")
    late: bool = Field(description="an open LATE alert exists for it")
    customer_message: str = Field(description="the technician's message to the customer when paused")
    updated_at: datetime
    updated_by: str
    created_at: datetime = Field(description="when the visit was booked (how long unassigned work has waited)")
    pinned: bool = Field(default=False, description="pinned by a dispatcher: Optimize day keeps its technician "
                                                    "and time")


#: The day list as served: 10,000 dicts checked and serialised as `AppointmentPublic` without 10,000 instances.
day_rows = rows_adapter(AppointmentPublic)


class StatusChangePublic(Public):
    id: int
    version: int | None = Field(description="the appointment version this change produced")
    from_status: AppointmentStatus | None
    to_status: AppointmentStatus
    actor: str = Field(description="technician | dispatcher | system")
    actor_id: int | None
    actor_name: str
    reason: str
    customer_message: str
    source: str = Field(description="field_app | console | geofence | watchdog | …")
    created_at: datetime


class TimeEntryPublic(Public):
    started_at: datetime
    ended_at: datetime | None
    minutes_on_site: int


class AppointmentDetailPublic(AppointmentPublic):
    """One appointment with its status history (oldest first) and the technician's time on site."""

    history: list[StatusChangePublic]
    time_entry: TimeEntryPublic | None


def _without(model: type[Public], name: str, drop: set[str], doc: str) -> type[Public]:
    fields: dict[str, Any] = {k: (f.annotation, f) for k, f in model.model_fields.items() if k not in drop}
    return create_model(name, __base__=Public, __doc__=doc, __module__=__name__, **fields)


class FieldActionPublic(Public):
    """A button the technician may press now (`finish` offers `choices`: pause for a follow-up, or complete)."""

    action: str = Field(description="confirm | on-my-way | start | finish | pause | complete")
    label: str
    target: AppointmentStatus | None
    needs_message: bool = False
    choices: list[FieldActionPublic] = Field(default_factory=list)


_FieldBase = _without(
    AppointmentPublic, "_FieldBase", {"allowed_transitions", "late"},
    "An appointment as the technician's field app reads it (no costing; no dispatcher moves).")


class FieldAppointmentPublic(_FieldBase):  # type: ignore[misc,valid-type]
    """An appointment as the technician's field app reads it (no costing; no dispatcher moves)."""

    short_address: str = Field(description="street and city, for the job list")
    window_text: str = Field(description="the window in the company's time, e.g. 9:00 AM – 11:00 AM")
    is_next: bool = Field(description="the job to look at now: the one under way, else the next one")
    actions: list[FieldActionPublic] = Field(description="what the status machine allows the technician now")


class LatestFixPublic(Public):
    technician_id: int
    lat: float
    lng: float
    accuracy_m: float
    recorded_at: str = Field(json_schema_extra={"format": "date-time"})
    source: str | None = Field(default=None, description="field_app | traccar | simulator: where the fix came from")


class PositionsResultPublic(Public):
    """What one batch of GPS fixes did. A retry with the same Idempotency-Key answers the first result again,
    with `replayed: true`."""

    received: int
    stored: int
    duplicates: int = Field(description="fixes already stored (retries, overlapping batches)")
    latest: LatestFixPublic | None = Field(description="the technician's new latest position, if it moved forward")
    replayed: bool = Field(default=False, description="present (true) only on a replayed answer")


class BioPublic(Public):
    bio_status: str = Field(description="none | pending | approved | rejected")
    bio_pending: str
    bio: str = Field(description="the approved bio customers see")


class CrewPositionPublic(Public):
    technician_id: int
    technician_name: str
    lat: float
    lng: float
    accuracy_m: float
    recorded_at: datetime
    age_s: float
    source: str = Field(description="where the fix came from: field_app | traccar | simulator")
    source_label: str = Field(description="the same in words (Field app, Traccar Client, Demo simulator)")


class JobBriefPublic(Public):
    id: int
    status: AppointmentStatus
    window_start: datetime
    customer_name: str


class ReassignCandidatePublic(Public):
    technician_id: int
    name: str
    phone: str
    status: str = Field(description="in_progress | arrived | en_route | dispatched | available | done "
                                    "(models/crew.py)")
    status_label: str
    jobs_today: int
    current_job: JobBriefPublic | None
    next_job: JobBriefPublic | None
    eta_seconds: int | None
    eta_minutes: int | None
    distance_m: int | None
    eta_provider: str | None
    last_fix_age_s: float | None
    last_fix_source_label: str | None = Field(description="where the last fix came from, in words")


class BreadcrumbPublic(Public):
    lat: float
    lng: float
    recorded_at: datetime


class VisitPhotoPublic(Public):
    id: int
    appointment_id: int
    caption: str
    content_type: str
    shared_with_customer: bool
    created_at: datetime
    url: str


class MessageSentPublic(Public):
    notification_id: int | None = Field(description="the outbox entry (null when an identical text is queued)")
