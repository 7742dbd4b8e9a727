"""The notes for tools (postbuild/llms.py) and the "Markdown copy karo" control
(postbuild/extras/copy.js), against the production build served by the project's nginx.

llms.txt follows llmstxt.org (`# title`, `> summary`, `## section`s of
`- [name](url): description`) and lists every page of the nav; each link is the page's
Markdown copy, served 200 as text/markdown with no-cache and precompressed. A copy is the
author's text: title, sentences, the example code its snippets include, no site chrome, the
glossary not appended. A stray source (jwt.md at the root, any other .md or .txt) stays a
404 (tests/test_nginx.py plants those). The copy control puts the page's copy on the
clipboard, by keyboard, and says so; a first visit that only looks fetches no copy."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import brotli
import pytest

from harness.browser import PageWatch
from harness.pages import PAGES, front_matter
from harness.paths import DOCS, ROOT

ENTRY = re.compile(r"^- \[(?P<name>[^\]]+)\]\((?P<url>[^)\s]+)\): (?P<description>\S.*)$")
FENCE = re.compile(r"^```", re.M)


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def entries(text: str) -> list[re.Match]:
    return [m for m in map(ENTRY.match, text.splitlines()) if m]


RELATIVE_LINK = re.compile(r"\]\((?!https?://|#)")  # ![..](img/a.png), [..](page/): the copy makes these absolute


def outside_code(markdown: str) -> str:
    """The Markdown without its fenced blocks and inline code: the author's own examples
    (an ```html block with <html>, `<div>`) are text, not site chrome."""
    kept, fence = [], None
    for line in markdown.splitlines():
        opener = re.match(r"\s*(`{3,}|~{3,})", line)
        if fence is None and opener:
            fence = opener.group(1)
        elif fence is not None and line.strip().startswith(fence) and not line.strip().strip(fence[0]):
            fence = None
        elif fence is None:
            kept.append(re.sub(r"(`+).+?\1", "", line))
    return "\n".join(kept)


def first_sentence(source: str) -> str:
    """A line of the author's own text, verbatim: the first line after the title that is not
    a box, a fence, markup or a relative link (the copy makes those absolute)."""
    body = (DOCS / source).read_text(encoding="utf-8").split("\n# ", 1)[1].split("\n", 1)[1]
    for line in body.splitlines():
        if (len(line.strip()) >= 10 and not re.match(r"\s|<|!!!|\?\?\?|```|\||\{", line) and ".md" not in line
                and not RELATIVE_LINK.search(line)):
            return line
    raise AssertionError(f"docs/{source}: no plain line of text to look for")


def included_code(source: str) -> list[str]:
    """The lines of example code a page's `--8<--` snippets include (their first code line each)."""
    lines = []
    for match in re.finditer(r'--8<-- "([^":]+)(?::([\w-]+))?"', (DOCS / source).read_text(encoding="utf-8")):
        path, section = match.groups()
        text = (ROOT / path).read_text(encoding="utf-8")
        if section:
            text = re.search(rf"--8<-- \[start:{section}\]\n(.*?)\n.*--8<-- \[end:{section}\]", text, re.S).group(1)
        code = [line.strip() for line in text.splitlines() if line.strip() and "--8<--" not in line]
        lines.append(code[0])
    return lines


def test_llms_txt_lists_every_page_of_the_nav_with_a_description(server, site):
    status, headers, body = get(server.url("/llms.txt"))
    assert status == 200, status
    assert headers["content-type"] == "text/plain; charset=utf-8", headers
    assert headers["cache-control"] == "no-cache", headers
    text = body.decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "# Backend Notes" and lines[2].startswith("> ") and len(lines[2]) > 20, lines[:3]
    assert re.search(r"(?m)^## \S", text), "no sections"
    listed = entries(text)
    # Every page once; grouped by nav section (the pages outside a section together).
    urls = [m["url"] for m in listed]
    assert sorted(urls) == sorted(server.url(f"/{path}index.md") for path in PAGES), text
    for match in listed:
        source, _, name = PAGES[urlsplit(match["url"]).path[1:-len("index.md")]]
        assert match["name"] == name
        expected = front_matter(source).get("description")
        assert expected and match["description"] == " ".join(expected.split()), match["description"]
    full = get(server.url("/llms-full.txt"))
    assert full[0] == 200 and full[1]["content-type"] == "text/plain; charset=utf-8"
    for match in listed:
        assert match["description"] in full[2].decode("utf-8")


