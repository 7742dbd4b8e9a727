"""Fixtures: the real production build (`make site`), real nginx serving it with the
project's own config, and one Debian Chromium for the session. The machinery itself lives
in the `harness` package."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from urllib.parse import urlsplit

import pytest

from harness.browser import PageWatch, launch
from harness.lifecycle import stopped_at_end
from harness.nginx import Nginx, free_port, server_conf
from harness.pages_host import PAGES_SERVER, PREFIX
from harness.site import build


@pytest.fixture(scope="session")
def site_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def site(tmp_path_factory, site_port) -> Path:
    """The production site, built once per test run by `make site`, for the address the
    `server` fixture serves it at (as in production: Material's instant navigation only
    treats links as internal when host and port match site_url)."""
    return build(tmp_path_factory.mktemp("build") / "site", env={"SITE_URL": f"http://127.0.0.1:{site_port}/"})


@pytest.fixture(scope="session")
def nginx_factory(tmp_path_factory):
    """Start nginx with any server config text: nginx_factory(server_config) -> Nginx.
    extra_http: directives added to the http context (e.g. a stock distribution default)."""
    yield from stopped_at_end(lambda server_config, extra_http="", port=None: Nginx(
        tmp_path_factory.mktemp("nginx"), server_config, extra_http, port))


@pytest.fixture(scope="session")
def server(site, site_port, nginx_factory) -> Nginx:
    """The production site served by the project's own nginx/site.conf."""
    return nginx_factory(server_conf(site), port=site_port)


@pytest.fixture(scope="session")
def pages_base(nginx_factory) -> str:
    """The site built once for, and served under, /backend-notes/ as GitHub Pages serves a
    project site; its base URL. Shared by the sub-path crawl and the sub-path search test.

    nginx starts first, on an empty root: its port must be known to the build (SITE_URL),
    and nginx does not mind the files arriving afterwards."""
    # Not under pytest's tmp dirs: they are 0700, and nginx started as root (CI container)
    # serves as "nobody", which could not read them.
    root = Path(tempfile.mkdtemp(prefix="pages-root-"))
    root.chmod(0o755)
    try:
        server = nginx_factory(PAGES_SERVER.replace("__ROOT__", str(root)))
        base = server.url(PREFIX)
        build(root / PREFIX.strip("/"), env={"SITE_URL": base})
        yield base
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, one for the whole session: Playwright's sync
    API allows one running instance per process, shared by test_browser and test_budgets."""
    with launch() as chromium:
        yield chromium


@pytest.fixture
def open_page(browser, server):
    """open_page(path or URL, **context options) -> a page in a new browser context (a path
    is below the project's nginx; a desktop viewport unless given), watched: any console
    error, failed request, request to another host or CSP violation fails the test."""
    contexts, pages = [], []

    def open_(path: str = "", **options):
        address = path if "://" in path else server.url("/" + path)
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 800}, **options})
        contexts.append(context)
        page = context.new_page()
        page.watch = PageWatch("{0.scheme}://{0.netloc}".format(urlsplit(address))).attach(page)
        pages.append((path, page))
        page.goto(address)
        return page

    yield open_
    problems = [f"{path if '://' in path else '/' + path}: {error}" for path, page in pages for error in page.watch.take()]
    for context in contexts:
        context.close()
    assert not problems, "the browser saw errors:\n  " + "\n  ".join(problems)
