"""Zero visual change as the guard for lighter CSS, on a fixture site that a new note does
not touch.

postbuild/stylesheet.py purges the stylesheet down to the rules the pages use; a purge that drops a
rule a component needs changes pixels. The guard builds a fixture site (tests/fixtures/
kitchen-sink/) with the project's own mkdocs.yml, hooks, templates, stylesheet and glossary,
in which only the pages and the nav are the fixture's: a kitchen-sink note with every
component the notes and Material show (headings h1-h4 with permalinks, inline code, bold,
links (a bare URL too), glossary tooltips, nested bullet and numbered lists, a table,
fenced code in each language the notes use, with titles, a long line and a fence inside a
list item, the copy button, keys, the two boxes of the marking convention with lists and
code inside, a collapsed box, a diagram drawn at build time, an image, tags), a second
note, the home page with its topic cards and the tags page. That site is served by the project's nginx and drawn
by Chromium: each of its pages on a desktop and a 360 px phone, light and dark, the whole
page; plus search open, a tooltip shown and the phone drawer open (the screen as drawn).
Each shot is compared with its reference in tests/visual/.

The fixture's nav and pages are its own, so a new note or nav line changes no reference;
what does is a change of the look (CSS, templates, Material, the purge, a glossary word the
fixture uses). A component a new note brings that the kitchen sink lacks is not guarded
until it is added there (and its references redrawn).

A failure names the shot, the changed region (x0, y0, x1, y1 in the screenshot's pixels),
the page element where the change is first seen (on a whole page, what lies below it may
only have moved) and those the region covers, and writes the new screenshot and a diff
image to tests/output/visual/. `make visual-refs` redraws the references after an intended
change (and deletes those no test takes); look at the new images before committing them.

Tolerance: a pixel counts as changed when any channel differs by more than 8 of 255, and a
shot fails when more pixels changed than 0.05 % of the device's screen (512 on the desktop,
115 on the phone), however long the page: a count, not a share of the shot, so a change in
one box of a 4,000 px page counts as much as on one screen. Two runs on the same machine
differ by no pixel at all; 8 levels absorb rounding differences of blurs and gradients
between CPUs. A missing rule changes far more: with the purge's `warning` rules dropped
(the Correction box turns blue, its title's tint moves by 26 levels) 25,133 pixels of the
desktop page changed. This test used to count a pixel only when all three channels moved
by more than 40: it saw 33 of them, and let the change pass. The "last updated" line is
masked: it follows the git history, not the CSS (the fixture's copy has none anyway).
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw

from harness.browser import focus_search, search
from harness.context import copy_context
from harness.nginx import free_port, server_conf
from harness.paths import ROOT
from harness.site import build

REFERENCES = ROOT / "tests" / "visual"
FAILED = ROOT / "tests" / "output" / "visual"
UPDATE = os.environ.get("UPDATE_VISUAL") == "1"
CHANNEL_TOLERANCE = 8
SCREEN_SHARE = 0.0005  # of the device's screen: the most pixels a shot may change

FIXTURE = ROOT / "tests" / "fixtures" / "kitchen-sink"
# What the fixture keeps of the project's docs/: the glossary (tooltips on every page) and
# the assets (the stylesheet of accessibility fixes, the favicon). Everything else in docs/
# is replaced by the fixture's pages.
KEPT_DOCS = {"includes", "assets"}
# The fixture's pages that are drawn whole, by name (the second note is there for the nav,
# the cards and search, and shows no component the kitchen sink does not).
PAGES = {"home": "", "kitchen-sink": "kitchen-sink/", "tags": "tags/"}
NOTE = "kitchen-sink/"

DEVICES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 1},
}
SCHEMES = ["light", "dark"]
# The shots of a page in a state, each on one device, in both schemes.
STATES = {"search-open": "desktop", "tooltip": "desktop", "drawer-open": "phone"}
SHOTS = {f"{name}-{device}-{scheme}" for name in PAGES for device in DEVICES for scheme in SCHEMES} | \
    {f"{state}-{device}-{scheme}" for state, device in STATES.items() for scheme in SCHEMES}


# ---------------------------------------------------------------------------------------
# The fixture site

def draw_image(path: Path) -> None:
    """The kitchen sink's image: two boxes joined by an arrow, wider than a phone's column
    (so it is scaled down there). Shapes only, no font: the same pixels on every machine."""
    image = Image.new("RGB", (640, 240), "#e8eaf6")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((40, 70, 220, 170), 16, fill="#4051b5")
    draw.rounded_rectangle((420, 70, 600, 170), 16, fill="#00897b")
    draw.line((220, 120, 404, 120), fill="#333333", width=6)
    draw.polygon([(420, 120), (400, 106), (400, 134)], fill="#333333")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def fixture_project(dest: Path) -> Path:
    """A copy of the build context whose pages and nav are the fixture's."""
    project = copy_context(dest)
    docs = project / "docs"
    for child in docs.iterdir():
        if child.name not in KEPT_DOCS:
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    shutil.copytree(FIXTURE / "docs", docs, dirs_exist_ok=True)
    draw_image(docs / "images" / "kitchen-sink.png")
    config = project / "mkdocs.yml"
    nav = (FIXTURE / "nav.yml").read_text(encoding="utf-8")
    text, n = re.subn(r"(?m)^nav:[ \t]*\n(?:[ \t]+\S.*\n|[ \t]*\n)*", lambda _: nav, config.read_text(encoding="utf-8"))
    assert n == 1, "mkdocs.yml has no block-style `nav:` for the fixture to replace: update tests/test_visual.py"
    config.write_text(text, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory, nginx_factory):
    """The fixture site, built by `make site` for the address it is served at (instant
    navigation treats links as internal only when host and port match site_url)."""
    port = free_port()
    project = fixture_project(tmp_path_factory.mktemp("kitchen-sink") / "project")
    site = build(project / "site", env={"SITE_URL": f"http://127.0.0.1:{port}/"}, project=project)
    return nginx_factory(server_conf(site), port=port)


