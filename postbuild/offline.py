"""Offline and installable: the web app manifest, its icons, the offline page, the list of
what "save all" downloads, and the service worker, made from the finished pages.

Guarantees, on any built folder (after the stylesheet step: the files are final but for
compression):
* `manifest.webmanifest` at the root: name and short_name from mkdocs.yml's site_name, the
  home page's description, start_url and scope "./" (relative to the manifest, so an app
  installed from a sub-path stays there), display standalone, the light palette's theme and
  background colours (the pages' theme-color <meta> and the stylesheet's default
  background), the dark ones under `user_preferences.color_scheme_dark` (Chromium's member
  for it; browsers without it ignore it), and icons drawn from the site's favicon by resvg
  (192 and 512 px, and a 512 px maskable one): assets/images/icon.<size>w.<8 hex>.png, a
  name nginx's fingerprinted kind caches forever. Drawn only when the favicon, resvg or the
  build script changed;
* every page links the manifest (<link rel=manifest>, relative as the page addresses its
  stylesheet). Chromium fetches a manifest only when something asks for it (installing, the
  developer tools), so a first visit pays the link's bytes alone (tests/test_offline.py);
* `offline.html`: the 404 page's frame with its own heading and text, marked
  data-notes-offline-page: what the service worker shows for a page never saved;
* `offline.json`: this build's version (a hash of every file listed, so any change makes a
  new one) and the files "save all" downloads, each with the bytes it costs on the wire
  (its brotli size, where brotli makes it smaller): every page but the error pages, every
  file under assets/ but the link-preview images (only other sites fetch them) and the app
  icons, the search index and the sitemap (instant navigation reads it); and `offline`:
  the offline page and the files it loads, which the worker keeps on install;
* `sw.js` at the root (its scope: the site's root, wherever that is), built from
  postbuild/extras/sw.js with Workbox by esbuild, with the version, the list's name, the
  fingerprinted names of site.conf's $file_kind map and the page headers of its maps
  written in. A new build with any file changed is a new sw.js.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from hooks.shared import cache_dir, npm_version, write_atomic
from postbuild import StepError
from postbuild.compress import COMPRESSIBLE, cached_pair
from postbuild.csp import SITE_CONF, csp_from_nginx
from postbuild.built import HEAD_END, from_404_frame, root_href, site_name
from postbuild.extras import BUILD, SOURCES, node

MANIFEST = "manifest.webmanifest"
LIST = "offline.json"
OFFLINE_PAGE = "offline.html"
WORKER = "sw.js"
ICONS = ({"size": 192, "maskable": False}, {"size": 512, "maskable": False}, {"size": 512, "maskable": True})
# Files the reader never needs offline: link previews (fetched by other sites), the app's
# icons (the browser keeps its own copy when installing), the error pages, the step's own.
NOT_SAVED = re.compile(r"^(?:assets/images/social/|assets/images/icon[.-]|404\.html$|500\.html$|sw\.js$"
                       r"|offline\.json$|\.well-known/)|\.(?:br|gz)$")
THEME_COLOR = re.compile(r'<meta\b[^>]*\bname="?theme-color"?[^>]*>')
ATTRIBUTE = r'\b{}=(?:"([^"]*)"|([^\s>"]+))'
# The page-only headers of site.conf: the maps keyed by $response_kind, their `page` value.
PAGE_HEADER_MAPS = {"Permissions-Policy": "document_permissions_policy", "Referrer-Policy": "document_referrer_policy",
                    "Cross-Origin-Opener-Policy": "document_opener_policy", "X-Frame-Options": "document_frame_options"}
FINGERPRINTED = re.compile(r'^\s*"~\*(?P<regex>[^"]+)"\s+fingerprinted;', re.M)


def attribute(tag: str, name: str) -> str | None:
    match = re.search(ATTRIBUTE.format(re.escape(name)), tag)
    return None if match is None else next(g for g in match.groups() if g is not None)


def page_url(relative: str) -> str:
    """The URL a page is read at, relative to the site's root ("" for the home page)."""
    return relative[: -len("index.html")] if relative.endswith("index.html") else relative


