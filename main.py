"""Dispatch Console — the one entry point.

  python main.py                      the console over an embedded backend (SQLite in your data folder)
  python main.py --demo               the same with a demo company and technicians driving around
  python main.py --server URL         the console signed in to a team server
  python main.py serve [--db URL] [--host H] [--port P] [--demo]
                                      the shared backend (team mode; PostgreSQL for several replicas)
  python main.py users add --db URL --role admin|dispatcher --email E --password P [--name N]
                                      first accounts of a team server
  python main.py simulate --server URL [--password P]
                                      the field simulator against a running backend
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def _version() -> str:
    bundled = Path(getattr(sys, "_MEIPASS", "")) / "bundle_version.txt"
    if getattr(sys, "frozen", False) and bundled.is_file():
        return bundled.read_text().strip()
    try:
        from importlib.metadata import version

        return version("dispatch-console")
    except Exception:
        return "0.1.0"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="main.py",
        description="Dispatch Console: the dispatcher's desktop app, its shared backend and the customer portal.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n", 2)[2],
    )
    p.add_argument("--version", action="version", version=f"DispatchConsole {_version()}")
    p.add_argument("--demo", action="store_true", help="seed a demo company and run the field simulator")
    p.add_argument("--server", metavar="URL", help="connect to a team server instead of the embedded one")
    p.add_argument("--data-dir", metavar="DIR", help="where the embedded backend keeps its SQLite file")
    p.add_argument("--self-check", action="store_true", help="start, load the portal and map offscreen, exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("serve", help="run the shared backend (team mode)",
                       description="Run the shared backend: console API, field-app API, portal and tracker.")
    s.add_argument("--db", default=None, help="database URL (default: DISPATCH_DB_URL or a SQLite file here)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    s.add_argument("--demo", action="store_true", help="seed the demo company (if empty) and simulate the field")
    s.add_argument("--public-url", default=None, help="base URL customers reach this server at (for links)")

    u = sub.add_parser("users", help="manage accounts of a team server")
    usub = u.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    ua = usub.add_parser("add", help="add an admin or dispatcher account")
    ua.add_argument("--db", required=True, help="database URL of the team server")
    ua.add_argument("--role", required=True, choices=["admin", "dispatcher"])
    ua.add_argument("--email", required=True)
    ua.add_argument("--password", required=True)
    ua.add_argument("--name", default=None, help="display name (default: the part of the email before @)")

    sim = sub.add_parser("simulate", help="drive demo technicians through the field-app API")
    sim.add_argument("--server", required=True, help="backend URL, e.g. http://127.0.0.1:8000")
    sim.add_argument("--password", default="demo1234", help="the demo technicians' password")
    sim.add_argument("--speed", type=float, default=1.0, help="time multiplier for driving (default 1)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns what matters
    if args.command == "serve":
        from services.backend.cli import serve

        return serve(args)
    if args.command == "users":
        from services.backend.cli import users_add

        return users_add(args)
    if args.command == "simulate":
        from services.simulator import run_cli

        return run_cli(args)
    if args.self_check:
        from console.self_check import run as self_check

        return self_check()
    from console.app import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
