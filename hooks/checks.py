"""Build-time checks on the Markdown sources: the errors, the things that would publish a
broken page.

MkDocs' own strict validation already fails on broken links, missing anchors and pages
left out of the nav (see `validation:` in mkdocs.yml). This hook adds what MkDocs does not
check, and names the file, the line and the fix, so `mkdocs serve` shows it while writing
and `make site` refuses to publish:

* mojibake (text that was UTF-8-decoded twice, "ðŸš€" for "🚀"), found and repaired by ftfy;
* front matter that is not valid YAML (with "put the value in quotes" where a colon in a
  value tripped it), or without a `description` (the page's card and meta description),
  or one with a double quote or angle bracket (cut short in the page's `content="..."`);
* a page without a `# ` title (Material would title it from the nav, the tests and the
  cards from nothing);
* an HTML-looking `<word>` in prose that is no element a note uses (`<token>`,
  `<repo_link>`, `<head>`): the browser takes it for a tag and swallows the text after it,
  or ends the list it is in.

They apply to every page alike, the author's lines and the editors' boxes. What is polish,
not breakage (glossary, single-use tags, the review log, odd fence labels, placeholders in
shell blocks, a description's length), is advice: `make check` lists it
(harness/advice.py) and nothing fails on it.

`python -m hooks.checks` runs these checks without building (the pre-commit hook): it
exits 1 with the same message.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

import ftfy
import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files

from shared import FRONT_MATTER

FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<mark>`{3,}|~{3,})(?P<info>.*)$")
TITLE = re.compile(r"^#[ \t]+\S")
# A tag as the browser would read it: `<name ...>` or `</name>`, not `a < b` nor an autolink.
TAG = re.compile(r"(?<!\\)</?([A-Za-z][A-Za-z0-9_-]*)(?=[\s/>])[^<>`]*>")
# HTML a note may write on purpose (line breaks, keys, details, images, tables, emphasis,
# md_in_html blocks). Any other name is text the author meant to show, which the browser
# would take for an element.
HTML_IN_NOTES = frozenset("""
    a abbr b blockquote br caption center code col colgroup dd del details dfn div dl dt em
    figcaption figure h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p picture pre q s samp
    small source span strong sub summary sup table tbody td tfoot th thead tr u ul var video
    audio iframe
""".split())
EXAMPLE_FRONT_MATTER = ("---\n    description: Ek line me page kis baare me hai (50-160 characters).\n"
                        "    tags:\n      - Docker\n    ---")


@dataclass(frozen=True)
class Finding:
    """One problem in a source file: where, what, and what to do."""

    path: str  # as the author finds it, e.g. docs/jwt.md
    line: int
    what: str
    fix: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}" + (f"\n    fix: {self.fix}" if self.fix else "")


def find_mojibake(text: str) -> list[tuple[int, str, str]]:
    """(line number, line, repaired line) for every line ftfy would repair.

    Only ftfy's encoding repair is used: its other fixes (curly quotes, widths) are
    style choices, not corruption.
    """
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.isascii():
            continue  # mojibake needs non-ASCII characters: decoding ASCII twice changes nothing
        repaired = ftfy.fix_encoding(line)
        if repaired != line:
            found.append((number, line, repaired))
    return found


def body_start(text: str) -> int:
    """0-based number of the first line after the front matter."""
    match = FRONT_MATTER.match(text)
    return text.count("\n", 0, match.end()) if match else 0


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(1-based number, line) of every line outside front matter and fenced code, with
    inline code spans and HTML comments blanked out: the text the reader sees as prose."""
    lines = text.splitlines()
    out = []
    fence = None
    in_comment = False
    for number in range(body_start(text), len(lines)):
        line = lines[number]
        if fence:
            if re.match(rf"[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", line):
                fence = None
            continue
        if opened := FENCE_OPEN.match(line):
            fence = opened.group("mark")
            continue
        if in_comment:
            if "-->" not in line:
                continue
            line, in_comment = line.split("-->", 1)[1], False
        line = re.sub(r"<!--.*?-->", "", line)
        if "<!--" in line:
            line, in_comment = line.split("<!--", 1)[0], True
        line = re.sub(r"(`+)(?:(?!\1).)+?\1", lambda m: " " * len(m.group(0)), line)
        out.append((number + 1, line))
    return out


