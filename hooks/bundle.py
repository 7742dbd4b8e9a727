"""Material's page script without what this site cannot use.

Material ships one script for every site: diagrams drawn in the browser, content tabs,
annotations, a version selector, repository facts, a cookie consent, navigation tabs,
search sharing. This site uses none of them (why, per component: LEFT_OUT), and every
first visit paid for them. This hook builds Material's script again from the installed
Material's own sources (its source map carries every file, so the build follows the pinned
Material exactly; hooks/bundle.mjs, esbuild) without those components, with clipboard.js
replaced by the browser's Clipboard API (REPLACED), and puts it where Material's was: in a
theme folder in front of Material's (as theme.custom_dir is), under Material's own file
name, so hooks/search.py and the pages take it as Material's.

Guarantees:
* the result is cached in .cache/bundle/ by the source map, the installed packages it
  names, LEFT_OUT, the replacements, bundle.mjs and esbuild's version: the build runs
  esbuild only when one of them changes;
* the build fails, naming what, if Material's script or its map is not found, if the
  packages in package.json are not the ones Material was built with, if a left-out folder
  no longer exists, or if a page has what a left-out component would mount (a page that
  uses a feature makes the build say which line of LEFT_OUT to remove, never a site whose
  feature silently does nothing); a left-out component that is called anyway throws;
* esbuild runs in Node, from node_modules: where either is missing (and the script is not
  in the cache), `mkdocs build` (and so `make site`) fails naming what to install, while the
  preview (`mkdocs serve`) uses Material's script as Material ships it and names the skip
  in its startup line (hooks/compress.py logs it, at INFO).

tests/test_budgets.py measures what it saves; tests/test_browser.py and tests/test_visual.py
hold every behaviour and pixel the script has.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page

BUILD = Path(__file__).with_name("bundle.mjs")
SCRIPTS = "assets/javascripts"
MATERIAL_BUNDLE = re.compile(r"^bundle\.[0-9a-f]{8}\.min\.js$")
ESBUILD = "node_modules/esbuild/package.json"
PACKAGE = re.compile(r'"node_modules/((?:@[^/"]+/)?[^/"]+)/')

# Where a mark must stand to mount a component: inside a start tag, as a whole class name,
# or inside Material's __config script; never in a note's text, where "<" is written "&lt;".
# Each is matched against the page from the "<" before the mark up to the mark.
TAG = r'<[a-z][^<>]*\s'
PLACES = {
    "tag": re.compile(TAG),
    "class": re.compile(TAG + r'class="(?:[^"]*\s)?'),
    "pre class": re.compile(r'<pre\s[^<>]*class="(?:[^"]*\s)?'),
    "config": re.compile(r'<script id="__config"[^>]*>[^<]*'),
}
ANNOTATIONS = (("class", "annotate"), ("config", '"content.code.annotate"'))

# Folder (under Material's src/templates/assets/javascripts/) -> the marks that would mount
# it on a rendered page (before hooks/minify.py), and why this site has none.
LEFT_OUT: dict[str, tuple[tuple[tuple[str, str], ...], str]] = {
    "components/content/annotation/block": (ANNOTATIONS, "no annotations: no .annotate, no content.code.annotate"),
    "components/content/annotation/list": (ANNOTATIONS, "the same, in code blocks"),
    "components/content/tabs": ((("tag", "data-tabs"),), "no content tabs: pymdownx.tabbed is not in mkdocs.yml"),
    "components/content/mermaid": (
        (("pre class", "mermaid"),), "hooks/diagrams.py draws every diagram at build time"),
    "integrations/version": (
        (("config", '"version": {'),), "one version of the notes: no extra.version in mkdocs.yml"),
    "components/source": (
        (("tag", 'data-md-component="source"'),), "no repo_url: no repository facts (a GitHub API request)"),
    "components/consent": (
        (("tag", 'data-md-component="consent"'),), "no cookies, no analytics: nothing to consent to"),
    "components/tabs": (
        (("tag", 'data-md-component="tabs"'),), "no navigation.tabs: the notes' sections are in the sidebar"),
    "components/search/share": ((("tag", 'data-md-component="search-share"'),), "no search.share"),
}

# Package -> the file that replaces it in the script (each file says why).
REPLACED: dict[str, Path] = {
    "clipboard": Path(__file__).with_name("clipboard.js"),
}

_command: str | None = None  # "serve": the preview, which may keep Material's script as shipped


def material_bundle(config: MkDocsConfig) -> Path:
    """Material's own page script, with its source map beside it (the rebuilt one, in the
    folder this hook puts in front, has no map: on `mkdocs serve`'s rebuilds it is skipped)."""
    for theme_dir in config.theme.dirs:
        found = [p for p in (Path(theme_dir) / SCRIPTS).glob("bundle.*.min.js") if MATERIAL_BUNDLE.match(p.name)]
        if len(found) == 1 and found[0].with_name(found[0].name + ".map").exists():
            return found[0]
    raise PluginError(f"Material's {SCRIPTS}/bundle.<hash>.min.js with its .map not found in the theme: "
                      "has a Material upgrade moved it? hooks/bundle.py needs both")


