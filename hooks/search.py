"""Search that understands readers: Material's search worker with a query prelude.

Guarantees, for `mkdocs build` and `mkdocs serve`:
* the site's search worker is one file, hooks/search_worker.js (question and filler words,
  misspellings, `--flags`; its header says how) followed by Material's own search worker,
  named by its content (assets/javascripts/workers/search.<8 hex>.min.js, so nginx caches
  it like Material's files and hooks/search_lazy.js recognises it);
* every page and static template (404.html, 500.html) points Material at that worker in
  its __config, and Material's plain worker is not in the site;
* search waits until it is wanted: hooks/search_lazy.js runs in front of Material's
  bundle, in the same file (assets/javascripts/bundle.<8 hex>.min.js, named by its
  content; every page and static template loads it instead of Material's, which is not in
  the site), so it costs no request and no inline script;
* both files are minified again as a whole by SWC's minifier (@swc/core, pinned in
  package.json; hooks/minify_js.mjs keeps the licence comments): its compression and its
  renaming of local variables leave Material's already minified scripts smaller after
  brotli, which every first visit and first search pay for (tests/test_budgets.py). It runs
  in its own process while MkDocs converts the pages, and its result is cached in
  .cache/scripts/ by the input, SWC's version, its options and minify_js.mjs, so it runs
  again only when one of them changes;
* the build fails, naming what, if Material's worker or bundle is not found in the theme
  or a page does not name it (a Material upgrade that moved it), or if minifying fails: never
  a site whose search silently lost the prelude or loads on every page;
* minifying needs Node and node_modules/@swc/core: where either is missing (and the result
  is not in the cache), `mkdocs build` (and so `make site`) fails naming what to install,
  while the preview (`mkdocs serve`) serves both files as combined, not minified again (the
  prelude and lazy search still work), and names the skip in its startup line
  (hooks/compress.py logs it, at INFO).

Material's index, results and highlighting are untouched: only the worker's query input
changes, through Material's documented worker protocol (tests/test_search.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

PRELUDE = Path(__file__).with_name("search_worker.js")
LAZY = Path(__file__).with_name("search_lazy.js")
WORKERS = "assets/javascripts/workers"
SCRIPTS = "assets/javascripts"
MATERIAL_WORKER = re.compile(r"^search\.[0-9a-f]{8}\.min\.js$")
MATERIAL_BUNDLE = re.compile(r"^bundle\.[0-9a-f]{8}\.min\.js$")
INDENT = re.compile(r"^[ \t]+", re.M)
SOURCE_MAP = re.compile(r"\n//# sourceMappingURL=\S+\s*$")
# The header comment and whole-line comments of the prelude: for people, not browsers.
HEADER = re.compile(r"\A/\*.*?\*/\n", re.S)
LINE_COMMENT = re.compile(r"^[ \t]*//[^\n]*\n", re.M)
MINIFY = Path(__file__).with_name("minify_js.mjs")
# Three compression passes: a second saves 0.5 kB of the bundle after brotli, a third 0.2 kB
# more, a fourth nothing; all of it takes a tenth of a second.
SWC_OPTIONS = {"compress": {"passes": 3}, "mangle": True}
SWC = "node_modules/@swc/core/package.json"


@dataclass
class Script:
    folder: str    # where it is, under site_dir
    material: str  # Material's file name, as the pages name it
    name: str      # the combined file's name
    text: str      # before minifying
    minified: Path = field(init=False)  # the minifier's result, in the cache
    job: threading.Thread | None = field(init=False, default=None)
    error: str = field(init=False, default="")


_scripts: list[Script] = []
_command: str | None = None  # "serve": the preview, which may leave the scripts as combined


def material_script(config: MkDocsConfig, folder: str, pattern: re.Pattern) -> Path:
    """Material's script in `folder`, from the theme's folders (custom_dir first, as MkDocs)."""
    for theme_dir in config.theme.dirs:
        found = sorted(p for p in (Path(theme_dir) / folder).glob("*.min.js") if pattern.match(p.name))
        if len(found) > 1:
            raise PluginError(f"{theme_dir}/{folder}: more than one {pattern.pattern}: {[p.name for p in found]}")
        if found:
            return found[0]
    raise PluginError(f"Material's {folder}/{pattern.pattern} not found in the theme: "
                      "has a Material upgrade moved it? hooks/search.py needs it")


def combined(folder: str, material: Path, prelude: str, salt: bytes) -> tuple[Script, str]:
    """`prelude` (comments dropped) followed by Material's script, named by its content:
    the text, and with `salt` how it will be minified (which decides the result). Also the
    whole digest, the minifier's cache key."""
    prelude = LINE_COMMENT.sub("", HEADER.sub("", prelude))
    text = prelude.rstrip("\n") + "\n" + SOURCE_MAP.sub("\n", material.read_text(encoding="utf-8"))
    digest = hashlib.sha256(salt + text.encode("utf-8")).hexdigest()
    stem = material.name.split(".", 1)[0]
    return Script(folder, material.name, f"{stem}.{digest[:8]}.min.js", text), digest