@pytest.mark.parametrize("path", list(PAGES))
def test_each_pages_markdown_copy_is_served_with_the_authors_text(server, path):
    source, title, _ = PAGES[path]
    status, headers, body = get(server.url(f"/{path}index.md"))
    assert status == 200, status
    assert headers["content-type"] == "text/markdown; charset=utf-8", headers
    assert headers["cache-control"] == "no-cache", headers
    text = body.decode("utf-8")
    assert text.startswith(f"# {(DOCS / source).read_text(encoding='utf-8').split(chr(10) + '# ', 1)[1].split(chr(10))[0]}\n")
    assert title.replace("`", "") in text.replace("`", "")
    if "<!-- material/tags -->" not in text:
        assert first_sentence(source) in text
    for code in included_code(source):
        assert code in text, f"/{path}index.md lacks the included code {code!r}"
    assert "--8<--" not in text and not text.startswith("---")
    # No site chrome, and the glossary stays on the pages (its words stay as written).
    chrome = re.search(r"<(?:html|head|body|nav|header|footer|script|div)\b[^>]*>", outside_code(text))
    assert not chrome, f"/{path}index.md: the site's HTML in the copy: {chrome.group(0)}"
    assert not re.search(r"(?m)^\*\[[^\]]+\]:", text), "the glossary was appended"
    # The brotli copy is the same text (precompressed, as every text file).
    _, packed, squeezed = get(server.url(f"/{path}index.md"), headers={"Accept-Encoding": "br"})
    assert packed.get("content-encoding") == "br" and brotli.decompress(squeezed) == body


def test_a_copy_keeps_its_diagrams_as_mermaid_and_its_boxes_as_written(server):
    sources = {source: path for path, (source, *_) in PAGES.items()}
    diagram = next(s for s in sources if "```mermaid" in (DOCS / s).read_text(encoding="utf-8"))
    text = get(server.url(f"/{sources[diagram]}index.md"))[2].decode("utf-8")
    assert "```mermaid" in text and "accTitle:" in text
    box = re.search(r'(?m)^[!?]{3} \w+ ".+"$', (DOCS / diagram).read_text(encoding="utf-8")).group(0)
    assert box in text


@pytest.mark.parametrize("path", ["/jwt.md", "/docs/jwt.md", "/jwt/README.md", "/notes.txt", "/assets/llms.txt",
                                  "/jwt/index.markdown", "/llms.txt/"])
def test_only_the_published_copies_are_servable(server, path):
    assert get(server.url(path))[0] == 404, path


def test_copy_control_puts_the_pages_markdown_on_the_clipboard_by_keyboard(browser, server):
    path = next(p for p, (source, *_) in PAGES.items() if "--8<--" in (DOCS / source).read_text(encoding="utf-8"))
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(server.url("/")))
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
        page = context.new_page()
        watch = PageWatch(origin).attach(page)
        page.goto(server.url(f"/{path}"))
        page.keyboard.press("Shift")  # a first visit's bundle waits for an interaction
        button = page.get_by_role("button", name="Markdown copy karo", exact=True)
        button.wait_for(timeout=10_000)
        button.focus()
        page.keyboard.press("Enter")
        page.get_by_role("status").filter(has_text="Copy ho gaya").wait_for(timeout=10_000)
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == get(server.url(f"/{path}index.md"))[2].decode("utf-8")
        # Said beside the button without moving the title.
        assert page.locator(".notes-copy-said").is_visible()
        assert not watch.take()
    finally:
        context.close()


def test_a_first_visit_that_only_looks_fetches_no_copy(browser, server):
    path = next(iter(p for p in PAGES if p))
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        seen = []
        page.on("request", lambda request: seen.append(request.url))
        page.goto(server.url(f"/{path}"))
        page.wait_for_load_state("networkidle")
        assert not [url for url in seen if url.endswith((".md", "llms.txt"))], seen
        assert page.locator("[data-notes-copy]").count() == 0
    finally:
        context.close()
    html = get(server.url(f"/{path}"), headers={"Accept-Encoding": "br"})[2]
    assert b"notes-copy" not in brotli.decompress(html), "the control belongs to the lazy bundle, not the page"
