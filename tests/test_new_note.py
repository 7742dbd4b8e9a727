"""A new note is one Markdown file plus one nav line: with nothing else edited, it is built,
in the nav, on the home page, in search, in the sitemap and on the tags page, and the tests
(which discover pages from the nav) pick it up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from harness.context import add_to_nav, copy_context
from harness.pages import discover, notes
from harness.site import build

NOTE = """---
description: GraphQL kya hai aur REST se kaise alag hai — ek endpoint, query me wahi fields jo chahiye.
tags:
  - API
---

# GraphQL

GraphQL me client khud batata hai ki use kaunse fields chahiye: quokkafield jaisa naam bhi.
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    project = copy_context(tmp_path_factory.mktemp("new-note") / "project")
    (project / "docs" / "graphql.md").write_text(NOTE, encoding="utf-8")
    add_to_nav(project, "GraphQL", "graphql.md")
    return project


@pytest.fixture(scope="module")
def site(project) -> Path:
    return build(project / "site", project=project)


def soup(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")


def test_the_tests_discover_it(project):
    pages = discover(project)
    assert pages["graphql/"] == ("graphql.md", "GraphQL", "GraphQL")
    assert "graphql/" in notes(pages, project)


def test_it_is_built_and_in_the_nav(site):
    assert soup(site, "graphql/").select_one("article h1").get_text(strip=True).startswith("GraphQL")
    nav = [a["href"] for a in soup(site, "jwt/").select(".md-nav--primary a.md-nav__link[href]")]
    assert "../graphql/" in nav


def test_it_has_a_card_on_the_home_page(site):
    cards = soup(site, "").select("article .grid.cards li")
    card = next((c for c in cards if c.select_one('a[href="graphql/"]')), None)
    assert card is not None, [c.get_text(" ", strip=True)[:40] for c in cards]
    assert "REST se kaise alag hai" in " ".join(card.get_text(" ").split())


def test_it_is_in_search(site):
    docs = json.loads((site / "search" / "search_index.json").read_text())["docs"]
    assert any(d["location"].startswith("graphql/") and "quokkafield" in d["text"] for d in docs)


def test_it_is_in_the_sitemap(site):
    assert "/graphql/</loc>" in (site / "sitemap.xml").read_text()


def test_it_is_on_the_tags_page(site):
    assert soup(site, "tags/").select_one('article a[href$="graphql/"]') is not None
