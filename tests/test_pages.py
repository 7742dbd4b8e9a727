"""GitHub Pages: the workflow (schema and structure) and the site served under a sub-path.

A project site lives at https://<owner>.github.io/<repo>/, not at "/". Every URL the
site emits must stay under that prefix, which only works when the build gets
SITE_URL. The crawl below serves a real build from real nginx set up like Pages
(plain files, no custom headers, the project's 404.html for a missing path) and follows
everything a browser would load."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup

from harness.nginx import fetch
from harness.pages import PAGES
from harness.pages_host import PREFIX
from harness.paths import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


# A pinned action: a full commit SHA with its release in a comment, or an exact release.
PINNED_SHA = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")
PINNED_TAG = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@v\d+\.\d+\.\d+$")
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)['"]?\s*\)""")


# --- the workflow --------------------------------------------------------------------


def check_workflow(path: Path) -> subprocess.CompletedProcess:
    # --builtin-schema: the schema ships with check-jsonschema, so this runs offline.
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True, text=True, timeout=120,
    )


def test_workflow_matches_github_schema(tmp_path):
    result = check_workflow(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    # The validator must be able to say no: a typo'd permission level is rejected.
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("contents: read", "contents: raed", 1))
    assert check_workflow(broken).returncode != 0, "check-jsonschema accepted a broken workflow"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps_using(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def run_steps(job: dict) -> list[dict]:
    return [s for s in job["steps"] if "run" in s]


def test_workflow_triggers_and_concurrency(workflow):
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as True
    assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on
    # Pull requests (Dependabot's too) run the tests, so an update is proven before merging.
    assert on["pull_request"]["branches"] == ["main"]
    assert set(on) == {"push", "pull_request", "workflow_dispatch"}
    assert "if" not in workflow["jobs"]["test"], "the tests run for every event"
    # Only main is built and deployed (a pull request's ref is refs/pull/<n>/merge).
    for name in ("build", "deploy"):
        assert workflow["jobs"][name]["if"] == "github.ref == 'refs/heads/main'", name
    # Deploys share one group and are never cancelled; a pull request's runs have their own.
    assert workflow["concurrency"]["group"] == (
        "${{ github.event_name == 'pull_request' && format('pages-pr-{0}', github.event.number) || 'pages' }}")
    assert workflow["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"


def test_checkouts_have_the_full_readable_history(workflow):
    # True "last updated" dates need every commit (hooks/dates.py shows none in a shallow
    # clone), and git must be allowed to read a checkout owned by the runner's user.
    for name in ("test", "build"):
        job = workflow["jobs"][name]
        (checkout,) = steps_using(job, "actions/checkout")
        assert checkout["with"]["fetch-depth"] == 0, name
        steps = job["steps"]
        safe = [s for s in run_steps(job) if "safe.directory" in s["run"]]
        assert safe and safe[0]["run"] == 'git config --global --add safe.directory "$GITHUB_WORKSPACE"', name
        make = next(s for s in run_steps(job) if re.search(r"\bmake (test|site)\b", s["run"]))
        assert steps.index(checkout) < steps.index(safe[0]) < steps.index(make), name


def test_workflow_permissions_are_least(workflow):
    assert workflow["permissions"] == {"contents": "read"}
    jobs = workflow["jobs"]
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    for name, job in jobs.items():
        if name == "deploy":
            continue
        granted = job.get("permissions", workflow["permissions"])
        assert all(level == "read" for level in granted.values()), f"job {name} may write: {granted}"
        assert "id-token" not in granted, f"job {name} can mint an OIDC token"


def test_workflow_jobs(workflow):
    jobs = workflow["jobs"]
    assert set(jobs) == {"test", "container", "build", "deploy"}

    test = jobs["test"]
    image = test["container"] if isinstance(test["container"], str) else test["container"]["image"]
    assert image == "debian:12"
    commands = "\n".join(s["run"] for s in run_steps(test))
    assert re.search(r"(?m)^\s*make test\s*$", commands), "the test job must run `make test`"
    for package in ("python3", "python3-venv", "make", "git", "ca-certificates"):
        assert re.search(rf"(?<![\w-]){re.escape(package)}(?![\w-])", commands), f"{package} not installed"
    cache = steps_using(test, "actions/cache")
    assert cache and cache[0]["with"]["path"] == "~/.cache/pip"
    assert "hashFiles('requirements*.txt')" in cache[0]["with"]["key"]

    # The image test needs a Docker engine: the container job runs it on the runner's own
    # Docker (real base images); the test job's debian:12 container leaves it out.
    container = jobs["container"]
    assert "container" not in container and container["runs-on"].startswith("ubuntu")
    commands = "\n".join(s["run"] for s in run_steps(container))
    assert re.search(r"(?m)\bmake test-container\s*$", commands)
    assert [s["env"]["IMAGE_TEST_ENGINE"] for s in run_steps(container) if "make" in s["run"]] == ["system"]
    suite = [s for s in run_steps(test) if re.search(r"(?m)^\s*make test\s*$", s["run"])]
    assert suite[0].get("env", {}).get("PYTEST_ADDOPTS") == "--ignore=tests/test_image.py"

    build_job = jobs["build"]
    assert build_job["needs"] == "test"
    configure = steps_using(build_job, "actions/configure-pages")
    assert len(configure) == 1 and configure[0]["id"] == "pages"
    site_steps = [s for s in run_steps(build_job) if "make site" in s["run"]]
    assert len(site_steps) == 1, "the build job must build with `make site`"
    site_step = site_steps[0]
    assert not any("mkdocs" in s["run"] for s in run_steps(build_job)), "build through make, not mkdocs"
    assert site_step["env"]["SITE_URL"] == "${{ steps.pages.outputs.base_url }}/"
    assert site_step["env"]["EDIT_URI"] == (
        "${{ github.server_url }}/${{ github.repository }}/edit/${{ github.ref_name }}/docs/"
    )
    steps = build_job["steps"]
    upload = steps_using(build_job, "actions/upload-pages-artifact")
    assert len(upload) == 1 and upload[0]["with"]["path"] == "site"
    assert steps.index(configure[0]) < steps.index(site_step) < steps.index(upload[0])

    deploy = jobs["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"] == {"name": "github-pages", "url": "${{ steps.deployment.outputs.page_url }}"}
    deploy_steps = steps_using(deploy, "actions/deploy-pages")
    assert len(deploy_steps) == 1 and deploy_steps[0]["id"] == "deployment"


def test_every_action_is_pinned(workflow):
    uses = [s["uses"] for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s]
    assert uses, "no actions found"
    for ref in uses:
        assert PINNED_SHA.match(ref) or PINNED_TAG.match(ref), f"{ref} is not pinned to a SHA or vX.Y.Z"
    # A bare SHA says nothing to a reader: the release goes in a comment on the same line.
    for line in WORKFLOW.read_text().splitlines():
        if re.search(r"\buses:\s*\S+@[0-9a-f]{40}\b", line):
            assert re.search(r"@[0-9a-f]{40}\s+#\s*v\d+\.\d+\.\d+\b", line), f"no # vX.Y.Z comment: {line.strip()}"


# --- the site under a sub-path ------------------------------------------------------


class Crawl:
    def __init__(self, base: str):
        self.base = base
        self.host = urlsplit(base).netloc
        self.html: dict[str, BeautifulSoup] = {}
        self.fetched: dict[str, int] = {}
        self.external_links: set[str] = set()
        self.problems: list[str] = []
        self._todo = deque([(base, "start")])
        self._queued = {base}

    def add(self, url: str, referrer: str, kind: str) -> None:
        url = urldefrag(url)[0]
        parts = urlsplit(url)
        if parts.scheme in ("data", "mailto", "tel"):
            return
        if parts.netloc != self.host:
            if kind == "<a href>":
                self.external_links.add(url)  # a link the reader may follow; not ours to fetch
            else:
                self.problems.append(f"{referrer}: {kind} loads {url} from another host")
            return
        if parts.scheme != "http" or not parts.path.startswith(PREFIX):
            self.problems.append(f"{referrer}: {kind} {url} leaves {PREFIX}")
            return
        if url not in self._queued:
            self._queued.add(url)
            self._todo.append((url, f"{referrer} ({kind})"))

    def run(self) -> "Crawl":
        while self._todo:
            url, referrer = self._todo.popleft()
            status, headers, body = fetch(url)
            self.fetched[url] = status
            if status != 200:
                self.problems.append(f"{url} answered {status}, from {referrer}")
                continue
            path = urlsplit(url).path
            ctype = headers.get_content_type()
            if ctype == "text/html":
                self.page(url, BeautifulSoup(body, "html.parser"))
            elif ctype == "text/css":
                for ref in CSS_URL.findall(body.decode("utf-8")):
                    self.add(urljoin(url, ref), url, "css url()")
            elif path.endswith("/search/search_index.json"):
                # Search results link to these locations, relative to the site base.
                for doc in json.loads(body)["docs"]:
                    self.add(urljoin(self.base, doc["location"]), url, "search result")
            elif path.endswith("/sitemap.xml"):
                for loc in re.findall(r"<loc>\s*([^<\s]+)\s*</loc>", body.decode("utf-8")):
                    self.add(loc, url, "sitemap <loc>")
        return self

    def page(self, url: str, soup: BeautifulSoup) -> None:
        self.html[url] = soup
        for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src")):
            for element in soup.find_all(tag, attrs={attr: True}):
                self.add(urljoin(url, element[attr]), url, f"<{tag} {attr}>")
        config = soup.find("script", id="__config")
        if config is None:
            self.problems.append(f"{url}: no __config script")
            return
        # What Material's JavaScript fetches itself: the search worker, and from the site
        # base the search index and the sitemap (instant navigation reads it).
        config = json.loads(config.string)
        site_base = urljoin(url, config["base"]).rstrip("/") + "/"
        self.add(urljoin(url, config["search"]), url, "__config.search worker")
        self.add(urljoin(site_base, "search/search_index.json"), url, "search index from __config.base")
        self.add(urljoin(site_base, "sitemap.xml"), url, "sitemap from __config.base")


@pytest.fixture(scope="module")
def crawl(pages_base) -> Crawl:
    return Crawl(pages_base).run()


def test_crawl_under_subpath(crawl, pages_base):
    assert not crawl.problems, "\n".join(crawl.problems)
    missing = {pages_base + path for path in PAGES} - set(crawl.html)
    assert not missing, f"pages the crawl never reached: {sorted(missing)}"
    kinds = {urlsplit(url).path.rsplit(".", 1)[-1] for url in crawl.fetched}
    assert {"css", "js", "json", "xml", "svg"} <= kinds, f"crawl fetched too little: {sorted(crawl.fetched)}"
    assert any("/workers/search." in url for url in crawl.fetched), "the search worker was not fetched"
    assert any(url.startswith("https://") for url in crawl.external_links)


def test_canonical_and_sitemap_use_subpath(crawl, pages_base):
    for path in PAGES:
        soup = crawl.html[pages_base + path]
        canonical = soup.find("link", rel="canonical")
        assert canonical is not None and canonical["href"] == pages_base + path, f"/{path}: {canonical}"
    status, _, body = fetch(pages_base + "sitemap.xml")
    assert status == 200
    locs = set(re.findall(r"<loc>\s*([^<\s]+)\s*</loc>", body.decode("utf-8")))
    assert locs == {pages_base + path for path in PAGES}


def test_csp_meta_on_every_page(crawl):
    # Pages sends no Content-Security-Policy header; the <meta> is the page's only policy.
    for url, soup in crawl.html.items():
        meta = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
        assert meta is not None and "script-src" in meta["content"], f"{url}: no CSP <meta>"


@pytest.mark.parametrize("missing", ["does-not-exist/", "deep/er/does-not-exist.html"])
def test_missing_page_is_styled_404(pages_base, missing):
    url = pages_base + missing
    status, headers, body = fetch(url)
    assert status == 404
    soup = BeautifulSoup(body, "html.parser")
    assert soup.find("h1", string=re.compile(r"404")), "not the site's own 404 page"
    assert soup.select_one(".md-header") is not None, "the 404 page lacks Material's layout"
    # The browser resolves these against the missing URL, at whatever depth it is.
    assets = [urljoin(url, el["href"]) for el in soup.select('link[rel="stylesheet"][href]')]
    assets += [urljoin(url, el["src"]) for el in soup.select("script[src]")]
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets), assets
    for asset in assets:
        assert urlsplit(asset).path.startswith(PREFIX), f"404 page loads {asset}, outside {PREFIX}"
        assert fetch(asset)[0] == 200, f"404 page asset {asset} does not load"


def test_pages_like_server(pages_base):
    """The stand-in behaves like Pages where the site depends on it."""
    status, headers, _ = fetch(pages_base + "jwt")
    assert status == 301 and urlsplit(headers["Location"]).path == PREFIX + "jwt/"
    status, headers, _ = fetch(pages_base.rstrip("/"))
    assert status == 301 and urlsplit(headers["Location"]).path == PREFIX
    status, headers, _ = fetch(pages_base)
    assert status == 200 and "Content-Security-Policy" not in headers
