"""The notes' images, made light at build time.

Authors put PNG, JPG, WebP, GIF and SVG files beside a note (or in a folder beside it) and
write `![alt](images/x.png)`: a 2 MB phone screenshot or a 2048 px photo, which a phone
would download whole to show 358 CSS px wide. This step changes the markup and adds files;
the author's files stay as they are.

Guarantees, for every <img> of a built page whose src is an image file of the site:

* width and height attributes: the file's own (after its EXIF orientation, which browsers
  apply to a JPEG), or, where the author gave a width, the height that goes with it; for an
  SVG, from its width and height or else its viewBox when the <img> has neither. With them
  the browser reserves the image's box before a byte arrives: nothing moves as images load.
* loading="lazy" and decoding="async", except on the first image near the top of the
  article (fewer than TOP_CHARS characters of text before it): the page's largest paint is
  likely that image, so it loads at once, with fetchpriority="high". An <img> that already
  says how to load (the diagrams of hooks/diagrams.py) is left as it is.
* Raster images (PNG, JPEG, WebP, a GIF that is not animated) wider than the smallest step
  get copies resized to `widths()`: never wider than the image itself (nothing is
  upscaled), nor than twice the widest column the image is shown in (Material's column is
  at most 826 CSS px, 34.4rem at the widest screens' 24 px root: at most MAX_WIDTH), in
  steps far enough apart to be worth a file. `srcset` lists them and `sizes` gives the
  column's true width at each of Material's breakpoints, so the browser fetches the
  smallest copy that is sharp on its screen. A viewport of at most PHONE_VIEWPORT CSS px
  (a column of at most 448) is offered copies of at most PHONE_MAX px, twice that column,
  through a <source media>: a phone of density 3 would otherwise take a third of a density
  more (the test's 2 MB screenshot: 1170 px, 123 kB, against 900 px, 56 kB) for detail a
  reader does not see at arm's length.
* WebP first: every copy is also a WebP (lossy, quality WEBP_QUALITY, Pillow's slowest and
  densest method; lossless for an image of at most 256 colours, so drawings and flat
  screenshots stay exact), offered in <picture><source type="image/webp">; the image's own
  format stays the <img> fallback, in the same widths (a GIF's resized fallback is a PNG:
  the same pixels without cutting them back to 256 colours; a WebP needs no fallback). At a
  width the image already has, the fallback is the author's file itself.
* An image already small (no wider than the smallest step) stays as it is; it gets a WebP
  copy in a <picture> only if that saves at least a fifth of its bytes and 2 kB
  (SMALL_SAVING): less is not worth the markup and the second file.
* Left as they are, but for the attributes above: animated GIFs and WebPs (every frame
  would have to be re-encoded, and the result is often larger), AVIF (already denser than
  WebP), SVG (drawn at any size), an <img> that already has srcset or is already inside a
  <picture> (so running this again over its own output changes nothing), and images on
  other sites. The alt text is left exactly as the author wrote it (none written: Markdown's
  alt="", as before), and the author's full-size file stays in the site for a link to it.
* The copies are named by their content, <name>.<width>w.<8 hex>.<webp|png|jpg>, beside
  the author's file: nginx/site.conf's `$file_kind` serves that pattern as fingerprinted,
  cached for a year (img-src 'self' in its CSP: same origin). Their colour profile is kept;
  the rest of the metadata (EXIF: camera, place) is not.
* Cost follows what changed: each copy is cached by content in the cache folder (outside
  site/) under a hash of the source's bytes, the copy's size and format, Pillow's version
  and this file; the copies a build lacks are encoded by a thread pool on every core
  (Pillow releases the GIL for most of resizing and encoding), every page's queued before
  the first page is rewritten. The step's output says how many were encoded.

The first post-build step: the CSP, minify and compression steps see the final markup, and
leave the copies (images) alone. The preview (`mkdocs serve`) shows the authors' files as
they are.
"""

from __future__ import annotations

