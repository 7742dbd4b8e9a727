"""Revision progress (postbuild/extras/progress.js), as a reader uses it, in Debian's Chromium
against the production build served by the project's nginx.

A reader marks a note as revised on the note (by keyboard, by tap) or on the revision page;
the note, its nav entry (sidebar and phone drawer) and its home-page card then say so, after a
reload and after instant navigation; "Progress saaf karo" clears it, and "Wapas lao" undoes
that. It lives in this browser alone, under a `notes:` key, keyed by the note's path below
the site root (also under the Pages sub-path). The controls are real buttons with a pressed
state and the note's name, pass axe in both schemes at 390 px and on a desktop, and a first
visit that only looks never runs or stores any of it.

The pages are found from the nav (harness/pages.py): the revision page is the one whose
topics are `{ data-search-exclude }` headings (README, "Reviewing a note"); the notes are the
rest of the home page's cards. Screenshots go to tests/output/progress/."""

from __future__ import annotations

import re
import time

import pytest

from harness.browser import AXE_JS, WCAG_TAGS
from harness.pages import NOTES, PAGES
from harness.paths import DOCS, ROOT

SHOTS = ROOT / "tests" / "output" / "progress"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}  # a phone held upright, in CSS px
SCHEMES = {"light": "default", "dark": "slate"}

