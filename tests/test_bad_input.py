"""Bad input fails `make site` loudly, names the file, and publishes nothing half-built.

Each case copies the Docker build context (what the real build reads) to a temporary
folder, breaks one thing, and runs the real `make site` there (sharing the project's
virtual environment and node_modules)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import material as material_package
import pytest

from harness.context import copy_context
from harness.paths import ROOT
from harness.site import make_site
from hooks.material9.scripts import LEFT_OUT, PRELUDE, LAZY, REPLACED

NEW_FRONT_MATTER = "---\ndescription: Ek naya note jo nav me nahi hai, bas test ke liye banaya gaya.\ntags:\n  - Test\n---\n"


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_context(tmp_path / "project")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def set_front_matter(path: Path, front_matter: str) -> None:
    """Replace the page's front matter block (the text between the first two --- lines)."""
    text = path.read_text(encoding="utf-8")
    end = text.index("\n---\n", 4) + 5
    path.write_text(front_matter + text[end:], encoding="utf-8")


def first_line_with(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, text in enumerate(lines, start=1) if needle in text)


def test_untouched_copy_builds(project):
    # The control case: the fixture itself is not what makes the others fail.
    result = make_site(project / "site", project=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (project / "site" / "jwt" / "index.html").exists()


# (case id, how to break the copy, what the error must name). A break returns the extra
# text the output must contain, if it knows it only after editing (a line number).
def mojibake_in_a_page(p):
    edit(p / "docs" / "cors.md", "\n# ", "\nðŸš€ Mojibake line\n\n# ")
    return [f"docs/cors.md:{first_line_with(p / 'docs' / 'cors.md', 'ðŸš€')}: mojibake", "🚀 Mojibake line"]


CASES = [
    ("mojibake", mojibake_in_a_page, []),
    ("mojibake-in-glossary",
     lambda p: edit(p / "docs" / "includes" / "glossary.md", "Virtual Machine", "Virtual â€“ Machine"),
     ["docs/includes/glossary.md:", "Virtual – Machine"]),
    ("link-to-missing-page",
     lambda p: edit(p / "docs" / "jwt.md", "\n# ", "\n[Auth](auth-guide.md)\n\n# "), ["jwt.md", "auth-guide.md"]),
    ("link-to-missing-anchor",
     lambda p: edit(p / "docs" / "jwt.md", "\n# ", "\n[Refresh](cors.md#refresh-token-flow)\n\n# "),
     ["jwt.md", "refresh-token-flow"]),
    ("page-missing-from-nav",
     lambda p: (p / "docs" / "orphan.md").write_text(NEW_FRONT_MATTER + "\n# Orphan\n\nKoi link nahi.\n"),
     ["orphan.md", "nav"]),
    ("front-matter-not-yaml",
     lambda p: set_front_matter(p / "docs" / "headers.md", "---\ndescription: ok\ntags: [HTTP\n  - oops: : :\n---\n"),
     ["docs/headers.md", "not valid YAML"]),
    ("no-description",
     lambda p: set_front_matter(p / "docs" / "redis.md", "---\ntags:\n  - Docker\n---\n"),
     ["docs/redis.md", "description"]),
    ("no-front-matter", lambda p: set_front_matter(p / "docs" / "status-codes.md", ""),
     ["docs/status-codes.md", "front matter"]),
    ("description-with-a-double-quote",
     lambda p: set_front_matter(p / "docs" / "cors.md", '---\ndescription: CORS ka "error" browser deta hai, server nahi; '
                                'yahan dekho kaise.\ntags:\n  - HTTP\n---\n'),
     ["docs/cors.md", "description"]),
    ("colon-in-the-description",
     # YAML reads "a: b: c" as a mapping inside a value: the fix is the quotes.
     lambda p: set_front_matter(p / "docs" / "cors.md", "---\ndescription: CORS error: browser kyu rokta hai, "
                                "server kya bhejta hai aur kaise theek karein.\ntags:\n  - HTTP\n---\n"),
     ["docs/cors.md:2: front matter is not valid YAML",
      'put the value in quotes: description: "CORS error: browser kyu rokta hai']),
    ("a-placeholder-in-prose",
     # <token> in prose is a tag to the browser: the rest of the line (and the list) vanish.
     lambda p: edit(p / "docs" / "headers.md", "\n# 2 Types of Headers\n",
                    "\n# 2 Types of Headers\n\nHeader: Bearer <token> bhejo.\n"),
     ["docs/headers.md:12: <token> would be read as an HTML tag", "write it as code: `<token>`"]),
    ("no-title",
     lambda p: edit(p / "docs" / "status-codes.md", "\n# ", "\n"),
     ["docs/status-codes.md", "no '# ' title"]),
    ("inline-script-not-in-the-csp",
     # A new inline script (a Material upgrade, or a template edit) must be hashed into the CSP.
     lambda p: edit(p / "overrides" / "main.html", "{% block extrahead %}", "{% block extrahead %}<script>1</script>"),
     ["nginx/site.conf", "sha256-"]),
    ("a-component-left-out-of-materials-script",
     # hooks/material9/scripts.py builds Material's script without navigation tabs: turning them on must
     # say which line to remove, never publish tabs that do nothing.
     lambda p: edit(p / "mkdocs.yml", "    - navigation.instant ", "    - navigation.tabs\n    - navigation.instant "),
     ["components/tabs", "hooks/material9/scripts.py", "LEFT_OUT"]),
    ("stale-hash-in-the-csp",
     # An inline script that went away (moved into a file) must leave the policy too.
     lambda p: edit(p / "nginx" / "site.conf", "script-src 'self'", "script-src 'self' 'sha256-AAAA'"),
     ["nginx/site.conf", "Remove from script-src: 'sha256-AAAA'"]),
]


@pytest.mark.parametrize("break_it,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_fails_the_build_naming_the_file(project, break_it, expected):
    found = break_it(project)
    expected = expected + (found if isinstance(found, list) else [])
    site = project / "site"
    site.mkdir()
    (site / "index.html").write_text("previous good build")
    before = sorted(p.name for p in project.iterdir())
    result = make_site(site, project=project)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    # Nothing half-published: the previous site is untouched and no partial build remains.
    # (.cache/ may appear: the hooks' caches of finished work, by content, outside site/.)
    assert (site / "index.html").read_text() == "previous good build"
    assert sorted(p.name for p in project.iterdir() if p.name != ".cache") == before
    for text in expected:
        assert re.search(re.escape(text), output), f"{text!r} not in the build's output:\n{output}"


def test_a_note_may_name_what_a_left_out_component_mounts(project):
    """hooks/material9/scripts.py stops the build when a page has what a left-out component would mount,
    in its markup; a note that writes that markup as code is not such a page."""
    edit(project / "docs" / "cors.md", "\n# ", "\n`<pre class=\"mermaid\">`, `data-tabs`, "
         "`<p class=\"annotate\">`, `\"content.code.annotate\"`, `{\"version\": {\"provider\": \"mike\"}}`\n\n"
         "```html\n<div data-md-component=\"tabs\" data-tabs=\"1:2\" class=\"annotate\"></div>\n"
         "<script id=\"__config\">{\"version\": {}}</script>\n```\n\n# ")
    result = make_site(project / "site", project=project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_materials_script_is_not_rebuilt_with_other_packages(tmp_path):
    """hooks/material9/scripts.mjs builds Material's script from its source map with the packages in
    package.json: one file that differs from the one Material was built with (a Material
    upgrade that moved to a newer rxjs) stops it, naming the file."""
    material = next(Path(material_package.__file__).parent.glob("templates/assets/javascripts/bundle.*.min.js"))
    source_map = json.loads(material.with_name(material.name + ".map").read_text(encoding="utf-8"))
    worker = next(material.parent.glob("workers/search.*.min.js"))
    out = tmp_path / "out"
    out.mkdir()
    command = ["node", str(ROOT / "hooks" / "material9" / "scripts.mjs"), json.dumps({
        "map": str(tmp_path / "map"), "worker": str(worker), "prelude": str(PRELUDE), "lazy": str(LAZY),
        "drop": sorted(LEFT_OUT), "replaced": {name: str(path) for name, path in REPLACED.items()}, "out": str(out)})]
    (tmp_path / "map").write_text(json.dumps(source_map))
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (out / "bundle.js").stat().st_size > 50_000

    changed = next(i for i, s in enumerate(source_map["sources"]) if s.startswith("node_modules/rxjs/"))
    source_map["sourcesContent"][changed] += "\n// a newer rxjs\n"
    (tmp_path / "map").write_text(json.dumps(source_map))
    (out / "bundle.js").unlink()
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode != 0
    assert source_map["sources"][changed] in result.stderr
    assert not (out / "bundle.js").exists()
