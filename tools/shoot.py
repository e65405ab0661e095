"""Start the real console (as `python main.py ARGS` would), screenshot the main window after a while, quit.

    QT_QPA_PLATFORM=offscreen python tools/shoot.py --demo --data-dir /tmp/demo --wait 40 --out shot.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6 import QtWebEngineWidgets  # noqa: E402,F401  (before the QApplication)
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import main  # noqa: E402


def shoot() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--wait", type=float, default=30)
    p.add_argument("--out", default="console.png")
    p.add_argument("--size", default="1920x1080")
    p.add_argument("--tab", action="append", default=[], help="dock to raise before the shot (repeatable)")
    p.add_argument("--card", default="", help="also save the card of a completed appointment to this PNG")
    p.add_argument("--team", default="", help="also save File → Technicians… to this PNG")
    ours, rest = p.parse_known_args()
    w, h = (int(x) for x in ours.size.split("x"))
    app = QApplication.instance() or QApplication(sys.argv[:1])

    def window():  # type: ignore[no-untyped-def]
        from console.main_window import MainWindow

        return next((x for x in app.topLevelWidgets() if isinstance(x, MainWindow)), None)

    def size_it() -> None:
        win = window()
        if win is None:
            QTimer.singleShot(500, size_it)
            return
        win.showNormal()  # a first start opens maximized: on the offscreen screen that is its small default size
        win.setMinimumSize(w, h)
        win.resize(w, h)

    def grab() -> None:
        win = window()
        if win is None:
            print("no main window yet", file=sys.stderr)
            app.exit(1)
            return
        for name in ours.tab:
            win.docks[name].raise_()
        card = None
        if ours.card:
            done = [a.id for a in win.live.model.appts.values() if a.status == "complete"]
            card = win.open_card(done[0]) if done else None
            if card is not None:
                card.resize(700, 1000)
        team = win.open_technicians() if ours.team else None

        def save() -> None:
            win.grab().save(ours.out)
            print("saved", ours.out)
            if card is not None:
                card.grab().save(ours.card)
                print("saved", ours.card)
            if team is not None:
                team.grab().save(ours.team)
                print("saved", ours.team)
            win.close()

        QTimer.singleShot(3000, save)

    QTimer.singleShot(1000, size_it)
    QTimer.singleShot(int(ours.wait * 1000), grab)
    return main.main(rest)


if __name__ == "__main__":
    raise SystemExit(shoot())
