"""Company-wide settings the console edits: which exist, who may change them and how each is validated."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Settings kept in Company columns.
PROFILE = ("name", "phone", "email", "time_zone")
PORTAL = ("booking_enabled", "bookable_services", "free_text_services", "survey_type", "survey_categories",
          "show_bios", "payment_instructions")
#: Settings kept in Company.settings (JSON), overriding the process defaults (DISPATCH_*).
OPERATIONS = ("tile_url", "eta_provider", "osrm_url", "eta_road_factor", "eta_urban_speed_kmh",
              "geofence_radius_m", "gps_max_accuracy_m", "late_threshold_min", "position_retention_days",
              "country", "geocoder", "nominatim_url", "geocoder_email")
NOTIFY = ("sms_provider", "twilio_account_sid", "twilio_from", "email_provider", "smtp_host", "smtp_port",
          "smtp_user", "smtp_from", "smtp_starttls", "push_enabled", "vapid_public_key", "vapid_subject",
          "text_customer_on_reschedule", "text_customer_on_reassign")
#: Write-only: stored for the backend to use, never returned once saved.
SECRETS = ("twilio_auth_token", "smtp_password", "vapid_private_key", "google_api_key", "stripe_api_key",
           "mapbox_token")
ALL = PROFILE + PORTAL + OPERATIONS + NOTIFY + SECRETS


class SettingError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


def _text(field: str, v: Any, max_len: int = 200, required: bool = False) -> str:
    if not isinstance(v, str):
        raise SettingError(field, "must be text")
    v = v.strip()
    if required and not v:
        raise SettingError(field, "must not be empty")
    if len(v) > max_len:
        raise SettingError(field, f"must be at most {max_len} characters")
    return v


def _number(field: str, v: Any, lo: float, hi: float, integer: bool = False) -> float | int:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise SettingError(field, "must be a number")
    if not lo <= v <= hi:
        raise SettingError(field, f"must be between {lo:g} and {hi:g}")
    if integer:
        if int(v) != v:
            raise SettingError(field, "must be a whole number")
        return int(v)
    return float(v)


def _bool(field: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise SettingError(field, "must be true or false")
    return v


def _list(field: str, v: Any, max_items: int = 50) -> list[str]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise SettingError(field, "must be a list of names")
    out: list[str] = []
    for x in v:
        x = x.strip()
        if not x:
            raise SettingError(field, "names must not be empty")
        if len(x) > 100:
            raise SettingError(field, f"'{x[:20]}…' is longer than 100 characters")
        if x.lower() in (o.lower() for o in out):
            raise SettingError(field, f"'{x}' is listed twice")
        out.append(x)
    if len(out) > max_items:
        raise SettingError(field, f"at most {max_items} entries")
    return out


def validate(field: str, v: Any) -> Any:
    """The cleaned value of one setting, or SettingError naming the field and the fix."""
    if field not in ALL:
        raise SettingError(field, "is not a known setting")
    if field == "name":
        return _text(field, v, required=True)
    if field in ("phone", "email", "twilio_account_sid", "twilio_from", "smtp_host", "smtp_user", "smtp_from",
                 "vapid_public_key", "vapid_subject", "payment_instructions") + SECRETS:
        return _text(field, v, 2000 if field in SECRETS or field == "payment_instructions" else 200)
    if field == "time_zone":
        tz = _text(field, v, required=True)
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingError(field, f"'{tz}' is not a time zone; use a name like America/Chicago") from None
        return tz
    if field in ("booking_enabled", "free_text_services", "show_bios", "smtp_starttls", "push_enabled",
                 "text_customer_on_reschedule", "text_customer_on_reassign"):
        return _bool(field, v)
    if field in ("bookable_services", "survey_categories"):
        return _list(field, v)
    if field == "survey_type":
        if v not in ("stars", "nps"):
            raise SettingError(field, "must be 'stars' (5-star) or 'nps' (10-point NPS)")
        return v
    if field == "tile_url":
        url = _text(field, v, 500, required=True)
        if not url.startswith(("http://", "https://")) or not all(k in url for k in ("{z}", "{x}", "{y}")):
            raise SettingError(field, "must be an http(s) URL containing {z}, {x} and {y}")
        return url
    if field == "country":
        from models.phones import region_ok

        code = _text(field, v, 2, required=True).upper()
        if not region_ok(code):
            raise SettingError(field, f"'{code}' is not a country code; use two letters such as US or CA")
        return code
    if field == "geocoder":
        if v not in ("none", "nominatim", "google", "mapbox"):
            raise SettingError(field, "must be one of none, nominatim, google, mapbox")
        return v
    if field == "geocoder_email":
        return _text(field, v, 200)
    if field in ("osrm_url", "nominatim_url"):
        url = _text(field, v, 500, required=True)
        if not url.startswith(("http://", "https://")):
            raise SettingError(field, "must start with http:// or https://")
        return url.rstrip("/")
    if field == "eta_provider":
        if v not in ("offline", "osrm", "google"):
            raise SettingError(field, "must be one of offline, osrm, google")
        return v
    if field == "sms_provider":
        if v not in ("log", "twilio"):
            raise SettingError(field, "must be 'log' or 'twilio'")
        return v
    if field == "email_provider":
        if v not in ("log", "smtp"):
            raise SettingError(field, "must be 'log' or 'smtp'")
        return v
    if field == "smtp_port":
        return _number(field, v, 1, 65535, integer=True)
    if field == "eta_road_factor":
        return _number(field, v, 1.0, 3.0)
    if field == "eta_urban_speed_kmh":
        return _number(field, v, 5, 130)
    if field == "geofence_radius_m":
        return _number(field, v, 20, 1000)
    if field == "gps_max_accuracy_m":
        return _number(field, v, 5, 1000)
    if field == "late_threshold_min":
        return _number(field, v, 5, 240, integer=True)
    if field == "position_retention_days":
        return _number(field, v, 1, 365, integer=True)
    raise SettingError(field, "is not a known setting")  # pragma: no cover
