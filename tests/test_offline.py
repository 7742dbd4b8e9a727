"""Offline and installable (issue 27), in Debian's Chromium against the project's nginx.

A first visit fetches nothing of it. After the reader's first interaction the extras bundle
registers the service worker: every page the reader opens is kept, and "save all" (on the
home page and the offline page) keeps every note, diagram and image, the search index and
worker, the stylesheet and scripts. Offline, every saved page opens, search answers, and a
page never saved shows the site's offline page. A new build replaces what was kept, and the
reader is told, then gets it with nothing stale. nginx serves the worker, the manifest and
the icons with their types and caching, and all of it works under GitHub Pages' sub-path.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from harness.browser import PageWatch, focus_search, search
from harness.context import copy_context
from harness.nginx import fetch, free_port, server_conf
from harness.pages import PAGES
from harness.site import build
from harness.wire import settle
from postbuild.csp import directives

SAVE = "[data-notes-offline-save]"
OFFER = "[data-notes-offline-size][data-files]"
STATUS = "[data-notes-offline-status]"
UPDATE = "[data-notes-update]"
# Words each only in one note, and the note search must put first.
QUERIES = (("6379", "redis/"), ("refresh token", "jwt/"), ("idempotent", "http-methods/"))
MARKER = "offlineupdatecheck"


def interact(page) -> None:
    """A reader's first key press: the extras bundle loads (postbuild/extras/loader.js)."""
    page.keyboard.press("Shift")


def controlled(page) -> None:
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)


def save_all(page) -> dict:
    """Press "save all" on the page shown and wait until it says everything is saved; what
    the control offered before: {files, bytes, text}."""
    offer = page.locator(OFFER)
    offer.wait_for(timeout=20_000)
    offered = {"files": int(offer.get_attribute("data-files")), "bytes": int(offer.get_attribute("data-bytes")),
               "text": offer.inner_text()}
    page.locator(SAVE).click()
    page.wait_for_function(f"() => ['done', 'failed'].includes(document.querySelector({STATUS!r})?.dataset.state)",
                           timeout=120_000)
    status = page.locator(STATUS)
    assert status.get_attribute("data-state") == "done", status.inner_text()
    return offered


def listed(site: Path) -> dict:
    return json.loads((site / "offline.json").read_text(encoding="utf-8"))


def subresources_load(page) -> list[str]:
    """Every image and diagram of the page shown (each candidate of every srcset, both
    schemes' diagrams), its stylesheets and scripts: the URLs that do not load."""
    return page.evaluate("""async () => {
      const urls = new Set();
      for (const el of document.querySelectorAll("img[src], script[src]")) urls.add(el.src);
      for (const el of document.querySelectorAll("link[rel=stylesheet]")) urls.add(el.href);
      for (const el of document.querySelectorAll("img[srcset], source[srcset]"))
        for (const part of el.srcset.split(","))
          if (part.trim()) urls.add(new URL(part.trim().split(/\\s+/)[0], document.baseURI).href);
      const failed = [];
      for (const url of urls) {
        try { if (!(await fetch(url)).ok) failed.push(url); } catch { failed.push(url); }
      }
      return failed;
    }""")


def wait_until_kept(page, timeout_s: float = 20.0) -> None:
    """Until the page shown and everything it embeds are in the service worker's caches
    (they are kept while the reader reads: the test must not go offline before)."""
    deadline = time.monotonic() + timeout_s
    missing = None
    while time.monotonic() < deadline:
        missing = page.evaluate("""async () => {
          const urls = new Set([location.href.split("#")[0]]);
          for (const el of document.querySelectorAll("img[src]")) urls.add(el.src);
          for (const el of document.querySelectorAll("img[srcset], source[srcset]"))
            for (const part of el.srcset.split(","))
              if (part.trim()) urls.add(new URL(part.trim().split(/\\s+/)[0], document.baseURI).href);
          const missing = [];
          for (const url of urls) if (!(await caches.match(url.split("#")[0], {ignoreVary: true}))) missing.push(url);
          return missing;
        }""")
        if not missing:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"not kept within {timeout_s} s: {missing}")


def is_offline_page(page) -> bool:
    return page.locator("[data-notes-offline-page]").count() == 1


@pytest.fixture
def context(browser):
    context = browser.new_context()
    yield context
    context.close()


