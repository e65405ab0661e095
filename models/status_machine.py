"""The appointment status machine: transitions per actor, labels and side effects."""

from __future__ import annotations

from dataclasses import dataclass

from models.enums import Actor, SideEffect
from models.enums import AppointmentStatus as S

FINAL: frozenset[S] = frozenset({S.COMPLETE, S.CANCELLED})

#: Forward order of the working states; `paused` ends a visit like `complete` does.
ORDER: dict[S, int] = {
    S.SCHEDULED: 0,
    S.DISPATCHED: 1,
    S.EN_ROUTE: 2,
    S.ARRIVED: 3,
    S.IN_PROGRESS: 4,
    S.PAUSED: 5,
    S.COMPLETE: 6,
    S.CANCELLED: 7,
}

FIELD_APP_TRANSITIONS: dict[S, frozenset[S]] = {
    S.SCHEDULED: frozenset({S.DISPATCHED}),
    S.DISPATCHED: frozenset({S.EN_ROUTE, S.IN_PROGRESS}),
    S.EN_ROUTE: frozenset({S.ARRIVED, S.IN_PROGRESS}),
    S.ARRIVED: frozenset({S.IN_PROGRESS}),
    S.IN_PROGRESS: frozenset({S.PAUSED, S.COMPLETE}),
}

SYSTEM_TRANSITIONS: dict[S, frozenset[S]] = {
    S.DISPATCHED: frozenset({S.EN_ROUTE, S.ARRIVED}),
    S.EN_ROUTE: frozenset({S.ARRIVED}),
}

CONSOLE_LABELS: dict[S, str] = {
    S.SCHEDULED: "Scheduled",
    S.DISPATCHED: "Dispatched",
    S.EN_ROUTE: "En Route",
    S.ARRIVED: "Arrived",
    S.IN_PROGRESS: "In Progress",
    S.PAUSED: "Paused (follow-up)",
    S.COMPLETE: "Complete",
    S.CANCELLED: "Cancelled",
}

SCHEDULE_LABELS: dict[S, str] = {
    S.SCHEDULED: "Appointment Confirmed",
    S.DISPATCHED: "Getting Ready",
    S.EN_ROUTE: "On the Way 🚗",
    S.ARRIVED: "Technician Arrived",
    S.IN_PROGRESS: "Work in Progress",
    S.PAUSED: "Paused",
    S.COMPLETE: "Visit Complete ✅",
    S.CANCELLED: "Cancelled",
}

#: Tracker step per status; None means tracking has ended / the link expired.
TRACKER_STEPS: dict[S, str] = {
    S.SCHEDULED: "scheduled",
    S.DISPATCHED: "dispatched",
    S.EN_ROUTE: "en_route",
    S.ARRIVED: "arrived",
    S.IN_PROGRESS: "ended",
    S.PAUSED: "ended",
    S.COMPLETE: "expired",
    S.CANCELLED: "expired",
}

TRACKER_STEP_LABELS = ["Scheduled", "Dispatched", "En Route", "Arrived"]

#: Side effects that message people (the customer and the job's contacts). A backward correction never sends
#: them: the customer has already seen a later state ("has arrived" again after the work started would be false).
MESSAGES: frozenset[SideEffect] = frozenset({SideEffect.EN_ROUTE_SMS, SideEffect.ARRIVAL_PING})


class TransitionError(Exception):
    """A status change the machine refuses; `allowed` lists what this actor may do instead."""

    def __init__(self, current: S, target: S, allowed: list[S], message: str | None = None):
        self.current, self.target, self.allowed = current, target, allowed
        names = ", ".join(a.value for a in allowed) or "none (this appointment is closed)"
        super().__init__(
            message
            or f"Cannot change status from {current.value} to {target.value}. Allowed from {current.value}: {names}."
        )


class ReasonRequired(ValueError):
    """A dispatcher's backward correction came without a reason."""


class MessageRequired(ValueError):
    """Pausing came without the customer-facing message."""


def is_backward(current: S, target: S) -> bool:
    """True for a correction to an earlier working state (e.g. en_route → dispatched)."""
    return target not in FINAL and target != S.PAUSED and ORDER[target] < ORDER[current]


def allowed_targets(current: S, actor: Actor) -> list[S]:
    """Every status `actor` may move an appointment in `current` to, in display order."""
    if current in FINAL:
        return []
    if actor is Actor.TECHNICIAN:
        targets = set(FIELD_APP_TRANSITIONS.get(current, ()))
    elif actor is Actor.SYSTEM:
        targets = set(SYSTEM_TRANSITIONS.get(current, ()))
    else:
        # Dispatchers: any working state (backwards needs a reason), complete, cancel; pause only a visit
        # that is in progress (it needs the tech's customer-facing message).
        working = {S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS}
        targets = (working | {S.COMPLETE}) - {current}
        if current == S.IN_PROGRESS:
            targets.add(S.PAUSED)
        if current == S.PAUSED:
            # A paused visit is over; a follow-up is a new appointment. Dispatchers may still close it.
            targets = {S.COMPLETE}
        targets.add(S.CANCELLED)
    return sorted(targets, key=ORDER.__getitem__)


@dataclass(frozen=True)
class Transition:
    """A checked status change and the side effects it sets off."""

    current: S
    target: S
    backward: bool
    side_effects: tuple[SideEffect, ...]

    @property
    def silent(self) -> bool:
        """Whether this change messages nobody (backward corrections): its MESSAGES effects are marked done
        without a message, so a later forward move does not send them either."""
        return self.backward


def side_effects_of(current: S, target: S) -> tuple[SideEffect, ...]:
    """Side effects that entering `target` from `current` triggers (deduplicated by the caller)."""
    effects: list[SideEffect] = []
    if target == S.EN_ROUTE:
        effects.append(SideEffect.EN_ROUTE_SMS)
    if target == S.ARRIVED:
        effects += [SideEffect.ARRIVAL_PING, SideEffect.OPEN_TIME_ENTRY]
    if target == S.IN_PROGRESS:
        effects += [SideEffect.STOP_LOCATION, SideEffect.OPEN_TIME_ENTRY]
    if target == S.PAUSED:
        effects += [SideEffect.STOP_LOCATION, SideEffect.CLOSE_TIME_ENTRY]
    if target in FINAL:
        effects += [SideEffect.STOP_LOCATION, SideEffect.EXPIRE_TRACKER, SideEffect.CLOSE_TIME_ENTRY]
    return tuple(effects)


def check_transition(
    current: S,
    target: S,
    actor: Actor,
    *,
    reason: str | None = None,
    customer_message: str | None = None,
    has_technician: bool = True,
) -> Transition:
    """Validate a status change; raise TransitionError/ReasonRequired/MessageRequired if refused."""
    allowed = allowed_targets(current, actor)
    if target not in allowed:
        raise TransitionError(current, target, allowed)
    if target == S.DISPATCHED and not has_technician and ORDER[current] < ORDER[target]:
        raise TransitionError(
            current, target, allowed, "Assign a technician before dispatching this appointment."
        )
    backward = is_backward(current, target)
    if backward and not (reason and reason.strip()):
        raise ReasonRequired("A backward correction needs a reason.")
    if target == S.PAUSED and not (customer_message and customer_message.strip()):
        raise MessageRequired("Pausing needs a customer-facing message (customer_message).")
    return Transition(current, target, backward, side_effects_of(current, target))


def location_visible(status: S) -> bool:
    """Whether the customer may see the technician's live location in this status."""
    return status == S.EN_ROUTE
