"""SQLAlchemy 2 ORM tables of the shared backend (one schema for SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from models.timefmt import DEFAULT_TIME_ZONE


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# BigInteger primary keys that are still AUTOINCREMENT on SQLite.
BigId = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


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
    pinned: Mapped[bool] = mapped_column(default=False)  # kept where it is by the route optimizer
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    job: Mapped[Job] = relationship(lazy="joined")
    technician: Mapped[Technician | None] = relationship(lazy="joined")
    # Every UPDATE is a compare-and-set on `version` (WHERE version = the value read); the application
    # chooses the new value (services/backend/appointment_ops.py `bump`).
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class VisitFact(Base):
    """One row per appointment for the Insights figures, derived in SQL from its audit trail (status changes,
    clock-in, LATE alert) by services/backend/visit_facts.py; a row is current while `version` equals the
    appointment's. Rows are kept in window order (primary key; on SQLite a clustered WITHOUT ROWID table), flags
    are 0/1 integers, times are seconds since 1970-01-01 UTC and durations also come in whole tenths of a
    minute, so that a year of visits aggregates with plain sums and sorts."""

    __tablename__ = "visit_facts"
    __table_args__ = (Index("ix_visit_facts_appointment", "appointment_id", "version"),
                      Index("ix_visit_facts_technician", "technician_id", "window_start"),
                      # histogram order for the drive-time and time-on-site percentiles (services/backend/insights_sql)
                      Index("ix_visit_facts_drive", "drive_tenths", "window_start", "technician_id", "service_type",
                            "drive_min"),
                      Index("ix_visit_facts_on_site", "service_type", "on_site_tenths", "window_start", "technician_id",
                            "on_site_min"),
                      {"sqlite_with_rowid": False})
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), primary_key=True,
                                                autoincrement=False)
    version: Mapped[int]
    technician_id: Mapped[int | None] = mapped_column(default=None)  # who the visit counts for
    service_type: Mapped[str] = mapped_column(String(200))
    window_start_s: Mapped[float] = mapped_column(Float)
    window_end_s: Mapped[float] = mapped_column(Float)
    awaiting: Mapped[int] = mapped_column(default=0)  # not arrived yet: scheduled, dispatched or en route
    cancelled: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    paused: Mapped[int] = mapped_column(default=0)
    arrived: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    on_time_15: Mapped[int] = mapped_column(default=0)
    no_arrival_record: Mapped[int] = mapped_column(default=0)
    drive_min: Mapped[float | None] = mapped_column(Float, default=None)
    drive_tenths: Mapped[int | None] = mapped_column(default=None)
    on_site_min: Mapped[float | None] = mapped_column(Float, default=None)
    on_site_tenths: Mapped[int | None] = mapped_column(default=None)
    status_changes: Mapped[int] = mapped_column(default=0)
    backup_changes: Mapped[int] = mapped_column(default=0)


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


class BookingRequest(Base):
    __tablename__ = "booking_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    service_type: Mapped[str] = mapped_column(String(200))
    preferred_dates: Mapped[list[Any]] = mapped_column(default=list)
    time_preference: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300), default="")
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lng: Mapped[float | None] = mapped_column(Float, default=None)
    notes: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="submitted", index=True)
    response_message: Mapped[str] = mapped_column(Text, default="")
    proposed_start: Mapped[datetime | None] = mapped_column(default=None)
    proposed_end: Mapped[datetime | None] = mapped_column(default=None)
    proposed_technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"), default=None)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), default=None)
    responded_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    customer: Mapped[Customer] = relationship(lazy="joined")


class BookingPhoto(Base):
    __tablename__ = "booking_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_request_id: Mapped[int] = mapped_column(ForeignKey("booking_requests.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int]
    filename: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class PendingUpload(Base):
    """A photo a customer uploaded with a form that had errors: kept so they need not upload it again."""

    __tablename__ = "pending_uploads"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int]
    filename: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(index=True)


class ChangeRequest(Base):
    __tablename__ = "change_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class CustomerNote(Base):
    """A note or photo a customer adds to a job before the visit."""

    __tablename__ = "customer_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    photo_content_type: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime]


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


class TrackerLink(Base):
    __tablename__ = "tracker_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    created_at: Mapped[datetime]
    expired_at: Mapped[datetime | None] = mapped_column(default=None)


class Position(Base):
    """GPS breadcrumbs (pruned after the retention period)."""

    __tablename__ = "positions"
    __table_args__ = (
        UniqueConstraint("technician_id", "recorded_at"),
        Index("ix_positions_received", "received_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime]
    received_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(20), default="field_app", server_default="field_app")


class LatestPosition(Base):
    """The newest fix per technician, plus the geofence evidence the arrival rule keeps."""

    __tablename__ = "latest_positions"
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), primary_key=True)
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    accuracy_m: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime]
    geo_state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(String(20), default="field_app", server_default="field_app")


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class PushSubscription(Base):
    __tablename__ = "push_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    endpoint: Mapped[str] = mapped_column(Text)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class VisitSummary(Base):
    __tablename__ = "visit_summaries"
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class VisitPhoto(Base):
    __tablename__ = "visit_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    caption: Mapped[str] = mapped_column(String(300), default="")
    content_type: Mapped[str] = mapped_column(String(40), default="image/jpeg")
    data: Mapped[bytes] = mapped_column(LargeBinary)
    shared_with_customer: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class MagicLink(Base):
    __tablename__ = "magic_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), default=None)
    job_contact_id: Mapped[int | None] = mapped_column(ForeignKey("job_contacts.id"), default=None)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    # A console preview link (read-only session), optionally for one appointment; created_by is the dispatcher.
    preview: Mapped[bool] = mapped_column(default=False)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), default=None)
    created_by: Mapped[str] = mapped_column(String(200), default="")


class PortalSession(Base):
    """A signed-in portal browser (cookie holds the token). `preview` sessions are read-only."""

    __tablename__ = "portal_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    job_contact_id: Mapped[int | None] = mapped_column(ForeignKey("job_contacts.id"), default=None)
    preview: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class Survey(Base):
    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(10))
    score: Mapped[int]
    categories: Mapped[list[Any]] = mapped_column(default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class BillingDocument(Base):
    """Estimates and invoices; only `shared_with_customer` ones reach the portal."""

    __tablename__ = "billing_documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # estimate | invoice
    number: Mapped[str] = mapped_column(String(40))
    lines: Mapped[list[Any]] = mapped_column(default=list)  # [{description, quantity, unit_price_cents}]
    total_cents: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|approved|paid|void
    shared_with_customer: Mapped[bool] = mapped_column(default=False)
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    checkout_session_id: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class Event(Base):
    """The persisted event stream: ids strictly increasing, replayed with Last-Event-ID."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(index=True)


