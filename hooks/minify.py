"""Minified HTML for every page and static template.

Guarantees: Jinja's whitespace and optional attribute quotes go (about 5 % of every page
after brotli); <pre> blocks and inline scripts are left byte for byte as they are, so the
CSP hashes computed by csp.py (listed before this hook in mkdocs.yml) stay valid.

Work follows what changed: each result is cached by a hash of the page and of this file in
.cache/minify/ (outside site/), so an unchanged page is read back, not minified again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import threading
from pathlib import Path

import minify_html
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.pages import Page

_cache: Path | None = None
_salt: bytes = b""  # this file and minify-html's version: a change of either misses the cache


def minify(html: str) -> str:
    return minify_html.minify(html, minify_js=False, minify_css=False, keep_closing_tags=True,
                              keep_html_and_head_opening_tags=True)


def minified(html: str) -> str:
    if _cache is None:
        return minify(html)
    cached = _cache / f"{hashlib.sha256(_salt + html.encode('utf-8')).hexdigest()}.html"
    try:
        return cached.read_bytes().decode("utf-8")
    except FileNotFoundError:
        pass
    out = minify(html)
    _cache.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f"{cached.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    tmp.write_bytes(out.encode("utf-8"))
    tmp.replace(cached)
    return out


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _cache, _salt
    _cache = Path(config.config_file_path).parent / ".cache" / "minify"
    _salt = hashlib.sha256(Path(__file__).read_bytes() + importlib.metadata.version("minify-html").encode()).digest()
    return config


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    return minified(output)


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    return minified(output_content) if template_name.endswith(".html") else output_content
