"""Everything a request or background job needs: settings, clock, database, event bus, providers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from models.tables import Company
from services.backend.clock import Clock
from services.backend.events import EventBus
from services.backend.settings import Settings
from services.eta import EtaProvider, OfflineEta


@dataclass
class Backend:
    settings: Settings
    clock: Clock
    engine: Engine
    sessions: sessionmaker[Session]
    bus: EventBus
    eta: EtaProvider = field(default_factory=OfflineEta)
    public_url: str = ""
    instance_id: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    read_sessions: sessionmaker[Session] | None = None  # read-only, lock-free (SQLite); None: use `sessions`

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
            company = Company(id=1, name="My Company", time_zone="America/Chicago")
            session.add(company)
            session.flush()
        return company

    def setting(self, session: Session, name: str) -> Any:
        """A company-level override (console Settings) or the process setting."""
        company = session.get(Company, 1)
        if company is not None and name in (company.settings or {}):
            return company.settings[name]
        return getattr(self.settings, name)

    def link(self, path: str) -> str:
        return f"{self.public_url.rstrip('/')}{path}"
