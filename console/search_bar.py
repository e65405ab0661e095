"""Search across dates: Enter in the schedule's search asks the server (any date), shows the number of matches and
jumps to the first; Enter again jumps to the next (Shift+Enter to the previous), loading that day when needed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent

from models.timefmt import day_time, parse_iso_or_none
from services.api_client import ApiError
from widgets.tasks import TaskSet

if TYPE_CHECKING:
    from console.main_window import MainWindow

LIMIT = 200


class DateSearch(QObject):
    """Owns the results of the last server search; the bar's text filter still dims the day's other blocks."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.bar = window.bar
        self.query = ""
        self.items: list[dict[str, Any]] = []
        self.total = 0
        self.pos = -1
        self.tasks = TaskSet(self._error)
        self.bar.search.installEventFilter(self)
        self.bar.search.textChanged.connect(self._typed)
        self.bar.search.setToolTip("Type to highlight on this day; Enter searches every date and jumps to the "
                                   "next match (Shift+Enter: previous, Esc: clear)")

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (obj is self.bar.search and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):
            back = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.step(-1 if back else 1)
            return True
        return super().eventFilter(obj, event)

    def _typed(self, text: str) -> None:
        if text.strip() != self.query:
            self.items, self.total, self.pos, self.query = [], 0, -1, ""
            self.bar.matches.setVisible(bool(text.strip()))
            self.bar.matches.setText("Enter: search all dates" if text.strip() else "")

    def step(self, direction: int = 1) -> None:
        q = self.bar.search.text().strip()
        if not q:
            return
        if q != self.query:
            self.tasks.spawn(self.search(q), "search appointments")
            return
        self.jump(direction)

    async def search(self, q: str) -> None:
        self.bar.matches.setText("Searching…")
        self.bar.matches.show()
        try:
            out = await self.window.api.search_appointments(q, limit=LIMIT)
        except ApiError as exc:
            self._error(f"Couldn't search: {exc.message}")
            return
        if self.bar.search.text().strip() != q:
            return  # typed on meanwhile
        self.query, self.items, self.total, self.pos = q, list(out.get("items") or []), int(out.get("total") or 0), -1
        if not self.items:
            self.bar.matches.setText("No matches on any date")
            return
        self.jump(1)

    def jump(self, direction: int) -> None:
        if not self.items:
            return
        self.pos = (self.pos + direction) % len(self.items)
        item = self.items[self.pos]
        more = f" (first {len(self.items)} shown)" if self.total > len(self.items) else ""
        self.bar.matches.setText(f"{self.pos + 1} of {self.total} match{'es' if self.total != 1 else ''}{more}")
        start = parse_iso_or_none(item.get("window_start"))
        when = day_time(start, self.window.live.tz) if start else ""
        self.bar.matches.setToolTip(f"{item.get('customer_name')} — {item.get('service_type')}, {when}")
        self.window.select_appointment(int(item["id"]))

    def _error(self, text: str) -> None:
        self.bar.matches.setText(text)
        self.bar.matches.show()


def install(window: MainWindow) -> DateSearch:
    search = DateSearch(window)
    window.date_search = search  # type: ignore[attr-defined]
    return search
