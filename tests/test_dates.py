"""True "last updated" dates (git-revision-date-localized and hooks/dates.py), built from
copies of the Docker build context:
- in a git repository with back-dated commits, each page shows the date of the last commit
  that changed it, and a page git has no commit for shows none;
- without .git (the Docker build, a tarball) and in a shallow clone the build succeeds and
  no page shows a date: never the build date.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from mkdocs.exceptions import PluginError

from harness.context import add_to_nav, copy_context
from harness.pages import PAGES
from harness.paths import ROOT
from harness.site import make_site
from hooks import dates as dates_hook

FIRST = "2024-03-05T10:00:00+00:00"
SECOND = "2024-06-01T09:30:00+00:00"
NOTE = """---
description: Ek naya note jo abhi commit nahi hua — iski koi last-updated date nahi honi chahiye.
tags:
  - Test
---

# Uncommitted
"""


def git(project: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Notes", "GIT_AUTHOR_EMAIL": "notes@example.invalid",
           "GIT_COMMITTER_NAME": "Notes", "GIT_COMMITTER_EMAIL": "notes@example.invalid"}
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                   cwd=project, env=env, check=True, capture_output=True)


def built(project: Path) -> tuple[Path, str]:
    result = make_site(project / "site", project=project)
    assert result.returncode == 0, f"make site failed:\n{result.stdout}\n{result.stderr}"
    return project / "site", result.stdout + result.stderr


def dates(site: Path, path: str) -> list[str]:
    """The dates of the page's "Last update: <date>" lines, each checked against its
    <time datetime>. A date anywhere else (the plugin's own markup) fails."""
    page = BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert not page.select(".git-revision-date-localized-plugin"), f"/{path}: a date outside the line"
    found = []
    for line in page.select(".md-source-file"):
        time = line.find("time")
        assert time is not None, f"/{path}: {line}"
        assert " ".join(line.get_text(" ", strip=True).split()) == f"Last update: {time.get_text(strip=True)}"
        shown = datetime.strptime(time.get_text(strip=True), "%B %d, %Y").date()
        assert shown.isoformat() == time["datetime"], f"/{path}: {time}"
        found.append(time.get_text(strip=True))
    return found


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    """A git repository of the build context: everything committed on 2024-03-05, then one
    more commit on 2024-06-01 that changes only the CORS note, then a new note in the nav
    that is never committed."""
    project = copy_context(tmp_path_factory.mktemp("dates") / "project")
    git(project, "init", "-q")
    # Not the node_modules symlink copy_context made (.gitignore's `node_modules/` matches only
    # a folder): committed, it reached the shallow clone below, whose `make site` found its
    # package.json newer and ran `npm ci` through it, emptying the project's own node_modules.
    (project / ".git" / "info" / "exclude").write_text("/node_modules\n", encoding="utf-8")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "notes", date=FIRST)
    with (project / "docs" / "cors.md").open("a", encoding="utf-8") as cors:
        cors.write("\nEk aur line.\n")
    git(project, "commit", "-q", "-am", "cors: one more line", date=SECOND)
    (project / "docs" / "uncommitted.md").write_text(NOTE, encoding="utf-8")
    add_to_nav(project, "Uncommitted", "uncommitted.md")
    return project


@pytest.fixture(scope="module")
def git_site(repository) -> Path:
    return built(repository)[0]


def test_each_page_shows_its_last_commit_date(git_site):
    assert dates(git_site, "jwt/") == ["March 5, 2024"]
    assert dates(git_site, "cors/") == ["June 1, 2024"]
    for path in PAGES:
        assert dates(git_site, path) in (["March 5, 2024"], ["June 1, 2024"]), f"/{path}"


def test_an_uncommitted_page_shows_no_date(git_site):
    assert dates(git_site, "uncommitted/") == []


def without_git(folder: Path) -> dict:
    """An environment whose PATH has every command of this machine but git."""
    folder.mkdir()
    for directory in ("/usr/local/bin", "/usr/bin", "/bin"):
        for command in Path(directory).iterdir() if Path(directory).is_dir() else []:
            if command.name != "git" and not (folder / command.name).exists():
                (folder / command.name).symlink_to(command)
    return {"PATH": str(folder)}


def test_a_build_without_git_shows_no_date(tmp_path):
    # The Docker build context: no .git, and no git installed either.
    project = copy_context(tmp_path / "project")
    result = make_site(project / "site", project=project, env=without_git(tmp_path / "bin"))
    assert result.returncode == 0, f"make site failed:\n{result.stdout}\n{result.stderr}"
    assert "No 'last updated' dates: git is not installed" in result.stdout + result.stderr
    for path in PAGES:
        assert dates(project / "site", path) == [], f"/{path} shows a date without any history"


def test_a_shallow_clone_shows_no_date(repository, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repository}", str(clone)],
                   check=True, capture_output=True)
    # The project's node_modules, shared as copy_context shares it; package.json and its lock
    # keep the project's mtimes, so make does not take them for newer and reinstall through it.
    (clone / "node_modules").symlink_to(ROOT / "node_modules")
    for name in ("package.json", "package-lock.json"):
        shutil.copystat(ROOT / name, clone / name)
    site, log = built(clone)
    assert "No 'last updated' dates: a shallow clone" in log
    assert dates(site, "jwt/") == []


def test_a_history_git_will_not_read_stops_the_build(tmp_path):
    # A checkout owned by another user (a CI container's workspace): git refuses to read it.
    # Dates would silently vanish from the published site, so the build stops, naming the fix.
    if os.geteuid() != 0:
        pytest.skip("needs root to give the repository another owner")
    repository = tmp_path / "repository"
    repository.mkdir()
    git(repository, "init", "-q")
    for path in [repository, *repository.rglob("*")]:
        os.chown(path, 12345, 12345, follow_symlinks=False)
    with pytest.raises(PluginError, match="safe.directory"):
        dates_hook.history(repository)
    # No repository at all (a tarball): no dates, and no error.
    assert dates_hook.history(tmp_path) == "not in a git repository"
