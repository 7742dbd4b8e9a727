"""A built page split into what the note brings and what the site adds around it.

The note's part is its article (the author's text and the editors' boxes) and its table
of contents, made from the note's headings; everything else of the page (head, header,
navigation, footer, meta, the CSP for Pages) is the site's frame, the same for every note
but for the nav entries it shows. Budgets hold the frame and the shared files; the note's
own text is the author's and is never a budget failure.
"""

from __future__ import annotations

import re

import brotli

ARTICLE = re.compile(r"(<article\b[^>]*>)(.*)(</article>)", re.S)
TOC = re.compile(r"<nav\b[^>]*\bmd-nav--secondary\b[^>]*>")


def _strip_element(html: str, start: re.Match, tag: str) -> str:
    """html with the element opened at `start` emptied (nested elements of the same tag
    counted), its own tags kept."""
    depth, position = 1, start.end()
    pattern = re.compile(rf"<{tag}\b|</{tag}>")
    while depth:
        found = pattern.search(html, position)
        if found is None:
            raise ValueError(f"<{tag}> not closed")
        depth += -1 if found.group(0).startswith("</") else 1
        position = found.end()
    end = position - len(f"</{tag}>")
    return html[: start.end()] + html[end:]


def frame(html: str) -> str:
    """The page without the note: article and table of contents emptied."""
    html = ARTICLE.sub(r"\1\3", html, count=1)
    position = 0
    # Material writes the table of contents twice: in the sidebar and, for the drawer on a
    # phone, inside the current page's nav entry.
    while toc := TOC.search(html, position):
        html = _strip_element(html, toc, "nav")
        position = toc.end()
    return html


def br(text: str) -> int:
    """Bytes as nginx sends the page: brotli 11, as postbuild/compress.py precompresses it."""
    return len(brotli.compress(text.encode("utf-8"), quality=11))


def split(html: str) -> tuple[int, int]:
    """(the frame's bytes, the note's bytes) of a page, compressed as served: the note's
    part is what the page costs more than its frame."""
    whole, framed = br(html), br(frame(html))
    return framed, whole - framed
