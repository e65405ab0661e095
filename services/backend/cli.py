"""Command-line actions of main.py: serve the backend, add users."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sqlalchemy import func, select

from models.tables import User
from services.backend.db import make_engine, make_sessionmaker, upgrade_schema
from services.backend.security import hash_password
from services.backend.settings import Settings


def serve(args: argparse.Namespace) -> int:
    """Run the shared backend with uvicorn (blocking)."""
    import uvicorn

    from services.backend.app import create_app

    settings = Settings()
    if args.db:
        settings.db_url = args.db
    elif "DISPATCH_DB_URL" not in os.environ:
        settings.db_url = f"sqlite:///{Path('dispatch.db').resolve()}"
    app = create_app(settings)
    ctx = app.state.backend
    ctx.public_url = args.public_url or settings.public_url or f"http://{args.host}:{args.port}"
    if args.demo:
        from services.backend.demo import schedule_demo_on_start

        schedule_demo_on_start(app, simulate=True)
    print(f"Dispatch backend on http://{args.host}:{args.port}  (database: {settings.db_url.split('@')[-1]})")
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def users_add(args: argparse.Namespace) -> int:
    """Create an admin or dispatcher account (upgrading the schema first)."""
    from datetime import UTC, datetime

    if len(args.password) < 8:
        print("error: --password must be at least 8 characters")
        return 2
    engine = make_engine(args.db)
    upgrade_schema(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as s:
        if s.scalar(select(User.id).where(func.lower(User.email) == args.email.lower())):
            print(f"error: an account for {args.email} already exists")
            return 1
        name = args.name or args.email.split("@")[0]
        s.add(User(email=args.email, name=name, role=args.role, password_hash=hash_password(args.password),
                   created_at=datetime.now(UTC)))
        s.commit()
    print(f"Added {args.role} {args.email}")
    return 0
