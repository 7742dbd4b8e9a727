"""The home page's topic cards, generated from the nav.

Guarantees: a page that contains the marker `<!-- notes:cards -->` gets, in its place, one
card per note in nav order (its nav name, linked, and its front matter `description`), so a
new note shows up on the home page with no edit there. Notes are the nav's pages except the
page itself and the generated tags index (the page holding `<!-- material/tags -->`).
Links are ordinary Markdown links: MkDocs' strict validation checks them like any other.
"""

from __future__ import annotations

import posixpath

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.meta import get_data

from shared import CARDS_MARKER, TAGS_MARKER

_nav: Navigation | None = None


def on_nav(nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
    global _nav
    _nav = nav
    return nav


def card(page: Page, here: Page) -> str:
    source = page.file.content_string
    _, meta = get_data(source)
    description = " ".join(str(meta.get("description", "")).split())
    if not description:
        raise PluginError(f"docs/{page.file.src_uri}: no description for its card on docs/{here.file.src_uri}")
    link = posixpath.relpath(page.file.src_uri, posixpath.dirname(here.file.src_uri) or ".")
    return f"-   **[{page.title}]({link})**\n\n    ---\n\n    {description}\n"


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if CARDS_MARKER not in markdown:
        return markdown
    notes = [p for p in _nav.pages if p is not page and TAGS_MARKER not in p.file.content_string]
    grid = '<div class="grid cards" markdown>\n\n' + "\n".join(card(p, page) for p in notes) + "\n</div>"
    return markdown.replace(CARDS_MARKER, grid)
