"""The board opens along the day where the work is: today with the current time in view (a quarter in), another
day at its first visit; once the dispatcher scrolls sideways, reloads leave the board where they put it, and
Today brings now back into view."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from PySide6.QtWidgets import QAbstractSlider

from widgets.day_placement import NOW_LEAD
from widgets.schedule_grid import ScheduleView
from widgets.schedule_model import ScheduleModel
from widgets.schedule_paint import GUTTER

TZ = "America/Chicago"
DAY = date(2030, 5, 6)
TECHS = [{"id": t, "name": f"Tech {t}"} for t in (1, 2)]


def _appt(i: int, tech: int, start: datetime) -> dict[str, Any]:
    return {"id": i, "technician_id": tech, "technician_name": f"Tech {tech}", "customer_name": f"Customer {i}",
            "service_type": "Leak repair", "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=2)).isoformat(), "status": "scheduled", "version": 1,
            "late": False}


def _day(hour: int) -> datetime:
    return datetime(2030, 5, 6, hour, tzinfo=UTC)  # 8 AM Central = 13:00 UTC


def _view(qtbot: Any, now: datetime) -> tuple[ScheduleModel, ScheduleView]:
    model = ScheduleModel(TZ)
    view = ScheduleView(model)
    view.now = now.timestamp
    qtbot.addWidget(view)
    view.resize(600, 400)  # 12 hours of the day do not fit: the board scrolls sideways
    view.show()
    qtbot.waitExposed(view)
    return model, view


def _appts() -> list[dict[str, Any]]:
    return [_appt(1, 1, _day(13)), _appt(2, 2, _day(17)), _appt(3, 1, _day(21))]  # 8 AM, noon, 4 PM Central


def test_today_opens_with_now_a_quarter_in_and_stays_where_the_dispatcher_scrolls(qtbot: Any) -> None:
    now = _day(18) + timedelta(minutes=30)  # 1:30 PM Central: past the first screenful of the day
    model, view = _view(qtbot, now)
    model.load(DAY, TECHS, _appts())
    hs = view.horizontalScrollBar()
    assert hs.maximum() > 0 and hs.value() > 0
    time_w = view.viewport().width() - GUTTER
    assert abs(view.x_for(now.timestamp()) - (GUTTER + NOW_LEAD * time_w)) <= 2
    assert view.x_for(_day(17).timestamp() + 1800) > GUTTER  # the hour before now is on screen too

    hs.triggerAction(QAbstractSlider.SliderAction.SliderToMinimum)  # the dispatcher scrolls back to the morning
    assert hs.value() == 0
    model.load(DAY, TECHS, _appts())  # a reload (reconnect, Refresh) leaves it there
    view.resize(640, 400)
    assert hs.value() == 0

    view.placement.reset(DAY)  # Today
    time_w = view.viewport().width() - GUTTER
    assert abs(view.x_for(now.timestamp()) - (GUTTER + NOW_LEAD * time_w)) <= 2


def test_another_day_opens_at_its_first_visit(qtbot: Any) -> None:
    model, view = _view(qtbot, _day(15) + timedelta(days=3))
    model.load(DAY, TECHS, [_appt(2, 2, _day(17)), _appt(3, 1, _day(21))])  # noon and 4 PM Central
    first = view.x_for(_day(17).timestamp())
    assert view.horizontalScrollBar().value() > 0
    assert GUTTER <= first <= GUTTER + 40
    model.load(DAY + timedelta(days=1), TECHS, [])  # an empty day starts at its beginning
    assert view.horizontalScrollBar().value() == 0
