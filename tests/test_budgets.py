"""Page-weight budgets, measured in the real browser: the bytes Chromium receives (headers
and compressed bodies, as nginx sends them) for every page.

- First visit (cold cache), everything fetched until the network is idle: at most 45 kB.
  A diagram (an SVG file drawn at build time, loaded lazily) is counted on its own, at most
  10 kB each, not in the page's total.
- Repeat visit (the page opened again later, the browser's cache warm: a "repeat view" in
  WebPageTest's sense): nothing is downloaded again, the page and the sitemap are only
  revalidated (304 Not Modified), at most 9 kB.
- Next page (instant navigation from a page already open): only that page's HTML crosses
  the wire, at most 10.5 kB.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from harness.pages import PAGES
from harness.wire import Wire, settle
from harness.paths import ROOT

MEASURED: dict[str, dict[str, int]] = {}

# Issue 13's budgets: 45 kB first visit, 9 kB repeat visit. The first visit meets it on
# every page: Material's script is built again without the components the site cannot use
# and without clipboard.js (hooks/bundle.py), then re-minified with SWC (hooks/search.py).
# The repeat visit meets it by caching alone (fingerprinted files immutable, the rest
# revalidated by ETag). The next page is the page's own HTML, above 9 kB on the two longest
# notes, mostly their Correction and addition boxes: its budget holds them just above the
# heavier one (/docker/). README.md "Measured" has the breakdown.
FIRST_VISIT_BUDGET = 45_000
REPEAT_VISIT_BUDGET = 9_000
NEXT_PAGE_BUDGET = 10_500
DIAGRAM_BUDGET = 10_000


@pytest.fixture(scope="module", autouse=True)
def report():
    """Write what was measured to tests/output/budgets.json (the README's figures)."""
    yield
    out = ROOT / "tests" / "output"
    out.mkdir(exist_ok=True)
    (out / "budgets.json").write_text(json.dumps(MEASURED, indent=2, sort_keys=True) + "\n")


@pytest.mark.parametrize("path", PAGES)
def test_first_visit_budget(browser, server, path):
    context = browser.new_context()
    page = context.new_page()
    wire = Wire(context, page)
    page.goto(server.url("/" + path))
    settle(page)
    fetched = wire.since(set())
    diagrams = {url: n for url, n in fetched.items() if "/assets/diagrams/" in url}
    fetched = {url: n for url, n in fetched.items() if url not in diagrams}
    total = sum(fetched.values())
    MEASURED.setdefault("/" + path, {})["first_visit_bytes"] = total
    MEASURED["/" + path]["first_visit_parts"] = {urlsplit(url).path: n for url, n in fetched.items()}
    if diagrams:
        MEASURED["/" + path]["diagram_bytes"] = max(diagrams.values())
    assert all(n <= DIAGRAM_BUDGET for n in diagrams.values()), diagrams
    # Lazy light and dark copies: only the shown scheme's file is fetched.
    assert not [url for url in diagrams if url.split("#")[0].endswith("-dark.svg")], diagrams
    report = "\n".join(f"{n:7d}  {url}" for url, n in sorted(fetched.items(), key=lambda x: -x[1]))
    assert not wire.failed
    assert total <= FIRST_VISIT_BUDGET, f"/{path}: {total} bytes > {FIRST_VISIT_BUDGET}\n{report}"
    # What the first view does not need is not fetched: search waits until it is wanted.
    assert not [url for url in fetched if "search" in url], report
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_repeat_visit_budget(browser, server, path):
    """The reader comes back: the same page opened in a new tab of the same browser profile
    (its HTTP cache warm from the first visit), as a bookmark or a typed address opens it."""
    context = browser.new_context()
    first = context.new_page()
    first.goto(server.url("/" + path))
    settle(first)
    first.close()
    page = context.new_page()
    wire = Wire(context, page)
    page.goto(server.url("/" + path))
    settle(page)
    fetched = wire.since(set())
    statuses = wire.status_since(set())
    report = {url: (statuses[url], n) for url, n in fetched.items()}
    MEASURED.setdefault("/" + path, {})["repeat_visit_bytes"] = sum(fetched.values())
    MEASURED["/" + path]["repeat_visit_parts"] = {urlsplit(url).path: n for url, n in fetched.items()}
    assert not wire.failed
    # Only revalidations cross the wire: a 200 is a file downloaded again (a page served
    # without its ETag has no validator to send).
    assert set(statuses.values()) == {304}, report
    # And only what may change between visits is asked about: no file under assets/ is
    # even revalidated (fingerprinted scripts and styles cached as immutable, icons a day).
    assert not [url for url in fetched if "/assets/" in url], report
    assert sum(fetched.values()) <= REPEAT_VISIT_BUDGET, f"/{path}: {report}"
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_next_page_budget(browser, server, path):
    context = browser.new_context()
    page = context.new_page()
    wire = Wire(context, page)
    page.goto(server.url("/tags/" if path == "" else "/"))
    settle(page)
    before = wire.mark()
    target = server.url("/" + path)
    # A reader's click on the page's entry in the navigation.
    page.locator(".md-nav--primary a.md-nav__link").filter(
        has=page.locator("xpath=self::*")).evaluate_all(
        "(links, target) => links.find(a => a.href === target).click()", target)
    page.wait_for_url(target)
    settle(page)
    fetched = wire.since(before)
    diagrams = {url: n for url, n in fetched.items() if "/assets/diagrams/" in url}
    assert all(n <= DIAGRAM_BUDGET for n in diagrams.values()), diagrams
    fetched = {url: n for url, n in fetched.items() if url not in diagrams}
    # Instant navigation: only the new page's HTML (and a diagram it shows, counted on its
    # own), nothing re-downloaded or revalidated.
    assert list(fetched) == [server.url("/" + path)], fetched
    MEASURED.setdefault("/" + path, {})["next_page_bytes"] = sum(fetched.values())
    assert sum(fetched.values()) <= NEXT_PAGE_BUDGET, f"/{path}: {fetched}"
    context.close()
