"""SQLAlchemy 2 ORM tables of the shared backend (one schema for SQLite and PostgreSQL).

The company, people, jobs and appointments, their history and audit, alerts, notifications and events live
here; the customer side's tables in `models/tables_portal.py`, the field's and the board's in
`models/tables_field.py`, smart dispatch's (skills, zones) in `models/tables_dispatch.py` (all importable from
here).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.orm_base import Base, BigId, UTCDateTime
from models.tables_dispatch import ServiceSkill, Skill, TechnicianSkill, Zone
from models.tables_field import (
    FieldDevice,
    GeocodeCacheRow,
    IdempotencyKey,
    LatestPosition,
    PairingLink,
    Position,
    TeamNote,
    ThrottleBucket,
    TimeOffRow,
    VisitFact,
    WorkingHoursRow,
)
from models.tables_portal import (
    BillingDocument,
    BookingPhoto,
    BookingRequest,
    ChangeRequest,
    CustomerNote,
    MagicLink,
    PendingUpload,
    PortalSession,
    PushSubscription,
    Survey,
    TrackerLink,
    VisitPhoto,
    VisitSummary,
)
from models.timefmt import DEFAULT_TIME_ZONE

__all__ = [
    "Alert",
    "ApiToken",
    "Appointment",
    "AuditLog",
    "Base",
    "BigId",
    "BillingDocument",
    "BookingPhoto",
    "BookingRequest",
    "ChangeRequest",
    "Company",
    "Customer",
    "CustomerNote",
    "Event",
    "FieldDevice",
    "GeocodeCacheRow",
    "IdempotencyKey",
    "Job",
    "JobContact",
    "JobLock",
    "LatestPosition",
    "MagicLink",
    "Notification",
    "PairingLink",
    "PendingUpload",
    "PortalSession",
    "Position",
    "PushSubscription",
    "ServiceSkill",
    "SideEffectRecord",
    "Skill",
    "StatusEvent",
    "Survey",
    "TeamNote",
    "Technician",
    "TechnicianSkill",
    "ThrottleBucket",
    "TimeEntry",
    "TimeOffRow",
    "TrackerLink",
    "UTCDateTime",
    "User",
    "VisitFact",
    "VisitPhoto",
    "VisitSummary",
    "WorkingHoursRow",
    "Zone",
]


class Company(Base):
    """The contractor (one row). Company-wide settings live here and in `settings` (JSON)."""

    __tablename__ = "company"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    time_zone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIME_ZONE)
    bookable_services: Mapped[list[Any]] = mapped_column(default=list)
    free_text_services: Mapped[bool] = mapped_column(default=True)
    booking_enabled: Mapped[bool] = mapped_column(default=True)
    show_bios: Mapped[bool] = mapped_column(default=True)
    survey_type: Mapped[str] = mapped_column(String(10), default="stars")  # stars | nps
    survey_categories: Mapped[list[Any]] = mapped_column(default=list)
    payment_instructions: Mapped[str] = mapped_column(Text, default="")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class ApiToken(Base):
    """Bearer tokens (stored as SHA-256 hashes)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class Technician(Base):
    __tablename__ = "technicians"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    photo_png: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    vehicle_year: Mapped[int | None] = mapped_column(default=None)
    vehicle_make: Mapped[str] = mapped_column(String(60), default="")
    vehicle_model: Mapped[str] = mapped_column(String(60), default="")
    vehicle_color: Mapped[str] = mapped_column(String(40), default="")
    bio_approved: Mapped[str] = mapped_column(Text, default="")
    bio_pending: Mapped[str] = mapped_column(Text, default="")
    bio_status: Mapped[str] = mapped_column(String(20), default="none")
    bio_reject_reason: Mapped[str] = mapped_column(Text, default="")
    bio_submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    photo_pending_png: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)  # awaits approval with the bio
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="", index=True)
    phone: Mapped[str] = mapped_column(String(40), default="", index=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(40), default="")
    zip: Mapped[str] = mapped_column(String(20), default="")
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lng: Mapped[float | None] = mapped_column(Float, default=None)
    notifications_enabled: Mapped[bool] = mapped_column(default=True)
    notify_sms: Mapped[bool] = mapped_column(default=True)
    notify_email: Mapped[bool] = mapped_column(default=True)
    notify_push: Mapped[bool] = mapped_column(default=True)
    quiet_hours_start: Mapped[str | None] = mapped_column(String(5), default=None)  # "21:00"
    quiet_hours_end: Mapped[str | None] = mapped_column(String(5), default=None)
    onboarding_done: Mapped[bool] = mapped_column(default=True)
    booking_allowed: Mapped[bool | None] = mapped_column(default=None)  # None: company default
    created_at: Mapped[datetime]


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    service_type: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    internal_notes: Mapped[str] = mapped_column(Text, default="")
    internal_cost_cents: Mapped[int | None] = mapped_column(default=None)
    source: Mapped[str] = mapped_column(String(60), default="direct")
    source_partner: Mapped[str] = mapped_column(String(200), default="")
    bios_allowed: Mapped[bool] = mapped_column(default=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lng: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime]
    customer: Mapped[Customer] = relationship(lazy="joined")


