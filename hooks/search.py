"""Search that understands readers: Material's search worker with a query prelude.

Guarantees, for `mkdocs build` and `mkdocs serve`:
* the site's search worker is one file, hooks/search_worker.js (question and filler words,
  misspellings, `--flags`; its header says how) followed by Material's own search worker,
  named by its content (assets/javascripts/workers/search.<8 hex>.min.js, so nginx caches
  it like Material's files and hooks/search_lazy.js recognises it);
* every page and static template (404.html, 500.html) points Material at that worker in
  its __config, and Material's plain worker is not in the site;
* search waits until it is wanted: hooks/search_lazy.js runs in front of Material's
  bundle, in the same file (assets/javascripts/bundle.<8 hex>.min.js, named by its
  content; every page and static template loads it instead of Material's, which is not in
  the site), so it costs no request and no inline script;
* the build fails, naming what, if Material's worker or bundle is not found in the theme
  or a page does not name it (a Material upgrade that moved it): never a site whose search
  silently lost the prelude or loads on every page.

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
LAZY = Path(__file__).with_name("search_lazy.js")
WORKERS = "assets/javascripts/workers"
SCRIPTS = "assets/javascripts"
MATERIAL_WORKER = re.compile(r"^search\.[0-9a-f]{8}\.min\.js$")
MATERIAL_BUNDLE = re.compile(r"^bundle\.[0-9a-f]{8}\.min\.js$")
INDENT = re.compile(r"^[ \t]+", re.M)
SOURCE_MAP = re.compile(r"\n//# sourceMappingURL=\S+\s*$")
# The header comment and whole-line comments of the prelude: for people, not browsers.
HEADER = re.compile(r"\A/\*.*?\*/\n", re.S)
LINE_COMMENT = re.compile(r"^[ \t]*//[^\n]*\n", re.M)


@dataclass
class Script:
    folder: str    # where it is, under site_dir
    material: str  # Material's file name, as the pages name it
    name: str      # the combined file's name
    text: str


_scripts: list[Script] = []


def material_script(config: MkDocsConfig, folder: str, pattern: re.Pattern) -> Path:
    """Material's script in `folder`, from the theme's folders (custom_dir first, as MkDocs)."""
    for theme_dir in config.theme.dirs:
        found = sorted(p for p in (Path(theme_dir) / folder).glob("*.min.js") if pattern.match(p.name))
        if len(found) > 1:
            raise PluginError(f"{theme_dir}/{folder}: more than one {pattern.pattern}: {[p.name for p in found]}")
        if found:
            return found[0]
    raise PluginError(f"Material's {folder}/{pattern.pattern} not found in the theme: "
                      "has a Material upgrade moved it? hooks/search.py needs it")


def combined(folder: str, material: Path, prelude: str) -> Script:
    """`prelude` (comments dropped) followed by Material's script, named by its content."""
    prelude = LINE_COMMENT.sub("", HEADER.sub("", prelude))
    text = prelude.rstrip("\n") + "\n" + SOURCE_MAP.sub("\n", material.read_text(encoding="utf-8"))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    stem = material.name.split(".", 1)[0]
    return Script(folder, material.name, f"{stem}.{digest}.min.js", text)


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _scripts
    lazy = LAZY.read_text(encoding="utf-8")
    _scripts = [
        combined(WORKERS, material_script(config, WORKERS, MATERIAL_WORKER), PRELUDE.read_text(encoding="utf-8")),
        # The page script has no multi-line strings: its indentation can go too.
        combined(SCRIPTS, material_script(config, SCRIPTS, MATERIAL_BUNDLE), INDENT.sub("", lazy)),
    ]
    return config


def pointed(output: str, name: str) -> str:
    """The page loading the combined worker and bundle instead of Material's."""
    if 'id="__config"' not in output:
        return output  # not a Material page (e.g. a sitemap)
    for script in _scripts:
        old = f"{script.folder}/{script.material}"
        if old not in output:
            raise PluginError(f"{name}: it does not name Material's {old}; hooks/search.py cannot "
                              "put the search prelude in front of it")
        output = output.replace(old, f"{script.folder}/{script.name}")
    return output


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    return pointed(output, page.file.src_uri)


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    return pointed(output_content, template_name) if template_name.endswith(".html") else output_content


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """The combined scripts in the site, Material's (and their source maps) not."""
    for script in _scripts:
        for name in (script.material, script.material + ".map"):
            file = files.get_file_from_path(f"{script.folder}/{name}")
            if file is not None:
                files.remove(file)
        files.append(File.generated(config, f"{script.folder}/{script.name}", content=script.text))
    return files
