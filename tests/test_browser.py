"""Reading and searching, proven in a real browser: Debian's Chromium, driven by Playwright,
against the production build served by the project's own nginx config (real CSP headers).

What a reader does, checked as a reader would see it: search works from a page opened
directly and under the Pages sub-path (the query set is in test_search.py), the colour scheme
follows the system and the toggle's choice persists, copy buttons copy exactly their block,
the keyboard reaches everything with a visible focus, phones never scroll sideways, print
shows the note alone. And on every page in both schemes: no console error, no failed request,
no request to another host, no CSP violation, and no axe-core WCAG 2.1 A/AA violation.

Nothing here skips: a missing browser, axe-core or Playwright fails the run."""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from harness.browser import AXE_JS, SEARCH_INPUT, WCAG_TAGS, PageWatch, focus_search, search
from harness.pages import PAGES
from harness.paths import DOCS
from harness.snippets import expand

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}
SCHEMES = {"light": "default", "dark": "slate"}

# ---------------------------------------------------------------------------------------
# Fixtures

# `browser` (one Chromium for the whole session) lives in conftest.py.


@pytest.fixture
def open_page(browser, server):
    """open_page(path, **context options) -> a page of the served site, watched for errors.

    Every watched page must end its test clean: the fixture fails the test otherwise."""
    contexts, pages = [], []

    def open_(path: str = "", *, watch: bool = True, go: bool = True, **options):
        # A path of the site under test, or a full URL (another server, e.g. the Pages one).
        address = path if "://" in path else server.url("/" + path.lstrip("/"))
        context = browser.new_context(**{"viewport": DESKTOP, **options})
        contexts.append(context)
        page = context.new_page()
        page.watch = PageWatch("{0.scheme}://{0.netloc}".format(urlsplit(address))).attach(page) if watch else None
        if watch:
            pages.append((path, page))
        page.address = address
        if go:
            page.goto(page.address)
        return page

    yield open_
    problems = []
    for path, page in pages:
        problems += [f"/{path}: {e}" for e in page.watch.take()]
    for context in contexts:
        context.close()
    assert not problems, "the browser saw errors:\n  " + "\n  ".join(problems)


def scheme_of(page) -> str:
    return page.evaluate("document.body.getAttribute('data-md-color-scheme')")


