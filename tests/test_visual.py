"""Zero visual change as the guard for lighter CSS: every page, on a desktop and a 360 px
phone, light and dark, plus search open, a tooltip shown and the phone drawer open, as
Chromium draws them, compared with the reference screenshots in tests/visual/.

A purge that drops a rule a page uses changes pixels, and the test names the page, the
state and the changed region. References are the screen as first drawn (the viewport, not
the whole page): the header, the navigation and the start of the note, where a missing rule
shows. `make visual-refs` redraws them after an intended change; look at the new images
before committing them.

Tolerance: a pixel counts as changed when a channel differs by more than 40 of 255
(anti-aliasing moves edges by less), and a shot fails when more than 0.05 % of its pixels
changed (a missing rule changes far more, a whole box or colour). The "last updated" line
is masked: it follows the git history, not the CSS.
"""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image, ImageChops

from harness.browser import focus_search, search
from harness.pages import PAGES
from harness.paths import ROOT

REFERENCES = ROOT / "tests" / "visual"
FAILED = ROOT / "tests" / "output" / "visual"
UPDATE = os.environ.get("UPDATE_VISUAL") == "1"
CHANNEL_TOLERANCE = 40
PIXEL_SHARE = 0.0005

DEVICES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 360, "height": 640}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 1},
}
SCHEMES = ["light", "dark"]


def changed_region(reference: Image.Image, shot: Image.Image) -> tuple[float, tuple | None]:
    """Share of pixels that changed beyond the tolerance, and their bounding box."""
    if reference.size != shot.size:
        return 1.0, (0, 0, *shot.size)
    diff = ImageChops.difference(reference.convert("RGB"), shot.convert("RGB"))
    mask = diff.point(lambda v: 255 if v > CHANNEL_TOLERANCE else 0).convert("L")
    changed = mask.histogram()[255]
    return changed / (shot.size[0] * shot.size[1]), mask.getbbox()


def compare(name: str, png: bytes) -> None:
    reference = REFERENCES / f"{name}.png"
    if UPDATE or not reference.exists():
        if not UPDATE:
            pytest.fail(f"no reference {reference.relative_to(ROOT)}: run `make visual-refs` and look at it")
        reference.write_bytes(png)
        return
    shot = Image.open(io.BytesIO(png))
    share, box = changed_region(Image.open(reference), shot)
    if share > PIXEL_SHARE:
        FAILED.mkdir(parents=True, exist_ok=True)
        (FAILED / f"{name}.png").write_bytes(png)
        pytest.fail(f"{name}: {share:.2%} of the pixels changed, in the region {box} (x0, y0, x1, y1); "
                    f"the new screenshot is {(FAILED / f'{name}.png').relative_to(ROOT)}")


def shoot(page) -> bytes:
    page.wait_for_load_state("networkidle")
    page.evaluate("() => document.fonts.ready")
    page.wait_for_timeout(250)
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


def page_name(path: str) -> str:
    return path.strip("/") or "home"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("path", PAGES)
def test_page_looks_as_before(context_for, server, path, device, scheme):
    page = context_for(device, scheme).new_page()
    page.goto(server.url("/" + path))
    compare(f"{page_name(path)}-{device}-{scheme}", shoot(page))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_search_open_looks_as_before(context_for, server, scheme):
    page = context_for("desktop", scheme).new_page()
    page.goto(server.url("/jwt/"))
    focus_search(page)
    search(page, "refresh token", server.url("/"))
    compare(f"search-open-desktop-{scheme}", shoot(page))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_tooltip_looks_as_before(context_for, server, scheme):
    page = context_for("desktop", scheme).new_page()
    page.goto(server.url("/cors/"))
    abbr = page.locator("article abbr").first
    abbr.scroll_into_view_if_needed()
    abbr.hover()
    page.wait_for_selector(".md-tooltip2--active, .md-tooltip--active", timeout=5000)
    compare(f"tooltip-desktop-{scheme}", shoot(page))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_drawer_open_looks_as_before(context_for, server, scheme):
    page = context_for("phone", scheme).new_page()
    page.goto(server.url("/jwt/"))
    page.locator("label.md-header__button[for=__drawer]").click()
    page.wait_for_function("() => document.getElementById('__drawer').checked")
    compare(f"drawer-open-phone-{scheme}", shoot(page))
