"""Token storage in the OS keyring; with no keyring backend, tokens stay in memory only (never on disk)."""

from __future__ import annotations

import logging

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, NoKeyringError

log = logging.getLogger(__name__)
SERVICE = "DispatchConsole"


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring (tests, and the fallback when the OS has none)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self._store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._store.pop((service, username), None)


class TokenStore:
    """Remembers sign-in tokens per server URL and account."""

    def __init__(self) -> None:
        self._memory = MemoryKeyring()
        self.persistent = keyring_available()

    @staticmethod
    def _key(server: str, email: str) -> str:
        return f"{server.rstrip('/')}|{email.lower()}"

    def get(self, server: str, email: str) -> str | None:
        key = self._key(server, email)
        if self.persistent:
            try:
                return keyring.get_password(SERVICE, key)
            except KeyringError as exc:
                log.warning("keyring read failed: %s", exc)
        return self._memory.get_password(SERVICE, key)

    def set(self, server: str, email: str, token: str, *, remember: bool) -> bool:
        """Store the token; True if it was saved in the OS keyring, False if kept in memory only."""
        key = self._key(server, email)
        self._memory.set_password(SERVICE, key, token)
        if remember and self.persistent:
            try:
                keyring.set_password(SERVICE, key, token)
                return True
            except KeyringError as exc:
                log.warning("keyring write failed, keeping the token in memory: %s", exc)
        return False

    def forget(self, server: str, email: str) -> None:
        key = self._key(server, email)
        self._memory.delete_password(SERVICE, key)
        if self.persistent:
            try:
                keyring.delete_password(SERVICE, key)
            except KeyringError:
                pass


def keyring_available() -> bool:
    """Whether a real (non-fail, non-plaintext) keyring backend exists on this machine."""
    try:
        kr = keyring.get_keyring()
    except Exception:
        return False
    name = type(kr).__module__ + "." + type(kr).__name__
    if "fail" in name.lower() or "null" in name.lower() or "PlaintextKeyring" in name:
        return False
    try:
        kr.get_password(SERVICE, "__probe__")
    except (NoKeyringError, KeyringError, RuntimeError):
        return False
    except Exception:
        return False
    return True
