"""One stylesheet for the whole site, with the rules no page uses dropped.

Guarantees, on any built folder: the stylesheets every page links become one file (PurgeCSS
drops the rules no page or script uses, then Lightning CSS minifies what is left as a whole:
postbuild/purge_css.mjs), named by its purge key (site.<key>.min.css, cached forever by
nginx: other content, other name), linked from every page in their place; the sources and
their source maps go. The step fails if a linked stylesheet does not exist or pages link
different sets.

What PurgeCSS keeps depends only on the stylesheet, the tools' versions, our script, and the
words of the site that a selector could match: the purge key. The result is cached by it,
so an edit that brings no such word (new prose, a new page of ordinary Markdown) does not
run PurgeCSS again.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

from hooks.shared import npm_version, write_atomic
from postbuild import StepError

STYLESHEET_LINK = re.compile(r"<link\b[^>]*\brel=[\"']?stylesheet\b[^>]*>")
HREF = re.compile(r"\bhref=(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))")
SOURCE_MAP = re.compile(r"/\*# sourceMappingURL=[^*]*\*/")
PURGE_SCRIPT = Path(__file__).with_name("purge_css.mjs")
# PurgeCSS's default extractor: the "words" a selector's names are looked up in.
WORD = re.compile(r"[A-Za-z0-9_-]+")
# The value of an attribute selector that matches part of an attribute ([id^="fnref:"]): a
# word containing it may matter too.
PARTIAL_ATTRIBUTE = re.compile(r"\[[^\]=]*[\^$*|~]=\s*[\"']?([^\"'\]]+)")
CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)")


def stylesheet_links(html: str) -> list[tuple[str, str]]:
    """(tag, href) of every stylesheet link, in page order."""
    return [(tag, next(g for g in HREF.search(tag).groups() if g is not None)) for tag in STYLESHEET_LINK.findall(html)]


def site_path(page: Path, href: str, site_dir: Path) -> Path:
    """The file a link names. An absolute link (error pages link so, under the site's own
    path, which this step need not know) names the file its longest existing tail names."""
    if not href.startswith("/"):
        return (page.parent / href).resolve()
    parts = href.strip("/").split("/")
    tails = (site_dir.joinpath(*parts[i:]) for i in range(len(parts)))
    return next((tail.resolve() for tail in tails if tail.is_file()), site_dir / href.lstrip("/"))


def unescaped(css: str) -> str:
    return CSS_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), css)


def purge_key(css: str, texts: list[str], tools: str) -> str:
    """A selector's names are words of the stylesheet's own text, and a partial attribute
    match needs its value inside the word: a word of the pages that is neither leaves the
    result as it is, so it stays out of the key."""
    words: set[str] = set()
    for text in texts:
        words.update(WORD.findall(text))
    names = set(WORD.findall(css)) | set(WORD.findall(unescaped(css)))
    parts = set(PARTIAL_ATTRIBUTE.findall(css))
    relevant = {w for w in words if w in names or any(part in w for part in parts)}
    digest = hashlib.sha256(PURGE_SCRIPT.read_bytes() + css.encode("utf-8") + tools.encode("utf-8"))
    digest.update("\n".join(sorted(relevant)).encode("utf-8"))
    return digest.hexdigest()


def purged(css: str, html: list[str], js: list[str], cached: Path) -> str:
    if not cached.is_file():
        if shutil.which("node") is None:
            raise StepError("node is not installed: `make deps` installs it (Debian package nodejs)")
        done = subprocess.run(["node", str(PURGE_SCRIPT)], input=json.dumps({"css": css, "html": html, "js": js}),
                              capture_output=True, text=True, encoding="utf-8")
        if done.returncode != 0:
            raise StepError(f"{PURGE_SCRIPT.name} failed (did `npm ci` run? `make deps` runs it):\n{done.stderr}")
        write_atomic(cached, done.stdout.encode("utf-8"))
    return cached.read_text(encoding="utf-8")


def one_stylesheet(site_dir: Path, cache: Path) -> None:
    pages = sorted(site_dir.rglob("*.html"))
    html = [page.read_text(encoding="utf-8") for page in pages]
    sources = [site_path(pages[0], href, site_dir) for _, href in stylesheet_links(html[0])]
    if missing := [str(path.relative_to(site_dir)) for path in sources if not path.is_file()]:
        raise StepError(f"stylesheets linked from every page do not exist: {', '.join(missing)} "
                        "(an extra_css entry in mkdocs.yml without its file in docs/?)")
    css = "\n".join(SOURCE_MAP.sub("", path.read_text(encoding="utf-8")) for path in sources)
    js = [path.read_text(encoding="utf-8") for path in sorted((site_dir / "assets" / "javascripts").rglob("*.js"))]
    key = purge_key(css, [*html, *js], f"{npm_version('purgecss')} {npm_version('lightningcss')}")
    bundle = sources[0].with_name(f"site.{key[:8]}.min.css")
    bundle.write_text(purged(css, html, js, cache / f"{key}.css"), encoding="utf-8")
    for page, text in zip(pages, html, strict=True):
        links = stylesheet_links(text)
        if [site_path(page, href, site_dir) for _, href in links] != sources:
            raise StepError(f"{page.relative_to(site_dir)}: links other stylesheets than the others")
        (tag, href), *rest = links
        text = text.replace(tag, tag.replace(href, href[: href.rindex("/") + 1] + bundle.name), 1)
        for other, _ in rest:
            text = text.replace(other, "", 1)
        page.write_text(text, encoding="utf-8")
    for path in sources:
        path.unlink()
        path.with_name(path.name + ".map").unlink(missing_ok=True)
