"""Run the backend in-process on a free loopback port (the console's embedded mode, and the tests)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

from services.backend.app import create_app
from services.backend.clock import Clock
from services.backend.context import Backend
from services.backend.settings import Settings

log = logging.getLogger(__name__)


def default_data_dir() -> Path:
    """The user's data directory by platform convention (e.g. ~/.local/share/DispatchConsole)."""
    from platformdirs import user_data_dir

    path = Path(user_data_dir("DispatchConsole", "DispatchConsole"))
    path.mkdir(parents=True, exist_ok=True)
    return path


class EmbeddedServer:
    """A uvicorn server in a background thread; `url` is known once `start()` returns."""

    def __init__(self, settings: Settings, clock: Clock | None = None, host: str = "127.0.0.1", port: int = 0):
        self.settings = settings
        self.app: FastAPI = create_app(settings, clock)
        self.host, self.port = host, port
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def backend(self) -> Backend:
        return self.app.state.backend

    @property
    def url(self) -> str:
        """Where this process reaches the server (loopback even when it listens on every address)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 60.0) -> EmbeddedServer:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, self.port))
        self.port = self._sock.getsockname()[1]
        if not self.backend.public_url:
            self.backend.public_url = self.settings.public_url or self.url
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="embedded-backend", daemon=True)
        self._thread.start()
        self.wait_healthy(timeout)
        return self

    def _run(self) -> None:
        assert self._server is not None and self._sock is not None
        # A plain selector loop whatever the global policy is (the console runs a Qt loop in the main thread).
        with asyncio.Runner(loop_factory=asyncio.SelectorEventLoop) as runner:
            runner.run(self._server.serve(sockets=[self._sock]))

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self._thread is not None and not self._thread.is_alive():
                raise RuntimeError("The embedded backend stopped while starting; see the log above.")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200 and self._server.started:
                    return
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.05)
        raise TimeoutError(f"The embedded backend did not become healthy in {timeout:.0f} s ({last}).")

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._sock is not None:
            self._sock.close()
        self.backend.dispose()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"
