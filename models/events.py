"""The live stream (`GET /api/v1/events`): event names and the payload of each, defined once for the backend
that publishes them, the API client that reads them and the console that applies them (docs/api.md, Events).

Payload keys a kind of change does not carry are absent (not null): `technician.updated` for a bio decision
carries `bio_status`, for working hours `availability`; `appointment.updated` from an ETA refresh carries
`eta_at` and `eta_provider`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from models.enums import AppointmentStatus, BookingState
from models.public.alerts import AlertPublic
from models.public.appointments import LatestFixPublic
from models.public.common import Public


class EventName(StrEnum):
    APPOINTMENT_UPDATED = "appointment.updated"
    ALERT_CREATED = "alert.created"
    ALERT_UPDATED = "alert.updated"
    BOOKING_CREATED = "booking.created"
    BOOKING_UPDATED = "booking.updated"
    POSITION_UPDATED = "position.updated"
    TECHNICIAN_UPDATED = "technician.updated"
    NOTIFICATION_CREATED = "notification.created"
    SETTINGS_UPDATED = "settings.updated"
    SKILLS_UPDATED = "skills.updated"
    ZONES_UPDATED = "zones.updated"
    STREAM_RESET = "stream.reset"


#: Not sent by the server: the console's own signal that the stream could not replay a gap and every panel
#: must reload what it shows.
STREAM_REFRESH = "stream.refresh"


class AppointmentUpdated(Public):
    """Any change to an appointment: status, reassignment, reschedule, ETA. A client whose copy has a lower
    `version` applies what the event carries (status, technician, window) or refetches
    GET /api/v1/appointments/{id} for the rest."""

    id: int
    version: int
    status: AppointmentStatus
    technician_id: int | None
    window_start: datetime
    window_end: datetime
    eta_at: datetime | None = Field(default=None, description="only from an ETA refresh")
    eta_provider: str | None = Field(default=None, description="only from an ETA refresh")
    notes: bool | None = Field(default=None, description="a team note was added (technician's or dispatcher's)")
    photos: bool | None = Field(default=None, description="the technician added a visit photo")
    details: bool | None = Field(default=None, description="the job's service, description, notes or site changed")


class BookingCreated(Public):
    id: int
    state: BookingState
    customer_id: int
    customer_name: str
    service_type: str
    created_at: datetime


class BookingUpdated(Public):
    id: int
    state: BookingState
    appointment_id: int | None = Field(description="set once the request is confirmed")
    customer_name: str
    service_type: str


class TechnicianUpdated(Public):
    """A technician was added or changed: refetch GET /api/v1/technicians/{id} (and their hours when
    `availability` is present)."""

    id: int
    bio_status: str | None = Field(default=None, description="after a bio submission or decision")
    availability: bool | None = Field(default=None, description="working hours or time off changed")
    devices: bool | None = Field(default=None, description="a phone or Traccar Client device was paired or "
                                                            "revoked")
    skills: list[str] | None = Field(default=None, description="the technician's skills, after an admin set them")


class NotificationCreated(Public):
    id: int
    channel: str = Field(description="sms | email | push")
    kind: str
    appointment_id: int | None


class SettingsUpdated(Public):
    changed: list[str] = Field(description="the names of the settings that changed (models/settings_schema.py)")


class SkillsUpdated(Public):
    """A skill was added, renamed or removed (`id`), or a service's required skills changed (`service_type`):
    refetch GET /api/v1/skills (and /service-skills)."""

    id: int | None = None
    service_type: str | None = None
    removed: bool | None = None


class ZonesUpdated(Public):
    """A zone was added, changed or removed: refetch GET /api/v1/zones."""

    id: int
    removed: bool | None = None


class StreamReset(Public):
    """The requested `Last-Event-ID` is older than what is kept: reload everything, then continue."""

    reason: str
    newest: int


#: Each event's payload. `alert.*` carry the alert as GET /api/v1/alerts lists it; `position.updated` the
#: technician's new latest fix.
PAYLOADS: dict[EventName, type[Public]] = {
    EventName.APPOINTMENT_UPDATED: AppointmentUpdated,
    EventName.ALERT_CREATED: AlertPublic,
    EventName.ALERT_UPDATED: AlertPublic,
    EventName.BOOKING_CREATED: BookingCreated,
    EventName.BOOKING_UPDATED: BookingUpdated,
    EventName.POSITION_UPDATED: LatestFixPublic,
    EventName.TECHNICIAN_UPDATED: TechnicianUpdated,
    EventName.NOTIFICATION_CREATED: NotificationCreated,
    EventName.SETTINGS_UPDATED: SettingsUpdated,
    EventName.SKILLS_UPDATED: SkillsUpdated,
    EventName.ZONES_UPDATED: ZonesUpdated,
    EventName.STREAM_RESET: StreamReset,
}


def payload(name: str, data: dict[str, Any] | Public) -> dict[str, Any]:
    """The JSON payload of an event the backend publishes: checked against its model (a key the model does not
    declare, or a wrong type, is a ValueError), keys it was not given left out, datetimes as ISO 8601 `Z`."""
    model = PAYLOADS[EventName(name)]
    item = data if isinstance(data, model) else model.model_validate(data)
    return item.model_dump(mode="json", exclude_unset=True)


def read(name: str, data: dict[str, Any]) -> Public | None:
    """A received event's payload as its model (fields a newer server added are ignored), or None for an event
    name this client does not know or a payload that does not fit."""
    try:
        model = PAYLOADS[EventName(name)]
        return model.model_validate(data, extra="ignore")
    except ValueError:
        return None
