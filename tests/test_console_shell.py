"""Console shell: demo screenshot, in-place model updates, sign-in, expired tokens, panels and settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QWidget

from console.local_auth import local_dispatcher_token
from console.signin import SignInDialog
from services.api_client import ApiClient
from tests.console_support import Console, local_day, run, token_of
from widgets.schedule_model import ScheduleModel

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _appt(i: int, tech: int | None, status: str = "scheduled", version: int = 1, hour: int = 15) -> dict[str, Any]:
    start = datetime(2030, 5, 6, hour, 0, tzinfo=UTC)
    return {"id": i, "technician_id": tech, "technician_name": f"T{tech}", "customer_name": f"C{i}",
            "service_type": "Leak repair", "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=2)).isoformat(), "status": status, "version": version,
            "late": False}


def test_model_updates_in_place_never_resets(qtbot: Any) -> None:
    m = ScheduleModel("America/Chicago")
    m.load(datetime(2030, 5, 6).date(), [{"id": 1, "name": "Ann"}, {"id": 2, "name": "Bo"}],
           [_appt(10, 1), _appt(11, None)])
    assert [ln.name for ln in m.lanes] == ["Unassigned", "Ann", "Bo"]
    resets: list[int] = []
    changed: list[int] = []
    m.modelReset.connect(lambda: resets.append(1))
    m.dataChanged.connect(lambda a, b: changed.append(m.data(a, ScheduleModel.IdRole)))
    assert m.upsert(_appt(10, 1, "dispatched", 2)) == "changed" and changed == [10]
    assert m.upsert(_appt(10, 1, "scheduled", 1)) == "same"  # older answer arriving late is ignored
    moves: list[int] = []
    m.rowsMoved.connect(lambda *a: moves.append(1))
    assert m.upsert(_appt(10, 2, "dispatched", 3)) == "moved" and moves == [1]
    assert m.lane_row_of(10) == 2
    inserted: list[int] = []
    m.rowsInserted.connect(lambda p, a, b: inserted.append(p.row()))
    assert m.upsert(_appt(12, 7)) == "inserted"  # unknown technician: a new lane, then the block
    assert m.lanes[-1].tech_id == 7
    other_day = _appt(11, None)
    other_day["window_start"] = "2030-05-09T15:00:00+00:00"
    other_day["window_end"] = "2030-05-09T17:00:00+00:00"
    assert m.upsert(other_day) == "removed" and m.appointment(11) is None
    assert resets == []
    assert m.rowCount() == 4 and m.rowCount(m.index(2, 0)) == 1
    idx = m.index_of(10)
    assert m.parent(idx).row() == 2 and m.data(idx, ScheduleModel.StatusRole) == "dispatched"


@SQLITE
def test_main_window_screenshot_with_demo_data(qtbot: Any, qloop: Any, server: Any, tmp_path: Path,
                                               artifacts: Path) -> None:
    from console.wiring import wire
    from services.backend.demo import seed_if_empty

    seed_if_empty(server.backend)
    token = local_dispatcher_token(server.backend)
    c = Console(qtbot, server.url, token, tmp_path, size=(1920, 1080))
    try:
        made = wire(c.window, c.live)
        for name in made:
            assert c.window.docks[name].widget() is made[name]
        c.window.resize(1920, 1080)
        qtbot.waitUntil(lambda: len(c.model.appts) > 10, timeout=5000)
        qtbot.wait(1500)
        assert c.window.link_label.text().endswith("Live")
        assert "appointments" in c.window.counts_label.text()
        img = c.window.grab()
        assert (img.width(), img.height()) == (1920, 1080)
        path = artifacts / "console_main.png"
        assert img.save(str(path))
        assert path.stat().st_size > 50_000
        # the demo's finished visits carry their arrival clock-in (time on site in the card)
        done = [a.id for a in c.model.appts.values() if a.status == "complete"]
        entry = httpx.get(f"{server.url}/api/v1/appointments/{done[0]}",
                          headers={"Authorization": f"Bearer {token}"}).json()["time_entry"]
        assert entry["started_at"] < entry["ended_at"] and entry["minutes_on_site"] > 0
    finally:
        c.close()


@SQLITE
def test_sign_in_dialog_errors_and_success(qtbot: Any, qloop: Any, world: Any) -> None:
    client = ApiClient(world.api.url)
    got: list[tuple[str, str, str, bool, dict[str, Any]]] = []

    async def login(server: str, email: str, pw: str) -> dict[str, Any]:
        return await client.login(email, pw)

    dlg = SignInDialog(login, server=world.api.url, email="dana@example.com", keyring_ok=False)
    qtbot.addWidget(dlg)
    dlg.signedIn.connect(lambda *a: got.append(a))
    dlg.show()
    assert dlg.keyring_note.isVisibleTo(dlg) and not dlg.remember.isEnabled()
    dlg.submit()
    assert "Enter your password" in dlg.error.text()
    dlg.password.setText("wrong-password")
    dlg.submit()
    qtbot.waitUntil(lambda: "Wrong email or password" in dlg.error.text(), timeout=5000)
    dlg.password.setText("dispatch123")
    dlg.submit()
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    server, email, token, remember, user = got[0]
    assert (server, email, remember, user["role"]) == (world.api.url, "dana@example.com", False, "dispatcher")
    assert token and dlg.password.text() == ""
    tech = SignInDialog(login, server=world.api.url, email="marcus@example.com")
    qtbot.addWidget(tech)
    tech.password.setText("techpass1")
    tech.submit()
    qtbot.waitUntil(lambda: "not a dispatcher account" in tech.error.text(), timeout=5000)
    run(qtbot, client.aclose())


@SQLITE
def test_expired_token_asks_to_sign_in_again_and_keeps_the_screen(qtbot: Any, qloop: Any, world: Any,
                                                                  server: Any, tmp_path: Path) -> None:
    from sqlalchemy import update

    from models.tables import ApiToken

    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path,
                day=local_day(world.appt1["window_start"]))
    try:
        asked: list[str] = []
        c.window.signInRequested.connect(asked.append)
        before = set(c.model.appts)
        with server.backend.sessions() as s:
            s.execute(update(ApiToken).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
            s.commit()
        c.window.refresh()
        qtbot.waitUntil(lambda: bool(asked), timeout=5000)
        assert "Sign in again" in asked[0]
        assert set(c.model.appts) == before and before  # nothing on screen was cleared
        # Signing in again (here: a fresh token) resumes without a reload of the window.
        c.client.set_token(local_dispatcher_token(server.backend))
        c.live.resume()
        c.window.refresh()
        qtbot.waitUntil(lambda: c.live.stream.state.value == "live", timeout=8000)
    finally:
        c.close()


@SQLITE
def test_panels_selection_bus_and_settings(qtbot: Any, qloop: Any, world: Any, tmp_path: Path) -> None:
    day = local_day(world.appt1["window_start"])
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path, day=day)
    try:
        w = c.window
        assert set(w.docks) >= {"Booking requests", "Late alerts", "Crew map", "Portal preview", "Bio approvals"}
        assert isinstance(w.docks["Late alerts"].widget(), QLabel)
        panel = QWidget()
        w.set_panel("Late alerts", panel)
        assert w.docks["Late alerts"].widget() is panel
        with qtbot.waitSignal(w.appointmentSelected, timeout=2000) as sel:
            w.select_appointment(world.appt2["id"])
        assert sel.args == [world.appt2["id"]] and w.view.selected_id == world.appt2["id"]
        with qtbot.waitSignal(w.technicianSelected, timeout=2000) as tsel:
            w.select_technician(world.tech1["id"])
        assert tsel.args == [world.tech1["id"]]
        # filters: one technician's lane, then text search dims non-matching blocks
        w.bar.tech_combo.setCurrentIndex(w.bar.tech_combo.findData(world.tech2["id"]))
        assert [c.model.lanes[r].tech_id for r in w.view._vis] == [world.tech2["id"]]
        w.bar.tech_combo.setCurrentIndex(0)
        w.bar.search.setText("ann lee")
        assert w.view.matches(c.model.appts[world.appt1["id"]])
        assert not w.view.matches(c.model.appts[world.appt2["id"]])
        tip = w.view.tooltip_for(world.appt1["id"])
        assert "Ann Lee" in tip and "Marcus Reed" in tip
        # day navigation and persistence
        with qtbot.waitSignal(c.live.dayLoaded, timeout=5000):
            qtbot.keyClick(w, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
        assert c.model.day == day + timedelta(days=1) and not c.model.appts
        assert w.view.empty_text.startswith("No appointments on ")  # an empty day says so
        w.toggle_theme()
        w.close()
        s = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
        assert s.value("schedule/last_day") == (day + timedelta(days=1)).isoformat()
        assert s.value("theme/dark", type=bool) is True and s.value("window/state") is not None
    finally:
        c.close()
        from PySide6.QtWidgets import QApplication

        from console import theme

        theme.apply(QApplication.instance(), False)  # type: ignore[arg-type]


def test_qt_binding_keeps_none_and_true_alive(qapp: Any) -> None:
    """PySide6 6.12.0 on CPython 3.11 drops a reference to None on every void call and to True on every emit;
    a console left running aborts ("deallocating None"). pyproject pins PySide6 < 6.12 for this reason."""
    import sys

    from PySide6.QtCore import QObject, Signal
    from PySide6.QtGui import QImage, QPainter

    class Probe(QObject):
        ping = Signal()

    img = QImage(10, 10, QImage.Format.Format_ARGB32)
    p = QPainter(img)
    probe = Probe()
    none0, true0 = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(50):
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        probe.ping.emit()
    p.end()
    lost_none, lost_true = none0 - sys.getrefcount(None), true0 - sys.getrefcount(True)
    import ctypes

    for obj, lost in ((None, lost_none), (True, lost_true)):
        for _ in range(max(0, lost)):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))  # undo the damage so the test run can continue
    assert lost_none < 25 and lost_true < 25, (
        f"this PySide6 build loses references (None: {lost_none}, True: {lost_true} per 50 calls); "
        "install PySide6 < 6.12 (see pyproject.toml)")
