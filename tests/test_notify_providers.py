"""Real notification providers: SMTP (aiosmtpd), Twilio REST (local fake), Web Push with VAPID (local fake)."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler

from models.tables import Notification, PushSubscription
from services.backend.clock import OffsetClock
from services.backend.embedded import EmbeddedServer
from services.notify.errors import DeliveryError, PermanentDeliveryError
from services.notify.smtp import SmtpProvider
from services.notify.twilio import TwilioProvider
from services.notify.webpush import generate_vapid_keys
from tests.conftest import Api, World, make_settings
from tests.fakeservers import FakeHttp


def note(**kw: Any) -> Notification:
    base = {"id": 7, "channel": "email", "kind": "en_route", "to_address": "ann@example.com",
            "subject": "Mike's Contracting: your technician is on the way", "body": "Marcus is on the way.",
            "created_at": datetime.now(UTC)}
    base.update(kw)
    return Notification(**base)


class Collect(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def smtpd() -> Iterator[tuple[Controller, Collect]]:
    handler = Collect()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctl = Controller(handler, hostname="127.0.0.1", port=port)
    ctl.start()
    yield ctl, handler
    ctl.stop()


def test_smtp_delivers_a_real_email(smtpd: tuple[Controller, Collect]) -> None:
    ctl, handler = smtpd
    p = SmtpProvider("127.0.0.1", ctl.port, sender="office@mikescontracting.example")
    p.send(note())
    assert len(handler.messages) == 1
    msg = handler.messages[0]
    assert msg["To"] == "ann@example.com" and msg["From"] == "office@mikescontracting.example"
    assert msg["Subject"] == "Mike's Contracting: your technician is on the way"
    assert "Marcus is on the way." in msg.get_payload()


def test_smtp_refused_recipient_is_permanent_and_down_server_is_retryable(smtpd: tuple[Controller, Collect]) -> None:
    ctl, _ = smtpd
    p = SmtpProvider("127.0.0.1", ctl.port, sender="office@example.com")
    with pytest.raises(PermanentDeliveryError, match="550"):
        p.send(note(to_address="nobody@example.com"))
    with pytest.raises(DeliveryError, match="unavailable") as err:
        SmtpProvider("127.0.0.1", 9, sender="office@example.com", timeout=2).send(note())
    assert not err.value.permanent


def twilio_handler(status_plan: list[int], fail_each_to: int = 0) -> Any:
    seen: dict[str, int] = {}

    def h(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        assert method == "POST" and path == "/2010-04-01/Accounts/AC123/Messages.json"
        assert headers["authorization"] == "Basic " + base64.b64encode(b"AC123:secret").decode()
        form = dict(p.split("=", 1) for p in body.decode().split("&"))
        seen[form["To"]] = seen.get(form["To"], 0) + 1
        code = status_plan.pop(0) if status_plan else (503 if seen[form["To"]] <= fail_each_to else 201)
        if code == 201:
            return 201, {"sid": "SM" + "0" * 32, "status": "queued", "to": form["To"], "from": form["From"],
                         "body": form["Body"], "error_code": None, "error_message": None}
        if code == 400:
            return 400, {"code": 21211, "message": "The 'To' number +1555 is not a valid phone number.",
                         "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}
        return code, {"code": 20500 if code == 500 else 20503, "message": "Internal Server Error", "status": code}

    return h


def test_twilio_rest_format_and_errors() -> None:
    srv = FakeHttp(twilio_handler([201, 400, 503]))
    try:
        p = TwilioProvider("AC123", "secret", "+15125550100", base_url=srv.url)
        p.send(note(channel="sms", to_address="+15125550199"))
        form = srv.requests[0]["body"].decode()
        assert "To=%2B15125550199" in form and "From=%2B15125550100" in form and "Body=Marcus" in form
        with pytest.raises(PermanentDeliveryError, match="21211"):
            p.send(note(channel="sms", to_address="+1555"))
        with pytest.raises(DeliveryError) as err:
            p.send(note(channel="sms", to_address="+15125550199"))
        assert not err.value.permanent
    finally:
        srv.close()


def wait_for(fn: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def outbox(world: World, appt_id: int) -> list[dict[str, Any]]:
    return world.dispatcher.get("/api/v1/notifications", params={"appointment_id": appt_id}).json()


def test_outbox_retries_twilio_with_backoff_and_shows_the_reason(sqlite_url: str) -> None:
    fake = FakeHttp(twilio_handler([], fail_each_to=2))
    clock = OffsetClock()
    srv = EmbeddedServer(make_settings(sqlite_url, sms_provider="twilio", twilio_account_sid="AC123",
                                       twilio_auth_token="secret", twilio_from="+15125550100",
                                       twilio_base_url=fake.url), clock=clock).start()
    api = Api(srv)
    try:
        w = World(api)
        appt = w.appt1["id"]
        first = wait_for(lambda: [n for n in outbox(w, appt) if n["channel"] == "sms" and n["attempts"] >= 1])[0]
        assert first["status"] == "queued" and "Twilio 20503" in first["last_error"] and first["provider"] == "twilio"
        clock.advance(seconds=6)  # first backoff: 5 s
        wait_for(lambda: [n for n in outbox(w, appt) if n["id"] == first["id"] and n["attempts"] >= 2])
        clock.advance(seconds=11)  # second backoff: 10 s
        sent = wait_for(lambda: [n for n in outbox(w, appt) if n["id"] == first["id"] and n["status"] == "sent"])[0]
        assert sent["attempts"] == 3 and sent["last_error"] == ""
        assert len([r for r in fake.requests if b"To=%2B15125550199" in r["body"]]) == 3
    finally:
        api.close()
        srv.stop()
        fake.close()


def push_keys() -> tuple[str, str]:
    """A browser-like subscription key pair (p256dh public point, 16-byte auth secret), base64url."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pub = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()  # noqa: E731
    return b64(pub), b64(b"0123456789abcdef")


