"""Web Push (RFC 8030/8291) with VAPID through pywebpush; a dead subscription falls back to SMS."""

from __future__ import annotations

import json
import logging

from sqlalchemy import select
from sqlalchemy.orm import object_session

from models.enums import Channel
from models.notifications import channel_for
from models.tables import Appointment, Customer, Notification, PushSubscription, TrackerLink
from services.notify.errors import DeliveryError, PermanentDeliveryError

log = logging.getLogger(__name__)


def generate_vapid_keys() -> tuple[str, str]:
    """(private, public) base64url keys: put them in DISPATCH_VAPID_PRIVATE_KEY / DISPATCH_VAPID_PUBLIC_KEY."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    pub = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    return b64(raw), b64(pub)


class WebPushProvider:
    name = "webpush"

    def __init__(self, private_key: str, subject: str, public_url: str = "", timeout: float = 10.0):
        self.private_key, self.subject, self.timeout = private_key, subject, timeout
        self.public_url = public_url

    def payload(self, session: object, note: Notification) -> str:
        url = "/tracker/"
        if note.appointment_id is not None:
            link = session.scalar(select(TrackerLink).where(TrackerLink.appointment_id == note.appointment_id))  # type: ignore[attr-defined]
            if link is not None:
                url = f"/tracker/{link.token}"
        return json.dumps({"title": note.subject or "Your technician", "body": note.body, "url": url,
                           "tag": f"{note.kind}:{note.appointment_id}"})

    def send(self, note: Notification) -> None:
        from pywebpush import WebPushException, webpush

        session = object_session(note)
        if session is None:
            raise DeliveryError("push: notification is not attached to a database session")
        sub = session.get(PushSubscription, int(note.to_address)) if note.to_address.isdigit() else None
        if sub is None:
            self._fallback(session, note, "the push subscription no longer exists")
        if not self.private_key:
            self._fallback(session, note, "Web Push is not configured (no VAPID key)")
        info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
        try:
            webpush(info, self.payload(session, note), vapid_private_key=self.private_key,
                    vapid_claims={"sub": self.subject}, timeout=self.timeout, ttl=3600)
        except WebPushException as exc:
            code = exc.response.status_code if exc.response is not None else None
            if code in (404, 410):
                session.delete(sub)
                self._fallback(session, note, f"push service says the subscription is gone ({code})")
            if code is not None and 400 <= code < 500 and code != 429:
                self._fallback(session, note, f"push service refused the message ({code})")
            raise DeliveryError(f"push service error: {str(exc)[:300]}") from exc
        except Exception as exc:  # network errors from requests
            raise DeliveryError(f"push service unreachable: {exc.__class__.__name__}: {exc}") from exc

    def _fallback(self, session: object, note: Notification, why: str) -> None:
        """Queue the same message by SMS or email (models/notifications.py decides: the arrival ping must reach the
        customer), then fail this push."""
        from services.backend import outbox
        from services.backend.notify import customer_person

        customer = session.get(Customer, note.customer_id) if note.customer_id else None  # type: ignore[attr-defined]
        appt = session.get(Appointment, note.appointment_id) if note.appointment_id else None  # type: ignore[attr-defined]
        queued = None
        if customer is not None:
            r = customer_person(customer)
            ch = channel_for(r, note.kind, notifications_on=customer.notifications_enabled,
                             appointment_status=appt.status if appt is not None else None)
            if ch is not None:
                queued = outbox.enqueue(
                    session, note.next_attempt_at or note.created_at,  # type: ignore[arg-type]
                    channel=ch, kind=note.kind, to=r.phone if ch == Channel.SMS else r.email, body=note.body,
                    subject=note.subject, customer_id=customer.id, appointment_id=note.appointment_id,
                    dedupe_key=f"{note.dedupe_key or note.id}:fallback", urgent=note.urgent,
                )
        tail = f"; sent by {queued.channel} instead (#{queued.id})" if queued is not None else "; no SMS fallback"
        raise PermanentDeliveryError(f"push: {why}{tail}")
