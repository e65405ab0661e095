"""Request bodies of the HTTP API (pydantic); responses are documented alongside the routes."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from models.enums import AppointmentStatus, Role


def _aware(v: datetime) -> datetime:
    if v.tzinfo is None:
        raise ValueError("needs a time zone offset, e.g. 2026-11-22T09:00:00-06:00 or ...Z")
    return v


def _not_number(v: object) -> object:
    if isinstance(v, int | float):
        raise ValueError("must be an ISO 8601 date-time such as 2026-11-22T09:00:00-06:00, not a number")
    return v


AwareDatetime = Annotated[datetime, BeforeValidator(_not_number), AfterValidator(_aware)]
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(v: object) -> object:
    if isinstance(v, str) and not _ISO_DAY.match(v.strip()):
        raise ValueError("must be a date as YYYY-MM-DD")  # not a number of seconds, not a date-time
    return v


#: A calendar day in a query string: exactly YYYY-MM-DD, as the schema says (format: date).
Day = Annotated[date, BeforeValidator(_iso_day)]
#: The range of a 64-bit database integer (event ids, counts): larger numbers fit no column.
MAX_INT = 2**63 - 1
#: Object ids are 32-bit integer columns on PostgreSQL: a larger id names nothing the backend stores.
MAX_ID = 2**31 - 1
#: An object id in a request body: a positive whole number that fits the database.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
NonBlank = Annotated[str, Field(min_length=1, max_length=5000)]


def storable(text: str) -> bool:
    """Whether both databases can store this text: no NUL character, no unpaired surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_text(value: Any) -> Any:
    if isinstance(value, str):
        if not storable(value):
            raise ValueError("must not contain NUL characters or invalid Unicode")
    elif isinstance(value, list | tuple | set):
        for item in value:
            _check_text(item)
    elif isinstance(value, dict):
        for k, item in value.items():
            _check_text(k)
            _check_text(item)
    return value


def _scalar_kinds(annotation: Any) -> set[type]:
    """The plain types a field admits (Annotated and unions unwrapped), or {object} for anything richer."""
    if get_origin(annotation) is Annotated:
        return _scalar_kinds(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return set().union(*(_scalar_kinds(a) for a in get_args(annotation)))
    if annotation in (int, float, bool, type(None)):
        return {annotation}
    return {object}


@cache
def _json_kinds(model: type[BaseModel], name: str) -> frozenset[type]:
    field = model.model_fields.get(name)
    return frozenset(_scalar_kinds(field.annotation) if field is not None else {object})


class Body(BaseModel):
    """Every request body: unknown fields refused, text trimmed, no text the databases cannot store, and numbers
    and true/false only as JSON numbers and booleans (as the schema says; "30.1" or true is no latitude)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _json_types(cls, value: Any, info: ValidationInfo) -> Any:
        kinds = _json_kinds(cls, info.field_name or "")
        if object in kinds or value is None:
            return value
        if bool in kinds and not isinstance(value, bool):
            raise ValueError("must be true or false")
        if kinds & {int, float} and (isinstance(value, str | bool) or not isinstance(value, int | float)):
            raise ValueError("must be a number" if float in kinds else "must be a whole number")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return _check_text(value)


class LoginIn(Body):
    email: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=500)


class UserIn(Body):
    email: str = Field(min_length=3, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=8, max_length=500)
    name: str = Field(min_length=1, max_length=200)
    role: Role


def _email_or_empty(value: str | None) -> str | None:
    if value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError("must be an email address such as name@example.com")
    return value


class TechnicianIn(Body):
    name: str = Field(min_length=1, max_length=200)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=200)
    password: str | None = Field(default=None, min_length=8, max_length=500)
    vehicle_year: int | None = Field(default=None, ge=1950, le=2100)
    vehicle_make: str = Field(default="", max_length=60)
    vehicle_model: str = Field(default="", max_length=60)
    vehicle_color: str = Field(default="", max_length=40)

    _email = field_validator("email")(lambda cls, v: _email_or_empty(v))

    @model_validator(mode="after")
    def _login(self) -> TechnicianIn:
        if self.password and not self.email:
            raise ValueError("email is needed with password, so the technician can sign in to the field app")
        return self


class TechnicianPatch(Body):
    """Edit a technician: only the fields sent change. `password` sets (or first creates) their field-app sign-in;
    `active: false` takes them off the board and signs them out."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=8, max_length=500)
    vehicle_year: int | None = Field(default=None, ge=1950, le=2100)
    vehicle_make: str | None = Field(default=None, max_length=60)
    vehicle_model: str | None = Field(default=None, max_length=60)
    vehicle_color: str | None = Field(default=None, max_length=40)
    active: bool | None = None

    _email = field_validator("email")(lambda cls, v: _email_or_empty(v))


class CustomerIn(Body):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=300)
    city: str = Field(default="", max_length=100)
    state: str = Field(default="", max_length=40)
    zip: str = Field(default="", max_length=20)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
    notifications_enabled: bool = True
    notify_sms: bool = True
    notify_email: bool = True
    onboarding_done: bool = True
    booking_allowed: bool | None = None


