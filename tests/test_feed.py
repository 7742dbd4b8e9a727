"""Issue 28: "Naya kya hai" and the Atom feed (postbuild/feed.py), and "Galti batao"
(postbuild/report.py), on the real build served by nginx:
- the feed is valid Atom (feedparser reads it without a complaint), every committed note is
  an entry dated as `git log -1 --format=%cI` dates its file, with an absolute, stable link;
- the page lists the notes newest first with the same dates; every page's head links the feed;
- each note links a prefilled GitHub issue for itself, from the edit link's repository;
- built without git, the page says so and nothing carries a date.
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import feedparser
from bs4 import BeautifulSoup

from harness.context import copy_context
from harness.nginx import fetch
from harness.pages import NOTES, PAGES, mkdocs_config
from harness.paths import ROOT
from harness.site import make_site


def git_date(source: str) -> str:
    return subprocess.run(["git", "log", "-1", "--format=%cI", "--", f"docs/{source}"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.strip()


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


COMMITTED = {path: source for path, (source, _, _) in NOTES.items() if git_date(source)}


def site_url(site: Path) -> str:
    return soup(site / "index.html").find("link", rel="canonical")["href"]


def check_feed(site: Path, base: str) -> None:
    parsed = feedparser.parse((site / "feed.xml").read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    by_link = {entry.link: entry for entry in parsed.entries}
    assert sorted(by_link) == sorted(base + path for path in COMMITTED), sorted(by_link)
    for path, source in COMMITTED.items():
        entry = by_link[base + path]
        # The id is the page's address: stable while the site's address is.
        assert entry.id == base + path
        assert datetime.fromisoformat(entry.updated) == datetime.fromisoformat(git_date(source)), path
        assert entry.title == NOTES[path][1]
    assert len({entry.id for entry in parsed.entries}) == len(parsed.entries)


def check_page(site: Path, base: str) -> None:
    page = soup(site / "naya" / "index.html")
    items = page.select("[data-notes-dated] > li")
    listed = [urljoin(base + "naya/", item.a["href"]) for item in items]
    newest_first = sorted(COMMITTED, key=lambda path: (datetime.fromisoformat(git_date(COMMITTED[path]))), reverse=True)
    dates = [datetime.fromisoformat(item.time["datetime"]) for item in items]
    assert dates == sorted(dates, reverse=True), dates
    assert sorted(listed) == sorted(base + path for path in COMMITTED)
    for item, url in zip(items, listed, strict=True):
        path = url[len(base):]
        assert datetime.fromisoformat(item.time["datetime"]) == datetime.fromisoformat(git_date(COMMITTED[path]))
        assert item["data-kind"] in ("new", "fix", "update")
    assert [datetime.fromisoformat(git_date(COMMITTED[p])) for p in newest_first] == dates
    assert not page.select("[data-notes-no-history]")


def check_head_links(site: Path, base: str) -> None:
    for path in [*PAGES, "naya/"]:
        link = soup(site / path / "index.html").find("link", rel="alternate", type="application/atom+xml")
        assert link is not None and urljoin(base + path, link["href"]) == base + "feed.xml", f"/{path}: {link}"
    for path in NOTES:  # and the page is found from each note, beside "Galti batao"
        hrefs = [urljoin(base + path, a["href"]) for a in soup(site / path / "index.html").select("[data-notes-page-links] a")]
        assert base + "naya/" in hrefs, f"/{path}: {hrefs}"


def check_report_links(site: Path, base: str, repo: str) -> None:
    for path, (_, title, _) in NOTES.items():
        links = soup(site / path / "index.html").select("a[data-notes-report]")
        assert len(links) == 1 and links[0].get_text(strip=True) == "Galti batao", f"/{path}: {links}"
        url = urlsplit(links[0]["href"])
        assert f"{url.scheme}://{url.netloc}{url.path}" == repo + "/issues/new", url
        query = parse_qs(url.query, strict_parsing=True)
        assert set(query) == {"title", "body"}, query
        assert query["title"] == [f"Galti: {title}"], query["title"]
        (body,) = query["body"]
        assert f"Page: {base}{path}\n" in body and "Kya galat hai?" in body, body
        assert "Sahi kya hai / reference (link)?" in body, body


def test_the_feed_is_valid_atom_with_every_note_at_its_git_date(site):
    check_feed(site, site_url(site))


def test_the_page_lists_the_notes_newest_first(site):
    check_page(site, site_url(site))


def test_every_page_links_the_feed_in_its_head_and_each_note_the_page(site):
    check_head_links(site, site_url(site))


def test_each_note_links_a_prefilled_issue_for_itself(site):
    edit_uri = mkdocs_config()["edit_uri"]
    check_report_links(site, site_url(site), edit_uri.split("/edit/")[0])


def test_nginx_serves_the_feed_as_atom_and_revalidates_it(server):
    status, headers, body = fetch(server.url("/feed.xml"))
    headers = {name.lower(): value for name, value in dict(headers).items()}
    assert status == 200 and headers["content-type"] == "application/atom+xml; charset=utf-8", headers
    assert headers["cache-control"] == fetch(server.url("/sitemap.xml"))[1]["Cache-Control"], headers
    assert feedparser.parse(body).bozo == 0


def test_without_git_history_the_page_says_so_and_dates_nothing(tmp_path):
    project = copy_context(tmp_path / "project")  # no .git, as the Docker build context
    result = make_site(project / "site", project=project)
    assert result.returncode == 0, f"make site failed:\n{result.stdout}\n{result.stderr}"
    site = project / "site"
    page = soup(site / "naya" / "index.html")
    assert "git history nahi hai" in page.select_one("[data-notes-no-history]").get_text()
    assert not page.find("time") and not page.select("[data-notes-dated]")
    assert len(page.select("[data-notes-undated] > li")) == len(NOTES)
    # Atom requires a date per entry: no feed at all rather than invented dates.
    assert not (site / "feed.xml").exists()
    assert not soup(site / "jwt" / "index.html").find("link", type="application/atom+xml")



def test_the_kind_of_change_is_read_from_the_last_commit(tmp_path, monkeypatch):
    """New note = the file's first commit; a commit adding a Correction box or an
    "(editor ne joda)" line = correction / addition; anything else = update."""
    from postbuild import feed

    def commit(message: str, **files: str) -> None:
        for name, text in files.items():
            (tmp_path / "docs" / name).write_text(text, encoding="utf-8")
        env = {"GIT_AUTHOR_NAME": "N", "GIT_AUTHOR_EMAIL": "n@example.invalid", "GIT_COMMITTER_NAME": "N",
               "GIT_COMMITTER_EMAIL": "n@example.invalid", "PATH": "/usr/bin:/bin"}
        for args in (["add", "-A"], ["-c", "commit.gpgsign=false", "commit", "-q", "-m", message]):
            subprocess.run(["git", *args], cwd=tmp_path, env=env, check=True, capture_output=True)

    (tmp_path / "docs").mkdir()
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    commit("notes", **{"a.md": "# A\n", "b.md": "# B\n", "c.md": "# C\n", "d.md": "# D\n"})
    commit("fix b", **{"b.md": '# B\n\n!!! warning "Correction: pehle galat likha tha"\n    Sahi ye hai.\n'})
    commit("add to c", **{"c.md": "# C\n\nEk line aur (editor ne joda).\n"})
    commit("edit d", **{"d.md": "# D\n\nBas wording.\n"})
    monkeypatch.setattr(feed, "PROJECT", tmp_path)
    assert {name: feed.change(name)[1] for name in ("a.md", "b.md", "c.md", "d.md")} == {
        "a.md": "new", "b.md": "fix", "c.md": "fix", "d.md": "update"}
    assert feed.change("missing.md") is None