import hashlib
import html as htmlmod
import io
import os
import posixpath
import re
import shutil
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import PIL
from PIL import Image, ImageOps

from hooks.shared import write_atomic
from postbuild import StepError


MAX_COLUMN = 830        # Material's widest content column, CSS px (34.4rem at a 24 px root: 826)
MAX_WIDTH = 2 * MAX_COLUMN
STEPS = (720, 900, 1200)  # widths below the widest copy: 2x a phone's column, 1x and 2x a desktop's
CLOSE = 0.8             # a step is made only if at most this share of the next wider copy
PHONE_VIEWPORT = 480    # CSS px: a phone held upright; its column is at most 448 px
PHONE_MAX = 900         # twice that column
WEBP_QUALITY = 80
JPEG_QUALITY = 82
SMALL_SAVING = (0.2, 2048)  # an image needing no resizing gets a WebP copy only if it saves this share and bytes
TOP_CHARS = 500         # text before an image that still leaves it in a phone's first screen
RASTER = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}
# Material's content column (CSS px) by viewport width, from its stylesheet: up to each
# viewport width (None: any wider), the viewport minus the margins ("vw", px) or a fixed
# width ("px", px). Measured in Chromium at 320-2560 px.
COLUMNS: tuple[tuple[float | None, str, int], ...] = (
    (959.98, "vw", 32),    # below 60em: the column is the page, 16 px margins
    (1219.98, "vw", 274),  # 60em-76.25em: the table of contents beside it
    (1599.98, "px", 688),  # both sidebars: 34.4rem at the 20 px root
    (1999.98, "px", 757),  # from 100em the root is 22 px
    (None, "px", 826),     # from 125em, 24 px
)

IMG = re.compile(r"<img\b[^>]*>", re.I)
PICTURE = re.compile(r"<(/?)picture\b", re.I)
ATTR = re.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
TAG = re.compile(r"<[^>]*>")
ARTICLE = re.compile(r"<article\b", re.I)
SVG_ROOT = re.compile(r"<svg\b[^>]*>", re.I | re.S)
NUMBER = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")


# --- what an image is ---------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """An image file as the browser shows it."""

    path: Path
    format: str  # Pillow's name (PNG, JPEG, WEBP, GIF, AVIF, ...) or SVG
    width: int
    height: int
    animated: bool = False
    digest: str = ""  # sha256 of its bytes (raster images only)

    @property
    def resizable(self) -> bool:
        return self.format in RASTER and not self.animated


@dataclass(frozen=True)
class Variant:
    """One copy of an image: its size, format, and the key of its content."""

    width: int
    height: int
    ext: str  # webp, png or jpg
    key: str

    def name(self, source_name: str) -> str:
        return f"{posixpath.splitext(source_name)[0]}.{self.width}w.{self.key[:8]}.{self.ext}"


def svg_size(text: str) -> tuple[int, int] | None:
    """An SVG's size in CSS px: its width and height if both are plain lengths, else its viewBox."""
    root = SVG_ROOT.search(text)
    if not root:
        return None
    attrs = {name.lower(): value for name, value in attributes(root.group(0))}
    width, height = NUMBER.match(attrs.get("width", "")), NUMBER.match(attrs.get("height", ""))
    if width and height:
        return round(float(width.group(1))), round(float(height.group(1)))
    box = re.split(r"[\s,]+", attrs.get("viewbox", "").strip())
    if len(box) == 4:
        try:
            w, h = float(box[2]), float(box[3])
        except ValueError:
            return None
        if w > 0 and h > 0:
            return round(w), round(h)
    return None


def probe(path: Path) -> Source | None:
    """What the file is, from its header (and, for a raster image, the hash of its bytes);
    None if it is not an image Pillow or this step can read."""
    if path.suffix.lower() == ".svg":
        size = svg_size(path.read_text(encoding="utf-8", errors="replace"))
        return Source(path, "SVG", *size) if size else None
    try:
        with Image.open(path) as image:
            width, height = image.size
            if image.format == "JPEG" and image.getexif().get(0x0112) in (5, 6, 7, 8):
                width, height = height, width  # rotated a quarter turn by its EXIF orientation
            animated = bool(getattr(image, "is_animated", False))
            fmt = image.format
    except (OSError, SyntaxError, ValueError):
        return None
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if fmt in RASTER else ""
    return Source(path, fmt, width, height, animated, digest)


