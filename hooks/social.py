"""Link previews: what a chat or social app shows for a shared link to a page.

Guarantees, for every page (the 404 and 500 static templates have no page and no address
worth sharing, so they get none):
* Open Graph and Twitter card tags: og:type, og:site_name, og:title, og:description,
  og:url (absolute, the page's canonical URL from site_url), og:image (absolute) with its
  type, width, height and alt text, and twitter:card (Twitter reads the og: tags for the
  rest). overrides/main.html writes them into <head>, HTML-escaped. The build fails
  without site_url: a preview needs absolute addresses.
* A preview image, assets/images/social/<page>.png, 1200x630, drawn at build time with
  Pillow from the page's title and description in a locally installed font (DejaVu Sans,
  Debian's fonts-dejavu-core, which the Makefile installs; Arial on macOS and Windows).
  Nothing is downloaded; the build fails, naming what to install, if no font is found. The
  preview (`mkdocs serve`, which `make serve` runs without installing fonts) then draws no
  images (the tags stay; only link-preview crawlers fetch the images) and names the skip
  in its startup line (hooks/preview.py logs it, at INFO).
* Drawn once per content: images are cached in the cache folder (hooks/shared.py) under a
  hash of what they show and how (title, description, site name, fonts, this file), so an
  unchanged page is copied, not redrawn.
* Drawn beside the build, not in its way: the missing images are queued as soon as every
  page's title is known (on_env) and drawn by a thread pool on every core while MkDocs
  renders the pages (Pillow's drawing and PNG encoding release the GIL); on_post_build
  waits for them and copies them into the site.
* Small: a 16-colour palette PNG; the build fails if one exceeds MAX_BYTES. The palette is
  fixed, not searched per image: a card holds only its four colours and the anti-aliasing
  steps of its text towards the background (8 per text colour), so those are the palette.
  Mapping to it costs a fraction of a median-cut search, and with 16 colours the PNG packs
  two pixels a byte. zlib runs at level 6: on the flat background, levels 8 and 9 search
  long runs of equal bytes for matches, which took three times as long (most of a card's
  time, and of all the cards' at a hundred notes) for 8 % fewer bytes; link-preview
  crawlers fetch these images, readers' page loads do not.
* Page weight does not change: nothing in the page loads the image, only the tags name it.

Not Material's social plugin: it renders offline only if its font cache is seeded by hand
(an internal folder layout), otherwise it fetches the font from Google Fonts during the
build; it needs CairoSVG and the system's libcairo; it writes its tag values unescaped
and has no og:image:alt.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import posixpath
import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from io import BytesIO
from pathlib import Path
from urllib.parse import urljoin

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from PIL import Image, ImageColor, ImageDraw, ImageFont

import shared

SIZE = (1200, 630)
MAX_BYTES = 60_000
IMAGES = "assets/images/social"
# (regular, bold): the first pair installed is used.
FONTS = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf", "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf"),
    ("/System/Library/Fonts/Supplemental/Arial.ttf", "/System/Library/Fonts/Supplemental/Arial Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
]
# The theme's indigo (the header and theme-color), white text.
BACKGROUND = "#4051b5"
BAND = "#303f9f"
TEXT = "#ffffff"
MUTED = "#d5d9f0"
MARGIN = 80
# Anti-aliasing steps from the background to each text colour, both ends included.
TEXT_STEPS = 8
PNG_LEVEL = 6  # zlib's default; why not 8 or 9: the docstring

_fonts: tuple[Path, Path] | None = None  # None in a preview without a font: no images
_command: str | None = None  # "serve": the preview
_cache: Path | None = None
_pool: ThreadPoolExecutor | None = None
_drawing: dict[Path, Future] = {}  # cached image path -> its drawing, for this build
_wanted: dict[Path, tuple[Path, str]] = {}  # site path -> (cached image, docs/ source), for this build


def find_fonts() -> tuple[Path, Path]:
    for regular, bold in FONTS:
        if Path(regular).is_file() and Path(bold).is_file():
            return Path(regular), Path(bold)
    raise PluginError("hooks/social.py: no font for the link-preview images. Install DejaVu Sans "
                      "(Debian: apt-get install fonts-dejavu-core; `make site` does it).")


def wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int,
         max_lines: int) -> list[str]:
    """Words wrapped to `width` pixels; past `max_lines` the last line ends in an ellipsis."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(lines[-1] + " " + word, font=font) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and draw.textlength(last + " …", font=font) > width:
            last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
        lines = lines[: max_lines - 1] + [last + " …"]
    return lines


