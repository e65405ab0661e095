"""Field simulator: drives the demo technicians through the real HTTP field API (positions, On My Way, Start,
Complete) along street-like paths, occasionally late — so a newcomer sees the board and the tracker move."""

from __future__ import annotations

import argparse
import logging
import math
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

log = logging.getLogger(__name__)
DISPATCHER = "dispatcher@mikescontracting.example"
DOMAIN = "mikescontracting.example"
CENTER = (30.2672, -97.7431)
TICK_S = 3.0  # a position every few seconds, like a phone app
DRIVE_MPS = 16.0  # ~36 mph on arterials (× speed)
M_PER_DEG = 111_320.0
REAL_CHECK_S = 30.0  # how often to look for technicians signed in to the field app on a real phone


def _step_towards(lat: float, lng: float, tlat: float, tlng: float, meters: float) -> tuple[float, float, bool]:
    """Move up to `meters` along a street grid: first north/south, then east/west (Manhattan path)."""
    kx = M_PER_DEG * math.cos(math.radians(lat))
    dy, dx = (tlat - lat) * M_PER_DEG, (tlng - lng) * kx
    if abs(dy) > 1.0:
        move = math.copysign(min(abs(dy), meters), dy)
        lat += move / M_PER_DEG
        meters -= abs(move)
    if meters > 0 and abs(dx) > 1.0:
        move = math.copysign(min(abs(dx), meters), dx)
        lng += move / kx
    done = abs(tlat - lat) * M_PER_DEG <= 1.0 and abs(tlng - lng) * kx <= 1.0
    return lat, lng, done


def _recent_phone(device: dict[str, Any]) -> bool:
    """A field-app session in use in the last two hours."""
    if device.get("kind") != "field_app" or device.get("revoked") or not device.get("last_seen_at"):
        return False
    seen = datetime.fromisoformat(str(device["last_seen_at"]).replace("Z", "+00:00"))
    return (datetime.now(UTC) - seen).total_seconds() < 2 * 3600


@dataclass
class SimTech:
    """One simulated technician: a signed-in field-app client and where their van is."""

    email: str
    client: httpx.Client
    tech_id: int
    lat: float
    lng: float
    rng: random.Random
    job: dict[str, Any] | None = None
    phase: str = "idle"  # idle | waiting | driving | on_site | working
    until: float = 0.0  # monotonic time the current pause ends
    target: tuple[float, float] | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)


class SignedOut(Exception):
    """The server no longer accepts a technician's sign-in."""


def _signed_in(r: httpx.Response) -> httpx.Response:
    if r.status_code == 401:
        raise SignedOut(r.text[:200])
    return r


