"""Nothing but the site in site/: every file the build writes is a kind of file the server
serves (nginx/site.conf's allow-list), and none is a build script, a source or a tool's
folder. MkDocs copies every non-template file of overrides/ and docs/ into the site, so a
helper script left there would be published; this names it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from harness.context import copy_context
from harness.paths import SITE_CONF
from harness.site import build
from hooks.served import served  # the build's own reading of site.conf's allow-list

# Names a reader should never be able to fetch, whatever their extension.
NOT_FOR_READERS = re.compile(
    r"(^|/)(hooks|node_modules|overrides|includes|harness|tests|tools|bench|examples|__pycache__|\.[^/]+)(/|$)"
    r"|(^|/)(Makefile|Dockerfile|package(-lock)?\.json|requirements[^/]*|mkdocs\.yml|REVIEW\.md)$"
    r"|\.(md|py|pyc|mjs|cjs|ts|sh|map|ya?ml|toml|lock|in)$"
)
# Dot paths the site publishes on purpose: RFC 9116's (postbuild/security_txt.py).
PUBLISHED_DOT_PATHS = {".well-known/security.txt"}


def published_copy(site: Path, name: str) -> bool:
    """A page's Markdown copy (postbuild/llms.py): index.md beside that page's index.html,
    published on purpose; any other .md is a source that leaked."""
    return re.fullmatch(r"(?:.+/)?index\.md", name) is not None and (site / name).with_suffix(".html").is_file()


def problems(site: Path) -> list[str]:
    conf = SITE_CONF.read_text(encoding="utf-8")
    found = []
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        name = path.relative_to(site).as_posix()
        plain = re.sub(r"\.(br|gz)$", "", name)  # precompressed copies of served files
        if NOT_FOR_READERS.search(plain) and plain not in PUBLISHED_DOT_PATHS and not published_copy(site, plain):
            found.append(f"{name}: a build file or source, not for readers")
        elif not served("/" + plain, conf):
            found.append(f"{name}: not a kind of file the server serves (nginx/site.conf)")
    return found


def test_the_site_holds_only_what_readers_fetch(site):
    listed = problems(site)
    assert not listed, "files in the built site that readers should not fetch:\n" + "\n".join(listed)
    # security.txt is published at its RFC 9116 path, and its source is gone from assets/.
    assert (site / ".well-known" / "security.txt").is_file() and not (site / "assets" / "security.txt").exists()
    assert [p.name for p in site.rglob(".*")] == [".well-known"]


@pytest.fixture(scope="module")
def leaky_site(tmp_path_factory) -> Path:
    """A build whose theme folder holds a helper script, as overrides/hooks/ once did."""
    project = copy_context(tmp_path_factory.mktemp("leaky") / "project")
    (project / "overrides" / "hooks").mkdir()
    (project / "overrides" / "hooks" / "purge.mjs").write_text("export {};\n")
    (project / "docs" / "notes.sh").write_text("echo hi\n")
    return build(project / "site", project=project)


def test_the_check_names_a_leaked_file(leaky_site):
    listed = "\n".join(problems(leaky_site))
    assert "hooks/purge.mjs: a build file" in listed and "notes.sh" in listed


def test_only_a_pages_own_copy_is_published_markdown(site, tmp_path):
    # A source beside a page's copy, or an index.md with no page, is still a leak.
    root = tmp_path / "site"
    shutil.copytree(site, root)
    (root / "jwt" / "notes.md").write_text("# Notes\n")
    (root / "assets" / "index.md").write_text("# Notes\n")
    listed = "\n".join(problems(root))
    assert "jwt/notes.md: a build file" in listed and "assets/index.md: a build file" in listed
    assert "jwt/index.md" not in listed
