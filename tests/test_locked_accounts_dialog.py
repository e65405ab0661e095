"""The console's Locked accounts dialog against a real backend: dispatchers see who is locked out, an
administrator unlocks them and they can sign in again at once."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from services.api_client import ApiClient
from tests.conftest import Api, add_user
from tests.qt_loop import run, wait_until
from widgets.locked_accounts import LockedAccountsDialog, wait_text

#: The dialog runs once, on SQLite (the endpoints run on both databases in test_sign_in_throttle.py).
SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def locked_out(api: Api) -> Api:
    """An admin, a dispatcher, and two people locked out by wrong passwords."""
    add_user(api.server, "ada@example.com", "admin-pass1", "admin", "Ada Admin")
    add_user(api.server, "dana@example.com", "dispatch123", "dispatcher", "Dana Dispatcher")
    add_user(api.server, "marcus@example.com", "techpass-1", "technician", "Marcus Reed")
    add_user(api.server, "sam@example.com", "sam-pass-1", "dispatcher", "Sam Spade")
    for email in ("marcus@example.com", "sam@example.com", "nobody@example.com"):
        for _ in range(5):
            api.anon.post("/api/v1/auth/login", json={"email": email, "password": "not-it"})
    return api


def _client(api: Api, email: str, password: str) -> ApiClient:
    token = api.anon.post("/api/v1/auth/login", json={"email": email, "password": password}).json()["token"]
    return ApiClient(api.url, token)


@SQLITE
def test_admin_unlocks_a_technician_who_then_signs_in(qtbot, qloop, locked_out: Api, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    client = _client(locked_out, "ada@example.com", "admin-pass1")
    dlg = LockedAccountsDialog(client, is_admin=True)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.refresh()
    wait_until(lambda: dlg.model.rowCount() == 2, 10, "two locked accounts")
    names = {dlg.model.index(r, 0).data() for r in range(2)}
    assert names == {"Marcus Reed", "Sam Spade"}  # the unknown address is never listed
    roles = {dlg.model.index(r, 2).data() for r in range(2)}
    assert roles == {"Technician", "Dispatcher"}
    assert dlg.table.isVisible() and not dlg.empty.isVisible()
    assert not dlg.unlock_btn.isEnabled()  # nothing selected yet
    row = next(r for r in range(2) if dlg.model.index(r, 0).data() == "Marcus Reed")
    assert dlg.model.index(row, 3).data() == "5"
    assert dlg.model.index(row, 4).data().endswith(" s")  # "Can try again in 29 s"
    dlg.table.selectRow(row)
    assert dlg.unlock_btn.isEnabled()
    dlg.resize(820, 360)
    assert dlg.grab().save(str(artifacts / "locked_accounts_dialog.png"))

    blocked = locked_out.anon.post("/api/v1/auth/login", json={"email": "marcus@example.com", "password": "techpass-1"})
    assert blocked.status_code == 429
    dlg.unlock_btn.click()
    wait_until(lambda: "can sign in again" in dlg.status.text(), 10, "unlock confirmation")
    assert dlg.status.text() == "Marcus Reed can sign in again now."
    wait_until(lambda: dlg.model.rowCount() == 1, 10, "list reloaded")
    assert dlg.model.index(0, 0).data() == "Sam Spade"
    signed_in = httpx.post(f"{locked_out.url}/api/v1/auth/login",
                           json={"email": "marcus@example.com", "password": "techpass-1"})
    assert signed_in.status_code == 200

    dlg.table.selectRow(0)
    dlg.unlock_btn.click()
    wait_until(lambda: dlg.model.rowCount() == 0 and dlg.empty.isVisible(), 10, "empty list")
    assert "No account is locked" in dlg.empty.text()
    dlg.grab().save(str(artifacts / "locked_accounts_dialog_empty.png"))
    dlg.close()
    run(client.aclose())


@SQLITE
def test_dispatchers_see_the_list_but_cannot_unlock(qtbot, qloop, locked_out: Api) -> None:  # type: ignore[no-untyped-def]
    client = _client(locked_out, "dana@example.com", "dispatch123")
    dlg = LockedAccountsDialog(client, is_admin=False)
    qtbot.addWidget(dlg)
    dlg.show()
    run(dlg.load())
    assert dlg.model.rowCount() == 2
    dlg.table.selectRow(0)
    assert not dlg.unlock_btn.isEnabled()
    assert "administrator" in dlg.unlock_btn.toolTip()
    # Were the button reachable anyway, the server refuses and the dialog says so in words.
    run(dlg.unlock(dlg.model.rows[0]))
    assert dlg.status.text().startswith("Couldn't unlock") and "administrators" in dlg.status.text()
    assert dlg.model.rowCount() == 2
    dlg.close()
    run(client.aclose())


def test_a_server_that_cannot_be_reached_is_said_in_words(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    client = ApiClient("http://127.0.0.1:9", "token")
    dlg = LockedAccountsDialog(client, is_admin=True)
    qtbot.addWidget(dlg)
    run(dlg.load())
    assert dlg.status.text().startswith("Couldn't load locked accounts: Can't reach the server")
    assert dlg.refresh_btn.isEnabled()
    run(client.aclose())


def test_wait_text() -> None:
    assert [wait_text(s) for s in (0, 29.6, 61, 599, 601, 900)] == \
        ["0 s", "30 s", "1 min 01 s", "9 min 59 s", "11 min", "15 min"]


@SQLITE
def test_file_menu_opens_it_for_the_signed_in_role(qtbot, qloop, world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.console_support import Console, token_of

    for _ in range(5):
        world.api.anon.post("/api/v1/auth/login", json={"email": "marcus@example.com", "password": "not-it"})
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path)
    try:
        action = c.window.actions_by_name["locks"]
        file_menu = c.window.menuBar().actions()[0].menu()
        assert action in file_menu.actions()
        action.trigger()
        dlg = c.window.findChild(LockedAccountsDialog)
        assert dlg is not None and dlg.isVisible()
        qtbot.waitUntil(lambda: dlg.model.rowCount() == 1, timeout=8000)
        assert dlg.model.index(0, 0).data() == "Marcus Reed"
        assert not dlg.is_admin
        dlg.close()
    finally:
        c.close()
