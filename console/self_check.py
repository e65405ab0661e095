"""`--self-check`: start the embedded backend, render a portal page and the crew map offscreen, report, exit."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def leaflet_dir() -> Path:
    """Leaflet 1.9.4 as shipped by the django-js-lib-leaflet package (works inside a PyInstaller bundle too)."""
    import js_lib_leaflet

    return Path(js_lib_leaflet.__file__).resolve().parent / "static" / "js_lib_leaflet"


def _wait(app: object, done: Callable[[], bool], timeout: float) -> bool:
    from PySide6.QtCore import QCoreApplication

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        QCoreApplication.processEvents()
        if done():
            return True
        time.sleep(0.01)
    return done()


def run() -> int:
    """Print each check as it passes or fails; exit status 0 only if all pass."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--no-sandbox" not in flags:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --no-sandbox").strip()
    from PySide6.QtCore import QUrl
    from PySide6.QtWebEngineWidgets import QWebEngineView
    from PySide6.QtWidgets import QApplication

    from services.backend.embedded import EmbeddedServer, sqlite_url
    from services.backend.settings import Settings

    results: list[tuple[str, bool, str]] = []

    def check(name: str, ok: bool, detail: str = "") -> None:
        results.append((name, ok, detail))
        print(f"[{'ok' if ok else 'FAIL'}] {name}{' — ' + detail if detail else ''}", flush=True)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    tmp = tempfile.TemporaryDirectory(prefix="dispatch-selfcheck-")
    server = None
    try:
        t0 = time.monotonic()
        server = EmbeddedServer(Settings(db_url=sqlite_url(Path(tmp.name) / "check.db"),
                                         run_background_jobs=False)).start()
        check("embedded backend started and healthy", True, f"{server.url} in {time.monotonic() - t0:.1f} s")
        import httpx

        status = httpx.get(server.url + "/portal", timeout=10).status_code
        check("portal page served", status == 200, f"HTTP {status}")
        view = QWebEngineView()
        view.resize(400, 800)
        state: dict[str, object] = {}
        view.loadFinished.connect(lambda ok: state.__setitem__("loaded", ok))
        view.load(QUrl(server.url + "/portal"))
        _wait(app, lambda: "loaded" in state, 60)
        check("portal page loaded in Qt WebEngine", state.get("loaded") is True, server.url + "/portal")
        view.page().runJavaScript("document.body ? document.body.innerText : ''",
                                  0, lambda text: state.__setitem__("text", text))
        _wait(app, lambda: "text" in state, 20)
        text = str(state.get("text") or "")
        check("portal page has content", status == 200 and len(text.strip()) > 20, repr(text.strip()[:60]))

        leaflet = leaflet_dir()
        check("Leaflet assets bundled", (leaflet / "leaflet.js").is_file(), str(leaflet))
        html = (
            "<!doctype html><html><head><link rel='stylesheet' href='leaflet.css'><script src='leaflet.js'></script>"
            "<style>html,body,#m{height:100%;margin:0}</style></head><body><div id='m'></div><script>"
            "var map=L.map('m',{preferCanvas:true}).setView([30.2672,-97.7431],12);"
            "L.tileLayer('http://127.0.0.1:9/{z}/{x}/{y}.png').addTo(map);"
            "L.circleMarker([30.27,-97.74],{radius:8}).addTo(map);</script></body></html>"
        )
        state.pop("loaded", None)
        view.setHtml(html, QUrl.fromLocalFile(str(leaflet) + "/"))
        _wait(app, lambda: "loaded" in state, 60)
        view.page().runJavaScript("typeof L !== 'undefined' && typeof map !== 'undefined' ? L.version : ''",
                                  0, lambda v: state.__setitem__("leaflet", v))
        _wait(app, lambda: "leaflet" in state, 20)
        check("crew map (Leaflet, canvas markers) rendered offscreen with blank tiles",
              bool(state.get("leaflet")), f"Leaflet {state.get('leaflet')}")
        view.close()
        view.deleteLater()
        _wait(app, lambda: False, 0.3)
    except Exception as exc:  # report, don't crash
        check("self-check ran to the end", False, f"{type(exc).__name__}: {exc}")
    finally:
        if server is not None:
            server.stop()
        tmp.cleanup()
    failed = [r for r in results if not r[1]]
    print(f"self-check: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0
