"""Tables of the field and the board: GPS positions, paired devices, team notes, idempotency keys, working
hours and time off, the geocoder cache, sign-in throttling and the insights facts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.orm_base import Base, BigId


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