# --- which copies -------------------------------------------------------------------------

def widths(width: int, shown: int | None = None) -> list[int]:
    """The widths of the copies of an image `width` px wide, shown at most `shown` CSS px
    wide (its width attribute, if the author gave one): the widest is the image's own
    width or twice the widest column it is shown in, whichever is less; then each step
    that is at most CLOSE of the next wider copy."""
    top = min(width, 2 * min(shown or MAX_COLUMN, MAX_COLUMN))
    out = [top]
    for step in sorted(STEPS, reverse=True):
        if step <= CLOSE * out[-1]:
            out.append(step)
    return sorted(out)


def fallback_ext(source: Source) -> str:
    return "png" if source.format == "GIF" else RASTER[source.format]


def key(salt: bytes, source: Source, width: int, height: int, ext: str) -> str:
    return hashlib.sha256(salt + f"{source.digest} {width}x{height} {ext}".encode()).hexdigest()


def height_for(source: Source, width: int) -> int:
    return max(1, round(source.height * width / source.width))


def sizes(shown: int) -> str:
    """The `sizes` attribute of an image at most `shown` CSS px wide, in Material's column."""
    entries: list[tuple[float | None, str]] = []
    low = 0.0
    for high, how, amount in COLUMNS:
        if how == "px":
            entries.append((high, f"{min(shown, amount)}px"))
        else:
            fluid = f"calc(100vw - {amount}px)"
            if high is not None and shown >= high - amount:
                entries.append((high, fluid))
            elif shown <= low - amount:
                entries.append((high, f"{shown}px"))
            else:
                entries.append((shown + amount, fluid))
                entries.append((high, f"{shown}px"))
        low = (high or 0) + 0.02
    merged: list[tuple[float | None, str]] = []
    for high, value in entries:
        if merged and merged[-1][1] == value:
            merged[-1] = (high, value)
        else:
            merged.append((high, value))
    *conditional, (_, default) = merged
    return ", ".join([f"(max-width: {high:g}px) {value}" for high, value in conditional] + [default])


# --- making a copy --------------------------------------------------------------------------

def few_colours(image: Image.Image) -> bool:
    return image.getcolors(maxcolors=256) is not None


def encode(path: Path, fmt: str, width: int, height: int, ext: str) -> bytes:
    """A copy of the image at `path` (Pillow format `fmt`), `width` x `height`, as `ext`."""
    with Image.open(path) as image:
        if fmt == "JPEG":
            turned = image.getexif().get(0x0112) in (5, 6, 7, 8)
            image.draft("RGB", (height, width) if turned else (width, height))  # decoded at a smaller scale
        image.load()
        # The colour profile describes RGB pixels only in these modes (a CMYK or grey
        # profile would be wrong on the RGB copy: those are converted without it).
        profile = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA", "P", "PA") else None
        if fmt == "JPEG":
            image = ImageOps.exif_transpose(image)
        lossless = ext == "webp" and fmt != "JPEG" and few_colours(image)
        alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
        image = image.convert("RGBA" if alpha else "RGB")
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    extra = {"icc_profile": profile} if profile else {}
    if ext == "webp":
        if lossless:
            image.save(out, "WEBP", lossless=True, quality=80, method=4, **extra)
        else:
            image.save(out, "WEBP", quality=WEBP_QUALITY, method=6, **extra)
    elif ext == "jpg":
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, **extra)
    else:
        image.save(out, "PNG", **extra)
    return out.getvalue()


