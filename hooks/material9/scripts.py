"""Material 9's two scripts as this site ships them (frozen: see README.md beside this file).

* The page script, rebuilt from the installed Material's own sources (its source map holds
  every file) by esbuild (scripts.mjs) without the components this site cannot use
  (LEFT_OUT, with why), with clipboard.js replaced by the browser's Clipboard API
  (REPLACED), and with the lazy search loader (search_lazy.js) in front.
* The search worker: the query prelude (search_worker.js) in front of Material's worker.

Both are named by their content (bundle.<8 hex>.min.js, workers/search.<8 hex>.min.js, so
nginx caches them forever), take the place of Material's in the site and in every page, and
Material's files, their source maps and the lunr language files English-only search never
loads are left out. Guarantees:
* scripts.mjs (esbuild, then SWC's minifier, in one Node process) runs only when an input
  changes: the result is cached by the map, the packages it names, both scripts of ours,
  Material's worker, LEFT_OUT, the replacements, scripts.mjs, esbuild's and SWC's versions;
* the build fails, naming what, if Material's files are not where Material 9 keeps them, if
  the packages in package.json are not the ones Material was built with, if a left-out folder
  no longer exists, or if a page has what a left-out component would mount (the message
  names the line of LEFT_OUT to remove);
* without Node or esbuild, `mkdocs build` fails naming what to install, while the preview
  (`mkdocs serve`) ships our scripts in front of Material's as they are, and says so.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # hooks/, for the shared module
import shared

HERE = Path(__file__).parent
BUILD = HERE / "scripts.mjs"
LAZY = HERE / "search_lazy.js"
PRELUDE = HERE / "search_worker.js"
SCRIPTS = "assets/javascripts"
# Where Material 9 keeps its page script and search worker, each with its source map.
MATERIAL = {"bundle": f"{SCRIPTS}/bundle.*.min.js", "search": f"{SCRIPTS}/workers/search.*.min.js"}
HASHED = re.compile(r"^(bundle|search)\.[0-9a-f]{8}\.min\.js$")
LUNR_LANGUAGES = f"{SCRIPTS}/lunr/"
SOURCE_MAP = re.compile(r"\n//# sourceMappingURL=\S+\s*$")
PACKAGE = re.compile(r'"node_modules/((?:@[^/"]+/)?[^/"]+)/')

# Where a mark must stand to mount a component: inside a start tag, as a whole class name,
# or inside Material's __config script; never in a note's text, where "<" is written "&lt;".
TAG = r'<[a-z][^<>]*\s'
PLACES = {
    "tag": re.compile(TAG),
    "class": re.compile(TAG + r'class="(?:[^"]*\s)?'),
    "pre class": re.compile(r'<pre\s[^<>]*class="(?:[^"]*\s)?'),
    "config": re.compile(r'<script id="__config"[^>]*>[^<]*'),
}
ANNOTATIONS = (("class", "annotate"), ("config", '"content.code.annotate"'))

# Folder (under Material's src/templates/assets/javascripts/) -> the marks that would mount
# it on a rendered page, and why this site has none.
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

# Package -> the file that replaces it in the page script (each file says why).
REPLACED: dict[str, Path] = {"clipboard": HERE / "clipboard.js"}

_command: str | None = None
_names: dict[str, str] = {}  # Material's path of a script -> ours, for this build
_files: dict[str, Path] = {}  # our path -> the file in the cache


def material_files(config: MkDocsConfig) -> dict[str, tuple[Path, str]]:
    """Material's page script and worker (each with its map): file, and path in the site."""
    found = {}
    for kind, pattern in MATERIAL.items():
        for theme_dir in config.theme.dirs:
            hits = [p for p in Path(theme_dir).glob(pattern) if HASHED.match(p.name)]
            if len(hits) == 1 and hits[0].with_name(hits[0].name + ".map").is_file():
                found[kind] = (hits[0], hits[0].relative_to(theme_dir).as_posix())
                break
        else:
            raise PluginError(f"Material's {pattern} with its .map not found in the theme: has a Material "
                              "upgrade moved it? hooks/material9/ is for Material 9 (its README.md)")
    return found


def installed_packages(source_map: bytes) -> bytes:
    """The package.json of every package the map has files of: scripts.mjs compares their
    files with the map's only when it runs, so a change of them must change the cache key."""
    names = sorted({m.group(1) for m in PACKAGE.finditer(source_map.decode("utf-8"))})
    return json.dumps({name: shared.npm_version(name) for name in names}).encode()


