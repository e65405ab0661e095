"""Checking real answers against the served /openapi.json: which operation a request reached, and whether the
status, content type, required headers and body are what that operation documents."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from jsonschema import Draft202012Validator


@dataclass
class Seen:
    method: str
    path: str
    template: str
    status: int


@dataclass
class Contract:
    """The served schema, and every answer checked against it."""

    spec: dict[str, Any]
    seen: list[Seen] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._routes = [(re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"), p) for p in self.spec["paths"]]
        self._routes.sort(key=lambda r: r[1].count("{"))  # /appointments/search before /appointments/{id}

    def watch(self, client: httpx.Client) -> httpx.Client:
        """Check every answer `client` receives from now on."""
        client.event_hooks["response"].append(self._check)
        return client

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for regex, template in self._routes:
            if regex.match(path):
                op = self.spec["paths"][template].get(method.lower())
                return (template, op) if op is not None else None
        return None

    def _check(self, response: httpx.Response) -> None:
        request = response.request
        found = self.operation(request.method, request.url.path)
        if found is None:  # a page, a static file, or a method the path does not have (checked elsewhere)
            return
        response.read()
        template, op = found
        self.seen.append(Seen(request.method, request.url.path, template, response.status_code))
        where = f"{request.method} {request.url.path} → {response.status_code}"
        doc = op["responses"].get(str(response.status_code))
        if doc is None:
            self.problems.append(f"{where}: status not documented ({', '.join(op['responses'])})")
            return
        for name, header in (doc.get("headers") or {}).items():
            if header.get("required") and name not in response.headers:
                self.problems.append(f"{where}: required header {name} missing")
        content = doc.get("content") or {}
        if response.status_code == 204 or not response.content:
            if content and response.status_code != 204:
                self.problems.append(f"{where}: empty body, documented {list(content)}")
            return
        ctype = response.headers.get("content-type", "").split(";")[0].strip()
        media = content[ctype] if ctype in content else next(  # an exact type may be documented as `{}`
            (v for k, v in content.items() if k.endswith("/*") and ctype.startswith(k[:-1])), None)
        if media is None:
            self.problems.append(f"{where}: content type {ctype} not documented ({list(content)})")
            return
        schema = media.get("schema")
        if ctype != "application/json" or not schema:
            return
        validator = Draft202012Validator({**schema, "components": self.spec["components"]})
        for err in list(validator.iter_errors(json.loads(response.content)))[:3]:
            path = "/".join(str(p) for p in err.absolute_path)
            self.problems.append(f"{where}: body at /{path}: {err.message[:200]}")
