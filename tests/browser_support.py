"""Playwright for Python driving Debian's chromium: a phone-sized context on the field app, screenshots, checks."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "field"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium; tools/test.sh does)")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield b
    b.close()
    pw.stop()


def phone(browser: Any, *, lat: float | None = None, lng: float | None = None, locate: bool = True) -> Any:
    """A 390×844 touch context; with `locate` the site may use the (emulated) GPS."""
    kw: dict[str, Any] = {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 1,
                          "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                                        "Gecko) Chrome/126.0 Mobile Safari/537.36",
                          "timezone_id": "America/Chicago", "locale": "en-US"}
    if locate:
        kw["permissions"] = ["geolocation"]
        kw["geolocation"] = {"latitude": lat if lat is not None else 30.2672,
                             "longitude": lng if lng is not None else -97.7431, "accuracy": 6}
    ctx = browser.new_context(**kw)
    ctx.set_default_timeout(20_000)
    return ctx


def watch(page: Any) -> list[str]:
    """Collect page errors and CSP violations (a test asserts there are none)."""
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: problems.append(f"console: {m.text}")
            if m.type == "error" and "ERR_NAME_NOT_RESOLVED" not in m.text and "ERR_INTERNET_DISCONNECTED"
            not in m.text and "Failed to load resource" not in m.text else None)
    return problems


def shot(page: Any, name: str, full: bool = False) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    if full:
        page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=full)
    return path


def sign_in(page: Any, url: str, email: str = "marcus@example.com", password: str = "techpass1") -> None:
    page.goto(url + "/field")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_selector("#view .daynav")


def small_targets(page: Any) -> list[str]:
    """Visible controls shorter than 48 CSS px (gloved thumbs need ≥ 48 px)."""
    return page.evaluate("""() => [...document.querySelectorAll(
        'button, a.btn, a.job, a.back, a.me, input:not([type=hidden]):not([type=file]), textarea, label.btn')]
      .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 &&
                      getComputedStyle(el).visibility !== 'hidden'; })
      .filter(el => el.getBoundingClientRect().height < 48)
      .map(el => (el.textContent || el.name || el.tagName).trim().slice(0, 40) + ': ' +
                 Math.round(el.getBoundingClientRect().height) + 'px')""")
