"""Images as authors have them (PNG, JPG, GIF, WebP, SVG beside a note): served by the
production nginx, made light by postbuild/images.py, and refused at build time when nginx
would not serve them (hooks/served.py).

A copy of the project gets a throwaway note with images drawn here with Pillow (no image
of anyone else's): a 2000x1500 photo as JPG, a phone screenshot of 1170x2532 as a ~2 MB
PNG (flat UI plus photographic noise, like a screenshot of a feed), a small PNG, a still and
an animated GIF, a WebP and an SVG with only a viewBox. It is built twice with `make site`,
served by nginx with nginx/site.conf and read in Chromium as a phone (390x844, density 3)
and a desktop (1280x800, density 1) reader."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from harness.context import add_to_nav, copy_context
from harness.nginx import fetch, server_conf
from harness.site import make_site
from harness.wire import Wire, settle
from postbuild import images as hook
from hooks.served import file_kind, served

IMAGE_BUDGET = 150_000  # bytes on the wire for one image, phone or desktop
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
PAGE = "/screenshots/"

FILLER = ("Is paragraph ka kaam sirf jagah lena hai, taaki neeche ki images pehli screen se bahut door rahein "
          "aur browser unhe tabhi laaye jab reader wahan tak scroll kare. ") * 5

# Far enough down the page that the images after it load only when the reader scrolls.
FILLERS = "\n\n".join([FILLER] * 14)

NOTE = f"""---
description: Screenshots aur photos ek note me, jaise authors rakhte hain, phone pe halke aur sahi size me.
tags:
  - Images
---

# Screenshots aur photos

Ek chhoti si shuruaat, phir pehli photo.

![Pahad ke upar dhoop: ek photo](images/photo.jpg)

{FILLERS}

Phone ka screenshot:

![Notes app ka phone screenshot, ek feed ke saath](images/screenshot.png)

{FILLER}

Chhota icon ![Chhota icon](images/icon.png) aur ek chart:

![Ek bar chart, GIF me](images/chart.gif)

![Loading spinner jo ghoomta hai](images/spinner.gif)

![Ek landscape WebP me](images/landscape.webp)

