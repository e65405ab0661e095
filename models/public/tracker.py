"""The customer tracker's JSON (GET /api/v1/tracker/{token}): what a tracker link shows in each state.

Keys a state does not have are absent, not null: `appointment` is absent once the link has expired, and
`technician` carries only `first_name` while the visit is merely scheduled."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from models.public.common import Public


class TrackerAppointmentPublic(Public):
    service_type: str
    date_text: str
    window_text: str


class TrackerCompanyPublic(Public):
    name: str
    phone: str
    tel: str = Field(description="a tel: link for the Call button")
    logo_url: str | None


class TrackerTechnicianPublic(Public):
    first_name: str
    photo_url: str | None = Field(default=None, description="from dispatch on")
    vehicle: str | None = Field(default=None, description="from dispatch on")
    bio: str | None = Field(default=None, description="from dispatch on; approved bios only")


class TrackerEtaPublic(Public):
    at: datetime
    time_text: str
    text: str
    minutes: int
    computed_at: datetime | None


class TrackerPositionPublic(Public):
    """The technician's live position: only while en route."""

    lat: float
    lng: float
    accuracy_m: float
    recorded_at: datetime
    age_s: int


class LatLngPublic(Public):
    lat: float
    lng: float


class PointPublic(Public):
    x: float
    y: float


class TrackerMapPublic(Public):
    width: float
    height: float
    site: PointPublic
    car: PointPublic | None
    route: list[PointPublic]


class LateBannerPublic(Public):
    message: str
    call_label: str
    tel: str


class PushInfoPublic(Public):
    vapid_public_key: str
    subscribe_url: str | None


class TrackerPublic(Public):
    state: str = Field(description="scheduled | dispatched | en_route | arrived | ended | expired")
    status: str
    headline: str
    message: str
    steps: list[str]
    step: int | None
    appointment: TrackerAppointmentPublic | None = Field(default=None, description="absent once expired")
    company: TrackerCompanyPublic
    technician: TrackerTechnicianPublic | None
    eta: TrackerEtaPublic | None
    position: TrackerPositionPublic | None
    site: LatLngPublic | None
    map: TrackerMapPublic | None
    late: LateBannerPublic | None = Field(description="the LATE banner with a one-tap call button")
    refresh_s: int
    push: PushInfoPublic | None = Field(description="how to subscribe to the arrival push, when offered")


class PushSubscribedPublic(Public):
    id: int
    subscribed: bool
