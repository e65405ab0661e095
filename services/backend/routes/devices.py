"""Pairing phones (dispatcher API): can phones reach us, one-time pairing links, paired devices, revoking, and the
team notes shown on the appointment card."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from models.enums import DeviceKind
from models.field_access import TRACCAR_SETTINGS, assess, traccar_config_url
from models.field_schemas import DeviceIn, TeamNoteIn
from models.public.devices import DevicePublic, FieldAccessPublic, PairingLinkPublic, TraccarDevicePublic
from models.public.field import TeamNotePublic
from models.tables import FieldDevice, Technician
from services.backend import devices, field_views, pairing
from services.backend.audit import audit
from services.backend.context import Backend
from services.backend.deps import Ctx, Db, Dispatcher
from services.backend.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["dispatcher"])


def _tech(db: Db, tech_id: int) -> Technician:
    tech = db.get(Technician, tech_id)
    if tech is None:
        raise NotFound(f"No technician {tech_id}.")
    return tech


def _access(ctx: Backend) -> dict[str, Any]:
    return assess(ctx.public_url).as_dict()


@router.get("/field-access", response_model=FieldAccessPublic)
def field_access(user: Dispatcher, ctx: Ctx) -> dict[str, Any]:
    """Whether phones can use this backend: `reachable` (a phone can open links), `secure` (HTTPS, so the field
    app may use GPS), `problem` and `advice` in words, and the field-app and Traccar Client URLs."""
    return _access(ctx)


def _audit(db: Db, ctx: Backend, user: Dispatcher, action: str, tech_id: int, **details: Any) -> None:
    audit(db, ctx.clock.now(), action, "technician", tech_id, user, details)


@router.post("/technicians/{tech_id}/pairing-links", status_code=201, response_model=PairingLinkPublic)
def create_pairing_link(tech_id: int, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """A one-time link (256-bit token, 10 minutes, single use) that signs a phone in to the field app as this
    technician; the console shows it as a QR code. `access` says whether a phone can reach it at all."""
    tech = _tech(db, tech_id)
    link, token = pairing.create(db, tech, ctx.clock.now(), user.name)
    _audit(db, ctx, user, "device.pairing_link", tech.id, link_id=link.id)
    db.commit()
    access = _access(ctx)
    return {"technician_id": tech.id, "technician_name": tech.name, "url": f"{access['field_url']}/pair/{token}",
            "expires_at": link.expires_at, "expires_in_s": int(pairing.TTL.total_seconds()), "access": access}


@router.get("/technicians/{tech_id}/devices", response_model=list[DevicePublic])
def list_devices(tech_id: int, user: Dispatcher, db: Db) -> list[dict[str, Any]]:
    """The technician's paired phones (field app) and Traccar Client device ids, live ones first, with their last
    fix time and source."""
    _tech(db, tech_id)
    return [devices.device_public(d) for d in devices.for_technician(db, tech_id)]


@router.post("/technicians/{tech_id}/devices", status_code=201, response_model=TraccarDevicePublic)
def add_traccar_device(tech_id: int, body: DeviceIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """A new Traccar Client device id (a 256-bit secret, shown only in this answer). `config_url` is what the
    QR code holds: scanning it in Traccar Client sets the server URL, the device id and the recommended settings."""
    tech = _tech(db, tech_id)
    label = body.label or f"{tech.name}'s phone"
    dev, secret = devices.add(db, tech, DeviceKind.TRACCAR, ctx.clock.now(), label=label, created_by=user.name)
    _audit(db, ctx, user, "device.added", tech.id, device_id=dev.id, kind=dev.kind)
    db.commit()
    access = _access(ctx)
    return {"device": devices.device_public(dev), "device_id": secret, "server_url": access["osmand_url"],
            "config_url": traccar_config_url(access["osmand_url"], secret), "settings": TRACCAR_SETTINGS,
            "access": access}


@router.post("/technicians/{tech_id}/devices/{device_id}/revoke", response_model=DevicePublic)
def revoke_device(tech_id: int, device_id: int, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """Stop a device at once: a revoked phone is signed out on its next request; a revoked Traccar Client device
    id is refused (404) from now on."""
    dev = db.get(FieldDevice, device_id)
    if dev is None or dev.technician_id != tech_id:
        raise NotFound(f"No device {device_id} for technician {tech_id}.")
    if dev.revoked_at is None:
        devices.revoke(db, dev, ctx.clock.now(), user.name)
        _audit(db, ctx, user, "device.revoked", tech_id, device_id=dev.id, kind=dev.kind)
    db.commit()
    return devices.device_public(dev)


@router.get("/appointments/{appt_id}/team-notes", response_model=list[TeamNotePublic])
def appointment_team_notes(appt_id: int, user: Dispatcher, ctx: Ctx, db: Db) -> list[dict[str, Any]]:
    """Staff notes on this appointment's job (technicians' notes from the field app and dispatchers'), oldest
    first. Never shown to the customer."""
    appt = db.get(field_views.Appointment, appt_id)
    if appt is None:
        raise NotFound(f"No appointment {appt_id}.")
    return field_views.team_notes(db, appt.job_id, ctx.company(db).time_zone, user.id)


@router.post("/appointments/{appt_id}/team-notes", status_code=201, response_model=TeamNotePublic)
def add_team_note(appt_id: int, body: TeamNoteIn, user: Dispatcher, ctx: Ctx, db: Db) -> dict[str, Any]:
    """A note for the technicians on this job (they see it in the field app's job details)."""
    appt = db.get(field_views.Appointment, appt_id)
    if appt is None:
        raise NotFound(f"No appointment {appt_id}.")
    out = field_views.add_team_note(db, appt, user, body.text, ctx.clock.now(), ctx.company(db).time_zone)
    db.commit()
    return out