def test_a_first_visit_gets_the_manifest_link_and_fetches_nothing_of_it(context, server):
    page = context.new_page()
    fetched = []
    page.on("request", lambda request: fetched.append(urlsplit(request.url).path))
    page.goto(server.url("/"))
    settle(page)
    assert page.locator("link[rel=manifest]").evaluate("link => link.href") == server.url("/manifest.webmanifest")
    ours = [path for path in fetched if re.search(r"extras\.|sw\.js|\.webmanifest|offline\.|/icon\.", path)]
    assert not ours, ours
    assert page.evaluate("async () => (await navigator.serviceWorker.getRegistrations()).length") == 0


def test_service_worker_manifest_and_icons_are_served_as_their_kinds(server, site):
    status, headers, body = fetch(server.url("/sw.js"))
    assert status == 200 and "javascript" in headers["Content-Type"], headers
    # Never immutable: the browser must see a new build's worker at once.
    assert headers["Cache-Control"] == "no-cache", headers["Cache-Control"]
    # The worker's own policy: it may fetch the site and nothing else.
    assert directives(headers["Content-Security-Policy"]) == {"default-src": ["'none'"], "connect-src": ["'self'"]}
    status, headers, body = fetch(server.url("/manifest.webmanifest"))
    assert status == 200 and headers["Content-Type"] == "application/manifest+json", headers
    assert headers["Cache-Control"] == "no-cache"
    manifest = json.loads(body)
    assert manifest["name"] == manifest["short_name"] == "Backend Notes"
    assert manifest["start_url"] == "./" and manifest["scope"] == "./" and manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"]) and re.fullmatch(r"#[0-9a-f]{6}",
                                                                                 manifest["background_color"])
    sizes = set()
    for icon in manifest["icons"]:
        url = urljoin(server.url("/manifest.webmanifest"), icon["src"])
        status, headers, png = fetch(url)
        assert status == 200 and headers["Content-Type"] == "image/png", (url, headers)
        assert headers["Cache-Control"] == "max-age=31536000, immutable", (url, headers)
        width, height = struct.unpack(">II", png[16:24])  # the PNG's IHDR
        assert f"{width}x{height}" == icon["sizes"] and width == height
        sizes.add((width, icon.get("purpose", "any")))
    assert {(192, "any"), (512, "any"), (512, "maskable")} <= sizes, sizes
    status, headers, _ = fetch(server.url("/offline.json"))
    assert status == 200 and headers["Cache-Control"] == "no-cache"
    _, headers, body = fetch(server.url("/"))
    assert directives(headers["Content-Security-Policy"])["manifest-src"] == ["'self'"]
    assert re.search(rb'<link href=manifest.webmanifest rel=manifest>', body), "no manifest link on the home page"


def test_saved_notes_open_offline_and_search_answers(context, server, site):
    page = context.new_page()
    watch = PageWatch(server.base).attach(page)
    page.goto(server.url("/"))
    settle(page)
    interact(page)
    controlled(page)
    files = listed(site)["files"]
    offered = save_all(page)
    # The control said what it would download before it did: the build's list, in files and bytes.
    assert offered["files"] == len(files) and offered["bytes"] == sum(size for _, size in files), offered
    assert str(len(files)) in offered["text"], offered
    assert not watch.take()

    context.set_offline(True)
    for path in PAGES:
        response = page.goto(server.url("/" + path))
        assert response is not None and response.ok, path
        assert not is_offline_page(page), f"/{path}: saved, yet the offline page"
        title = re.search(r"<title>(.*?)</title>", (site / path / "index.html").read_text(encoding="utf-8"))[1]
        assert page.title() == title.replace("&amp;", "&"), path
        assert not subresources_load(page), f"/{path}"
    page.goto(server.url("/docker/"))
    settle(page)
    focus_search(page)
    for query, first in QUERIES:
        assert search(page, query, server.url("/"))[:1] == [first], query
    page.goto(server.url("/never-saved/"))
    assert is_offline_page(page), page.content()[:500]
    assert page.locator("h1").inner_text().lower().count("offline") == 1
    assert not subresources_load(page)
    # Offline, the browser reports the failed network requests; nothing else may go wrong.
    assert not [e for e in watch.take() if "ERR_INTERNET_DISCONNECTED" not in e]
    context.set_offline(False)


def test_a_page_read_is_kept_and_one_never_opened_shows_the_offline_page(context, server):
    page = context.new_page()
    page.goto(server.url("/"))
    interact(page)
    controlled(page)
    page.goto(server.url("/docker/"))
    wait_until_kept(page)
    context.set_offline(True)
    page.goto(server.url("/docker/"))
    assert not is_offline_page(page) and page.title().startswith("Docker")
    assert not subresources_load(page)
    page.goto(server.url("/cors/"))
    assert is_offline_page(page)
    # The offline page offers to save everything, for next time.
    interact(page)
    page.locator(SAVE).wait_for(timeout=20_000)
    context.set_offline(False)


