"""Pairing phones (dispatcher API): whether phones can reach the backend, one-time pairing links, a technician's
paired phones and Traccar Client device ids (docs/field.md, docs/traccar.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from models.public.common import Public


class FieldAccessPublic(Public):
    """Whether phones can use this backend, decided from its public URL (models/field_access.py)."""

    public_url: str
    field_url: str = Field(description="the field app (public URL + /field)")
    osmand_url: str = Field(description="where Traccar Client sends positions (public URL + /osmand)")
    reachable: bool = Field(description="a phone can open the links at all (not loopback, not 0.0.0.0)")
    secure: bool = Field(description="served over HTTPS, so phone browsers share GPS with the field app")
    problem: str = Field(description="why phones cannot use it fully, in words; empty when all is well")
    advice: list[str] = Field(description="what to set up instead, one step per item")


class PairingLinkPublic(Public):
    """A one-time link (256-bit token, single use) that signs a phone in to the field app as this technician."""

    technician_id: int
    technician_name: str
    url: str = Field(description="what the console shows as a QR code")
    expires_at: datetime
    expires_in_s: int = Field(description="how long the link lives (600)")
    access: FieldAccessPublic


class DevicePublic(Public):
    """A paired phone (field app) or a Traccar Client device id; never the secret, only its last characters."""

    id: int
    technician_id: int
    kind: str = Field(description="field_app | traccar")
    kind_label: str = Field(description="Field app | Traccar Client")
    label: str = Field(description="the browser and phone, or the name given to a Traccar Client device")
    hint: str = Field(description="the last characters of the secret, to tell devices apart")
    created_at: datetime
    created_by: str = Field(description="who paired it")
    last_seen_at: datetime | None = Field(description="the device's last request")
    last_fix_at: datetime | None = Field(description="the recorded time of its latest position")
    last_fix_source: str | None = Field(description="field_app | traccar | simulator")
    last_fix_source_label: str | None = Field(description="the same in words")
    battery_pct: float | None = Field(description="reported by Traccar Client")
    charging: bool | None = Field(description="reported by Traccar Client")
    revoked: bool
    revoked_at: datetime | None
    revoked_by: str = Field(description="who revoked it; empty while live")


class TraccarSettingsPublic(Public):
    """Traccar Client settings that suit the geofence rules (docs/traccar.md), as its QR code carries them."""

    accuracy: str = Field(description="high")
    interval: str = Field(description="seconds between fixes while moving")
    distance: str = Field(description="metres between fixes")
    angle: str = Field(description="degrees of turn that trigger a fix")
    heartbeat: str = Field(description="seconds between fixes while stationary")
    buffer: str = Field(description="true: fixes recorded offline are sent later")
    stop_detection: str = Field(description="false: keep tracking at the job site")
    wakelock: str = Field(description="true (Android)")


class TraccarDevicePublic(Public):
    """A new Traccar Client device id: the secret is in this answer only."""

    device: DevicePublic
    device_id: str = Field(description="the secret (256 bits) Traccar Client sends as `id`")
    server_url: str = Field(description="Traccar Client's Server URL")
    config_url: str = Field(description="what the QR code holds: server URL, device id and the settings")
    settings: TraccarSettingsPublic
    access: FieldAccessPublic
