"""console.spec builds a one-folder app that runs --version and --self-check without the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.packaging


def test_bundle_builds_and_self_checks(tmp_path: Path) -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to clone from")
    src = tmp_path / "src"
    # A clean checkout of what is committed (plus the working tree's tracked changes, for local runs).
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(src)], check=True)
    diff = subprocess.run(["git", "diff", "HEAD", "--binary"], cwd=ROOT, capture_output=True, check=True).stdout
    if diff.strip():
        subprocess.run(["git", "apply", "--whitespace=nowarn"], cwd=src, input=diff, check=True)
    t0 = time.monotonic()
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "console.spec", "--noconfirm", "--distpath", str(tmp_path / "dist"),
         "--workpath", str(tmp_path / "work")],
        cwd=src, capture_output=True, text=True, timeout=1500,
    )
    seconds = time.monotonic() - t0
    assert build.returncode == 0, build.stderr[-4000:]
    app_dir = tmp_path / "dist" / "DispatchConsole"
    exe = app_dir / ("DispatchConsole.exe" if os.name == "nt" else "DispatchConsole")
    assert exe.is_file()
    size_mb = sum(f.stat().st_size for f in app_dir.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6
    print(f"\nbundle: {size_mb:.0f} MB, built in {seconds:.0f} s")
    # Run from an unrelated folder with no access to the sources or site-packages paths.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path / "home"))
    env["QTWEBENGINE_CHROMIUM_FLAGS"] = "--no-sandbox --disable-gpu"
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    out = subprocess.run([str(exe), "--version"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and version in out.stdout, out.stdout + out.stderr
    check = subprocess.run([str(exe), "--self-check"], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=300)
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert "portal page loaded in Qt WebEngine" in check.stdout and "Leaflet" in check.stdout
    assert "0 failed" in check.stdout