![Ek SVG drawing](images/drawing.svg)
"""
ALTS = {
    "photo.jpg": "Pahad ke upar dhoop: ek photo",
    "screenshot.png": "Notes app ka phone screenshot, ek feed ke saath",
    "icon.png": "Chhota icon",
    "chart.gif": "Ek bar chart, GIF me",
    "spinner.gif": "Loading spinner jo ghoomta hai",
    "landscape.webp": "Ek landscape WebP me",
    "drawing.svg": "Ek SVG drawing",
}


# --- images drawn for the test --------------------------------------------------------------

def photo(size: tuple[int, int], seed: int, sigma: float) -> Image.Image:
    """Something like a photo: soft gradients and shapes under sensor-like noise."""
    rnd = random.Random(seed)
    red = Image.linear_gradient("L").rotate(rnd.randrange(360)).resize(size)
    green = Image.radial_gradient("L").resize(size)
    blue = Image.linear_gradient("L").transpose(Image.Transpose.FLIP_TOP_BOTTOM).resize(size)
    image = Image.merge("RGB", (red, green, blue))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y, s = rnd.randrange(size[0]), rnd.randrange(size[1]), rnd.randrange(40, max(41, size[0] // 4))
        draw.ellipse((x, y, x + s, y + s), fill=tuple(rnd.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(6))
    noise = Image.merge("RGB", [Image.effect_noise(size, sigma) for _ in range(3)])
    return ImageChops.add(image, noise, scale=1.0, offset=-128)


def screenshot() -> Image.Image:
    """A phone screenshot (1170x2532, an iPhone's): status bar, app bar, a photo, cards."""
    width, height = 1170, 2532
    image = Image.new("RGB", (width, height), "#f4f5f8")
    draw = ImageDraw.Draw(image)
    bold, small = ImageFont.truetype(BOLD, 56), ImageFont.truetype(FONT, 34)
    draw.rectangle((0, 0, width, 140), fill="#ffffff")
    draw.text((60, 50), "9:41", font=bold, fill="#111111")
    draw.rectangle((0, 140, width, 300), fill="#3f51b5")
    draw.text((60, 190), "Notes app", font=bold, fill="#ffffff")
    image.paste(photo((width, 700), 1, 8), (0, 300))
    y = 1040
    while y < height - 200:
        draw.rounded_rectangle((40, y, width - 40, y + 220), 28, fill="#ffffff", outline="#ddddee")
        image.paste(photo((160, 160), y, 8), (70, y + 30))
        draw.text((260, y + 40), f"Card {y}", font=bold, fill="#222222")
        draw.text((260, y + 120), "Ek line aur, UI jaisi", font=small, fill="#666666")
        y += 260
    draw.rectangle((0, height - 160, width, height), fill="#ffffff")
    for i in range(4):
        draw.ellipse((120 + i * 260, height - 120, 200 + i * 260, height - 40), fill="#3f51b5" if i == 0 else "#aaaabb")
    return image


def chart() -> Image.Image:
    image = Image.new("P", (1000, 640), 0)
    image.putpalette([255, 255, 255, 63, 81, 181, 255, 152, 0, 30, 30, 30] + [0] * (252 * 3))
    draw = ImageDraw.Draw(image)
    for i, h in enumerate((300, 420, 180, 520, 360, 240)):
        draw.rectangle((80 + i * 150, 600 - h, 180 + i * 150, 600), fill=1 + i % 2)
    draw.line((60, 600, 960, 600), fill=3, width=4)
    return image


def spinner() -> list[Image.Image]:
    frames = []
    for i in range(8):
        frame = Image.new("P", (160, 160), 0)
        frame.putpalette([255, 255, 255, 63, 81, 181] + [0] * (254 * 3))
        ImageDraw.Draw(frame).pieslice((20, 20, 140, 140), i * 45, i * 45 + 90, fill=1)
        frames.append(frame)
    return frames


SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 200">'
       '<rect width="400" height="200" fill="#3f51b5"/><circle cx="200" cy="100" r="60" fill="#ff9800"/></svg>\n')