def esbuild_version(root: Path) -> str:
    return json.loads((root / ESBUILD).read_text(encoding="utf-8"))["version"]


def on_startup(command: str, dirty: bool) -> None:
    global _command
    _command = command


def without(config: MkDocsConfig, node: bool, esbuild: bool) -> MkDocsConfig:
    """Node or esbuild missing: in the preview, Material's script as shipped (noted for the
    startup line, Node first); in a build, the error naming what to install."""
    missing = [name for name, there in (("no `node` on PATH", node), ("node_modules/esbuild is not installed", esbuild))
               if not there]
    if _command == "serve":
        config.setdefault("preview_skips", {}).setdefault(missing[0], []).append("Material's page script as shipped")
        return config
    raise PluginError(f"hooks/bundle.py builds Material's script with esbuild, in Node: {' and '.join(missing)}. "
                      "`make deps` installs them (Debian's nodejs, `npm ci`); elsewhere install Node 18.20+ "
                      "and run `npm ci --omit=dev`")


def installed_packages(root: Path, source_map: bytes) -> bytes:
    """The package.json of every package the map has files of: bundle.mjs compares their
    files with the map's only when it runs, so a change of them must change the cache key."""
    names = sorted({m.group(1) for m in PACKAGE.finditer(source_map.decode("utf-8"))})
    return b"\0".join(name.encode() + b"\0" + ((root / "node_modules" / name / "package.json").read_bytes()
                      if (root / "node_modules" / name / "package.json").exists() else b"missing")
                      for name in names)


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    root = Path(config.config_file_path).parent
    material = material_bundle(config)
    node = shutil.which("node") is not None
    if not (root / ESBUILD).is_file():
        return without(config, node, esbuild=False)
    source_map = material.with_name(material.name + ".map")
    map_bytes = source_map.read_bytes()
    left_out = json.dumps(sorted(LEFT_OUT))
    replaced = json.dumps({name: str(path) for name, path in sorted(REPLACED.items())})
    key = hashlib.sha256(b"\0".join([
        map_bytes, installed_packages(root, map_bytes), BUILD.read_bytes(), esbuild_version(root).encode(),
        left_out.encode(), *(name.encode() + b"\0" + path.read_bytes() for name, path in sorted(REPLACED.items())),
    ])).hexdigest()
    theme_dir = root / ".cache" / "bundle" / key
    output = theme_dir / SCRIPTS / material.name
    if not output.exists() and not node:  # esbuild would run: Node is needed
        return without(config, node, esbuild=True)
    if not output.exists():
        # Written beside the theme folder, not in it, and apart per process: a build running
        # at the same time never lists a half-written file as a theme file.
        tmp = theme_dir.with_name(f"{key}.{os.getpid()}.tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["node", str(BUILD), str(source_map), str(tmp), left_out, replaced],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise PluginError(f"hooks/bundle.mjs failed: {done.stderr.strip()}")
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp.replace(output)
    # In front of Material's folder, as custom_dir is: Material's script is this one now.
    if str(theme_dir) not in config.theme.dirs:
        config.theme.dirs.insert(0, str(theme_dir))
    return config


def marked(output: str, place: str, mark: str) -> bool:
    """Whether the page has `mark` in `place` (PLACES), as a whole word. A search for the
    mark, then a look back to its "<": every page pays a few string searches, not a regex
    over the whole page per component."""
    start = output.find(mark)
    while start != -1:
        end = start + len(mark)
        whole = end == len(output) or not (output[end].isalnum() or output[end] in "-_")
        if whole and PLACES[place].fullmatch(output, output.rfind("<", 0, start), start):
            return True
        start = output.find(mark, start + 1)
    return False


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    for folder, (marks, why) in LEFT_OUT.items():
        if any(marked(output, place, mark) for place, mark in marks):
            raise PluginError(f"{page.file.src_uri}: it uses {folder}, which hooks/bundle.py leaves out of "
                              f"Material's script ({why}); remove that line of LEFT_OUT")
    return output
