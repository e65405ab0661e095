#!/usr/bin/env bash
# The whole test suite on a fresh Debian machine: system packages, PostgreSQL, Python packages, then pytest
# (backend tests run on SQLite and PostgreSQL; Qt runs offscreen). Needs root or sudo for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
AS_PG="runuser -u postgres --"
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; AS_PG="sudo -u postgres"; fi

echo "== system packages"
need_apt=0
for pkg in postgresql libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libnss3 libxkbcommon-x11-0 libegl1 libgl1 \
           libxcomposite1 libxdamage1 libxrandr2 libxtst6 libasound2 libfontconfig1 libdbus-1-3 fonts-dejavu-core fonts-noto-color-emoji \
           binutils chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt=1
done
if [ "$need_apt" -eq 1 ]; then
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q postgresql libxcb-cursor0 libxcb-icccm4 \
    libxcb-keysyms1 libnss3 libxkbcommon-x11-0 libegl1 libgl1 libxcomposite1 libxdamage1 libxrandr2 libxtst6 \
    libasound2 libfontconfig1 libdbus-1-3 fonts-dejavu-core fonts-noto-color-emoji binutils chromium
fi

echo "== PostgreSQL (started as the postgres user)"
PGVER=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
  $SUDO pg_createcluster "$PGVER" main
fi
CLUSTER=$(pg_lsclusters -h | awk 'NR==1{print $1" "$2}')
pg_lsclusters -h | awk 'NR==1{print $4}' | grep -q online || $SUDO pg_ctlcluster $CLUSTER start
for i in $(seq 1 30); do
  $AS_PG psql -qAtc "select 1" >/dev/null 2>&1 && break
  sleep 1
done
$AS_PG psql -qc "ALTER USER postgres PASSWORD 'postgres'" >/dev/null
PGPORT=$(pg_lsclusters -h | awk 'NR==1{print $3}')
export DISPATCH_TEST_PG_URL="postgresql://postgres:postgres@127.0.0.1:${PGPORT}/postgres"

echo "== Python packages"
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
# PySide6 6.12 split WebEngine/Pdf into their own wheels; if an image came with 6.12, downgrading to our pin
# leaves those 6.12 wheels behind over 6.11's files. Remove them and restore the pinned Qt files.
PYSIDE_VER=$(python3 -c "import importlib.metadata as m; print(m.version('PySide6'))")
STRAY=$(python3 -c '
import importlib.metadata as m
want, stray = m.version("PySide6"), []
for name in ("PySide6_WebEngine", "PySide6_Pdf"):
    try:
        if not m.version(name).startswith(want):
            stray.append(name)
    except m.PackageNotFoundError:
        pass
print(" ".join(stray))')
if [ -n "$STRAY" ]; then
  echo "removing $STRAY (not PySide6 $PYSIDE_VER) and restoring PySide6 $PYSIDE_VER's files"
  python3 -m pip uninstall -q -y $STRAY
  python3 -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "PySide6==$PYSIDE_VER" \
    "PySide6_Essentials==$PYSIDE_VER" "PySide6_Addons==$PYSIDE_VER" "shiboken6==$PYSIDE_VER"
fi

echo "== lint"
python3 -m ruff check .

echo "== tests"
export QT_QPA_PLATFORM=offscreen
export QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox --disable-gpu"
# Two workers, one test file per worker at a time (a file's tests share their fixtures and order).
python3 -m pytest -q -p no:cacheprovider -n 2 --dist loadfile "$@"
