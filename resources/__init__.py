"""Styles, icons, portal templates and static files (package data)."""

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent
