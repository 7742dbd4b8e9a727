"""Build-time checks on the Markdown sources.

MkDocs' own strict validation already fails on broken links, missing anchors and pages
left out of the nav (see `validation:` in mkdocs.yml). This hook adds what MkDocs does not
check, and names the file (and line) in the error, so `mkdocs serve` shows it while writing
and `make site` refuses to publish:

* mojibake (text that was UTF-8-decoded twice, "ðŸš€" for "🚀"), found and repaired by ftfy;
* front matter that is not valid YAML, or that lacks a `description` (50 to 160
  characters, no quotes or angle brackets) or `tags`.

`python -m hooks.checks` runs the same checks without building (the pre-commit hook):
it exits 1 with the same message.
"""

from __future__ import annotations

import re
import sys

import ftfy
import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files

# Long enough to say what the page is, short enough not to be cut in a search result.
DESCRIPTION_LENGTH = (50, 160)
FRONT_MATTER = re.compile(r"\A-{3}[ \t]*\n(.*?\n)(?:-{3}|\.{3})[ \t]*\n", re.S)


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


def on_files(files: Files, config: MkDocsConfig) -> Files:
    # Every Markdown source, including the excluded glossary that snippets appends; front
    # matter of every page, before any page is rendered (other hooks read it).
    errors = []
    for file in files:
        if not file.src_uri.endswith(".md"):
            continue
        for number, line, repaired in find_mojibake(file.content_string):
            errors.append(
                f"docs/{file.src_uri}:{number}: mojibake: {line.strip()!r}\n"
                f"    should read: {repaired.strip()!r}"
            )
        if file.is_documentation_page() and not file.inclusion.is_excluded():
            # MkDocs would silently render broken YAML as page text; stop instead.
            if error := front_matter_error(file.content_string):
                errors.append(f"docs/{file.src_uri}: {error}")
    if errors:
        raise PluginError("The Markdown sources have problems:\n" + "\n".join(errors))
    return files


def front_matter_error(source: str) -> str | None:
    """Why a page's front matter is unusable, or None if it is fine."""
    match = FRONT_MATTER.match(source)
    if not match:
        return "no front matter (a '---' block with description and tags must start the page)"
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        return f"front matter is not valid YAML: {exc}"
    if not isinstance(meta, dict):
        return "front matter must be a mapping (key: value lines)"
    description = meta.get("description")
    if not isinstance(description, str) or not description.strip():
        return "front matter needs a non-empty 'description' (it becomes the meta description)"
    if not DESCRIPTION_LENGTH[0] <= len(description) <= DESCRIPTION_LENGTH[1]:
        return (f"the 'description' has {len(description)} characters; keep it within "
                f"{DESCRIPTION_LENGTH[0]}-{DESCRIPTION_LENGTH[1]} (search engines show about 160)")
    if any(c in description for c in '"<>'):
        # Material writes it into content="..." unescaped: a quote would cut it short.
        return "the 'description' must not contain \" < or > (use ' or words instead)"
    tags = meta.get("tags")
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and t.strip() for t in tags):
        return "front matter needs 'tags': a non-empty list of words"
    return None


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
