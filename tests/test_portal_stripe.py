"""'Pay online' through Stripe Checkout (httpx) against a local fake that speaks Stripe's wire format."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.fakeservers import FakeHttp
from tests.portal_helpers import add_visit_data, sign_in


class FakeStripe:
    """POST /v1/checkout/sessions (form-encoded) and GET /v1/checkout/sessions/{id}, Bearer sk_… auth."""

    def __init__(self) -> None:
        self.sessions: dict[str, dict[str, Any]] = {}
        self.http = FakeHttp(self.handle)
        self.url = self.http.url

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        if headers.get("authorization") != "Bearer sk_test_portal":
            return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}
        if method == "POST" and path == "/v1/checkout/sessions":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if form.get("mode") != "payment" or not form.get("success_url"):
                return 400, {"error": {"type": "invalid_request_error", "message": "Missing required param: mode."}}
            sid = "cs_test_" + secrets.token_hex(12)
            sess = {"id": sid, "object": "checkout.session", "mode": "payment", "payment_status": "unpaid",
                    "status": "open", "url": f"https://checkout.stripe.com/c/pay/{sid}",
                    "amount_total": int(form["line_items[0][price_data][unit_amount]"]), "currency": "usd",
                    "client_reference_id": form.get("client_reference_id"), "success_url": form["success_url"],
                    "metadata": {"invoice_id": form.get("metadata[invoice_id]")}, "form": form}
            self.sessions[sid] = sess
            return 200, {k: v for k, v in sess.items() if k != "form"}
        if method == "GET" and path.startswith("/v1/checkout/sessions/"):
            sess = self.sessions.get(path.rsplit("/", 1)[1])
            if sess is None:
                return 404, {"error": {"type": "invalid_request_error", "message": "No such checkout.session"}}
            return 200, {k: v for k, v in sess.items() if k != "form"}
        return 404, {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({path})"}}


@pytest.fixture
def stripe(world) -> Any:
    fake = FakeStripe()
    settings = world.api.server.backend.settings
    settings.stripe_api_key, settings.stripe_base_url = "sk_test_portal", fake.url
    yield fake
    settings.stripe_api_key = ""
    fake.http.close()


def test_pay_online_with_stripe_checkout(world, stripe: FakeStripe) -> None:
    ids = add_visit_data(world, world.appt1["id"], world.appt1["job_id"])
    c = sign_in(world, world.cust1)
    inv = c.get(f"/api/v1/portal/documents/{ids['invoice']}").json()
    assert inv["can_pay_online"] is True and inv["payment_instructions"] == ""
    page = c.get(f"/portal/documents/{ids['invoice']}")
    assert "Pay online" in page.text
    assert c.post(f"/api/v1/portal/documents/{ids['estimate']}/checkout").status_code == 409
    r = c.post(f"/api/v1/portal/documents/{ids['invoice']}/checkout")
    assert r.status_code == 200 and r.json()["url"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    sid = r.json()["url"].rsplit("/", 1)[1]
    sent = stripe.sessions[sid]["form"]
    assert sent["line_items[0][price_data][unit_amount]"] == "18900" and sent["customer_email"] == "ann@example.com"
    assert sent["success_url"].endswith(f"/portal/documents/{ids['invoice']}/paid?session_id={{CHECKOUT_SESSION_ID}}")
    # The HTML form redirects the browser straight to the payment page.
    form = c.post(f"/portal/documents/{ids['invoice']}/pay")
    assert form.status_code == 303 and form.headers["location"].startswith("https://checkout.stripe.com/")
    sid = form.headers["location"].rsplit("/", 1)[1]
    # Coming back before paying leaves it open; after Stripe reports paid it is paid.
    c.get(f"/portal/documents/{ids['invoice']}/paid", params={"session_id": sid})
    assert c.get(f"/api/v1/portal/documents/{ids['invoice']}").json()["status"] == "open"
    stripe.sessions[sid]["payment_status"] = "paid"
    back = c.get(f"/portal/documents/{ids['invoice']}/paid", params={"session_id": sid})
    assert back.status_code == 303
    done = c.get(f"/api/v1/portal/documents/{ids['invoice']}").json()
    assert done["status"] == "paid" and done["can_pay_online"] is False
    assert "Payment received" in c.get(back.headers["location"]).text


def test_stripe_errors_are_clear(world, stripe: FakeStripe) -> None:
    ids = add_visit_data(world, world.appt1["id"], world.appt1["job_id"])
    world.api.server.backend.settings.stripe_api_key = "sk_wrong"
    c = sign_in(world, world.cust1)
    r = c.post(f"/api/v1/portal/documents/{ids['invoice']}/checkout")
    assert r.status_code == 502 and "Invalid API Key" in r.json()["error"]["message"]
    world.api.server.backend.settings.stripe_base_url = "http://127.0.0.1:9"
    r = c.post(f"/api/v1/portal/documents/{ids['invoice']}/checkout")
    assert r.status_code == 502 and "could not be reached" in r.json()["error"]["message"]


def test_without_provider_shows_how_to_pay(world) -> None:
    from models.tables import Company

    with world.api.server.backend.sessions() as s:
        s.get(Company, 1).payment_instructions = "Pay by phone at (512) 555-0142."
        s.commit()
    ids = add_visit_data(world, world.appt1["id"], world.appt1["job_id"])
    c = sign_in(world, world.cust1)
    inv = c.get(f"/api/v1/portal/documents/{ids['invoice']}").json()
    assert inv["can_pay_online"] is False and inv["payment_instructions"] == "Pay by phone at (512) 555-0142."
    page = c.get(f"/portal/documents/{ids['invoice']}").text
    assert "Pay online" not in page and "How to pay" in page
    err = c.post(f"/api/v1/portal/documents/{ids['invoice']}/checkout")
    assert err.status_code == 409 and "Pay by phone" in err.json()["error"]["message"]
