"""What changed lately: the "Naya kya hai" page and an Atom feed (RFC 4287), from git.

Guarantees, on any built folder (after the stylesheet step, before offline, which lists the
page, and compression):
* a note is every docs/*.md with a built page (<name>/index.html) but the home page and the
  tags index; its title is its built page's <h1>;
* its date is the committer date of the last commit that changed its file
  (`git log -1 --format=%cI`), the same history the pages' "Last update" comes from. A note
  without a commit has no date; without usable history (no .git, no git, a shallow clone:
  hooks/dates.py's test) no note has one, and the page says why instead;
* the kind of change is read from that commit: the file's first commit is a new note; a
  commit whose added lines of the file open a `!!! warning "Correction:` box or carry
  `(editor ne joda)` is a correction or addition; anything else is an update;
* `naya/index.html`: the 404 page's frame (absolute URLs, as offline.html) with the notes
  newest first, then the notes without a date;
* `feed.xml`: one entry per dated note (id and link: its absolute URL under the home page's
  canonical address, so stable while the address is), written only with history and a site
  URL: Atom requires an <updated> date and absolute links, and none is invented;
* every page's head links the feed (<link rel=alternate type=application/atom+xml>),
  relative as the page addresses its stylesheet, when there is one; and every page with a
  "Galti batao" line (postbuild/report.py) links the page in it.
"""

from __future__ import annotations

import html as htmlmod
import re
import subprocess
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from mkdocs.exceptions import PluginError

from hooks.dates import history
from hooks.shared import PROJECT, TAGS_MARKER
from postbuild import StepError
from postbuild.built import HEAD_END, from_404_frame, root_href, site_name, site_url

FEED = "feed.xml"
PAGE = "naya/index.html"
PAGE_LINKS_END = re.compile(r"(?<=</a>)</p>(?=</article>)")  # report.py's line
H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S)
HEADERLINK = re.compile(r"<a\b[^>]*\bheaderlink\b[^>]*>.*?</a>", re.S)  # the permalink's ¶ is no part of the title
# The author's two marks of a fix (README: how a correction is written).
FIX_MARKS = re.compile(r'!!! warning "Correction:|\(editor ne joda\)')
KINDS = {"new": "Naya note", "fix": "Correction / addition", "update": "Update"}


def git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise StepError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def no_history() -> str | None:
    """Why there are no dates (hooks/dates.py's own test, so page dates and these agree)."""
    try:
        return history(PROJECT)
    except PluginError as error:
        raise StepError(str(error)) from error


