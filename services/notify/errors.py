"""Delivery errors providers raise: `permanent` ones are not retried (the outbox marks them failed at once)."""

from __future__ import annotations


class DeliveryError(Exception):
    """The provider did not accept the message; the text says why (shown in the outbox)."""

    permanent = False


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (bad number, rejected address, subscription gone)."""

    permanent = True
