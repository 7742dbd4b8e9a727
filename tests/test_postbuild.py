"""The post-build step (postbuild/) is the engine's follower, not its part: run alone on a
site that MkDocs built without any of the project's hooks (as another engine's output would
be: Material's own scripts and stylesheets, no hook's markup), it does all its work, and it
names a fault in the built files with the fix."""

from __future__ import annotations

import datetime
import gzip
import os
import re
import subprocess
import sys
from pathlib import Path

import brotli
import pytest
from bs4 import BeautifulSoup

from harness.context import copy_context
from harness.paths import TOOLS
from postbuild import StepError
from postbuild.csp import csp_from_nginx, meta_policy
from postbuild.security_txt import security_txt


def without_hooks(project: Path) -> None:
    """mkdocs.yml with no hooks: block and no git dates plugin (a copy has no history, and the
    hook that copes with that is gone too)."""
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^hooks:\n(?:  - .*?\n)+", "", text)
    text = re.sub(r"(?ms)^  - git-revision-date-localized:\n(?:      .*?\n)+", "", text)
    assert "hooks/" not in text.split("nav:")[0] and "git-revision" not in text
    config.write_text(text, encoding="utf-8")


def postbuild(site: Path, project: Path, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "postbuild", str(site)], cwd=project, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "SITE_CACHE": str(cache)})


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> tuple[Path, Path]:
    """A copy of the project built by MkDocs without the hooks: (project, site)."""
    project = copy_context(tmp_path_factory.mktemp("plain") / "project")
    without_hooks(project)
    site = project / "site"
    built = subprocess.run([str(TOOLS / ".venv" / "bin" / "mkdocs"), "build", "--site-dir", str(site)],
                           cwd=project, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    assert not list(site.rglob("site.*.min.css")) and not list(site.rglob("*.br")), "the hooks ran"
    return project, site


def test_it_runs_on_a_site_built_without_the_hooks(plain):
    project, site = plain
    linked_before = {link["href"].rsplit("/", 1)[-1] for link in
                     BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser")
                     .select("link[rel=stylesheet]")}
    done = postbuild(site, project, project / ".cache")
    assert done.returncode == 0, done.stdout + done.stderr
    for step in ("extras", "csp", "minify", "stylesheet", "security-txt", "offline", "compress"):
        assert f"postbuild {step}: done" in done.stdout, done.stdout
    published = (site / ".well-known" / "security.txt").read_text(encoding="utf-8")
    assert "Contact: https://" in published and "\nExpires: " in published and "#" not in published
    assert not (site / "assets" / "security.txt").exists()

    policy = meta_policy(csp_from_nginx())
    stylesheets = {p.name for p in site.rglob("*.css")}
    # The one stylesheet the pages link, and the extras' (postbuild/extras.py: its loader adds it).
    (one,) = {name for name in stylesheets if not name.startswith("extras.")}
    assert re.fullmatch(r"site\.[0-9a-f]{8}\.min\.css", one), stylesheets
    assert len(stylesheets) == 2 and any(re.fullmatch(r"extras\.[0-9a-f]{8}\.min\.css", n) for n in stylesheets)
    # Offline and installable on another engine's output too (postbuild/offline.py).
    assert all((site / name).is_file() for name in ("sw.js", "manifest.webmanifest", "offline.json", "offline.html"))
    assert not any((site / "assets" / "stylesheets" / name).exists() for name in linked_before)
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        (csp,) = soup.select('meta[http-equiv="Content-Security-Policy"]')
        assert csp["content"] == policy and soup.head.contents.index(csp) == 1, f"{page}: CSP not right after charset"
        assert "\n    " not in html.split("<pre", 1)[0], f"{page}: not minified"
        links = soup.select("link[rel=stylesheet]")
        assert [link["href"].rsplit("/", 1)[-1] for link in links] == [one], page
        assert soup.select_one("script[src*='assets/javascripts/extras-loader.'][defer]") is not None, f"{page}: no loader"
        assert soup.select_one("link[rel=manifest]") is not None, f"{page}: no manifest link"
        assert brotli.decompress((page.parent / (page.name + ".br")).read_bytes()).decode("utf-8") == html
        assert gzip.decompress((page.parent / (page.name + ".gz")).read_bytes()).decode("utf-8") == html


def test_a_fault_in_the_built_files_stops_it_naming_the_fix(plain, tmp_path):
    """An inline script the CSP does not allow: the step names the page and the hash to add."""
    project, site = plain
    broken = tmp_path / "site"
    subprocess.run(["cp", "-a", str(site), str(broken)], check=True)
    page = next(broken.rglob("index.html"))
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", "<script>alert(1)</script></body>"),
                    encoding="utf-8")
    done = postbuild(broken, project, project / ".cache")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "postbuild csp:" in done.stderr and "Add to script-src" in done.stderr, done.stderr
    assert "'sha256-" in done.stderr and page.relative_to(broken).as_posix() in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_security_txt_is_dated_from_the_build():
    """RFC 9116: Expires less than a year ahead; written at each build, so it never goes stale."""
    text = security_txt("# a note for the author\nContact: https://x.example/issues\n",
                        datetime.date(2026, 12, 7), "https://notes.example/sub/")
    assert text == ("Contact: https://x.example/issues\n"
                    "Canonical: https://notes.example/sub/.well-known/security.txt\n"
                    "Expires: 2027-06-05T00:00:00Z\n")


@pytest.mark.parametrize("source,fault", [
    ("Preferred-Languages: en\n", "no Contact line"),
    ("Contact: someone@example.org\n", "not an https:, mailto: or tel: URI"),
    ("Contact: https://x.example/issues\nExpires: 2020-01-01T00:00:00Z\n", "remove Expires: the build writes it"),
    ("Contact https://x.example/issues\n", "not a `Field: value` line"),
])
def test_a_faulty_security_txt_source_names_the_fix(source, fault):
    with pytest.raises(StepError, match=re.escape(fault)):
        security_txt(source, datetime.date(2026, 12, 7), None)
