"""Booking requests as dispatchers and as the customer who sent them read them."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from models.enums import BookingState
from models.public.common import Public


class BookingPhotoPublic(Public):
    id: int
    content_type: str
    size: int
    filename: str
    url: str
    thumbnail_url: str


class NotifyChoicePublic(Public):
    sms: bool
    email: bool


class BookingRequestPublic(Public):
    """The dispatcher's view of a booking request."""

    id: int
    state: BookingState
    state_label: str
    customer_id: int
    customer_name: str
    customer_phone: str
    customer_email: str
    customer_notify: NotifyChoicePublic
    service_type: str
    preferred_dates: list[str] = Field(description="YYYY-MM-DD, 1–3")
    time_preference: str = Field(description="morning | afternoon | flexible")
    address: str
    lat: float | None
    lng: float | None
    notes: str
    photos: list[BookingPhotoPublic]
    response_message: str
    proposed_start: datetime | None
    proposed_end: datetime | None
    proposed_technician_id: int | None
    appointment_id: int | None
    created_at: datetime
    updated_at: datetime
    responded_at: datetime | None
    age_seconds: int
    stale: bool = Field(description="no contractor response 48 hours after submission")
    allowed_actions: list[str] = Field(description="review | accept | counter | decline, as the state allows")


class BookingRequestCustomerPublic(Public):
    """The customer's view: their own words and the state, never internal fields or technician choices."""

    id: int
    state: BookingState
    status_text: str
    service_type: str
    preferred_dates: list[str]
    time_preference: str
    address: str
    notes: str
    photo_count: int
    response_message: str
    proposed_start: datetime | None = Field(description="set while a time is counter-proposed")
    proposed_end: datetime | None
    proposed_window: str | None
    appointment_id: int | None
    created_at: datetime
    updated_at: datetime
    can_cancel: bool
    actions: list[str] = Field(description="cancel | accept_counter | decline_counter, as the state allows")
    url: str
