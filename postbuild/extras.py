"""The extras: this site's own browser code (postbuild/extras/, README.md there is the
contract), loaded after the page and only when a reader wants it.

Guarantees, on any built folder:
* main.js (with every module it imports) and main.css (with its @imports) become one
  minified script and one stylesheet named by their content (extras.<8 hex>.min.js under
  assets/javascripts/, extras.<8 hex>.min.css under assets/stylesheets/: nginx's
  fingerprinted kind, cached forever), built by esbuild (postbuild/extras.mjs) only when a
  source, the build script or esbuild's version changed;
* every page ends with a deferred <script> of the loader (extras/loader.js, minified, with
  the bundle's name written in: extras-loader.<8 hex>.min.js beside the bundle), addressed
  as the page addresses its stylesheet (relative, or absolute on the error pages). The
  loader is a file, not inline: a page fetched by instant navigation carries only its tag,
  and the CSP needs no hash for it;
* the step fails, naming the file, when a page has no stylesheet under assets/ to tell
  where the site's root is, or no </body>.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

from hooks.shared import npm_version, write_atomic
from postbuild import StepError
from postbuild.built import root_href

SOURCES = Path(__file__).with_name("extras")
BUILD = Path(__file__).with_name("extras.mjs")
# The packages whose code or behaviour ends up in what extras.mjs writes.
PACKAGES = ("esbuild", "workbox-core", "workbox-routing", "workbox-strategies", "workbox-window", "@resvg/resvg-js")
BODY_END = re.compile(r"</body>", re.I)


def node(request: dict) -> dict:
    """Run extras.mjs with `request`; its JSON answer."""
    if shutil.which("node") is None:
        raise StepError("node is not installed: `make deps` installs it (Debian package nodejs)")
    done = subprocess.run(["node", str(BUILD), json.dumps(request)], capture_output=True, text=True, encoding="utf-8")
    if done.returncode != 0:
        raise StepError(f"{BUILD.name} ({request['kind']}) failed (did `npm ci` run? `make deps` runs it):\n"
                        f"{done.stderr}")
    return json.loads(done.stdout)


def tools_key() -> bytes:
    return (BUILD.read_bytes() + " ".join(f"{p}@{npm_version(p)}" for p in PACKAGES).encode("utf-8"))


def built(cache: Path) -> dict:
    """extras.mjs's answer for the sources as they are, from the cache when they were built before."""
    digest = hashlib.sha256(tools_key())
    for path in sorted(SOURCES.iterdir()):
        if path.is_file() and path.suffix in (".js", ".css"):
            digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    cached = cache / f"{digest.hexdigest()}.json"
    if not cached.is_file():
        write_atomic(cached, json.dumps(node({"kind": "extras", "dir": str(SOURCES)})).encode("utf-8"))
    return json.loads(cached.read_text(encoding="utf-8"))


def loader_tag(src: str) -> str:
    return f'<script src="{src}" defer></script>'


def add_extras(site_dir: Path, cache: Path) -> None:
    result = built(cache)
    (site_dir / "assets" / "javascripts").mkdir(parents=True, exist_ok=True)
    (site_dir / "assets" / "stylesheets").mkdir(parents=True, exist_ok=True)
    (site_dir / "assets" / "javascripts" / result["jsName"]).write_text(result["js"], encoding="utf-8")
    (site_dir / "assets" / "javascripts" / result["loaderName"]).write_text(result["loader"], encoding="utf-8")
    (site_dir / "assets" / "stylesheets" / result["cssName"]).write_text(result["css"], encoding="utf-8")
    for page in sorted(site_dir.rglob("*.html")):
        name = page.relative_to(site_dir).as_posix()
        html = page.read_text(encoding="utf-8")
        ends = list(BODY_END.finditer(html))
        if not ends:
            raise StepError(f"{name}: no </body> to put the extras loader before")
        tag = loader_tag(f"{root_href(html, name)}assets/javascripts/{result['loaderName']}")
        end = ends[-1].start()
        page.write_text(html[:end] + tag + html[end:], encoding="utf-8")
