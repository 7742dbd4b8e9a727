"""Precompressed files for nginx's gzip_static and brotli_static: no compression work per
request, and little per build.

Guarantees, for `mkdocs build` (skipped under `mkdocs serve`, where it would only slow down
live reload): every text file of the finished site (this hook is listed last in mkdocs.yml,
so it sees the final files) gets a .br (brotli 11) and a .gz beside it, with the same mtime
(stable Last-Modified and ETag), unless compressing does not make it smaller. The bytes
depend only on the file's content and path: every build writes the same .br and .gz.

Cost follows what changed: each result is cached by the file's content hash in
.cache/compress/ (outside site/), so an unchanged file is never compressed again, and the
files that are new are compressed on every core by a thread pool (brotli, zlib and zopfli
release the GIL), largest first, so the longest job (the search index) does not start last.
Compression starts in three steps: as soon as MkDocs and the search plugin have written
their files, for those that are final by then (all but the pages and stylesheets, which
assets.py rewrites at a lower priority), so it runs while social.py and diagrams.py wait
for their drawings; then for the pages, as soon as assets.py has linked them to the purged
stylesheet, while PurgeCSS makes it; then, last, for the rest. A guess that turns out wrong
costs only time: results are found by content hash.

The search index, the largest file, is also the one that changes with every edit. Its
content is known before MkDocs renders a page: Material's search plugin indexes each page's
HTML as converted from Markdown. So a second process (this file, run as a script, started
with the build) receives each page as soon as it is converted, indexes it with Material's
own code, and once all are in (on_env) compresses the index while MkDocs renders; if the
index the plugin then writes is the same, its compression is done.

zopfli (the densest gzip, far slower than zlib) is spent only where it pays: the large
theme scripts and the stylesheet, fingerprinted files every visitor fetches and caches.
Everything else changes with edits and reaches only gzip-only clients as .gz, so it gets
zlib level 9. brotli stays at 11 everywhere: quality 10 would be several times faster, but
it adds a few per cent to every page and to the search index, which the page-weight
budgets (tests/test_budgets.py) and readers pay for.

The preview's one line: under `mkdocs serve`, the hooks that leave something to `make site`
(this one the .gz and .br files; diagrams.py, bundle.py, search.py and social.py what a
missing Node, npm package, Chromium or font keeps them from doing; assets.py the purged
stylesheet) note it in the config, and this hook, the last, logs all of it as one line at
startup, again only when it changes: INFO, not a warning, so `mkdocs serve --strict` (`make
serve`) previews, while `mkdocs build` fails on what is missing, naming what to install.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import brotli
import zopfli.gzip
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

# Source maps (.map) are left out: only developer tools fetch them.
COMPRESSIBLE = {".html", ".css", ".js", ".json", ".xml", ".svg", ".txt"}
ZOPFLI_MIN_BYTES = 20_000
ZOPFLI_FOLDERS = ("assets/javascripts/", "assets/stylesheets/")
# Rewritten by assets.py after the first step: the pages are queued in the second one, the
# stylesheet (written after it) in the last.
NOT_FINAL_YET = {".html", ".css"}
SEARCH_INDEX = "search/search_index.json"

log = logging.getLogger("mkdocs.hooks.compress")
# The preview's startup line ({skips}: what is left to `make site`, grouped by why), and what
# it adds when a missing tool is among the reasons.
PREVIEW_LINE = "Preview (mkdocs serve), unlike `make site`: {skips}."
PREVIEW_DEPS = (" For the full preview: `make deps` installs Node, the npm packages, Chromium and the fonts "
                "(README, \"Set up\").")
ALWAYS = "as in every preview"


@dataclass
class Ahead:
    """The search index being built and compressed in a second process."""

    process: subprocess.Popen
    messages: queue.SimpleQueue  # pickles for its stdin; None closes it
    key: Future  # its cache key (or None), known once the index is built
    done: Future  # set when the process has ended


_command: str | None = None
_pool: ThreadPoolExecutor | None = None
_pending: dict[str, Future] = {}  # cache key -> its compression, for this build
_ahead: Ahead | None = None
_sent: list[tuple[Page, str]] = []  # each page given to the second process, and its HTML then
_told = ""  # the preview line logged last


def on_startup(command: str, dirty: bool) -> None:
    global _command, _told
    _command = command
    _told = ""


def preview_line(skips: dict[str, list[str]]) -> str:
    """The preview's startup line from what the hooks noted (why -> what)."""
    line = PREVIEW_LINE.format(skips="; ".join(f"{', '.join(what)} ({why})" for why, what in skips.items()))
    return line + (PREVIEW_DEPS if set(skips) - {ALWAYS} else "")


