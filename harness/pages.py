"""The site's pages, discovered from what the author writes: mkdocs.yml's nav (the page's
name and place), each page's front matter and its first heading. Nothing here lists pages,
so a new note is picked up by every test that iterates over PAGES."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig

from harness.paths import ROOT
from hooks.shared import FRONT_MATTER, TAGS_MARKER

HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)


@functools.cache
def mkdocs_config(project: Path = ROOT) -> MkDocsConfig:
    """mkdocs.yml as MkDocs itself reads it for the hooks (validated, !ENV resolved)."""
    return load_config(str(project / "mkdocs.yml"))


def nav_entries(nav: list) -> list[tuple[str, str]]:
    """(nav name, source file) of every page in the nav, in order."""
    entries = []
    for item in nav:
        if isinstance(item, str):
            raise ValueError(f"nav entry without a name: {item!r}")
        for name, value in item.items():
            if isinstance(value, list):
                entries += nav_entries(value)
            elif isinstance(value, str) and value.endswith(".md"):
                entries.append((name, value))
    return entries


def url_path(source: str) -> str:
    """The page's URL below the site root: "jwt.md" -> "jwt/", "index.md" -> ""."""
    stem = source[: -len(".md")]
    if stem == "index":
        return ""
    return (stem[: -len("/index")] if stem.endswith("/index") else stem) + "/"


def front_matter(source: str, project: Path = ROOT) -> dict:
    match = FRONT_MATTER.match((project / "docs" / source).read_text(encoding="utf-8"))
    return yaml.safe_load(match.group(1)) if match else {}


def heading(source: str, project: Path = ROOT) -> str:
    """The page's <h1> text as Markdown writes it, inline-code backticks removed ("" for a
    page without one: the build stops on it, naming the file, and the tests that need the
    built page report the build's error instead of stopping at collection)."""
    text = (project / "docs" / source).read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    body = text[match.end():] if match else text
    found = HEADING.search(re.sub(r"^```.*?^```", "", body, flags=re.M | re.S))
    return found.group(1).replace("`", "") if found else ""


def discover(project: Path = ROOT) -> dict[str, tuple[str, str, str]]:
    """URL path -> (source file, the <h1> it shows, its nav and <title> name)."""
    return {url_path(source): (source, heading(source, project), name)
            for name, source in nav_entries(mkdocs_config(project)["nav"])}


def notes(pages: dict[str, tuple[str, str, str]], project: Path = ROOT) -> dict[str, tuple[str, str, str]]:
    """The notes proper, in nav order: every page but the home page and the generated tags
    index (what the home page's cards list)."""
    return {path: page for path, page in pages.items()
            if path and TAGS_MARKER not in (project / "docs" / page[0]).read_text(encoding="utf-8")}


PAGES = discover()
NOTES = notes(PAGES)
