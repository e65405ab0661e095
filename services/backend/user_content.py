"""Headers for what users uploaded (photos, thumbnails, headshots, logos): never sniffed into something else,
never run as a page, always shown inline under a plain file name.

One ASGI middleware for every image response, so every route serving user content, present and future, gets
them; `X-Content-Type-Options: nosniff` goes on every response.
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Shown as an image or downloaded, a user's file can load nothing and run nothing.
USER_CONTENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
_EXT = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif", "image/heic": "heic"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(path: str, content_type: str) -> str:
    """A plain ASCII name from the URL, e.g. /api/v1/portal/notes/5/photo → notes-5-photo.jpg."""
    parts = [p for p in path.split("/") if p][-3:]
    stem = _UNSAFE.sub("-", "-".join(parts)).strip("-.")[:80] or "image"
    ext = _EXT.get(content_type.split(";")[0].strip().lower(), "bin")
    stem = re.sub(rf"\.{ext}$", "", stem)
    return f"{stem}.{ext}"


class UserContentHeaders:
    """Adds `nosniff` to every response, and a sandboxing CSP and `Content-Disposition: inline` to images."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "x-content-type-options" not in headers:
                    headers["X-Content-Type-Options"] = "nosniff"
                ctype = headers.get("content-type", "")
                if ctype.startswith("image/"):
                    headers["Content-Security-Policy"] = USER_CONTENT_CSP
                    if "content-disposition" not in headers:
                        headers["Content-Disposition"] = f'inline; filename="{file_name(path, ctype)}"'
            await send(message)

        await self.app(scope, receive, send_with_headers)