class JobContact(Base):
    """Extra people who get a job's notifications (tenant, landlord, …)."""

    __tablename__ = "job_contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    relation: Mapped[str] = mapped_column(String(60), default="")
    notify_sms: Mapped[bool] = mapped_column(default=True)
    notify_email: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (Index("ix_appointments_window", "window_start"),
                      Index("ix_appointments_window_version", "window_start", "id", "version"))
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"), index=True, default=None)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    version: Mapped[int] = mapped_column(default=1)
    site_lat: Mapped[float | None] = mapped_column(Float, default=None)
    site_lng: Mapped[float | None] = mapped_column(Float, default=None)
    eta_at: Mapped[datetime | None] = mapped_column(default=None)
    eta_computed_at: Mapped[datetime | None] = mapped_column(default=None)
    eta_from_lat: Mapped[float | None] = mapped_column(Float, default=None)
    eta_from_lng: Mapped[float | None] = mapped_column(Float, default=None)
    customer_message: Mapped[str] = mapped_column(Text, default="")
    location_stopped: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    pinned: Mapped[bool] = mapped_column(default=False)  # kept where it is by the route optimizer
    job: Mapped[Job] = relationship(lazy="joined")
    technician: Mapped[Technician | None] = relationship(lazy="joined")
    # Every UPDATE is a compare-and-set on `version` (WHERE version = the value read); the application
    # chooses the new value (services/backend/appointment_ops.py `bump`).
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class StatusEvent(Base):
    """The audit of every appointment status change (docs/rules.md). `version` is the appointment's version the
    change produced: unique per appointment, so its history can never fork."""

    __tablename__ = "status_events"
    __table_args__ = (UniqueConstraint("appointment_id", "version", name="uq_status_events_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    version: Mapped[int | None] = mapped_column(default=None)  # None for changes recorded before versions were
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(default=None)
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    customer_message: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class AuditLog(Base):
    """Audit of everything that is not a status change (reassign, settings, previews, bios, …)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None] = mapped_column(default=None)
    actor: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(default=None)
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class SideEffectRecord(Base):
    """One row per appointment and side effect kind: the unique key makes each fire once."""

    __tablename__ = "side_effects"
    __table_args__ = (UniqueConstraint("appointment_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"))
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class TimeEntry(Base):
    """Time on site: opened on arrival (geofence or Start), closed on completion."""

    __tablename__ = "time_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_appointment_id", "appointment_id"),
                      Index("ix_alerts_kind_created", "kind", "created_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(100), unique=True, default=None)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), default=None)
    booking_request_id: Mapped[int | None] = mapped_column(ForeignKey("booking_requests.id"), default=None)
    message: Mapped[str] = mapped_column(Text)
    is_open: Mapped[bool] = mapped_column(default=True, index=True)
    acknowledged_by: Mapped[str] = mapped_column(String(200), default="")
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_by: Mapped[str] = mapped_column(String(200), default="")
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    # How a LATE alert ended (models.insights.LateCause) and the facts the Insights figures need, recorded by
    # services/backend/late_outcome.py: when the customer's wait ended, and the technician and window start
    # the visit had when it ran late (a reassignment or reschedule changes the appointment afterwards).
    cause: Mapped[str] = mapped_column(String(20), default="")
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"), default=None)
    window_start: Mapped[datetime | None] = mapped_column(default=None)


class Notification(Base):
    """The outbox: every SMS, email and push, with delivery status. `dedupe_key` makes sends exactly-once."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True, default=None)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"), default=None)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), index=True, default=None)
    booking_request_id: Mapped[int | None] = mapped_column(ForeignKey("booking_requests.id"), default=None)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True, default=None)
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    provider: Mapped[str] = mapped_column(String(20), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class Event(Base):
    """The persisted event stream: ids strictly increasing, replayed with Last-Event-ID."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(index=True)


class JobLock(Base):
    """Leases for background jobs so that replicas never run the same job at once."""

    __tablename__ = "job_locks"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]
