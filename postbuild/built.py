"""What a built page says about the site, read from the HTML alone (no engine config), and
the one way the steps make a page of their own from the 404 page's frame."""

from __future__ import annotations

import html as htmlmod
import re
from html.parser import HTMLParser
from pathlib import Path

from postbuild import StepError

# A page's stylesheet link under the site's assets/: its href up to "assets/" is how that
# page addresses the site's root ("../", "", or an absolute URL on the error pages).
ASSETS_HREF = re.compile(r"<link\b[^>]*\bhref=[\"']?([^\"'\s>]*?)assets/[^\"'\s>]*\.css")
HEAD_END = re.compile(r"</head>", re.I)
TITLE = re.compile(r"<title>([^<]*)</title>")
H1 = re.compile(r"<h1\b[^>]*>.*?</h1>", re.S)


class _Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.canonical: str | None = None
        self.site_name: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and self.canonical is None and "canonical" in (values.get("rel") or "").split():
            self.canonical = values.get("href")
        if tag == "meta" and self.site_name is None and values.get("property") == "og:site_name":
            self.site_name = values.get("content")


def _home(site_dir: Path) -> tuple[str, _Head] | None:
    home = site_dir / "index.html"
    if not home.is_file():
        return None
    text = home.read_text(encoding="utf-8")
    parser = _Head()
    parser.feed(text)
    return text, parser


def site_url(site_dir: Path) -> str | None:
    """The site's own address: the home page's canonical link."""
    found = _home(site_dir)
    href = found[1].canonical if found else None
    return href if href and re.match(r"https?://", href) else None


def site_name(site_dir: Path) -> str:
    """The site's name: the home page's og:site_name, else its <title>."""
    found = _home(site_dir)
    if found:
        text, parser = found
        if parser.site_name:
            return parser.site_name.strip()
        if (title := TITLE.search(text)) and title.group(1).strip():
            return htmlmod.unescape(title.group(1)).strip()
    raise StepError("index.html: no og:site_name and no <title> to name the site by")


def root_href(html: str, name: str) -> str:
    """How the page addresses the site's root (see ASSETS_HREF)."""
    match = ASSETS_HREF.search(html)
    if not match:
        raise StepError(f"{name}: no stylesheet link under assets/, so no way to tell where the site's root is "
                        "(the extras loader and the manifest link are written relative to it)")
    return match.group(1)


def from_404_frame(site_dir: Path, title: str, body: str, what: str) -> str:
    """The 404 page with `title` (plain text, before the site's name) and `body` (HTML) in
    place of its heading: the site's own frame, with absolute URLs, so it works at any
    address. `what` names the page in the error when the frame has no <title> or <h1>."""
    frame = (site_dir / "404.html").read_text(encoding="utf-8")
    page, titles = TITLE.subn(lambda _: f"<title>{htmlmod.escape(title)} - {htmlmod.escape(site_name(site_dir))}</title>",
                              frame, count=1)
    page, headings = H1.subn(lambda _: body, page, count=1)
    if not (titles and headings):
        raise StepError(f"404.html: no <title> or <h1> to make the {what} from")
    return page
