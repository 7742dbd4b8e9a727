"""Fixtures: the real production build (`make site`), real nginx serving it with the
project's own config, and one Debian Chromium for the session. The machinery itself lives
in the `harness` package."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.browser import launch
from harness.nginx import Nginx, free_port, server_conf
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
    servers = []

    def start(server_config: str, extra_http: str = "", port: int | None = None) -> Nginx:
        server = Nginx(tmp_path_factory.mktemp("nginx"), server_config, extra_http, port)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def server(site, site_port, nginx_factory) -> Nginx:
    """The production site served by the project's own nginx/site.conf."""
    return nginx_factory(server_conf(site), port=site_port)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, one for the whole session: Playwright's sync
    API allows one running instance per process, shared by test_browser and test_budgets."""
    with launch() as chromium:
        yield chromium
