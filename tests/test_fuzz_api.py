"""Property-based fuzzing of every operation in /openapi.json (schemathesis), as a dispatcher, a technician and
a portal customer: valid and invalid path, query, header and body values, with ids that exist about half the
time. Every answer is checked against the served schema: no server error (5xx); the status is one the operation
documents; its content type, required headers and body are as documented; and input the schema forbids is refused
(4xx), never accepted.

Bounded so CI stays within minutes: DISPATCH_FUZZ_EXAMPLES examples per operation, role and mode (default 6),
derandomized unless DISPATCH_FUZZ_SEED is set (then that seed, for longer local hunts).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from models.tables import ApiToken, PortalSession, User
from services.backend import csrf
from services.backend.clock import OffsetClock
from services.backend.embedded import EmbeddedServer
from services.backend.portal_auth import COOKIE
from services.backend.security import new_token, token_hash
from tests.booking_support import form, image, portal_client
from tests.conftest import make_settings
from tests.fakeservers import FakeHttp
from tests.portal_helpers import add_visit_data
from tests.test_geocode import nominatim_handler

EXAMPLES = int(os.environ.get("DISPATCH_FUZZ_EXAMPLES", "6"))
SEED = os.environ.get("DISPATCH_FUZZ_SEED")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]


@pytest.fixture
def server(db_url: str) -> Iterator[EmbeddedServer]:
    """A backend whose every outside service is on loopback (a fake Nominatim for address search; the outbox
    does not run) and whose sign-in throttle does not stop the fuzzer's own sign-ins (tested elsewhere)."""
    geocoder = FakeHttp(nominatim_handler)
    srv = EmbeddedServer(make_settings(db_url, run_background_jobs=False, login_address_attempts=10**9,
                                       login_account_attempts=10**9, geocoder="nominatim",
                                       nominatim_url=geocoder.url), clock=OffsetClock()).start()
    yield srv
    srv.stop()
    geocoder.close()


class Identity:
    """Fresh credentials of one role, minted in the database (so a fuzzed logout never stops the run)."""

    def __init__(self, server: EmbeddedServer, role: str, *, user_id: int = 0, customer_id: int = 0):
        self.server, self.role, self.user_id, self.customer_id = server, role, user_id, customer_id
        self.renew()

    def renew(self) -> None:
        now = datetime.now(UTC)
        token = new_token()
        with self.server.backend.sessions() as s:
            if self.role == "customer":
                s.add(PortalSession(token_hash=token_hash(token), customer_id=self.customer_id, created_at=now,
                                    expires_at=now + timedelta(days=1)))
            else:
                s.add(ApiToken(token_hash=token_hash(token), user_id=self.user_id, created_at=now,
                               expires_at=now + timedelta(days=1)))
            s.commit()
        if self.role == "customer":
            self.headers, self.cookies = {csrf.HEADER: csrf.token_for(token)}, {COOKIE: token}
        else:
            self.headers, self.cookies = {"Authorization": f"Bearer {token}"}, {}


def _user_id(server: EmbeddedServer, email: str) -> int:
    from sqlalchemy import select

    with server.backend.sessions() as s:
        return int(s.scalar(select(User.id).where(User.email == email)))


