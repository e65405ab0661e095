"""The tracker page in a real browser engine (Qt WebEngine, phone width): every state screenshotted, and the
ETA and car update without a reload."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtWebEngineWidgets  # noqa: F401  (before the QApplication exists)

from models.tables import Technician
from services.backend.demo import logo_png, portrait_png
from services.backend.embedded import EmbeddedServer
from tests.conftest import Api, World
from tests.qt_portal_support import wait_for
from tests.tracking_helpers import approach, ensure_tracker, fix, post_fixes

SITE = (30.2650, -97.7440)
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def pump(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    return wait_for(None, predicate, timeout)


class Phone:
    def __init__(self, width: int = 390, height: int = 900):
        from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
        from PySide6.QtWebEngineWidgets import QWebEngineView

        self.view = QWebEngineView()
        self.profile = QWebEngineProfile()
        page = QWebEnginePage(self.profile, self.view)
        self.profile.setParent(page)  # the page is released first, then its profile (Qt warns otherwise)
        self.view.setPage(page)
        self.view.resize(width, height)
        self.loads = 0
        self.view.loadFinished.connect(lambda ok: setattr(self, "loads", self.loads + 1))
        self.view.show()

    def load(self, url: str) -> None:
        from PySide6.QtCore import QUrl

        before = self.loads
        self.view.setUrl(QUrl(url))
        pump(lambda: self.loads > before)

    def js(self, script: str) -> Any:
        box: list[Any] = []
        self.view.page().runJavaScript(script, 0, lambda v: box.append(v))
        pump(lambda: box)
        return box[0]

    def shot(self, path: Path) -> None:
        pump(lambda: self.js("document.readyState") == "complete")
        pump(lambda: self.js("Array.from(document.images).every(i => i.complete)"))
        for _ in range(20):  # let layout and images paint
            from PySide6.QtCore import QCoreApplication

            QCoreApplication.processEvents()
            time.sleep(0.02)
        assert self.view.grab().save(str(path))


def test_tracker_states_on_a_phone(qapp: Any, world: World, api: Api, server: EmbeddedServer, artifacts: Path) -> None:
    w = world
    with server.backend.sessions() as s:
        c = server.backend.company(s)
        c.name, c.phone, c.logo_png = "Mike's Contracting", "(512) 555-0142", logo_png()
        s.get(Technician, w.tech1["id"]).photo_png = portrait_png("Marcus Reed", "#0072B2")
        s.commit()
    w.field1.put("/api/v1/field/bio", json={"bio": "Licensed master plumber with 12 years in Austin homes. "
                                                   "I'll always put on shoe covers."})
    w.dispatcher.post(f"/api/v1/technicians/{w.tech1['id']}/bio/approve")
    now = server.backend.clock.now()
    appt = w.appt1["id"]
    token = ensure_tracker(server, appt)
    url = f"{server.url}/tracker/{token}"
    phone = Phone()

    def snap(name: str, expect: str) -> None:
        phone.load(url)
        assert expect in phone.js("document.body.innerText"), phone.js("document.body.innerText")
        phone.shot(artifacts / f"tracker_{name}.png")

    snap("1_scheduled", "Your appointment is scheduled")
    w.field1.post(f"/api/v1/field/appointments/{appt}/confirm")
    snap("2_dispatched", "White 2021 Ford F-150")
    post_fixes(w.field1, [fix(SITE, -900, -1400, now)])
    w.field1.post(f"/api/v1/field/appointments/{appt}/on-my-way")
    snap("3_en_route", "arriving around")

    # ETA and car move without a reload (the page polls its JSON).
    before_eta = phone.js("document.getElementById('trk-eta').textContent")
    before_car = phone.js("document.getElementById('trk-car').getAttribute('transform')")
    loads = phone.loads
    post_fixes(w.field1, [fix(SITE, -100, -250, now + timedelta(seconds=30))])
    server.backend.clock.advance(seconds=1)  # type: ignore[attr-defined]
    pump(lambda: phone.js("document.getElementById('trk-car').getAttribute('transform')") != before_car, 25)
    assert phone.loads == loads, "updated in place, not reloaded"
    after_eta = phone.js("document.getElementById('trk-eta').textContent")
    assert after_eta.startswith("arriving around") and after_eta != before_eta
    phone.shot(artifacts / "tracker_3b_en_route_closer.png")

    post_fixes(w.field1, approach(SITE, now + timedelta(seconds=60), from_m=250))
    snap("4_arrived", "Your technician has arrived")
    w.field1.post(f"/api/v1/field/appointments/{appt}/start")
    snap("5_in_progress", "Tracking has ended")
    w.field1.post(f"/api/v1/field/appointments/{appt}/complete")
    snap("6_completed", "This appointment has been completed")

    late = w.schedule(w.cust1["id"], w.tech1["id"], start=now - timedelta(minutes=40))["id"]
    w.field1.post(f"/api/v1/field/appointments/{late}/confirm")
    late_token = ensure_tracker(server, late)
    url = f"{server.url}/tracker/{late_token}"
    pump(lambda: api.anon.get(f"/api/v1/tracker/{late_token}").json()["late"], 15)
    snap("7_late", "Call Mike's Contracting")
    phone.load(f"{server.url}/tracker/{'x' * 32}")
    phone.shot(artifacts / "tracker_8_invalid_link.png")