# ---------------------------------------------------------------------------------------
# Shots and their comparison

# The page elements a changed region covers, for the failure message: the page's parts and
# the article's blocks, by their rectangles in page coordinates (the shots are taken at the
# top of the page, so these are the screenshot's pixels).
COVERED = """([x0, y0, x1, y1]) => {
  const parts = [".md-header", ".md-tabs", ".md-sidebar--primary", ".md-sidebar--secondary",
                 ".md-search__output", ".md-tooltip2", ".md-content__inner > *", ".md-footer"];
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    [...el.classList].slice(0, 3).map(c => "." + c).join("");
  const found = [];
  for (const el of document.querySelectorAll(parts.join(","))) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const top = r.top + window.scrollY, left = r.left + window.scrollX;
    if (left < x1 && left + r.width > x0 && top < y1 && top + r.height > y0) {
      const text = (el.innerText || "").trim().replace(/\\s+/g, " ").slice(0, 40);
      found.push(name(el) + (text ? ` "${text}"` : ""));
    }
  }
  return found;
}"""


def changed_mask(reference: Image.Image, shot: Image.Image) -> Image.Image | None:
    """The pixels that changed beyond the tolerance (255), over the area both images cover
    (a whole page that grew or shrank is compared from its top), or None if the widths differ."""
    if reference.size[0] != shot.size[0]:
        return None
    height = min(reference.size[1], shot.size[1])
    box = (0, 0, shot.size[0], height)
    red, green, blue = ImageChops.difference(reference.convert("RGB").crop(box), shot.convert("RGB").crop(box)).split()
    # Any channel: converting the three thresholded channels to grey (as this test once did)
    # left 255 only where all three had changed, so a blue border on white counted for nothing.
    biggest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    return biggest.point(lambda v: 255 if v > CHANNEL_TOLERANCE else 0)


def changed_region(reference: Image.Image, shot: Image.Image) -> tuple[int, tuple | None]:
    """How many pixels changed beyond the tolerance (rows one image has and the other lacks
    all count), and their bounding box."""
    mask = changed_mask(reference, shot)
    if mask is None:
        return max(reference.size[0] * reference.size[1], shot.size[0] * shot.size[1]), (0, 0, *shot.size)
    width, height = shot.size
    extra = abs(reference.size[1] - height) * width
    changed = mask.histogram()[255] + extra
    box = mask.getbbox()
    if extra:  # the rows only one image has changed, across the whole width
        box = (0, mask.size[1] if box is None else box[1], width, max(reference.size[1], height))
    return changed, box


def diff_image(reference: Image.Image, shot: Image.Image) -> Image.Image:
    """The new shot, faded, with the changed pixels in red."""
    shot = shot.convert("RGB")
    base = Image.blend(shot, Image.new("RGB", shot.size, "white"), 0.7)
    mask = changed_mask(reference, shot)
    if mask is not None:
        base.paste(Image.new("RGB", mask.size, "red"), (0, 0), mask=mask)
    return base


def first_change(reference: Image.Image, shot: Image.Image) -> tuple | None:
    """The changed pixels of the first 24 rows that changed: where a change starts (on a
    whole page, what lies below a change that moved it moved too)."""
    mask = changed_mask(reference, shot)
    box = mask.getbbox() if mask is not None else None
    if box is None:
        return None
    band = mask.crop((0, box[1], mask.size[0], min(box[1] + 24, mask.size[1]))).getbbox()
    return (band[0], box[1] + band[1], band[2], box[1] + band[3])


def named(elements: list[str], limit: int = 8) -> str:
    more = f"; and {len(elements) - limit} more" if len(elements) > limit else ""
    return "; ".join(elements[:limit]) + more if elements else "nothing named"


