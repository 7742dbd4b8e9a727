"""Shared fixtures: the real production build (`make site`) and real nginx running the
project's own nginx/site.conf with only `root` and `listen` rewritten."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SITE_CONF = ROOT / "nginx" / "site.conf"
MAIN_CONF = ROOT / "nginx" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# Every page of the site: URL path -> (source file, the <h1> it shows, its nav and <title> name).
PAGES = {
    "": ("index.md", "Backend Notes", "Home"),
    "es-modules/": ("es-modules.md", 'package.json me "type": "module"', "ES modules"),
    "http-methods/": ("http-methods.md", "HTTP Methods", "HTTP methods"),
    "headers/": ("headers.md", "2 Types of Headers", "Headers"),
    "status-codes/": ("status-codes.md", "Common HTTP Status Codes", "Status codes"),
    "jwt/": ("jwt.md", "JWT (JSON Web Token)", "JWT"),
    "cors/": ("cors.md", "CORS Error (Cross-Origin Resource Sharing)", "CORS"),
    "docker/": ("docker.md", "Docker", "Docker"),
    "redis/": ("redis.md", "Redis", "Redis in Docker"),
    "tags/": ("tags.md", "Tags", "Tags"),
}


def make_site(site_dir: Path, project: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the one build entrypoint, as the Dockerfile and the workflow do."""
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(project), "site", f"SITE_DIR={site_dir}",
         f"VENV={ROOT / '.venv'}"],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600,
    )


def build(site_dir: Path, env: dict | None = None) -> Path:
    result = make_site(site_dir, env=env)
    assert result.returncode == 0, f"make site failed:\n{result.stdout}\n{result.stderr}"
    return site_dir


@pytest.fixture(scope="session")
def site_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def site(tmp_path_factory, site_port) -> Path:
    """The production site, built once per test run by `make site`, for the address the
    `server` fixture serves it at (as in production: Material's instant navigation only
    treats links as internal when host and port match site_url)."""
    return build(tmp_path_factory.mktemp("build") / "site", env={"SITE_URL": f"http://127.0.0.1:{site_port}/"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_conf(root: Path, port: int | str = "__PORT__", conf: str | None = None) -> str:
    """nginx/site.conf with only its `root` and `listen` directives rewritten.

    The default port is a placeholder that Nginx() fills with the free port it picked."""
    text = SITE_CONF.read_text() if conf is None else conf
    text, n_root = re.subn(r"(?m)^(\s*)root\s+[^;]+;", lambda m: f"{m.group(1)}root {root};", text)
    text, n_listen = re.subn(r"(?m)^(\s*)listen\s+[^;]+;", lambda m: f"{m.group(1)}listen 127.0.0.1:{port};", text)
    assert n_root == 1 and n_listen == 1, "site.conf must name the root and the port exactly once"
    return text


def main_conf(workdir: Path, extra_http: str = "", root_workers: bool = True) -> str:
    """The image's own main config (nginx/nginx.conf), moved into a test folder: its /tmp
    paths and logs go to `workdir`, and it includes the test's copy of site.conf."""
    text = MAIN_CONF.read_text()
    text = text.replace("/tmp/", f"{workdir}/")
    text = text.replace("access_log /dev/stdout ", f"access_log {workdir}/access.log ")
    text = text.replace("error_log stderr warn;", f"error_log {workdir}/error.log warn;")
    text, n = re.subn(r"include /etc/nginx/conf\.d/\*\.conf;", f"include {workdir}/site.conf;\n    {extra_http}", text)
    assert n == 1, "nginx/nginx.conf must include /etc/nginx/conf.d/*.conf once"
    if root_workers and os.geteuid() == 0:
        # Started as root (CI), workers would drop to `nobody`, who cannot read pytest's
        # 0700 temp folders. Test harness only: the image runs nginx as a non-root user.
        text = "user root;\n" + text
    return text


class Nginx:
    """A real nginx process on a free loopback port, stopped when the test session ends."""

    def __init__(self, workdir: Path, server_config: str, extra_http: str = "", port: int | None = None):
        self.workdir = workdir
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "site.conf").write_text(server_config.replace("__PORT__", str(self.port)))
        (workdir / "nginx.conf").write_text(main_conf(workdir, extra_http))
        check = subprocess.run([NGINX, "-t", "-e", str(workdir / "early-error.log"),
                                "-c", str(workdir / "nginx.conf")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.stderr = open(workdir / "stderr.log", "wb")
        self.proc = subprocess.Popen([NGINX, "-e", str(workdir / "early-error.log"),
                                      "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"],
                                     stdout=self.stderr, stderr=self.stderr)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not start")

    def url(self, path: str = "/") -> str:
        return self.base + path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.stderr.close()


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


def fetch(url: str, method: str = "GET", headers: dict | None = None):
    """(status, headers, body) without following redirects or raising on 4xx/5xx."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, one for the whole session: Playwright's sync
    API allows one running instance per process, shared by test_browser and test_budgets."""
    from browser_harness import CHROMIUM, CHROMIUM_ARGS, require_tools
    from playwright.sync_api import sync_playwright

    require_tools()
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()
