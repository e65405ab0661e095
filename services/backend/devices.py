"""A technician's paired devices: field-app browser sessions and Traccar Client device ids (secrets, hashed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.enums import FIX_SOURCE_LABELS, DeviceKind
from models.events import EventName
from models.tables import FieldDevice, Technician
from services.backend.events import publish
from services.backend.security import new_token, token_hash

KIND_LABELS = {DeviceKind.FIELD_APP: "Field app", DeviceKind.TRACCAR: "Traccar Client"}


def device_public(d: FieldDevice) -> dict[str, Any]:
    """What the console lists: never the secret, only its last characters."""
    return {
        "id": d.id, "technician_id": d.technician_id, "kind": d.kind, "kind_label": KIND_LABELS.get(d.kind, d.kind),
        "label": d.label, "hint": d.hint, "created_at": d.created_at, "created_by": d.created_by,
        "last_seen_at": d.last_seen_at, "last_fix_at": d.last_fix_at, "last_fix_source": d.last_fix_source or None,
        "last_fix_source_label": FIX_SOURCE_LABELS.get(d.last_fix_source, "") or None,
        "battery_pct": d.battery_pct, "charging": d.charging, "revoked": d.revoked_at is not None,
        "revoked_at": d.revoked_at, "revoked_by": d.revoked_by,
    }


def add(session: Session, technician: Technician, kind: DeviceKind, now: datetime, *, label: str = "",
        created_by: str = "", user_id: int | None = None) -> tuple[FieldDevice, str]:
    """A new device with a fresh 256-bit secret; returns the row and the secret (shown once, stored hashed)."""
    secret = new_token()
    dev = FieldDevice(technician_id=technician.id, user_id=user_id, kind=kind.value, token_hash=token_hash(secret),
                      hint=secret[-4:], label=label.strip()[:200], created_at=now, created_by=created_by,
                      last_seen_at=now if kind == DeviceKind.FIELD_APP else None)
    session.add(dev)
    session.flush()
    publish(session, EventName.TECHNICIAN_UPDATED, {"id": technician.id, "devices": True}, now)
    return dev, secret


def find(session: Session, secret: str, kind: DeviceKind) -> FieldDevice | None:
    """The live (not revoked) device of this kind with this secret, else None."""
    if not secret:
        return None
    dev = session.scalar(select(FieldDevice).where(FieldDevice.token_hash == token_hash(secret)))
    if dev is None or dev.kind != kind.value or dev.revoked_at is not None:
        return None
    return dev


def for_technician(session: Session, technician_id: int) -> list[FieldDevice]:
    """Live devices first, newest first; revoked ones stay listed for the record."""
    rows = session.scalars(select(FieldDevice).where(FieldDevice.technician_id == technician_id)
                           .order_by(FieldDevice.revoked_at.is_not(None), FieldDevice.id.desc()))
    return list(rows)


def revoke(session: Session, dev: FieldDevice, now: datetime, by: str) -> None:
    """Stop a device at once: the next request with its cookie or device id is refused."""
    if dev.revoked_at is None:
        dev.revoked_at, dev.revoked_by = now, by
        publish(session, EventName.TECHNICIAN_UPDATED, {"id": dev.technician_id, "devices": True}, now)


def record_fix(session: Session, device_id: int, result: dict[str, Any], source: str, now: datetime, *,
               battery_pct: float | None = None, charging: bool | None = None) -> None:
    """After an ingest: the device's last fix time and source (and battery) for the console's device list."""
    values: dict[str, Any] = {"last_seen_at": now}
    latest = result.get("latest")
    if latest is not None:
        values["last_fix_at"] = datetime.fromisoformat(latest["recorded_at"])
        values["last_fix_source"] = source
    if battery_pct is not None:
        values["battery_pct"] = battery_pct
    if charging is not None:
        values["charging"] = charging
    session.execute(update(FieldDevice).where(FieldDevice.id == device_id).values(**values))