def wants_zopfli(relative: str, size: int) -> bool:
    return size >= ZOPFLI_MIN_BYTES and relative.startswith(ZOPFLI_FOLDERS)


def gzipped(data: bytes, dense: bool) -> bytes:
    return zopfli.gzip.compress(data) if dense else zlib.compress(data, level=9, wbits=31)  # gzip container


def compress_into(cache: Path, key: str, data: bytes, dense: bool) -> None:
    """One cache entry: the .gz, then the .br, whose presence marks the entry complete."""
    for suffix, packed in ((".gz", gzipped(data, dense)), (".br", brotli.compress(data, quality=11))):
        tmp = cache / f"{key}{suffix}.tmp"
        tmp.write_bytes(packed)
        tmp.replace(cache / f"{key}{suffix}")


def cache_key(relative: str, data: bytes) -> tuple[str, bool]:
    """(cache key, zopfli or not): the key names the content and how it is compressed."""
    dense = wants_zopfli(relative, len(data))
    return hashlib.sha256(data).hexdigest() + ("z" if dense else ""), dense


def entries(site_dir: Path, suffixes: set[str]) -> dict[Path, tuple[str, bytes, bool]]:
    """path -> (cache key, content, zopfli or not) of the site's files with these suffixes."""
    out = {}
    for path in sorted(p for p in site_dir.rglob("*") if p.suffix in suffixes and p.is_file()):
        data = path.read_bytes()
        key, dense = cache_key(path.relative_to(site_dir).as_posix(), data)
        out[path] = (key, data, dense)
    return out


def submit(found: dict[Path, tuple[str, bytes, bool]], cache: Path) -> None:
    """Queue what is neither cached nor queued yet, largest first: the pool's last job is then a
    short one, and both cores finish together."""
    global _pool
    new = {key: (data, dense) for key, data, dense in found.values()
           if key not in _pending and not (cache / f"{key}.br").exists()}
    if new and _pool is None:
        _pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="compress")
    for key in sorted(new, key=lambda k: len(new[k][0]), reverse=True):
        _pending[key] = _pool.submit(compress_into, cache, key, *new[key])


def stop() -> None:
    global _pool, _ahead
    if _pool is not None:
        _pool.shutdown(cancel_futures=True)
        _pool = None
    if _ahead is not None:
        _ahead.process.kill()
        _ahead.messages.put(None)
        _ahead = None
    _pending.clear()


def talk(ahead: Ahead) -> None:
    """The second process's stdin, stdout and end, in a thread of their own (a full pipe
    never holds up the build)."""
    try:
        while (message := ahead.messages.get()) is not None:
            ahead.process.stdin.write(message)
        ahead.process.stdin.close()
        ahead.key.set_result(ahead.process.stdout.readline().decode().strip() or None)
        error = ahead.process.stderr.read().decode(errors="replace").strip()
        if ahead.process.wait() != 0 and error:
            log.info("The search index was not compressed ahead: %s", error.splitlines()[-1])
    except (OSError, ValueError) as error:  # the process was stopped
        log.debug("compress ahead: %s", error)
    finally:
        if not ahead.key.done():
            ahead.key.set_result(None)
        ahead.done.set_result(None)


def start_ahead(cache: Path) -> None:
    global _ahead
    process = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    _ahead = Ahead(process, queue.SimpleQueue(), Future(), Future())
    threading.Thread(target=talk, args=(_ahead,), daemon=True).start()
    send(str(cache))


def send(message: object) -> None:
    """One message for the second process; one that cannot be sent ends it (no guess)."""
    global _ahead
    if _ahead is None:
        return
    try:
        _ahead.messages.put(pickle.dumps(message))
    except (pickle.PicklingError, TypeError, AttributeError) as error:
        log.debug("compress ahead: %s", error)
        _ahead.process.kill()
        _ahead.messages.put(None)
        _ahead = None


def predict_search_index() -> int:
    """Run as a script (start_ahead). stdin: pickles of the cache folder, the search plugin's
    config, (number, page) for each page in build order as the plugin will index it (a page
    sent again replaces its entries), then None. Writes the index, compressed as the plugin's
    file would be, into the cache; its cache key on stdout."""
    from material.plugins.search.plugin import SearchIndex

    stdin = sys.stdin.buffer
    cache, config = Path(pickle.load(stdin)), pickle.load(stdin)
    entries: dict[int, list[dict]] = {}
    while (message := pickle.load(stdin)) is not None:
        number, page = message
        one = SearchIndex(**config)
        one.add_entry_from_context(page)
        entries[number] = one.entries
    index = SearchIndex(**config)
    index.entries = [entry for number in sorted(entries) for entry in entries[number]]
    data = index.generate_search_index(None).encode("utf-8")
    key, dense = cache_key(SEARCH_INDEX, data)
    print(key, flush=True)
    if not (cache / f"{key}.br").exists():
        cache.mkdir(parents=True, exist_ok=True)
        compress_into(cache, key, data, dense)
    return 0


