"""Request bodies of the booking endpoints."""

from __future__ import annotations

from pydantic import Field, model_validator

from models.enums import TimePreference
from models.schemas import AwareDatetime, Body, Id


class _Proposal(Body):
    @model_validator(mode="after")
    def _order(self):  # type: ignore[no-untyped-def]
        names = ("window_start", "window_end") if hasattr(self, "window_start") else ("proposed_start", "proposed_end")
        start, end = getattr(self, names[0]), getattr(self, names[1])
        if end <= start:
            raise ValueError(f"{names[1]} must be after {names[0]}")
        if (end - start).total_seconds() > 12 * 3600:
            raise ValueError(f"{names[1]} must be within 12 hours of {names[0]}")
        return self


class AcceptIn(_Proposal):
    """Accept the request: creates the job and its appointment in one transaction."""

    technician_id: Id | None = None
    window_start: AwareDatetime
    window_end: AwareDatetime
    allow_overlap: bool = Field(default=False, description="double-book the technician on purpose")
    message: str = Field(default="", max_length=1000, description="optional note sent to the customer")


class CounterIn(_Proposal):
    """Propose a different time; the customer accepts or declines it in the portal."""

    proposed_start: AwareDatetime
    proposed_end: AwareDatetime
    message: str = Field(min_length=1, max_length=1000)
    technician_id: Id | None = None
    allow_overlap: bool = False


class DeclineIn(Body):
    message: str = Field(min_length=1, max_length=1000, description="why, and what the customer can do instead")


class BookingRequestIn(Body):
    """A new request from a customer (JSON); the portal form sends the same fields as multipart."""

    service_type: str = Field(max_length=200)
    preferred_dates: list[str] = Field(description="1–3 dates as YYYY-MM-DD, today or later")
    time_preference: TimePreference
    address: str | None = Field(default=None, max_length=300, description="omit to use the address on file")
    notes: str = Field(default="", max_length=2000)