def compare(name: str, png: bytes, page, device: str) -> None:
    reference = REFERENCES / f"{name}.png"
    if UPDATE or not reference.exists():
        if not UPDATE:
            pytest.fail(f"no reference {reference.relative_to(ROOT)}: run `make visual-refs` and look at it")
        reference.write_bytes(png)
        return
    shot = Image.open(io.BytesIO(png))
    old = Image.open(reference)
    changed, box = changed_region(old, shot)
    screen = DEVICES[device]["viewport"]
    limit = int(SCREEN_SHARE * screen["width"] * screen["height"])
    if changed > limit:
        FAILED.mkdir(parents=True, exist_ok=True)
        (FAILED / f"{name}.png").write_bytes(png)
        diff_image(old, shot).save(FAILED / f"{name}-diff.png")
        size = "" if old.size == shot.size else f"; the shot is {shot.size[0]}x{shot.size[1]} px, the reference " \
            f"{old.size[0]}x{old.size[1]}"
        start = first_change(old, shot)
        where = f"; it starts at {start} in: {named(page.evaluate(COVERED, list(start)))}" if start else ""
        pytest.fail(f"{name}: {changed} pixels changed (at most {limit} may), in the region {box} "
                    f"(x0, y0, x1, y1){size}"
                    f"{where}; the region covers: {named(page.evaluate(COVERED, list(box)))}. "
                    f"The new screenshot is {(FAILED / f'{name}.png').relative_to(ROOT)}, the changes in red "
                    f"in {(FAILED / f'{name}-diff.png').relative_to(ROOT)}")


# Every image on the page loaded and decoded before a shot: a whole-page shot reaches below
# the screen, where lazy images (the diagram's) would otherwise still be blank.
IMAGES_READY = """async () => {
  for (const img of document.images) img.loading = "eager";
  await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
  await document.fonts.ready;
}"""


def shoot(page, whole_page: bool = False) -> bytes:
    """The screen as drawn; whole_page: the whole page, drawn on a screen made as tall as
    the page. (Playwright's full_page capture lays the page out again without the phone's
    emulated touch screen: `(hover: none)` stopped matching, so code lines a phone wraps
    were drawn unwrapped.)"""
    page.wait_for_load_state("networkidle")
    page.evaluate(IMAGES_READY)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(250)
    if whole_page:
        for _ in range(5):
            size = page.viewport_size
            height = page.evaluate("() => document.documentElement.scrollHeight")
            if height == size["height"]:
                break
            page.set_viewport_size({"width": size["width"], "height": height})
            page.wait_for_timeout(250)
        else:
            pytest.fail(f"{page.url}: the page's height does not settle ({height} px)")
    return page.screenshot(animations="disabled", caret="hide",
                           mask=[page.locator(".md-source-file")], mask_color="#888888")


@pytest.fixture
def context_for(browser):
    contexts = []

    def make(device: str, scheme: str):
        context = browser.new_context(**DEVICES[device], color_scheme=scheme, reduced_motion="reduce")
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


# ---------------------------------------------------------------------------------------
# The shots

@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", PAGES)
def test_page_looks_as_before(context_for, fixture_site, name, device, scheme):
    page = context_for(device, scheme).new_page()
    page.goto(fixture_site.url("/" + PAGES[name]))
    compare(f"{name}-{device}-{scheme}", shoot(page, whole_page=True), page, device)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_search_open_looks_as_before(context_for, fixture_site, scheme):
    page = context_for(STATES["search-open"], scheme).new_page()
    page.goto(fixture_site.url("/" + NOTE))
    focus_search(page)
    search(page, "token", fixture_site.url("/"))
    compare(f"search-open-{STATES['search-open']}-{scheme}", shoot(page), page, STATES["search-open"])


@pytest.mark.parametrize("scheme", SCHEMES)
def test_tooltip_looks_as_before(context_for, fixture_site, scheme):
    page = context_for(STATES["tooltip"], scheme).new_page()
    page.goto(fixture_site.url("/" + NOTE))
    abbr = page.locator("article abbr").first
    abbr.scroll_into_view_if_needed()
    abbr.hover()
    page.wait_for_selector(".md-tooltip2--active, .md-tooltip--active", timeout=5000)
    compare(f"tooltip-{STATES['tooltip']}-{scheme}", shoot(page), page, STATES["tooltip"])


@pytest.mark.parametrize("scheme", SCHEMES)
def test_drawer_open_looks_as_before(context_for, fixture_site, scheme):
    page = context_for(STATES["drawer-open"], scheme).new_page()
    page.goto(fixture_site.url("/" + NOTE))
    page.locator("label.md-header__button[for=__drawer]").click()
    page.wait_for_function("() => document.getElementById('__drawer').checked")
    compare(f"drawer-open-{STATES['drawer-open']}-{scheme}", shoot(page), page, STATES["drawer-open"])


def test_every_reference_is_a_shot():
    """No reference is left over from a shot this test no longer takes (`make visual-refs`
    deletes them)."""
    left_over = sorted(p for p in REFERENCES.glob("*.png") if p.stem not in SHOTS)
    if UPDATE:
        for path in left_over:
            path.unlink()
        return
    assert not left_over, "references no test compares with (`make visual-refs` removes them): " + \
        ", ".join(str(p.relative_to(ROOT)) for p in left_over)
