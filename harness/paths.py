"""Where things are in the repository.

NOTES_PROJECT points the tests at another copy of the project (its notes, mkdocs.yml,
nginx config) while the tools (.venv, the tests themselves) stay this repository's:
tests/test_new_note.py runs the page-level tests on a copy with a new note that way."""

from __future__ import annotations

import os
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1]
ROOT = Path(os.environ.get("NOTES_PROJECT") or TOOLS)
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"
SITE_CONF = ROOT / "nginx" / "site.conf"
MAIN_CONF = ROOT / "nginx" / "nginx.conf"