#: The customer's contact details a dispatcher can change (null is refused: leave a field out to keep it).
CONTACT_FIELDS = frozenset({"name", "phone", "email"})


class CustomerPatch(Body):
    """Change a customer: contact details and per-customer switches; only the fields sent change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    booking_allowed: bool | None = None
    use_company_booking_default: bool = False
    notifications_enabled: bool | None = None
    notify_sms: bool | None = None
    notify_email: bool | None = None
    notify_push: bool | None = None
    onboarding_done: bool | None = None

    _email = field_validator("email")(lambda cls, v: _email_or_empty(v))


class JobIn(Body):
    customer_id: Id
    service_type: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10000)
    internal_notes: str = Field(default="", max_length=10000)
    source: str = Field(default="direct", max_length=60)
    source_partner: str = Field(default="", max_length=200)
    bios_allowed: bool = True
    address: str | None = Field(default=None, max_length=300)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
    internal_cost_cents: int | None = Field(default=None, ge=0, le=MAX_ID)


class _Window(Body):
    @model_validator(mode="after")
    def _order(self):  # type: ignore[no-untyped-def]
        start, end = getattr(self, "window_start", None), getattr(self, "window_end", None)
        if start is not None and end is not None and end <= start:
            raise ValueError("window_end must be after window_start")
        return self


class AppointmentIn(_Window):
    job_id: Id
    technician_id: Id | None = None
    window_start: AwareDatetime
    window_end: AwareDatetime
    allow_conflicts: bool = False  # book despite overlaps, hours, time off (audited); else 409 schedule_conflict


class AppointmentPatch(_Window):
    technician_id: Id | None = None
    window_start: AwareDatetime | None = None
    window_end: AwareDatetime | None = None
    unassign: bool = False
    allow_conflicts: bool = False  # move despite conflicts (audited); else 409 schedule_conflict
    #: Text the customer about this change; omitted: the company's default for this kind of change.
    notify_customer: bool | None = None


class StatusIn(Body):
    status: AppointmentStatus
    reason: str = Field(default="", max_length=2000)
    customer_message: str = Field(default="", max_length=2000)


class PauseIn(Body):
    customer_message: str = Field(min_length=1, max_length=2000)


class BioIn(Body):
    bio: str = Field(min_length=1, max_length=2000)


class RejectIn(Body):
    reason: str = Field(min_length=1, max_length=2000)


class NoteIn(Body):
    note: str = Field(default="", max_length=2000)


class PositionIn(Body):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    accuracy_m: float = Field(ge=0, le=100000)
    recorded_at: AwareDatetime
    speed_mps: float | None = Field(default=None, ge=0, le=200)


class PositionsIn(Body):
    positions: list[PositionIn] = Field(min_length=1, max_length=1000)
    #: Where the fixes came from, shown in the console next to "last fix … ago" (Traccar Client has its own endpoint).
    source: Literal["field_app", "simulator"] = "field_app"

    @field_validator("positions")
    @classmethod
    def _limit(cls, v: list[PositionIn]) -> list[PositionIn]:
        return v


class KeyedPositionsIn(Body):
    key: str = Field(min_length=1, max_length=200, description="the batch's own Idempotency-Key")
    positions: list[PositionIn] = Field(min_length=1, max_length=1000)


class PositionBatchesIn(Body):
    """Batches a phone kept while offline, sent together in their original order, each with its original key."""

    batches: list[KeyedPositionsIn] = Field(min_length=1, max_length=100)
    source: Literal["field_app", "simulator"] = "field_app"


class PreviewIn(Body):
    customer_id: Id | None = None
    appointment_id: Id | None = None

    @model_validator(mode="after")
    def _one(self) -> PreviewIn:
        if (self.customer_id is None) == (self.appointment_id is None):
            raise ValueError("give exactly one of customer_id or appointment_id")
        return self


class MessageTechIn(Body):
    message: str = Field(min_length=1, max_length=600)
