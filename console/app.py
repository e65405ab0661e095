"""Console start-up: QApplication on qasync, embedded or team server, sign-in, main window, shutdown."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLabel

from console import theme
from console.availability_menu import install as install_availability
from console.booking_menu import install as install_booking
from console.dispatch_menu import install as install_dispatch
from console.insights_menu import install as install_insights
from console.live import LiveSync
from console.main_window import MainWindow
from console.secrets import TokenStore
from console.signin import SignInDialog
from console.wiring import wire
from services.api_client import ApiClient, ApiError
from widgets.schedule_model import ScheduleModel

log = logging.getLogger(__name__)


def run(args: argparse.Namespace) -> int:
    """Entry point used by main.py: returns the process exit code."""
    import qasync

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("DispatchConsole")
    app.setApplicationName("Dispatch Console")
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(theme.icon("app"))
    theme.apply(app, QSettings().value("theme/dark", False, type=bool))
    # The Qt loop is set for this thread only (qasync.run would install a global policy on Python 3.11, and the
    # embedded backend's thread would then get a Qt loop too).
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return int(loop.run_until_complete(Console(args, app).main()))
    except KeyboardInterrupt:
        return 130


class Console:
    """Everything one console session owns, torn down in reverse order."""

    def __init__(self, args: argparse.Namespace, app: QApplication):
        self.args, self.app = args, app
        self.server: Any = None
        self.simulator: Any = None
        self.client: ApiClient | None = None
        self.live: LiveSync | None = None
        self.window: MainWindow | None = None
        self.store = TokenStore()
        self.settings = QSettings()
        self.server_url = ""
        self._dialog: SignInDialog | None = None

    async def main(self) -> int:
        splash = QLabel("  Starting Dispatch Console…  ")
        splash.setWindowFlags(Qt.WindowType.SplashScreen | Qt.WindowType.FramelessWindowHint)
        splash.setStyleSheet("font-size:14pt;padding:28px;background:#0072B2;color:white;")
        if not getattr(self.args, "server", None):
            splash.show()
        try:
            user = await (self._remote() if getattr(self.args, "server", None) else self._embedded())
        except Exception as exc:
            splash.close()
            log.exception("start-up failed")
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.critical(None, "Dispatch Console could not start", str(exc))
            await self._shutdown()
            return 1
        splash.close()
        if user is None:
            await self._shutdown()
            return 1
        assert self.client is not None
        self.live = LiveSync(self.client, ScheduleModel())
        self.window = MainWindow(self.live, settings=self.settings, user_name=user.get("name", ""),
                                 server_label="Local" if self.server else self.server_url,
                                 role=str(user.get("role") or "dispatcher"))
        closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.window.closing.connect(lambda: closed.done() or closed.set_result(None))
        self.window.signInRequested.connect(self.reauthenticate)
        wire(self.window, self.live)
        install_insights(self.window, self.live.client)  # Reports → Insights…
        install_booking(self.window, self.live)  # New appointment, conflicts before moves
        install_availability(self.window, self.live)  # hours and time off: editor, shading, booked / capacity
        install_dispatch(self.window, self.live)  # Dispatch → Optimize day…, Who is best…, Skills and zones…
        show_window(self.window)
        await self.live.start(day=self.window.saved_day())
        if getattr(self.args, "self_check", False):
            ok = await self._self_check()
            self.window.close()
            await self._shutdown()
            return 0 if ok else 1
        await closed
        await self._shutdown()
        return 0

    # --- embedded and team modes ----------------------------------------------------------------------
    async def _embedded(self) -> dict[str, Any]:
        import os

        from console.local_auth import LOCAL_NAME, local_dispatcher_token, user_token
        from services.backend.embedded import EmbeddedServer, default_data_dir
        from services.backend.settings import Settings

        data_dir = Path(self.args.data_dir) if getattr(self.args, "data_dir", None) else None
        if data_dir is None and getattr(self.args, "self_check", False):
            data_dir = Path(tempfile.mkdtemp(prefix="dispatch-selfcheck-"))
        data_dir = data_dir or default_data_dir()
        data_dir.mkdir(parents=True, exist_ok=True)
        settings = Settings()
        if "DISPATCH_DB_URL" not in os.environ:
            settings.db_url = f"sqlite:///{data_dir / 'dispatch.db'}"
        self.server = EmbeddedServer(settings, host=settings.embedded_host, port=settings.embedded_port)
        await asyncio.to_thread(self.server.start)
        if getattr(self.args, "demo", False) or getattr(self.args, "self_check", False):
            from services.backend.demo import seed_demo

            await asyncio.to_thread(seed_demo, self.server.backend)
        if getattr(self.args, "demo", False):
            self._start_simulator()
        self.server_url = self.server.url
        if getattr(self.args, "demo", False):  # the demo's own administrator, so changes name a demo account
            from services.backend.demo import ADMIN_EMAIL

            found = await asyncio.to_thread(user_token, self.server.backend, ADMIN_EMAIL)
            if found is not None:
                self.embedded_email = ADMIN_EMAIL
                self.client = ApiClient(self.server.url, found[0])
                return found[1]
        token = await asyncio.to_thread(local_dispatcher_token, self.server.backend)
        self.client = ApiClient(self.server.url, token)
        return {"name": LOCAL_NAME, "role": "admin"}

    def _start_simulator(self) -> None:
        try:
            from services.simulator import Simulator
        except ImportError as exc:
            log.warning("the field simulator is not available (%s); demo technicians will stand still", exc)
            return
        server = self.server
        self.simulator = Simulator(lambda: server.url, password="demo1234")
        self.simulator.start_thread()

    async def _remote(self) -> dict[str, Any] | None:
        self.server_url = str(self.args.server).rstrip("/")
        self.client = ApiClient(self.server_url)
        email = str(self.settings.value("auth/email", "") or "")
        token = self.store.get(self.server_url, email) if email else None
        if token:
            self.client.set_token(token)
            try:
                return await self.client.me()
            except ApiError as exc:
                log.info("remembered sign-in not accepted: %s", exc)
                self.client.set_token(None)
        return await self._ask_sign_in("", locked=False)

    async def _ask_sign_in(self, reason: str, *, locked: bool) -> dict[str, Any] | None:
        assert self.client is not None
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[dict[str, Any] | None] = loop.create_future()

        async def login(server: str, email: str, password: str) -> dict[str, Any]:
            assert self.client is not None
            if server != self.client.base_url:
                await self.client.aclose()
                self.client = ApiClient(server)
                self.server_url = server
            return await self.client.login(email, password)

        dialog = SignInDialog(login, server=self.server_url, email=str(self.settings.value("auth/email", "") or ""),
                              keyring_ok=self.store.persistent, reason=reason, server_locked=locked,
                              parent=self.window)

        def signed_in(server: str, email: str, token: str, remember: bool, user: dict[str, Any]) -> None:
            self.settings.setValue("auth/email", email)
            saved = self.store.set(server, email, token, remember=remember)
            if remember and not saved:
                log.info("no keyring: the token stays in memory only")
            if not fut.done():
                fut.set_result(user)

        dialog.signedIn.connect(signed_in)
        dialog.rejected.connect(lambda: fut.done() or fut.set_result(None))
        self._dialog = dialog
        dialog.open()
        try:
            return await fut
        finally:
            self._dialog = None

    def reauthenticate(self, reason: str) -> None:
        """401 during use: sign in again without touching what is on screen, then resume live updates."""
        if self._dialog is not None:
            return

        async def again() -> None:
            assert self.client is not None and self.live is not None
            if self.server is not None:
                from console.local_auth import local_dispatcher_token, user_token

                email = getattr(self, "embedded_email", "")
                found = await asyncio.to_thread(user_token, self.server.backend, email) if email else None
                self.client.set_token(found[0] if found is not None else
                                      await asyncio.to_thread(local_dispatcher_token, self.server.backend))
            else:
                user = await self._ask_sign_in(reason or "Your session has expired. Sign in again to continue.",
                                               locked=True)
                if user is None:
                    return
            self.live.resume()

        if self.live is not None:
            self.live.tasks.spawn(again(), "sign in again")

    async def _self_check(self) -> bool:
        assert self.live is not None
        loaded = asyncio.get_running_loop().create_future()
        self.live.dayLoaded.connect(lambda d: loaded.done() or loaded.set_result(d))
        try:
            await asyncio.wait_for(loaded, 30)
        except TimeoutError:
            print("self-check: the schedule did not load in 30 s")
            return False
        checks = [getattr(w, "self_check", None) for w in (self.window.panels.values() if self.window else [])]
        for check in filter(callable, checks):
            result = check()
            if asyncio.iscoroutine(result):
                result = await asyncio.wait_for(result, 60)
            if result is False:
                print(f"self-check: {check} failed")
                return False
        print(f"self-check ok: {len(self.live.model.appts)} appointments, link {self.live.stream.state.value}")
        return True

    async def _shutdown(self) -> None:
        if self.live is not None:
            await self.live.stop()
        if self.client is not None:
            await self.client.aclose()
        if self.simulator is not None:
            try:
                self.simulator.stop()
            except Exception:
                log.exception("simulator stop failed")
        if self.server is not None:
            await asyncio.to_thread(self.server.stop)


def show_window(window: Any) -> None:
    """Maximized on the first start; afterwards the size, place and state the dispatcher left it in."""
    if window.restored:
        window.show()
    else:
        window.showMaximized()
