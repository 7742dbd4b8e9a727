"""Minified HTML for every page and static template.

Guarantees: Jinja's whitespace and optional attribute quotes go (about 5 % of every page
after brotli); <pre> blocks and inline scripts are left byte for byte as they are, so the
CSP hashes computed by csp.py (listed before this hook in mkdocs.yml) stay valid.
"""

from __future__ import annotations

import minify_html
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.pages import Page


def minified(html: str) -> str:
    return minify_html.minify(html, minify_js=False, minify_css=False, keep_closing_tags=True,
                              keep_html_and_head_opening_tags=True)


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    return minified(output)


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    return minified(output_content) if template_name.endswith(".html") else output_content
