"""Helpers the dialog tests share: an API client on the test loop for a signed-in httpx client, and a theme for a
screenshot (the application's style, palette and style sheet put back after)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from PySide6.QtWidgets import QApplication

from services.api_client import ApiClient
from tests.qt_loop import qt_loop


def client_for(c: httpx.Client, url: str) -> ApiClient:
    qt_loop()
    return ApiClient(url, c.headers["Authorization"].split()[1])


@contextmanager
def themed(dark: bool) -> Iterator[None]:
    from console import theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style, pal, qss = app.style().name(), app.palette(), app.styleSheet()
    theme.apply(app, dark)
    try:
        yield
    finally:
        app.setStyle(style)
        app.setPalette(pal)
        app.setStyleSheet(qss)