@dataclass
class Plan:
    """What one image becomes: its copies (WebP, fallback), each with its encoding."""

    source: Source
    webp: list[Variant | None] = field(default_factory=list)  # one per width; None: the author's file
    fallback: list[Variant | None] = field(default_factory=list)  # the same widths in the image's own format
    jobs: dict[str, Future] = field(default_factory=dict)  # variant key -> its cached file


class Images:
    """The images of one build: what each becomes, their encodings on a thread pool, the
    cache. Plain Python on files: no MkDocs."""

    def __init__(self, cache: Path, salt: bytes, workers: int | None = None):
        self.cache = cache
        self.salt = salt
        self.workers = workers or os.cpu_count() or 1
        self.pool: ThreadPoolExecutor | None = None
        # By site path ("images/x.png"): each image is probed and planned once.
        self.plans: dict[tuple[str, int | None], Plan | None] = {}
        self.sources: dict[str, Source | None] = {}
        self.jobs: dict[str, Future] = {}
        self.written: set[Path] = set()
        self.encoded = 0
        self.from_cache = 0
        self.seconds = 0.0
        self.lock = threading.Lock()

    # -- sources and plans

    def source(self, root: Path, path: str) -> Source | None:
        """The image at site path `path`, read from `root` the first time it is asked for."""
        if path not in self.sources:
            file = root / path
            self.sources[path] = probe(file) if file.is_file() else None
        return self.sources[path]

    def plan(self, root: Path, path: str, shown: int | None = None) -> Plan | None:
        """The copies of the image at `path` (shown at most `shown` CSS px wide), their
        encoding queued; None for an image that gets no copies."""
        memo = (path, shown)
        if memo in self.plans:
            return self.plans[memo]
        source = self.source(root, path)
        plan = None
        if source is not None and source.resizable:
            plan = Plan(source)
            for width in widths(source.width, shown):
                height = height_for(source, width)
                own = width == source.width  # the author's file is that copy in its own format
                if source.format == "WEBP":  # its own format is WebP: one list, no fallback
                    plan.webp.append(None if own else self.variant(source, width, height, "webp", plan))
                    continue
                plan.webp.append(self.variant(source, width, height, "webp", plan))
                plan.fallback.append(None if own else self.variant(source, width, height, fallback_ext(source), plan))
            if source.format == "WEBP":
                plan.fallback = plan.webp
        self.plans[memo] = plan
        return plan

    def variant(self, source: Source, width: int, height: int, ext: str, plan: Plan) -> Variant:
        variant = Variant(width, height, ext, key(self.salt, source, width, height, ext))
        if variant.key not in self.jobs:
            cached = self.cache / f"{variant.key}.{ext}"
            if cached.is_file():
                done: Future = Future()
                done.set_result(cached)
                self.jobs[variant.key] = done
                self.from_cache += 1
            else:
                if self.pool is None:
                    self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="images")
                self.jobs[variant.key] = self.pool.submit(self.make, source, variant, cached)
        plan.jobs[variant.key] = self.jobs[variant.key]
        return variant

    def make(self, source: Source, variant: Variant, cached: Path) -> Path:
        start = time.monotonic()
        data = encode(source.path, source.format, variant.width, variant.height, variant.ext)
        write_atomic(cached, data)
        with self.lock:
            self.encoded += 1
            self.seconds += time.monotonic() - start
        return cached

    def ready(self, plan: Plan) -> dict[str, Path]:
        """The cached files of the plan's copies, once encoded (an error names the image)."""
        try:
            return {name: job.result() for name, job in plan.jobs.items()}
        except Exception as error:
            raise StepError(f"{plan.source.path}: {error}") from error

    def close(self, cancel: bool = False) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=not cancel, cancel_futures=cancel)
            self.pool = None

    # -- pages

    def queue(self, html: str, page_url: str, root: Path) -> None:
        """Queue the copies a page's images need: `root` holds the files at their site paths."""
        for match in IMG.finditer(html):
            attrs = dict(attributes(match.group(0)))
            path = local_path(attrs.get("src", ""), page_url)
            if path is not None and "srcset" not in attrs:
                self.plan(root, path, pixels(attrs.get("width")))

    def rewrite(self, html: str, page_url: str, site_dir: Path) -> str:
        """The page with its images' markup made light (see the module docstring), and their
        copies written into `site_dir` beside the images."""
        out: list[str] = []
        last = 0
        article = ARTICLE.search(html)
        first_in_article = True
        for match in IMG.finditer(html):
            start = match.start()
            in_article = article is not None and start > article.start()
            top = False
            if in_article and first_in_article:
                first_in_article = False
                text = " ".join(htmlmod.unescape(TAG.sub(" ", html[article.start():start])).split())
                top = len(text) < TOP_CHARS
            if inside_picture(html, start):
                continue
            replacement = self.image(match.group(0), page_url, site_dir, top)
            if replacement is not None:
                out.append(html[last:start])
                out.append(replacement)
                last = match.end()
        out.append(html[last:])
        return "".join(out)

    def image(self, tag: str, page_url: str, site_dir: Path, top: bool) -> str | None:
        """The markup for one <img>, or None to leave it as it is."""
        attrs = attributes(tag)
        names = {name.lower() for name, _ in attrs}
        values = {name.lower(): value for name, value in attrs}
        src = values.get("src", "")
        path = local_path(src, page_url)
        if path is None or "srcset" in names:
            return None
        file = site_dir / path
        source = self.source(site_dir, path)
        if source is None:
            return None
        shown = pixels(values.get("width"))
        changes: dict[str, str] = {}
        if "width" not in names and "height" not in names:
            changes.update(width=str(source.width), height=str(source.height))
        elif shown and "height" not in names:
            changes["height"] = str(max(1, round(source.height * shown / source.width)))
        elif "width" not in names and pixels(values.get("height")):
            changes["width"] = str(max(1, round(source.width * pixels(values["height"]) / source.height)))
        if "loading" not in names:
            if top:
                changes["fetchpriority"] = "high"
            else:
                changes.update(loading="lazy", decoding="async")
        plan = self.plan(site_dir, path, shown)
        if plan is None:
            return img_tag(attrs, changes) if changes else None
        files = self.ready(plan)
        fragment = "#" + urlsplit(src).fragment if urlsplit(src).fragment else ""
        base = src.split("#")[0].split("?")[0]
        folder = base.rsplit("/", 1)[0] + "/" if "/" in base else ""

        def url(variant: Variant | None) -> str:
            return base if variant is None else folder + self.write(files, variant, file)

        sized = [source.width if v is None else v.width for v in plan.fallback]
        if sized == [source.width]:
            # Small already: it stays, with a WebP copy beside it only where that saves enough.
            (webp,) = plan.webp
            saved = file.stat().st_size - (0 if webp is None else files[webp.key].stat().st_size)
            if webp is None or saved < SMALL_SAVING[0] * file.stat().st_size or saved < SMALL_SAVING[1]:
                return img_tag(attrs, changes) if changes else None
            return "<picture>" + source_tag("image/webp", None, url(webp), None) + img_tag(attrs, changes) + "</picture>"

        def srcset(variants: list[Variant | None], limit: int | None = None) -> str:
            return ", ".join(f"{url(v)} {w}w" for v, w in zip(variants, sized, strict=True)
                             if limit is None or w <= limit)

        size_list = sizes(min(shown or source.width, source.width))
        middle = max((i for i, w in enumerate(sized) if w <= STEPS[-1]), default=0)  # for browsers without srcset
        changes.update(src=url(plan.fallback[middle]) + fragment, srcset=srcset(plan.fallback), sizes=size_list)
        phone = sized[0] <= PHONE_MAX < sized[-1]
        media = f"(max-width: {PHONE_VIEWPORT}px)"
        sources = []
        if plan.webp is not plan.fallback:
            if phone:
                sources.append(source_tag("image/webp", media, srcset(plan.webp, PHONE_MAX), size_list))
            sources.append(source_tag("image/webp", None, srcset(plan.webp), size_list))
        if phone:
            sources.append(source_tag(None, media, srcset(plan.fallback, PHONE_MAX), size_list))
        if not sources:
            return img_tag(attrs, changes)
        return "<picture>" + "".join(sources) + img_tag(attrs, changes) + "</picture>"

    def write(self, files: dict[str, Path], variant: Variant, image: Path) -> str:
        """Put a copy beside the image in the site (once per build); its file name."""
        name = variant.name(image.name)
        target = image.with_name(name)
        if target not in self.written:
            shutil.copyfile(files[variant.key], target)
            self.written.add(target)
        return name


