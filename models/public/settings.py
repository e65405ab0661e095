"""Company settings as the console reads them (GET/PATCH /api/v1/settings): one field per setting of
models/settings_schema.py, secrets reported only as set or not."""

from __future__ import annotations

from typing import Any

from pydantic import Field, create_model

from models import settings_schema as S
from models.public.common import Public

_BOOL = {"booking_enabled", "free_text_services", "show_bios", "smtp_starttls", "push_enabled",
         "text_customer_on_reschedule", "text_customer_on_reassign"}
_NAMES = {"bookable_services", "survey_categories"}
_FLOAT = {"eta_road_factor", "eta_urban_speed_kmh", "geofence_radius_m", "gps_max_accuracy_m"}
_INT = {"late_threshold_min", "position_retention_days", "smtp_port"}


def _type(name: str) -> Any:
    if name in _BOOL:
        return bool
    if name in _NAMES:
        return list[str]
    if name in _FLOAT:
        return float
    if name in _INT:
        return int
    return str


_fields: dict[str, Any] = {name: (_type(name), ...) for name in S.PROFILE + S.PORTAL + S.OPERATIONS + S.NOTIFY}
_fields["secrets_set"] = (dict[str, bool], Field(description="each write-only secret: whether it is set"))
_fields["has_logo"] = (bool, ...)

SettingsPublic = create_model(
    "SettingsPublic", __base__=Public, __module__=__name__,
    __doc__="Every company setting with its effective value (the company's, else the server's DISPATCH_* default).",
    **_fields)
