"""Search that understands readers: Material's search worker with a query prelude.

Guarantees, for `mkdocs build` and `mkdocs serve`:
* the site's search worker is one file, hooks/search_worker.js (question and filler words,
  misspellings, `--flags`; its header says how) followed by Material's own search worker,
  named by its content (assets/javascripts/workers/search.<8 hex>.min.js, so nginx caches
  it like Material's files and the lazy-search partial recognises it);
* every page and static template (404.html, 500.html) points Material at that worker in
  its __config, and Material's plain worker is not in the site;
* the build fails, naming what, if Material's worker is not found in the theme or a page
  does not name it (a Material upgrade that moved it): never a site whose search silently
  lost the prelude.

Material's index, results and highlighting are untouched: only the worker's query input
changes, through Material's documented worker protocol (tests/test_search.py).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

PRELUDE = Path(__file__).with_name("search_worker.js")
WORKERS = "assets/javascripts/workers"
MATERIAL_WORKER = re.compile(r"^search\.[0-9a-f]{8}\.min\.js$")
SOURCE_MAP = re.compile(r"\n//# sourceMappingURL=\S+\s*$")
# The header comment and whole-line comments of the prelude: for people, not browsers.
HEADER = re.compile(r"\A/\*.*?\*/\n", re.S)
LINE_COMMENT = re.compile(r"^[ \t]*//[^\n]*\n", re.M)


@dataclass
class Worker:
    material: str  # Material's worker file name, as the pages name it
    name: str      # the combined worker's file name
    text: str


_worker: Worker | None = None


def material_worker(config: MkDocsConfig) -> Path:
    """Material's search worker, from the theme's folders (custom_dir first, as MkDocs)."""
    for folder in config.theme.dirs:
        found = sorted(p for p in (Path(folder) / WORKERS).glob("search.*.min.js") if MATERIAL_WORKER.match(p.name))
        if len(found) > 1:
            raise PluginError(f"{folder}/{WORKERS}: more than one search worker: {[p.name for p in found]}")
        if found:
            return found[0]
    raise PluginError(f"Material's search worker ({WORKERS}/search.<hash>.min.js) not found in the theme: "
                      "has a Material upgrade moved it? hooks/search.py needs it")


def combined(material: Path) -> Worker:
    prelude = LINE_COMMENT.sub("", HEADER.sub("", PRELUDE.read_text(encoding="utf-8")))
    text = prelude.rstrip("\n") + "\n" + SOURCE_MAP.sub("\n", material.read_text(encoding="utf-8"))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return Worker(material.name, f"search.{digest}.min.js", text)


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _worker
    _worker = combined(material_worker(config))
    return config


def pointed(output: str, name: str) -> str:
    """The page with its __config naming the combined worker instead of Material's."""
    if 'id="__config"' not in output:
        return output  # not a Material page (e.g. a sitemap)
    old = f"{WORKERS}/{_worker.material}"
    if old not in output:
        raise PluginError(f"{name}: its __config does not name Material's search worker {old}; "
                          "hooks/search.py cannot point it at the prelude")
    return output.replace(old, f"{WORKERS}/{_worker.name}")


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    return pointed(output, page.file.src_uri)


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    return pointed(output_content, template_name) if template_name.endswith(".html") else output_content


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """The combined worker in the site, Material's (and its source map) not."""
    for name in (_worker.material, _worker.material + ".map"):
        file = files.get_file_from_path(f"{WORKERS}/{name}")
        if file is not None:
            files.remove(file)
    files.append(File.generated(config, f"{WORKERS}/{_worker.name}", content=_worker.text))
    return files
