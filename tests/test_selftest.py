"""Khud se poochho (issue 28): every note ends, just before its "Aage padhein", with 3-5
questions a reader should answer after reading it. The convention (docs/REVIEW.md, marking
convention): one collapsed `??? note "Khud se poochho (editor ne joda)"` box (collapsed, so it
costs the author's-text budget only its title), and in it one collapsed box per question,
`??? note "Sawaal: <question> (editor ne joda)"`, its body the answer and one link
`[... dekho](#anchor)` to the section of the same page that explains it. pymdownx.details makes each a <details>, so the answer opens without JavaScript;
here in Debian's Chromium by keyboard alone, against the production build served by nginx.

Section anchors: a heading's id, or a `{ #id }` section anchor the editors put on a box's
paragraph (several notes have one heading only; the revision page links the same anchors)."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from playwright.sync_api import expect

from harness.advice import reviewed_pages
from harness.browser import AXE_JS, WCAG_TAGS
from harness.pages import NOTES, PAGES
from harness.paths import DOCS

REVISION = next(path for path, (source, *_) in PAGES.items() if "{ data-search-exclude }" in (DOCS / source).read_text())
# Reviewed notes only (docs/REVIEW.md): the questions are editors' additions, written in
# review; an author's new note is not a test failure for having none yet.
QUIZZED = sorted(path for path in NOTES if path != REVISION and PAGES[path][0] in reviewed_pages(DOCS))
GROUP = '??? note "Khud se poochho (editor ne joda)"'
QUESTION = re.compile(r'^    \?\?\? note "Sawaal: (?P<q>\S.*\?) \(editor ne joda\)"$')
SUMMARY = "details.note > summary"
PHONE = {"width": 390, "height": 844}  # a phone held upright, in CSS px


def questions(path: str) -> list[tuple[str, str]]:
    """(question, dedented body) of each Sawaal box of a note's source."""
    lines = (DOCS / PAGES[path][0]).read_text(encoding="utf-8").splitlines()
    found = []
    for number, line in enumerate(lines):
        if match := QUESTION.match(line):
            body = []
            for following in lines[number + 1:]:
                if following.strip() and not following.startswith("        "):
                    break
                body.append(following[8:])
            found.append((match.group("q"), "\n".join(body).strip()))
    return found


def sawaal_boxes(soup: BeautifulSoup) -> list:
    return [s.parent for s in soup.select(SUMMARY) if s.get_text(" ", strip=True).startswith("Sawaal:")]


def test_the_notes_are_known():
    assert len(QUIZZED) >= 8, QUIZZED


@pytest.mark.parametrize("path", QUIZZED)
def test_every_note_asks_3_to_5_questions_in_the_convention(path):
    text = (DOCS / PAGES[path][0]).read_text(encoding="utf-8")
    found = questions(path)
    assert 3 <= len(found) <= 5, f"/{path}: {len(found)} 'Sawaal:' boxes"
    assert text.count("Sawaal:") == len(found), f"/{path}: a 'Sawaal:' outside the convention"
    for question, body in found:
        links = re.findall(r"\]\(#([\w-]+)\)", body)
        assert len(links) == 1, f"/{path}: {question!r} needs exactly one [... dekho](#anchor) link: {body!r}"
        assert re.search(r"\[[^\]]* dekho\]\(#", body), f"/{path}: {question!r}: the link says '... dekho'"
        assert not re.search(r"\bnhi\b", body + question), "the editors write 'nahi'"
        assert len(body.replace(links[0], "")) <= 400, f"/{path}: {question!r}: the answer is two sentences, not a note"
    # Together in one box, last but the further reading.
    assert text.count(GROUP) == 1, f"/{path}: one '{GROUP}'"
    tail = text[text.index(GROUP):]
    top = re.findall(r'^\?\?\? note "([^"]*)"', tail, re.M)
    assert top == ["Khud se poochho (editor ne joda)", "Aage padhein (editor ne joda)"], top
    group = tail[len(GROUP):tail.index('??? note "Aage padhein')]
    assert not re.search(r"^\S", group, re.M), f"/{path}: the questions are inside the Khud se poochho box"
    assert re.findall(r'^    \?\?\? note "(Sawaal: [^"]*)"', group, re.M) == \
        [f"Sawaal: {q} (editor ne joda)" for q, _ in found], f"/{path}: the box holds the questions and nothing else"


@pytest.mark.parametrize("path", QUIZZED)
def test_each_answer_links_a_section_of_its_page(site, path):
    soup = BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article")
    boxes = sawaal_boxes(article)
    assert len(boxes) == len(questions(path)), f"/{path}: {len(boxes)} question boxes built"
    group = next(s.parent for s in article.select(SUMMARY) if s.get_text(" ", strip=True).startswith("Khud se poochho"))
    assert not group.has_attr("open") and all(group in box.parents for box in boxes)
    for box in boxes:
        assert not box.has_attr("open"), "an answer stays hidden until tapped"
        links = [a["href"] for a in box.select("a[href^='#']")]
        assert len(links) == 1, (box.summary.get_text(), links)
        target = article.find(id=links[0][1:])
        assert target is not None, f"/{path}: {links[0]} is no id on the page"
        assert target.name in {"h1", "h2", "h3", "h4", "h5", "h6"} or target.name == "p", (links[0], target.name)
        assert box not in target.parents, f"/{path}: {links[0]} points into its own question"


