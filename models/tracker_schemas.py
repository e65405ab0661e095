"""Request bodies of the customer tracker API (Web Push subscriptions)."""

from __future__ import annotations

from pydantic import Field, field_validator

from models.schemas import Body


class PushKeys(Body):
    p256dh: str = Field(min_length=16, max_length=200, pattern=r"^[A-Za-z0-9_\-=+/]+$")
    auth: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_\-=+/]+$")


class PushSubscriptionIn(Body):
    """What the browser's PushManager.subscribe() returns (PushSubscription.toJSON())."""

    endpoint: str = Field(min_length=10, max_length=2000)
    keys: PushKeys
    expirationTime: float | None = None  # noqa: N815 (the browser's field name)

    @field_validator("endpoint")
    @classmethod
    def _https(cls, v: str) -> str:
        if not v.startswith("https://"):
            raise ValueError("must be the https:// endpoint the browser's push service gave you")
        return v
