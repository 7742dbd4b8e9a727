"""Page-weight budgets for what the site adds to every page, measured in the real browser:
the bytes Chromium receives (headers and compressed bodies, as nginx sends them).

The note's own text is the author's and never a budget failure: a page's bytes are split
(harness/frame.py) into the note (its article and table of contents) and the site's part
(the shared stylesheet, script, icon and sitemap, and the page's frame: head, header,
navigation, footer, meta). The site's part may grow only with the nav entries a page
shows, at a fixed allowance per entry, so a new note costs every other page its one link.
Images and diagrams have budgets of their own, per file.

- First visit (cold cache), everything fetched until the network is idle: the site's part.
- Repeat visit (the page opened again later, the browser's cache warm: a "repeat view" in
  WebPageTest's sense): nothing is downloaded again, the page and the sitemap are only
  revalidated (304 Not Modified), at most 9 kB.
- Next page (instant navigation from a page already open): only that page's HTML crosses
  the wire (and the images and diagrams it shows); its frame has its budget.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from harness.frame import split
from harness.pages import PAGES, mkdocs_config
from harness.paths import ROOT
from harness.wire import Wire, settle

MEASURED: dict[str, dict[str, int]] = {}


def nav_entries(items: list) -> int:
    """Pages and section labels in the nav: what every page's navigation can show."""
    return sum(1 + (nav_entries(value) if isinstance(value, list) else 0)
               for item in items for value in item.values())


NAV_ENTRIES = nav_entries(mkdocs_config()["nav"])
# What one more nav entry may cost a page, compressed: its link in the navigation and its
# line in the sitemap, with room.
PER_NAV_ENTRY = 40
# The shared files (script, stylesheet, icon, sitemap) and the frame, on a first visit.
# Material's script is built again without the components the site cannot use
# (hooks/material9/); tests/output/budgets.json has the parts. Issue 27 (offline, progress,
# zoom) added what it measured, within its 1 kB: the extras loader (a small script, its
# bundle waits for the reader's first interaction), its tag and the manifest link in the
# page, and the stylesheet rules the extras' script keeps from the purge.
FIRST_VISIT_BUDGET = 38_530 + PER_NAV_ENTRY * NAV_ENTRIES
# The frame of a page reached by instant navigation, with its response headers.
NEXT_PAGE_BUDGET = 3_500 + PER_NAV_ENTRY * NAV_ENTRIES
REPEAT_VISIT_BUDGET = 9_000
DIAGRAM_BUDGET = 10_000
# A screenshot of any size costs a reader at most this (postbuild/images.py resizes and
# re-encodes it for the column it is shown in).
IMAGE_BUDGET = 150_000
IMAGE = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg")


def own_budget(url: str) -> bool:
    """Diagrams and the notes' images: counted per file, not in the page's part."""
    path = urlsplit(url).path
    return "/assets/diagrams/" in path or (path.lower().endswith(IMAGE) and "/assets/" not in path)


def note_bytes(site, path: str) -> int:
    return split((site / path / "index.html").read_text(encoding="utf-8"))[1]


@pytest.fixture(scope="module", autouse=True)
def report():
    """Write what was measured to tests/output/budgets.json (the README's figures)."""
    yield
    out = ROOT / "tests" / "output"
    out.mkdir(parents=True, exist_ok=True)
    (out / "budgets.json").write_text(json.dumps(MEASURED, indent=2, sort_keys=True) + "\n")


@pytest.mark.parametrize("path", PAGES)
def test_first_visit_budget(browser, server, site, path):
    context = browser.new_context()
    page = context.new_page()
    wire = Wire(context, page)
    page.goto(server.url("/" + path))
    settle(page)
    # Read to the end, so lazy images and diagrams load and meet their own budgets.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    settle(page)
    fetched = wire.since(set())
    apart = {url: n for url, n in fetched.items() if own_budget(url)}
    fetched = {url: n for url, n in fetched.items() if url not in apart}
    total = sum(fetched.values())
    note = note_bytes(site, path)
    measured = MEASURED.setdefault("/" + path, {})
    measured.update(first_visit_bytes=total, note_bytes=note, site_bytes=total - note,
                    first_visit_parts={urlsplit(url).path: n for url, n in fetched.items()})
    if apart:
        measured["own_budget_bytes"] = {urlsplit(url).path: n for url, n in apart.items()}
    diagrams = {url: n for url, n in apart.items() if "/assets/diagrams/" in url}
    assert all(n <= DIAGRAM_BUDGET for n in diagrams.values()), diagrams
    images = {url: n for url, n in apart.items() if url not in diagrams}
    assert all(n <= IMAGE_BUDGET for n in images.values()), images
    # Lazy light and dark copies: only the shown scheme's file is fetched.
    assert not [url for url in diagrams if url.split("#")[0].endswith("-dark.svg")], diagrams
    report = "\n".join(f"{n:7d}  {url}" for url, n in sorted(fetched.items(), key=lambda x: -x[1]))
    assert not wire.failed
    assert total - note <= FIRST_VISIT_BUDGET, \
        f"/{path}: the site adds {total - note} bytes > {FIRST_VISIT_BUDGET} (the note itself: {note})\n{report}"
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
def test_next_page_budget(browser, server, site, path):
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
    fetched = {url: n for url, n in fetched.items() if not own_budget(url)}
    # Instant navigation: only the new page's HTML (and the images and diagrams it shows,
    # counted on their own), nothing re-downloaded or revalidated.
    assert list(fetched) == [server.url("/" + path)], fetched
    total, note = sum(fetched.values()), note_bytes(site, path)
    MEASURED.setdefault("/" + path, {})["next_page_bytes"] = total
    assert total - note <= NEXT_PAGE_BUDGET, f"/{path}: the frame is {total - note} bytes (the note: {note})"
    context.close()
