"""Jinja2 templates for the portal and tracker (server-rendered, no third-party scripts)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from models.lateness import CUSTOMER_BANNER
from resources import RESOURCES

TEMPLATES = RESOURCES / "portal" / "templates"
STATIC = RESOURCES / "portal" / "static"

env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "xml"]))
env.globals["LATE_BANNER"] = CUSTOMER_BANNER  # portal_macros.html `late_banner`

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
}


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with the security headers every portal and tracker page carries. Pages get the
    `csrf_token` of the portal session cookie (for their forms' hidden field and `<meta name="csrf-token">`)
    unless the caller passes its own (pages of another cookie)."""
    from services.backend import csrf
    from services.backend.portal_auth import COOKIE

    context.setdefault("csrf_token", csrf.token_for(request.cookies.get(COOKIE)))
    html = env.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status_code, headers=dict(SECURITY_HEADERS))