# --- markup ---------------------------------------------------------------------------------

def attributes(tag: str) -> list[tuple[str, str]]:
    """The attributes of a start tag, in order, values unescaped ("" for a bare name)."""
    inner = re.sub(r"^<\w+", "", tag).rstrip(">").rstrip("/")
    out = []
    for match in ATTR.finditer(inner):
        value = next((v for v in match.group(2, 3, 4) if v is not None), "")
        out.append((match.group(1), htmlmod.unescape(value)))
    return out


def img_tag(attrs: list[tuple[str, str]], changes: dict[str, str]) -> str:
    """The <img> with `changes` applied: changed attributes in place, new ones after."""
    done = set()
    parts = []
    for name, value in attrs:
        lower = name.lower()
        if lower in changes:
            value = changes[lower]
            done.add(lower)
        parts.append(f'{name}="{htmlmod.escape(value)}"')
    parts += [f'{name}="{htmlmod.escape(value)}"' for name, value in changes.items() if name not in done]
    return "<img " + " ".join(parts) + ">"


def source_tag(kind: str | None, media: str | None, srcset: str, size_list: str | None) -> str:
    attrs = [("type", kind), ("media", media), ("srcset", srcset), ("sizes", size_list)]
    return "<source " + " ".join(f'{n}="{htmlmod.escape(v)}"' for n, v in attrs if v is not None) + ">"


