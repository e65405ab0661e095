"""Response bodies of the HTTP API (`…Public` pydantic models), one module per area.

Every JSON route declares one of these as its response model, so `/openapi.json` describes what it answers;
the route still builds a plain dict (services/backend), which the model validates and serialises. Field order
follows the dicts, datetimes serialise as ISO 8601 in UTC with `Z`. The error body every route can answer is
`ErrorResponse` (models/public/common.py); docs/api.md is the contract in words.
"""
