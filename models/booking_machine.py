"""The booking request state machine: who may move a request where, and what customers read."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from models.enums import BookingState as B

#: A request without a contractor response this long after it came in raises the reminder alert.
REMINDER_AFTER = timedelta(hours=48)


class BookingActor(StrEnum):
    CONTRACTOR = "contractor"
    CUSTOMER = "customer"


class BookingAction(StrEnum):
    REVIEW = "review"
    ACCEPT = "accept"
    COUNTER = "counter"
    DECLINE = "decline"
    ACCEPT_COUNTER = "accept_counter"
    DECLINE_COUNTER = "decline_counter"
    CANCEL = "cancel"


FINAL: frozenset[B] = frozenset({B.CONFIRMED, B.DECLINED, B.CANCELLED})
OPEN: frozenset[B] = frozenset({B.SUBMITTED, B.UNDER_REVIEW})

#: action → (actor, states it may start from, state it leads to). A contractor may answer straight from
#: `submitted` (answering implies the review); a counter-proposal is answered by the customer only.
MOVES: dict[BookingAction, tuple[BookingActor, frozenset[B], B]] = {
    BookingAction.REVIEW: (BookingActor.CONTRACTOR, frozenset({B.SUBMITTED}), B.UNDER_REVIEW),
    BookingAction.ACCEPT: (BookingActor.CONTRACTOR, OPEN, B.CONFIRMED),
    BookingAction.COUNTER: (BookingActor.CONTRACTOR, OPEN, B.COUNTER_PROPOSED),
    BookingAction.DECLINE: (BookingActor.CONTRACTOR, OPEN, B.DECLINED),
    BookingAction.ACCEPT_COUNTER: (BookingActor.CUSTOMER, frozenset({B.COUNTER_PROPOSED}), B.CONFIRMED),
    BookingAction.DECLINE_COUNTER: (BookingActor.CUSTOMER, frozenset({B.COUNTER_PROPOSED}), B.DECLINED),
    BookingAction.CANCEL: (BookingActor.CUSTOMER, frozenset({B.SUBMITTED, B.UNDER_REVIEW, B.COUNTER_PROPOSED}),
                           B.CANCELLED),
}

#: The contractor's responses: each one notifies the customer and stops the 48-hour reminder.
RESPONSES: frozenset[BookingAction] = frozenset({BookingAction.ACCEPT, BookingAction.COUNTER, BookingAction.DECLINE})

CONSOLE_LABELS: dict[B, str] = {
    B.SUBMITTED: "Submitted",
    B.UNDER_REVIEW: "Under Review",
    B.CONFIRMED: "Confirmed",
    B.COUNTER_PROPOSED: "Counter-Proposed",
    B.DECLINED: "Declined",
    B.CANCELLED: "Cancelled by customer",
}

#: What the customer reads on the request page.
CUSTOMER_WORDS: dict[B, str] = {
    B.SUBMITTED: "Your request has been received",
    B.UNDER_REVIEW: "We're reviewing your request",
    B.CONFIRMED: "Your appointment is confirmed — it's in My Schedule",
    B.COUNTER_PROPOSED: "We suggested a different time — please accept or decline",
    B.DECLINED: "We can't take this request",
    B.CANCELLED: "You cancelled this request",
}

ACTION_WORDS: dict[BookingAction, str] = {
    BookingAction.REVIEW: "mark it under review",
    BookingAction.ACCEPT: "accept it",
    BookingAction.COUNTER: "counter-propose a time",
    BookingAction.DECLINE: "decline it",
    BookingAction.ACCEPT_COUNTER: "accept the proposed time",
    BookingAction.DECLINE_COUNTER: "decline the proposed time",
    BookingAction.CANCEL: "cancel it",
}


class BookingTransitionError(Exception):
    """A move the machine refuses; the message names what is allowed instead."""

    def __init__(self, state: B, action: BookingAction, actor: BookingActor):
        self.state, self.action, self.actor = state, action, actor
        self.allowed = allowed_actions(state, actor)
        names = ", ".join(a.value for a in self.allowed) or "none (this request is closed)"
        super().__init__(
            f"Cannot {ACTION_WORDS[action]}: the request is {CONSOLE_LABELS[state].lower()}. "
            f"Allowed now: {names}."
        )


def allowed_actions(state: B, actor: BookingActor) -> list[BookingAction]:
    """The actions `actor` may take on a request in `state`, in a stable order."""
    return [a for a, (who, sources, _) in MOVES.items() if who == actor and state in sources]


def next_state(state: B | str, action: BookingAction, actor: BookingActor) -> B:
    """The state after `action`, or BookingTransitionError when the machine refuses the move."""
    state = B(state)
    who, sources, target = MOVES[action]
    if who != actor or state not in sources:
        raise BookingTransitionError(state, action, actor)
    return target


def can_cancel(state: B | str) -> bool:
    return B(state) in MOVES[BookingAction.CANCEL][1]
