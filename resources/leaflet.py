"""Where the installed django-js-lib-leaflet package keeps leaflet.js/css (the crew map and the field app use it
offline; also inside a PyInstaller bundle)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def leaflet_static_dir() -> Path:
    candidates: list[Path] = []
    spec = importlib.util.find_spec("js_lib_leaflet")
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) / "static" / "js_lib_leaflet" for p in spec.submodule_search_locations]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "js_lib_leaflet" / "static" / "js_lib_leaflet")
    for c in candidates:
        if (c / "leaflet.js").is_file() and (c / "leaflet.css").is_file():
            return c
    raise FileNotFoundError("Leaflet is missing: install the 'django-js-lib-leaflet' package (pip install "
                            "django-js-lib-leaflet) so the maps can work offline.")
