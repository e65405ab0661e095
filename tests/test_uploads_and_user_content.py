"""Uploaded images declaring too many pixels are refused before decoding on every upload path (413 with a
message, never a 500), and every user-content response carries nosniff, a sandboxing CSP and an inline
Content-Disposition."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import pytest

from tests.booking_support import form, image, portal_client
from tests.conftest import add_user
from tests.portal_helpers import add_visit_data, png, sign_in


def declared_png(width: int, height: int) -> bytes:
    """A small, well-formed PNG header declaring `width`×`height` (its pixel data is a few bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
            + chunk(b"IEND", b""))


BOMB = declared_png(20000, 20000)  # 400 megapixels: Pillow itself calls this a decompression bomb
BIG = declared_png(9000, 8000)  # 72 megapixels: over the default limit of 60, under Pillow's own


def _refused(r: Any, size: str) -> str:
    assert r.status_code == 413, r.text
    text = r.json()["error"]["message"] if r.headers["content-type"].startswith("application/json") else r.text
    assert size in text and "megapixels" in text, text
    return text


@pytest.mark.parametrize(("raw", "size"), [(BOMB, "far more than"), (BIG, "9000×8000")], ids=["bomb", "72mp"])
def test_note_photos_over_the_pixel_limit_are_refused(world, raw: bytes, size: str) -> None:
    portal = sign_in(world, world.cust1)
    appt = world.appt1["id"]
    r = portal.post(f"/api/v1/portal/appointments/{appt}/notes", data={"text": "Here"},
                    files={"photo": ("bomb.png", raw, "image/png")})
    _refused(r, size)
    page = portal.post(f"/portal/visits/{appt}/note", data={"text": "Here"},
                       files={"photo": ("bomb.png", raw, "image/png")})
    _refused(page, size)
    assert portal.get(f"/api/v1/portal/visits/{appt}").json()["notes"] == []  # nothing stored


@pytest.mark.parametrize(("raw", "size"), [(BOMB, "far more than"), (BIG, "9000×8000")], ids=["bomb", "72mp"])
def test_booking_photos_over_the_pixel_limit_are_refused(world, raw: bytes, size: str) -> None:
    portal = portal_client(world, world.cust1["id"])
    r = portal.post("/api/v1/portal/booking-requests", data=form(world),
                    files=[("photos", ("bomb.png", raw, "image/png"))])
    _refused(r, size)
    page = portal.post("/portal/request", data=form(world), files=[("photos", ("bomb.png", raw, "image/png"))])
    _refused(page, size)
    assert portal.get("/api/v1/portal/booking-requests").json() == []


@pytest.mark.parametrize(("raw", "size"), [(BOMB, "far more than"), (BIG, "9000×8000")], ids=["bomb", "72mp"])
def test_a_logo_over_the_pixel_limit_is_refused(world, raw: bytes, size: str) -> None:
    add_user(world.api.server, "ada@example.com", "admin-pass1", "admin", "Ada Admin")
    admin = world.api.login("ada@example.com", "admin-pass1")
    r = admin.put("/api/v1/settings/logo", json={"png_base64": base64.b64encode(raw).decode()})
    assert _refused(r, size)
    assert r.json()["error"]["details"][0]["field"] == "png_base64"


def test_the_pixel_limit_is_a_setting(world) -> None:
    world.api.server.backend.settings.max_image_pixels = 100 * 100
    portal = sign_in(world, world.cust1)
    r = portal.post(f"/api/v1/portal/appointments/{world.appt1['id']}/notes", data={"text": "Here"},
                    files={"photo": ("leak.png", png(size=101), "image/png")})
    assert r.status_code == 413 and "101×101" in r.json()["error"]["message"]
    ok = portal.post(f"/api/v1/portal/appointments/{world.appt1['id']}/notes", data={"text": "Here"},
                     files={"photo": ("leak.png", png(size=100), "image/png")})
    assert ok.status_code == 201, ok.text


def _assert_user_content(r: Any, what: str) -> None:
    assert r.status_code == 200, (what, r.text)
    assert r.headers["content-type"].startswith("image/"), what
    assert r.headers["x-content-type-options"] == "nosniff", what
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp, what
    disposition = r.headers["content-disposition"]
    assert disposition.startswith("inline; filename=\"") and disposition.endswith('"'), what


def test_every_user_content_response_is_inert(world) -> None:
    d = world.dispatcher
    portal = portal_client(world, world.cust1["id"])
    r = portal.post("/portal/request", data=form(world), files=[("photos", ("leak.png", image(), "image/png"))])
    assert r.status_code == 303, r.text
    req_id = int(r.headers["location"].split("/")[-1].split("?")[0])
    req = d.get(f"/api/v1/booking-requests/{req_id}").json()
    photo_id = req["photos"][0]["id"]
    ann = sign_in(world, world.cust1)
    note = ann.post(f"/api/v1/portal/appointments/{world.appt1['id']}/notes", data={"text": "Gate code"},
                    files={"photo": ("gate.png", png(), "image/png")}).json()
    ids = add_visit_data(world, world.appt1["id"], world.appt1["job_id"])
    checks = {
        "booking photo": d.get(f"/api/v1/booking-requests/{req_id}/photos/{photo_id}"),
        "booking thumbnail": d.get(f"/api/v1/booking-requests/{req_id}/photos/{photo_id}/thumbnail"),
        "booking thumbnail (portal)": portal.get(f"/portal/requests/{req_id}/photos/{photo_id}/thumbnail"),
        "note photo": ann.get(note["photo_url"]),
        "visit photo": d.get(f"/api/v1/appointments/{world.appt1['id']}/photos/{ids['shared_photo']}/image"),
        "visit photo (portal)": ann.get(f"/api/v1/portal/visits/{world.appt1['id']}/photos/{ids['shared_photo']}"),
        "logo": ann.get("/portal/logo.png"),
    }
    for what, r in checks.items():
        _assert_user_content(r, what)
    assert 'filename="' in checks["note photo"].headers["content-disposition"]
    assert checks["note photo"].headers["content-disposition"].endswith('.jpg"')


def test_technician_headshots_are_inert(world) -> None:
    from models.tables import Technician

    with world.api.server.backend.sessions() as s:
        s.get(Technician, world.tech1["id"]).photo_png = png("#48c")
        s.commit()
    d = world.dispatcher
    ann = sign_in(world, world.cust1)
    _assert_user_content(d.get(f"/api/v1/technicians/{world.tech1['id']}/photo"), "tech photo")
    _assert_user_content(ann.get(f"/api/v1/portal/appointments/{world.appt1['id']}/technician-photo"),
                         "tech photo (portal)")
    # JSON answers are never sniffed either.
    assert d.get("/api/v1/technicians").headers["x-content-type-options"] == "nosniff"
