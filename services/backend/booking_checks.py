"""What a customer may book and whether a booking request is complete: the checks behind the portal form and
the booking API, naming each field to fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from models.enums import TimePreference
from models.tables import Company, Customer
from models.timefmt import today
from services.backend.errors import Forbidden

MAX_PHOTOS = 3
MAX_DATES = 3
OTHER_SERVICE = "__other__"
TIME_WORDS = {"morning": "Morning", "afternoon": "Afternoon", "flexible": "Flexible"}


@dataclass
class Draft:
    """What a customer filled in, before checks (strings as typed)."""

    service_type: str = ""
    preferred_dates: list[str] = field(default_factory=list)
    time_preference: str = ""
    address: str | None = None
    notes: str = ""


@dataclass
class Checked:
    service_type: str
    preferred_dates: list[str]
    time_preference: str
    address: str
    lat: float | None
    lng: float | None
    notes: str


def address_on_file(c: Customer) -> str:
    tail = " ".join(p for p in (c.state, c.zip) if p)
    return ", ".join(p for p in (c.address, c.city, tail) if p)


def company_today(company: Company, now: datetime) -> date:
    return today(now, company.time_zone)


def booking_refusal(company: Company, customer: Customer) -> str | None:
    """Why this customer cannot book online (with how to reach the company), or None when they can."""
    reach = f"call {company.name} at {company.phone}" if company.phone else f"contact {company.name}"
    if company.email:
        reach += f" or email {company.email}"
    if not customer.onboarding_done:
        return f"Online booking opens once your account setup is finished. To request service now, {reach}."
    allowed = company.booking_enabled if customer.booking_allowed is None else customer.booking_allowed
    if not allowed:
        return f"Online booking isn't available for your account. To request service, {reach}."
    return None


def ensure_can_book(company: Company, customer: Customer) -> None:
    why = booking_refusal(company, customer)
    if why:
        raise Forbidden(why)


def check_draft(draft: Draft, company: Company, customer: Customer, now: datetime) -> tuple[Checked | None,
                                                                                           dict[str, str]]:
    """Check every field; returns the clean values or {field: message} naming what to fix."""
    errors: dict[str, str] = {}
    services = [str(s) for s in (company.bookable_services or [])]
    service = " ".join(draft.service_type.split())
    match = next((s for s in services if s.lower() == service.lower()), None)
    if not service:
        errors["service_type"] = "Choose the service you need" + (" or describe it." if company.free_text_services
                                                                  else ".")
    elif match:
        service = match
    elif not company.free_text_services:
        errors["service_type"] = f"'{service[:60]}' is not a service we book online; choose one from the list."
    elif len(service) > 200:
        errors["service_type"] = "Keep the service description under 200 characters."
    today = company_today(company, now)
    dates: list[str] = []
    given = [d.strip() for d in draft.preferred_dates if d and d.strip()]
    if not given:
        errors["preferred_dates"] = "Choose at least one preferred date."
    elif len(given) > MAX_DATES:
        errors["preferred_dates"] = f"Choose at most {MAX_DATES} preferred dates (you gave {len(given)})."
    else:
        for raw in given:
            try:
                d = date.fromisoformat(raw)
            except ValueError:
                errors["preferred_dates"] = f"'{raw[:20]}' is not a date; use YYYY-MM-DD."
                break
            if d < today:
                errors["preferred_dates"] = f"{d:%b} {d.day} is in the past; choose today or a later date."
                break
            if d > today + timedelta(days=365):
                errors["preferred_dates"] = "Choose dates within the next year."
                break
            if d.isoformat() not in dates:
                dates.append(d.isoformat())
        dates.sort()
    pref = (draft.time_preference or "").strip().lower()
    if pref not in TimePreference._value2member_map_:
        errors["time_preference"] = "Choose Morning, Afternoon or Flexible."
    lat, lng = customer.lat, customer.lng
    if draft.address is None:
        address = address_on_file(customer)
        if not address:
            errors["address"] = "We have no address on file for you; enter the address for this job."
    else:
        address = " ".join(draft.address.split())
        lat = lng = None
        if len(address) < 5:
            errors["address"] = "Enter the street address for this job (street, city)."
        elif len(address) > 300:
            errors["address"] = "Keep the address under 300 characters."
    notes = draft.notes.strip()
    if len(notes) > 2000:
        errors["notes"] = f"Keep notes under 2000 characters (you have {len(notes)})."
    if errors:
        return None, errors
    return Checked(service, dates, pref, address, lat, lng, notes), {}