@pytest.mark.parametrize("push_status", [201, 410])
def test_arrival_push_with_vapid_and_sms_fallback(sqlite_url: str, push_status: int) -> None:
    push = FakeHttp(lambda *a: (push_status, {}))
    priv, pub = generate_vapid_keys()
    srv = EmbeddedServer(make_settings(sqlite_url, vapid_private_key=priv, vapid_public_key=pub,
                                       vapid_subject="mailto:office@mikescontracting.example"),
                         clock=OffsetClock()).start()
    api = Api(srv)
    try:
        w = World(api)
        appt = w.appt1["id"]
        p256dh, auth = push_keys()
        with srv.backend.sessions() as s:
            s.add(PushSubscription(customer_id=w.cust1["id"], endpoint=f"{push.url}/push/v2/abc", p256dh=p256dh,
                                   auth=auth, created_at=datetime.now(UTC)))
            s.commit()
        for step in ("confirm", "on-my-way"):
            assert w.field1.post(f"/api/v1/field/appointments/{appt}/{step}").status_code == 200
        r = w.field1.post("/api/v1/field/positions", json={"positions": [
            {"lat": 30.2650, "lng": -97.7440, "accuracy_m": 5, "recorded_at": "2030-01-01T10:00:00Z", "speed_mps": 0}]})
        assert r.status_code == 200
        pushed = wait_for(lambda: [n for n in outbox(w, appt) if n["channel"] == "push" and n["status"] != "queued"])
        req = wait_for(lambda: [q for q in push.requests if q["method"] == "POST"])[0]
        assert req["path"] == "/push/v2/abc"
        assert req["headers"]["content-encoding"] == "aes128gcm"
        assert req["headers"]["authorization"].startswith("vapid t=") and f"k={pub}" in req["headers"]["authorization"]
        assert len(req["body"]) > 100  # encrypted payload, not the plain text
        assert b"has arrived" not in req["body"]
        if push_status == 201:
            assert pushed[0]["status"] == "sent" and pushed[0]["provider"] == "webpush"
            assert not [n for n in outbox(w, appt) if n["kind"] == "arrived" and n["channel"] == "sms"]
        else:
            assert pushed[0]["status"] == "failed" and "gone (410)" in pushed[0]["last_error"]
            sms = wait_for(lambda: [n for n in outbox(w, appt) if n["kind"] == "arrived" and n["channel"] == "sms"])
            assert sms[0]["body"] == "Marcus has arrived at your location." and sms[0]["to"] == "+15125550199"
            with srv.backend.sessions() as s:
                assert s.query(PushSubscription).count() == 0
    finally:
        api.close()
        srv.stop()
        push.close()
