"""Breadcrumbs (Material's navigation.path): a reader who lands on a note from a search
engine sees where it sits, Home › its section, each a working link. The trail comes from
mkdocs.yml's nav: every page inside a nav section has one; a page at the nav's top level
(the home page, Revision, Tags) has nothing above it but Home, and Material shows no trail
there. Accessibility (axe, keyboard focus) of the trail is checked with every page by
tests/test_browser.py, its weight by tests/test_budgets.py."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import pytest
from bs4 import BeautifulSoup

from harness.browser import PageWatch
from harness.pages import PAGES, mkdocs_config, url_path


def trails(nav: list, above: tuple[str, ...] = ()) -> dict[str, tuple[tuple[str, str], ...]]:
    """URL path -> the sections above it, as (section name, URL of its first page)."""
    found: dict[str, tuple[tuple[str, str], ...]] = {}
    for item in nav:
        for name, value in item.items():
            if isinstance(value, list):
                first = next(iter(trails(value)))
                found.update(trails(value, (*above, (name, first))))
            else:
                found[url_path(value)] = above
    return found


TRAILS = trails(mkdocs_config()["nav"])


def crumbs(site: Path, path: str) -> list[tuple[str, str]]:
    """(text, href resolved to a URL path) of each link in the page's breadcrumb trail."""
    page = BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")
    base = "http://site/" + path
    return [(a.get_text(" ", strip=True), urljoin(base, a["href"])[len("http://site/"):])
            for a in page.select("nav.md-path a.md-path__link")]


def test_the_nav_has_sections():
    assert any(TRAILS.values()), "no nav sections: the breadcrumb tests would prove nothing"
    assert set(TRAILS) == set(PAGES)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_in_a_section_has_its_trail(site, path):
    sections = TRAILS[path]
    expected = [("Home", "")] + list(sections) if sections else []
    assert crumbs(site, path) == expected, f"/{path}"


def test_the_trail_shows_and_leads_home_on_a_phone(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    page = context.new_page()
    watch = PageWatch(server.base).attach(page)
    page.goto(server.url("/jwt/"))
    trail = page.locator("nav.md-path")
    assert trail.is_visible()
    assert trail.inner_text().split() == " ".join(["Home", *(name for name, _ in TRAILS["jwt/"])]).split()
    # Above the note's title, where a reader arriving from a search engine looks first.
    assert trail.bounding_box()["y"] < page.locator("article h1").bounding_box()["y"]
    trail.get_by_role("link", name="Home").click()
    page.wait_for_url(server.url("/"))
    assert not watch.take()
    context.close()
