"""Zoom (postbuild/extras/zoom.js): a diagram, or an image shown narrower than its file,
opens full screen, to be pinched, dragged, wheeled and keyed, and closes with Escape, its
button or the back gesture, in a real Chromium against the production build served by the
project's nginx (real CSP).

Each test starts on a fresh page, so the reader's first interaction is also what loads the
extras bundle (postbuild/extras/README.md): a first tap on a diagram must open it all the
same. Screenshots of the open viewer, light and dark, phone and desktop, go to
tests/output/zoom/."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from harness.browser import AXE_JS, WCAG_TAGS, PageWatch
from harness.pages import PAGES
from harness.paths import DOCS, ROOT

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
OUT = ROOT / "tests" / "output" / "zoom"

DIALOG = "dialog.notes-zoom"
SHOWN = f"{DIALOG} .notes-zoom__img"
IS_OPEN = f"() => !!document.querySelector('{DIALOG}[open]')"
IS_CLOSED = f"() => !document.querySelector('{DIALOG}[open]')"
# The drawing as the reader sees it: its box after the zoom's transform.
SHOWN_BOX = f"""() => {{ const r = document.querySelector('{SHOWN}').getBoundingClientRect();
                         return {{width: r.width, height: r.height, left: r.left, top: r.top}}; }}"""


@pytest.fixture
def open_page(open_page):
    """The shared open_page (tests/conftest.py), then the page's own requests settle."""
    def open_(path: str, **options):
        page = open_page(path, **options)
        page.wait_for_load_state("networkidle")
        return page
    return open_


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations, evaluated through the DevTools protocol (the
    page keeps its real CSP), as tests/test_browser.py runs it."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text())
    return page.evaluate("""tags => axe.run(document, {runOnly: {type: "tag", values: tags},
                                                      resultTypes: ["violations"]})
      .then(r => r.violations.map(v => v.id + ": " + v.help + " :: " +
                                       v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")))""", WCAG_TAGS)