def front_matter_problem(text: str) -> tuple[int, str, str] | None:
    """(line, what, fix) when the front matter is unusable, else None."""
    match = FRONT_MATTER.match(text)
    if not match:
        return 1, "no front matter", f"start the page with\n    {EXAMPLE_FRONT_MATTER}"
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 2
        bad = text.splitlines()[line - 1] if mark else ""
        fix = "check the indentation and the '- ' of each tag"
        if "mapping values are not allowed" in str(exc) or ": " in bad.partition(":")[2]:
            key, _, value = bad.partition(":")
            fix = f"put the value in quotes: {key.strip()}: \"{value.strip()}\"" if value.strip() else fix
        return line, f"front matter is not valid YAML ({getattr(exc, 'problem', exc)})", fix
    if not isinstance(meta, dict):
        return 2, "front matter must be key: value lines", f"write it as\n    {EXAMPLE_FRONT_MATTER}"
    description = meta.get("description")
    if not isinstance(description, str) or not description.strip():
        return 2, "front matter needs a 'description' (the page's card on the home page, its meta " \
                  "description and link preview)", "add a line: description: Ek line me page kis baare me hai."
    if any(c in description for c in '"<>'):
        # Material writes it into content="..." unescaped: a quote would cut it short.
        line = next((n for n, li in enumerate(text.splitlines(), 1) if li.startswith("description")), 2)
        return line, "the 'description' contains \" < or >, which cut it short in the page's head", \
            "use ' or words instead"
    return None


def source_errors(path: str, text: str) -> list[Finding]:
    """Every error in one page's Markdown source (path as shown in messages)."""
    errors = [Finding(path, number, f"mojibake: {line.strip()!r}", f"should read: {repaired.strip()!r}")
              for number, line, repaired in find_mojibake(text)]
    if problem := front_matter_problem(text):
        errors.append(Finding(path, *problem))
    prose = prose_lines(text)
    if not any(TITLE.match(line) for _, line in prose):
        errors.append(Finding(path, body_start(text) + 1, "no '# ' title",
                              "start the text with a line '# Page ka title' (one '#' and a space)"))
    for number, line in prose:
        for tag in TAG.finditer(line):
            if tag.group(1).lower() not in HTML_IN_NOTES:
                errors.append(Finding(
                    path, number, f"{tag.group(0)} would be read as an HTML tag and hide the text after it",
                    f"write it as code: `{tag.group(0)}` (or escape it: \\{tag.group(0)})"))
    return errors


def on_files(files: Files, config: MkDocsConfig) -> Files:
    # Every Markdown source (mojibake also in the excluded glossary that snippets appends);
    # front matter of every page, before any page is rendered (other hooks read it).
    errors: list[Finding] = []
    for file in files:
        if not file.src_uri.endswith(".md"):
            continue
        path = f"docs/{file.src_uri}"
        if file.is_documentation_page() and not file.inclusion.is_excluded():
            errors += source_errors(path, file.content_string)
        else:
            errors += [Finding(path, n, f"mojibake: {line.strip()!r}", f"should read: {fixed.strip()!r}")
                       for n, line, fixed in find_mojibake(file.content_string)]
    if errors:
        raise PluginError("The Markdown sources have problems:\n" + "\n".join(map(str, errors)))
    return files


def main(config_file: str = "mkdocs.yml") -> int:
    """The checks of `on_files` over the project's sources, as the build finds them."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files

    config = load_config(config_file)
    try:
        on_files(get_files(config), config)
    except PluginError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
