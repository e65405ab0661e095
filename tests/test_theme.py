"""The dark theme draws check boxes a dispatcher can see (Fusion draws their frame in the window's colour)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QCheckBox

from console import theme


def _colours(box: QCheckBox) -> set[str]:
    img = box.grab().toImage()
    return {QColor(img.pixel(x, y)).name() for x in range(min(20, img.width())) for y in range(img.height())}


def test_dark_check_boxes_show_their_box_and_tick(qapp: Any) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        theme.apply(app, True)
        sheet = app.styleSheet()
        assert "@ICONS@" not in sheet
        images = re.findall(r"url\(([^)]+)\)", sheet)
        assert images and all(Path(p).is_file() for p in images)
        on, off = QCheckBox("Breadcrumbs"), QCheckBox("Follow selected")
        on.setChecked(True)
        for box in (on, off):
            box.resize(160, 24)
            box.ensurePolished()
        assert "#56b4e9" in _colours(on)  # the filled box of a ticked check box
        assert "#7a8491" in _colours(off)  # the outline of an empty one
    finally:
        theme.apply(app, False)
