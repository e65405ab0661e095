"""Enumerations shared by the backend, the console and the portal."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    TECHNICIAN = "technician"


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ARRIVED = "arrived"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    COMPLETE = "complete"
    CANCELLED = "cancelled"


class Actor(StrEnum):
    TECHNICIAN = "technician"
    DISPATCHER = "dispatcher"
    SYSTEM = "system"


class Source(StrEnum):
    FIELD_APP = "field_app"
    CONSOLE = "console"
    GEOFENCE = "geofence"
    WATCHDOG = "watchdog"


class BookingState(StrEnum):
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    CONFIRMED = "confirmed"
    COUNTER_PROPOSED = "counter_proposed"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class TimePreference(StrEnum):
    MORNING = "morning"
    AFTERNOON = "afternoon"
    FLEXIBLE = "flexible"


class AlertKind(StrEnum):
    LATE = "late"
    BOOKING_STALE = "booking_stale"
    CUSTOMER_NOTE = "customer_note"
    CHANGE_REQUEST = "change_request"
    ESTIMATE_APPROVED = "estimate_approved"


class BioStatus(StrEnum):
    NONE = "none"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    PUSH = "push"


class NotificationStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"


class SideEffect(StrEnum):
    """What a status change sets off, at most once per appointment."""

    EN_ROUTE_SMS = "en_route_sms"
    ARRIVAL_PING = "arrival_ping"
    STOP_LOCATION = "stop_location"
    EXPIRE_TRACKER = "expire_tracker"
    OPEN_TIME_ENTRY = "open_time_entry"
    CLOSE_TIME_ENTRY = "close_time_entry"


class FixSource(StrEnum):
    """Where a GPS fix came from (recorded with every breadcrumb and shown next to "last fix … ago")."""

    FIELD_APP = "field_app"
    TRACCAR = "traccar"
    SIMULATOR = "simulator"


FIX_SOURCE_LABELS: dict[str, str] = {
    FixSource.FIELD_APP: "field app",
    FixSource.TRACCAR: "Traccar Client",
    FixSource.SIMULATOR: "simulator",
}


class DeviceKind(StrEnum):
    """A technician's paired device: a signed-in field-app browser, or a Traccar Client device id."""

    FIELD_APP = "field_app"
    TRACCAR = "traccar"
