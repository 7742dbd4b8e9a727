"""Link previews (hooks/social.py): every page carries complete Open Graph and Twitter card
tags with absolute addresses, names a generated 1200x630 PNG of at most 60 KB that exists
in the site and that nginx serves, the page never loads that image itself, values are
HTML-escaped, and an unchanged card is never redrawn."""

from __future__ import annotations

import io
import os
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from harness.context import copy_context
from harness.nginx import fetch
from harness.pages import PAGES, front_matter, mkdocs_config
from harness.site import build
from hooks import social

REQUIRED = ["og:type", "og:site_name", "og:title", "og:description", "og:url", "og:image", "og:image:type",
            "og:image:width", "og:image:height", "og:image:alt", "twitter:card"]
SITE_NAME = mkdocs_config()["site_name"]


def soup(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")


def preview_tags(page: BeautifulSoup) -> dict[str, str]:
    """property/name -> content of every preview tag; a tag given twice fails."""
    tags: dict[str, str] = {}
    for meta in page.head.find_all("meta"):
        key = meta.get("property") or meta.get("name") or ""
        if key.startswith(("og:", "twitter:")):
            assert key not in tags, f"{key} twice"
            tags[key] = meta.get("content", "")
    return tags


def site_url(site: Path) -> str:
    return soup(site, "").find("link", rel="canonical")["href"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_complete_preview_tags(site, path):
    source, _, name = PAGES[path]
    tags = preview_tags(soup(site, path))
    assert sorted(tags) == sorted(REQUIRED), f"/{path}"
    assert all(value.strip() for value in tags.values()), tags
    base = site_url(site)
    assert tags["og:url"] == urljoin(base, path)
    assert tags["og:title"] == (SITE_NAME if path == "" else name)
    assert tags["og:site_name"] == SITE_NAME
    assert tags["og:description"] == " ".join(front_matter(source)["description"].split())
    assert tags["og:image:alt"].endswith(tags["og:description"]) and tags["og:title"] in tags["og:image:alt"]
    assert tags["twitter:card"] == "summary_large_image"
    assert (tags["og:type"], tags["og:image:type"]) == ("website", "image/png")
    assert tags["og:image"].startswith(base) and urlsplit(tags["og:image"]).path.endswith(".png")


@pytest.mark.parametrize("path", PAGES)
def test_the_preview_image_is_in_the_site_and_fits(site, path):
    tags = preview_tags(soup(site, path))
    file = site / urlsplit(tags["og:image"]).path.lstrip("/")
    assert file.is_file(), f"/{path}: {tags['og:image']} is not in the site"
    data = file.read_bytes()
    assert len(data) <= 60_000, f"{file.name}: {len(data)} bytes"
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    assert image.size == (1200, 630) == (int(tags["og:image:width"]), int(tags["og:image:height"]))
    # Not a blank card: the title and description are drawn on the background.
    assert len(image.convert("RGB").getcolors(maxcolors=256) or range(257)) > 4


def test_nginx_serves_the_images(site, server):
    for path in PAGES:
        image = urlsplit(preview_tags(soup(site, path))["og:image"]).path
        status, headers, body = fetch(server.url(image))
        assert status == 200 and headers.get_content_type() == "image/png", f"{image}: {status}"


def test_the_page_never_loads_its_preview_image(site):
    # Only the <meta> tags name it: no <img>, <link> or CSS reference fetches it (the budget
    # tests measure what a visit really fetches).
    for path in PAGES:
        html = (site / path / "index.html").read_text(encoding="utf-8")
        page = BeautifulSoup(html, "html.parser")
        named = [m for m in page.find_all("meta") if social.IMAGES in (m.get("content") or "")]
        assert len(named) == 1, f"/{path}: {named}"
        assert html.count(social.IMAGES) == 1, f"/{path} refers to the preview image outside og:image"


def test_the_404_page_has_no_preview(site):
    # A static template: no page to describe, no address to share (documented in the hook).
    page = BeautifulSoup((site / "404.html").read_text(encoding="utf-8"), "html.parser")
    assert preview_tags(page) == {}


# --- escaping, in a build of a copy -------------------------------------------------

TRICKY = 'JWT & "tokens" <b>'


@pytest.fixture(scope="module")
def tricky_site(tmp_path_factory) -> Path:
    """A copy whose JWT note has a nav name full of HTML's special characters."""
    project = copy_context(tmp_path_factory.mktemp("previews") / "project")
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert text.count("      - JWT: jwt.md\n") == 1, "the JWT nav line moved: update this test"
    config.write_text(text.replace("      - JWT: jwt.md\n", f"      - '{TRICKY}': jwt.md\n"), encoding="utf-8")
    return build(project / "site", project=project)


def test_tag_values_are_html_escaped(tricky_site):
    page = soup(tricky_site, "jwt/")
    tags = preview_tags(page)
    assert sorted(tags) == sorted(REQUIRED), "a quote in the title cut the tags short"
    assert tags["og:title"] == TRICKY and tags["og:image:alt"].startswith(TRICKY)
    assert page.head.find("b") is None, "the title reached <head> as markup"


# --- drawn once per content ----------------------------------------------------------


def test_an_unchanged_card_is_not_redrawn(tmp_path, monkeypatch):
    monkeypatch.setattr(social, "_cache", tmp_path)
    monkeypatch.setattr(social, "_fonts", social.find_fonts())
    first = social.card(SITE_NAME, "JWT", "A description long enough to wrap onto a second line of the card.")
    os.utime(first, ns=(1, 1))
    again = social.card(SITE_NAME, "JWT", "A description long enough to wrap onto a second line of the card.")
    assert again == first and first.stat().st_mtime_ns == 1, "redrawn although nothing changed"
    changed = social.card(SITE_NAME, "JWT", "Another description.")
    assert changed != first and sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, changed.name])


def test_the_build_caches_cards_outside_the_site(site):
    from harness.paths import ROOT

    cache = ROOT / ".cache" / "social"
    assert len(list(cache.glob("*.png"))) >= len(PAGES)
    assert not list(site.rglob(".cache"))
