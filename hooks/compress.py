"""Precompressed files for nginx's gzip_static and brotli_static: no compression work per
request, and little per build.

Guarantees, for `mkdocs build` (skipped under `mkdocs serve`, where it would only slow down
live reload): every text file of the finished site (this hook is listed last in mkdocs.yml,
so it sees the final files) gets a .br (brotli 11) and a .gz beside it, with the same mtime
(stable Last-Modified and ETag), unless compressing does not make it smaller.

Cost follows what changed: each result is cached by the file's content hash in
.cache/compress/ (outside site/), so an unchanged file is never compressed again, and the
files that are new go to both cores. zopfli (the densest gzip, about 50x slower than zlib)
is spent only where it pays: the large, fingerprinted assets every visitor fetches and
caches, which change only with a theme upgrade (assets/); pages and the search index, which
change with every edit and which gzip-only clients alone receive, get zlib level 9.
"""

from __future__ import annotations

import functools
import hashlib
import os
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import brotli
import zopfli.gzip
from mkdocs.config.defaults import MkDocsConfig

# Source maps (.map) are left out: only developer tools fetch them.
COMPRESSIBLE = {".html", ".css", ".js", ".json", ".xml", ".svg", ".txt"}
ZOPFLI_MIN_BYTES = 20_000

_command: str | None = None


def on_startup(command: str, dirty: bool) -> None:
    global _command
    _command = command


# The workers get library functions, not this module's: MkDocs loads a hook under its path
# as the module name, which a worker process could not import to find a function of it.
BROTLI = functools.partial(brotli.compress, quality=11)
ZLIB_GZIP = functools.partial(zlib.compress, level=9, wbits=31)  # gzip container, level 9


def wants_zopfli(relative: str, size: int) -> bool:
    return size >= ZOPFLI_MIN_BYTES and relative.startswith("assets/")


def precompress(site_dir: Path, cache: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in site_dir.rglob("*") if p.suffix in COMPRESSIBLE and p.is_file())
    jobs: dict[str, tuple[bytes, bool]] = {}
    keys: dict[Path, str] = {}
    for path in files:
        data = path.read_bytes()
        dense = wants_zopfli(path.relative_to(site_dir).as_posix(), len(data))
        key = hashlib.sha256(data).hexdigest() + ("z" if dense else "")
        keys[path] = key
        if not (cache / f"{key}.br").exists() and key not in jobs:
            jobs[key] = (data, dense)
    if jobs:
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            gzipped = {key: pool.submit(zopfli.gzip.compress if dense else ZLIB_GZIP, data)
                       for key, (data, dense) in jobs.items()}
            brotlied = {key: pool.submit(BROTLI, data) for key, (data, _) in jobs.items()}
            for key in jobs:
                (cache / f"{key}.gz").write_bytes(gzipped[key].result())
                # Written last: its presence marks a complete entry.
                (cache / f"{key}.br").write_bytes(brotlied[key].result())
    for path, key in keys.items():
        size, stat = path.stat().st_size, path.stat()
        for suffix in (".gz", ".br"):
            packed = (cache / f"{key}{suffix}").read_bytes()
            target = path.with_name(path.name + suffix)
            if len(packed) >= size:
                target.unlink(missing_ok=True)
                continue  # nginx then sends the plain file, which is smaller
            target.write_bytes(packed)
            os.utime(target, (stat.st_atime, stat.st_mtime))


def on_post_build(config: MkDocsConfig) -> None:
    if _command == "build":
        precompress(Path(config.site_dir), Path(config.config_file_path).parent / ".cache" / "compress")