def change(source: str) -> tuple[str, str] | None:
    """(last commit's date, kind) of docs/<source>, or None when it has no commit."""
    commits = git("log", "--format=%H %cI", "--", f"docs/{source}").split("\n")
    commits = [line.split(" ", 1) for line in commits if line.strip()]
    if not commits:
        return None
    (last, date), (first, _) = commits[0], commits[-1]
    if last == first:
        return date, "new"
    diff = git("diff", f"{last}^", last, "--", f"docs/{source}")
    added = "\n".join(line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
    return date, "fix" if FIX_MARKS.search(added) else "update"


def notes(site_dir: Path) -> list[dict]:
    found = []
    for source in sorted(p.name for p in (PROJECT / "docs").glob("*.md")):
        if source == "index.md" or TAGS_MARKER in (PROJECT / "docs" / source).read_text(encoding="utf-8"):
            continue
        built = site_dir / source[: -len(".md")] / "index.html"
        if not built.is_file():
            continue  # not published (REVIEW.md)
        heading = H1.search(built.read_text(encoding="utf-8"))
        title = htmlmod.unescape(re.sub(r"<[^>]+>", "", HEADERLINK.sub("", heading.group(1)))).strip() if heading else source
        found.append({"source": source, "path": source[: -len(".md")] + "/", "title": title})
    return found


def feed_xml(url: str, name: str, dated: list[dict]) -> str:
    entries = "".join(
        f"<entry><id>{escape(url + n['path'])}</id><title>{escape(n['title'])}</title>"
        f"<link rel=\"alternate\" type=\"text/html\" href={quoteattr(url + n['path'])}/>"
        f"<updated>{n['date']}</updated><summary>{escape(KINDS[n['kind']])}</summary></entry>\n"
        for n in dated)
    return ('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
            f"<id>{escape(url)}</id><title>{escape(name)}: naya kya hai</title>"
            f"<updated>{dated[0]['date']}</updated><author><name>{escape(name)}</name></author>"
            f"<link rel=\"self\" type=\"application/atom+xml\" href={quoteattr(url + FEED)}/>"
            f"<link rel=\"alternate\" type=\"text/html\" href={quoteattr(url + 'naya/')}/>\n{entries}</feed>\n")


def page_body(root: str, dated: list[dict], undated: list[dict], reason: str | None, feed: bool) -> str:
    def item(n: dict) -> str:
        link = f'<a href="{root}{n["path"]}">{htmlmod.escape(n["title"])}</a>'
        if "date" not in n:
            return f"<li>{link}</li>"
        day = datetime.fromisoformat(n["date"])
        return (f'<li data-kind={n["kind"]}>{link} — <time datetime="{n["date"]}">{day:%B} {day.day}, {day.year}</time>'
                f" · {KINDS[n['kind']]}</li>")

    parts = ["<h1 data-notes-changes>Naya kya hai</h1>"]
    if reason:
        parts.append(f"<p data-notes-no-history>Is build ke paas git history nahi hai ({reason}), isliye yahan koi "
                     "date nahi hai: kaunsa note kab badla, ye bina history ke batana jhooth hota. Notes ye hain:</p>")
    else:
        parts.append("<p>Har note ka last real change, git history se (wahi jo page ke neeche \"Last update\" me "
                     "dikhta hai), sabse naya pehle. Naya note = file ka pehla commit; Correction / addition = commit "
                     "ne Correction box ya \"(editor ne joda)\" wali line joda; baaki Update.</p>")
    if feed:
        parts.append(f'<p>Feed reader me follow karo: <a href="{root}{FEED}" type=application/atom+xml>Atom feed</a></p>')
    if dated:
        parts.append("<ol data-notes-dated>" + "".join(item(n) for n in dated) + "</ol>")
    if undated:
        if not reason:
            parts.append("<p>Ye notes abhi commit nahi hue, isliye inki koi date nahi hai:</p>")
        parts.append("<ul data-notes-undated>" + "".join(item(n) for n in undated) + "</ul>")
    return "".join(parts)


def write_feed(site_dir: Path, cache: Path) -> None:
    reason = no_history()
    found = notes(site_dir)
    for note in found if not reason else []:
        if (got := change(note["source"])) is not None:
            note["date"], note["kind"] = got
    dated = sorted((n for n in found if "date" in n), key=lambda n: datetime.fromisoformat(n["date"]), reverse=True)
    undated = [n for n in found if "date" not in n]
    url, name = site_url(site_dir), site_name(site_dir)
    feed = bool(url and dated)  # Atom needs a real <updated> and absolute links: no feed rather than invented ones
    if feed:
        url = url if url.endswith("/") else url + "/"
        (site_dir / FEED).write_text(feed_xml(url, name, dated), encoding="utf-8")

    root = root_href((site_dir / "404.html").read_text(encoding="utf-8"), "404.html")
    page = from_404_frame(site_dir, "Naya kya hai", page_body(root, dated, undated, reason, feed), "Naya kya hai page")
    if url:  # a real page has its address (the 404 frame it comes from has none)
        base = url if url.endswith("/") else url + "/"
        page = re.sub(r"</head>", f"<link href={base}{PAGE.removesuffix('index.html')} rel=canonical></head>", page,
                      count=1)
    (site_dir / PAGE).parent.mkdir(parents=True, exist_ok=True)
    (site_dir / PAGE).write_text(page, encoding="utf-8")

    for built in sorted(site_dir.rglob("*.html")):
        text = built.read_text(encoding="utf-8")
        relative = built.relative_to(site_dir).as_posix()
        here = root_href(text, relative)
        if (line := PAGE_LINKS_END.search(text)) is not None:
            # The page is found where a note's state is shown, next to "Galti batao".
            text = text[: line.start()] + f" · <a href={here}naya/>Naya kya hai</a>" + text[line.start():]
        if feed:
            head = HEAD_END.search(text)
            if not head:
                raise StepError(f"{relative}: no </head> to put the feed link in")
            tag = f"<link href={here}{FEED} rel=alternate type=application/atom+xml>"
            text = text[: head.start()] + tag + text[head.start():]
        built.write_text(text, encoding="utf-8")
