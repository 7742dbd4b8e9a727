"""Static assets trimmed to what the site uses.

Guarantees, for `mkdocs build` (under `mkdocs serve` only the first applies, so live
reload stays fast and needs no Node: the preview links Material's stylesheets as shipped,
which its startup line says, hooks/compress.py logging it):
* unused search files: with English-only search Material's worker loads none of the lunr
  language files (1.5 MB, mostly Thai word segmentation); they are not in the site;
* no source maps: only developer tools read them, and they carry the theme's sources;
  the scripts' `sourceMappingURL` comments go with them. Both are settled in on_files, so
  MkDocs never copies what would be deleted, and the scripts are final from the start;
* one stylesheet: Material's two stylesheets and extra_css become one file with the rules
  no page uses dropped (PurgeCSS, hooks/purge_css.mjs) and the rest minified again as a
  whole (Lightning CSS merges the rules the three repeat), linked from every page in their
  place. The build fails if a linked stylesheet does not exist or pages link different sets.
  What PurgeCSS keeps depends only on the stylesheet and on the words of the site that the
  stylesheet's selectors could match (with both tools' versions and our script): the purge
  key. The result is cached in .cache/purge/ by that key, so an edit that brings no such
  word (new prose, a new page of ordinary Markdown) does not run PurgeCSS again; and the
  file is named by it (site.<key>.min.css, cached forever by nginx: other content, other
  key), so the pages link their stylesheet, and compress.py compresses them, while PurgeCSS
  is still running. This runs after the other hooks' on_post_build (priority below):
  compress.py has started compressing the files that are final by then (search index,
  scripts, diagrams) meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.files import Files

STYLESHEET_LINK = re.compile(r"<link\b[^>]*\brel=[\"']?stylesheet\b[^>]*>")
HREF = re.compile(r"\bhref=(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))")
SOURCE_MAP = re.compile(r"/\*# sourceMappingURL=[^*]*\*/")
JS_SOURCE_MAP = re.compile(r"\n//# sourceMappingURL=\S+\s*$")
PURGE_SCRIPT = Path(__file__).with_name("purge_css.mjs")
# PurgeCSS's default extractor: the "words" a selector's names are looked up in.
WORD = re.compile(r"[A-Za-z0-9_-]+")
# The value of an attribute selector that matches part of an attribute ([id^="fnref:"]): a
# word containing it may matter too.
PARTIAL_ATTRIBUTE = re.compile(r"\[[^\]=]*[\^$*|~]=\s*[\"']?([^\"'\]]+)")
CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)")

_command: str | None = None


@dataclass
class Purging:
    """The stylesheet the pages link while PurgeCSS makes it."""

    bundle: Path
    sources: list[Path]
    css: Future  # the purged stylesheet


_purging: Purging | None = None


def on_startup(command: str, dirty: bool) -> None:
    global _command
    _command = command


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    if _command == "serve":
        config.setdefault("preview_skips", {}).setdefault("as in every preview", []).append(
            "Material's stylesheets as shipped (not purged)")
    return config


def stylesheet_links(html: str) -> list[tuple[str, str]]:
    """(tag, href) of every stylesheet link, in page order."""
    links = []
    for tag in STYLESHEET_LINK.findall(html):
        match = HREF.search(tag)
        links.append((tag, next(g for g in match.groups() if g is not None)))
    return links


def site_path(page: Path, href: str, site_dir: Path, base_path: str) -> Path:
    if href.startswith("/"):  # 404.html and 500.html link absolutely, under site_url's path
        return (site_dir / href[len(base_path):]).resolve()
    return (page.parent / href).resolve()


def unescaped(css: str) -> str:
    return CSS_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), css)


def tool_versions() -> str:
    """PurgeCSS's and Lightning CSS's versions (node_modules beside mkdocs.yml): an upgrade
    of either misses the cache."""
    modules = Path(__file__).resolve().parent.parent / "node_modules"
    found = []
    for package in ("purgecss", "lightningcss"):
        try:
            found.append(json.loads((modules / package / "package.json").read_text(encoding="utf-8"))["version"])
        except FileNotFoundError:
            found.append("missing")  # the purge then fails, naming the script
    return " ".join(found)


def purge_key(css: str, texts: list[str], tools: str) -> str:
    """What PurgeCSS's result depends on: the stylesheet, the tools (`tools`: their versions)
    and the words in the pages and scripts (`texts`, split as its default extractor splits them)
    that can match a selector. A selector's names are words of the stylesheet's own text,
    and a partial attribute match needs its value inside the word, so a word that is neither
    leaves the result as it is: it stays out of the key."""
    words: set[str] = set()
    for text in texts:
        words.update(WORD.findall(text))
    names = set(WORD.findall(css)) | set(WORD.findall(unescaped(css)))
    parts = set(PARTIAL_ATTRIBUTE.findall(css))
    relevant = {w for w in words if w in names or any(part in w for part in parts)}
    digest = hashlib.sha256(PURGE_SCRIPT.read_bytes() + css.encode("utf-8") + tools.encode("utf-8"))
    digest.update("\n".join(sorted(relevant)).encode("utf-8"))
    return digest.hexdigest()


def run_purge(css: str, html: list[str], js: list[str], cached: Path) -> str:
    result = subprocess.run(["node", str(PURGE_SCRIPT)], input=json.dumps({"css": css, "html": html, "js": js}),
                            capture_output=True, text=True, encoding="utf-8")
    if result.returncode != 0:
        raise PluginError(f"{PURGE_SCRIPT.name} failed (did `npm ci` run? `make site` runs it):\n{result.stderr}")
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(result.stdout, encoding="utf-8")
    return result.stdout


def start_purge(css: str, html: list[str], js: list[str], cached: Path) -> Future:
    """The purged stylesheet: from the cache, or from PurgeCSS in a thread that waits for it."""
    if cached.exists():
        done = Future()
        done.set_result(cached.read_text(encoding="utf-8"))
        return done
    if shutil.which("node") is None:
        raise PluginError("node is not installed: `make site` installs it (Debian package nodejs)")
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="purge")
    try:
        return pool.submit(run_purge, css, html, js, cached)
    finally:
        pool.shutdown(wait=False)


def link_bundle(site_dir: Path, base_path: str, cache: Path) -> Purging:
    """Start the purge and point every page at its result (see the docstring)."""
    pages = sorted(site_dir.rglob("*.html"))
    html = [page.read_text(encoding="utf-8") for page in pages]
    sources = [site_path(pages[0], href, site_dir, base_path) for _, href in stylesheet_links(html[0])]
    missing = [str(path.relative_to(site_dir)) for path in sources if not path.is_file()]
    if missing:
        raise PluginError(f"stylesheets linked from every page do not exist: {', '.join(missing)} "
                          "(an extra_css entry in mkdocs.yml without its file in docs/?)")
    css = "\n".join(SOURCE_MAP.sub("", path.read_text(encoding="utf-8")) for path in sources)
    js = [path.read_text(encoding="utf-8") for path in sorted((site_dir / "assets" / "javascripts").rglob("*.js"))]
    key = purge_key(css, [*html, *js], tool_versions())
    bundle = sources[0].with_name(f"site.{key[:8]}.min.css")
    purging = Purging(bundle, sources, start_purge(css, html, js, cache / f"{key}.css"))
    for page, text in zip(pages, html, strict=True):
        links = stylesheet_links(text)
        paths = [site_path(page, href, site_dir, base_path) for _, href in links]
        if paths != sources:
            raise PluginError(f"{page.relative_to(site_dir)}: links other stylesheets than the others")
        (tag, href), *rest = links
        text = text.replace(tag, tag.replace(href, href[: href.rindex("/") + 1] + bundle.name), 1)
        for other, _ in rest:
            text = text.replace(other, "", 1)
        page.write_text(text, encoding="utf-8")
    return purging


def write_bundle(purging: Purging) -> None:
    purging.bundle.write_text(purging.css.result(), encoding="utf-8")  # a failed purge stops the build here
    for path in purging.sources:
        path.unlink()
        path.with_name(path.name + ".map").unlink(missing_ok=True)


def drop_script_maps(files: Files) -> None:
    for source_map in [f for f in files if f.dest_uri.endswith(".js.map")]:
        script = files.get_file_from_path(source_map.src_uri.removesuffix(".map"))
        if script is not None:
            script.content_string = JS_SOURCE_MAP.sub("\n", script.content_string)
        files.remove(source_map)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    search = config.plugins.get("material/search") or config.plugins.get("search")
    if search is not None and list(search.config.lang or ["en"]) == ["en"]:
        for file in [f for f in files if f.dest_uri.startswith("assets/javascripts/lunr/")]:
            files.remove(file)
    if _command == "build":
        drop_script_maps(files)
    return files


# After the other hooks' post-build steps, compress.py's first one included (priority 0):
# see the docstring. The pages are final after the first step, which compress.py's second
# one (-60) queues while PurgeCSS runs; the stylesheet after the second, before compress.py's
# last step.
@event_priority(-50)
def _link(config: MkDocsConfig) -> None:
    global _purging
    if _command == "build":
        _purging = link_bundle(Path(config.site_dir), urlsplit(config.site_url or "/").path,
                               Path(config.config_file_path).parent / ".cache" / "purge")


@event_priority(-70)
def _write(config: MkDocsConfig) -> None:
    global _purging
    purging, _purging = _purging, None
    if purging is not None:
        write_bundle(purging)


on_post_build = CombinedEvent(_link, _write)


def on_build_error(error: Exception) -> None:
    global _purging
    _purging = None  # a failed build writes no stylesheet (the purge thread ends by itself)