def colours(site_dir: Path, home: str) -> dict:
    """Theme and background colours of both schemes, as the pages and the stylesheet give them."""
    theme = {}
    for tag in THEME_COLOR.findall(home):
        media, content = attribute(tag, "media") or "", attribute(tag, "content")
        theme["dark" if "dark" in media else "light"] = content
    if set(theme) != {"light", "dark"}:
        raise StepError("index.html: a theme-color <meta> for the light and the dark scheme is needed for the manifest")
    background = None
    for sheet in (site_dir / "assets" / "stylesheets").glob("site.*.min.css"):
        found = re.search(r"\[data-md-color-scheme=default\]\{[^}]*?--md-default-bg-color:(#[0-9a-fA-F]{3,8})",
                          sheet.read_text(encoding="utf-8"))
        background = background or (found and found.group(1))
    # The dark scheme's header is its background colour (overrides/main.html says so).
    return {"light": {"theme_color": theme["light"], "background_color": long_hex(background or "#fff")},
            "dark": {"theme_color": theme["dark"], "background_color": theme["dark"]}}


def long_hex(colour: str) -> str:
    colour = colour.lower()
    return "#" + "".join(c * 2 for c in colour[1:4]) if len(colour) == 4 else colour[:7]


def icons(site_dir: Path, home: str, cache: Path) -> list[dict]:
    icon_link = next((tag for tag in re.findall(r"<link\b[^>]*>", home) if re.search(r"\brel=\"?icon\b", tag)), None)
    href = icon_link and attribute(icon_link, "href")
    if not href or not href.endswith(".svg"):
        raise StepError("index.html: no SVG favicon (<link rel=icon href=...svg>) to draw the app icons from")
    svg = (site_dir / href).read_text(encoding="utf-8")
    background = re.search(r'<rect\b[^>]*\bfill="(#[0-9a-fA-F]{3,8})"', svg)
    wanted = [{**icon, "background": background.group(1) if background else "#ffffff"} for icon in ICONS]
    key = hashlib.sha256(svg.encode("utf-8") + BUILD.read_bytes() + json.dumps(wanted).encode("utf-8")
                         + npm_version("@resvg/resvg-js").encode("utf-8")).hexdigest()
    cached = cache / f"icons-{key}.json"
    if not cached.is_file():
        write_atomic(cached, json.dumps(node({"kind": "icons", "svg": svg, "icons": wanted})).encode("utf-8"))
    out = []
    for icon in json.loads(cached.read_text(encoding="utf-8"))["icons"]:
        png = base64.b64decode(icon["png"])
        name = f"icon{'-maskable' if icon['maskable'] else ''}.{icon['size']}w.{hashlib.sha256(png).hexdigest()[:8]}.png"
        (site_dir / "assets" / "images" / name).parent.mkdir(parents=True, exist_ok=True)
        (site_dir / "assets" / "images" / name).write_bytes(png)
        out.append({"src": f"assets/images/{name}", "sizes": f"{icon['size']}x{icon['size']}", "type": "image/png",
                    **({"purpose": "maskable"} if icon["maskable"] else {})})
    return out


def offline_page(site_dir: Path) -> None:
    """The 404 page's frame (absolute URLs: it is shown at any address), with its own words."""
    html = from_404_frame(
        site_dir, "Offline",
        "<h1 data-notes-offline-page>Aap offline ho</h1><p>Ye page is device pe save nahi hai, aur abhi internet "
        "nahi hai. Jo pages aapne pehle khole the, woh bina internet ke bhi khulte hain.</p><p>Agli baar ke liye: "
        "online hote hi saare notes ek saath save kar lo (neeche ka button), phir har note, diagram aur search "
        "offline bhi chalega.</p>", "offline page")
    (site_dir / OFFLINE_PAGE).write_text(html, encoding="utf-8")


