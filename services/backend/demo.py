"""Demo data: "Mike's Contracting" in Austin, Texas — technicians, customers, today's board, bookings."""

from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import AppointmentStatus as S
from models.enums import BioStatus, Role
from models.tables import (
    Appointment,
    BookingRequest,
    Customer,
    Job,
    LatestPosition,
    StatusEvent,
    Technician,
    TimeEntry,
    User,
    VisitPhoto,
    VisitSummary,
)
from services.backend.context import Backend
from services.backend.demo_messages import record_today
from services.backend.security import hash_password

TZ = "America/Chicago"
DEMO_PASSWORD = "demo1234"
DISPATCHER_EMAIL = "dispatcher@mikescontracting.example"
ADMIN_EMAIL = "admin@mikescontracting.example"
CENTER = (30.2672, -97.7431)  # downtown Austin

TECHS = [
    ("Marcus Reed", "White", "Ford", "F-150", 2021), ("Elena Torres", "Silver", "Chevrolet", "Silverado", 2020),
    ("Jamal Carter", "Red", "Ram", "ProMaster", 2022), ("Priya Nair", "Blue", "Ford", "Transit", 2019),
    ("Derek Olsen", "Black", "Toyota", "Tacoma", 2023), ("Sofia Alvarez", "White", "Nissan", "NV200", 2018),
    ("Tyler Brooks", "Gray", "GMC", "Sierra", 2021), ("Hannah Kim", "White", "Ford", "E-350", 2020),
    ("Andre Williams", "Green", "Chevrolet", "Express", 2022), ("Lucas Meyer", "Silver", "Ram", "1500", 2019),
    ("Grace Chen", "Blue", "Toyota", "Tundra", 2024), ("Omar Haddad", "White", "Mercedes-Benz", "Sprinter", 2021),
    ("Ruby Jackson", "Red", "Ford", "Ranger", 2020), ("Nate Sullivan", "Black", "Chevrolet", "Colorado", 2022),
]
BIOS = [
    "Licensed master plumber with 12 years in Austin homes. I'll always put on shoe covers.",
    "HVAC specialist, NATE certified. I love explaining what I find so you can decide with confidence.",
    "Electrician and proud dad of two. Safety first, tidy always.",
    "Ten years fixing water heaters and leaks across Travis County.",
]
STREETS = [
    "Congress Ave", "Lamar Blvd", "Guadalupe St", "Burnet Rd", "Manor Rd", "Cesar Chavez St", "Riverside Dr",
    "Oltorf St", "William Cannon Dr", "Slaughter Ln", "Airport Blvd", "Koenig Ln", "Anderson Ln",
    "Parmer Ln", "MLK Jr Blvd", "Enfield Rd", "Windsor Rd", "Duval St", "Speedway", "Red River St",
    "Barton Springs Rd", "Bee Caves Rd", "Mopac Expy", "Springdale Rd", "Pleasant Valley Rd", "Rundberg Ln",
    "Braker Ln", "Mesa Dr", "Spicewood Springs Rd", "Far West Blvd", "Shoal Creek Blvd", "Ben White Blvd",
    "Stassney Ln", "Menchaca Rd", "Brodie Ln", "Westgate Blvd", "Cameron Rd", "Loyola Ln", "Tannehill Ln",
]
FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
         "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Betty", "Mark", "Sandra", "Steven", "Ashley",
         "Kevin", "Emily", "Brian", "Michelle", "Jose", "Amanda", "Luis", "Melissa", "Ryan", "Stephanie"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
        "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez",
        "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Nguyen", "Hill"]
SERVICES = ["Leak repair", "Water heater service", "Drain cleaning", "AC tune-up", "Furnace repair",
            "Thermostat install", "Panel upgrade", "Outlet & switch repair", "Ceiling fan install",
            "Garbage disposal replacement", "Toilet repair", "Duct cleaning"]
DESCRIPTIONS = {
    "Leak repair": "Slow drip under the kitchen sink, cabinet floor is soft.",
    "Water heater service": "No hot water since this morning; 40 gal gas unit in garage.",
    "Drain cleaning": "Main bathroom tub drains very slowly.",
    "AC tune-up": "Annual maintenance before summer; two-story home, upstairs unit.",
    "Furnace repair": "Furnace blows cold air; pilot light keeps going out.",
}
COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]


