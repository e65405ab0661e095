"""SMS through Twilio's REST API (Messages resource) with httpx and timeouts."""

from __future__ import annotations

import httpx

from models.tables import Notification
from services.notify.errors import DeliveryError, PermanentDeliveryError


class TwilioProvider:
    """POST {base}/2010-04-01/Accounts/{sid}/Messages.json (form: To, From, Body), HTTP basic auth."""

    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, sender: str, base_url: str = "https://api.twilio.com",
                 timeout: float = 10.0, transport: httpx.BaseTransport | None = None):
        self.sid, self.sender = account_sid, sender
        self.client = httpx.Client(base_url=base_url.rstrip("/"), auth=(account_sid, auth_token),
                                   timeout=httpx.Timeout(timeout, connect=5.0), transport=transport)

    def send(self, note: Notification) -> None:
        if not self.sid or not self.sender:
            raise PermanentDeliveryError("Twilio is not configured (DISPATCH_TWILIO_ACCOUNT_SID / _FROM)")
        try:
            r = self.client.post(f"/2010-04-01/Accounts/{self.sid}/Messages.json",
                                 data={"To": note.to_address, "From": self.sender, "Body": note.body})
        except httpx.HTTPError as exc:
            raise DeliveryError(f"Twilio unreachable: {exc.__class__.__name__}: {exc}") from exc
        if r.status_code in (200, 201):
            data = r.json()
            if data.get("status") in ("failed", "undelivered"):
                raise DeliveryError(f"Twilio {data.get('error_code')}: {data.get('error_message')}")
            note.last_error = ""
            return
        try:
            data = r.json()
            reason = f"Twilio {data.get('code', r.status_code)}: {data.get('message', r.text[:200])}"
        except ValueError:
            reason = f"Twilio HTTP {r.status_code}: {r.text[:200]}"
        if r.status_code == 429 or r.status_code >= 500:
            raise DeliveryError(reason)
        raise PermanentDeliveryError(reason)  # 400 bad number, 401 bad credentials, 403, 404: retrying won't help