def draw_card(site_name: str, title: str, description: str, fonts: tuple[Path, Path]) -> Image.Image:
    regular, bold = fonts
    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    width = SIZE[0] - 2 * MARGIN
    draw.rectangle((0, SIZE[1] - 24, SIZE[0], SIZE[1]), fill=BAND)
    draw.text((MARGIN, 64), site_name, font=ImageFont.truetype(str(bold), 40), fill=MUTED)
    # The title as large as fits in two lines.
    for size in (88, 76, 64, 56):
        title_font = ImageFont.truetype(str(bold), size)
        title_lines = wrap(draw, title, title_font, width, 2)
        if all(draw.textlength(line, font=title_font) <= width for line in title_lines) and "…" not in title_lines[-1]:
            break
    y = 150
    for line in title_lines:
        draw.text((MARGIN, y), line, font=title_font, fill=TEXT)
        y += int(size * 1.2)
    body = ImageFont.truetype(str(regular), 36)
    y += 28
    for line in wrap(draw, description, body, width, max(1, (SIZE[1] - 60 - y) // 50)):
        draw.text((MARGIN, y), line, font=body, fill=MUTED)
        y += 50
    return image


def steps(start: str, end: str, count: int) -> list[tuple[int, int, int]]:
    (a, b) = ImageColor.getrgb(start), ImageColor.getrgb(end)
    return [tuple(round(x + (y - x) * k / (count - 1)) for x, y in zip(a, b, strict=True)) for k in range(count)]


def palette() -> Image.Image:
    """The band, then the background and its steps to the title's and to the muted colour:
    1 + 8 + 7 = 16 colours."""
    colours = [ImageColor.getrgb(BAND), *steps(BACKGROUND, TEXT, TEXT_STEPS), *steps(BACKGROUND, MUTED, TEXT_STEPS)[1:]]
    image = Image.new("P", (1, 1))
    image.putpalette([channel for colour in colours for channel in colour])
    return image


PALETTE = palette()


def png(image: Image.Image) -> bytes:
    out = BytesIO()
    image.quantize(palette=PALETTE, dither=Image.Dither.NONE).save(out, format="PNG", bits=4,
                                                                   compress_level=PNG_LEVEL)
    return out.getvalue()


@functools.lru_cache(maxsize=4)  # hashed once per build, not once per page
def fonts_digest(fonts: tuple[Path, Path]) -> bytes:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for font in fonts:
        digest.update(hashlib.sha256(font.read_bytes()).digest())
    return digest.digest()


def card_key(*parts: str, fonts: tuple[Path, Path]) -> str:
    digest = hashlib.sha256(fonts_digest(fonts))
    digest.update(json.dumps(parts).encode("utf-8"))
    return digest.hexdigest()[:32]


def cached_card(site_name: str, title: str, description: str) -> Path:
    return _cache / f"{card_key(site_name, title, description, fonts=_fonts)}.png"


def draw_into(cached: Path, site_name: str, title: str, description: str) -> Path:
    shared.write_atomic(cached, png(draw_card(site_name, title, description, _fonts)))
    return cached


def card(site_name: str, title: str, description: str) -> Path:
    """The cached image for this content, drawn now if it is not cached yet."""
    cached = cached_card(site_name, title, description)
    return cached if cached.is_file() else draw_into(cached, site_name, title, description)


def card_text(page: Page, config: MkDocsConfig) -> tuple[str, str, str]:
    """(site name, title, description) as the card shows them."""
    site_name = config.site_name
    title = site_name if page.is_homepage else page.title
    description = " ".join(str(page.meta.get("description") or config.site_description or "").split())
    return site_name, title, description


def on_startup(command: str, dirty: bool) -> None:
    global _command
    _command = command


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _fonts, _cache
    if not config.site_url:
        raise PluginError("hooks/social.py: link previews need site_url (absolute og:url and og:image)")
    try:
        _fonts = find_fonts()
    except PluginError:
        if _command != "serve":
            raise
        _fonts = None
        config.setdefault("preview_skips", {}).setdefault(
            "no DejaVu Sans font (fonts-dejavu-core)", []).append("no link-preview images")
    fonts_digest.cache_clear()  # `mkdocs serve`: a font may have changed since the last build
    _cache = shared.cache_dir("social", Path(config.config_file_path).parent)
    return config


def on_env(env, config: MkDocsConfig, files: Files):
    """Every page's title is known now: queue the cards not in the cache."""
    global _pool
    _drawing.clear()
    _wanted.clear()
    for file in files.documentation_pages():
        if file.page is None or _fonts is None:
            continue
        parts = card_text(file.page, config)
        cached = cached_card(*parts)
        if cached not in _drawing and not cached.is_file():
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="social")
            _drawing[cached] = _pool.submit(draw_into, cached, *parts)
    return env


def on_page_context(context: dict, page: Page, config: MkDocsConfig, nav: Navigation) -> dict:
    site_name, title, description = card_text(page, config)
    name = posixpath.splitext(page.file.src_uri)[0] + ".png"
    if _fonts is not None:
        cached = cached_card(site_name, title, description)
        if cached not in _drawing and not cached.is_file():  # not queued by on_env: drawn now
            draw_into(cached, site_name, title, description)
        _wanted[Path(config.site_dir) / IMAGES / name] = (cached, page.file.src_uri)
    context["link_preview"] = [
        ("property", "og:type", "website"),
        ("property", "og:site_name", site_name),
        ("property", "og:title", title),
        ("property", "og:description", description),
        ("property", "og:url", page.canonical_url),
        ("property", "og:image", urljoin(config.site_url, f"{IMAGES}/{name}")),
        ("property", "og:image:type", "image/png"),
        ("property", "og:image:width", str(SIZE[0])),
        ("property", "og:image:height", str(SIZE[1])),
        # What the image shows: the site's name, the title and the description.
        ("property", "og:image:alt", f"{site_name}: {description}" if page.is_homepage
         else f"{title} · {site_name}: {description}"),
        ("name", "twitter:card", "summary_large_image"),
    ]
    return context


def stop_drawing() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(cancel_futures=True)
        _pool = None


def on_post_build(config: MkDocsConfig) -> None:
    """Wait for the drawings, check their size, copy every page's image into the site."""
    try:
        for drawing in _drawing.values():
            drawing.result()  # a drawing's error stops the build here
    finally:
        stop_drawing()
    for target, (image, source) in sorted(_wanted.items()):
        size = image.stat().st_size
        if size > MAX_BYTES:
            raise PluginError(f"hooks/social.py: the preview image of docs/{source} has {size} bytes, "
                              f"more than {MAX_BYTES}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(image, target)


def on_build_error(error: Exception) -> None:
    stop_drawing()  # a failed build does not wait for (or keep) drawings nobody will copy
