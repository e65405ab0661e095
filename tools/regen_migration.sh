#!/usr/bin/env bash
# Regenerate the single initial Alembic migration from models/tables.py (pre-release: one migration).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
printf '[alembic]\nscript_location = %s/services/migrations\n' "$PWD" > "$tmp/alembic.ini"
rm -f services/migrations/versions/0001_initial_schema.py
PYTHONPATH=. alembic -c "$tmp/alembic.ini" -x db="sqlite:///$tmp/m.db" revision --autogenerate -m "initial schema" --rev-id 0001 >/dev/null
rm -rf "$tmp"
echo "regenerated services/migrations/versions/0001_initial_schema.py"
