"""Diagrams drawn at build time: no diagram JavaScript reaches the browser.

Guarantees:
* every ```mermaid fence in a page becomes a <figure> of two SVG files, light and dark
  (Material's `#only-light` / `#only-dark` images, loaded lazily so only the shown one is
  fetched), rendered by Mermaid's own CLI library in Debian's Chromium
  (hooks/render_diagrams.mjs) and served from assets/diagrams/ under a content-hash name;
* its figcaption is the diagram's `accTitle:` and the images' alt text its `accDescr:`
  (Mermaid's own accessibility lines, also written into the SVG): a diagram without both,
  or one that does not render, fails the build with the file and line named;
* rendered SVGs are cached by content hash in the cache folder (hooks/shared.py): an unchanged
  diagram is never rendered again, and `mkdocs serve` re-renders only a changed one;
* drawing does not hold up the build more than it must: the browser starts as soon as the
  diagrams are found (on_files) and draws while MkDocs reads the pages; the first page that
  shows a diagram not drawn yet waits for it, so every page is written once, complete;
* drawing needs Node, the npm packages (Mermaid's CLI, Puppeteer) and a Chromium: where one
  is missing, `mkdocs build` (and so `make site`) fails naming what to install, while the
  preview (`mkdocs serve`) shows each diagram not in the cache as its code, in a box saying
  that `make site` draws it and what to install to see it drawn (PREVIEW_HINT), and names
  the skip in the preview's startup line (hooks/preview.py logs it), at INFO: `--strict`
  does not turn it into an error.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import posixpath
import re
import shutil
import subprocess
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

import shared

FENCE = re.compile(r"^(?P<indent>[ \t]*)```mermaid[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)
ACC_TITLE = re.compile(r"^\s*accTitle\s*:\s*(.+?)\s*$", re.M)
ACC_DESCR = re.compile(r"^\s*accDescr\s*:\s*(.+?)\s*$", re.M)
THEMES = {"light": "default", "dark": "dark"}  # Material's scheme -> Mermaid's theme
RENDERER = Path(__file__).with_name("render_diagrams.mjs")
OUTPUT = "assets/diagrams"
# The npm packages render_diagrams.mjs imports.
PACKAGES = ("@mermaid-js/mermaid-cli", "puppeteer")
# The browsers tried when CHROMIUM names none, in order: Debian's headless shell (the same
# SVGs as the full browser, tests/test_diagrams.py, for less CPU), then the full Chromium.
BROWSERS = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
# What the preview shows above a diagram it cannot draw ({why}: the missing tool).
PREVIEW_HINT = ("`make site` draws this diagram; this preview shows its code ({why}). To see it "
                "drawn here too, install Node and Chromium: `make deps` (README, \"Set up\").")


@dataclass(frozen=True)
class Diagram:
    digest: str
    definition: str
    title: str
    description: str
    width: int = 0
    height: int = 0
    undrawn: str = ""      # why the preview shows its code instead (a missing tool)

    def file(self, scheme: str) -> str:
        return f"{self.digest}-{scheme}.svg"


_diagrams: dict[str, Diagram] = {}  # by definition, for the pages of this build
_cache: Path | None = None
_command: str | None = None  # "serve": the preview, which may show a diagram as its code


@dataclass
class Drawing:
    """The diagrams of this build that were not in the cache, drawn in the background."""

    jobs: list[dict]
    where: dict[str, str]  # digest -> docs/<file>:<line>, for error messages
    process: subprocess.Popen
    result: Future


_drawing: Drawing | None = None


def dedent(body: str, indent: str) -> str:
    return "\n".join(line[len(indent):] if line.startswith(indent) else line.lstrip() for line in body.splitlines())


def renderer_version(root: Path) -> str:
    """What the SVG depends on besides the definition: the CLI's version and our settings."""
    return shared.npm_version("@mermaid-js/mermaid-cli", root) + hashlib.sha256(RENDERER.read_bytes()).hexdigest()


def svg_size(svg: str) -> tuple[int, int]:
    match = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+)"', svg)
    if not match:
        raise PluginError("a rendered diagram has no viewBox")
    return round(float(match.group(1))), round(float(match.group(2)))


