"""Can a phone reach this backend? Decided from the public URL before the console shows a QR code.

Phones need an address other than this computer's loopback, and browsers share GPS only with pages served over
HTTPS (or from localhost). Traccar Client itself also works over plain HTTP.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

FIELD_PATH = "/field"
OSMAND_PATH = "/osmand"


@dataclass(frozen=True)
class FieldAccess:
    public_url: str
    field_url: str
    osmand_url: str
    reachable: bool  # a phone on the network can open the links at all
    secure: bool  # HTTPS: the field app may use the phone's GPS
    problem: str = ""  # why a phone cannot use it (empty when all is well)
    advice: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _loopback(host: str) -> bool:
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


TEAM_MODE = ("Run the backend as a team server that phones can reach, behind HTTPS: "
             "python3 main.py serve --host 0.0.0.0 --port 8000 --public-url https://dispatch.yourcompany.com "
             "(with an HTTPS reverse proxy such as Caddy in front), then sign the consoles in with --server.")
OPEN_EMBEDDED = ("Or open this console's own backend to the office network on purpose: start it with "
                 "DISPATCH_EMBEDDED_HOST=0.0.0.0 and DISPATCH_PUBLIC_URL set to the HTTPS address of a reverse "
                 "proxy in front of it.")


def assess(public_url: str) -> FieldAccess:
    """Whether the field app and Traccar Client links built on `public_url` can work on a phone."""
    base = public_url.rstrip("/")
    parts = urlsplit(base)
    host = (parts.hostname or "").lower()
    field_url, osmand_url = base + FIELD_PATH, base + OSMAND_PATH
    secure = parts.scheme == "https"
    if _loopback(host):
        return FieldAccess(base, field_url, osmand_url, False, secure,
                           f"This backend answers on this computer only ({parts.netloc or 'loopback'}), so a phone "
                           "cannot open a pairing link or send positions to it.", [TEAM_MODE, OPEN_EMBEDDED])
    if _unspecified(host):
        return FieldAccess(base, field_url, osmand_url, False, secure,
                           f"The backend's public address is {parts.netloc}, which is not an address a phone can "
                           "open.", ["Set --public-url (or DISPATCH_PUBLIC_URL) to the HTTPS address phones use, "
                                     "e.g. https://dispatch.yourcompany.com."])
    if not secure:
        return FieldAccess(base, field_url, osmand_url, True, False,
                           "Phones refuse to share GPS with a page served over plain http://, so the field app "
                           "can sign in and change statuses but cannot send positions. Traccar Client works.",
                           ["Put the server behind HTTPS (a reverse proxy such as Caddy or nginx with a "
                            "certificate) and set --public-url / DISPATCH_PUBLIC_URL to the https:// address."])
    return FieldAccess(base, field_url, osmand_url, True, True)


#: Traccar Client settings that suit the geofence rules (docs/geofence.md, docs/traccar.md): GPS-grade fixes
#: (the rule ignores fixes worse than 100 m), a fix at least every 15 s while moving and every 60 s when parked
#: (the 20 s dwell needs two inside fixes; the heartbeat supplies them when the phone stops moving), and a
#: distance filter well inside the 91 m arrival radius.
TRACCAR_SETTINGS: dict[str, str] = {
    "accuracy": "high",
    "interval": "15",
    "distance": "25",
    "angle": "30",
    "heartbeat": "60",
    "buffer": "true",
    "stop_detection": "false",
    "wakelock": "true",
}


def traccar_config_url(osmand_url: str, device_id: str) -> str:
    """What the console's QR code holds: Traccar Client's settings scanner takes the server URL from it and the
    device id and settings from its query."""
    from urllib.parse import urlencode

    return f"{osmand_url}?{urlencode({'id': device_id, **TRACCAR_SETTINGS})}"
