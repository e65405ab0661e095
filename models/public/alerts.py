"""Dispatcher alerts and the notification outbox."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from models.enums import AlertKind
from models.public.common import Public


class AlertPublic(Public):
    """An alert, as GET /api/v1/alerts lists it and the alert.created / alert.updated events carry it."""

    id: int
    kind: AlertKind
    appointment_id: int | None
    booking_request_id: int | None
    message: str
    open: bool
    acknowledged_by: str
    acknowledged_at: datetime | None
    resolved_by: str
    resolved_at: datetime | None
    resolution_note: str
    created_at: datetime
    technician_id: int | None
    technician_name: str | None
    customer_name: str | None
    window_start: datetime | None = Field(description="the appointment's window start (appointment alerts)")
    eta_at: datetime | None = Field(description="the assigned technician's current ETA while open and not arrived")


class NotificationPublic(Public):
    """One SMS, email or push in the outbox."""

    id: int
    channel: str = Field(description="sms | email | push")
    kind: str
    to: str
    subject: str
    body: str
    status: str = Field(description="queued | sent | failed | held")
    provider: str
    attempts: int
    last_error: str
    customer_id: int | None
    technician_id: int | None
    appointment_id: int | None
    booking_request_id: int | None
    created_at: datetime
    sent_at: datetime | None
