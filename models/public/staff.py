"""People and the company: sign-in, technicians, customers, jobs and their contacts, locked accounts, settings."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from models.enums import AppointmentStatus, Role
from models.public.common import Public


class UserPublic(Public):
    id: int
    name: str
    role: Role
    email: str
    technician_id: int | None = Field(description="set for technician accounts")


class LoginPublic(Public):
    token: str = Field(description="send as `Authorization: Bearer <token>`")
    expires_at: datetime
    user: UserPublic


class TechnicianPublic(Public):
    id: int
    name: str
    phone: str
    email: str
    has_photo: bool
    photo_url: str | None
    vehicle_year: int | None
    vehicle_make: str
    vehicle_model: str
    vehicle_color: str
    bio: str = Field(description="the approved bio customers see")
    bio_pending: str
    bio_status: str = Field(description="none | pending | approved | rejected")
    bio_reject_reason: str
    bio_submitted_at: datetime | None
    active: bool
    can_sign_in: bool = Field(description="has an active field-app sign-in (email and password)")
    photo_pending_url: str | None = Field(description="the headshot sent from the field app, waiting with the bio")


class CustomerPublic(Public):
    id: int
    name: str
    email: str
    phone: str = Field(description="E.164")
    address: str
    city: str
    state: str
    zip: str
    lat: float | None
    lng: float | None
    notifications_enabled: bool
    notify_sms: bool
    notify_email: bool
    notify_push: bool
    quiet_hours_start: str | None
    quiet_hours_end: str | None
    onboarding_done: bool
    booking_allowed: bool | None = Field(description="null: the company default")


class VisitBriefPublic(Public):
    id: int
    window_start: datetime
    window_end: datetime
    status: AppointmentStatus
    status_label: str
    service_type: str
    technician_name: str | None


class VisitCountsPublic(Public):
    past: int
    upcoming: int
    recent: list[VisitBriefPublic] = Field(description="the latest past visits, newest first")
    next: list[VisitBriefPublic] = Field(description="the next visits, soonest first")


class CustomerListItemPublic(CustomerPublic):
    phone_display: str = Field(description="the phone as written in the company's country")
    visits: VisitCountsPublic


class JobPublic(Public):
    id: int
    customer_id: int
    service_type: str
    description: str
    internal_notes: str
    source: str
    source_partner: str
    bios_allowed: bool
    address: str
    lat: float | None
    lng: float | None
    internal_cost_cents: int | None
    created_at: datetime


class ContactPublic(Public):
    id: int
    job_id: int
    name: str
    email: str
    phone: str
    relation: str
    notify_sms: bool
    notify_email: bool


class CompanyPublic(Public):
    name: str
    phone: str
    email: str
    time_zone: str = Field(description="IANA name, e.g. America/Chicago")
    booking_enabled: bool
    show_bios: bool
    has_logo: bool
    portal_url: str = Field(description="the customers' portal schedule link, as texts carry it")
    text_customer_on_reschedule: bool = Field(description="the default answer to 'Text the customer?' when a "
                                              "visit is rescheduled")
    text_customer_on_reassign: bool = Field(description="… when a visit gets another technician")


class LockedAccountPublic(Public):
    id: int
    name: str
    email: str
    role: Role
    failed_attempts: int
    last_failure_at: datetime | None
    last_address: str
    locked_until: datetime | None
    retry_after_s: int


class UnlockedPublic(Public):
    id: int
    name: str
    email: str
    unlocked: bool
    was_locked: bool


class HealthPublic(Public):
    status: str
    instance: str = Field(description="which backend process answered (several can share one database)")


class LogoPublic(Public):
    has_logo: bool


class TestSentPublic(Public):
    status: str = Field(description="sent | failed | queued | held")
    provider: str
    error: str
