"""Polish, not breakage: what a reviewer would still do to a note that builds and shows
right. `make check` lists it with file:line; nothing fails on it for a note nobody has
reviewed yet (tests/test_content.py holds the reviewed pages, those with a section in
docs/REVIEW.md, to the glossary and the fence rules).

The errors (what would publish a broken page) are hooks/checks.py's, which the build runs.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import yaml
from pygments.lexers import find_lexer_class_by_name
from pygments.util import ClassNotFound

from hooks.checks import Finding, prose_lines
from hooks.shared import FRONT_MATTER, TAGS_MARKER

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<mark>```+|~~~+)(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)(?P=mark)[ \t]*$",
                   re.M | re.S)
DESCRIPTION_LENGTH = (50, 160)  # long enough to say what the page is, short enough not to be cut in a result
# Capitalised words that are names, not abbreviations: HTTP methods, a reason phrase,
# Dockerfile instructions, the redis-cli example's words, a paper size.
NOT_ABBREVIATIONS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "OK",
                     "FROM", "WORKDIR", "COPY", "RUN", "EXPOSE", "CMD", "PING", "PONG", "A4"}
# Labels that name one language: a guess is compared by family, so `js` is `javascript`.
FAMILY = {"js": "javascript", "mjs": "javascript", "cjs": "javascript", "jsx": "javascript", "node": "javascript",
          "sh": "bash", "shell": "bash", "zsh": "bash", "shell-session": "console", "yml": "yaml",
          "docker": "dockerfile", "jsonc": "json", "json5": "json"}
SHELL = {"bash", "sh", "shell", "zsh"}
PLACEHOLDER = re.compile(r"<[A-Za-z_][\w-]*>")


def fences(text: str) -> list[tuple[int, str, str]]:
    """(1-based line of the opening fence, its language label, body) of every fenced block."""
    out = []
    for match in FENCE.finditer(text):
        info = match.group("info").strip()
        body = "\n".join(line[len(match.group("indent")):] for line in match.group("body").splitlines())
        out.append((text.count("\n", 0, match.start()) + 1, info.split()[0].lstrip(".{") if info else "", body))
    return out


def looks_like(body: str) -> str:
    """The language a block's content shows, from its first meaningful line ("" if it does
    not tell)."""
    first = next((line for line in body.splitlines() if line.strip() and not line.startswith("#")), "")
    if re.match(r"(sequenceDiagram|flowchart|graph|stateDiagram|classDiagram)\b", first):
        return "mermaid"
    if re.match(r"(FROM|RUN|COPY|WORKDIR|CMD|EXPOSE|ENV) ", first):
        return "dockerfile"
    if first.startswith("$ "):
        return "console"
    if re.match(r"https?://\S+$", first):
        return "text"  # a URL to open, not a command
    if re.match(r"[A-Z][a-z]+(-[A-Za-z][a-z]*)*: \S", first):
        return "http"  # header lines (Content-Type: ...)
    if re.match(r"[A-Z_]+=|(docker|npm|npx|node|redis-cli|curl|cd|git|kubectl|apt-get|pip|mkdir|ls) ", first):
        return "bash"
    if re.match(r"(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S* HTTP/|HTTP/[12](\.[01])? \d{3}\b", first):
        return "http"
    if re.match(r"\s*[{\[]\s*$|\s*\{\s*\"", first):
        return "json"
    if re.match(r"(import|const|let|var|export|async function|function) |app\.\w+\(|console\.\w+\(|//", first):
        return "javascript"
    if re.match(r"<(!doctype|html|head|body|div|script)\b", first, re.I):
        return "html"
    if re.match(r"(SELECT|INSERT|UPDATE|CREATE TABLE|DELETE FROM) ", first, re.I):
        return "sql"
    return ""


def family(label: str) -> str:
    return FAMILY.get(label.lower(), label.lower())


def fence_advice(path: str, text: str) -> list[Finding]:
    found = []
    for line, label, body in fences(text):
        if not label:
            found.append(Finding(path, line, "a code block without a language",
                                 "name it after the ``` (```bash, ```js, ```json, ```text) so it is highlighted"))
            continue
        if label != "mermaid":
            try:
                find_lexer_class_by_name(label)
            except ClassNotFound:
                found.append(Finding(path, line, f"```{label}: no highlighter knows this language, it shows as "
                                     "plain text", "use a name from https://pygments.org/languages/ or ```text"))
                continue
        guess = looks_like(body)
        if guess == "bash" and label == "text" and PLACEHOLDER.search(body):
            guess = ""  # a command template to read, not to paste: text on purpose
        if guess and family(label) != guess and not (guess == "bash" and family(label) == "console"):
            found.append(Finding(path, line, f"```{label}, but the code looks like {guess}",
                                 f"label it ```{guess} if it is"))
        if family(label) in SHELL and PLACEHOLDER.search(body):
            found.append(Finding(path, line, f"```{label} with a placeholder {PLACEHOLDER.search(body).group(0)}: "
                                 "pasted as is, bash reads < > as redirections",
                                 'set a variable first (REPO_URL="https://..." then git clone "$REPO_URL"), '
                                 "or label the block ```text"))
    return found


def meta_of(text: str) -> dict:
    match = FRONT_MATTER.match(text)
    try:
        meta = yaml.safe_load(match.group(1)) if match else {}
    except yaml.YAMLError:
        return {}  # an error of hooks/checks.py's
    return meta if isinstance(meta, dict) else {}


def glossary_terms(docs: Path) -> set[str]:
    glossary = docs / "includes" / "glossary.md"
    return set(re.findall(r"^\*\[([^\]]+)\]:", glossary.read_text(encoding="utf-8"), re.M)) if glossary.exists() else set()


def abbreviations(text: str) -> dict[str, int]:
    """Capitalised abbreviations in the prose, each with the line it first appears on."""
    first: dict[str, int] = {}
    for number, line in prose_lines(text):
        if line.startswith("*["):
            continue  # a glossary line itself
        line = re.sub(r"<?https?://\S+|\]\([^)]*\)", " ", line)  # URLs are no prose
        for word in re.findall(r"\b[A-Z][A-Z0-9]+\b", line):
            first.setdefault(word, number)
    return first


def reviewed_pages(docs: Path) -> set[str]:
    """Source files that have a section in docs/REVIEW.md (the log names pages by URL)."""
    review = docs / "REVIEW.md"
    if not review.exists():
        return set()
    urls = re.findall(r"^## `/(.*?)` ", review.read_text(encoding="utf-8"), re.M)
    return {(url.rstrip("/") or "index") + ".md" for url in urls}


def note_advice(docs: Path, sources: list[str]) -> list[Finding]:
    """Advice for the nav's pages (source paths below docs/)."""
    found: list[Finding] = []
    texts = {source: (docs / source).read_text(encoding="utf-8") for source in sources}
    tag_pages = Counter(tag for text in texts.values() for tag in set(meta_of(text).get("tags") or []))
    glossary = glossary_terms(docs)
    reviewed = reviewed_pages(docs)
    for source, text in texts.items():
        path = f"docs/{source}"
        lines = text.splitlines()
        meta = meta_of(text)
        line_of = {key: next((n for n, li in enumerate(lines, 1) if li.startswith(f"{key}:")), 2)
                   for key in ("description", "tags")}
        description = meta.get("description")
        if isinstance(description, str) and not DESCRIPTION_LENGTH[0] <= len(description) <= DESCRIPTION_LENGTH[1]:
            found.append(Finding(path, line_of["description"],
                                 f"the description has {len(description)} characters",
                                 f"{DESCRIPTION_LENGTH[0]}-{DESCRIPTION_LENGTH[1]} read best: search engines "
                                 "cut it at about 160"))
        tags = meta.get("tags")
        if TAGS_MARKER in text or source == "index.md":
            continue  # the generated tags index and the home page group nothing
        if not tags:
            found.append(Finding(path, line_of["tags"], "no tags", "add tags: (a list) so the tags page groups it"))
        for tag in tags or []:
            if tag_pages[tag] == 1:
                line = next((n for n, li in enumerate(lines, 1) if n > line_of["tags"]
                             and re.fullmatch(rf"\s*-\s*['\"]?{re.escape(str(tag))}['\"]?\s*", li)), line_of["tags"])
                found.append(Finding(path, line, f"the tag {tag!r} groups only this page",
                                     "use a tag other notes have, or keep it for the notes to come"))
        for word, line in sorted(abbreviations(text).items(), key=lambda item: item[1]):
            if word not in glossary and word not in NOT_ABBREVIATIONS:
                found.append(Finding(path, line, f"{word} has no tooltip",
                                     f"add '*[{word}]: Full form — ek line me matlab' to docs/includes/glossary.md"))
        for number, line in prose_lines(text):
            for image in re.finditer(r"!\[\s*\]\(([^)\s]+)", line):
                found.append(Finding(path, number, f"the image {image.group(1)} has no alt text",
                                     f"say what it shows: ![what it shows]({image.group(1)}) (a screen reader "
                                     "reads it; empty, the image is skipped)"))
        found += fence_advice(path, text)
        if source not in reviewed and source != "revision.md":
            found.append(Finding(path, 1, "not reviewed yet",
                                 "README.md, 'Reviewing a note': check it against primary references, log it in "
                                 "docs/REVIEW.md, add its key facts to docs/revision.md"))
    return found