def shot(page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # the zoom's 200 ms transition has ended
    page.screenshot(path=OUT / f"{name}.png")


def visible_diagram(page):
    """The drawing of the first diagram that the palette shows (light or dark)."""
    return page.locator("article figure.diagram img").filter(visible=True).first


def reveal_diagram(page, by_tap: bool) -> None:
    """The notes keep their diagrams in collapsed boxes: open the first diagram's box, by a
    tap on its title as a reader does (which loads the extras bundle), or by script (which
    is no interaction: the next tap is the reader's first), and bring it into view."""
    if by_tap:
        page.locator("article details:has(figure.diagram) > summary").first.tap()
    else:
        page.evaluate("""() => { const f = document.querySelector('article figure.diagram');
          for (let d = f.closest('details'); d; d = d.parentElement.closest('details')) d.open = true; }""")
    page.locator("article figure.diagram").first.scroll_into_view_if_needed()


def dialog_facts(page) -> dict:
    return page.evaluate(f"""() => {{
      const d = document.querySelector('{DIALOG}');
      const label = d.getAttribute('aria-labelledby');
      const img = d.querySelector('.notes-zoom__img');
      return {{open: d.open, modal: d.matches(':modal'),
               name: label ? document.getElementById(label).textContent : d.getAttribute('aria-label'),
               alt: img.alt, src: img.src,
               focusInside: d.contains(document.activeElement),
               pageOverflow: getComputedStyle(document.documentElement).overflow,
               state: history.state}};
    }}""")


def pinch(page, spread_from: int, spread_to: int, steps: int = 8) -> None:
    """A real two-finger pinch (Chromium's touch input, as a phone sends it) about the
    middle of the screen, from `spread_from` to `spread_to` px between the fingers."""
    cdp = page.context.new_cdp_session(page)
    size = page.viewport_size
    cx, cy = size["width"] / 2, size["height"] / 2

    def points(spread):
        return [{"x": cx - spread / 2, "y": cy, "id": 0}, {"x": cx + spread / 2, "y": cy, "id": 1}]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": points(spread_from)})
    for i in range(1, steps + 1):
        cdp.send("Input.dispatchTouchEvent",
                 {"type": "touchMove", "touchPoints": points(spread_from + (spread_to - spread_from) * i / steps)})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_first_tap_on_a_diagram_opens_it_and_a_pinch_zooms_it_on_a_phone(open_page, scheme):
    page = open_page("cors/", color_scheme=scheme, **PHONE)
    reveal_diagram(page, by_tap=False)
    assert not page.evaluate("!!document.querySelector('dialog.notes-zoom')"), "the bundle is not loaded yet"
    figure = page.locator("article figure.diagram").first
    caption = figure.locator("figcaption").inner_text().strip()
    alt = figure.locator("img").first.get_attribute("alt")
    # The reader's very first touch on this page: it also loads the extras bundle.
    visible_diagram(page).tap(position={"x": 60, "y": 60})
    page.wait_for_function(IS_OPEN, timeout=5000)
    facts = dialog_facts(page)
    assert facts["modal"] and facts["focusInside"], facts
    assert re.sub(r"\s+", " ", facts["name"]).strip() == re.sub(r"\s+", " ", caption), facts["name"]
    assert facts["alt"] == alt
    assert facts["src"].endswith(f"-{scheme}.svg"), f"the {scheme} palette shows {facts['src']}"
    assert facts["pageOverflow"] == "hidden", "the page behind must not scroll"
    fitted = page.evaluate(SHOWN_BOX)
    assert fitted["width"] <= 390 + 1, fitted  # at first the whole drawing fits the screen
    shot(page, f"phone-{scheme}-open")

    # The page behind stays put under a finger's swipe on the viewer.
    before = page.evaluate("scrollY")
    cdp = page.context.new_cdp_session(page)
    for kind, y in (("touchStart", 600), ("touchMove", 400), ("touchMove", 200), ("touchEnd", None)):
        cdp.send("Input.dispatchTouchEvent",
                 {"type": kind, "touchPoints": [] if y is None else [{"x": 200, "y": y, "id": 0}]})
    cdp.detach()
    assert page.evaluate("scrollY") == before

    pinch(page, 60, 300)
    page.wait_for_function("() => document.querySelector('%s').getBoundingClientRect().width > innerWidth" % SHOWN,
                           timeout=5000)
    assert page.evaluate(SHOWN_BOX)["width"] > 390 * 1.5
    shot(page, f"phone-{scheme}-pinched")
    violations = axe_violations(page)
    assert not violations, f"dialog open ({scheme}):\n  " + "\n  ".join(violations)


def test_the_drawing_follows_the_palette_while_open(open_page):
    """Material's system palette (the first entry) follows the system's scheme live; the open
    viewer changes drawing with it."""
    page = open_page("jwt/", color_scheme="light", **PHONE)
    reveal_diagram(page, by_tap=True)
    visible_diagram(page).tap(position={"x": 40, "y": 40})
    page.wait_for_function(IS_OPEN, timeout=5000)
    assert dialog_facts(page)["src"].endswith("-light.svg")
    page.emulate_media(color_scheme="dark")
    page.wait_for_function("() => document.body.getAttribute('data-md-color-scheme') === 'slate'", timeout=5000)
    page.wait_for_function(f"() => document.querySelector('{SHOWN}').src.endsWith('-dark.svg')", timeout=5000)
    page.wait_for_function(f"() => document.querySelector('{SHOWN}').complete", timeout=5000)
    shot(page, "phone-switched-to-dark")
    page.emulate_media(color_scheme="light")
    page.wait_for_function(f"() => document.querySelector('{SHOWN}').src.endsWith('-light.svg')", timeout=5000)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_keyboard_opens_zooms_pans_and_closes_back_to_the_diagram(open_page, scheme):
    page = open_page("jwt/", color_scheme=scheme)
    focused_figure = "() => document.activeElement && document.activeElement.matches('article figure.diagram')"
    closed_box = """() => { const s = document.activeElement;
      return !!s && s.matches('article details:not([open]) > summary') && !!s.parentElement.querySelector('figure.diagram'); }"""
    for _ in range(80):  # bounded: the page's controls before the diagram
        page.keyboard.press("Tab")
        if page.evaluate(closed_box):
            page.keyboard.press("Enter")  # the diagram's collapsed box opens, as a reader opens it
        if page.evaluate(focused_figure):
            break
    assert page.evaluate(focused_figure), "Tab never reached the diagram"
    # Its button says what it does (the figure itself keeps its caption as its name).
    label = page.locator("article figure.diagram button.notes-zoom-open").get_attribute("aria-label")
    assert label.startswith("Bada karke dekho"), label
    page.wait_for_timeout(300)  # Material's anchor tracking settles the URL's #section
    scrolled = page.evaluate("scrollY")
    page.keyboard.press("Enter")
    page.wait_for_function(IS_OPEN, timeout=5000)
    facts = dialog_facts(page)
    assert facts["focusInside"] and facts["src"].endswith(f"-{scheme}.svg"), facts
    fitted = page.evaluate(SHOWN_BOX)
    shot(page, f"desktop-{scheme}-open")
    violations = axe_violations(page)
    assert not violations, f"dialog open on a desktop ({scheme}):\n  " + "\n  ".join(violations)

    page.keyboard.press("+")
    page.wait_for_function(f"w => document.querySelector('{SHOWN}').getBoundingClientRect().width > w * 1.2",
                           arg=fitted["width"], timeout=5000)
    page.keyboard.press("+")
    page.keyboard.press("+")
    page.wait_for_function(f"() => document.querySelector('{SHOWN}').getBoundingClientRect().height > innerHeight",
                           timeout=5000)
    page.wait_for_timeout(400)
    zoomed = page.evaluate(SHOWN_BOX)
    page.keyboard.press("ArrowDown")  # shows what is further down: the drawing moves up
    page.wait_for_function(f"top => document.querySelector('{SHOWN}').getBoundingClientRect().top < top - 20",
                           arg=zoomed["top"], timeout=5000)
    shot(page, f"desktop-{scheme}-zoomed")
    page.keyboard.press("0")
    page.wait_for_function(f"w => Math.abs(document.querySelector('{SHOWN}').getBoundingClientRect().width - w) < 1",
                           arg=fitted["width"], timeout=5000)

    # The wheel zooms about the pointer.
    box = page.evaluate(SHOWN_BOX)
    page.mouse.move(box["left"] + box["width"] / 2, box["top"] + box["height"] / 2)
    for _ in range(3):
        page.mouse.wheel(0, -200)
    page.wait_for_function(f"w => document.querySelector('{SHOWN}').getBoundingClientRect().width > w * 1.5",
                           arg=fitted["width"], timeout=5000)
    # Material's shortcuts do not turn the page behind the viewer.
    address = page.url
    page.keyboard.press("n")
    page.wait_for_timeout(300)
    assert page.url == address

    page.keyboard.press("Escape")
    page.wait_for_function(IS_CLOSED, timeout=5000)
    # The dialog's close event, a task after Escape, gives the focus back.
    page.wait_for_function(focused_figure, timeout=2000)
    facts = dialog_facts(page)
    assert facts["pageOverflow"] != "hidden"
    assert "notes:zoom" not in (facts["state"] or {}), "closing takes back the history entry it pushed"
    page.wait_for_timeout(300)  # the popstate of that step back has come
    assert abs(page.evaluate("scrollY") - scrolled) < 2, "the page stays where the reader left it"


def test_back_closes_the_zoom_and_stays_on_the_page(open_page, server):
    page = open_page("docker/", **PHONE)
    page.evaluate("() => { document.querySelector('article').dataset.sameArticle = 'yes'; }")
    address, title = page.url, page.locator("article h1").inner_text()
    reveal_diagram(page, by_tap=True)
    page.wait_for_timeout(300)  # Material's anchor tracking settles the URL's #section
    scrolled = page.evaluate("scrollY")
    visible_diagram(page).tap(position={"x": 40, "y": 40})
    page.wait_for_function(IS_OPEN, timeout=5000)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.go_back()
    page.wait_for_function(IS_CLOSED, timeout=5000)
    page.wait_for_timeout(500)  # room for a fetch that must not come
    # The same page (Material's anchor tracking may have put a section's #hash on it).
    assert urlsplit(page.url).path == urlsplit(address).path
    assert page.locator("article h1").inner_text() == title
    assert page.evaluate("() => document.querySelector('article').dataset.sameArticle") == "yes", \
        "the page was replaced (Material's instant navigation fetched it again)"
    assert not [u for u in requested if urlsplit(u).path == urlsplit(address).path], requested
    assert abs(page.evaluate("scrollY") - scrolled) < 2, "the page stays where the reader left it"
    page.wait_for_function("() => document.activeElement.matches('article figure.diagram')", timeout=2000)
    # Forward opens it again; Back closes it again.
    page.go_forward()
    page.wait_for_function(IS_OPEN, timeout=5000)
    page.go_back()
    page.wait_for_function(IS_CLOSED, timeout=5000)
    assert urlsplit(page.url).path == urlsplit(address).path


def test_the_close_button_takes_back_its_history_entry(open_page, server):
    """Open, close with the button: one Back then leaves the page for the one before, as if
    the zoom had never been opened."""
    page = open_page("", **DESKTOP)
    page.goto(server.url("/cors/"))  # a full load: the home page is the entry before
    page.wait_for_load_state("networkidle")
    page.locator("article details:has(figure.diagram) > summary").first.click()
    page.locator("article figure.diagram button.notes-zoom-open").first.click()
    page.wait_for_function(IS_OPEN, timeout=5000)
    close = page.get_by_role("button", name="Band karo")
    assert close.is_visible()
    close.click()
    page.wait_for_function(IS_CLOSED, timeout=5000)
    assert urlsplit(page.url).path == "/cors/"
    page.wait_for_timeout(200)
    page.go_back()
    page.wait_for_url(server.url("/"), timeout=5000)


WIDE_IMAGE = """<p><img alt="Ek chauda screenshot" src="../assets/diagrams/{name}" width="1112" height="623"></p>
<p><img alt="Ek chhota icon" src="../assets/favicon.svg" width="48" height="48"></p>"""


def test_an_image_wider_than_its_column_opens_too(open_page, browser, server, site):
    """A note's image shown narrower than its file gets the same zoom; a small one does not.
    No note has such an image yet: the served page is given one on its way (the file is a
    diagram's drawing, shown as a plain image)."""
    name = next((site / "assets" / "diagrams").glob("*-light.svg")).name
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        watch = PageWatch("{0.scheme}://{0.netloc}".format(urlsplit(server.url("/")))).attach(page)

        def add_image(route):
            response = route.fetch()
            body = response.text().replace("</h1>", "</h1>" + WIDE_IMAGE.format(name=name), 1)
            route.fulfill(response=response, body=body)

        page.route(server.url("/redis/"), add_image)
        page.goto(server.url("/redis/"))
        page.wait_for_load_state("networkidle")
        image = page.locator("article img[alt='Ek chauda screenshot']")
        image.scroll_into_view_if_needed()
        image.tap(position={"x": 30, "y": 30})
        page.wait_for_function(IS_OPEN, timeout=5000)
        facts = dialog_facts(page)
        assert facts["name"] == "Ek chauda screenshot" and facts["alt"] == "Ek chauda screenshot"
        page.keyboard.press("Escape")
        page.wait_for_function(IS_CLOSED, timeout=5000)
        page.wait_for_function("() => document.activeElement.matches('button.notes-zoom-open')", timeout=2000)
        focused = page.evaluate("() => document.activeElement.matches('button.notes-zoom-open') &&"
                                "       document.activeElement.previousElementSibling.alt")
        assert focused == "Ek chauda screenshot", "focus goes to the image's zoom button"
        assert page.locator("article img[alt='Ek chhota icon'] + button.notes-zoom-open").count() == 0
        assert not watch.take()
    finally:
        context.close()


def test_after_instant_navigation_the_next_page_zooms_and_back_still_changes_pages(open_page, server):
    """The zoom's history handling leaves Material's own Back alone: zoom on a page reached
    by instant navigation, Back closes it, the next Back shows the page before."""
    page = open_page("jwt/")
    page.locator("article details:has(figure.diagram) > summary").first.click()  # loads the bundle
    page.locator(".md-sidebar--primary a.md-nav__link[href$='cors/']").click()  # instant navigation
    page.wait_for_url(re.compile(r"/cors/"), wait_until="commit")
    page.wait_for_function("() => document.querySelector('article h1').textContent.includes('CORS')", timeout=10_000)
    page.locator("article details:has(figure.diagram) > summary").first.click()
    buttons = page.locator("article figure.diagram button.notes-zoom-open")
    buttons.first.wait_for()
    assert page.evaluate("""() => [...document.querySelectorAll('article figure.diagram')]
                                    .every(f => f.querySelectorAll('button.notes-zoom-open').length === 1)""")
    buttons.first.click()
    page.wait_for_function(IS_OPEN, timeout=5000)
    assert dialog_facts(page)["src"].endswith("-light.svg")
    page.go_back()
    page.wait_for_function(IS_CLOSED, timeout=5000)
    assert urlsplit(page.url).path == "/cors/"
    page.go_back()
    page.wait_for_url(re.compile(r"/jwt/"), wait_until="commit", timeout=5000)
    page.wait_for_function("() => document.querySelector('article h1').textContent.includes('JWT')", timeout=10_000)


# The pages with something to zoom: a diagram (```mermaid) or an image in the note.
ZOOMABLE = [path for path, (source, *_) in PAGES.items() if re.search(r"```mermaid|!\[", (DOCS / source).read_text())]
BUNDLE = re.compile(r"/assets/javascripts/extras\.[0-9a-f]{8}\.min\.js$")
# Where each block of the note is on the page (the lines under the note's end, where the
# progress toggle goes, are test_progress's).
TOPS = """() => [...document.querySelectorAll('article *')]
  .filter(e => !e.closest('.md-source-file, [data-notes-page-links], [data-notes-progress], .notes-zoom-open, .notes-copy'))
  .map(e => [e.outerHTML.slice(0, 70), Math.round(e.getBoundingClientRect().top + scrollY)])"""


@pytest.fixture
def blank_page(browser, server):
    """A phone's page, watched, not yet anywhere (a test sets routes before it goes)."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.watch = PageWatch("{0.scheme}://{0.netloc}".format(urlsplit(server.url("/")))).attach(page)
    yield page
    problems = page.watch.take()
    context.close()
    assert not problems, "the browser saw errors:\n  " + "\n  ".join(problems)


def moved_when_the_bundle_runs(page, address: str) -> list[str]:
    """Open `address` as a returning reader whose bundle is held back until the page is
    measured, then let it run: the blocks of the note that are now somewhere else."""
    page.add_init_script("localStorage.setItem('notes:zoom-test', '1')")  # a returning reader
    held = []
    page.route(BUNDLE, lambda route: held.append(route))
    page.goto(address)
    for _ in range(100):  # the loader asks for the bundle once the browser is idle
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the returning reader's bundle was never asked for"
    before = page.evaluate(TOPS)
    held[0].continue_()
    page.wait_for_function("() => document.querySelector('button.notes-zoom-open')", timeout=10_000)
    page.wait_for_timeout(300)
    after = page.evaluate(TOPS)
    assert len(before) == len(after), "the note's own blocks changed"
    return [f"{b[0]} {b[1]} -> {a[1]}" for b, a in zip(before, after, strict=True) if b[1] != a[1]]


@pytest.mark.parametrize("path", ZOOMABLE)
def test_zoom_buttons_arrive_without_moving_the_note(blank_page, server, path):
    # A returning reader's bundle adds the zoom buttons after the page is shown: what is under
    # a diagram or an image may not move as they arrive (a tap aimed at it would miss).
    moved = moved_when_the_bundle_runs(blank_page, server.url("/" + path))
    assert not moved, f"/{path}: moved as the zoom buttons arrived:\n  " + "\n  ".join(moved[:5])


def test_a_wide_images_zoom_button_arrives_without_moving_the_note(blank_page, server, site):
    # As above, for an image wider than its column (no note has one yet: given on its way).
    name = next((site / "assets" / "diagrams").glob("*-light.svg")).name
    page = blank_page

    def add_image(route):
        response = route.fetch()
        route.fulfill(response=response, body=response.text().replace("</h1>", "</h1>" + WIDE_IMAGE.format(name=name), 1))

    page.route(server.url("/redis/"), add_image)
    moved = moved_when_the_bundle_runs(page, server.url("/redis/"))
    assert page.locator("article img[alt='Ek chauda screenshot'] + button.notes-zoom-open").count() == 1
    assert not moved, "/redis/ with a wide image: moved as its zoom button arrived:\n  " + "\n  ".join(moved[:5])
