"""What a portal customer reads: My Schedule, a visit, its activity, documents, notes, preferences."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from models.enums import AppointmentStatus
from models.public.common import Public


class PortalTechnicianPublic(Public):
    name: str
    first_name: str
    photo_url: str | None
    bio: str | None = Field(description="the approved bio, when the company and the job's source allow it")


class VisitCardPublic(Public):
    """One appointment as the customer sees it (no internal notes, costs or other people's data)."""

    id: int
    job_id: int
    service_type: str
    description: str
    address: str
    window_start: datetime
    window_end: datetime
    date_text: str
    month: str
    day: int
    window_text: str
    when_text: str
    status: AppointmentStatus
    status_label: str = Field(description="the six-stage My Schedule label")
    stage: int | None = Field(description="0–5 in `stages`; null when cancelled")
    stages: list[str]
    customer_message: str = Field(description="the technician's message while paused")
    technician: PortalTechnicianPublic | None
    track_url: str | None = Field(description="the live tracker while en route or arrived")
    late: bool
    has_summary: bool
    survey_due: bool
    can_add_note: bool
    can_request_change: bool
    url: str


class PortalCustomerPublic(Public):
    name: str
    first_name: str


class PortalCompanyPublic(Public):
    name: str
    phone: str
    email: str
    logo_url: str
    survey_type: str = Field(description="stars | nps")
    survey_categories: list[str]


class SchedulePublic(Public):
    customer: PortalCustomerPublic
    company: PortalCompanyPublic
    notifications_enabled: bool
    preview: bool = Field(description="a dispatcher's read-only preview session")
    refresh_s: int
    today: list[VisitCardPublic]
    upcoming: list[VisitCardPublic] = Field(description="by time")
    past: list[VisitCardPublic] = Field(description="newest first")


class SummaryPublic(Public):
    notes: str


class SharedPhotoPublic(Public):
    id: int
    caption: str
    url: str


class CustomerNoteViewPublic(Public):
    id: int
    text: str
    created_at: datetime
    time_text: str
    photo_url: str | None


class ActivityPublic(Public):
    at: datetime
    time_text: str
    title: str
    text: str


class SurveyViewPublic(Public):
    kind: str
    score: int
    categories: list[str]
    comment: str
    created_at: datetime


class SurveyFormPublic(Public):
    type: str
    categories: list[str]
    max: int
    min: int


class DocumentLinePublic(Public):
    description: str
    quantity: float | int
    unit_price_cents: int
    amount_cents: int
    amount_text: str


class DocumentPublic(Public):
    """An estimate or invoice the contractor shared."""

    id: int
    job_id: int
    kind: str = Field(description="estimate | invoice")
    title: str
    number: str
    lines: list[DocumentLinePublic]
    total_cents: int
    total_text: str
    status: str = Field(description="open | approved | paid | void")
    approved_at: datetime | None
    paid_at: datetime | None
    can_approve: bool
    can_pay_online: bool
    payment_instructions: str
    url: str


class VisitPublic(VisitCardPublic):
    """The visit page: the card plus summary, shared photos, own notes, activity, survey and documents."""

    summary: SummaryPublic | None
    photos: list[SharedPhotoPublic] = Field(description="only the photos the contractor shared")
    notes: list[CustomerNoteViewPublic]
    activity: list[ActivityPublic] = Field(description="newest first")
    survey: SurveyViewPublic | None
    survey_form: SurveyFormPublic
    documents: list[DocumentPublic]
    company: PortalCompanyPublic
    preview: bool


class ChangeRequestPublic(Public):
    id: int
    appointment_id: int
    message: str
    created_at: datetime


class NotePublic(Public):
    id: int
    appointment_id: int
    text: str
    created_at: datetime
    photo_url: str | None


class SurveyPublic(Public):
    id: int
    appointment_id: int
    kind: str
    score: int
    categories: list[str]
    comment: str


class PreferencesPublic(Public):
    sms: bool
    push: bool
    email: bool
    quiet_hours_start: str | None = Field(description="HH:MM; non-urgent texts wait until the end")
    quiet_hours_end: str | None
    arrival_ping_locked: bool = Field(description="a visit is active: the arrival ping goes out regardless")


class PreviewPublic(Public):
    url: str = Field(description="single use; opens exactly what the customer sees, read-only")
    expires_at: datetime
    customer_id: int
    appointment_id: int | None
