"""First-visit page weight, estimated from the built files on disk (no browser).

What a first visit with an empty cache fetches from a Material page: the HTML and the
stylesheets, scripts and icon it links, and sitemap.xml (navigation.instant reads it);
then, for search, the search worker and the search index, summed apart: this site loads
them when search is first used, Material at page load. Each file counts at its brotli size,
as nginx sends it to a browser asking for br. An estimate: the in-browser budget test is in
tests/.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from bench.report import kb, table
from harness.frame import split
from harness.pages import PAGES

# <link rel> values that are navigation, not resources the browser fetches.
NOT_FETCHED = {"canonical", "prev", "next", "alternate"}


class Resources(HTMLParser):
    """Linked files and Material's __config. A real HTML parser: the build minifies pages
    (attributes lose their quotes)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.config: dict = {}
        self._script: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("href") and not NOT_FETCHED & set((a.get("rel") or "").split()):
            self.urls.append(a["href"])
        elif tag == "script":
            if a.get("src"):
                self.urls.append(a["src"])
            self._script = {"id": a.get("id"), "text": ""}

    def handle_data(self, data):
        if self._script is not None:
            self._script["text"] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            if self._script["id"] == "__config":
                self.config = json.loads(self._script["text"])
            self._script = None


def local(url: str) -> bool:
    return not url.startswith(("http:", "https:", "//", "data:"))


def resources(site: Path, page: str) -> tuple[list[Path], list[Path]]:
    """(files of the page load, files search adds)."""
    site = site.resolve()
    html_path = site / page / "index.html"
    parser = Resources()
    parser.feed(html_path.read_text(encoding="utf-8"))
    base = html_path.parent
    load = [html_path] + [(base / url.split("#")[0].split("?")[0]).resolve() for url in parser.urls if local(url)]
    if "navigation.instant" in parser.config.get("features", []):
        load.append(site / "sitemap.xml")
    search = []
    if parser.config.get("search"):
        search = [(base / parser.config["search"]).resolve(), site / "search" / "search_index.json"]
    return list(dict.fromkeys(load)), search


def brotli_size(path: Path) -> int:
    """Bytes on the wire for Accept-Encoding: br: the .br file the build wrote, or the file
    itself where the build wrote none (compression did not pay)."""
    packed = path.with_name(path.name + ".br")
    return packed.stat().st_size if packed.exists() else path.stat().st_size


def first_visit(site: Path, page: str) -> dict:
    site = site.resolve()
    load, search = resources(site, page)
    missing = [str(p) for p in load + search if not p.exists()]
    if missing:
        raise FileNotFoundError(f"{page}: linked files not in the site: {missing}")

    def rows(files):
        return [{"file": str(p.relative_to(site)), "bytes": p.stat().st_size,
                 "brotli_bytes": brotli_size(p)} for p in files]

    load_rows, search_rows = rows(load), rows(search)
    page_load = sum(r["brotli_bytes"] for r in load_rows)
    # The page's frame (what the site adds around the note) and the note itself, as the
    # budget test splits them (harness/frame.py).
    frame, note = split(load[0].read_text(encoding="utf-8"))
    return {"page": page, "files": load_rows, "search_files": search_rows,
            "html_brotli_bytes": load_rows[0]["brotli_bytes"], "page_load_brotli_bytes": page_load,
            "frame_brotli_bytes": frame, "note_brotli_bytes": note,
            "site_brotli_bytes": page_load - load_rows[0]["brotli_bytes"] + frame,
            "with_search_brotli_bytes": page_load + sum(r["brotli_bytes"] for r in search_rows),
            "uncompressed_bytes": sum(r["bytes"] for r in load_rows + search_rows)}


def run(site: Path) -> dict:
    return {"pages": [first_visit(site, page) for page in PAGES]}


def markdown(w: dict) -> str:
    rows = [[f"`/{p['page']}`", kb(p["html_brotli_bytes"]), kb(p["frame_brotli_bytes"]), kb(p["site_brotli_bytes"]),
             kb(p["page_load_brotli_bytes"]), kb(p["with_search_brotli_bytes"]), kb(p["uncompressed_bytes"])]
            for p in w["pages"]]
    first = w["pages"][0]
    files = ", ".join(f'`{f["file"]}` {kb(f["brotli_bytes"])}' for f in first["files"][1:] + first["search_files"])
    return (table(["Page", "HTML (br)", "Its frame (br)", "What the site adds: frame + shared files (br)",
                   "Page load: HTML + CSS + JS + icon + sitemap (br)", "With search: + worker + index (br)",
                   "All of it uncompressed"], rows)
            + f"\nFiles besides the HTML, the same for every page: {files}.\n")