class ThrottleBucket(Base):
    """Attempts counted per key (an account, a client address, a sign-in-link address) for the sign-in and
    sign-in-link throttles; shared by every replica through the database."""

    __tablename__ = "throttle_buckets"
    __table_args__ = (UniqueConstraint("scope", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[datetime]
    locked_until: Mapped[datetime | None] = mapped_column(default=None, index=True)
    last_address: Mapped[str] = mapped_column(String(64), default="")


class JobLock(Base):
    """Leases for background jobs so that replicas never run the same job at once."""

    __tablename__ = "job_locks"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]


class FieldDevice(Base):
    """A technician's paired device: a field-app browser session (cookie) or a Traccar Client device id.

    Only the SHA-256 of the secret is stored; `hint` keeps its last characters so a dispatcher can tell devices
    apart. Revoking sets `revoked_at`, which every request checks.
    """

    __tablename__ = "field_devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    kind: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(12), default="")
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200), default="")
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    last_fix_at: Mapped[datetime | None] = mapped_column(default=None)
    last_fix_source: Mapped[str] = mapped_column(String(20), default="")
    battery_pct: Mapped[float | None] = mapped_column(Float, default=None)
    charging: Mapped[bool | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_by: Mapped[str] = mapped_column(String(200), default="")


class PairingLink(Base):
    """A one-time link the console shows as a QR code: signs a phone in to the field app as one technician."""

    __tablename__ = "pairing_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("field_devices.id"), default=None)


class TeamNote(Base):
    """A staff note on a job (technicians from the field app, dispatchers from the console); never customer-facing."""

    __tablename__ = "team_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id"), default=None)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    author_role: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class WorkingHoursRow(Base):
    """A technician's shift on one weekday (0 = Monday), minutes after local midnight in the company time zone.
    No rows for a tech: hours not set (always available). A weekday without a row is a day off."""

    __tablename__ = "technician_hours"
    __table_args__ = (UniqueConstraint("technician_id", "weekday"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"))
    weekday: Mapped[int]
    start_min: Mapped[int]
    end_min: Mapped[int]


class TimeOffRow(Base):
    """A technician's time off (vacation, dentist, training), with the reason dispatchers read."""

    __tablename__ = "time_off"
    __table_args__ = (Index("ix_time_off_tech_start", "technician_id", "starts_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class GeocodeCacheRow(Base):
    """Geocoder answers kept across restarts (providers' usage policies ask for caching)."""

    __tablename__ = "geocode_cache"
    __table_args__ = (UniqueConstraint("provider", "query"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(300))
    query: Mapped[str] = mapped_column(String(300))
    results: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]


class Skill(Base):
    """A skill or trade tag an administrator manages ("HVAC", "Plumbing", "EPA 608"); names are unique
    case-insensitively (`name_key` is the lower-cased name)."""

    __tablename__ = "skills"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime]


class TechnicianSkill(Base):
    """A skill a technician has."""

    __tablename__ = "technician_skills"
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)


class ServiceSkill(Base):
    """A skill a service type requires (service types are the company's bookable services, or free text);
    `service_key` is the lower-cased service name."""

    __tablename__ = "service_skills"
    service_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)
    service_type: Mapped[str] = mapped_column(String(200))


class Zone(Base):
    """A named service zone: a polygon (`[[lat, lng], …]`) and/or a list of ZIP codes (models/zones.py)."""

    __tablename__ = "zones"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100), unique=True)
    color: Mapped[str] = mapped_column(String(9), default="")
    polygon: Mapped[list[Any]] = mapped_column(default=list)
    zips: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
