"""A new note is one Markdown file (its images beside it) plus one nav line: with nothing
else edited, it is built, in the nav, on the home page, in search, in the sitemap and on
the tags page, `make check` finds no error in it (only advice for its review), and the
suite's page-level tests pass on it.

The note is written as authors write for GitHub: a tag no other note uses, a 2000 px JPG
screenshot beside it, `js`, `sh` and `html` fences (a whole page in the last), a list nested
by two spaces, a list right after a paragraph line, a `<small>` line, no `##` heading, a bare
URL."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image, ImageDraw

from harness.context import add_to_nav, copy_context
from harness.pages import discover, notes
from harness.paths import TOOLS
from harness.site import build

SLUG = "graphql"
NOTE = """---
description: GraphQL kya hai aur REST se kaise alag hai — ek endpoint, query me wahi fields jo chahiye.
tags:
  - API
  - GraphQL
---

# GraphQL

GraphQL me client khud batata hai ki use kaunse fields chahiye: quokkafield jaisa naam bhi.
Iske fayde:
- Ek hi endpoint
  - sab queries `POST /graphql` pe
  - chhoti queries `GET` se bhi
- Over-fetching nhi hota

Playground aisa dikhta hai:

![GraphQL playground me ek query aur uska jawab](images/playground.jpg)

```js
const query = `{ user(id: 1) { name } }`;
const res = await fetch("/graphql", { method: "POST", body: JSON.stringify({ query }) });
```

```sh
curl -X POST http://localhost:4000/graphql -H 'Content-Type: application/json' -d '{"query":"{ hello }"}'
```

Browser se seedha bhi chala sakte ho:

```html
<!DOCTYPE html>
<html>
  <body>
    <div id="out"></div>
    <script src="app.js"></script>
  </body>
</html>
```

<small>Note: schema badla to client bhi update karo.</small>

Aur padho: https://graphql.org/learn/
"""


def screenshot_jpg(path: Path) -> None:
    """A 2000 px wide screenshot-like JPG: panels, text lines and a photo-like noise area."""
    rng = random.Random(7)
    image = Image.new("RGB", (2000, 1250), "#f4f5f7")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 2000, 90), fill="#3f51b5")
    for column in (40, 1020):
        draw.rectangle((column, 130, column + 940, 1210), fill="white", outline="#c5cae9", width=3)
        for row in range(170, 1180, 42):
            draw.rectangle((column + 30, row, column + 30 + rng.randint(200, 860), row + 16), fill="#9fa8da")
    noise = Image.effect_noise((600, 300), 60).convert("RGB")
    image.paste(noise, (1300, 800))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, quality=92)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    project = copy_context(tmp_path_factory.mktemp("new-note") / "project")
    (project / "docs" / f"{SLUG}.md").write_text(NOTE, encoding="utf-8")
    screenshot_jpg(project / "docs" / "images" / "playground.jpg")
    add_to_nav(project, "GraphQL", f"{SLUG}.md")
    return project


@pytest.fixture(scope="module")
def site(project) -> Path:
    return build(project / "site", project=project)


def soup(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")


def test_the_tests_discover_it(project):
    pages = discover(project)
    assert pages[f"{SLUG}/"] == (f"{SLUG}.md", "GraphQL", "GraphQL")
    assert f"{SLUG}/" in notes(pages, project)


def test_it_is_built_and_in_the_nav(site):
    assert soup(site, f"{SLUG}/").select_one("article h1").get_text(strip=True).startswith("GraphQL")
    nav = [a["href"] for a in soup(site, "jwt/").select(".md-nav--primary a.md-nav__link[href]")]
    assert f"../{SLUG}/" in nav


def test_it_reads_as_github_shows_it(site):
    article = soup(site, f"{SLUG}/").select_one("article")
    nested = article.select("ul > li > ul > li")
    assert [li.get_text(" ", strip=True) for li in nested] == ["sab queries POST /graphql pe",
                                                              "chhoti queries GET se bhi"]
    assert article.select_one('a[href="https://graphql.org/learn/"]') is not None  # a bare URL is a link
    languages = [cls for code in article.select("div.highlight") for cls in code["class"] if cls.startswith("language-")]
    assert languages == ["language-js", "language-sh", "language-html"]
    image = article.select_one('img[alt="GraphQL playground me ek query aur uska jawab"]')
    assert image is not None and image.get("width") and image.get("height")


def test_it_has_a_card_on_the_home_page(site):
    cards = soup(site, "").select("article .grid.cards li")
    card = next((c for c in cards if c.select_one(f'a[href="{SLUG}/"]')), None)
    assert card is not None, [c.get_text(" ", strip=True)[:40] for c in cards]
    assert "REST se kaise alag hai" in " ".join(card.get_text(" ").split())


def test_it_is_in_search(site):
    docs = json.loads((site / "search" / "search_index.json").read_text())["docs"]
    assert any(d["location"].startswith(f"{SLUG}/") and "quokkafield" in d["text"] for d in docs)


def test_it_is_in_the_sitemap(site):
    assert f"/{SLUG}/</loc>" in (site / "sitemap.xml").read_text()


def test_it_is_on_the_tags_page(site):
    assert soup(site, "tags/").select_one(f'article a[href$="{SLUG}/"]') is not None


def test_make_check_finds_no_error_only_advice(project):
    result = subprocess.run([sys.executable, "-m", "tools.check"], cwd=TOOLS, capture_output=True, text=True,
                            env={**os.environ, "NOTES_PROJECT": str(project)}, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "make check: 0 error(s)" in result.stdout
    assert f"docs/{SLUG}.md:5: the tag 'GraphQL' groups only this page" in result.stdout
    assert f"docs/{SLUG}.md:1: not reviewed yet" in result.stdout


def test_the_page_level_tests_pass_on_it(project, site):
    """Every test that goes over the pages (content, reader's view in Chromium, budgets,
    breadcrumbs, previews, the Markdown copy, zoom), run by pytest on the copy for the new page."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", SLUG,
         "tests/test_content.py", "tests/test_browser.py", "tests/test_budgets.py",
         "tests/test_breadcrumbs.py", "tests/test_previews.py", "tests/test_llms.py", "tests/test_zoom.py"],
        cwd=TOOLS, capture_output=True, text=True, env={**os.environ, "NOTES_PROJECT": str(project)}, timeout=900)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    passed = int(result.stdout.strip().splitlines()[-1].split(" passed")[0].split()[-1])
    assert passed >= 15, result.stdout[-2000:]
