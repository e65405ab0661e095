"""Helpers for the booking tests: portal sessions, photo files, dates in the company's time zone."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from models.tables import PortalSession
from services.backend.portal_auth import COOKIE
from services.backend.security import new_token, token_hash

TZ = ZoneInfo("America/Chicago")


def portal_client(world: Any, customer_id: int, *, preview: bool = False) -> httpx.Client:
    """A browser-like client holding a portal session cookie for `customer_id`."""
    server = world.api.server
    token = new_token()
    now = server.backend.clock.now()
    with server.backend.sessions() as s:
        s.add(PortalSession(token_hash=token_hash(token), customer_id=customer_id, preview=preview,
                            created_at=now, expires_at=now + timedelta(days=1)))
        s.commit()
    from tests.portal_helpers import sends_csrf

    c = sends_csrf(httpx.Client(base_url=server.url, timeout=15, cookies={COOKIE: token}))
    world.api.clients.append(c)
    return c


def today(world: Any) -> date:
    return world.api.server.backend.clock.now().astimezone(TZ).date()


def day(world: Any, n: int) -> str:
    return (today(world) + timedelta(days=n)).isoformat()


def at(d: date | str, hour: int, minute: int = 0) -> datetime:
    d = date.fromisoformat(d) if isinstance(d, str) else d
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=TZ)


def jpeg_with_gps(size: tuple[int, int] = (640, 480), color: str = "#2b7bb9") -> bytes:
    """A JPEG carrying camera EXIF including a GPS position (to prove it gets stripped)."""
    from PIL import Image

    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x8825] = {1: "N", 2: (30.0, 16.0, 12.5), 3: "W", 4: (97.0, 44.0, 30.0)}
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    return buf.getvalue()


def image(fmt: str = "PNG", color: str = "#c44", size: tuple[int, int] = (400, 300)) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, color)
    d = ImageDraw.Draw(img)
    d.rectangle((size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill="#eee")
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def form(world: Any, **over: Any) -> dict[str, Any]:
    """The portal form's fields (as a browser sends them) for a valid request."""
    data: dict[str, Any] = {"service": "Leak repair", "preferred_dates": [day(world, 2), day(world, 3), ""],
                            "time_preference": "morning", "address_other": "", "notes": "Under the kitchen sink."}
    data.update(over)
    return data


def set_company(world: Any, **values: Any) -> None:
    from models.tables import Company

    with world.api.server.backend.sessions() as s:
        c = s.get(Company, 1)
        for k, v in values.items():
            setattr(c, k, v)
        s.commit()


def set_customer(world: Any, customer_id: int, **values: Any) -> None:
    from models.tables import Customer

    with world.api.server.backend.sessions() as s:
        c = s.get(Customer, customer_id)
        for k, v in values.items():
            setattr(c, k, v)
        s.commit()
