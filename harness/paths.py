"""Where things are in the repository."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"
SITE_CONF = ROOT / "nginx" / "site.conf"
MAIN_CONF = ROOT / "nginx" / "nginx.conf"
