"""The pages' included code, resolved the way pymdownx.snippets resolves it (mkdocs.yml:
`dedent_subsections: true`), so tests compare a page with the files it shows."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from harness.paths import ROOT

SNIPPET = re.compile(r'^(?P<indent>[ \t]*)--8<-- "(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"[ \t]*$', re.M)
MARKER = re.compile(r"--8<-- \[(start|end):([\w-]+)\]")


def section(path: str, name: str | None, root: Path = ROOT) -> str:
    """A file's text, or one of its `--8<-- [start:name]` ... `[end:name]` sections,
    dedented, without marker lines."""
    lines = (root / path).read_text(encoding="utf-8").splitlines()
    if name is not None:
        starts = [i for i, line in enumerate(lines) if MARKER.search(line) and MARKER.search(line).groups() == ("start", name)]
        ends = [i for i, line in enumerate(lines) if MARKER.search(line) and MARKER.search(line).groups() == ("end", name)]
        if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
            raise ValueError(f"{path}: section {name!r} must start and end once")
        lines = lines[starts[0] + 1:ends[0]]
    text = "\n".join(line for line in lines if not MARKER.search(line))
    return textwrap.dedent(text) if name is not None else text


def includes(markdown: str) -> list[tuple[str, str | None]]:
    """(file, section) of every snippet line in a page."""
    return [(m.group("path"), m.group("section")) for m in SNIPPET.finditer(markdown)]


def expand(markdown: str, root: Path = ROOT) -> str:
    """The page's Markdown with every snippet line replaced by what it includes."""
    def replace(match: re.Match) -> str:
        body = section(match.group("path"), match.group("section"), root)
        return "\n".join(match.group("indent") + line if line else "" for line in body.splitlines())

    return SNIPPET.sub(replace, markdown)
