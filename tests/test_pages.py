"""GitHub Pages: the workflow, as GitHub would run it, and the site served under a sub-path.

The workflow is checked by what it does, not by what it says: which jobs each event runs,
which runs wait for or cancel which, what each job may write, and the jobs' own steps
replayed here (the build job's steps make the site it would publish). Its schema is
checked by the pre-commit hook (tests/test_tooling.py).

A project site lives at https://<owner>.github.io/<repo>/, not at "/". Every URL the
site emits must stay under that prefix, which only works when the build gets
SITE_URL. The crawl below serves a real build from real nginx set up like Pages
(plain files, no custom headers, the project's 404.html for a missing path) and follows
everything a browser would load."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections import deque
from pathlib import Path
from urllib.parse import parse_qs, urldefrag, urljoin, urlsplit

import feedparser
import pytest
import yaml
from bs4 import BeautifulSoup

from harness.context import copy_context
from harness.nginx import fetch
from harness.pages import NOTES, PAGES
from harness.pages_host import PREFIX
from harness.paths import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
BIN = Path(sys.executable).parent


# A pinned action: a full commit SHA with its release in a comment, or an exact release.
PINNED_SHA = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")
PINNED_TAG = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@v\d+\.\d+\.\d+$")
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)['"]?\s*\)""")


# --- the workflow's expressions -------------------------------------------------------

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
TOKEN = re.compile(r"\s*(?:(?P<text>'(?:[^']|'')*')|(?P<op>&&|\|\||==|!=|[!(),])|(?P<name>[A-Za-z_][\w.-]*))")
PYTHON = {"&&": " and ", "||": " or ", "!": " not ", "true": "True", "false": "False", "null": "None"}


def format_(text: str, *args) -> str:
    return re.sub(r"\{(\d+)\}", lambda m: "" if args[int(m[1])] is None else str(args[int(m[1])]), text)


def evaluate(expression: str, context: dict):
    """A GitHub Actions expression in the forms the workflow uses: context names (a missing
    one is null), 'strings', true, false, null, == != ! && || (which give one of their
    operands, as GitHub's do), parentheses and format()."""
    python, position, expression = [], 0, expression.strip()
    while position < len(expression):
        token = TOKEN.match(expression, position)
        if token is None:
            raise ValueError(f"this test cannot read {expression!r} from {expression[position:]!r}")
        position = token.end()
        if token["text"]:
            python.append(repr(token["text"][1:-1].replace("''", "'")))
        elif token["name"]:
            name = token["name"]
            python.append("format_" if name == "format" else PYTHON.get(name, f"get({name!r})"))
        else:
            python.append(PYTHON.get(token["op"], token["op"]))
    return eval("".join(python), {"__builtins__": {}}, {"get": context.get, "format_": format_})


def resolve(value, context: dict):
    """A workflow value with its ${{ }} worked out: the expression's own value where the
    whole value is one, else the text with each expression's value in its place."""
    if not isinstance(value, str):
        return value
    whole = EXPRESSION.fullmatch(value.strip())
    if whole:
        return evaluate(whole[1], context)
    return EXPRESSION.sub(lambda m: text(evaluate(m[1], context)), value)


def text(value) -> str:
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def holds(condition, context: dict) -> bool:
    """An `if:`, which may be written with or without ${{ }}."""
    if condition is None or isinstance(condition, bool):
        return condition is not False
    whole = EXPRESSION.fullmatch(condition.strip())
    return bool(evaluate(whole[1] if whole else condition, context))


# --- what GitHub runs for each event --------------------------------------------------

GITHUB = {"github.server_url": "https://github.com", "github.repository": "owner/backend-notes",
          "github.sha": "0" * 40}


def push(branch: str, event: str = "push") -> dict:
    return {**GITHUB, "github.event_name": event, "github.ref": f"refs/heads/{branch}", "github.ref_name": branch}


def pull_request(number: int) -> dict:
    return {**GITHUB, "github.event_name": "pull_request", "github.ref": f"refs/pull/{number}/merge",
            "github.ref_name": f"{number}/merge", "github.base_ref": "main", "github.event.number": number}


