"""Notification providers for the outbox: log (default), SMTP email, Twilio SMS, Web Push (SMS fallback)."""

from __future__ import annotations

from typing import Any

from services.backend.outbox import LogProvider, Provider


def providers_from_settings(settings: Any) -> dict[str, Provider]:
    """Channel → provider from the process settings (DISPATCH_SMS_PROVIDER=twilio, DISPATCH_EMAIL_PROVIDER=smtp,
    Web Push whenever VAPID keys are set); `log` where nothing is configured."""
    log = LogProvider()
    out: dict[str, Provider] = {"sms": log, "email": log, "push": log}
    if str(getattr(settings, "sms_provider", "log")).lower() == "twilio":
        from services.notify.twilio import TwilioProvider

        out["sms"] = TwilioProvider(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from,
                                    settings.twilio_base_url)
    if str(getattr(settings, "email_provider", "log")).lower() == "smtp":
        from services.notify.smtp import SmtpProvider

        out["email"] = SmtpProvider(settings.smtp_host, settings.smtp_port, sender=settings.smtp_from,
                                    user=settings.smtp_user, password=settings.smtp_password,
                                    starttls=settings.smtp_starttls)
    from services.notify.webpush import WebPushProvider

    # Push always goes through Web Push: without VAPID keys it falls back to SMS instead of pretending.
    out["push"] = WebPushProvider(getattr(settings, "vapid_private_key", ""),
                                  getattr(settings, "vapid_subject", "mailto:dispatch@localhost"))
    return out
