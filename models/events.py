"""Names of the events on the live stream (`GET /api/v1/events`), shared by the backend and its clients."""

from __future__ import annotations

from enum import StrEnum


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


#: Not sent by the server: the console's own signal that the stream could not replay a gap and every panel
#: must reload what it shows.
STREAM_REFRESH = "stream.refresh"