EVENTS = {
    "a push to main": push("main"),
    "a push to another branch": push("topic"),
    "a pull request into main": pull_request(7),
    "a run by hand on main": push("main", "workflow_dispatch"),
    "a run by hand on another branch": push("topic", "workflow_dispatch"),
}


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps_using(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def needs(job: dict) -> list[str]:
    return [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", [])


def triggered(workflow: dict, context: dict) -> bool:
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as True
    on = {on: None} if isinstance(on, str) else dict.fromkeys(on) if isinstance(on, list) else on
    event = context["github.event_name"]
    branches = (on[event] or {}).get("branches") if event in on else []
    branch = context.get("github.base_ref") or context["github.ref_name"]
    return branches is None or any(fnmatch.fnmatchcase(branch, pattern) for pattern in branches)


def jobs_run(workflow: dict, context: dict, failing: tuple[str, ...] = ()) -> set[str]:
    """The jobs GitHub runs for the event: a job runs once every job it needs has run and
    succeeded, and its `if` holds. The `failing` jobs run and fail."""
    if not triggered(workflow, context):
        return set()
    jobs, decided, ran = workflow["jobs"], set(), set()
    while len(decided) < len(jobs):
        ready = [name for name in jobs if name not in decided and set(needs(jobs[name])) <= decided]
        assert ready, f"jobs that need a missing job, or each other: {set(jobs) - decided}"
        for name in ready:
            decided.add(name)
            if all(n in ran and n not in failing for n in needs(jobs[name])) and holds(jobs[name].get("if"), context):
                ran.add(name)
    return ran


def test_pull_requests_are_tested_and_only_main_is_deployed(workflow):
    runs = {event: jobs_run(workflow, context) for event, context in EVENTS.items()}
    # Every pull request (Dependabot's too) runs the tests and the image test, so an update
    # is proven before it is merged; nothing of it reaches Pages.
    assert {"test", "container"} <= runs["a pull request into main"], runs
    assert "deploy" not in runs["a pull request into main"], runs
    for event in ("a push to main", "a run by hand on main"):
        assert {"test", "container", "build", "deploy"} <= runs[event], (event, runs[event])
    for event in ("a push to another branch", "a run by hand on another branch"):
        assert "deploy" not in runs[event], (event, runs[event])
    # Nothing is deployed if a test fails.
    assert "deploy" not in jobs_run(workflow, EVENTS["a push to main"], failing=("test",))


def concurrency(workflow: dict, context: dict) -> tuple[str | None, bool]:
    """The run's concurrency group, and whether a newer run in that group cancels it."""
    setting = workflow.get("concurrency") or {}
    setting = {"group": setting} if isinstance(setting, str) else setting
    return resolve(setting.get("group"), context), bool(resolve(setting.get("cancel-in-progress", False), context))


def test_a_deploy_is_never_cancelled_and_pull_requests_run_apart(workflow):
    main = concurrency(workflow, EVENTS["a push to main"])
    by_hand = concurrency(workflow, EVENTS["a run by hand on main"])
    first, second = concurrency(workflow, pull_request(7)), concurrency(workflow, pull_request(8))
    # Runs that deploy take turns, one deployment at a time, and none cancels another: a
    # deploy cut off half-way can leave Pages without a live version.
    assert main[0] and main == by_hand and main[1] is False, (main, by_hand)
    # A pull request's runs are a group of their own, where a newer push cancels the older
    # run; no pull request waits behind a deploy or behind another pull request.
    assert first[1] and second[1], (first, second)
    assert len({main[0], first[0], second[0]}) == 3, (main, first, second)


def writes(granted) -> set[str]:
    if isinstance(granted, dict):
        return {scope for scope, level in granted.items() if level == "write"}
    return {"everything"} if granted == "write-all" else set()


def test_only_jobs_that_run_nothing_from_the_repository_can_write(workflow):
    for name, job in workflow["jobs"].items():
        # A job without a block of its own has the workflow's; without either, the
        # repository's default, which may be write-all.
        granted = writes(job.get("permissions", workflow.get("permissions", "write-all")))
        own_code = [s.get("name") or s.get("uses") or s["run"] for s in job["steps"]
                    if "run" in s or s.get("uses", "").startswith(("actions/checkout@", "./"))]
        assert not (granted and own_code), f"job {name} may write {sorted(granted)} and runs {own_code}"
        if steps_using(job, "actions/deploy-pages"):  # what the action needs to publish
            assert {"pages", "id-token"} <= granted, f"job {name} cannot deploy: {sorted(granted)}"


def test_every_action_is_pinned(workflow):
    uses = [s["uses"] for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s]
    assert uses, "no actions found"
    for ref in uses:
        assert PINNED_SHA.match(ref) or PINNED_TAG.match(ref), f"{ref} is not pinned to a SHA or vX.Y.Z"
    # A bare SHA says nothing to a reader: the release goes in a comment on the same line.
    for line in WORKFLOW.read_text().splitlines():
        if re.search(r"\buses:\s*\S+@[0-9a-f]{40}\b", line):
            assert re.search(r"@[0-9a-f]{40}\s+#\s*v\d+\.\d+\.\d+\b", line), f"no # vX.Y.Z comment: {line.strip()}"


# --- the jobs' steps, replayed ---------------------------------------------------------
# Each `run` goes to bash -e in $GITHUB_WORKSPACE with the step's env, as on a runner.
# Stand-ins take the place of what this machine cannot or must not do: the packages a step
# apt-installs are here already, and in a job's bare debian:12 container git is missing
# until a step installs it. Of the actions, those given do their part; the rest nothing.

STAND_INS = {
    "apt-get": 'for p in "$@"; do [ "$p" = git ] && ln -sf __GIT__ "$(dirname "$0")/git"; done; exit 0\n',
    "sudo": 'while [ "${1#-}" != "$1" ]; do shift; done\nexec "$@"\n',  # root already, as in CI
}
NO_GIT = 'echo "git: command not found" >&2\nexit 127\n'


def replay(job: dict, context: dict, workspace: Path, actions: dict, stand_ins: dict | None = None) -> None:
    """Runs the job's steps in order, in `workspace`; stops at the first that fails."""
    tools = workspace.parent / "bin"
    tools.mkdir(parents=True)
    scripts = {**STAND_INS, **({"git": NO_GIT} if "container" in job else {}), **(stand_ins or {})}
    for name, script in scripts.items():
        (tools / name).write_text("#!/bin/sh\n" + script.replace("__GIT__", shutil.which("git")))
        (tools / name).chmod(0o755)
    (workspace.parent / "home").mkdir()
    env = {"PATH": f"{tools}:{os.environ['PATH']}", "HOME": str(workspace.parent / "home"), "LANG": "C.UTF-8",
           "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(workspace),
           "RUNNER_TEMP": str(workspace.parent)}
    workspace.mkdir(exist_ok=True)
    context = dict(context)
    for step in job["steps"]:
        if "uses" in step:
            outputs = actions.get(step["uses"].split("@")[0], lambda step, env, job: {})(step, env, job)
            context.update({f"steps.{step.get('id')}.outputs.{key}": value for key, value in outputs.items()})
            continue
        step_env = {key: text(resolve(value, context))
                    for key, value in {**job.get("env", {}), **step.get("env", {})}.items()}
        shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]  # GitHub's bash
        result = subprocess.run([*shell, resolve(step["run"], context)], env={**env, **step_env},
                                cwd=workspace / step.get("working-directory", "."),
                                capture_output=True, text=True, timeout=900)
        name = step.get("name", step["run"])
        assert result.returncode == 0, f"step {name!r} failed:\n{result.stdout}\n{result.stderr}"


def checkout(step: dict, env: dict, job: dict) -> dict:
    """actions/checkout: with git on the PATH a clone, as deep as fetch-depth says (its
    default, 1, is a shallow clone; 0 the whole history), else the files alone, no .git.
    The files are this tree's (the build context), over the history of its commits. In a
    job's container the checkout belongs to the runner's user, not to the job's root (so
    where this runs as root, to another user)."""
    workspace = Path(env["GITHUB_WORKSPACE"])
    if subprocess.run(["git", "--version"], env=env, capture_output=True).returncode == 0:
        depth = (step.get("with") or {}).get("fetch-depth", 1)
        subprocess.run(["git", "clone", "-q", "--no-checkout", *(["--depth", str(depth)] if depth else []),
                        f"file://{ROOT}", str(workspace)], check=True, capture_output=True)
    copy_context(workspace)
    (workspace / ".venv").symlink_to(BIN.parent)  # the pinned packages, installed here already
    if "container" in job and os.geteuid() == 0:
        subprocess.run(["chown", "-R", "-h", "1001:1001", str(workspace)], check=True)
    return {}


PAGES_URL = "https://owner.github.io/backend-notes/"


@pytest.fixture(scope="module")
def published(workflow, tmp_path_factory) -> Path:
    """What the job that uploads the Pages artifact uploads, its steps replayed for a push
    to main, with configure-pages' answer for the repository's Pages address."""
    (job,) = [job for job in workflow["jobs"].values() if steps_using(job, "actions/upload-pages-artifact")]
    uploaded = []
    actions = {
        "actions/checkout": checkout,
        # configure-pages gives the address without its trailing slash
        "actions/configure-pages": lambda step, env, job: {"base_url": PAGES_URL.rstrip("/")},
        "actions/upload-pages-artifact": lambda step, env, job: uploaded.append(
            artifact(Path(env["GITHUB_WORKSPACE"]), step.get("with") or {}, tmp_path_factory.mktemp("artifact"))) or {},
    }
    replay(job, EVENTS["a push to main"], tmp_path_factory.mktemp("runner") / "workspace", actions)
    assert len(uploaded) == 1 and uploaded[0].is_dir(), f"nothing built where the artifact is taken: {uploaded}"
    return uploaded[0]


def artifact(workspace: Path, inputs: dict, into: Path) -> Path:
    """What upload-pages-artifact (v5) packs: its tar of `path` leaves out .git and .github,
    and every dot path unless include-hidden-files is "true" (the action's action.yml)."""
    source = workspace / inputs.get("path", "_site")
    hidden = str(inputs.get("include-hidden-files", "false")).lower() == "true"
    for file in source.rglob("*"):
        parts = file.relative_to(source).parts
        if file.is_dir() or ".git" in parts or ".github" in parts:
            continue
        if not hidden and any(part.startswith(".") for part in parts):
            continue
        (into / file.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, into / file.relative_to(source))
    return into


def test_the_published_site_has_its_security_txt(published):
    # RFC 9116's address; upload-pages-artifact drops dot paths unless told to keep them.
    text = (published / ".well-known" / "security.txt").read_text(encoding="utf-8")
    assert re.search(r"(?m)^Contact: \S+", text) and re.search(r"(?m)^Expires: \S+", text), text
    assert f"Canonical: {PAGES_URL}.well-known/security.txt" in text, text


def page(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")


def test_the_published_site_is_built_for_its_pages_address(published):
    for path in PAGES:
        canonical = page(published, path).find("link", rel="canonical")
        assert canonical is not None and canonical["href"] == PAGES_URL + path, f"/{path}: {canonical}"
    locs = re.findall(r"<loc>\s*([^<\s]+)\s*</loc>", (published / "sitemap.xml").read_text(encoding="utf-8"))
    assert sorted(locs) == sorted(PAGES_URL + path for path in PAGES)
    # The 404 page is served at any depth: its assets are absolute, under the address.
    missing = BeautifulSoup((published / "404.html").read_text(encoding="utf-8"), "html.parser")
    assets = [el["href"] for el in missing.select("link[rel=stylesheet][href]")]
    assets += [el["src"] for el in missing.select("script[src]")]
    assert assets and all(urljoin(PAGES_URL + "a/b/", a).startswith(PAGES_URL) for a in assets), assets


def test_the_published_site_installs_and_works_offline_under_its_address(published):
    """The service worker and the manifest reach the artifact, and address only the site:
    the worker sits at the site's root (its scope), the manifest's start_url and scope are
    relative to it, and the offline page and loader name files under the address."""
    manifest = json.loads((published / "manifest.webmanifest").read_text(encoding="utf-8"))
    manifest_url = PAGES_URL + "manifest.webmanifest"
    assert urljoin(manifest_url, manifest["start_url"]) == PAGES_URL
    assert urljoin(manifest_url, manifest["scope"]) == PAGES_URL
    assert all(urljoin(manifest_url, icon["src"]).startswith(PAGES_URL) and (published / icon["src"]).is_file()
               for icon in manifest["icons"])
    assert (published / "sw.js").is_file() and (published / "offline.json").is_file()
    listing = json.loads((published / "offline.json").read_text(encoding="utf-8"))
    assert all(not path.startswith("/") and (published / (path or ".") / ("index.html" if path.endswith("/")
               or not path else "")).exists() for path, _ in listing["files"])
    for path in ["", *PAGES, "404.html", "offline.html"]:
        html = (published / path / "index.html") if not path.endswith(".html") else published / path
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        base = PAGES_URL + ("a/b/" if path.endswith(".html") else path)  # the error pages show at any depth
        assert urljoin(base, soup.find("link", rel="manifest")["href"]) == manifest_url, path
        loader = soup.find("script", src=re.compile(r"extras-loader\."))
        assert urljoin(base, loader["src"]).startswith(PAGES_URL + "assets/javascripts/extras-loader."), path


def test_each_published_page_links_to_its_source_for_editing(published):
    for path, (source, _, _) in PAGES.items():
        edit = page(published, path).find("a", rel="edit")
        expected = f"https://github.com/owner/backend-notes/edit/main/docs/{source}"
        assert edit is not None and edit["href"] == expected, f"/{path}: {edit}"


def test_each_published_page_shows_when_it_last_changed(published):
    # The whole history reaches the build and git reads it, though the checkout is not the
    # job's own: every page with a commit shows its date. (A page not committed yet has none.)
    committed = [path for path, (source, _, _) in PAGES.items()
                 if subprocess.run(["git", "log", "-1", "--format=%H", "--", f"docs/{source}"], cwd=ROOT,
                                   capture_output=True, text=True).stdout.strip()]
    assert committed, "no page has a commit"
    for path in committed:
        assert page(published, path).select(".md-source-file time"), f"/{path} shows no date"


def test_the_published_feed_and_changes_page_are_under_its_address(published):
    """Issue 28: the Atom feed validates and every note with a commit is an entry at its
    Pages address, dated by git; every page's head, and the "Naya kya hai" page, link it
    under the sub-path; each note's "Galti batao" opens an issue on the workflow's repository."""
    parsed = feedparser.parse((published / "feed.xml").read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    dates = {path: subprocess.run(["git", "log", "-1", "--format=%cI", "--", f"docs/{source}"], cwd=ROOT,
                                  capture_output=True, text=True, check=True).stdout.strip()
             for path, (source, _, _) in NOTES.items()}
    entries = {entry.link: entry.updated for entry in parsed.entries}
    assert entries == {PAGES_URL + path: date for path, date in dates.items() if date}, entries
    changes = BeautifulSoup((published / "naya" / "index.html").read_text(encoding="utf-8"), "html.parser")
    listed = [urljoin(PAGES_URL + "naya/", a["href"]) for a in changes.select("[data-notes-dated] > li > a")]
    assert listed == sorted(listed, key=lambda url: dates[url[len(PAGES_URL):]], reverse=True)
    assert sorted(listed) == sorted(entries)
    for path in [*PAGES, "naya/"]:
        feed = BeautifulSoup((published / path / "index.html").read_text(encoding="utf-8"), "html.parser").find(
            "link", rel="alternate", type="application/atom+xml")
        assert feed is not None and urljoin(PAGES_URL + path, feed["href"]) == PAGES_URL + "feed.xml", path
    for path, (_, title, _) in NOTES.items():
        report = page(published, path).select_one("a[data-notes-report]")
        url = urlsplit(report["href"])
        assert (url.netloc, url.path) == ("github.com", "/owner/backend-notes/issues/new"), report
        query = parse_qs(url.query)
        assert query["title"] == [f"Galti: {title}"] and f"Page: {PAGES_URL}{path}\n" in query["body"][0], query


def test_the_feed_answers_under_the_sub_path(pages_base):
    status, _, body = fetch(pages_base + "feed.xml")
    assert status == 200 and feedparser.parse(body).bozo == 0, status
    status, _, body = fetch(pages_base + "naya/")
    assert status == 200 and b"data-notes-changes" in body, status


def test_a_pull_request_runs_every_test_file(workflow, tmp_path):
    """The jobs a pull request runs, replayed with a `make` that only notes what it was
    asked: what `make` would then run of pytest, with the step's PYTEST_ADDOPTS, collects
    every test file."""
    record = {"make": 'printf "%s|%s\\n" "$*" "${PYTEST_ADDOPTS:-}" >> "$RUNNER_TEMP/make.log"\n'}
    context = EVENTS["a pull request into main"]
    for name in jobs_run(workflow, context):
        (tmp_path / name).mkdir()
        replay(workflow["jobs"][name], context, tmp_path / name / "workspace", {}, record)
    calls = [line.split("|") for log in tmp_path.glob("*/make.log") for line in log.read_text().splitlines()]
    collected = set()
    for targets, addopts in calls:
        plan = subprocess.run(["make", "--no-print-directory", "-n", *shlex.split(targets)], cwd=ROOT,
                              capture_output=True, text=True).stdout
        for command in re.findall(r"(?m)^\S*/pytest\b.*$", plan):
            listed = subprocess.run([*shlex.split(command), "--collect-only", "-q"], cwd=ROOT, capture_output=True,
                                    text=True, env={**os.environ, "PYTEST_ADDOPTS": addopts}, timeout=300).stdout
            collected |= set(re.findall(r"(?m)^(?:ERROR )?(tests/\S+?\.py)\b", listed))
    every = {path.relative_to(ROOT).as_posix() for path in (ROOT / "tests").glob("test_*.py")}
    assert calls and every <= collected, f"no job runs {sorted(every - collected)} (make called with {calls})"


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


def test_the_readmes_branch_deploy_publishes_the_finished_site(site, tmp_path):
    """README's alternative deploy (a gh-pages branch): it must publish what `make site`
    finished (CSP <meta>, security.txt), not an engine-only build such as `mkdocs gh-deploy`
    makes, which skips the post-build step. Its push goes to a local bare repository."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("Alternative, bypassing the tests", 1)[1]
    (command,) = [line for line in re.findall(r"```bash\n(.*?)```", section, re.S)[0].splitlines() if line.strip()]
    build, publish = [shlex.split(part) for part in command.split("&&")]
    assert [word for word in build if "=" not in word] == ["make", "site"], command
    assert publish[0].endswith("ghp-import") and publish[-1] == "site", command
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    subprocess.run(["git", "remote", "add", "origin", str(origin)], cwd=work, check=True)
    shutil.copytree(site, work / "site")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run([str(ROOT / publish[0]), *publish[1:]], cwd=work, env=env, check=True, capture_output=True)
    files = subprocess.run(["git", "ls-tree", "-r", "--name-only", "gh-pages"], cwd=origin,
                           capture_output=True, text=True, check=True).stdout.split()
    assert {".nojekyll", ".well-known/security.txt", "index.html"} <= set(files)
    home = subprocess.run(["git", "show", "gh-pages:index.html"], cwd=origin, capture_output=True, text=True,
                          check=True).stdout
    assert 'http-equiv="Content-Security-Policy"' in home or "http-equiv=Content-Security-Policy" in home


def test_the_published_llms_txt_links_the_copies_under_the_pages_address(published):
    # llms.txt (postbuild/llms.py) names each page's Markdown copy by its full Pages address,
    # sub-path included, and each named copy is in the artifact.
    text = (published / "llms.txt").read_text(encoding="utf-8")
    urls = re.findall(r"(?m)^- \[[^\]]+\]\((\S+)\): \S", text)
    assert sorted(urls) == sorted(f"{PAGES_URL}{path}index.md" for path in PAGES), text
    for url in urls:
        copy = published / url[len(PAGES_URL):]
        assert copy.is_file() and copy.read_text(encoding="utf-8").startswith("# "), url
    # Links inside a copy to another note go to that note's page under the sub-path.
    linked = re.findall(r"\]\((https://owner\.github\.io/[^)#\s]*)", (published / "revision" / "index.md").read_text(encoding="utf-8"))
    assert linked and all(url.startswith(PAGES_URL) for url in linked), linked


def test_the_copies_answer_under_the_sub_path(pages_base):
    status, _, body = fetch(pages_base + "llms.txt")
    assert status == 200, status
    urls = re.findall(r"(?m)^- \[[^\]]+\]\((\S+)\): \S", body.decode("utf-8"))
    assert urls and all(url.startswith(pages_base) for url in urls), urls
    for url in urls:
        status, _, copy = fetch(url)
        assert status == 200 and copy.startswith(b"# "), url
