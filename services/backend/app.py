"""Builds the FastAPI application: routes, error format, schema upgrade and background jobs."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.orm import Session

from models.public.staff import HealthPublic
from services.backend import booking_ops, contract, eta_refresh, param_guard, visit_facts, watchdog
from services.backend.clock import Clock
from services.backend.context import Backend
from services.backend.db import make_engine, make_read_engine, make_sessionmaker, normalise_url, upgrade_schema
from services.backend.errors import error_body, install_error_handlers
from services.backend.events import EventBus
from services.backend.routes import (
    alerts,
    appointments,
    auth,
    board,
    booking,
    booking_pages,
    company,
    crew,
    devices,
    dispatch,
    events,
    field,
    field_events,
    field_jobs,
    field_pages,
    insights,
    osmand,
    portal,
    portal_pages,
    portal_prefs,
    preview,
    settings_api,
    sign_in_locks,
    skills,
    staff,
    tracker,
    visit_photos,
)
from services.backend.settings import Settings
from services.backend.user_content import UserContentHeaders

log = logging.getLogger(__name__)

#: Every router, in the order they are mounted.
ROUTERS: list[APIRouter] = [
    auth.router, staff.router, *board.routers,  # the board's before /appointments/{id} (/appointments/search)
    appointments.router, field.router, alerts.router, events.router, company.router,
    booking.dispatcher_router, booking.portal_router, booking_pages.router, portal.router, portal_pages.router,
    tracker.pages, tracker.api, preview.router, settings_api.router, portal_prefs.router, visit_photos.router,
    crew.router, sign_in_locks.router, insights.router, field_jobs.router, field_events.router, field_pages.router,
    osmand.router, devices.router, skills.router, dispatch.router,
]

#: What one watchdog pass checks, in order.
WATCHDOG_CHECKS: list[watchdog.Check] = [
    watchdog.check_late,  # LATE alerts and the customer's "we're checking" message
    booking_ops.check_stale,  # booking requests without a response for 48 hours
    eta_refresh.check_etas,  # en-route ETAs kept fresh when a phone goes quiet
    visit_facts.background_check,  # Insights' per-visit facts of the last days kept current
]


def build_backend(settings: Settings, clock: Clock | None = None) -> Backend:
    engine = make_engine(settings.db_url)
    sessions = make_sessionmaker(engine)
    bus = EventBus()
    bus.attach(Session)
    read_engine = make_read_engine(settings.db_url)
    return Backend(settings=settings, clock=clock or Clock(), engine=engine, sessions=sessions, bus=bus,
                   instance_id=uuid.uuid4().hex[:12],
                   read_sessions=make_sessionmaker(read_engine) if read_engine is not None else None)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """The whole backend as one ASGI app. Background jobs start with the app unless disabled."""
    settings = settings or Settings()
    ctx = build_backend(settings, clock)
    ctx.watchdog_checks = list(WATCHDOG_CHECKS)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(upgrade_schema, ctx.engine)
        with ctx.sessions() as s:
            ctx.company(s)
            s.commit()
            ctx.rebuild_eta(s)
        from services.notify import providers_from_settings

        ctx.extras["providers"] = providers_from_settings(settings)
        if ctx.engine.dialect.name == "postgresql":
            dsn = normalise_url(settings.db_url).replace("postgresql+psycopg://", "postgresql://")
            ctx.bus.start_pg_listener(dsn)
        tasks: list[asyncio.Task[None]] = []
        if settings.run_background_jobs:
            tasks = [
                asyncio.create_task(watchdog.loop_forever(ctx, watchdog.run_checks,
                                                          lambda: settings.watchdog_interval_s)),
                asyncio.create_task(watchdog.loop_forever(ctx, watchdog.run_outbox,
                                                          lambda: settings.outbox_interval_s)),
                asyncio.create_task(watchdog.loop_forever(ctx, watchdog.run_prune, lambda: 3600.0)),
            ]
        try:
            yield
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            ctx.bus.stop()
            ctx.bus.wake()

    app = FastAPI(
        dependencies=[Depends(param_guard.check)],  # values no database takes: 404 in a path, 422 in a query
        title="Dispatch Console backend",
        version=_version(),
        description="Console, field-app, customer portal and tracker API.",
        lifespan=lifespan,
    )
    app.state.backend = ctx
    app.add_middleware(UserContentHeaders)
    install_error_handlers(app)
    contract.install(app)  # every operation's error statuses in the real error format (services/backend/contract.py)

    @app.get("/healthz", tags=["ops"], response_model=HealthPublic,
             responses=contract.errors(503, s503="The database is unreachable."))
    def healthz() -> Any:
        """200 when the backend can serve (database reachable)."""
        try:
            with ctx.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse(error_body("unavailable", f"Database unreachable: {exc}"), 503)
        return {"status": "ok", "instance": ctx.instance_id}

    for router in ROUTERS:
        app.include_router(router)
    from fastapi.staticfiles import StaticFiles

    from services.backend.templating import STATIC

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("dispatch-console")
    except Exception:
        return "0.1.0"