def built(material: dict[str, Path]) -> dict[str, bytes]:
    """kind -> our script: from the cache, or from scripts.mjs."""
    source_map = material["bundle"].with_name(material["bundle"].name + ".map")
    inputs = {"map": str(source_map), "worker": str(material["search"]), "prelude": str(PRELUDE), "lazy": str(LAZY),
              "drop": sorted(LEFT_OUT), "replaced": {name: str(path) for name, path in REPLACED.items()}}
    digest = hashlib.sha256(installed_packages(source_map.read_bytes()) + shared.npm_version("esbuild").encode()
                            + shared.npm_version("@swc/core").encode())
    for path in (source_map, material["search"], PRELUDE, LAZY, BUILD, *REPLACED.values()):
        digest.update(path.read_bytes())
    digest.update(json.dumps(inputs["drop"]).encode())
    cached = shared.cache_dir("material9") / digest.hexdigest()
    if not (cached / "search.js").is_file():
        with tempfile.TemporaryDirectory() as out:
            done = subprocess.run(["node", str(BUILD), json.dumps({**inputs, "out": out})],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise PluginError(f"hooks/material9/scripts.mjs failed: {done.stderr.strip()}")
            for kind in ("bundle", "search"):  # search.js last: it marks the entry complete
                shared.write_atomic(cached / f"{kind}.js", (Path(out) / f"{kind}.js").read_bytes())
    return {kind: (cached / f"{kind}.js").read_bytes() for kind in ("bundle", "search")}


def as_shipped(material: dict[str, Path]) -> dict[str, bytes]:
    """The preview without Node: our scripts in front of Material's, as they are."""
    return {kind: (ours.read_text(encoding="utf-8") + "\n" + SOURCE_MAP.sub("\n", material[kind].read_text(
        encoding="utf-8"))).encode("utf-8") for kind, ours in (("bundle", LAZY), ("search", PRELUDE))}


def on_startup(command: str, dirty: bool) -> None:
    global _command
    _command = command


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    found = material_files(config)
    material = {kind: path for kind, (path, _) in found.items()}
    missing = ("no `node` on PATH" if shutil.which("node") is None else
               "node_modules/esbuild is not installed" if shared.npm_version("esbuild") == "missing" else "")
    if missing and _command != "serve":
        raise PluginError(f"hooks/material9/scripts.py builds Material's scripts with esbuild, in Node: {missing}. "
                          "`make deps` installs them (Debian's nodejs, `npm ci`); elsewhere install Node 18.20+ "
                          "and run `npm ci --omit=dev`")
    if missing:
        config.setdefault("preview_skips", {}).setdefault(missing, []).append("Material's page script as shipped")
    scripts = as_shipped(material) if missing else built(material)
    _names.clear()
    _files.clear()
    for kind, data in scripts.items():
        ours = f"{kind}.{hashlib.sha256(data).hexdigest()[:8]}.min.js"
        old = found[kind][1]
        new = f"{old.rsplit('/', 1)[0]}/{ours}"
        cached = shared.cache_dir("material9") / "named" / ours
        if not cached.is_file():
            shared.write_atomic(cached, data)
        _names[old], _files[new] = new, cached
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    english_only = list((config.plugins.get("material/search").config.lang or ["en"])) == ["en"]
    for file in list(files):
        uri = file.dest_uri
        if uri in _names or uri.removesuffix(".map") in _names or (english_only and uri.startswith(LUNR_LANGUAGES)):
            files.remove(file)
    for uri, path in _files.items():
        files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


def marked(output: str, place: str, mark: str) -> bool:
    """Whether the page has `mark` in `place` (PLACES), as a whole word: a search for the
    mark, then a look back to its "<" (a few string searches per page, not a regex each)."""
    start = output.find(mark)
    while start != -1:
        end = start + len(mark)
        whole = end == len(output) or not (output[end].isalnum() or output[end] in "-_")
        if whole and PLACES[place].fullmatch(output, output.rfind("<", 0, start), start):
            return True
        start = output.find(mark, start + 1)
    return False


def pointed(output: str, name: str) -> str:
    """The page checked for left-out components and loading our scripts instead of Material's."""
    if 'id="__config"' not in output:
        return output  # not a Material page (e.g. a sitemap)
    for folder, (marks, why) in LEFT_OUT.items():
        if any(marked(output, place, mark) for place, mark in marks):
            raise PluginError(f"{name}: it uses {folder}, which hooks/material9/scripts.py leaves out of "
                              f"Material's script ({why}); remove that line of LEFT_OUT")
    for old, new in _names.items():
        if old not in output:
            raise PluginError(f"{name}: it does not name Material's {old}; hooks/material9/ is for Material 9")
        output = output.replace(old, new)
    return output


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    return pointed(output, page.file.src_uri)


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    return pointed(output_content, template_name) if template_name.endswith(".html") else output_content
