"""Tables of the customer side: booking requests, portal sessions and notes, tracker links, surveys, visit
summaries and photos, billing documents."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Float, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.orm_base import Base

if TYPE_CHECKING:
    from models.tables import Customer


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
    customer: Mapped[Customer] = relationship("Customer", lazy="joined")


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


class TrackerLink(Base):
    __tablename__ = "tracker_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    created_at: Mapped[datetime]
    expired_at: Mapped[datetime | None] = mapped_column(default=None)


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
