"""The pages show the example backend's own code: every snippet line of a page names a file
and section that exist (the strict build fails otherwise), and the code block on the built
page is exactly that section, so a page and the code it shows cannot drift."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from harness.pages import PAGES
from harness.paths import DOCS
from harness.snippets import includes, section

# The pages issue 11 names, and the example files each must show.
SHOWN = {
    "es-modules/": {"examples/notes-api/src/tokens.js", "examples/notes-api/src/app.js",
                    "examples/notes-api/src/server.js"},
    "jwt/": {"examples/notes-api/src/tokens.js", "examples/notes-api/src/app.js"},
    "cors/": {"examples/notes-api/src/app.js"},
    "docker/": {"examples/notes-api/Dockerfile", "examples/notes-api/.dockerignore"},
    "redis/": {"examples/notes-api/src/store.js", "examples/notes-api/compose.yaml"},
}
INCLUDED = [(path, file, name) for path, (source, *_) in PAGES.items()
            for file, name in includes((DOCS / source).read_text(encoding="utf-8"))]


@pytest.mark.parametrize("path", SHOWN)
def test_page_includes_the_example_files(path):
    assert SHOWN[path] <= {file for page, file, _ in INCLUDED if page == path}


def code_texts(site, path) -> list[str]:
    soup = BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")
    return [code.get_text() for code in soup.select("article pre > code")]


@pytest.mark.parametrize("path,file,name", INCLUDED, ids=[f"{p}{f.split('/')[-1]}:{n}" for p, f, n in INCLUDED])
def test_the_page_shows_the_section_verbatim(site, path, file, name):
    expected = section(file, name).strip("\n")
    shown = [text.strip("\n") for text in code_texts(site, path)]
    assert expected in shown, f"/{path} does not show {file}:{name} as written:\n{expected}"


def test_the_comparison_can_fail(site):
    # A changed line of the file would not be found on the page.
    expected = section("examples/notes-api/src/tokens.js", "sign").replace("HS256", "HS512")
    assert expected.strip("\n") not in [t.strip("\n") for t in code_texts(site, "jwt/")]