def minifier(root: Path) -> tuple[list[str], bytes]:
    """The minifying command, and what its result depends on besides the input."""
    package = root / SWC
    try:
        version = json.loads(package.read_text(encoding="utf-8"))["version"]
    except FileNotFoundError:
        raise PluginError(f"{package} not found: run `make deps` (hooks/search.py minifies the "
                          "scripts with SWC; elsewhere `npm ci --omit=dev`)") from None
    options = json.dumps(SWC_OPTIONS)
    script = MINIFY.read_bytes()
    return ["node", str(MINIFY), options], json.dumps([version, options]).encode() + script


def minify_in_background(script: Script, command: list[str]) -> None:
    """The minifier's result written to script.minified by a thread (the work is in its own
    process); a failure is kept in script.error for on_env."""
    def run() -> None:
        done = subprocess.run(command, input=script.text.encode("utf-8"), capture_output=True)
        if done.returncode != 0 or not done.stdout:
            script.error = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
            return
        tmp = script.minified.with_name(f"{script.minified.name}.{os.getpid()}.tmp")
        tmp.write_bytes(done.stdout)
        tmp.replace(script.minified)

    script.job = threading.Thread(target=run, daemon=True)
    script.job.start()


def on_startup(command: str, dirty: bool) -> None:
    global _command
    _command = command


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    global _scripts
    root = Path(config.config_file_path).parent
    cache = root / ".cache" / "scripts"
    cache.mkdir(parents=True, exist_ok=True)
    lazy = LAZY.read_text(encoding="utf-8")
    sources = [(folder, material_script(config, folder, pattern), prelude) for folder, pattern, prelude in (
        (WORKERS, MATERIAL_WORKER, PRELUDE.read_text(encoding="utf-8")),
        # The page script has no multi-line strings: its indentation can go too.
        (SCRIPTS, MATERIAL_BUNDLE, INDENT.sub("", lazy)),
    )]
    node = shutil.which("node") is not None
    why = ""  # why the preview leaves the scripts as combined, not minified
    if _command == "serve" and not (root / SWC).is_file():
        why = "no `node` on PATH" if not node else "node_modules/@swc/core is not installed"
    else:
        command, salt = minifier(root)
        planned = [combined(*source, salt) for source in sources]
        if not node and not all((cache / f"{digest}.js").exists() for _, digest in planned):
            if _command != "serve":
                raise PluginError("node is not installed: `make deps` installs it (Debian package nodejs; "
                                  "hooks/search.py minifies the scripts with SWC, in Node)")
            why = "no `node` on PATH"
    _scripts = []
    if why:  # the combined text as it is, named apart from a minified one by the salt
        for source in sources:
            script, digest = combined(*source, b"unminified")
            script.minified = cache / f"{digest}.js"
            if not script.minified.exists():
                tmp = script.minified.with_name(f"{script.minified.name}.{os.getpid()}.tmp")
                tmp.write_text(script.text, encoding="utf-8")
                tmp.replace(script.minified)
            _scripts.append(script)
        config.setdefault("preview_skips", {}).setdefault(why, []).append("scripts not minified again")
        return config
    for script, digest in planned:
        script.minified = cache / f"{digest}.js"
        if not script.minified.exists():
            minify_in_background(script, command)
        _scripts.append(script)
    return config


def pointed(output: str, name: str) -> str:
    """The page loading the combined worker and bundle instead of Material's."""
    if 'id="__config"' not in output:
        return output  # not a Material page (e.g. a sitemap)
    for script in _scripts:
        old = f"{script.folder}/{script.material}"
        if old not in output:
            raise PluginError(f"{name}: it does not name Material's {old}; hooks/search.py cannot "
                              "put the search prelude in front of it")
        output = output.replace(old, f"{script.folder}/{script.name}")
    return output


def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    return pointed(output, page.file.src_uri)


def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    return pointed(output_content, template_name) if template_name.endswith(".html") else output_content


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """The combined scripts in the site, Material's (and their source maps) not."""
    for script in _scripts:
        for name in (script.material, script.material + ".map"):
            file = files.get_file_from_path(f"{script.folder}/{name}")
            if file is not None:
                files.remove(file)
        files.append(File.generated(config, f"{script.folder}/{script.name}", abs_src_path=str(script.minified)))
    return files


def on_env(env: Environment, config: MkDocsConfig, files: Files) -> Environment:
    """Minifying done (MkDocs copies the files next): its result, or the build stops."""
    for script in _scripts:
        if script.job is not None:
            script.job.join()
            script.job = None
        if script.error:
            raise PluginError(f"minifying failed on {script.folder}/{script.name}: {script.error}")
    return env