def chromium() -> str:
    """The browser the renderer is to launch: CHROMIUM, else the first of BROWSERS installed."""
    return os.environ.get("CHROMIUM") or next((b for b in BROWSERS if Path(b).is_file()), BROWSERS[-1])


def missing_tool(root: Path) -> tuple[str, str] | None:
    """The first thing drawing needs that is not installed, and how to install it; None when
    everything is there."""
    if shutil.which("node") is None:
        return "no `node` on PATH", "install Node (Debian package nodejs; `make deps` installs it)"
    for package in PACKAGES:
        if not (root / "node_modules" / package / "package.json").is_file():
            return (f"node_modules/{package} is not installed",
                    "run `npm ci` (`make deps` does; README, \"Any other system\": `npm ci --omit=dev`)")
    if not Path(chromium()).is_file():
        return (f"no Chromium at {chromium()}",
                "install Debian's chromium-headless-shell (`make deps` does), or set CHROMIUM to a Chrome or Chromium")
    return None


def start_renderer(root: Path) -> subprocess.Popen:
    return subprocess.Popen(["node", str(RENDERER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8", cwd=root,
                            env={**os.environ, "CHROMIUM": chromium(),
                                 "CHROMIUM_FLAGS": json.dumps(shared.CHROMIUM_FLAGS)})


def render(process: subprocess.Popen, jobs: list[dict]) -> dict[str, dict]:
    try:
        stdout, stderr = process.communicate(json.dumps(jobs), timeout=300)
    except subprocess.TimeoutExpired:
        process.kill()
        raise PluginError(f"{RENDERER.name} took more than 300 s") from None
    if process.returncode != 0:
        raise PluginError(f"{RENDERER.name} failed (did `make site` install Chromium and `npm ci`?):\n"
                          f"{stderr[-2000:]}")
    return {item["id"]: item for item in json.loads(stdout)}


def on_startup(command: str, dirty: bool) -> None:
    global _command
    _command = command


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _cache
    _cache = shared.cache_dir("diagrams", Path(config.config_file_path).parent)
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Find every diagram, render the ones not in the cache (one browser for all)."""
    root = Path(config.config_file_path).parent
    version = renderer_version(root)
    found: dict[str, tuple[str, Diagram]] = {}
    errors = []
    for file in files.documentation_pages():
        text = file.content_string
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            where = f"docs/{file.src_uri}:{line}"
            definition = dedent(match.group("body"), match.group("indent")).strip() + "\n"
            title, description = ACC_TITLE.search(definition), ACC_DESCR.search(definition)
            if not title or not description:
                errors.append(f"{where}: a diagram needs an `accTitle:` line (its caption) and an "
                              "`accDescr:` line (its text for screen readers)")
                continue
            digest = hashlib.sha256((version + definition).encode()).hexdigest()[:16]
            found[definition] = (where, Diagram(digest, definition, title.group(1), description.group(1)))
    if errors:
        raise PluginError("Diagram problems:\n" + "\n".join(errors))
    _cache.mkdir(parents=True, exist_ok=True)
    # Both drawings of a diagram or neither: a diagram is sized once both are in the cache.
    jobs = [{"id": f"{d.digest}-{scheme}", "definition": d.definition, "theme": theme}
            for _, d in found.values()
            if not all((_cache / d.file(scheme)).exists() for scheme in THEMES)
            for scheme, theme in THEMES.items()]
    global _drawing
    stop_drawing()
    missing = missing_tool(root) if jobs else None
    undrawn = ""
    if missing and _command == "serve":  # the preview: the diagrams not in the cache as code
        undrawn, jobs = missing[0], []
        config.setdefault("preview_skips", {}).setdefault(undrawn, []).append("diagrams shown as code")
    elif missing:
        raise PluginError(f"hooks/diagrams.py cannot draw the diagrams: {missing[0]}; {missing[1]}")
    if jobs:
        # One thread waits for the browser (the GIL is free while it waits); the first page
        # that shows one of these diagrams collects the result.
        process = start_renderer(root)
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="diagrams")
        _drawing = Drawing(jobs, {d.digest: where for where, d in found.values()}, process,
                           pool.submit(render, process, jobs))
        pool.shutdown(wait=False)
    _diagrams.clear()
    for definition, (_, d) in found.items():
        if all((_cache / d.file(scheme)).exists() for scheme in THEMES):
            d = sized(d)
        elif undrawn:
            d = replace(d, undrawn=undrawn)
        _diagrams[definition] = d  # one being drawn gets its size in finish_drawing()
    return files


def sized(diagram: Diagram) -> Diagram:
    width, height = svg_size((_cache / diagram.file("light")).read_text(encoding="utf-8"))
    return replace(diagram, width=width, height=height)


def stop_drawing() -> None:
    """Drop the previous build's drawing (a failed build, or `mkdocs serve`)."""
    global _drawing
    if _drawing is not None:
        _drawing.process.terminate()  # puppeteer closes its browser on SIGTERM
        _drawing = None


def finish_drawing() -> None:
    """Wait for the browser, cache what it drew, and size the diagrams it drew."""
    global _drawing
    drawing, _drawing = _drawing, None
    rendered = drawing.result.result()
    failed = [f"{drawing.where[job['id'].rsplit('-', 1)[0]]}: the diagram does not render:\n"
              f"    {rendered[job['id']].get('error', 'no output')}"
              for job in drawing.jobs if "svg" not in rendered.get(job["id"], {})]
    if failed:
        raise PluginError("Diagram problems:\n" + "\n".join(dict.fromkeys(failed)))
    for job in drawing.jobs:
        shared.write_atomic(_cache / f"{job['id']}.svg", rendered[job["id"]]["svg"].encode("utf-8"))
    for definition, d in _diagrams.items():
        if not d.width and not d.undrawn:
            _diagrams[definition] = sized(d)


def figure(diagram: Diagram, page: Page) -> str:
    # The folder the page is served from: "jwt/" for jwt.md, "" for the home page.
    folder = page.url if page.url.endswith("/") else posixpath.dirname(page.url)
    base = posixpath.relpath(OUTPUT, folder.rstrip("/") or ".")
    alt = html.escape(diagram.description)
    images = "".join(
        f'<img src="{base}/{diagram.file(scheme)}#only-{scheme}" alt="{alt}" width="{diagram.width}" '
        f'height="{diagram.height}" loading="lazy">'
        for scheme in THEMES
    )
    return f'<figure class="diagram" tabindex="0">{images}<figcaption>{html.escape(diagram.title)}</figcaption></figure>'


def as_code(diagram: Diagram, indent: str) -> str:
    """The preview's stand-in for a diagram it cannot draw: its code, in a box that says so
    (Markdown at the fence's indentation, which may be inside a box)."""
    inner = indent + "    "
    code = "\n".join(inner + line if line.strip() else "" for line in diagram.definition.splitlines())
    hint = PREVIEW_HINT.format(why=diagram.undrawn)
    return (f'{indent}!!! info "Diagram: {html.escape(diagram.title)}"\n\n{inner}{hint}\n\n'
            f"{inner}```text\n{code}\n{inner}```")


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    def shown(match: re.Match) -> str:
        definition = dedent(match.group("body"), match.group("indent")).strip() + "\n"
        diagram = _diagrams[definition]
        if diagram.undrawn:
            return as_code(diagram, match.group("indent"))
        if not diagram.width:  # still being drawn: this page waits for it
            finish_drawing()
            diagram = _diagrams[definition]
        return match.group("indent") + figure(diagram, page)

    return FENCE.sub(shown, markdown)


def on_build_error(error: Exception) -> None:
    stop_drawing()


def on_post_build(config: MkDocsConfig) -> None:
    if _drawing is not None:
        finish_drawing()
    target = Path(config.site_dir) / OUTPUT
    for diagram in (d for d in _diagrams.values() if not d.undrawn):
        target.mkdir(parents=True, exist_ok=True)
        for scheme in THEMES:
            shutil.copy2(_cache / diagram.file(scheme), target / diagram.file(scheme))
