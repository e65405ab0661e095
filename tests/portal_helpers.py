"""Helpers for the portal tests: sign a customer in through the real magic link, add visit data, move status."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import httpx

from models.tables import BillingDocument, Customer, VisitPhoto, VisitSummary

LINK = re.compile(r"/portal/login/([A-Za-z0-9_\-]+)")


def png(color: str = "#3a7", size: int = 64) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buf, "PNG")
    return buf.getvalue()


def magic_token(world: Any, customer: dict[str, Any]) -> str:
    """Request a link for the customer's email and read it from the outbox."""
    r = world.api.anon.post("/api/v1/portal/magic-link", json={"email": customer["email"]})
    assert r.status_code == 202, r.text
    notes = world.dispatcher.get("/api/v1/notifications", params={"customer_id": customer["id"]}).json()
    for n in notes:
        if n["kind"] == "portal_magic_link":
            m = LINK.search(n["body"])
            assert m, n["body"]
            return m.group(1)
    raise AssertionError("no magic link in the outbox")


def sends_csrf(c: httpx.Client) -> httpx.Client:
    """Make a cookie-holding client send its session's CSRF token on every state-changing request, as the
    portal's forms (hidden field) and scripts (header) do. Tests of the check itself use plain clients."""
    from services.backend import csrf
    from services.backend.portal_auth import COOKIE

    def add(request: httpx.Request) -> None:
        if request.method not in ("GET", "HEAD", "OPTIONS") and csrf.HEADER not in request.headers:
            session = c.cookies.get(COOKIE)
            if session:
                request.headers[csrf.HEADER] = csrf.token_for(session)

    c.event_hooks["request"].append(add)
    return c


def sign_in(world: Any, customer: dict[str, Any]) -> httpx.Client:
    """A browser-like client holding the portal session cookie of `customer`."""
    token = magic_token(world, customer)
    c = sends_csrf(httpx.Client(base_url=world.api.url, timeout=15))
    world.api.clients.append(c)
    r = c.get(f"/portal/login/{token}")
    assert r.status_code == 303 and r.headers["location"] == "/portal/schedule", r.text
    return c


def preview_client(world: Any, **target: int) -> httpx.Client:
    r = world.dispatcher.post("/api/v1/portal-preview", json=target)
    assert r.status_code == 201, r.text
    c = sends_csrf(httpx.Client(base_url=world.api.url, timeout=15))
    world.api.clients.append(c)
    path = r.json()["url"].removeprefix(world.api.url)
    assert c.get(path).status_code == 303
    return c


def add_visit_data(world: Any, appointment_id: int, job_id: int, *, notes: str = "Replaced the P-trap washer.",
                   stripe_docs: bool = True) -> dict[str, int]:
    """A summary, one shared and one private photo, a shared estimate and invoice and an unshared invoice."""
    now = datetime.now(UTC)
    with world.api.server.backend.sessions() as s:
        s.add(VisitSummary(appointment_id=appointment_id, notes=notes, created_at=now))
        shared = VisitPhoto(appointment_id=appointment_id, caption="After repair", content_type="image/png",
                            data=png("#2a6"), shared_with_customer=True, created_at=now)
        private = VisitPhoto(appointment_id=appointment_id, caption="Internal: old part", content_type="image/png",
                             data=png("#a33"), shared_with_customer=False, created_at=now)
        est = BillingDocument(job_id=job_id, kind="estimate", number=f"E-{job_id}01", total_cents=24500,
                              lines=[{"description": "Replace shut-off valve", "quantity": 1,
                                      "unit_price_cents": 24500}], shared_with_customer=True, created_at=now)
        inv = BillingDocument(job_id=job_id, kind="invoice", number=f"INV-{job_id}02", total_cents=18900,
                              lines=[{"description": "Leak repair labor", "quantity": 1.5, "unit_price_cents": 12600}],
                              shared_with_customer=True, created_at=now)
        hidden = BillingDocument(job_id=job_id, kind="invoice", number=f"INV-{job_id}99", total_cents=99999,
                                 shared_with_customer=False, created_at=now)
        s.add_all([shared, private, est, inv, hidden])
        s.commit()
        return {"shared_photo": shared.id, "private_photo": private.id, "estimate": est.id, "invoice": inv.id,
                "hidden_invoice": hidden.id}


def set_customer(world: Any, customer_id: int, **fields: Any) -> None:
    with world.api.server.backend.sessions() as s:
        c = s.get(Customer, customer_id)
        assert c is not None
        for k, v in fields.items():
            setattr(c, k, v)
        s.commit()


def move(world: Any, appt_id: int, *statuses: str, message: str = "") -> dict[str, Any]:
    """Walk an appointment through statuses as the dispatcher (with If-Match)."""
    d = world.dispatcher
    out: dict[str, Any] = {}
    for st in statuses:
        etag = d.get(f"/api/v1/appointments/{appt_id}").headers["ETag"]
        body: dict[str, Any] = {"status": st}
        if st == "paused":
            body["customer_message"] = message or "We ordered a part; we'll call to book the follow-up."
        r = d.post(f"/api/v1/appointments/{appt_id}/status", json=body, headers={"If-Match": etag})
        assert r.status_code == 200, r.text
        out = r.json()
    return out
