"""Content-Security-Policy for every page, defined once in nginx/site.conf.

Guarantees:
* every built page and static template (404.html, 500.html) carries the page policy from
  nginx/site.conf's `$content_security_policy` map as a <meta http-equiv> tag (GitHub
  Pages cannot send headers), minus the directives a <meta> cannot carry;
* the build fails, naming the page and the hash to add, when an inline script Material
  writes is not allowed by that policy's script-src hashes, and naming the hash to remove
  when no page has the script it allows (a stale hash widens the policy for nothing).

This hook runs first among the post-processing hooks: minify.py and assets.py see pages
that already carry their policy.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.pages import Page

# Directives a <meta> CSP ignores (and Chromium warns about in the console).
META_UNSUPPORTED = {"frame-ancestors", "report-uri", "report-to", "sandbox"}
INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S)
# The page policy: the `page` entry of site.conf's $content_security_policy map.
CSP_HEADER = re.compile(r'\$content_security_policy\s*\{[^}]*?\bpage\s+"(?P<policy>[^"]+)"')


@dataclass
class Policy:
    """The policy of one build and the inline-script hashes it lacks (hash -> pages)."""

    text: str
    missing: dict[str, list[str]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)


_policy: Policy | None = None
_dirty = False


def on_startup(command: str, dirty: bool) -> None:
    global _dirty
    _dirty = dirty  # `mkdocs serve --dirty` renders only changed pages: no stale-hash check


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


def allowed_hashes(policy: str) -> set[str]:
    return {value for value in directives(policy).get("script-src", []) if value.startswith("'sha256-")}


def with_csp(output: str, name: str, policy: Policy) -> str:
    found = inline_script_hashes(output)
    policy.used |= found
    for digest in found - set(directives(policy.text).get("script-src", [])):
        policy.missing.setdefault(digest, []).append(name)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{meta_policy(policy.text)}">'
    # Right after <meta charset>, before any script, so it governs all of them.
    if '<meta charset="utf-8">' not in output:
        raise PluginError(f"{name}: no <meta charset=\"utf-8\"> to put the CSP <meta> after")
    return output.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n      ' + meta, 1)


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _policy
    _policy = Policy(csp_from_nginx(Path(config.config_file_path).parent))
    return config


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    return with_csp(output, page.file.src_uri, _policy)


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    # 404.html and 500.html are static templates, not pages: same policy, same check.
    if not template_name.endswith(".html"):
        return output_content  # sitemap.xml
    return with_csp(output_content, template_name, _policy)


def on_post_build(config: MkDocsConfig) -> None:
    if _policy.missing:
        lines = [
            f"  {digest}  (inline script on {', '.join(sorted(pages)[:3])}{' …' if len(pages) > 3 else ''})"
            for digest, pages in sorted(_policy.missing.items())
        ]
        raise PluginError(
            "nginx/site.conf: the Content-Security-Policy script-src lacks the hash of an inline "
            "script that Material writes into the pages. Add to script-src:\n" + "\n".join(lines)
        )
    stale = sorted(allowed_hashes(_policy.text) - _policy.used)
    if stale and not _dirty:
        raise PluginError(
            "nginx/site.conf: the Content-Security-Policy script-src allows inline scripts that no "
            "page has. Remove from script-src: " + " ".join(stale)
        )
