"""Everything a request or background job needs: settings, clock, database, event bus, providers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from models.tables import Company
from models.timefmt import DEFAULT_TIME_ZONE
from services.backend.clock import Clock
from services.backend.events import EventBus
from services.backend.settings import Settings
from services.eta import EtaProvider, provider_from_settings

#: The settings the ETA provider is built from (process settings, overridden by the company's).
ETA_SETTINGS = ("eta_provider", "osrm_url", "eta_road_factor", "eta_urban_speed_kmh", "google_api_key",
                "google_maps_url")


class PassCounter:
    """How many watchdog passes have committed; lets a test wait for whole passes instead of sleeping."""

    def __init__(self) -> None:
        self._count = 0
        self._cond = threading.Condition()

    @property
    def count(self) -> int:
        with self._cond:
            return self._count

    def done(self) -> None:
        with self._cond:
            self._count += 1
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until `count` passes have committed; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._count < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True


@dataclass
class Backend:
    settings: Settings
    clock: Clock
    engine: Engine
    sessions: sessionmaker[Session]
    bus: EventBus
    eta: EtaProvider = None  # type: ignore[assignment]  # built from `settings` when not given
    public_url: str = ""
    instance_id: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    read_sessions: sessionmaker[Session] | None = None  # read-only, lock-free (SQLite); None: use `sessions`
    #: What a watchdog pass checks, in order: fn(session, ctx, now) -> how many things it raised (create_app).
    watchdog_checks: list[Callable[[Session, Backend, datetime], int]] = field(default_factory=list)
    watchdog_passes: PassCounter = field(default_factory=PassCounter)

    def __post_init__(self) -> None:
        if self.eta is None:
            self.eta = provider_from_settings(self.settings)

    def reader(self) -> Session:
        """A session for reads that never write (the token lookup on every request)."""
        return (self.read_sessions or self.sessions)()

    def dispose(self) -> None:
        """Close every pooled database connection."""
        self.engine.dispose()
        if self.read_sessions is not None:
            self.read_sessions.kw["bind"].dispose()

    def company(self, session: Session) -> Company:
        company = session.get(Company, 1)
        if company is None:
            company = Company(id=1, name="My Company", time_zone=DEFAULT_TIME_ZONE)
            session.add(company)
            session.flush()
        return company

    def setting(self, session: Session, name: str) -> Any:
        """A company-level override (console Settings) or the process setting."""
        company = session.get(Company, 1)
        if company is not None and name in (company.settings or {}):
            return company.settings[name]
        return getattr(self.settings, name)

    def rebuild_eta(self, session: Session) -> None:
        """Build the one ETA provider again from the settings as the company has them now."""
        values = {name: self.setting(session, name) for name in ETA_SETTINGS}
        company = session.get(Company, 1)
        key = ((company.settings or {}).get("secrets") or {}).get("google_api_key") if company else None
        if key:
            values["google_api_key"] = key
        # The old provider is left to requests still using it (its HTTP client closes with it).
        self.eta = provider_from_settings(SimpleNamespace(**values))

    def link(self, path: str) -> str:
        return f"{self.public_url.rstrip('/')}{path}"