def draw_images(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    photo((2000, 1500), 7, 10).save(folder / "photo.jpg", quality=90)
    screenshot().save(folder / "screenshot.png")
    icon = Image.new("RGBA", (96, 96), (0, 0, 0, 0))
    ImageDraw.Draw(icon).rounded_rectangle((8, 8, 88, 88), 18, fill="#3f51b5")
    icon.save(folder / "icon.png")
    chart().save(folder / "chart.gif")
    first, *rest = spinner()
    first.save(folder / "spinner.gif", save_all=True, append_images=rest, duration=80, loop=0)
    photo((1600, 1000), 3, 6).save(folder / "landscape.webp", quality=90)
    (folder / "drawing.svg").write_text(SVG, encoding="utf-8")


# --- the build --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    project = copy_context(tmp_path_factory.mktemp("images") / "project")
    draw_images(project / "docs" / "images")
    (project / "docs" / "screenshots.md").write_text(NOTE, encoding="utf-8")
    add_to_nav(project, "Screenshots", "screenshots.md")
    return project


@pytest.fixture(scope="module")
def builds(project) -> dict[str, str]:
    """Two builds of the same sources: the first encodes the copies, the second finds them
    in the copy's own cache. Their logs."""
    logs = {}
    for name in ("first", "second"):
        start = time.monotonic()
        result = make_site(project / "site", project=project, env={"SITE_CACHE": str(project / ".cache")})
        assert result.returncode == 0, f"make site failed:\n{result.stdout}\n{result.stderr}"
        logs[name] = result.stdout + result.stderr
        logs[name + "_seconds"] = f"{time.monotonic() - start:.1f}"
    return logs


@pytest.fixture(scope="module")
def site(project, builds) -> Path:
    return project / "site"


@pytest.fixture(scope="module")
def server(site, nginx_factory):
    return nginx_factory(server_conf(site))


def article_images(site: Path) -> list:
    soup = BeautifulSoup((site / PAGE.strip("/") / "index.html").read_text(encoding="utf-8"), "html.parser")
    return soup.select("article img")


def by_name(site: Path) -> dict[str, object]:
    """The article's <img> of each drawn image, by the drawn file's name."""
    found = {}
    for img in article_images(site):
        name = next(n for n in ALTS if ALTS[n] == img["alt"])
        found[name] = img
    return found


def encoded(log: str) -> int:
    match = re.search(r"Image copies: (\d+) encoded", log)
    return int(match.group(1)) if match else 0


# --- the drawn images are what the test says ---------------------------------------------------

def test_the_screenshot_is_a_2_mb_png(project):
    path = project / "docs" / "images" / "screenshot.png"
    assert 1_800_000 < path.stat().st_size < 2_600_000, path.stat().st_size
    with Image.open(path) as image:
        assert image.size == (1170, 2532)


# --- the markup ---------------------------------------------------------------------------------

def test_alt_text_is_kept_as_written(site):
    assert sorted(img["alt"] for img in article_images(site)) == sorted(ALTS.values())


def test_every_image_has_its_width_and_height(site):
    sizes = {"photo.jpg": (2000, 1500), "screenshot.png": (1170, 2532), "icon.png": (96, 96),
             "chart.gif": (1000, 640), "spinner.gif": (160, 160), "landscape.webp": (1600, 1000),
             "drawing.svg": (400, 200)}  # the SVG's from its viewBox
    for name, img in by_name(site).items():
        assert (int(img["width"]), int(img["height"])) == sizes[name], name


def test_lazy_but_the_top_image(site):
    images = by_name(site)
    top = images.pop("photo.jpg")
    assert top.get("loading") is None and top.get("fetchpriority") == "high"
    for name, img in images.items():
        assert img.get("loading") == "lazy" and img.get("decoding") == "async", name


def test_large_rasters_get_webp_copies_in_a_picture(site):
    images = by_name(site)
    for name in ("photo.jpg", "screenshot.png", "chart.gif"):
        picture = images[name].parent
        assert picture.name == "picture", name
        webp = picture.select('source[type="image/webp"]')
        assert webp and all(".webp " in s["srcset"] for s in webp), name
        # The fallback: the image's own format (a still GIF's resized copies are PNGs), and
        # at its own width the author's file itself.
        own = {"photo.jpg": ".jpg", "screenshot.png": ".png", "chart.gif": ".png"}[name]
        parts = [part.split()[0] for part in images[name]["srcset"].split(",")]
        assert all(own in part or part == f"../images/{name}" for part in parts), parts
        assert images[name]["sizes"]
    # A WebP needs no second format: its copies are in the <img> itself.
    landscape = images["landscape.webp"]
    assert landscape.parent.name == "picture" or landscape.get("srcset"), landscape
    assert all(".webp" in part for part in landscape["srcset"].split(","))


def test_copies_never_upscale_and_stop_at_twice_the_column(site):
    for name, img in by_name(site).items():
        listed = [img.get("srcset", "")] + [s["srcset"] for s in (img.find_previous_siblings("source"))]
        for srcset in listed:
            for part in filter(None, (p.strip() for p in srcset.split(","))):
                url, _, descriptor = part.rpartition(" ") if " " in part else (part, "", "")
                if descriptor.endswith("w"):
                    width = int(descriptor[:-1])
                    assert width <= min(int(img["width"]), hook.MAX_WIDTH), (name, part)
                    with Image.open(site / PAGE.strip("/") / url) as copy:
                        assert copy.width == width, (name, part)


def test_the_phone_is_offered_at_most_twice_its_column(site):
    picture = by_name(site)["screenshot.png"].parent
    phone = picture.select('source[media="(max-width: 480px)"]')
    assert phone, picture
    for source in phone:
        assert max(int(p.split()[-1][:-1]) for p in source["srcset"].split(",")) <= hook.PHONE_MAX


def test_small_and_animated_images_stay_as_they_are(site):
    images = by_name(site)
    for name in ("icon.png", "spinner.gif", "drawing.svg"):
        assert images[name]["src"] == f"../images/{name}" and not images[name].get("srcset"), name
        assert images[name].parent.name != "picture", name


def test_copies_are_beside_the_images_and_only_images(site, project):
    copies = sorted(p.name for p in (site / "images").iterdir() if re.search(r"\.\d+w\.[0-9a-f]{8}\.", p.name))
    assert copies and all(p.rsplit(".", 1)[1] in ("webp", "png", "jpg") for p in copies), copies
    assert not list(site.rglob("*.webp.br")) and not list(site.rglob("*.png.gz")), "images need no .br/.gz"
    assert not (site / ".cache").exists() and (project / ".cache" / "images").is_dir()
    # Named for nginx's fingerprinted kind: cached a year.
    for name in copies:
        assert file_kind("/images/" + name) == "fingerprinted", name


def test_second_build_encodes_nothing(builds):
    assert encoded(builds["first"]) > 0, builds["first"][-2000:]
    assert "0 encoded" in builds["second"], builds["second"][-2000:]
    print(f"\nbuilds: first {builds['first_seconds']} s ({encoded(builds['first'])} copies encoded), "
          f"second {builds['second_seconds']} s")


# --- production nginx ---------------------------------------------------------------------------

def referenced(site: Path) -> list[str]:
    """Every image URL the page names: src and each srcset candidate."""
    urls = []
    for img in article_images(site):
        urls.append(img["src"])
        for tag in [img, *img.find_previous_siblings("source")]:
            urls += [p.split()[0] for p in tag.get("srcset", "").split(",") if p.strip()]
    return sorted(set(urls))


def test_every_image_and_copy_answers_200(server, site):
    for url in referenced(site):
        path = urlsplit(urljoin(PAGE, url)).path
        status, headers, body = fetch(server.url(path))
        assert status == 200 and headers["Content-Type"].startswith("image/"), (path, status)
        fingerprinted = re.search(r"\.\d+w\.[0-9a-f]{8}\.", path)
        expected = "max-age=31536000, immutable" if fingerprinted else "max-age=86400"
        assert headers["Cache-Control"] == expected, path


KINDS = {"jpg": 200, "jpeg": 200, "JPG": 200, "gif": 200, "webp": 200, "png": 200, "svg": 200, "avif": 200,
         "ico": 200, "heic": 404, "heif": 404, "bmp": 404, "tiff": 404, "pdf": 404, "psd": 404}


@pytest.fixture(scope="module")
def planted(site):
    folder = site / "planted"
    folder.mkdir(exist_ok=True)
    for ext in KINDS:
        (folder / f"a.{ext}").write_bytes(b"not really an image")
    return folder


@pytest.mark.parametrize("ext", KINDS)
def test_nginx_serves_the_image_kinds_and_the_build_reads_the_same_list(server, planted, ext):
    status, headers, _ = fetch(server.url(f"/planted/a.{ext}"))
    assert status == KINDS[ext]
    if status == 200:
        assert headers["Cache-Control"] == "max-age=86400" and headers["Content-Type"].startswith("image/")
    else:  # an error is never stored, least of all as the image a day long
        assert headers["Cache-Control"] == "no-store"
    # hooks/served.py reads nginx/site.conf's list: it answers as nginx does.
    assert served(f"/planted/a.{ext}") == (status == 200)


def test_a_missing_image_is_a_404_never_stored(server):
    # $file_kind is volatile: the 404 page a missing .png redirects to is not cached a day,
    # and as an error it is not stored at all.
    status, headers, _ = fetch(server.url("/images/nope.png"))
    assert status == 404 and headers["Cache-Control"] == "no-store"


# --- in the browser ----------------------------------------------------------------------------

WATCH = """
window.__shift = 0;
new PerformanceObserver(list => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__shift += entry.value;
}).observe({type: "layout-shift", buffered: true});
document.addEventListener("DOMContentLoaded", () => {
  window.__heightAtFirst = document.querySelector("article").getBoundingClientRect().height;
});
"""

READ = """() => [...document.querySelectorAll("article img")].map(img => ({
  alt: img.alt, src: img.currentSrc, complete: img.complete, natural: [img.naturalWidth, img.naturalHeight],
  attrs: [+img.getAttribute("width"), +img.getAttribute("height")], shown: img.getBoundingClientRect().width,
  top: img.getBoundingClientRect().top + window.scrollY,
}))"""


def read_as(browser, server, device: dict) -> dict:
    context = browser.new_context(**device)
    page = context.new_page()
    wire = Wire(context, page)
    page.add_init_script(WATCH)
    page.goto(server.url(PAGE))
    settle(page)
    before = wire.since(set())
    layout = page.evaluate(READ)
    # Read to the end, as a reader scrolls.
    for _ in range(200):
        at_end = page.evaluate("() => { window.scrollBy(0, 500); "
                               "return window.scrollY + innerHeight >= document.scrollingElement.scrollHeight - 2; }")
        page.wait_for_timeout(40)
        if at_end:
            break
    page.wait_for_function("() => [...document.querySelectorAll('article img')].every(i => i.complete)")
    settle(page)
    result = {
        "before_scroll": before,
        "layout_at_load": layout,
        "images": page.evaluate(READ),
        "fetched": wire.since(set()),
        "failed": wire.failed,
        "shift": page.evaluate("() => window.__shift"),
        "height": (page.evaluate("() => window.__heightAtFirst"),
                   page.evaluate("() => document.querySelector('article').getBoundingClientRect().height")),
        "scroll_width": page.evaluate("() => document.scrollingElement.scrollWidth"),
        "article_width": page.evaluate("() => document.querySelector('article').getBoundingClientRect().width"),
    }
    context.close()
    return result


@pytest.fixture(scope="module")
def readers(browser, server) -> dict[str, dict]:
    return {"phone": read_as(browser, server, PHONE), "desktop": read_as(browser, server, DESKTOP),
            "small phone": read_as(browser, server, {**PHONE, "viewport": {"width": 360, "height": 740}})}


def image_bytes(reading: dict) -> dict[str, tuple[str, int]]:
    """alt -> (the file the browser chose, its bytes on the wire)."""
    out = {}
    for image in reading["images"]:
        url = image["src"].split("#")[0]
        out[image["alt"]] = (urlsplit(url).path.rsplit("/", 1)[-1], reading["fetched"].get(url, 0))
    return out


@pytest.mark.parametrize("reader", ["phone", "desktop"])
def test_image_bytes_within_budget(readers, reader):
    reading = readers[reader]
    assert not reading["failed"], reading["failed"]
    got = image_bytes(reading)
    report = "\n".join(f"{n:8d}  {file}  ({alt})" for alt, (file, n) in got.items())
    print(f"\n{reader}:\n{report}")
    assert all(image["complete"] and image["natural"][0] > 0 for image in reading["images"]), reading["images"]
    assert all(0 < n <= IMAGE_BUDGET for _, n in got.values()), report
    # The 2 MB screenshot arrives as a WebP copy.
    assert got[ALTS["screenshot.png"]][0].endswith(".webp"), report


def test_intrinsic_aspect_matches_width_and_height(readers):
    for reader in ("phone", "desktop"):
        for image in readers[reader]["images"]:
            (w, h), (nw, nh) = image["attrs"], image["natural"]
            if image["src"].endswith(".svg"):
                continue  # an SVG's natural size is its viewBox's: checked in the markup test
            assert abs(w / h - nw / nh) < 0.01 * (w / h), (reader, image)


def test_lazy_images_wait_below_the_fold(readers):
    for reader in ("phone", "desktop"):
        reading = readers[reader]
        screenshot = next(i for i in reading["layout_at_load"] if i["alt"] == ALTS["screenshot.png"])
        # Chromium fetches a lazy image once it is within 1250-3000 px of the viewport.
        assert screenshot["top"] > 800 + 3000, "the screenshot must be far below the first screen for this test"
        fetched_names = [urlsplit(u).path for u in reading["before_scroll"]]
        assert not [u for u in fetched_names if "/images/screenshot" in u], (reader, fetched_names)
        assert [u for u in fetched_names if "/images/photo" in u], (reader, "the top image loads at once")


def test_nothing_moves_as_images_load(readers):
    for reader, reading in readers.items():
        first, last = reading["height"]
        assert abs(first - last) < 1, (reader, first, last)
        assert reading["shift"] < 0.001, (reader, reading["shift"])


def test_images_fit_the_column_on_a_small_phone(readers):
    reading = readers["small phone"]
    assert reading["scroll_width"] <= 360, reading["scroll_width"]
    for image in reading["images"]:
        assert image["shown"] <= reading["article_width"] + 0.5, image


# --- the guard: a kind nginx does not serve stops the build --------------------------------------

UNSERVED_NOTE = """---
description: Ek note jisme iPhone ki HEIC photo aur ek PDF hai, jo nginx serve nahi karta.
tags:
  - Images
---

# HEIC photo

Ye photo iPhone se aayi hai:

![iPhone photo](images/a.heic)

Aur notes ka PDF: [notes](files/notes.pdf).
"""


def test_an_unserved_kind_fails_the_build_naming_file_and_line(tmp_path):
    project = copy_context(tmp_path / "project")
    (project / "docs" / "images").mkdir(exist_ok=True)
    (project / "docs" / "images" / "a.heic").write_bytes(b"\x00\x00\x00\x18ftypheic")
    (project / "docs" / "files").mkdir(exist_ok=True)
    (project / "docs" / "files" / "notes.pdf").write_bytes(b"%PDF-1.4\n")
    (project / "docs" / "heic.md").write_text(UNSERVED_NOTE, encoding="utf-8")
    add_to_nav(project, "HEIC", "heic.md")
    result = make_site(project / "site", project=project)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert ("docs/heic.md:11: images/a.heic: nginx/site.conf does not serve .heic; "
            "convert it to PNG/JPG/WebP") in output, output[-3000:]
    assert "docs/heic.md:13: files/notes.pdf: nginx/site.conf does not serve .pdf; add its kind" in output
    assert "or leave the link out" in output
    assert not (project / "site").exists(), "a failed build publishes nothing"


# --- the plain functions, without MkDocs ---------------------------------------------------------

def test_widths():
    assert hook.widths(2000) == [720, 900, 1200, 1660]
    assert hook.widths(1170) == [720, 900, 1170]
    assert hook.widths(1024) == [720, 1024]
    assert hook.widths(800) == [800]  # 720 would be too close to be worth a file
    assert hook.widths(600) == [600]
    assert hook.widths(3000, shown=400) == [800]  # twice the width the author gave


def test_sizes_follow_materials_column():
    assert hook.sizes(2000) == ("(max-width: 959.98px) calc(100vw - 32px), (max-width: 1219.98px) "
                                "calc(100vw - 274px), (max-width: 1599.98px) 688px, (max-width: 1999.98px) 757px, "
                                "826px")
    assert hook.sizes(604) == "(max-width: 636px) calc(100vw - 32px), 604px"
    assert hook.sizes(700) == ("(max-width: 732px) calc(100vw - 32px), (max-width: 959.98px) 700px, "
                               "(max-width: 974px) calc(100vw - 274px), (max-width: 1219.98px) 700px, "
                               "(max-width: 1599.98px) 688px, 700px")


def test_rewrite_runs_on_a_site_folder_and_twice_changes_nothing(tmp_path):
    site = tmp_path / "site"
    (site / "note").mkdir(parents=True)
    photo((1600, 1200), 5, 6).save(site / "note" / "wide.jpg", quality=85)
    turned = photo((1200, 900), 6, 6)
    exif = Image.Exif()
    exif[0x0112] = 6  # shown a quarter turn clockwise: 900 wide, 1200 high
    turned.save(site / "note" / "turned.jpg", quality=85, exif=exif)
    html = ('<html><body><article class="md-content__inner md-typeset"><h1>T</h1>'
            '<p><img alt="wide" src="wide.jpg" /></p>' + "<p>" + "x" * 600 + "</p>"
            '<p><img alt="turned" src="turned.jpg#only-light" /></p>'
            '<p><img alt="elsewhere" src="https://example.org/a.png" /></p></article></body></html>')
    images = hook.Images(tmp_path / "cache", b"test")
    once = images.rewrite(html, "note/", site)
    images.close()
    soup = BeautifulSoup(once, "html.parser")
    wide, turned_img, elsewhere = soup.select("img")
    assert wide.get("fetchpriority") == "high" and wide.parent.name == "picture"
    assert (turned_img["width"], turned_img["height"]) == ("900", "1200")
    assert turned_img["src"].endswith("#only-light") and turned_img["loading"] == "lazy"
    copy_name = turned_img["srcset"].split(",")[0].split()[0]
    with Image.open(site / "note" / copy_name) as copy:
        assert copy.size == (720, 960), "the copy is turned as the browser shows the original"
    assert "width" not in elsewhere.attrs
    again = hook.Images(tmp_path / "cache", b"test")
    assert again.rewrite(once, "note/", site) == once
    again.close()
    assert again.encoded == 0


def test_svg_size():
    assert hook.svg_size('<svg viewBox="0 0 400 200">') == (400, 200)
    assert hook.svg_size('<svg width="120px" height="60" viewBox="0 0 400 200">') == (120, 60)
    assert hook.svg_size('<svg width="100%" viewBox="0,0,50,25">') == (50, 25)
    assert hook.svg_size("<svg>") is None


def test_served_reads_the_map_as_nginx_does():
    assert file_kind("/") == "revalidated" and file_kind("/a/b.html") == "revalidated"
    assert file_kind("/assets/javascripts/bundle.0123abcd.min.js") == "fingerprinted"
    assert file_kind("/images/x.720w.0123abcd.webp") == "fingerprinted"
    assert file_kind("/images/x.JPEG") == "image" and file_kind("/x.heic") == ""
    assert not served("/.env") and not served("/Dockerfile") and served("/images/x.gif")


def test_the_phone_column_is_measured(browser, server):
    """Material's column at the widths postbuild/images.py's COLUMNS and PHONE_MAX assume."""
    for width, column in ((360, 328), (390, 358), (480, 448), (959, 927), (1000, 726), (1280, 688), (1600, 757),
                          (2560, 826)):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto(server.url(PAGE))
        measured = page.evaluate("""() => { const a = document.querySelector('article');
          const d = document.createElement('div'); a.appendChild(d); return d.getBoundingClientRect().width; }""")
        context.close()
        assert abs(measured - column) < 1, (width, measured, column)
    assert hook.PHONE_MAX >= 2 * 448 - 10


def test_copies_are_made_in_the_build_folder_not_the_docs(project):
    assert not [p for p in (project / "docs" / "images").iterdir() if re.search(r"\.\d+w\.", p.name)]
