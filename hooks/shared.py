"""Facts the hooks, the post-build steps (postbuild/) and the harness share, written once.

No MkDocs here: postbuild/ must run on any engine's output. The hooks import this module as
`shared` (MkDocs puts a hook's own folder on sys.path while loading it); everything else
imports it as `hooks.shared`.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]

# Markers an author writes into a page; cards.py fills the first, Material's tags plugin the second.
CARDS_MARKER = "<!-- notes:cards -->"
TAGS_MARKER = "<!-- material/tags -->"
# A page's YAML front matter, as MkDocs reads it: its text is group 1.
FRONT_MATTER = re.compile(r"\A-{3}[ \t]*\n(.*?\n)(?:-{3}|\.{3})[ \t]*\n", re.S)

# Chromium runnable as root in a container, and off the network: without the background
# flags it keeps trying Google's services. The diagrams' renderer gets them as JSON in
# CHROMIUM_FLAGS; the tests' and tools' browsers through harness/browser.py.
CHROMIUM_FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


def cache_root(project: Path = PROJECT) -> Path:
    """The folder of every cache. SITE_CACHE names one that copies of the project can share
    (every entry is named by the content it was made from, so they never disagree); by
    default it is .cache/ beside mkdocs.yml, outside the built site."""
    return Path(os.environ.get("SITE_CACHE") or project / ".cache")


def cache_dir(name: str, project: Path = PROJECT) -> Path:
    """The cache folder of one kind of finished work (cache_root's)."""
    return cache_root(project) / name


def write_atomic(path: Path, data: bytes) -> None:
    """`data` at `path`, never half-written where another build or thread may read it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def npm_version(package: str, project: Path = PROJECT) -> str:
    """The installed version of an npm package of the project, or "missing": part of every
    cache key whose result that package makes."""
    try:
        return json.loads((project / "node_modules" / package / "package.json").read_text(encoding="utf-8"))["version"]
    except FileNotFoundError:
        return "missing"
