"""Stripe Checkout for open invoices, spoken over httpx (form-encoded, Bearer secret key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from services.backend.errors import ApiError


class PaymentProviderError(ApiError):
    status, code = 502, "payment_provider_error"


@dataclass
class CheckoutSession:
    id: str
    url: str
    payment_status: str


def _call(method: str, base_url: str, api_key: str, path: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    try:
        r = httpx.request(method, f"{base_url.rstrip('/')}{path}", data=data, timeout=15,
                          headers={"Authorization": f"Bearer {api_key}", "Stripe-Version": "2024-06-20"})
    except httpx.HTTPError as exc:
        raise PaymentProviderError(f"The payment provider could not be reached ({exc.__class__.__name__}). "
                                   "Try again in a minute, or pay by phone.") from None
    try:
        body = r.json()
    except ValueError:
        body = {}
    if r.status_code >= 400:
        msg = (body.get("error") or {}).get("message") if isinstance(body, dict) else None
        raise PaymentProviderError(f"The payment provider refused the payment page: {msg or r.status_code}. "
                                   "Try again later, or pay by phone.")
    return body


def create_session(base_url: str, api_key: str, *, invoice_id: int, number: str, amount_cents: int,
                   description: str, success_url: str, cancel_url: str, email: str = "") -> CheckoutSession:
    """POST /v1/checkout/sessions (mode=payment, one line for the invoice total)."""
    data: dict[str, Any] = {
        "mode": "payment",
        "success_url": success_url,
        "cancel_url": cancel_url,
        "client_reference_id": str(invoice_id),
        "metadata[invoice_id]": str(invoice_id),
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": str(amount_cents),
        "line_items[0][price_data][product_data][name]": f"Invoice {number}",
        "line_items[0][price_data][product_data][description]": description[:300] or f"Invoice {number}",
    }
    if email:
        data["customer_email"] = email
    body = _call("POST", base_url, api_key, "/v1/checkout/sessions", data)
    return CheckoutSession(str(body.get("id", "")), str(body.get("url", "")), str(body.get("payment_status", "")))


def retrieve_session(base_url: str, api_key: str, session_id: str) -> CheckoutSession:
    body = _call("GET", base_url, api_key, f"/v1/checkout/sessions/{session_id}")
    return CheckoutSession(str(body.get("id", "")), str(body.get("url", "") or ""),
                           str(body.get("payment_status", "")))
