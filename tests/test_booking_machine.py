"""The booking request state machine (models/booking_machine.py): every allowed and every refused move."""

from __future__ import annotations

import itertools

import pytest

from models.booking_machine import (
    FINAL,
    BookingAction,
    BookingActor,
    BookingTransitionError,
    allowed_actions,
    can_cancel,
    next_state,
)
from models.enums import BookingState as B

A, C = BookingActor.CONTRACTOR, BookingActor.CUSTOMER
ALLOWED = {
    (B.SUBMITTED, BookingAction.REVIEW, A): B.UNDER_REVIEW,
    (B.SUBMITTED, BookingAction.ACCEPT, A): B.CONFIRMED,
    (B.SUBMITTED, BookingAction.COUNTER, A): B.COUNTER_PROPOSED,
    (B.SUBMITTED, BookingAction.DECLINE, A): B.DECLINED,
    (B.UNDER_REVIEW, BookingAction.ACCEPT, A): B.CONFIRMED,
    (B.UNDER_REVIEW, BookingAction.COUNTER, A): B.COUNTER_PROPOSED,
    (B.UNDER_REVIEW, BookingAction.DECLINE, A): B.DECLINED,
    (B.COUNTER_PROPOSED, BookingAction.ACCEPT_COUNTER, C): B.CONFIRMED,
    (B.COUNTER_PROPOSED, BookingAction.DECLINE_COUNTER, C): B.DECLINED,
    (B.SUBMITTED, BookingAction.CANCEL, C): B.CANCELLED,
    (B.UNDER_REVIEW, BookingAction.CANCEL, C): B.CANCELLED,
    (B.COUNTER_PROPOSED, BookingAction.CANCEL, C): B.CANCELLED,
}
EVERY = list(itertools.product(B, BookingAction, BookingActor))


@pytest.mark.parametrize(("state", "action", "actor"), list(ALLOWED))
def test_allowed_move(state: B, action: BookingAction, actor: BookingActor) -> None:
    assert next_state(state, action, actor) == ALLOWED[(state, action, actor)]
    assert action in allowed_actions(state, actor)


@pytest.mark.parametrize(("state", "action", "actor"), [m for m in EVERY if m not in ALLOWED])
def test_refused_move(state: B, action: BookingAction, actor: BookingActor) -> None:
    with pytest.raises(BookingTransitionError) as err:
        next_state(state, action, actor)
    assert action not in allowed_actions(state, actor)
    assert "Allowed now:" in str(err.value)
    for a in err.value.allowed:
        assert a.value in str(err.value)


def test_final_states_allow_nothing() -> None:
    for state in FINAL:
        assert allowed_actions(state, A) == [] and allowed_actions(state, C) == []
        assert "none (this request is closed)" in str(BookingTransitionError(state, BookingAction.COUNTER, A))


def test_counter_on_declined_names_the_state() -> None:
    with pytest.raises(BookingTransitionError, match="the request is declined"):
        next_state("declined", BookingAction.COUNTER, A)


def test_cancel_only_before_confirmation() -> None:
    assert [s for s in B if can_cancel(s)] == [B.SUBMITTED, B.UNDER_REVIEW, B.COUNTER_PROPOSED]