def _known_ids(world: Any) -> dict[str, int]:
    """Ids of real objects, so that about half the generated paths reach one."""
    d = world.dispatcher
    portal = portal_client(world, world.cust1["id"])
    r = portal.post("/portal/request", data=form(world), files=[("photos", ("leak.png", image(), "image/png"))])
    req_id = int(r.headers["location"].split("/")[-1].split("?")[0])
    booking_photo = d.get(f"/api/v1/booking-requests/{req_id}").json()["photos"][0]["id"]
    visit = add_visit_data(world, world.appt1["id"], world.appt1["job_id"])
    note = portal.post(f"/api/v1/portal/appointments/{world.appt1['id']}/notes", json={"text": "Dog inside"}).json()
    contact = d.post(f"/api/v1/jobs/{world.appt1['job_id']}/contacts",
                     json={"name": "Pat", "phone": "+15125550100"}).json()
    alert = d.get("/api/v1/alerts").json()[0]["id"]
    return {"appt_id": world.appt1["id"], "appointment_id": world.appt1["id"], "tech_id": world.tech1["id"],
            "customer_id": world.cust1["id"], "job_id": world.appt1["job_id"], "req_id": req_id,
            "doc_id": visit["estimate"], "note_id": note["id"], "contact_id": contact["id"], "alert_id": alert,
            "user_id": _user_id(world.api.server, "dana@example.com"), "photo_id": visit["shared_photo"],
            "booking_photo_id": booking_photo}


def _point_at_real_objects(case: Any, known: dict[str, int]) -> None:
    params = case.path_parameters or {}
    for name, value in list(params.items()):
        if isinstance(value, int) and not isinstance(value, bool) and value % 2 == 0:
            key = "booking_photo_id" if name == "photo_id" and "booking" in case.path else name
            if key in known:
                params[name] = known[key]


def _run(operation: Any, mode: GenerationMode, base_url: str, who: Identity, known: dict[str, int],
         failures: list[str], statuses: Counter[int]) -> None:
    """Up to EXAMPLES generated requests to one operation in one mode, counting the answers by status."""
    timeout = 1.0 if operation.path == "/api/v1/events" else 30.0

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=SEED is None,
                         suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
                         verbosity=hypothesis.Verbosity.quiet)
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        _point_at_real_objects(case, known)
        response = case.call(base_url=base_url, headers=dict(who.headers), cookies=dict(who.cookies),
                             timeout=timeout)
        statuses[response.status_code] += 1
        if operation.path.endswith("/logout"):
            who.renew()
        case.validate_response(response, checks=CHECKS)

    if SEED is not None:
        run = hypothesis.seed(int(SEED))(run)
    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        pass  # nothing invalid can be made for this operation (e.g. no parameters, no body)
    except (Exception, BaseExceptionGroup) as exc:  # a failed check: hypothesis has shrunk it to a small example
        failures.append(f"{who.role} {mode.value} {operation.method.upper()} {operation.path}: "
                        + str(exc).strip()[:1500])


def _fuzz(spec: dict[str, Any], base_url: str, who: Identity, known: dict[str, int]) -> tuple[str, list[str]]:
    """Run every operation in both modes; (a summary line, server errors as reproducible lines)."""
    schema = schemathesis.openapi.from_dict(spec)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    ops = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        ops += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run(operation, mode, base_url, who, known, failures, statuses)
    ok = sum(n for code, n in statuses.items() if code < 300)
    codes = ", ".join(f"{code}×{n}" for code, n in sorted(statuses.items()))
    return f"{who.role}: {ops} operations, {statuses.total()} calls, {ok} successful ({codes})", failures


def test_every_answer_conforms_to_the_served_schema(world: Any) -> None:
    server = world.api.server
    known = _known_ids(world)
    spec = world.api.anon.get("/openapi.json").json()
    identities = [
        # A dispatcher, not an administrator: no fuzzed settings can point the backend at outside hosts.
        Identity(server, "dispatcher", user_id=_user_id(server, "dana@example.com")),
        Identity(server, "technician", user_id=_user_id(server, "marcus@example.com")),
        Identity(server, "customer", customer_id=world.cust1["id"]),
    ]
    summary, failures = [], []
    for who in identities:
        line, found = _fuzz(spec, server.url, who, known)
        summary.append(line)
        failures += found
    print("\nfuzzed (" + server.settings.db_url.split(":")[0] + ")\n  " + "\n  ".join(summary))
    assert world.api.anon.get("/healthz").status_code == 200
    assert not failures, f"{len(failures)} answers not as documented:\n" + "\n".join(failures[:60])
