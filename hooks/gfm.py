"""Markdown as authors write it for GitHub, rendered as GitHub shows it.

Notes are written and previewed on GitHub (CommonMark), but the site renders them with
Python-Markdown, which reads list structure differently. This hook guarantees that:

* a list nested with 2, 3 or 4 spaces (or a tab) is nested, with its numbering kept:
  CommonMark nests a line under an item when it reaches the item's content column,
  Python-Markdown only at 4 spaces per level, so 2- and 3-space nesting used to be
  flattened, or broke the outer list in two and renumbered it;
* a fenced code block inside a list item (`1. ` then the fence indented 3 spaces, `- `
  then 2, body lines indented further than their fence or not) stays in that item as one
  code block, and the next item continues the same list;
* a list right after a paragraph line (no blank line between) is a list, not running text,
  and a fence right after a paragraph line is a code block, not part of the paragraph;
* an ordered list keeps its first number (`3.` starts at 3), as on GitHub.

How: `GfmListsExtension` adds a preprocessor that rewrites only the *indentation* of list
lines to what Python-Markdown expects (4 spaces per level), computed the CommonMark way from
each item's marker and content columns, and inserts a blank line where Python-Markdown
needs one to see a new block (a list or fence that interrupts a paragraph, a line that
leaves a nested item). It is generous where authors are sloppy: any line indented deeper
than an item's marker belongs to that item (CommonMark wants the content column). Text is
never changed, only leading spaces and blank lines, and never inside what is not list
structure: fenced code keeps its text byte for byte (``` and ~~~, indented fences included:
a moved fence moves with its body), and front matter, HTML blocks, tables and code outside
lists stay as written. Admonitions (`!!! note "..."`, `??? ...`) keep their 4-space body;
lists and fences inside a body are normalised relative to it. Tabs count to the next
multiple of 4 columns, as in CommonMark. Python-Markdown's own whitespace normalisation
expands them before this preprocessor runs.

It runs at priority 29: after pymdownx.snippets (32), so included text is normalised too,
and after Python-Markdown's whitespace normalisation (30); before pymdownx.superfences (25),
which then finds every fence where this preprocessor put it, and before the raw-HTML
preprocessor (20).

Why not a package: mdx_truly_sane_lists (last release 2022) fixes one nested indent for the
whole site (2 by default), so 3- and 4-space lists, and the notes' own Python-Markdown-style
4-space lists, break under it; it also changes how blank lines make paragraphs.
mdx_breakless_lists (last release 2020) only adds the blank line before a list. Neither
knows fences inside items. Here the existing notes render byte for byte as before
(tests/test_markdown.py).

The extension class has no MkDocs import, so another engine can list it under
`markdown_extensions:` (`hooks.gfm:GfmListsExtension`); `on_config` adds it to MkDocs'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markdown import Extension
from markdown.preprocessors import Preprocessor

if TYPE_CHECKING:
    from markdown import Markdown
    from mkdocs.config.defaults import MkDocsConfig

TAB = 4  # CommonMark's tab stop, and Python-Markdown's tab_length
PRIORITY = 29  # after snippets (32) and normalize_whitespace (30), before superfences (25)

MARKER = re.compile(r"(?:(?P<bullet>[-*+])|(?P<number>\d{1,9})\.)(?=[ \t]|$)")
THEMATIC_BREAK = re.compile(r"(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
FENCE = re.compile(r"(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
ADMONITION = re.compile(r"(?:!!!|\?\?\?\+?) ?[\w-]+(?: +[\w-]+)*(?: +\"[^\"]*\")? *$")
HTML_START = re.compile(r"<(?:(?P<comment>!--)|/?(?P<tag>[A-Za-z][A-Za-z0-9-]*)(?=[\s/>]|$))")
# CommonMark's HTML block start conditions 1 and 6: the tags that start an HTML block.
HTML_BLOCK_TAGS = frozenset("""
    address article aside base basefont blockquote body caption center col colgroup dd details
    dialog dir div dl dt fieldset figcaption figure footer form frame frameset h1 h2 h3 h4 h5
    h6 head header hr html iframe legend li link main menu menuitem nav noframes ol optgroup
    option p param pre script search section style summary table tbody td textarea tfoot th
    thead title tr track ul
