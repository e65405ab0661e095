"""The dispatch board's routers, mounted before /api/v1/appointments/{id} (so /appointments/search is not an id)."""

from services.backend.routes import availability, geocode, jobs, search

routers = [search.router, availability.router, geocode.router, jobs.router]
