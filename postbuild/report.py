""""Galti batao": every page with an edit link gets a link to a prefilled GitHub issue.

Guarantees, on any built folder:
* the repository is the page's own edit link (Material's `<a rel=edit>`, from mkdocs.yml's
  edit_uri `<repo>/edit/<branch>/docs/`, which the Pages workflow sets): no edit link (no
  edit_uri), no report link;
* the link is `<repo>/issues/new?title=...&body=...`, URL-encoded: the title names the page,
  the body gives its address (the canonical link) and asks "Kya galat hai?" and "Sahi kya
  hai / reference (link)?";
* it is a plain link on its own line at the end of the article, after "Last update": nothing is requested
  from GitHub until the reader taps it.
"""

from __future__ import annotations

import html as htmlmod
import re
from pathlib import Path
from urllib.parse import quote

EDIT = re.compile(r"<a\b[^>]*\brel=\"?edit\"?[^>]*>")
EDIT_HREF = re.compile(r"\bhref=\"?(?P<repo>[^\"\s>]+?)/(?:edit|blob)/[^/\"\s>]+/(?P<path>[^\"\s>]+)")
CANONICAL = re.compile(r"<link\b[^>]*\brel=\"?canonical\"?[^>]*>")
HREF = re.compile(r"\bhref=\"?([^\"\s>]+)")
H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S)
HEADERLINK = re.compile(r"<a\b[^>]*\bheaderlink\b[^>]*>.*?</a>", re.S)  # the permalink's ¶ is no part of the title
ARTICLE_END = re.compile(r"</article>")


def issue_url(repo: str, title: str, address: str) -> str:
    body = f"Page: {address}\n\n**Kya galat hai?**\n\n\n**Sahi kya hai / reference (link)?**\n"
    return f"{repo}/issues/new?title={quote('Galti: ' + title, safe='')}&body={quote(body, safe='')}"


def add_report_links(site_dir: Path, cache: Path) -> None:
    for built in sorted(site_dir.rglob("*.html")):
        text = built.read_text(encoding="utf-8")
        edit = EDIT.search(text)
        target = EDIT_HREF.search(edit.group(0)) if edit else None
        if not target:
            continue
        heading = H1.search(text)
        title = htmlmod.unescape(re.sub(r"<[^>]+>", "", HEADERLINK.sub("", heading.group(1)))).strip() if heading else target["path"]
        canonical = CANONICAL.search(text)
        address = HREF.search(canonical.group(0)).group(1) if canonical else target["path"]
        link = f'<a href="{htmlmod.escape(issue_url(target["repo"], title, address))}" data-notes-report>Galti batao</a>'
        end = ARTICLE_END.search(text)
        if end is None:
            continue
        # Its own line after "Last update" (whose .md-source-file line holds the date alone).
        # No <small>: Material dims a <small> to 0.75 opacity, and links fail contrast there;
        # extra.css sizes the line instead.
        text = text[: end.start()] + f"<p data-notes-page-links>{link}</p>" + text[end.start():]
        built.write_text(text, encoding="utf-8")
