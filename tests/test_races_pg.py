"""Races between two backend replicas on one PostgreSQL database (tests/race_support.py): every status change,
from the field app, the console, the geofence or the watchdog, has one winner and one linear history, and
nothing is sent for a change that lost. bench/bench_races.py runs the same races many more times."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.race_support import RaceLab

pytestmark = pytest.mark.pg


@pytest.fixture(scope="module")
def lab() -> Iterator[RaceLab]:
    from tests.conftest import PG_URL, _pg_database

    if not PG_URL:
        pytest.skip("PostgreSQL not configured (set DISPATCH_TEST_PG_URL; .ci/run does)")
    gen = _pg_database()
    url = next(gen)
    try:
        with RaceLab(url) as lab:
            yield lab
            assert lab.server_errors() == []
    finally:
        gen.close()


def test_geofence_arrival_racing_a_cancel_has_one_winner(lab: RaceLab) -> None:
    out = lab.geofence_vs_cancel(24)
    assert out.attempts == 24 and out.anomalies == []
    assert sum(out.winners.values()) == 24


def test_geofence_arrival_racing_start_keeps_one_history(lab: RaceLab) -> None:
    out = lab.arrival_vs_start(12)
    assert out.attempts == 12 and out.anomalies == []


def test_arrival_during_a_late_pass_resolves_the_alert(lab: RaceLab) -> None:
    out = lab.late_vs_arrival(3, busy=8)
    assert out.attempts == 24 and out.anomalies == []
