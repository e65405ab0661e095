"""The console's Settings dialog against a real backend: admin edits, field errors, read-only for dispatchers."""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtWebEngineWidgets  # noqa: F401  (before any QApplication)
from PySide6.QtWidgets import QLineEdit, QSpinBox

from console.settings_dialog import SettingsDialog
from services.api_client import ApiClient
from tests.conftest import Api, World, add_user
from tests.qt_loop import run


def _token(c) -> str:  # type: ignore[no-untyped-def]
    return c.headers["Authorization"].split()[1]


def test_admin_edits_settings_with_errors_next_to_fields(qtbot, api: Api, world: World, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    add_user(api.server, "boss@example.com", "admin-pass-1", "admin", "Mike Boss")
    admin = api.login("boss@example.com", "admin-pass-1")
    client = ApiClient(api.url, _token(admin))
    dlg = SettingsDialog(client, is_admin=True)
    qtbot.addWidget(dlg)
    dlg.resize(820, 680)
    dlg.show()
    run(dlg.load())
    assert dlg.fields["name"].text() == admin.get("/api/v1/settings").json()["name"]  # type: ignore[attr-defined]
    late = dlg.fields["late_threshold_min"]
    assert isinstance(late, QSpinBox)
    late.setValue(45)
    tile = dlg.fields["tile_url"]
    assert isinstance(tile, QLineEdit)
    tile.setText("tiles.example.com")  # no scheme, no {z}/{x}/{y}
    assert run(dlg.save()) is False
    assert dlg.errors["tile_url"].isVisible() and "{z}" in dlg.errors["tile_url"].text()
    assert admin.get("/api/v1/settings").json()["late_threshold_min"] == 30  # nothing half-saved
    tile.setText("http://127.0.0.1:9/{z}/{x}/{y}.png")
    secret = dlg.fields["smtp_password"]
    assert isinstance(secret, QLineEdit)
    secret.setText("hunter2")
    assert run(dlg.save()) is True
    saved = admin.get("/api/v1/settings").json()
    assert saved["late_threshold_min"] == 45 and saved["secrets_set"]["smtp_password"]
    assert "hunter2" not in admin.get("/api/v1/settings").text
    assert secret.text() == "" and "saved" in secret.placeholderText()
    dlg.tabs.setCurrentIndex(3)
    dlg.grab().save(str(artifacts / "settings_dialog_map_eta.png"))
    dlg.tabs.setCurrentIndex(1)
    dlg.grab().save(str(artifacts / "settings_dialog_portal.png"))
    run(client.aclose())


def test_dispatchers_see_settings_read_only(qtbot, api: Api, world: World) -> None:  # type: ignore[no-untyped-def]
    client = ApiClient(api.url, _token(world.dispatcher))
    dlg = SettingsDialog(client, is_admin=False)
    qtbot.addWidget(dlg)
    dlg.show()
    run(dlg.load())
    assert dlg.banner.isVisible()
    assert not dlg.fields["name"].isEnabled() and not dlg.fields["late_threshold_min"].isEnabled()
    run(client.aclose())