""".split())
VOID_TAGS = frozenset("area base basefont br col embed frame hr img input link meta param source track wbr".split())


def columns(text: str, start: int = 0) -> tuple[int, str]:
    """(width of the leading spaces and tabs, the rest), a tab reaching the next multiple
    of TAB columns counted from `start`, the column where `text` begins."""
    column = start
    for index, char in enumerate(text):
        if char == " ":
            column += 1
        elif char == "\t":
            column += TAB - column % TAB
        else:
            return column - start, text[index:]
    return column - start, ""


@dataclass(eq=False)
class Box:
    """An open container: the document, a list item or an admonition body.

    old_content/new_content: the column its content starts at, in the source and in the
    output; marker: an item's marker column (-1 otherwise); shift: how far its own lines
    move (an item's first paragraph moves with the marker, an admonition with its opener).
    """

    kind: str  # "root", "item" or "admonition"
    marker: int
    old_content: int
    new_content: int
    shift: int

    def place(self, width: int) -> int:
        """The output column of a line that starts a block in this box, `width` deep."""
        if self.kind != "item":
            return width + self.shift
        relative = width - self.old_content
        # 0-3 spaces past the content column mean nothing in CommonMark; 4 or more is code.
        return self.new_content + (relative if relative >= TAB else 0)


@dataclass
class Fence:
    char: str
    length: int
    old: int  # the opening fence's column in the source
    new: int  # and in the output
    box: Box
    opened: bool  # whether lines[0] is the opening fence (not so for "- ```js")
    lines: list  # (source line, leading width, rest) until it closes


class Normaliser:
    """Rewrites a document's lines; feed() one line at a time, then finish()."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.root = Box("root", -1, 0, 0, 0)
        self.stack: list[Box] = [self.root]
        self.prev = "blank"  # the previous line: blank, marker (item with text), text, other
        self.prev_stack: tuple[Box, ...] = (self.root,)
        self.para_shift = 0  # how far the open paragraph's lines move
        self.para_box: Box | None = None  # the box the open paragraph is in
        # Per scope (the document or an admonition body): the first line of the block of
        # non-blank lines being written there, ("marker", depth) or ("other", 0). A block
        # that starts with an item is a list to Python-Markdown; any other is not.
        self.blocks: dict[int, tuple[str, int] | None] = {}
        self.blank_after: int | None = None  # scope whose fence just closed outside a list
        self.fence: Fence | None = None
        self.html: tuple[str | None, int, int] | None = None  # (tag or None for a comment, depth, shift)
        self.code: Box | None = None  # the box of an indented code block

    # Output ---------------------------------------------------------------------------

    def emit(self, column: int, rest: str) -> None:
        self.out.append(" " * max(column, 0) + rest)

    def blank(self) -> None:
        """A blank line where Python-Markdown needs one to start a new block."""
        if self.out and self.out[-1].strip():
            self.out.append("")
        self.blocks = {}
        self.blank_after = None

    # Structure ------------------------------------------------------------------------

    def scope(self, stack: list[Box]) -> tuple[int, int]:
        """(id of the innermost document or admonition body, item depth inside it)."""
        depth = 0
        for box in reversed(stack):
            if box.kind != "item":
                return id(box), depth
            depth += 1
        raise AssertionError("the root box is always on the stack")

    def floor(self) -> int:
        """The leftmost column a line may move to without leaving its admonition body."""
        return next(box.new_content for box in reversed(self.stack) if box.kind != "item")

    def close_admonitions(self, width: int) -> bool:
        """Python-Markdown ends an admonition body at the first line indented less."""
        for index, box in enumerate(self.stack):
            if box.kind == "admonition" and width < box.old_content:
                del self.stack[index:]
                return True
        return False

    def pop_items(self, stack: list[Box], width: int) -> list[Box]:
        """The boxes that contain a line `width` deep that is no paragraph continuation:
        generous, an item keeps any line deeper than its marker."""
        stack = list(stack)
        while stack[-1].kind == "item" and width <= stack[-1].marker:
            stack.pop()
        return stack

    def first_in_block(self, kind: str, depth: int = 0) -> tuple[str, int] | None:
        """Record the line as its scope's block start if it is the first; return the start."""
        scope, _ = self.scope(self.stack)
        if self.blocks.get(scope) is None:
            self.blocks[scope] = (kind, depth)
        return self.blocks[scope]

    def shallower(self) -> bool:
        """Whether the line's box is an ancestor of the previous line's (it leaves items)."""
        current = tuple(self.stack)
        return len(current) < len(self.prev_stack) and self.prev_stack[: len(current)] == current

    # Lines ----------------------------------------------------------------------------

    def feed(self, line: str) -> None:
        width, rest = columns(line)
        if self.fence is not None:
            self.fence_line(line, width, rest)
        elif self.html is not None:
            self.html_line(line, width, rest)
        elif not rest:
            self.out.append(line)
            self.prev = "blank"
            self.blocks = {}
            self.blank_after = None
        else:
            self.content_line(line, width, rest)
            self.prev_stack = tuple(self.stack)

    def content_line(self, line: str, width: int, rest: str) -> None:
        if self.code is not None:
            if self.code in self.stack and width - self.code.old_content >= TAB:
                self.emit(self.code.place(width), rest)
                return
            self.code = None
        left_admonition = self.close_admonitions(width)
        if self.blank_after is not None:
            self.blank()
        in_paragraph = self.prev in ("marker", "text") and not left_admonition

        marker = MARKER.match(rest)
        if marker and not THEMATIC_BREAK.match(rest) and self.item(width, rest, marker, in_paragraph):
            return
        if in_paragraph and not self.interrupts(rest):
            # A paragraph continuation line ("lazy" in CommonMark): it moves with its paragraph.
            self.emit(max(self.floor(), width + self.para_shift), rest)
            self.prev = "text"
            return

        self.stack = self.pop_items(self.stack, width)
        box = self.stack[-1]
        if self.prev != "blank" and self.shallower():
            self.blank()  # else Python-Markdown keeps the line in the item above
        column = box.place(width)
        fence = FENCE.match(rest)
        if fence and not (fence["fence"][0] == "`" and "`" in fence["info"]):
            first = self.first_in_block("other")
            if in_paragraph and first[0] != "marker":
                self.blank()  # a fence that interrupts a paragraph: Python-Markdown needs a block
                self.first_in_block("other")
            self.fence = Fence(fence["fence"][0], len(fence["fence"]), width, column, box, True, [(line, width, rest)])
            return
        self.emit(column, rest)
        self.prev = "other"
        if ADMONITION.match(rest):
            self.stack.append(Box("admonition", -1, width + TAB, column + TAB, column - width))
            return
        if HEADING.match(rest) or THEMATIC_BREAK.match(rest):
            scope, _ = self.scope(self.stack)
            self.blocks[scope] = None  # Python-Markdown splits its block at these lines
            return
        if (html := HTML_START.match(rest)) and (html["comment"] or html["tag"].lower() in HTML_BLOCK_TAGS):
            self.first_in_block("other")
            self.html = (None if html["comment"] else html["tag"].lower(), 0, column - width)
            self.html_depth(rest)
            return
        if width - box.old_content >= TAB:
            self.code = box  # an indented code block: its lines keep their place in the box
            self.first_in_block("other")
            return
        self.first_in_block("other")
        self.prev = "text"  # a paragraph (or table, quote) starts
        self.para_shift = column - width
        self.para_box = box

    def interrupts(self, rest: str) -> bool:
        """Whether a line that follows a paragraph line starts a new block (CommonMark)."""
        fence = FENCE.match(rest)
        return bool(
            (fence and not (fence["fence"][0] == "`" and "`" in fence["info"]))
            or HEADING.match(rest) or THEMATIC_BREAK.match(rest) or ADMONITION.match(rest)
            or rest.startswith(">")
        )

    def item(self, width: int, rest: str, marker: re.Match, in_paragraph: bool) -> bool:
        """Write a list item's first line; False if the line is not one after all."""
        stack = self.pop_items(self.stack, width)
        parent = stack[-1]
        if parent.kind != "item" and width - parent.old_content >= TAB:
            return False  # indented code, or a paragraph's continuation
        text = rest[marker.end():]
        empty = not text.strip()
        if in_paragraph and parent is self.para_box and (empty or marker["number"] not in (None, "1")):
            # CommonMark: only a non-empty bullet or `1.` item may start a list inside a
            # paragraph; "2024. was a year" stays text.
            return False
        self.stack = stack
        scope, depth = self.scope(stack)  # the new item's depth in its document or admonition
        first = self.blocks.get(scope)
        if self.prev != "blank" and first is not None and not (first[0] == "marker" and first[1] <= depth):
            # Python-Markdown reads items only in a block that starts with an item at the
            # same level or above; elsewhere "- x" is text.
            self.blank()
        new_marker = parent.new_content
        spaces, after = columns(text, width + marker.end())
        content = width + marker.end() + (1 if empty or spaces > TAB else spaces)
        box = Box("item", width, content, new_marker + TAB, new_marker - width)
        self.stack.append(box)
        self.first_in_block("marker", depth)
        self.emit(new_marker, rest)
        self.prev = "other" if empty else "marker"
        self.para_shift = box.shift
        self.para_box = box
        fence = FENCE.match(after)
        if fence and not empty and not (fence["fence"][0] == "`" and "`" in fence["info"]):
            # "- ```js": the item starts with a fence; its body moves with the item.
            self.fence = Fence(fence["fence"][0], len(fence["fence"]), content, content + box.shift, box, False, [])
        return True

    def fence_line(self, line: str, width: int, rest: str) -> None:
        fence = self.fence
        fence.lines.append((line, width, rest))
        closing = (
            rest.startswith(fence.char * fence.length)
            and not rest.strip(fence.char).strip()
            and width <= max(fence.old, fence.box.old_content) + TAB - 1
        )
        if closing:
            self.write_fence(closed=True)

    def write_fence(self, closed: bool) -> None:
        """A fence's lines: moved with their fence if it moved and closed, else as written."""
        fence, self.fence = self.fence, None
        moved = closed and fence.new != fence.old
        last = len(fence.lines) - 1
        for index, (line, width, rest) in enumerate(fence.lines):
            if not moved or not rest:
                self.out.append(line)
            elif index == last or (index == 0 and fence.opened):
                self.emit(fence.new, rest)  # opening and closing fence, one above the other
            else:
                # A body line keeps its indentation past the fence's (CommonMark strips up to
                # the fence's own), so the code's text is unchanged.
                self.emit(fence.new + max(0, width - fence.old), rest)
        self.prev = "other"
        self.prev_stack = tuple(self.stack)
        scope, _ = self.scope(self.stack)
        first = self.blocks.get(scope)
        if first is None or first[0] != "marker":
            self.blank_after = scope  # Python-Markdown would join the next line to the code

    def html_depth(self, rest: str) -> None:
        tag, depth, shift = self.html
        if tag is None:
            if "-->" in rest:
                self.html = None
            return
        depth += len(re.findall(rf"<{tag}(?=[\s/>]|$)", rest, re.I)) - len(re.findall(rf"</{tag}\s*>", rest, re.I))
        if tag in VOID_TAGS:
            depth = 0
        self.html = (tag, depth, shift)

    def html_line(self, line: str, width: int, rest: str) -> None:
        _, depth, shift = self.html
        if not rest and depth <= 0:
            self.html = None  # an HTML block ends at a blank line once its tags are closed
            self.feed(line)
            return
        self.out.append(line if not rest or shift == 0 else " " * max(0, width + shift) + rest)
        self.html_depth(rest)
        self.prev = "other"
        self.prev_stack = tuple(self.stack)

    def finish(self) -> list[str]:
        if self.fence is not None:
            self.write_fence(closed=False)  # never closed: left as written
        return self.out


FRONT_MATTER_END = ("---", "...")


def normalise(lines: list[str]) -> list[str]:
    """The document's lines, list structure rewritten for Python-Markdown (see module doc)."""
    start = 0
    if lines and lines[0].rstrip() == "---":
        end = next((n for n in range(1, len(lines)) if lines[n].rstrip() in FRONT_MATTER_END), None)
        if end is not None:
            start = end + 1
    normaliser = Normaliser()
    for line in lines[start:]:
        normaliser.feed(line)
    return lines[:start] + normaliser.finish()


class GfmListsPreprocessor(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        return normalise(lines)


class GfmListsExtension(Extension):
    """Python-Markdown extension: lists, fences in lists and list starts as GitHub has them."""

    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(GfmListsPreprocessor(md), "gfm_lists", PRIORITY)
        # GitHub starts an ordered list at its first number ("3." starts at 3); Python-
        # Markdown's default ("lazy") numbering would restart every list at 1.
        if "olist" in md.parser.blockprocessors:
            md.parser.blockprocessors["olist"].LAZY_OL = False


def makeExtension(**kwargs) -> GfmListsExtension:  # Python-Markdown's name for the entry point
    return GfmListsExtension(**kwargs)


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    # MkDocs hands this list to Python-Markdown as it is, for every page.
    if not any(isinstance(ext, GfmListsExtension) for ext in config.markdown_extensions):
        config.markdown_extensions.append(GfmListsExtension())
    return config
