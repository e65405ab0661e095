"""The buttons a technician sees on a job: only what the status machine allows them right now."""

from __future__ import annotations

from typing import Any

from models.enums import Actor
from models.enums import AppointmentStatus as S
from models.status_machine import allowed_targets

PAUSE_CHOICE = "This job requires follow up (Pause It)"
COMPLETE_CHOICE = "This job is done (Complete It)"

#: Field API action per target status, with the button text the technician reads.
ACTIONS: dict[S, tuple[str, str]] = {
    S.DISPATCHED: ("confirm", "Confirm Job"),
    S.EN_ROUTE: ("on-my-way", "On My Way"),
    S.IN_PROGRESS: ("start", "Start Appointment"),
}


def field_actions(status: str, has_technician: bool = True) -> list[dict[str, Any]]:
    """Buttons for an appointment in `status`, in the order of the working day.

    Completing offers exactly two choices: pause for a follow-up (with a message for the customer) or complete.
    Arrival has no button: the geofence records it from the phone's positions.
    """
    allowed = allowed_targets(S(status), Actor.TECHNICIAN)
    out: list[dict[str, Any]] = []
    for target in allowed:
        if target == S.DISPATCHED and not has_technician:
            continue
        if target in ACTIONS:
            action, label = ACTIONS[target]
            out.append({"action": action, "label": label, "target": target.value})
    if S.COMPLETE in allowed or S.PAUSED in allowed:
        choices = []
        if S.PAUSED in allowed:
            choices.append({"action": "pause", "label": PAUSE_CHOICE, "target": S.PAUSED.value,
                            "needs_message": True})
        if S.COMPLETE in allowed:
            choices.append({"action": "complete", "label": COMPLETE_CHOICE, "target": S.COMPLETE.value,
                            "needs_message": False})
        out.append({"action": "finish", "label": "Complete", "target": None, "choices": choices})
    return out
