"""CSRF protection for cookie-authenticated pages (customer portal, booking, preferences, field app).

The token is derived from the session's own secret cookie value (HMAC), so it needs no storage, differs per
session, and a page on another site can neither read nor guess it. Pages put it in every form as a hidden
`csrf_token` field and in a `<meta name="csrf-token">` for their scripts, which send it back as the
`X-CSRF-Token` header on every state-changing fetch.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable

from fastapi import Request

from services.backend.contract import UNSAFE, answers
from services.backend.errors import Forbidden

HEADER = "X-CSRF-Token"
FIELD = "csrf_token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
#: Limits for reading a form to find its token. Starlette keeps the first parse of a request's form, so these
#: are the limits every cookie-authenticated form gets (the largest: a booking request with its photos).
FORM_LIMITS = {"max_files": 10, "max_fields": 100, "max_part_size": 1024 * 1024}


def token_for(session_token: str | None) -> str:
    """The CSRF token of a session (empty when there is no session)."""
    if not session_token:
        return ""
    return hmac.new(session_token.encode(), b"dispatch-csrf-v1", hashlib.sha256).hexdigest()


def valid(session_token: str | None, submitted: str | None) -> bool:
    expected = token_for(session_token)
    return bool(expected) and bool(submitted) and hmac.compare_digest(expected, str(submitted))


async def submitted_token(request: Request) -> str | None:
    """The token a request carries: the header, else the form field of a form post."""
    header = request.headers.get(HEADER)
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form(**FORM_LIMITS)  # cached by Starlette: the route's own form reading reuses it
        value = form.get(FIELD)
        return value if isinstance(value, str) else None
    return None


def require(cookie: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency refusing (403) a state-changing request whose CSRF token does not match the session cookie.

    Requests without the session cookie pass through: they are not cookie-authenticated, and the route's own
    authentication answers them.
    """

    @answers(403, methods=UNSAFE)
    async def check(request: Request) -> None:
        if request.method in _SAFE:
            return
        session_token = request.cookies.get(cookie)
        if not session_token:
            return
        if not valid(session_token, await submitted_token(request)):
            raise Forbidden(
                "This form has expired or did not come from this site. Reload the page and try again.",
                [{"field": FIELD, "message": "missing or does not match this session; reload the page"}],
            )

    return check
