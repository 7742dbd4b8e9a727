"""Debian's Chromium driven by Playwright for Python (tests, tools/lighthouse.py,
tools/screenshot.py), and the helpers that read what a reader would see.

No browser is ever downloaded: Playwright launches /usr/bin/chromium (Debian package
`chromium`, installed by `make test-deps`). A missing browser or tool is a failure, never a
skip."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

from harness.paths import ROOT
from hooks.shared import CHROMIUM_FLAGS

CHROMIUM = os.environ.get("CHROME_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
LIGHTHOUSE_CLI = ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"

CHROMIUM_ARGS = list(CHROMIUM_FLAGS)

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def require_tools(lighthouse: bool = False) -> None:
    """Fail loudly (never skip) when something the browser checks need is missing."""
    problems = []
    if not Path(CHROMIUM).exists():
        problems.append(f"Chromium not found at {CHROMIUM} (Debian package `chromium`; run `make test-deps`)")
    needed = [AXE_JS] + ([LIGHTHOUSE_CLI] if lighthouse else [])
    for path in needed:
        if not path.exists():
            problems.append(f"{path.relative_to(ROOT)} missing (run `make test-deps`, which runs `npm ci`)")
    if lighthouse and shutil.which("node") is None:
        problems.append("node missing (Debian package nodejs; `make test-deps` installs it)")
    if importlib.util.find_spec("playwright") is None:
        problems.append("Python package playwright missing (run `make test-deps`)")
    assert not problems, "\n".join(problems)


@contextlib.contextmanager
def launch():
    """One headless Chromium (Playwright's sync API allows one running instance per
    process), closed on exit."""
    from playwright.sync_api import sync_playwright

    require_tools()
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


class PageWatch:
    """Everything on a page that must not happen: console errors, uncaught exceptions,
    failed requests, HTTP errors, requests to any host but the site's, CSP violations."""

    def __init__(self, origin: str):
        self.origin = origin
        self.errors: list[str] = []

    def attach(self, page) -> "PageWatch":
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught exception: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        page.on("request", self._request)
        # Chromium logs blocked resources as console errors too; the DOM event also names the
        # directive and catches what the console would not (report-only, eval).
        page.add_init_script("""
            document.addEventListener("securitypolicyviolation", e => {
              console.error("CSP violation: " + e.violatedDirective + " blocked " +
                            (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
            });
        """)
        return self

    def _console(self, msg) -> None:
        if msg.type in ("error", "assert"):
            self.errors.append(f"console {msg.type}: {msg.text} ({msg.location.get('url', '')})")
        elif msg.type == "warning" and ("Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text):
            self.errors.append(f"console warning: {msg.text}")

    def _failed(self, req) -> None:
        # ERR_ABORTED: the browser dropped the request itself, because the test moved on to
        # the next page before, say, the favicon arrived. Blocked (CSP) or refused requests
        # and HTTP errors have their own codes and are all reported.
        if req.failure != "net::ERR_ABORTED":
            self.errors.append(f"request failed: {req.method} {req.url} ({req.failure})")

    def _request(self, req) -> None:
        parts = urlsplit(req.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.errors.append(f"request to another host: {req.method} {req.url}")

    def _response(self, resp) -> None:
        if resp.status >= 400:
            self.errors.append(f"HTTP {resp.status}: {resp.request.method} {resp.url}")

    def take(self) -> list[str]:
        errors, self.errors = self.errors, []
        return errors


# ---------------------------------------------------------------------------------------
# Search, as a reader uses it: focus the box, type, read the result list.

# One <li> per page; its first <a> is the page itself, the further ones are its sections.
RESULT_ITEMS = "li.md-search-result__item"
RESULT_META = ".md-search-result__meta"
SEARCH_INPUT = "input.md-search__input"


def focus_search(page, key: str = "/") -> None:
    """Focus Material's search box with a keyboard shortcut (`/` or `s`), as the home page
    tells readers to."""
    page.keyboard.press(key)
    # Functions, never expression strings: Playwright would eval() those, which the CSP blocks.
    page.wait_for_function(f"() => document.activeElement && document.activeElement.matches({SEARCH_INPUT!r})",
                           timeout=5000)


# Counts the result line's updates: Material rewrites it for every answer of the worker,
# so a new count means the answer to the latest keystroke has been drawn. Re-attached if
# instant navigation replaced the element.
RESULT_RENDERS = """meta => {
  const el = document.querySelector(meta);
  const seen = window.__searchRenders;
  if (!seen || seen.el !== el) {
    window.__searchRenders = {el, n: seen ? seen.n : 0};
    new MutationObserver(() => { if (window.__searchRenders.el === el) window.__searchRenders.n++; })
      .observe(el, {childList: true, characterData: true, subtree: true});
  }
  return window.__searchRenders.n;
}"""


def search(page, query: str, root: str, settle_ms: int = 150, timeout_s: float = 10.0,
           type_all: bool = True) -> list[str]:
    """Type `query` into the focused search box and return the result pages in order, as
    paths below `root` (the site's URL): "docker/", "" for the home page.

    The box is emptied first (with a key, so Material sees it), then the query typed key by
    key, or with type_all=False pasted but for its last key (one search instead of one per
    key: the query-set tests). The answer read is the one drawn after the last key."""
    box = page.locator(SEARCH_INPUT)
    renders = page.evaluate(RESULT_RENDERS, RESULT_META)
    if box.input_value():
        box.fill(" ")
        box.press("Backspace")
    if type_all:
        box.press_sequentially(query)
    else:
        box.fill(query[:-1])
        box.press_sequentially(query[-1:])
    deadline = time.monotonic() + timeout_s
    last, stable_since = None, time.monotonic()
    while time.monotonic() < deadline:
        state = page.evaluate(
            """([items, meta, input, query, renders]) => [
                document.querySelector(input).value === query && window.__searchRenders.n > renders,
                document.querySelector(meta)?.textContent.trim() || "",
                [...document.querySelectorAll(items)].map(li => li.querySelector(":scope > a")?.href || ""),
            ]""", [RESULT_ITEMS, RESULT_META, SEARCH_INPUT, query, renders])
        if state != last:
            last, stable_since = state, time.monotonic()
        elif state[0] and re.search(r"matching", state[1], re.I) and \
                (time.monotonic() - stable_since) * 1000 >= settle_ms:
            break
        page.wait_for_timeout(20)
    typed, meta, hrefs = last
    assert typed and re.search(r"matching", meta, re.I), \
        f"search for {query!r} did not finish within {timeout_s}s: field {typed}, result line {meta!r}"
    paths = []
    for href in hrefs:
        href = href.split("?")[0].split("#")[0]
        assert href.startswith(root), f"search result {href} is outside the site {root}"
        paths.append(href[len(root):])
    return paths
