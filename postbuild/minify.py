"""Minified HTML for every page.

Guarantees: template whitespace and optional attribute quotes go; <pre> blocks and inline
scripts stay byte for byte as they are, so the CSP hashes postbuild/csp.py checked stay
valid. Each result is cached by a hash of the page, this file and minify-html's version.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from pathlib import Path

import minify_html

from hooks.shared import write_atomic


def minify(html: str) -> str:
    return minify_html.minify(html, minify_js=False, minify_css=False, keep_closing_tags=True,
                              keep_html_and_head_opening_tags=True)


def minify_pages(site_dir: Path, cache: Path) -> None:
    salt = Path(__file__).read_bytes() + importlib.metadata.version("minify-html").encode()

    for page in sorted(site_dir.rglob("*.html")):
        html = page.read_bytes()
        cached = cache / f"{hashlib.sha256(salt + html).hexdigest()}.html"
        if not cached.is_file():
            write_atomic(cached, minify(html.decode("utf-8")).encode("utf-8"))
        page.write_bytes(cached.read_bytes())