def cache_digests(page) -> dict[str, str]:
    """url -> sha256 of every response the service worker's caches hold."""
    return page.evaluate("""async () => {
      const out = {};
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) {
          const body = await (await cache.match(request)).arrayBuffer();
          const digest = await crypto.subtle.digest("SHA-256", body);
          out[request.url] = [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, "0")).join("");
        }
      }
      return out;
    }""")


def site_file(site: Path, url: str) -> Path:
    path = urlsplit(url).path.lstrip("/")
    return site / (path + "index.html" if path == "" or path.endswith("/") else path)


def test_a_new_build_is_announced_and_replaces_what_was_saved(browser, site, site_port, nginx_factory,
                                                              tmp_path_factory):
    port = free_port()
    old = nginx_factory(server_conf(site), port=port)
    base = f"http://127.0.0.1:{port}/"
    # The next build: one note changed, built as production builds (for the same address).
    project = copy_context(tmp_path_factory.mktemp("update") / "project")
    note = project / "docs" / "docker.md"
    note.write_text(note.read_text(encoding="utf-8") + f"\nYe line naye build me hai: {MARKER}.\n", encoding="utf-8")
    new_site = build(project / "site", project=project, env={"SITE_URL": f"http://127.0.0.1:{site_port}/"})
    assert listed(new_site)["version"] != listed(site)["version"]

    context = browser.new_context()
    try:
        page = context.new_page()
        watch = PageWatch(base.rstrip("/")).attach(page)
        page.goto(base)
        settle(page)
        interact(page)
        controlled(page)
        save_all(page)
        page.goto(base + "docker/")
        assert MARKER not in page.content()

        old.stop()
        nginx_factory(server_conf(new_site), port=port)
        page.reload()
        notice = page.locator(UPDATE)
        notice.wait_for(timeout=30_000)
        assert "naya version" in notice.inner_text().lower(), notice.inner_text()
        with page.expect_navigation(timeout=30_000):
            notice.locator("button").click()
        settle(page)
        assert MARKER in page.locator("article").inner_text()

        # Nothing stale: every response kept is byte for byte a file of the new build, and
        # every note is still kept (the new version saved again what the reader had saved).
        digests = cache_digests(page)
        stale = {url: digest for url, digest in digests.items()
                 if not site_file(new_site, url).is_file()
                 or hashlib.sha256(site_file(new_site, url).read_bytes()).hexdigest() != digest}
        assert not stale, sorted(stale)
        assert {base + path for path in PAGES} <= set(digests)
        context.set_offline(True)
        page.goto(base + "docker/")
        assert MARKER in page.locator("article").inner_text()
        focus_search(page)
        assert search(page, MARKER, base)[:1] == ["docker/"]
        resources = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
        assert all(site_file(new_site, url).is_file() for url in resources if url.startswith(base)), resources
        assert not [e for e in watch.take() if "ERR_INTERNET_DISCONNECTED" not in e]
    finally:
        context.close()


def test_it_works_under_the_pages_sub_path(browser, pages_base):
    status, headers, body = fetch(pages_base + "manifest.webmanifest")
    assert status == 200
    manifest = json.loads(body)
    # Relative, so the installed app opens and stays under the sub-path.
    assert urljoin(pages_base + "manifest.webmanifest", manifest["start_url"]) == pages_base
    assert urljoin(pages_base + "manifest.webmanifest", manifest["scope"]) == pages_base
    assert fetch(pages_base + "sw.js")[0] == 200
    context = browser.new_context()
    try:
        page = context.new_page()
        watch = PageWatch(pages_base.split("/backend-notes/")[0]).attach(page)
        page.goto(pages_base + "docker/")
        settle(page)
        interact(page)
        controlled(page)
        scope = page.evaluate("async () => (await navigator.serviceWorker.getRegistration()).scope")
        assert scope == pages_base
        page.goto(pages_base)
        save_all(page)
        context.set_offline(True)
        page.goto(pages_base + "jwt/")
        assert not is_offline_page(page) and not subresources_load(page)
        page.goto(pages_base + "never-saved/")
        assert is_offline_page(page)
        assert not [e for e in watch.take() if "ERR_INTERNET_DISCONNECTED" not in e]
    finally:
        context.close()