def portrait_png(name: str, color: str) -> bytes:
    """A simple headshot placeholder (initials on a coloured disc), drawn locally with Pillow."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (256, 256), "#f2f4f7")
    d = ImageDraw.Draw(img)
    d.ellipse((8, 8, 248, 248), fill=color)
    d.ellipse((88, 48, 168, 128), fill="#ffffffcc" if False else "#f6e0c8")
    d.pieslice((48, 130, 208, 290), 180, 360, fill="#f6e0c8")
    initials = "".join(p[0] for p in name.split()[:2])
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", 40)
    except OSError:
        font = ImageFont.load_default()
    d.text((128, 226), initials, fill="white", anchor="mm", font=font)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def logo_png() -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((4, 4, 124, 124), 24, fill="#0B5FA5")
    d.polygon([(64, 22), (104, 58), (94, 58), (94, 100), (34, 100), (34, 58), (24, 58)], fill="white")
    d.rectangle((56, 72, 72, 100), fill="#0B5FA5")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _point(rng: random.Random, spread: float = 0.11) -> tuple[float, float]:
    return CENTER[0] + rng.uniform(-spread, spread), CENTER[1] + rng.uniform(-spread * 1.1, spread * 1.1)


def is_seeded(session: Session) -> bool:
    return bool(session.scalar(select(func.count(Technician.id))))


def seed(session: Session, ctx: Backend, *, today: date | None = None, rng_seed: int = 7) -> dict[str, Any]:
    """Fill an empty database with the demo company. Returns the logins."""
    rng = random.Random(rng_seed)
    now = ctx.clock.now()
    tz = ZoneInfo(TZ)
    today = today or now.astimezone(tz).date()
    company = ctx.company(session)
    company.name, company.phone, company.time_zone = "Mike's Contracting", "(512) 555-0142", TZ
    company.email, company.logo_png = "office@mikescontracting.example", logo_png()
    company.bookable_services = SERVICES[:10]
    company.survey_categories = ["Punctuality", "Professionalism", "Quality of work", "Cleanliness", "Value"]
    company.payment_instructions = "Pay by phone at (512) 555-0142 or mail a check to 2200 S Lamar Blvd."
    session.add(User(email=DISPATCHER_EMAIL, name="Dana Whitfield", role=Role.DISPATCHER,
                     password_hash=hash_password(DEMO_PASSWORD), created_at=now))
    session.add(User(email=ADMIN_EMAIL, name="Mike Russo", role=Role.ADMIN,
                     password_hash=hash_password(DEMO_PASSWORD), created_at=now))
    techs: list[Technician] = []
    for i, (name, color, make, model, year) in enumerate(TECHS):
        first = name.split()[0].lower()
        t = Technician(name=name, phone=f"+1512555{1100 + i:04d}", email=f"{first}@mikescontracting.example",
                       photo_png=portrait_png(name, COLORS[i % len(COLORS)]), vehicle_year=year,
                       vehicle_make=make, vehicle_model=model, vehicle_color=color, created_at=now)
        if i % 3 == 0:
            t.bio_approved, t.bio_status = BIOS[i % len(BIOS)], BioStatus.APPROVED
        if i in (2, 5, 9):
            t.bio_pending, t.bio_status, t.bio_submitted_at = BIOS[(i + 1) % len(BIOS)], BioStatus.PENDING, now
        session.add(t)
        session.flush()
        session.add(User(email=t.email, name=name, role=Role.TECHNICIAN, technician_id=t.id,
                         password_hash=hash_password(DEMO_PASSWORD), created_at=now))
        techs.append(t)
    customers: list[Customer] = []
    for i in range(160):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        lat, lng = _point(rng)
        c = Customer(name=f"{first} {last}", email=f"{first.lower()}.{last.lower()}{i}@example.com",
                     phone=f"+1512555{2000 + i:04d}", address=f"{rng.randint(100, 9899)} {rng.choice(STREETS)}",
                     city="Austin", state="TX", zip=str(rng.choice([78701, 78702, 78703, 78704, 78705, 78723,
                                                                    78731, 78741, 78745, 78751, 78757])),
                     lat=lat, lng=lng, created_at=now)
        customers.append(c)
    session.add_all(customers)
    session.flush()

    def make_appt(cust: Customer, tech: Technician | None, day: date, hour: float, status: S,
                  partner: bool = False) -> Appointment:
        service = rng.choice(SERVICES)
        job = Job(customer_id=cust.id, service_type=service,
                  description=DESCRIPTIONS.get(service, f"{service} requested by the customer."),
                  internal_notes=f"Gate code {rng.randint(1000, 9999)}. Quote ${rng.randint(150, 900)} approved.",
                  internal_cost_cents=rng.randint(5000, 60000), source="partner" if partner else "direct",
                  source_partner="HomeShield Warranty" if partner else "", bios_allowed=not partner,
                  address=f"{cust.address}, {cust.city}, {cust.state} {cust.zip}", lat=cust.lat, lng=cust.lng,
                  created_at=now - timedelta(days=3))
        session.add(job)
        session.flush()
        start = datetime.combine(day, time(0), tzinfo=tz) + timedelta(hours=hour)
        appt = Appointment(job_id=job.id, technician_id=tech.id if tech else None, window_start=start,
                           window_end=start + timedelta(hours=2), status=S.SCHEDULED.value, version=1,
                           site_lat=cust.lat, site_lng=cust.lng, created_at=now - timedelta(days=2),
                           updated_at=now, updated_by="Dana Whitfield")
        session.add(appt)
        session.flush()
        _walk_status(session, appt, status, tech, start, now)
        record_today(session, ctx, appt)  # the side effects and texts a live day would have left
        return appt

    # Today: each tech gets 4–6 visits; earlier ones are done, the current one is live, later ones waiting.
    local_now = now.astimezone(tz)
    now_h = local_now.hour + local_now.minute / 60 if local_now.date() == today else 12.0
    ci = 0
    # Slots start about five hours before now so the board shows finished, live and upcoming work. In the
    # small hours (before 5 AM) the first visit is shown done and the second live, whatever the clock says.
    base = max(0.0, min(14.0, round((now_h - 5) * 2) / 2))
    for ti, tech in enumerate(techs):
        for k in range(4 + ti % 3):
            hour = min(21.5, base + 2 * k + rng.choice([0, 0.5]))
            early = now_h < 5
            if (early and k == 0) or (not early and hour + 2 <= now_h - 0.5):
                status = rng.choice([S.COMPLETE, S.COMPLETE, S.COMPLETE, S.PAUSED])
            elif (early and k == 1) or (not early and hour <= now_h):
                # The live visit: on site once its window is well under way, except for two technicians who
                # are still on their way, 45 minutes into the window (LATE from the first check, as on a real morning).
                if not early and ti in (1, 5):
                    hour = max(0.0, min(hour, now_h - 0.75))  # 45 minutes into the window: LATE at the first check
                under_way = not early and now_h - hour > 0.4
                status = (rng.choice([S.ARRIVED, S.IN_PROGRESS, S.IN_PROGRESS]) if under_way and ti not in (1, 5)
                          else rng.choice([S.EN_ROUTE, S.EN_ROUTE, S.DISPATCHED]))
            else:
                status = rng.choice([S.SCHEDULED, S.DISPATCHED, S.SCHEDULED])
            make_appt(customers[ci % len(customers)], tech, today, hour, status, partner=ci % 7 == 3)
            ci += 1
    # A couple of cancellations and a few unassigned visits.
    make_appt(customers[ci], techs[0], today, min(21.0, base + 3), S.CANCELLED)
    for k in range(4):
        make_appt(customers[ci + 1 + k], None, today, min(21.5, base + 4 + 1.5 * k), S.SCHEDULED)
    ci += 5
    # Days around today.
    for delta in (-2, -1, 1, 2, 3):
        for k in range(18):
            status = S.COMPLETE if delta < 0 else S.SCHEDULED
            make_appt(customers[(ci + k) % len(customers)], techs[k % len(techs)], today + timedelta(days=delta),
                      8.0 + (k % 5) * 2, status)
        ci += 18
    # Completed visits get a summary and photos (some shared with the customer).
    for appt in session.scalars(select(Appointment).where(Appointment.status == S.COMPLETE.value).limit(40)):
        session.add(VisitSummary(appointment_id=appt.id, created_at=now,
                                 notes="Replaced the worn part, tested for 15 minutes, no further issues."))
        for j, shared in enumerate((True, False)):
            session.add(VisitPhoto(appointment_id=appt.id, caption=["After repair", "Old part"][j],
                                   content_type="image/png", data=portrait_png("OK", COLORS[j + 2]),
                                   shared_with_customer=shared, created_at=now))
    # Techs who are out in the field have a recent position near their current job.
    for tech in techs:
        lat, lng = _point(rng, 0.08)
        session.add(LatestPosition(technician_id=tech.id, lat=lat, lng=lng, accuracy_m=8.0,
                                   recorded_at=now - timedelta(seconds=rng.randint(5, 90)), geo_state={}))
    # Booking requests in every state.
    states = ["submitted", "submitted", "submitted", "under_review", "counter_proposed", "declined", "submitted"]
    for k, state in enumerate(states):
        cust = customers[-1 - k]
        created = now - timedelta(hours=[1, 5, 50, 20, 30, 70, 0.2][k])
        session.add(BookingRequest(
            customer_id=cust.id, service_type=SERVICES[k], time_preference=["morning", "afternoon", "flexible"][k % 3],
            preferred_dates=[(today + timedelta(days=d)).isoformat() for d in (2, 3)],
            address=f"{cust.address}, {cust.city}, {cust.state} {cust.zip}", lat=cust.lat, lng=cust.lng,
            notes=["The leak is under the kitchen sink.", "Gate code is 4821.", "Dog in the backyard, friendly.",
                   "", "Upstairs unit makes a rattling noise.", "", "Prefer a call before arrival."][k],
            state=state, created_at=created, updated_at=created,
            proposed_start=(datetime.combine(today + timedelta(days=4), time(9), tzinfo=tz)
                            if state == "counter_proposed" else None),
            proposed_end=(datetime.combine(today + timedelta(days=4), time(11), tzinfo=tz)
                          if state == "counter_proposed" else None),
            response_message={"counter_proposed": "We're booked on your dates — would Thursday morning work?",
                              "declined": "Sorry, we don't service pools. Try a pool specialist."}.get(state, ""),
        ))
    from services.backend.demo_dispatch import seed_skills_and_zones  # skills, what services need, zones

    seed_skills_and_zones(session, techs, now)
    from services.backend.demo_bookings import seed_history  # sixty days of past visits for Insights

    seed_history(session, company, techs, customers, today, now, ctx.public_url)
    session.flush()
    return {"dispatcher": DISPATCHER_EMAIL, "admin": ADMIN_EMAIL, "password": DEMO_PASSWORD,
            "technicians": [t.email for t in techs]}


PATH = [S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE, S.ARRIVED, S.IN_PROGRESS]


def _walk_status(session: Session, appt: Appointment, target: S, tech: Technician | None, start: datetime,
                 now: datetime) -> None:
    """Give a demo appointment a believable audit trail up to `target`."""
    steps: list[S]
    if target == S.CANCELLED:
        steps = [S.CANCELLED]
    elif target in (S.COMPLETE, S.PAUSED):
        steps = PATH[1:] + [target]
    else:
        steps = PATH[1 : PATH.index(target) + 1]
    prev, t = S.SCHEDULED, min(start - timedelta(minutes=50), now - timedelta(minutes=40))
    last_by = appt.updated_by
    entry: TimeEntry | None = None
    for version, step in enumerate(steps, start=2):
        t = min(t + timedelta(minutes=random.Random(appt.id).randint(8, 30)), now)
        actor = "dispatcher" if step == S.CANCELLED else "technician"
        source = "geofence" if step == S.ARRIVED else ("console" if actor == "dispatcher" else "field_app")
        session.add(StatusEvent(appointment_id=appt.id, version=version, from_status=prev.value,
                                to_status=step.value, actor="system" if source == "geofence" else actor,
                                actor_name=(last_by := tech.name if tech and actor == "technician"
                                            else "Dana Whitfield"),
                                source=source, created_at=t,
                                customer_message=("Part ordered; we'll call to book the follow-up."
                                                  if step == S.PAUSED else "")))
        if step == S.ARRIVED and tech is not None:  # the arrival clock-in, as the geofence opens it
            entry = TimeEntry(appointment_id=appt.id, technician_id=tech.id, started_at=t)
            session.add(entry)
        elif step == S.COMPLETE and entry is not None:
            entry.ended_at = t
        prev = step
    appt.status = target.value
    appt.version = 1 + len(steps)
    if steps:  # the account that made the last change, when (as a live day records it)
        appt.updated_by, appt.updated_at = last_by, t
    if target == S.PAUSED:
        appt.customer_message = "Part ordered; we'll call to book the follow-up."


def seed_if_empty(ctx: Backend) -> dict[str, Any] | None:
    with ctx.sessions() as s:
        if is_seeded(s):
            return None
        info = seed(s, ctx)
        s.commit()
        return info


def seed_demo(ctx: Backend) -> dict[str, Any] | None:
    """Seed an empty database and, where background jobs run, raise the day's LATE alerts right away (the
    watchdog's next pass would be up to its interval away)."""
    info = seed_if_empty(ctx)
    if info is not None and ctx.settings.run_background_jobs:
        from services.backend import watchdog

        watchdog.run_checks(ctx)
    return info


def schedule_demo_on_start(app: Any, *, simulate: bool) -> None:
    """Seed when the app starts (after the schema upgrade) and, if asked, run the field simulator."""
    ctx: Backend = app.state.backend
    previous = app.router.lifespan_context

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(a: Any):  # type: ignore[no-untyped-def]
        async with previous(a):
            import asyncio

            await asyncio.to_thread(seed_demo, ctx)
            sim = None
            if simulate:
                from services.simulator import Simulator

                sim = Simulator(lambda: ctx.public_url, password=DEMO_PASSWORD)
                sim.start_thread()
            try:
                yield
            finally:
                if sim is not None:
                    sim.stop()

    app.router.lifespan_context = lifespan
