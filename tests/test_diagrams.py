"""Diagrams drawn at build time (hooks/diagrams.py): each page that explains a flow shows
it as SVG files, light and dark, with an accessible name and a text equivalent, light
enough (brotli) to cost less than a paragraph, and with no diagram JavaScript at all. A
diagram that does not render fails the build with its file and line; an unchanged one is
never rendered twice."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import brotli
import pytest
from bs4 import BeautifulSoup

from harness.context import copy_context
from harness.paths import DOCS, ROOT
from harness.site import make_site
from hooks import diagrams
from hooks.shared import CHROMIUM_FLAGS

PAGES_WITH_DIAGRAMS = ["jwt/", "cors/", "docker/"]
DIAGRAM_BUDGET = 10_000  # bytes, brotli, per SVG file
# Debian 12's packages chromium-headless-shell (the build's, Makefile BUILD_APT) and chromium.
SHELL = "/usr/bin/chromium-headless-shell"
FULL_BROWSER = "/usr/bin/chromium"


def soup(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")


@pytest.mark.parametrize("path", PAGES_WITH_DIAGRAMS)
def test_page_shows_a_light_and_a_dark_svg_with_a_name_and_a_text(site, path):
    figures = soup(site, path).select("article figure.diagram")
    assert figures, f"/{path} has no diagram"
    for figure in figures:
        caption = figure.select_one("figcaption").get_text(" ", strip=True)
        images = figure.select("img")
        assert caption and len(caption) > 10
        assert [re.search(r"#only-(light|dark)$", img["src"]).group(1) for img in images] == ["light", "dark"]
        for img in images:
            assert len(img["alt"]) > 40, "the alt text says what the diagram shows"
            assert img["loading"] == "lazy", "only the shown scheme's file is fetched"
            assert int(img["width"]) > 0 and int(img["height"]) > 0, "no layout shift"
            svg = (site / path / img["src"].split("#")[0]).resolve()
            assert svg.is_file(), svg
            text = svg.read_text(encoding="utf-8")
            assert text.lstrip().startswith("<svg") and "<script" not in text
            assert len(brotli.compress(svg.read_bytes(), quality=11)) <= DIAGRAM_BUDGET, svg.name


def test_no_page_loads_any_script_but_materials(site):
    for html in site.rglob("*.html"):
        page = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        sources = [s["src"] for s in page.select("script[src]")]
        # Material's page script and the extras loader (postbuild/extras/): no drawing library.
        assert all(re.search(r"assets/javascripts/(?:bundle|extras-loader)\.[0-9a-f]{8}\.min\.js$", s)
                   for s in sources), (html, sources)
        assert "mermaid" not in " ".join(s.get_text() for s in page.select("script")).lower()
    # What the loader brings in later (zoom included) draws nothing either.
    for script in (site / "assets" / "javascripts").glob("extras*.min.js"):
        assert "mermaid" not in script.read_text(encoding="utf-8").lower(), script


BROKEN = """
!!! note "Toota diagram (editor ne joda)"

    ```mermaid
    sequenceDiagram
        accTitle: Toota
        accDescr: Ye diagram jaan-boojh ke galat hai, build ko rukna chahiye.
        A->>
    ```
"""
UNNAMED = """
```mermaid
flowchart LR
    A --> B
```
"""


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_context(tmp_path / "project")  # the shared cache: it renders only what is new


def append(project: Path, text: str) -> int:
    """Append to a page; the line number of the appended ```mermaid fence."""
    page = project / "docs" / "headers.md"
    lines = (page.read_text(encoding="utf-8") + text).splitlines()
    page.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return max(number for number, line in enumerate(lines, start=1) if line.strip() == "```mermaid")


@pytest.mark.parametrize("text,message", [(BROKEN, "does not render"), (UNNAMED, "accTitle")],
                         ids=["syntax-error", "no-accessible-name"])
def test_a_bad_diagram_fails_the_build_naming_file_and_line(project, text, message):
    line = append(project, text)
    result = make_site(project / "site", project=project)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert f"docs/headers.md:{line}:" in output and message in output, output


def test_an_unchanged_diagram_is_not_rendered_again(tmp_path):
    project = copy_context(tmp_path / "project")
    own = {"SITE_CACHE": str(project / ".cache")}  # its own, empty cache
    first = make_site(project / "site", project=project, env=own)
    assert first.returncode == 0, first.stderr
    cache = project / ".cache" / "diagrams"
    rendered = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert len(rendered) == 2 * len(PAGES_WITH_DIAGRAMS)
    second = make_site(project / "site", project=project, env=own)
    assert second.returncode == 0, second.stderr
    assert {p.name: p.stat().st_mtime_ns for p in cache.iterdir()} == rendered


def definition(page: str) -> str:
    match = diagrams.FENCE.search((DOCS / page).read_text(encoding="utf-8"))
    return diagrams.dedent(match.group("body"), match.group("indent")).strip() + "\n"


def draw(definitions: dict[str, str], browser: str | None = None) -> dict[str, str]:
    """The SVGs hooks/render_diagrams.mjs draws for these diagrams (name -> definition),
    asked for in one batch as diagrams.py asks (light, then dark), by "<name>-<scheme>";
    in `browser` if given, else in the one the build picks."""
    jobs = [{"id": f"{name}-{scheme}", "definition": text, "theme": theme}
            for name, text in definitions.items() for scheme, theme in diagrams.THEMES.items()]
    env = {**os.environ, "CHROMIUM": browser or diagrams.chromium(), "CHROMIUM_FLAGS": json.dumps(CHROMIUM_FLAGS)}
    result = subprocess.run(["node", str(diagrams.RENDERER)], input=json.dumps(jobs), capture_output=True,
                            text=True, cwd=ROOT, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    return {item["id"]: item["svg"] for item in json.loads(result.stdout)}


def test_a_diagram_is_drawn_the_same_alone_or_with_others():
    """Mermaid keeps some state between renders in one document (sequence diagrams number
    their actors on), and the cache keeps SVGs by the diagram's definition alone: a diagram's
    SVGs must not depend on what else is in the batch."""
    alone = draw({"jwt": definition("jwt.md")})
    # Two other sequence diagrams first, one per tab: jwt.md's is drawn in a tab used before.
    cors = definition("cors.md")
    together = draw({"cors": cors, "cors2": cors.replace("accTitle: ", "accTitle: 2 "), "jwt": definition("jwt.md")})
    assert {k: v for k, v in together.items() if k.startswith("jwt-")} == alone


def test_the_headless_shell_and_the_full_browser_draw_the_same_svgs():
    """The build draws in Debian's headless shell when it is installed (less CPU), else in a
    full Chromium; the cache keeps SVGs by definition, not by browser, so the two must draw
    the same bytes."""
    for browser in SHELL, FULL_BROWSER:
        assert Path(browser).exists(), f"{browser} is not installed (make build-apt / test-deps)"
    pages = {"jwt": definition("jwt.md"), "docker": definition("docker.md")}
    assert draw(pages, SHELL) == draw(pages, FULL_BROWSER)
