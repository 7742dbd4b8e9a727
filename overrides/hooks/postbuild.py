"""Production post-processing, run by every `mkdocs build` (so `make site`, the Dockerfile,
the Pages workflow and the tests all get the same site).

1. Content-Security-Policy. The one policy lives in nginx/site.conf (the server sends it as a
   header). Material inlines a few small scripts; their sha256 hashes must be listed in that
   policy. This hook hashes every inline script of every built page and fails the build,
   naming the page and the hash to add, if one is missing. Because GitHub Pages cannot send
   headers, the same policy (minus the directives a <meta> cannot carry) is also written into
   each page as <meta http-equiv="Content-Security-Policy">.
2. Minified HTML: Jinja's whitespace and attribute quotes go (about 5% of every page after
   brotli); <pre> blocks and inline scripts are left exactly as they are.
3. One stylesheet. Material's two stylesheets and extra_css become one file with the rules
   no page uses dropped (PurgeCSS, overrides/hooks/purge_css.mjs), named by its content
   (site.<hash>.min.css, cached forever by nginx): two requests fewer and about a fifth
   fewer bytes on a first visit.
4. Unused files. With English-only search, Material's worker loads none of the lunr language
   files (1.5 MB, mostly Thai word segmentation); they are removed from the site.
5. Precompression. Text files get .gz (zopfli, the densest gzip) and .br (brotli 11) next to
   them, for nginx's gzip_static / brotli_static: no compression work per request.
   Skipped under `mkdocs serve`, where it would only slow down live reload.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import brotli
import minify_html
import zopfli.gzip
from mkdocs.exceptions import PluginError

# Directives a <meta> CSP ignores (and Chromium warns about in the console).
META_UNSUPPORTED = {"frame-ancestors", "report-uri", "report-to", "sandbox"}
# Source maps (.map) are left out: only developer tools fetch them.
COMPRESSIBLE = {".html", ".css", ".js", ".json", ".xml", ".svg", ".txt"}
INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S)
# The page policy: the `page` entry of site.conf's $content_security_policy map.
CSP_HEADER = re.compile(r'\$content_security_policy\s*\{[^}]*?\bpage\s+"(?P<policy>[^"]+)"')

STYLESHEET_LINK = re.compile(r"<link\b[^>]*\brel=[\"']?stylesheet\b[^>]*>")
HREF = re.compile(r"\bhref=(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))")
SOURCE_MAP = re.compile(r"/\*# sourceMappingURL=[^*]*\*/")
PURGE_SCRIPT = Path(__file__).with_name("purge_css.mjs")

_state: dict = {}


def csp_from_nginx(config_dir: Path) -> str:
    conf = config_dir / "nginx" / "site.conf"
    match = CSP_HEADER.search(conf.read_text(encoding="utf-8"))
    if not match:
        raise PluginError(f"{conf}: no `page` entry in the $content_security_policy map")
    return " ".join(match.group("policy").split())


def directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {name: values for name, *values in parts}


def meta_policy(policy: str) -> str:
    return "; ".join(
        " ".join([name, *values]) for name, values in directives(policy).items() if name not in META_UNSUPPORTED
    )


def inline_script_hashes(html: str) -> set[str]:
    hashes = set()
    for match in INLINE_SCRIPT.finditer(html):
        attrs = match.group("attrs")
        if re.search(r"\bsrc=", attrs) or re.search(r"\btype=[\"']?application/json", attrs):
            continue  # external files are covered by 'self'; JSON data is never executed
        digest = hashlib.sha256(match.group("body").encode("utf-8")).digest()
        hashes.add("'sha256-" + base64.b64encode(digest).decode() + "'")
    return hashes


def on_startup(command, dirty):
    _state["command"] = command


def on_config(config):
    _state["policy"] = csp_from_nginx(Path(config.config_file_path).parent)
    _state["missing"] = {}
    return config


def minified(html: str) -> str:
    return minify_html.minify(html, minify_js=False, minify_css=False, keep_closing_tags=True,
                              keep_html_and_head_opening_tags=True)


def with_csp(output: str, name: str) -> str:
    policy = _state["policy"]
    for digest in inline_script_hashes(output) - set(directives(policy).get("script-src", [])):
        _state["missing"].setdefault(digest, []).append(name)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{meta_policy(policy)}">'
    # Right after <meta charset>, before any script, so it governs all of them.
    if '<meta charset="utf-8">' not in output:
        raise PluginError(f"{name}: no <meta charset=\"utf-8\"> to put the CSP <meta> after")
    return output.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n      ' + meta, 1)


def on_post_page(output, page, config):
    return minified(with_csp(output, page.file.src_uri))


def on_post_template(output_content, template_name, config):
    # 404.html and 500.html are static templates, not pages: same policy, same check.
    if not template_name.endswith(".html"):
        return output_content  # sitemap.xml
    return minified(with_csp(output_content, template_name))


def precompress(site_dir: Path) -> None:
    for path in sorted(site_dir.rglob("*")):
        if path.suffix not in COMPRESSIBLE or not path.is_file():
            continue
        data = path.read_bytes()
        stat = path.stat()
        for suffix, packed in (
            (".gz", zopfli.gzip.compress(data)),
            (".br", brotli.compress(data, quality=11)),
        ):
            target = path.with_name(path.name + suffix)
            if len(packed) >= len(data):
                target.unlink(missing_ok=True)
                continue  # nginx then sends the plain file, which is smaller
            target.write_bytes(packed)
            # Same mtime as the original: Last-Modified and ETag stay stable per content.
            os.utime(target, (stat.st_atime, stat.st_mtime))


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


def bundle_stylesheets(site_dir: Path, base_path: str) -> None:
    pages = sorted(site_dir.rglob("*.html"))
    first = pages[0]
    sources = [site_path(first, href, site_dir, base_path) for _, href in stylesheet_links(first.read_text())]
    missing = [str(path.relative_to(site_dir)) for path in sources if not path.is_file()]
    if missing:
        raise PluginError(f"stylesheets linked from every page do not exist: {', '.join(missing)} "
                          "(an extra_css entry in mkdocs.yml without its file in docs/?)")
    css = "\n".join(SOURCE_MAP.sub("", path.read_text(encoding="utf-8")) for path in sources)
    if shutil.which("node") is None:
        raise PluginError("node is not installed: `make site` installs it (Debian package nodejs)")
    result = subprocess.run(["node", str(PURGE_SCRIPT), str(site_dir)], input=css, capture_output=True,
                            text=True, encoding="utf-8")
    if result.returncode != 0:
        raise PluginError(f"{PURGE_SCRIPT.name} failed (did `npm ci` run? `make site` runs it):\n{result.stderr}")
    digest = hashlib.sha256(result.stdout.encode("utf-8")).hexdigest()[:8]
    bundle = sources[0].with_name(f"site.{digest}.min.css")
    bundle.write_text(result.stdout, encoding="utf-8")
    for page in pages:
        html = page.read_text(encoding="utf-8")
        links = stylesheet_links(html)
        paths = [site_path(page, href, site_dir, base_path) for _, href in links]
        if paths != sources:
            raise PluginError(f"{page.relative_to(site_dir)}: links other stylesheets than the others")
        (tag, href), *rest = links
        html = html.replace(tag, tag.replace(href, href[: href.rindex("/") + 1] + bundle.name), 1)
        for other, _ in rest:
            html = html.replace(other, "", 1)
        page.write_text(html, encoding="utf-8")
    for path in sources:
        path.unlink()
        path.with_name(path.name + ".map").unlink(missing_ok=True)


def on_post_build(config):
    if _state["missing"]:
        lines = [
            f"  {digest}  (inline script on {', '.join(sorted(pages)[:3])}{' …' if len(pages) > 3 else ''})"
            for digest, pages in sorted(_state["missing"].items())
        ]
        raise PluginError(
            "nginx/site.conf: the Content-Security-Policy script-src lacks the hash of an inline "
            "script that Material writes into the pages. Add to script-src:\n" + "\n".join(lines)
        )
    site_dir = Path(config.site_dir)
    search = config.plugins.get("material/search") or config.plugins.get("search")
    if search is not None and list(search.config.lang or ["en"]) == ["en"]:
        shutil.rmtree(site_dir / "assets" / "javascripts" / "lunr", ignore_errors=True)
    if _state.get("command") == "build":
        bundle_stylesheets(site_dir, urlsplit(config.site_url or "/").path)
        precompress(site_dir)
