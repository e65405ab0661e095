"""Which appointment the grid shows when a technician is picked (crew-map marker, alert, technician list)."""

from __future__ import annotations

from models.crew import crew_standing
from widgets.schedule_model import ScheduleModel


def job_for_technician(model: ScheduleModel, tech_id: int, selected_id: int | None = None) -> int | None:
    """The appointment to select for a technician on the grid day.

    The selection stays when it already is one of theirs (an alert selected the late visit, then named its tech);
    otherwise their current job (in progress, on site, en route), else the next one, else the last of the day.
    """
    row = model.lane_row_for_tech(tech_id)
    if row is None or not model.lanes[row].ids:
        return None
    ids = model.lanes[row].ids
    if selected_id is not None and selected_id in ids:
        return selected_id
    appts = [model.appts[i].data for i in ids]
    standing = crew_standing(appts)
    pick = standing["current"] or standing["next"]
    if pick is not None:
        return int(pick["id"])
    return max(ids, key=lambda i: (model.appts[i].start, i))
