"""Bad input fails `make site` loudly, names the file, and publishes nothing half-built.

Each case copies the project's sources to a temporary folder, breaks one thing, and runs
the real `make site` there (sharing the project's virtual environment)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.paths import ROOT
from harness.site import make_site

SOURCES = ["docs", "overrides", "nginx", "mkdocs.yml", "Makefile", "requirements.txt", "package.json",
           "package-lock.json"]
GOOD_FRONT_MATTER = "---\ndescription: Ek naya note jo nav me nahi hai, bas test ke liye banaya gaya.\ntags:\n  - Test\n---\n"


@pytest.fixture
def project(tmp_path) -> Path:
    copy = tmp_path / "project"
    copy.mkdir()
    for name in SOURCES:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, copy / name)
    (copy / "node_modules").symlink_to(ROOT / "node_modules")  # installed once, by make test-deps
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def fails(project: Path) -> str:
    site = project / "site"
    site.mkdir()
    (site / "index.html").write_text("previous good build")
    result = make_site(site, project=project)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    # Nothing half-published: the previous site is untouched and no partial build remains.
    assert (site / "index.html").read_text() == "previous good build"
    assert sorted(p.name for p in project.iterdir()) == sorted([*SOURCES, "node_modules", "site"])
    return output


def test_untouched_copy_builds(project):
    # The control case: the fixture itself is not what makes the others fail.
    result = make_site(project / "site", project=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "site" / "jwt" / "index.html").exists()


def test_mojibake_names_file_line_and_repair(project):
    edit(project / "docs" / "cors.md", "Bole to", "ðŸš€ Bole to")
    output = fails(project)
    lines = (project / "docs" / "cors.md").read_text().splitlines()
    line = next(number for number, text in enumerate(lines, start=1) if "ðŸš€" in text)
    assert f"docs/cors.md:{line}: mojibake" in output
    assert "🚀 Bole to" in output  # the repaired text, so the author can paste it


def test_mojibake_dash_in_glossary_include(project):
    edit(project / "docs" / "includes" / "glossary.md", "Virtual Machine", "Virtual â€“ Machine")
    output = fails(project)
    assert "docs/includes/glossary.md:" in output and "Virtual – Machine" in output


def test_link_to_missing_page(project):
    edit(project / "docs" / "jwt.md", "Ye authorization", "[Auth](auth-guide.md) Ye authorization")
    output = fails(project)
    assert "jwt.md" in output and "auth-guide.md" in output


def test_link_to_missing_anchor(project):
    edit(project / "docs" / "jwt.md", "Ye authorization", "[Refresh](cors.md#refresh-token-flow) Ye authorization")
    output = fails(project)
    assert "jwt.md" in output and "refresh-token-flow" in output


def test_page_missing_from_nav(project):
    (project / "docs" / "orphan.md").write_text(GOOD_FRONT_MATTER + "\n# Orphan\n\nKoi link nahi.\n")
    output = fails(project)
    assert "orphan.md" in output and "nav" in output


def test_front_matter_not_yaml(project):
    edit(project / "docs" / "headers.md", "tags:\n  - HTTP", "tags: [HTTP\n  - oops: : :")
    output = fails(project)
    assert "docs/headers.md" in output and "not valid YAML" in output


def test_front_matter_without_description(project):
    text = (project / "docs" / "redis.md").read_text()
    start = text.index("description:")
    end = text.index("tags:")
    (project / "docs" / "redis.md").write_text(text[:start] + text[end:])
    output = fails(project)
    assert "docs/redis.md" in output and "description" in output


def test_front_matter_missing(project):
    text = (project / "docs" / "status-codes.md").read_text()
    (project / "docs" / "status-codes.md").write_text(text[text.index("\n---\n", 4) + 5:])
    output = fails(project)
    assert "docs/status-codes.md" in output and "front matter" in output


def test_description_with_a_double_quote(project):
    edit(project / "docs" / "cors.md", "description: >-\n  CORS error", 'description: >-\n  "CORS" error')
    output = fails(project)
    assert "docs/cors.md" in output and "description" in output


def test_inline_script_not_in_the_csp(project):
    # A new inline script (a Material upgrade, or a template edit) must be hashed into the CSP.
    edit(project / "overrides" / "main.html", "{% block extrahead %}", "{% block extrahead %}<script>1</script>")
    output = fails(project)
    assert "nginx/site.conf" in output and "sha256-" in output