def link_manifest(site_dir: Path) -> None:
    for page in sorted(site_dir.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        name = page.relative_to(site_dir).as_posix()
        head = HEAD_END.search(html)
        if not head:
            raise StepError(f"{name}: no </head> to put the manifest link in")
        tag = f"<link href={root_href(html, name)}{MANIFEST} rel=manifest>"
        page.write_text(html[: head.start()] + tag + html[head.start():], encoding="utf-8")


def wire_bytes(relative: str, data: bytes) -> int:
    """What the file costs a reader: its brotli copy where compress will write one."""
    if Path(relative).suffix not in COMPRESSIBLE:
        return len(data)
    _, br = cached_pair(cache_dir("compress"), relative, data)
    return min(len(data), br.stat().st_size)


def loaded_by(site_dir: Path, relative: str) -> list[str]:
    """The files of the site a page loads by itself (stylesheets, scripts, icons), relative to the root."""
    html = (site_dir / relative).read_text(encoding="utf-8")
    prefix = root_href(html, relative)
    found = []
    for tag in re.findall(r"<(?:link|script|img)\b[^>]*>", html):
        if tag.startswith("<link") and not re.search(r"\brel=\"?(?:stylesheet|icon)\b", tag):
            continue
        url = attribute(tag, "href") or attribute(tag, "src")
        if url and url.startswith(prefix) and (site_dir / url[len(prefix):]).is_file():
            found.append(url[len(prefix):])
    return found


def page_headers() -> dict[str, str]:
    conf = SITE_CONF.read_text(encoding="utf-8")
    headers = {"Content-Security-Policy": csp_from_nginx(), "X-Content-Type-Options": "nosniff"}
    for header, variable in PAGE_HEADER_MAPS.items():
        match = re.search(rf"\${variable}\s*\{{[^}}]*?\bpage\s+\"([^\"]+)\"", conf)
        if not match:
            raise StepError(f"nginx/site.conf: no `page` entry in the ${variable} map")
        headers[header] = match.group(1)
    return headers


def fingerprinted_patterns() -> list[str]:
    patterns = FINGERPRINTED.findall(SITE_CONF.read_text(encoding="utf-8"))
    if not patterns:
        raise StepError("nginx/site.conf: no fingerprinted kind in the $file_kind map")
    return patterns


def write_offline(site_dir: Path, cache: Path) -> None:
    home = (site_dir / "index.html").read_text(encoding="utf-8")
    offline_page(site_dir)
    link_manifest(site_dir)
    scheme = colours(site_dir, home)
    description = re.search(r'<meta\b[^>]*\bname="?description"?[^>]*>', home)
    manifest = {
        "name": (name := site_name(site_dir)), "short_name": name,
        **({"description": attribute(description.group(0), "content")} if description else {}),
        "lang": attribute(re.search(r"<html\b[^>]*>", home).group(0), "lang") or "en",
        "start_url": "./", "scope": "./", "display": "standalone",
        **scheme["light"], "user_preferences": {"color_scheme_dark": scheme["dark"]},
        "icons": icons(site_dir, home, cache),
    }
    (site_dir / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    files = []
    version = hashlib.sha256()
    for path in sorted(p for p in site_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(site_dir).as_posix()
        if NOT_SAVED.search(relative):
            continue
        data = path.read_bytes()
        version.update(relative.encode("utf-8") + b"\0" + hashlib.sha256(data).digest())
        files.append([page_url(relative), wire_bytes(relative, data)])
    # The extras' bundle and stylesheet too: the loader adds them, and the offline page's
    # "save all" control is theirs.
    extras = [path for path, _ in files if re.match(r"assets/(?:javascripts|stylesheets)/extras\.", path)]
    offline = [OFFLINE_PAGE, *loaded_by(site_dir, OFFLINE_PAGE), *extras]
    worker_source = (SOURCES / "sw.js").read_bytes()
    version.update(worker_source + BUILD.read_bytes())
    build_version = version.hexdigest()[:16]
    listing = {"version": build_version, "files": files, "offline": offline}
    (site_dir / LIST).write_text(json.dumps(listing, separators=(",", ":")) + "\n", encoding="utf-8")

    define = {"BUILD": {"version": build_version, "list": LIST, "offline": OFFLINE_PAGE,
                        "fingerprinted": fingerprinted_patterns(), "pageHeaders": page_headers()}}
    key = hashlib.sha256(worker_source + BUILD.read_bytes() + json.dumps(define, sort_keys=True).encode("utf-8")
                         + " ".join(npm_version(p) for p in ("esbuild", "workbox-core", "workbox-routing",
                                                            "workbox-strategies")).encode("utf-8")).hexdigest()
    cached = cache / f"sw-{key}.js"
    if not cached.is_file():
        write_atomic(cached, node({"kind": "sw", "entry": str(SOURCES / "sw.js"), "define": define})["js"]
                     .encode("utf-8"))
    (site_dir / WORKER).write_bytes(cached.read_bytes())
