"""What the technicians' field app reads: one job in full, team notes, visit photos, the profile, and the answer
to GPS batches sent together after a time offline (docs/field.md)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from models.public.appointments import FieldAppointmentPublic, PositionsResultPublic
from models.public.common import Public


class TeamNotePublic(Public):
    """A staff note on a job: technicians' notes from the field app and dispatchers' from the console. Never shown
    to the customer."""

    id: int
    appointment_id: int | None = Field(description="the visit it was written on")
    author_name: str
    author_role: str = Field(description="technician | dispatcher | admin")
    text: str
    created_at: datetime
    time_text: str = Field(description="when, in the company's time, e.g. Nov 30, 9:12 AM")
    mine: bool = Field(description="written by the signed-in user")


class DirectionsPublic(Public):
    """"Get Directions" links to the job site that open the phone's own maps app."""

    android: str = Field(description="a geo: URI")
    ios: str = Field(description="Apple Maps")
    web: str = Field(description="Google Maps, for any other phone")


class FieldCustomerPublic(Public):
    name: str
    phone: str = Field(description="E.164, for the tel: button; empty when unknown")
    email: str


class FieldContactPublic(Public):
    """An extra person on the job (tenant, property manager, …)."""

    name: str
    phone: str
    email: str
    relation: str


class CustomerSentPublic(Public):
    """What the customer sent before the visit: a portal note, or the notes and photos of the booking request."""

    id: str = Field(description="note-<id> or booking-<id>")
    source: str = Field(description="portal | booking request")
    text: str
    created_at: datetime
    time_text: str = Field(description="when, in the company's time")
    photos: list[str] = Field(description="URLs of the photos (field API, the technician's own jobs only)")


class FieldPhotoPublic(Public):
    """A visit photo the technician took; only the team sees it until a dispatcher shares it."""

    id: int
    caption: str
    shared_with_customer: bool
    url: str = Field(description="the image, GET with the same sign-in")


class FieldMapPublic(Public):
    tile_url: str = Field(description="the company's map tile URL template; empty when none is set")
    site: tuple[float, float] | None = Field(description="[lat, lng] of the job site, when known")


class FieldAppointmentDetailPublic(FieldAppointmentPublic):
    """One of the technician's jobs in full. The ETag is the version to send back as If-Match."""

    full_address: str
    directions: DirectionsPublic
    customer: FieldCustomerPublic
    contacts: list[FieldContactPublic] = Field(description="the job's contacts")
    team_notes: list[TeamNotePublic] = Field(description="staff notes on the job, oldest first")
    customer_notes: list[CustomerSentPublic] = Field(description="what the customer sent before the visit, "
                                                                 "oldest first")
    photos: list[FieldPhotoPublic] = Field(description="this visit's photos, oldest first")
    day: date = Field(description="the local day of the window (the job list to go back to)")
    map: FieldMapPublic


class FieldProfilePublic(Public):
    """The technician's own profile: bio and photo as customers see them, and what waits for the office's
    approval (or why it was refused)."""

    name: str
    first_name: str = Field(description="what customers see on the tracker")
    email: str
    phone: str
    bio: str = Field(description="the approved bio customers see")
    bio_pending: str = Field(description="the bio waiting for approval (or last refused)")
    bio_status: str = Field(description="none | pending | approved | rejected")
    bio_status_text: str = Field(description="the status in words")
    bio_reject_reason: str = Field(description="the office's reason, after a refusal")
    photo_url: str | None = Field(description="the approved headshot, if any")
    photo_pending_url: str | None = Field(description="the headshot waiting for approval, if any")
    vehicle: str = Field(description="color, year, make and model, as customers see it")


class BatchErrorPublic(Public):
    code: str = Field(description="conflict: the same key is still being processed elsewhere; validation_error: "
                                  "the key was already used for a different request")
    message: str


class BatchResultPublic(Public):
    """One batch's outcome, in the order sent: `result` on 200, `error` otherwise (the other key is absent)."""

    key: str = Field(description="the batch's Idempotency-Key")
    status: int = Field(description="200; 409 when the same key is still being processed (retry it later); 422 "
                                    "when the key was already used for a different request")
    result: PositionsResultPublic | None = Field(default=None, description="what /positions would have answered")
    error: BatchErrorPublic | None = Field(default=None, description="why the batch was not taken")


class PositionBatchesResultPublic(Public):
    results: list[BatchResultPublic]