def precompress(site_dir: Path, cache: Path) -> None:
    """Every compressible file of the finished site gets its .gz and .br (see the docstring)."""
    cache.mkdir(parents=True, exist_ok=True)
    found = entries(site_dir, COMPRESSIBLE)
    submit(found, cache)
    try:
        for future in _pending.values():
            future.result()  # an error stops the build
    finally:
        stop()
    for key, data, dense in found.values():
        if not (cache / f"{key}.br").exists():  # the second process failed: compressed here
            compress_into(cache, key, data, dense)
    for path, (key, *_) in found.items():
        stat = path.stat()
        for suffix in (".gz", ".br"):
            packed = (cache / f"{key}{suffix}").read_bytes()
            target = path.with_name(path.name + suffix)
            if len(packed) >= stat.st_size:
                target.unlink(missing_ok=True)
                continue  # nginx then sends the plain file, which is smaller
            target.write_bytes(packed)
            os.utime(target, (stat.st_atime, stat.st_mtime))


def cache_dir(config: MkDocsConfig) -> Path:
    return Path(config.config_file_path).parent / ".cache" / "compress"


def search_plugin(config: MkDocsConfig):
    search = config.plugins.get("material/search")
    return search if search is not None and search.config.enabled else None


@event_priority(100)  # first: the second process starts while MkDocs reads the pages
def _start(files: Files, config: MkDocsConfig) -> Files:
    stop()
    _sent.clear()
    if _command == "build" and search_plugin(config) is not None:
        start_ahead(cache_dir(config))
        send(dict(search_plugin(config).config))
    return files


@event_priority(-100)  # last: every hook has noted what the preview skips (diagrams.py in on_files)
def _tell_preview(files: Files, config: MkDocsConfig) -> Files:
    global _told
    if _command == "serve":
        skips = config.setdefault("preview_skips", {})
        skips.setdefault(ALWAYS, []).append("no .gz/.br files")
        if (line := preview_line(skips)) != _told:
            log.info(line)
            _told = line
    return files


on_files = CombinedEvent(_start, _tell_preview)


def indexed(page: Page) -> SimpleNamespace:
    """What Material's search plugin reads of a page."""
    return SimpleNamespace(content=page.content, toc=page.toc, url=page.url, meta=page.meta, title=page.title)


@event_priority(-100)  # last: the page's HTML as the search plugin will read it
def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if _ahead is not None:
        _sent.append((page, html))
        send((len(_sent) - 1, indexed(page)))
    return html


def on_env(env, config: MkDocsConfig, files: Files):
    if _ahead is not None:  # every page is in: the second process compresses now
        for number, (page, html) in enumerate(_sent):
            if page.content is not html:  # changed since (the tags plugin fills its index page)
                send((number, indexed(page)))
        send(None)
    if _ahead is not None:
        _ahead.messages.put(None)
    _sent.clear()
    return env


def _start_early(config: MkDocsConfig) -> None:
    global _ahead
    if _command != "build":
        return
    cache_dir(config).mkdir(parents=True, exist_ok=True)
    found = entries(Path(config.site_dir), COMPRESSIBLE - NOT_FINAL_YET)
    if _ahead is not None:
        guessed = _ahead.key.result()
        if guessed in {key for key, *_ in found.values()}:
            _pending[guessed] = _ahead.done  # compressed by the second process
        else:
            if guessed is not None:
                log.info("The search index differs from the one built ahead: compressed now.")
            _ahead.process.kill()
        _ahead = None
    submit(found, cache_dir(config))


@event_priority(-60)  # after assets.py has linked the pages to the stylesheet, before it writes it
def _pages_final(config: MkDocsConfig) -> None:
    if _command == "build":
        submit(entries(Path(config.site_dir), {".html"}), cache_dir(config))


@event_priority(-100)  # last of all: the files are final
def _finish(config: MkDocsConfig) -> None:
    if _command == "build":
        precompress(Path(config.site_dir), cache_dir(config))


on_post_build = CombinedEvent(_start_early, _pages_final, _finish)


def on_build_error(error: Exception) -> None:
    stop()


if __name__ == "__main__":
    sys.exit(predict_search_index())
