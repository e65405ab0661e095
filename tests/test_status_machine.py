"""The appointment status machine (models/status_machine.py): table checks and property-based action sequences."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.enums import Actor, SideEffect
from models.enums import AppointmentStatus as S
from models.status_machine import (
    FINAL,
    MessageRequired,
    ReasonRequired,
    TransitionError,
    allowed_targets,
    check_transition,
    is_backward,
    location_visible,
)

FIELD_TABLE = {
    (S.SCHEDULED, S.DISPATCHED), (S.DISPATCHED, S.EN_ROUTE), (S.EN_ROUTE, S.ARRIVED),
    (S.DISPATCHED, S.IN_PROGRESS), (S.EN_ROUTE, S.IN_PROGRESS), (S.ARRIVED, S.IN_PROGRESS),
    (S.IN_PROGRESS, S.PAUSED), (S.IN_PROGRESS, S.COMPLETE),
}
SYSTEM_TABLE = {(S.DISPATCHED, S.EN_ROUTE), (S.EN_ROUTE, S.ARRIVED), (S.DISPATCHED, S.ARRIVED)}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_field_app_and_system_follow_the_table(current: S, target: S) -> None:
    assert (target in allowed_targets(current, Actor.TECHNICIAN)) == ((current, target) in FIELD_TABLE)
    assert (target in allowed_targets(current, Actor.SYSTEM)) == ((current, target) in SYSTEM_TABLE)


def test_dispatcher_can_cancel_any_open_state_and_nothing_leaves_a_final_state() -> None:
    for s in S:
        allowed = allowed_targets(s, Actor.DISPATCHER)
        if s in FINAL:
            assert allowed == []
        else:
            assert S.CANCELLED in allowed


def test_refusal_names_the_allowed_moves() -> None:
    with pytest.raises(TransitionError) as exc:
        check_transition(S.SCHEDULED, S.COMPLETE, Actor.TECHNICIAN)
    assert "dispatched" in str(exc.value) and exc.value.allowed == [S.DISPATCHED]


def test_backward_needs_reason_and_pause_needs_message() -> None:
    with pytest.raises(ReasonRequired):
        check_transition(S.EN_ROUTE, S.DISPATCHED, Actor.DISPATCHER)
    t = check_transition(S.EN_ROUTE, S.DISPATCHED, Actor.DISPATCHER, reason="tapped by mistake")
    assert t.backward
    with pytest.raises(MessageRequired):
        check_transition(S.IN_PROGRESS, S.PAUSED, Actor.TECHNICIAN)
    paused = check_transition(S.IN_PROGRESS, S.PAUSED, Actor.TECHNICIAN, customer_message="Part ordered")
    assert paused.target == S.PAUSED


def test_dispatch_needs_a_technician() -> None:
    with pytest.raises(TransitionError):
        check_transition(S.SCHEDULED, S.DISPATCHED, Actor.TECHNICIAN, has_technician=False)


def test_location_only_while_en_route() -> None:
    assert [s for s in S if location_visible(s)] == [S.EN_ROUTE]


actions = st.lists(
    st.tuples(st.sampled_from(list(Actor)), st.sampled_from(list(S)), st.booleans()), min_size=1, max_size=40
)


@settings(max_examples=300, deadline=None)
@given(actions)
def test_random_action_sequences_stay_inside_the_table(seq: list[tuple[Actor, S, bool]]) -> None:
    """Random actions by techs, dispatchers and the system: refused ones change nothing, accepted ones are in
    the table, final states stay final, and each side effect fires at most once per appointment."""
    state = S.SCHEDULED
    fired: list[SideEffect] = []
    claimed: set[SideEffect] = set()  # what the backend's unique (appointment, kind) key records
    for actor, target, with_text in seq:
        text = "because" if with_text else ""
        was_final = state in FINAL
        try:
            t = check_transition(state, target, actor, reason=text, customer_message=text)
        except (TransitionError, ReasonRequired, MessageRequired):
            continue
        assert not was_final, "left a final state"
        assert target in allowed_targets(state, actor)
        if actor is Actor.TECHNICIAN:
            assert (state, target) in FIELD_TABLE
        if actor is Actor.SYSTEM:
            assert (state, target) in SYSTEM_TABLE
        if is_backward(state, target):
            assert actor is Actor.DISPATCHER and with_text
        for effect in t.side_effects:
            if effect not in claimed:
                claimed.add(effect)
                fired.append(effect)
        state = target
    assert len(fired) == len(set(fired))
