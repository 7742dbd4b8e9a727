"""The Content-Security-Policy of nginx/site.conf in every page, as a <meta>.

Guarantees, on any built folder:
* every HTML file gets the page policy of site.conf's `$content_security_policy` map as a
  <meta http-equiv> right after its <meta charset> (GitHub Pages cannot send headers),
  minus the directives a <meta> cannot carry;
* the step fails, naming the page and the hash to add, when an inline script is not allowed
  by the policy's script-src hashes, and naming the hash to remove when no page has the
  script it allows (a stale hash widens the policy for nothing).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from postbuild import StepError

SITE_CONF = Path(__file__).resolve().parents[1] / "nginx" / "site.conf"
# Directives a <meta> CSP ignores (and Chromium warns about in the console).
META_UNSUPPORTED = {"frame-ancestors", "report-uri", "report-to", "sandbox"}
INLINE_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S)
CHARSET = re.compile(r"<meta charset=\"?utf-8\"?>", re.I)
# The page policy: the `page` entry of site.conf's $content_security_policy map.
CSP_HEADER = re.compile(r'\$content_security_policy\s*\{[^}]*?\bpage\s+"(?P<policy>[^"]+)"')


def csp_from_nginx(conf: Path = SITE_CONF) -> str:
    match = CSP_HEADER.search(conf.read_text(encoding="utf-8"))
    if not match:
        raise StepError(f"{conf}: no `page` entry in the $content_security_policy map")
    return " ".join(match.group("policy").split())


def directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {name: values for name, *values in parts}


def meta_policy(policy: str) -> str:
    return "; ".join(" ".join([name, *values]) for name, values in directives(policy).items()
                     if name not in META_UNSUPPORTED)


def inline_script_hashes(html: str) -> set[str]:
    hashes = set()
    for match in INLINE_SCRIPT.finditer(html):
        attrs = match.group("attrs")
        # An attribute named src, not one ending in it (data-src): only that makes it external.
        if re.search(r"(?<![\w-])src=", attrs) or re.search(r"(?<![\w-])type=[\"']?application/json", attrs):
            continue  # external files are covered by 'self'; JSON data is never executed
        digest = hashlib.sha256(match.group("body").encode("utf-8")).digest()
        hashes.add("'sha256-" + base64.b64encode(digest).decode() + "'")
    return hashes


def add_policy(site_dir: Path, cache: Path) -> None:
    """The step (`cache` unused: inserting a tag costs less than looking it up)."""
    policy = csp_from_nginx()
    allowed = {v for v in directives(policy).get("script-src", []) if v.startswith("'sha256-")}
    meta = f'<meta http-equiv="Content-Security-Policy" content="{meta_policy(policy)}">'
    missing: dict[str, list[str]] = {}
    used: set[str] = set()
    for page in sorted(site_dir.rglob("*.html")):
        name = page.relative_to(site_dir).as_posix()
        html = page.read_text(encoding="utf-8")
        found = inline_script_hashes(html)
        used |= found
        for digest in found - allowed:
            missing.setdefault(digest, []).append(name)
        # Right after <meta charset>, before any script, so it governs all of them.
        charset = CHARSET.search(html)
        if not charset:
            raise StepError(f"{name}: no <meta charset=\"utf-8\"> to put the CSP <meta> after")
        page.write_text(html[:charset.end()] + "\n      " + meta + html[charset.end():], encoding="utf-8")
    if missing:
        lines = [f"  {digest}  (inline script on {', '.join(pages[:3])}{' …' if len(pages) > 3 else ''})"
                 for digest, pages in sorted(missing.items())]
        raise StepError("nginx/site.conf: the Content-Security-Policy script-src lacks the hash of an inline "
                          "script in the pages. Add to script-src:\n" + "\n".join(lines))
    if stale := sorted(allowed - used):
        raise StepError("nginx/site.conf: the Content-Security-Policy script-src allows inline scripts that "
                          "no page has. Remove from script-src: " + " ".join(stale))