REVISION = next(path for path, (source, *_) in PAGES.items() if "{ data-search-exclude }" in (DOCS / source).read_text())
# The notes a reader marks: the home page's cards but the revision page.
MARKABLE = [path for path in NOTES if path != REVISION]
NOTE, OTHER = MARKABLE[len(MARKABLE) // 2], MARKABLE[0]  # a note in mid-nav, and another

TOGGLE = "button.notes-progress-toggle"
KEY = "notes:progress"


def h1(path: str) -> str:
    return PAGES[path][1]


def nav_name(path: str) -> str:
    return PAGES[path][2]


# ---------------------------------------------------------------------------------------
# Fixtures and helpers



def wake(page) -> None:
    """A first visit's bundle waits for an interaction: a key that does nothing else."""
    page.keyboard.press("Shift")


def toggles(page, path: str):
    """The note's toggles on the page shown (under its title and at its end, or its topic's)."""
    return page.get_by_role("button", name=re.compile(r"^Revise ho gaya: " + re.escape(h1(path)) + "$"))


def topic_toggle(page, topic: str):
    return page.get_by_role("button", name=f"Revise ho gaya: {topic}", exact=True)


def pressed(locator) -> list[str]:
    return [locator.nth(i).get_attribute("aria-pressed") for i in range(locator.count())]


def wait_pressed(locator, value: str) -> None:
    locator.first.wait_for(timeout=10_000)
    for _ in range(50):  # bounded: the state follows a click within a frame or two
        if set(pressed(locator)) == {value}:
            return
        locator.page.wait_for_timeout(100)
    assert set(pressed(locator)) == {value}, pressed(locator)


def wait_for_h1(page, text: str) -> None:
    page.wait_for_function(
        "text => { const h = document.querySelector('article h1');"
        "          return h && h.innerText.replace('¶', '').trim() === text; }", arg=text, timeout=10_000)


def go_instantly(page, server_root: str, path: str, where: str = ".md-nav--primary a.md-nav__link") -> None:
    """Click a link to `path` the way a reader does, and prove it was instant navigation (no
    new document: a value set on the window survives)."""
    page.evaluate("() => { window.__sameDocument = true; }")
    target = server_root + path
    page.locator(where).evaluate_all(
        "(links, target) => links.find(a => a.href.split('#')[0] === target).click()", target)
    page.wait_for_url(re.compile(re.escape(target) + "(#.*)?$"))
    wait_for_h1(page, h1(path))
    assert page.evaluate("() => window.__sameDocument === true"), "the click loaded a new document"


def links_to(page, scope: str, path: str):
    """The links under `scope` to the page at `path`, however the page writes them (relative
    on a first load, absolute after instant navigation), marked for a locator."""
    page.evaluate("""([scope, url]) => { document.querySelectorAll('[data-test-link]').forEach(a => a.removeAttribute('data-test-link'));
      document.querySelectorAll(scope).forEach(a => { if (a.href.split('#')[0] === url) a.setAttribute('data-test-link', ''); }); }""",
                  [scope, page.evaluate("() => new URL(window.__md_scope).href") + path])
    return page.locator("[data-test-link]")


def nav_says_done(page, path: str, done: bool) -> None:
    """The note's nav entry: its name and, when done, "(revise ho gaya)" to a screen reader
    and a tick to the eye."""
    page.locator("[data-notes-progress]").first.wait_for(state="attached", timeout=10_000)  # the bundle ran
    link = links_to(page, ".md-nav--primary a.md-nav__link:not(.md-nav--secondary a)", path)
    assert link.count() == 1
    name = re.compile(r"^\s*" + re.escape(nav_name(path)) + (r"\s*\(revise ho gaya\)\s*$" if done else r"\s*$"))
    assert page.locator(".md-nav--primary").get_by_role("link", name=name, include_hidden=True).count() >= 1
    assert link.locator(".notes-progress-check").count() == (1 if done else 0)


def card(page, path: str):
    return page.locator(".grid.cards li").filter(has=links_to(page, ".grid.cards a[href]", path))


def stored(page) -> dict:
    """localStorage but Material's own keys ("<scope path>.__palette")."""
    return page.evaluate("""() => Object.fromEntries(Object.keys(localStorage)
        .filter(k => !/^\\/.*\\.__/.test(k)).map(k => [k, localStorage.getItem(k)]))""")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


AXE_RUN = """tags => axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
  .then(r => r.violations.map(v => `${v.id} (${v.impact}): ${v.help}\\n      ` +
        v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary.replace(/\\s+/g, " ").slice(0, 200))
         .join("\\n      ")))"""


def axe_violations(page) -> list[str]:
    """As tests/test_browser.py: axe through the DevTools protocol, the page's CSP intact."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text())
    return page.evaluate(AXE_RUN, WCAG_TAGS)


FOCUS_RING = """() => { const el = document.activeElement; const s = getComputedStyle(el);
  return el.matches(':focus-visible') && s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0; }"""


# ---------------------------------------------------------------------------------------
# Marking a note

def test_mark_by_keyboard_then_reload_and_navigate_instantly(open_page, server):
    page = open_page(NOTE, color_scheme="light")
    root = server.url("/")
    # Tab from the top of the page to the note's first toggle (the first Tab also wakes the
    # bundle): bounded by the page's controls.
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('button.notes-progress-toggle')"):
            break
    focused = page.evaluate("() => [document.activeElement.getAttribute('aria-label'),"
                            "       document.activeElement.getAttribute('aria-pressed')]")
    assert focused == [f"Revise ho gaya: {h1(NOTE)}", "false"], focused
    assert page.evaluate(FOCUS_RING), "the toggle has no visible focus ring"
    shot(page, "note-focused-desktop-light")
    page.keyboard.press("Enter")
    wait_pressed(toggles(page, NOTE), "true")  # both of the note's toggles
    page.keyboard.press("Space")
    wait_pressed(toggles(page, NOTE), "false")
    page.keyboard.press("Enter")
    wait_pressed(toggles(page, NOTE), "true")
    nav_says_done(page, NOTE, True)
    assert list(stored(page)) == [KEY] and f'"{NOTE}"' in stored(page)[KEY], stored(page)
    shot(page, "note-marked-desktop-light")

    # A reload: a returning reader's bundle loads without any interaction.
    page.reload()
    wait_pressed(toggles(page, NOTE), "true")
    nav_says_done(page, NOTE, True)

    # Instant navigation: to another note (not done), then home (its card says done), and back.
    go_instantly(page, root, OTHER)
    wait_pressed(toggles(page, OTHER), "false")
    nav_says_done(page, NOTE, True)
    nav_says_done(page, OTHER, False)
    go_instantly(page, root, "")
    badge = card(page, NOTE).locator(".notes-progress-badge")
    badge.wait_for(timeout=10_000)
    assert badge.inner_text().strip() == "Revise ho gaya"
    assert card(page, OTHER).locator(".notes-progress-badge").count() == 0
    assert "1 note revise ho gaya." in page.locator(".notes-progress-summary [role=status]").inner_text()
    go_instantly(page, root, NOTE)
    wait_pressed(toggles(page, NOTE), "true")


def test_mark_by_tap_on_a_phone(open_page, server):
    page = open_page(NOTE, viewport=PHONE, is_mobile=True, has_touch=True, color_scheme="dark")
    page.locator("article h1").tap()  # a reader's first touch wakes the bundle
    end = toggles(page, NOTE).last
    end.wait_for(timeout=10_000)
    end.scroll_into_view_if_needed()
    box = end.bounding_box()
    assert box["height"] >= 24 and box["width"] >= 24, box  # a thumb's target
    end.tap()
    wait_pressed(toggles(page, NOTE), "true")
    shot(page, "note-end-marked-phone-dark")
    # The phone drawer: the page's own entry is a label that opens its table of contents, or
    # its plain link when the note has no headings to list.
    page.locator("label.md-header__button[for=__drawer]").tap()
    page.wait_for_function("() => document.getElementById('__drawer').checked")
    page.wait_for_timeout(400)  # the slide-in
    entry = page.locator(".md-nav--primary label.md-nav__link[for=__toc]")
    if not entry.count():
        entry = page.locator(".md-nav--primary a.md-nav__link--active:not(.md-nav--secondary *)")
    assert re.fullmatch(re.escape(nav_name(NOTE)) + r"\s*\(revise ho gaya\)", entry.inner_text().strip()), \
        entry.inner_text()
    assert entry.locator(".notes-progress-check").is_visible()
    shot(page, "drawer-phone-dark")
    page.reload()
    wait_pressed(toggles(page, NOTE), "true")
    toggles(page, NOTE).first.tap()  # and off again, by tap
    wait_pressed(toggles(page, NOTE), "false")
    assert stored(page) == {}, "nothing done is nothing stored"


# ---------------------------------------------------------------------------------------
# The revision page

def revision_topics(page) -> list[str]:
    return page.evaluate("""() => [...document.querySelectorAll('article h2[data-search-exclude]')]
        .map(h => h.textContent.replace('¶', '').replace(/\\s+/g, ' ').trim())""")


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_mark_from_the_revision_page_shows_on_the_note(open_page, server, size):
    options = {"viewport": PHONE, "is_mobile": True, "has_touch": True} if size == "phone" else {}
    page = open_page(REVISION, **options)
    root = server.url("/")
    wake(page)
    topics = revision_topics(page)
    assert len(topics) >= 8, topics
    for topic in topics:  # one toggle per topic, named after it
        topic_toggle(page, topic).wait_for(timeout=10_000)
    assert page.locator(TOGGLE).count() == len(topics)
    if size == "phone":
        # The toggles sit beside their headings: each topic still fits one phone screen.
        heights = page.evaluate("""() => { const hs = [...document.querySelectorAll('article h2')];
          const screen = innerHeight - document.querySelector('header').offsetHeight;
          const end = document.querySelector('article').getBoundingClientRect().bottom;
          return hs.map((h, i) => [h.textContent, Math.round((hs[i + 1] ? hs[i + 1].getBoundingClientRect().top : end)
                                                       - h.getBoundingClientRect().top), screen]); }""")
        assert all(height <= screen for _, height, screen in heights), heights
    topic = topics[1]
    button = topic_toggle(page, topic)
    button.scroll_into_view_if_needed()
    if size == "phone":
        button.tap()
    else:
        button.click()
    wait_pressed(button, "true")
    assert [t for t in topics if topic_toggle(page, t).get_attribute("aria-pressed") == "true"] == [topic]
    shot(page, f"revision-marked-{size}")
    # The topic's first link leads into its note, instantly: marked there too.
    index = page.evaluate("""topic => {
      const h = [...document.querySelectorAll('article h2[data-search-exclude]')]
        .find(h => h.textContent.replace('¶', '').replace(/\\s+/g, ' ').trim() === topic);
      return [...document.querySelectorAll('article a[href]')]
        .findIndex(a => !h.contains(a) && (h.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING)); }""", topic)
    section_link = page.locator("article a[href]").nth(index)
    href = section_link.evaluate("a => a.href.split('#')[0]")
    path = href[len(root):]
    assert path in MARKABLE, href
    page.evaluate("() => { window.__sameDocument = true; }")
    if size == "phone":
        section_link.tap()
    else:
        section_link.click()
    wait_for_h1(page, h1(path))
    assert page.evaluate("() => window.__sameDocument === true")
    wait_pressed(toggles(page, path), "true")
    if size == "desktop":
        nav_says_done(page, path, True)
    page.go_back()  # the browser's back button: instant too
    wait_for_h1(page, h1(REVISION))
    wait_pressed(topic_toggle(page, topic), "true")
    # The progress line at the page's end counts the topics.
    assert page.locator(".notes-progress-summary [role=status]").inner_text() == \
        f"{len(topics)} me se 1 topic revise ho gaya."


# ---------------------------------------------------------------------------------------
# Clearing, with an undo

def test_clear_progress_and_undo(open_page, server):
    page = open_page(REVISION)
    root = server.url("/")
    wake(page)
    topics = revision_topics(page)
    for topic in topics[:2]:
        topic_toggle(page, topic).click()
        wait_pressed(topic_toggle(page, topic), "true")
    go_instantly(page, root, "")
    badges = page.locator(".grid.cards .notes-progress-badge")
    badges.first.wait_for(timeout=10_000)
    assert badges.count() == 2
    status = page.locator(".notes-progress-summary [role=status]")
    assert status.inner_text() == "2 notes revise ho gaye."
    clear = page.get_by_role("button", name="Progress saaf karo")
    clear.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.textContent === 'Wapas lao'")  # focus goes to the undo
    assert status.inner_text() == "Progress saaf ho gaya."
    assert badges.count() == 0 and stored(page) == {}
    assert not clear.is_visible()
    shot(page, "home-cleared-desktop")
    page.keyboard.press("Enter")  # "Wapas lao"
    page.wait_for_function("() => document.activeElement.textContent === 'Progress saaf karo'")
    assert badges.count() == 2 and status.inner_text() == "2 notes revise ho gaye."
    assert page.get_by_role("button", name="Wapas lao").is_hidden()
    # Cleared from the revision page's own line this time; a reload finds nothing.
    go_instantly(page, root, REVISION)
    page.get_by_role("button", name="Progress saaf karo").click()
    assert all(topic_toggle(page, t).get_attribute("aria-pressed") == "false" for t in topics)
    page.reload()
    wake(page)
    topic_toggle(page, topics[0]).wait_for(timeout=10_000)
    assert set(pressed(page.locator(TOGGLE))) == {"false"}
    assert stored(page) == {}


# ---------------------------------------------------------------------------------------
# Accessible, in both schemes, on a phone and a desktop

@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_controls_are_accessible(open_page, server, scheme, size):
    options = {"viewport": PHONE, "is_mobile": True, "has_touch": True} if size == "phone" else {}
    page = open_page(NOTE, color_scheme=scheme, **options)
    root = server.url("/")
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == SCHEMES[scheme]
    wake(page)
    toggles(page, NOTE).first.click()
    wait_pressed(toggles(page, NOTE), "true")
    for path in (NOTE, REVISION, ""):
        if path != NOTE:
            go_instantly(page, root, path)
        page.locator("[data-notes-progress=toggle], [data-notes-progress=summary]").first.wait_for(timeout=10_000)
        violations = axe_violations(page)
        assert not violations, f"/{path} ({scheme}, {size}):\n  " + "\n  ".join(violations)
        # Styled (the extras stylesheet is there after instant navigation too): buttons look
        # like buttons, and the nav's words for screen readers take no room.
        looks = page.evaluate("""() => [...document.querySelectorAll('[data-notes-progress=toggle], .notes-progress-clear')]
          .filter(b => b.getClientRects().length).map(b => getComputedStyle(b).borderTopStyle)""")
        sheets = page.evaluate("() => [...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href)")
        assert looks and set(looks) == {"solid"}, (path, looks, sheets)
        assert page.evaluate("""() => [...document.querySelectorAll('.md-nav--primary .notes-progress-hidden')]
          .every(e => e.getBoundingClientRect().width <= 1)""")
        # Nothing wider than the screen.
        width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
        assert width <= page.viewport_size["width"], (path, width)
        target = {NOTE: ".notes-progress-toggle--top", REVISION: ".notes-progress-topic",
                  "": ".grid.cards li:has(.notes-progress-badge)"}[path]
        page.locator(target).first.scroll_into_view_if_needed()
        shot(page, f"{path.strip('/') or 'home'}-{scheme}-{size}")
    # Every control of ours is reached by Tab with a visible focus ring (on the home page).
    ours = page.locator(".notes-progress-summary button:visible").count()
    assert ours == 1
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('.notes-progress-clear')"):
            break
    assert page.evaluate(FOCUS_RING), "Progress saaf karo has no visible focus ring"
    shot(page, f"home-clear-focused-{scheme}-{size}")


# ---------------------------------------------------------------------------------------
# Offline

def test_marking_works_offline(open_page, server):
    """With the notes saved for offline (the offline module's "save all" on the home page), a
    reader with no network marks a note; the nav and the home card follow, and a reload
    (from the service worker's cache) keeps it."""
    page = open_page("")
    root = server.url("/")
    wake(page)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
    page.locator("[data-notes-offline-save]").click()
    page.wait_for_function("() => ['done', 'failed'].includes("
                           "document.querySelector('[data-notes-offline-status]')?.dataset.state)", timeout=120_000)
    assert page.locator("[data-notes-offline-status]").get_attribute("data-state") == "done"
    page.context.set_offline(True)
    go_instantly(page, root, NOTE)
    toggles(page, NOTE).last.click()
    wait_pressed(toggles(page, NOTE), "true")
    nav_says_done(page, NOTE, True)
    go_instantly(page, root, "")
    card(page, NOTE).locator(".notes-progress-badge").wait_for(timeout=10_000)
    page.goto(root + NOTE)  # a full load, from the cache
    wait_pressed(toggles(page, NOTE), "true")
    # Offline the browser reports the requests it could not send; nothing else may go wrong.
    page.watch.errors = [e for e in page.watch.errors if "ERR_INTERNET_DISCONNECTED" not in e]
    page.context.set_offline(False)


# ---------------------------------------------------------------------------------------
# Under the Pages sub-path, and what a first visit costs

def test_progress_is_keyed_below_the_site_root_under_a_sub_path(open_page, pages_base):
    page = open_page(pages_base + NOTE)
    wake(page)
    toggles(page, NOTE).first.click()
    wait_pressed(toggles(page, NOTE), "true")
    keys = page.evaluate("() => Object.keys(JSON.parse(localStorage.getItem('notes:progress')))")
    assert keys == [NOTE], keys  # "jwt/", not "backend-notes/jwt/"
    nav_says_done(page, NOTE, True)
    go_instantly(page, pages_base, "")
    card(page, NOTE).locator(".notes-progress-badge").wait_for(timeout=10_000)


def test_a_first_visit_that_only_looks_stores_nothing(open_page, server):
    """The progress code runs only in the lazy bundle, and reading is not marking: a reader
    who wakes it but marks nothing leaves no `notes:` key (which would make every later
    visit load the bundle at once)."""
    page = open_page(NOTE)
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-notes-progress]").count() == 0
    wake(page)
    toggles(page, NOTE).first.wait_for(timeout=10_000)
    go_instantly(page, server.url("/"), "")
    page.locator("[data-notes-progress=summary]").wait_for(timeout=10_000)
    assert page.locator(".notes-progress-summary [role=status]").inner_text().startswith("Abhi koi note revise nahi hua")
    assert stored(page) == {}



def test_only_notes_get_a_toggle(open_page, server):
    """The tags index and the 404 page (it stands in at any address) are nobody's note: no
    toggle there, while their nav still shows what is done."""
    page = open_page(NOTE)
    wake(page)
    toggles(page, NOTE).first.click()
    wait_pressed(toggles(page, NOTE), "true")
    tags = next(path for path in PAGES if path and path not in NOTES)
    missing = server.url("/no-such-note/")
    for address in (server.url("/" + tags), missing):
        page.goto(address)  # a returning reader: the bundle runs without an interaction
        nav_says_done(page, NOTE, True)
        assert page.locator("[data-notes-progress=toggle], [data-notes-progress=summary]").count() == 0, address
    # The 404 itself is what was asked for, not a fault.
    page.watch.errors = [e for e in page.watch.errors if missing not in e or "404" not in e]



# Layout shifts as browsers count them (no recent input): their size, and what moved that a
# reader reads: anything in the article but the "Last update" and "Galti batao" lines under it.
SHIFTS = """
window.__shifts = [];
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__shifts.push({
    value: entry.value,
    text: entry.sources.map(s => s.node).filter(n => n && n.nodeType === 1 && n.closest("article")
                                                 && !n.closest(".md-source-file, [data-notes-page-links]"))
                       .map(n => n.outerHTML.slice(0, 80)),
  });
}).observe({type: "layout-shift", buffered: true});
"""


def slow_stylesheet(route) -> None:
    # A weak connection: the extras stylesheet lands well after the bundle has run.
    time.sleep(0.6)
    route.continue_()


@pytest.mark.parametrize("network", ["fast", "slow stylesheet"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_returning_readers_page_does_not_move_when_the_controls_arrive(open_page, size, network):
    # A returning reader's bundle runs by itself, after the page is shown (no input): what
    # it adds may not push the text they started reading, however late its stylesheet
    # lands. The end toggle may nudge the footer of a short page; the total stays under
    # half of what browsers call good (0.1).
    viewport = PHONE if size == "phone" else DESKTOP
    page = open_page(NOTE, viewport=viewport, has_touch=size == "phone")
    wake(page)
    toggles(page, NOTE).first.click()  # now a returning reader
    wait_pressed(toggles(page, NOTE), "true")
    page.add_init_script(SHIFTS)
    if network == "slow stylesheet":
        page.route(re.compile(r"/assets/stylesheets/extras\.[0-9a-f]{8}\.min\.css$"), slow_stylesheet)
    for path in (NOTE, *MARKABLE[:3]):
        page.goto(page.evaluate("path => new URL(path, window.__md_scope).href", path))
        toggles(page, path).first.wait_for(timeout=10_000)  # the bundle ran, unasked
        page.wait_for_timeout(300)
        shifts = page.evaluate("() => window.__shifts")
        moved = [text for shift in shifts for text in shift["text"]]
        assert not moved, f"/{path} ({size}): the note's text moved as the controls arrived: {moved}"
        assert sum(shift["value"] for shift in shifts) < 0.05, f"/{path} ({size}): {shifts}"