def background_of(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def wait_for_h1(page, text: str) -> None:
    """Instant navigation changes the address first and the content a moment later."""
    page.wait_for_function(
        "text => { const h = document.querySelector('article h1');"
        "          return h && h.innerText.replace('¶', '').trim() === text; }", arg=text, timeout=10_000)


# ---------------------------------------------------------------------------------------
# Search

@pytest.mark.parametrize("path", ["", "jwt/", "tags/"])
def test_search_result_leads_to_the_page(open_page, server, path):
    """From a page opened directly: search, click the first result, land on that page."""
    page = open_page(path)
    focus_search(page, key="s")
    assert search(page, "6379", server.url("/"))[0] == "redis/"
    page.locator("li.md-search-result__item > a").first.click()
    page.wait_for_url(re.compile(r"/redis/"))
    wait_for_h1(page, PAGES["redis/"][1])


def collapsed_only_word(site: Path) -> tuple[str, str]:
    """(page, word): a word that the whole site has only inside one page's collapsed boxes,
    never in a box's title: what a reader finds only by search or by opening the box."""
    inside: dict[str, set[str]] = {}
    elsewhere: set[str] = set()
    for path in PAGES:
        article = BeautifulSoup((site / path / "index.html").read_text(encoding="utf-8"), "html.parser").article
        for box in article.select("details:not([open])"):
            if box.decomposed:
                continue  # a box inside a collapsed box: its words went with the outer box
            for summary in box.select("summary"):  # the titles of the box and of boxes inside it
                summary.decompose()
            inside.setdefault(path, set()).update(re.findall(r"\b[a-z]{7,}\b", box.get_text(" ").lower()))
            box.decompose()
        elsewhere.update(re.findall(r"\b[a-z]{7,}\b", article.get_text(" ").lower()))
    counts = Counter(word for words in inside.values() for word in words)
    found = sorted((word, path) for path, words in inside.items() for word in words
                   if counts[word] == 1 and word not in elsewhere)
    assert found, "no word lives only inside a collapsed box: nothing to check"
    word, path = found[0]
    return path, word


def test_a_collapsed_box_is_found_by_search_and_opens_for_a_link_into_it(open_page, server, site):
    """Depth one tap away is never lost: search finds what only a collapsed box says, and a
    link to a place inside a collapsed box opens it and scrolls to it (Material's details
    component, kept in the page script)."""
    path, word = collapsed_only_word(site)
    page = open_page("")
    focus_search(page, key="s")
    assert search(page, word, server.url("/"))[0] == path, word
    page.locator("li.md-search-result__item > a").first.click()
    page.wait_for_url(re.compile(re.escape(server.url("/" + path))))
    wait_for_h1(page, PAGES[path][1])
    # The element holding the word, inside its box, becomes a link's target. The box is
    # closed first: a search result that links into it may have opened it already.
    # Waited for, not read once: the h1 can be there before the rest of the page is.
    page.wait_for_load_state("load")
    page.wait_for_function("""word => {
      const has = e => e.textContent.toLowerCase().includes(word);
      const held = [...document.querySelectorAll("article details p, article details li, article details pre, "
                                                 + "article details td")].find(has);
      if (!held) return false;
      for (let box = held.closest("details"); box; box = box.parentElement.closest("details")) box.open = false;
      held.id = "inside-the-box";
      return true;
    }""", arg=word, timeout=10_000)
    page.evaluate("() => { location.hash = '#inside-the-box'; }")
    page.wait_for_function("() => document.getElementById('inside-the-box').closest('details').open", timeout=5000)
    page.wait_for_function("""() => { const r = document.getElementById('inside-the-box').getBoundingClientRect();
                                      return r.top >= 0 && r.top < innerHeight; }""", timeout=5000)


def test_search_works_under_a_sub_path(open_page, pages_base):
    """On the GitHub Pages stand-in (tests/conftest.py), where the pages carry their own CSP."""
    page = open_page(pages_base + "docker/")
    root = pages_base
    focus_search(page)
    for query, want in [("login token", "jwt/"), ("origin blocked", "cors/"), ("6379", "redis/")]:
        results = search(page, query, root)  # asserts every result is below /backend-notes/
        assert want in results[:3], (query, results)
    page.locator("li.md-search-result__item > a").first.click()
    page.wait_for_url(re.compile(r"/backend-notes/redis/"))
    wait_for_h1(page, PAGES["redis/"][1])


# ---------------------------------------------------------------------------------------
# Colour scheme

@pytest.mark.parametrize("system", ["light", "dark"])
def test_first_paint_follows_the_system_scheme(open_page, system):
    """Before any click, and before Material's bundle (held back here) could switch it."""
    page = open_page("jwt/", color_scheme=system)
    assert scheme_of(page) == SCHEMES[system]
    # A first visit (nothing stored) on which Material's bundle never arrives: what the
    # reader sees first is what the page's own inline script chose.
    held = open_page("jwt/", watch=False, go=False, color_scheme=system)
    held.route("**/assets/javascripts/bundle.*.min.js", lambda route: route.abort())
    held.goto(held.address)
    assert held.evaluate("localStorage.length") == 0
    assert scheme_of(held) == SCHEMES[system]
    dark = background_of(held) != "rgb(255, 255, 255)"
    assert dark == (system == "dark"), background_of(held)


def click_palette_toggle(page) -> None:
    page.locator("form[data-md-component=palette] label:not([hidden])").click()


def test_scheme_toggle_choice_persists_across_pages_and_reloads(open_page):
    page = open_page("jwt/", color_scheme="light")
    assert scheme_of(page) == "default"
    # The toggle cycles system -> light -> dark -> system; its label names the next state.
    click_palette_toggle(page)
    assert scheme_of(page) == "default"
    click_palette_toggle(page)
    assert scheme_of(page) == "slate" and background_of(page) != "rgb(255, 255, 255)"
    page.locator(".md-sidebar--primary a.md-nav__link[href$='cors/']").click()  # instant navigation
    page.wait_for_url(re.compile(r"/cors/$"))
    assert scheme_of(page) == "slate"
    page.goto(page.url.replace("/cors/", "/docker/"))  # a full page load
    assert scheme_of(page) == "slate"
    page.reload()
    assert scheme_of(page) == "slate", "the dark choice must outlive a reload on a light system"
    click_palette_toggle(page)  # back to the system's (light) scheme
    page.reload()
    assert scheme_of(page) == "default"


# ---------------------------------------------------------------------------------------
# The revision page

def test_each_revision_topic_fits_one_phone_screen(open_page):
    """A one-screen-per-topic cheat sheet: on a phone held upright (390x844 CSS px), each
    topic, from its heading to the next, fits in the screen below the header."""
    page = open_page("revision/", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    screen = page.evaluate("() => innerHeight - document.querySelector('header').offsetHeight")
    heights = page.evaluate("""() => { const hs = [...document.querySelectorAll('article h2')];
      const end = document.querySelector('article').getBoundingClientRect().bottom;
      return hs.map((h, i) => [h.textContent.replace('¶', '').trim(),
        Math.round((hs[i + 1] ? hs[i + 1].getBoundingClientRect().top : end) - h.getBoundingClientRect().top)]); }""")
    assert len(heights) >= 8, heights
    too_tall = {topic: height for topic, height in heights if height > screen}
    assert not too_tall, f"topics taller than a phone screen ({screen} px): {too_tall}"


# ---------------------------------------------------------------------------------------
# Copy buttons

FENCE = re.compile(r"^(?P<indent>[ \t]*)```[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.S | re.M)


def code_blocks(source: str) -> list[str]:
    """The code of every fenced block of a Markdown page, as the reader should get it."""
    blocks = []
    for match in FENCE.finditer(expand(source)):  # included code as the page shows it
        if match.group(0).lstrip().startswith("```mermaid"):
            continue  # drawn as a figure at build time, not a code block
        body = textwrap.dedent(match.group("body")) if match.group("indent") else match.group("body")
        blocks.append(body.rstrip("\n"))
    return blocks


def trailing_spaces_off(code: str) -> str:
    return "\n".join(line.rstrip(" \t") for line in code.split("\n"))


# The script copies with the browser's Clipboard API (hooks/material9/clipboard.js, in place of
# clipboard.js). Where the API refuses (a Permissions-Policy, a frame not allowed to write),
# or where there is none (plain HTTP from another machine is not a secure context), it
# copies through a hidden textarea, as clipboard.js did. The test reads and resets the
# clipboard through the API as the page had it at first.
KEEP_THE_CLIPBOARD = """
    window.testClipboard = { read: navigator.clipboard.readText.bind(navigator.clipboard),
                             write: navigator.clipboard.writeText.bind(navigator.clipboard) };
"""
COPYING = {
    "clipboard-api": KEEP_THE_CLIPBOARD,
    "api-refuses": KEEP_THE_CLIPBOARD + """
        window.refusals = 0;
        navigator.clipboard.writeText = () => {
          window.refusals += 1;
          return Promise.reject(new DOMException("Write permission denied.", "NotAllowedError"));
        };
    """,
    "not-a-secure-context": KEEP_THE_CLIPBOARD + """
        Object.defineProperty(window, "isSecureContext", { value: false });
        Object.defineProperty(Navigator.prototype, "clipboard", { get: () => undefined });
    """,
}


@pytest.mark.parametrize("how", COPYING)
@pytest.mark.parametrize("path", [p for p, (src, *_) in PAGES.items() if "```" in (DOCS / src).read_text()])
def test_copy_button_copies_exactly_its_block(open_page, path, how):
    page = open_page(path, permissions=["clipboard-read", "clipboard-write"], go=False)
    page.add_init_script(COPYING[how])
    page.goto(page.address)
    expected = code_blocks((DOCS / PAGES[path][0]).read_text())
    blocks = page.locator("article div.highlight")
    assert blocks.count() == len(expected) > 0
    for i, want in enumerate(expected):
        page.evaluate("testClipboard.write('(nothing copied)')")
        block = blocks.nth(i)
        # A block in a collapsed box: the reader opens the box (outermost first), then copies.
        block.evaluate("""b => { const closed = [];
          for (let d = b.closest('details'); d; d = d.parentElement.closest('details')) if (!d.open) closed.unshift(d);
          closed.forEach(d => d.querySelector(':scope > summary').click()); }""")
        block.hover()
        if i == 0:  # Material's note, shown on the copy's "success" event (its text is ours) for
            # 2 s: recorded as it appears, so a slow test machine cannot miss it.
            page.evaluate("""() => { window.__dialogs = [];
              new MutationObserver(() => { const d = document.querySelector('.md-dialog--active');
                if (d) window.__dialogs.push(d.textContent.trim()); })
                .observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true}); }""")
        block.locator("button[data-clipboard-target]").click()
        if i == 0:
            page.wait_for_function("() => window.__dialogs.includes('Copied to clipboard')")
        got = page.evaluate("testClipboard.read()")
        # Spaces at a line's end are invisible and mean nothing to a shell or a parser: a
        # whitespace-only line in the source may come back empty.
        assert trailing_spaces_off(got.rstrip("\n")) == trailing_spaces_off(want), \
            f"block {i + 1} of /{path}: copied {got!r}, the block is {want!r}"
        assert got.count("\n") - want.count("\n") <= 1  # at most the closing newline more
    if how == "api-refuses":
        assert page.evaluate("refusals") == len(expected)  # each copy asked the API first
    assert page.locator("body > textarea").count() == 0  # the textarea way leaves nothing behind


# ---------------------------------------------------------------------------------------
# Instant navigation and the HTTP cache

PAGE_POLICIES = ("content-security-policy", "x-frame-options", "cross-origin-opener-policy",
                 "permissions-policy", "referrer-policy")


def test_a_reload_after_instant_navigation_keeps_the_page_policies(open_page, server):
    """Instant navigation fetches the next page (Sec-Fetch-Dest: empty), and nginx sends
    that copy without the page policies (it is parsed into the page already open). Chromium
    keeps one cache entry per URL: a reload revalidates the fetched copy with its ETag,
    despite Vary, and on a 304 shows it with the stored, policy-less headers. The page the
    reader sees after the reload must have every page policy, in the headers Chromium
    hands the document and in what the document obeys."""
    page = open_page("")
    documents = []
    cdp = page.context.new_cdp_session(page)
    cdp.on("Network.responseReceived",
           lambda event: documents.append(event["response"]) if event["type"] == "Document" else None)
    cdp.send("Network.enable")
    path = next(p for p in PAGES if p)
    target = server.url("/" + path)
    page.locator(".md-nav--primary a.md-nav__link").evaluate_all(
        "(links, target) => links.find(a => a.href === target).click()", target)
    page.wait_for_url(target)
    wait_for_h1(page, PAGES[path][1])
    assert not documents, "the click was not an instant navigation"
    page.reload()
    wait_for_h1(page, PAGES[path][1])
    (used,) = [response for response in documents if response["url"] == target]
    headers = {name.lower(): value for name, value in used["headers"].items()}
    missing = [name for name in PAGE_POLICIES if not headers.get(name)]
    assert not missing, f"the reloaded page ({used['status']}) lacks {missing}: {sorted(headers)}"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]  # a <meta> cannot say it
    # The document obeys the header: Permissions-Policy comes from no <meta>.
    assert page.evaluate("() => document.featurePolicy.allowsFeature('camera')") is False


# ---------------------------------------------------------------------------------------
# Keyboard

def test_keyboard_shortcuts_focus_search_and_turn_pages(open_page, server):
    page = open_page("")
    closed = "() => !document.getElementById('__search').checked && !document.activeElement.matches('input')"
    for key in ("/", "s"):
        page.wait_for_function(closed)
        # A reader's pause after Escape. Material itself drops a shortcut pressed within
        # about 30 ms of Escape (its focus watch is debounced, and `/` only focuses the
        # field): measured the same with and without hooks/material9/search_lazy.js, so it is
        # not ours, and no reader types that fast.
        page.wait_for_timeout(500)
        focus_search(page, key)
        page.wait_for_function("() => document.getElementById('__search').checked")  # search mode
        page.keyboard.press("Escape")  # closes search, focus back on the page
    page.wait_for_function(closed)
    paths = list(PAGES)
    for expected in paths[1:]:
        page.keyboard.press("n")
        page.wait_for_url(server.url("/" + expected))
        wait_for_h1(page, PAGES[expected][1])
    for expected in reversed(paths[:-1]):
        page.keyboard.press("p")
        page.wait_for_url(server.url("/" + expected))
        wait_for_h1(page, PAGES[expected][1])


TABBABLE = """() => {
  // Every control a keyboard user must reach: links, buttons, fields, tab stops, that are
  // shown. Of a radio group only the checked radio is a Tab stop; Material hides its palette
  // radios and shows their state with the label next to them.
  const shown = el => el.checkVisibility({visibilityProperty: true}) && el.getClientRects().length &&
                      el.getBoundingClientRect().width * el.getBoundingClientRect().height > 0;
  const els = [...document.querySelectorAll(
      "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]")]
    .filter(el => !el.disabled && el.tabIndex >= 0 && el.getAttribute("tabindex") !== "-1")
    .filter(el => !(el.type === "radio" && !el.checked))
    .filter(el => !el.closest("[hidden]"))  // e.g. back-to-top, shown only when scrolling up
    .filter(el => el.checkVisibility({visibilityProperty: true}) &&
                  (shown(el) || (el.labels && [...el.labels, el.nextElementSibling].some(l => l && shown(l)))));
  els.forEach((el, i) => el.dataset.tabCheck = i);
  return els.map(el => el.outerHTML.slice(0, 120));
}"""

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const ring = e => { const s = getComputedStyle(e);
    return (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none"; };
  const box = e => { const r = e.getBoundingClientRect(); return r.width * r.height > 0; };
  // A hidden control (Material's palette radio) shows its focus on the label beside it.
  const shownBy = box(el) ? el : [el.nextElementSibling, ...(el.labels || [])].find(l => l && box(l));
  return {id: el.dataset.tabCheck ?? null, html: el.outerHTML.slice(0, 120),
          visibleFocus: !!shownBy && ring(shownBy) && el.matches(":focus-visible")};
}"""


@pytest.mark.parametrize("path", list(PAGES))
def test_tab_reaches_every_control_with_a_visible_focus(open_page, path):
    page = open_page(path)
    page.wait_for_load_state("networkidle")
    controls = page.evaluate(TABBABLE)
    reached, invisible, walk = set(), [], []
    for _ in range(2 * len(controls) + 20):  # bounded: each control, with room for surprises
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        walk.append(focused["html"][:70] if focused else "(nothing focused)")
        if focused is None:
            if len(reached) == len(controls):
                break  # past the last control
            continue  # focus fell to the page: the next Tab goes on from there
        if focused["id"] is not None:
            reached.add(int(focused["id"]))
        if not focused["visibleFocus"]:
            invisible.append(focused["html"])
    missed = [html for i, html in enumerate(controls) if i not in reached]
    assert not missed, (f"/{path}: controls Tab never reached:\n  " + "\n  ".join(missed) +
                        "\nthe walk:\n  " + "\n  ".join(walk))
    assert not invisible, f"/{path}: focused without a visible focus ring:\n  " + "\n  ".join(invisible)


# ---------------------------------------------------------------------------------------
# Phones and print

def test_no_page_scrolls_sideways_on_a_phone(open_page, server):
    page = open_page("", viewport=PHONE, is_mobile=True, has_touch=True)
    for path in PAGES:
        page.goto(server.url("/" + path))
        page.wait_for_load_state("networkidle")
        width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
        assert width <= PHONE["width"], f"/{path} is {width}px wide on a {PHONE['width']}px screen"


def test_navigation_drawer_opens_and_closes_on_a_phone(open_page, server):
    page = open_page("jwt/", viewport=PHONE, is_mobile=True, has_touch=True)
    drawer = page.locator(".md-sidebar--primary")
    in_view = "el => { const r = el.getBoundingClientRect(); return r.right > 0 && r.left < innerWidth; }"
    assert not drawer.evaluate(in_view)
    page.locator("label.md-header__button[for=__drawer]").click()
    page.wait_for_function("() => document.getElementById('__drawer').checked")
    page.wait_for_timeout(400)  # the slide-in transition
    assert drawer.evaluate(in_view)
    assert page.locator(".md-sidebar--primary a.md-nav__link[href$='cors/']").is_visible()
    page.locator("label.md-overlay").click(position={"x": PHONE["width"] - 20, "y": 300})
    page.wait_for_function("() => !document.getElementById('__drawer').checked")
    page.wait_for_timeout(400)
    assert not drawer.evaluate(in_view)
    # And it navigates: open again, pick a page.
    page.locator("label.md-header__button[for=__drawer]").click()
    page.wait_for_timeout(400)
    page.locator(".md-sidebar--primary a.md-nav__link[href$='cors/']").click()
    page.wait_for_url(server.url("/cors/"))
    wait_for_h1(page, PAGES["cors/"][1])


def test_print_shows_the_note_without_navigation_or_search(open_page, server):
    page = open_page("")
    page.emulate_media(media="print")
    for path in PAGES:
        page.goto(server.url("/" + path))
        for chrome in (".md-header", ".md-sidebar--primary", ".md-sidebar--secondary", ".md-search",
                       ".md-footer", ".md-tabs", ".md-top"):
            for el in page.locator(chrome).all():
                assert not el.is_visible(), f"/{path}: {chrome} is printed"
        assert page.locator("article h1").is_visible()
        text = page.locator("article").inner_text()
        body = re.sub(r"<!--.*?-->", "", (DOCS / PAGES[path][0]).read_text().split("---", 2)[-1], flags=re.S)
        source_words = re.findall(r"[A-Za-z]{5,}", body)
        shown = sum(word in text for word in source_words)
        assert shown >= 0.9 * len(source_words), f"/{path}: only {shown}/{len(source_words)} words printed"


# ---------------------------------------------------------------------------------------
# Nothing breaks, nothing leaks, nothing inaccessible

AXE_RUN = """tags => axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
  .then(r => r.violations.map(v => `${v.id} (${v.impact}): ${v.help}\\n      ` +
        v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary.replace(/\\s+/g, " ").slice(0, 200))
         .join("\\n      ")))"""


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations. axe is evaluated through the DevTools protocol,
    which the page's CSP does not govern (add_script_tag would insert an inline <script>,
    which the CSP rightly blocks), so the page keeps its real CSP while axe runs."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text())
    return page.evaluate(AXE_RUN, WCAG_TAGS)


@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("path", list(PAGES))
def test_page_is_clean_and_accessible(open_page, server, path, scheme):
    page = open_page(path, color_scheme=scheme)
    page.wait_for_load_state("networkidle")
    assert scheme_of(page) == SCHEMES[scheme]
    violations = axe_violations(page)
    assert not violations, f"/{path} ({scheme}):\n  " + "\n  ".join(violations)
    # Search too: the worker and the index load on first use, under the same policy.
    focus_search(page)
    assert search(page, "docker", server.url("/"))
    page.wait_for_load_state("networkidle")
    # The fixture then fails the test on any console error, failed request, request to
    # another host or CSP violation seen on the way.


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_open_search_and_phone_drawer_are_accessible(open_page, server, scheme):
    page = open_page("", color_scheme=scheme)
    focus_search(page)
    search(page, "docker", server.url("/"))
    violations = axe_violations(page)
    assert not violations, f"search open ({scheme}):\n  " + "\n  ".join(violations)
    phone = open_page("jwt/", color_scheme=scheme, viewport=PHONE, is_mobile=True, has_touch=True)
    phone.locator("label.md-header__button[for=__search]").click()
    phone.locator(SEARCH_INPUT).press_sequentially("docker compose")
    phone.wait_for_selector("li.md-search-result__item")
    phone.wait_for_timeout(300)
    violations = axe_violations(phone)
    assert not violations, f"search open on a phone ({scheme}):\n  " + "\n  ".join(violations)
    phone.keyboard.press("Escape")
    phone.locator("label.md-header__button[for=__drawer]").click()
    phone.wait_for_timeout(400)
    violations = axe_violations(phone)
    assert not violations, f"drawer open on a phone ({scheme}):\n  " + "\n  ".join(violations)