def inside_picture(html: str, position: int) -> bool:
    depth = 0
    for match in PICTURE.finditer(html, 0, position):
        depth += -1 if match.group(1) else 1
    return depth > 0


def pixels(value: str | None) -> int | None:
    match = NUMBER.match(value or "")
    return round(float(match.group(1))) if match and float(match.group(1)) > 0 else None


def local_path(url: str, page_url: str) -> str | None:
    """The site path (no leading slash) a relative URL of the page points at; None for
    another site, an absolute path or a data: URL."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("/") or not parts.path:
        return None
    return unquote(urlsplit(urljoin("http://site/" + page_url, url)).path.lstrip("/"))


# --- the step -------------------------------------------------------------------------------

def salt() -> bytes:
    return hashlib.sha256(Path(__file__).read_bytes() + PIL.__version__.encode()).digest()


def page_url(page: Path, site_dir: Path) -> str:
    """The address a built file is served at, below the site: "jwt/" for jwt/index.html."""
    relative = page.relative_to(site_dir).as_posix()
    return relative.removesuffix("index.html") if page.name == "index.html" else relative


def optimise_images(site_dir: Path, cache: Path) -> None:
    """Every page's images made light: all copies queued first (encoded on every core), then
    each page rewritten as its copies are ready."""
    images = Images(cache, salt())
    pages = {page: page.read_text(encoding="utf-8") for page in sorted(site_dir.rglob("*.html"))}
    try:
        for page, html in pages.items():
            images.queue(html, page_url(page, site_dir), site_dir)
        for page, html in pages.items():
            if (rewritten := images.rewrite(html, page_url(page, site_dir), site_dir)) != html:
                page.write_text(rewritten, encoding="utf-8")
    finally:
        images.close(cancel=True)
    if images.encoded or images.from_cache:
        print(f"Image copies: {images.encoded} encoded ({images.seconds:.1f} s of work on {images.workers} "
              f"threads), {images.from_cache} from the cache")