# ---------------------------------------------------------------------------------------
# In the browser



FOCUSED = """() => { const e = document.activeElement;
  return e && e.matches('details.note > summary') ? e.textContent.trim() : (e ? e.tagName : null); }"""


@pytest.mark.parametrize("path", QUIZZED)
def test_each_question_opens_by_keyboard(open_page, path):
    page = open_page(path, viewport=PHONE)
    expected = len(questions(path))
    assert expected >= 3, f"/{path}: no questions to reach"
    opened = []
    for _ in range(600):  # bounded: a note has well under 600 stops for Tab
        page.keyboard.press("Tab")
        name = page.evaluate(FOCUSED)
        if name == "Khud se poochho (editor ne joda)" or (isinstance(name, str) and name.startswith("Khud se poochho")):
            page.keyboard.press("Enter")  # the group box first, then its questions
            continue
        if not (isinstance(name, str) and name.startswith("Sawaal:")) or name in opened:
            if len(opened) == expected:
                break
            continue
        page.keyboard.press("Enter")
        box = page.locator("details:has(> summary:focus)")
        expect(box).to_have_attribute("open", "")  # Enter opened it, and focus stayed on it
        expect(box.locator("> :not(summary)").first).to_be_visible()
        expect(box.locator("a[href*='#']")).to_be_visible()  # the answer's link to its section
        opened.append(name)
    assert len(opened) == expected, f"/{path}: reached by Tab and opened {len(opened)} of {expected}: {opened}"


# ---------------------------------------------------------------------------------------
# The quiz on the revision page (postbuild/extras/quiz.js)

def test_the_quiz_keeps_its_score_across_a_reload(open_page):
    page = open_page(REVISION, viewport=PHONE)
    page.keyboard.press("Shift")  # a first visit's bundle waits for an interaction
    start = page.get_by_role("button", name="Quiz shuru karo")
    expect(start).to_be_visible()
    start.focus()
    page.keyboard.press("Enter")
    first = page.locator(".notes-quiz__question")
    expect(first).to_be_focused()
    asked = first.text_content()
    assert any(asked == q for path in QUIZZED for q, _ in questions(path)), asked
    page.get_by_role("button", name="Jawab dikhao").click()
    expect(page.locator(".notes-quiz__answer a[href*='#']")).to_be_visible()
    expect(page.get_by_role("button", name="Sahi tha")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".notes-quiz__question")).not_to_have_text(asked)
    page.get_by_role("button", name="Jawab dikhao").click()
    page.get_by_role("button", name="Galat tha").click()
    total = sum(len(questions(path)) for path in QUIZZED)
    expect(page.locator(".notes-quiz__score")).to_have_text(f"Score: 1 sahi, 1 galat ({total} me se 2)")
    stored = page.evaluate("JSON.parse(localStorage.getItem('notes:quiz'))")
    assert sorted(stored["marks"].values()) == ["galat", "sahi"], stored

    page.reload()
    expect(page.locator(".notes-quiz__score")).to_have_text("Score: 1 sahi, 1 galat")
    page.get_by_role("button", name="Quiz jaari rakho").click()
    expect(page.locator(".notes-quiz__question")).not_to_have_text(asked)  # it goes on, not from the start
    expect(page.locator(".notes-quiz__score")).to_have_text(f"Score: 1 sahi, 1 galat ({total} me se 2)")


AXE_RUN = """tags => axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
  .then(r => r.violations.map(v => `${v.id} (${v.impact}): ${v.help} ` + v.nodes.slice(0, 5).map(n => n.target.join(" ")).join(", ")))"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_quiz_is_accessible_on_a_phone(open_page, scheme):
    page = open_page(REVISION, viewport=PHONE, color_scheme=scheme, is_mobile=True, has_touch=True)
    page.keyboard.press("Shift")
    page.get_by_role("button", name="Quiz shuru karo").click()
    page.get_by_role("button", name="Jawab dikhao").click()
    expect(page.locator(".notes-quiz__answer")).to_be_visible()
    wide = page.evaluate("() => [...document.querySelectorAll('.notes-quiz *')].filter(e => e.getBoundingClientRect().right > innerWidth).length")
    assert wide == 0, "the quiz fits 390 px"
    page.evaluate(AXE_JS.read_text())
    violations = page.evaluate(AXE_RUN, WCAG_TAGS)
    assert not violations, f"/{REVISION} ({scheme}, 390 px, quiz open):\n  " + "\n  ".join(violations)