class Simulator:
    """Runs in a background thread; `url_getter()` gives the backend URL (empty until it is listening)."""

    def __init__(self, url_getter: Callable[[], str], password: str = "demo1234", speed: float = 1.0,
                 seed: int | None = None, late_chance: float = 0.15):
        self.url_getter, self.password = url_getter, password
        self.speed = max(0.1, float(speed))
        self.rng = random.Random(seed)
        self.late_chance = late_chance
        self.techs: list[SimTech] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.errors = 0
        self.positions_sent = 0
        self.dispatcher: httpx.Client | None = None
        self._real: set[int] = set()
        self._real_checked = -REAL_CHECK_S

    # -- lifecycle ---------------------------------------------------------------------------------------
    def start_thread(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run, name="field-simulator", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for t in self.techs:
            t.client.close()
        if self.dispatcher is not None:
            self.dispatcher.close()

    def run(self) -> None:
        url = ""
        while not self._stop.is_set() and not url:
            url = self.url_getter()
            if not url:
                self._stop.wait(0.5)
        while not self._stop.is_set():
            try:
                if not self.techs:
                    self.sign_in(url)
                self.tick()
            except httpx.HTTPError as exc:
                self.errors += 1
                log.warning("simulator: backend not reachable (%s); retrying", exc)
                self._stop.wait(2.0)
            except Exception:
                self.errors += 1
                log.exception("simulator step failed")
                self._stop.wait(2.0)
            self._stop.wait(TICK_S / min(self.speed, 3.0))

    # -- sign-in -----------------------------------------------------------------------------------------
    def _login(self, url: str, email: str) -> httpx.Client | None:
        r = httpx.post(f"{url}/api/v1/auth/login", json={"email": email, "password": self.password}, timeout=10)
        if r.status_code != 200:
            log.info("simulator: cannot sign in as %s (%s)", email, r.status_code)
            return None
        return httpx.Client(base_url=url, timeout=10, headers={"Authorization": f"Bearer {r.json()['token']}"})

    def sign_in(self, url: str) -> None:
        """List the technicians through the dispatcher login and sign each one in to the field API."""
        disp = self._login(url, DISPATCHER)
        if disp is None:
            raise httpx.ConnectError("dispatcher login failed (demo data not seeded yet?)")
        self.dispatcher = disp
        techs = [t for t in disp.get("/api/v1/technicians").json() if t.get("active", True)]
        where = {p["technician_id"]: (p["lat"], p["lng"]) for p in disp.get("/api/v1/crew/positions").json()}
        for t in techs:
            email = t.get("email") or f"{t['name'].split()[0].lower()}@{DOMAIN}"
            client = self._login(url, email)
            if client is None:
                continue
            lat, lng = where.get(t["id"], CENTER)
            self.techs.append(SimTech(email, client, int(t["id"]), lat, lng, random.Random(self.rng.random())))
        log.info("simulator: driving %d technicians", len(self.techs))

    # -- behaviour ---------------------------------------------------------------------------------------
    def tick(self) -> None:
        real = self._on_real_phones()
        for tech in list(self.techs):
            if self._stop.is_set():
                return
            if tech.tech_id not in real:
                try:
                    self.step(tech)
                except SignedOut:  # a new password, or taken off the team: that technician is not driven any more
                    log.info("simulator: %s was signed out; no longer driving them", tech.email)
                    self.techs.remove(tech)
                    tech.client.close()

    def _on_real_phones(self) -> set[int]:
        """Technicians signed in to the field app on a real phone or browser are left to the person using it
        (checked every REAL_CHECK_S)."""
        now = time.monotonic()
        if self.dispatcher is None or now - self._real_checked < REAL_CHECK_S:
            return self._real
        self._real_checked = now
        real = set()
        for t in self.techs:
            r = self.dispatcher.get(f"/api/v1/technicians/{t.tech_id}/devices")
            if r.status_code == 200 and any(_recent_phone(d) for d in r.json()):
                real.add(t.tech_id)
        if real != self._real:
            log.info("simulator: leaving %d technician(s) signed in on a phone alone", len(real))
        self._real = real
        return real

    def _pause(self, tech: SimTech, lo: float, hi: float) -> None:
        tech.until = time.monotonic() + tech.rng.uniform(lo, hi) / self.speed

    def _post(self, tech: SimTech, path: str) -> dict[str, Any] | None:
        r = _signed_in(tech.client.post(path))
        if r.status_code == 200:
            return r.json()
        log.info("simulator: %s %s → %s %s", tech.email, path, r.status_code, r.text[:200])
        return None

    def _next_job(self, tech: SimTech) -> dict[str, Any] | None:
        jobs = _signed_in(tech.client.get("/api/v1/field/appointments")).json()
        order = {"en_route": 0, "arrived": 1, "in_progress": 2, "dispatched": 3, "scheduled": 4}
        live = [j for j in jobs if j["status"] in order and j.get("site_lat") is not None]
        live.sort(key=lambda j: (order[j["status"]] if order[j["status"]] < 3 else 3, j["window_start"]))
        return live[0] if live else None

    def step(self, tech: SimTech) -> None:
        now = time.monotonic()
        if tech.phase == "driving":
            self.drive(tech)
            return
        self.report(tech, speed=0.0)
        if now < tech.until:
            return
        job = self._next_job(tech)
        tech.job = job
        if job is None:
            tech.phase = "idle"
            self._pause(tech, 60, 120)
            return
        status, path = job["status"], f"/api/v1/field/appointments/{job['id']}"
        tech.target = (job["site_lat"], job["site_lng"])
        if status == "scheduled":
            self._post(tech, f"{path}/confirm")
            self._pause(tech, 5, 20)
        elif status == "dispatched":
            if tech.phase != "waiting" and tech.rng.random() < self.late_chance:
                tech.phase = "waiting"  # running late: lingers before heading out
                self._pause(tech, 240, 600)
                log.info("simulator: %s is running late", tech.email)
                return
            if self._post(tech, f"{path}/on-my-way") is not None:
                tech.phase = "driving"
        elif status == "en_route":
            if tech.phase == "on_site":  # parked but no arrival recorded: tap Start like a real tech would
                self._post(tech, f"{path}/start")
                tech.phase = "working"
                self._pause(tech, 60, 180)
            else:
                tech.phase = "driving"
        elif status == "arrived":
            self._post(tech, f"{path}/start")
            tech.phase = "working"
            self._pause(tech, 60, 180)
        elif status == "in_progress":
            if tech.phase == "working":
                self._post(tech, f"{path}/complete")
                tech.phase = "idle"
                self._pause(tech, 10, 40)
            else:
                tech.phase = "working"
                self._pause(tech, 30, 120)

    def drive(self, tech: SimTech) -> None:
        assert tech.target is not None
        meters = DRIVE_MPS * TICK_S * self.speed * tech.rng.uniform(0.6, 1.2)
        tech.lat, tech.lng, done = _step_towards(tech.lat, tech.lng, *tech.target, meters)
        if done:
            # Park in the driveway; the server's geofence decides the arrival from these fixes.
            self.report(tech, speed=0.0)
            tech.phase = "on_site"
            self._pause(tech, 20, 60)
        else:
            self.report(tech, speed=meters / (TICK_S * self.speed))  # the van's speed in simulated time

    def report(self, tech: SimTech, speed: float) -> None:
        jitter = 4.0 / M_PER_DEG
        fix = {"lat": tech.lat + tech.rng.gauss(0, jitter), "lng": tech.lng + tech.rng.gauss(0, jitter),
               "accuracy_m": round(tech.rng.uniform(4, 12), 1), "recorded_at": datetime.now(UTC).isoformat(),
               "speed_mps": round(speed, 1)}
        tech.pending.append(fix)
        r = _signed_in(tech.client.post("/api/v1/field/positions",
                                        json={"positions": tech.pending, "source": "simulator"},
                                        headers={"Idempotency-Key": uuid.uuid4().hex}))
        if r.status_code == 200:
            self.positions_sent += len(tech.pending)
            tech.pending = []
        elif r.status_code >= 500:
            tech.pending = tech.pending[-20:]  # keep a few for the retry, like a phone offline for a moment
        else:
            log.info("simulator: positions for %s refused: %s %s", tech.email, r.status_code, r.text[:300])
            tech.pending = []


def run_cli(args: argparse.Namespace) -> int:
    """`python main.py simulate --server URL [--password P] [--speed X]` (Ctrl+C to stop)."""
    url = str(args.server).rstrip("/")
    sim = Simulator(lambda: url, password=getattr(args, "password", "demo1234"),
                    speed=float(getattr(args, "speed", 1.0) or 1.0))
    sim.start_thread()
    print(f"Simulating the field against {url} (Ctrl+C to stop)")
    try:
        while True:
            time.sleep(10)
            print(f"  {len(sim.techs)} technicians · {sim.positions_sent} positions sent · {sim.errors} errors")
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0
